//! CONCURRENCY: the catalogue entry, and what counts as exercising it.

use super::prelude::*;

/// CONCURRENCY in the catalogue.
pub const REQUIREMENT: Requirement = Requirement {
    rule: Rule::Concurrency,
    text: "Never more than 4 tenant requests in flight for one mailbox (Graph's rule); beyond that the tenant answers 429 \
               TooManyRequests.",
    check: "no tenant request for a mailbox arrives while 4 others for it are in flight (the access log's in_flight), and \
                the tenant's throttle, when on, never refused one",
    scenarios: &["concurrency", "soak"],
};

/// What in this scenario exercises CONCURRENCY (or why nothing does).
pub(crate) fn exercised(j: &Judging<'_>) -> Result<String, String> {
    j.count(j.manners_seen[&Rule::Concurrency], "mailbox-runs with tenant requests")
}
