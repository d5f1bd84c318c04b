//! BACKOFF: the catalogue entry, and what counts as exercising it.

use super::prelude::*;

/// BACKOFF in the catalogue.
pub const REQUIREMENT: Requirement = Requirement {
    rule: Rule::Backoff,
    text: "Other 5xx answers are retried a bounded number of times, with waits that grow (exponential backoff; jitter \
               allowed).",
    check: "on each target, at most 10 attempts in a row answered 5xx/429; after consecutive 5xx without Retry-After each \
                wait is at least 0.5 x the previous one (jitter and a loaded machine make single waits noisy) (minus 5 ms), and over three or more waits the last is at least 1.5 x \
                the first and 50 ms longer",
    scenarios: &["backoff", "soak"],
};

/// What in this scenario exercises BACKOFF (or why nothing does).
pub(crate) fn exercised(j: &Judging<'_>) -> Result<String, String> {
    j.count(j.manners_seen[&Rule::Backoff], "retried runs of 5xx answers")
}
