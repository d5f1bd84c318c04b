//! RETRY-AFTER: the catalogue entry, and what counts as exercising it.

use super::prelude::*;

/// RETRY-AFTER in the catalogue.
pub const REQUIREMENT: Requirement = Requirement {
    rule: Rule::RetryAfter,
    text: "A 429 or 503 answer carries `Retry-After` (seconds): the connector sends the same request again no earlier than \
               that. (A wait longer than the connector is willing to make ends the run instead; the next scheduled run resumes.)",
    check: "for every 429/503 answer with Retry-After N, the next request of the same target in the same run (the same \
                listing, the same item's download, the same operation on the same mailbox) starts at least N s after the \
                answer (5 ms of clock slack)",
    scenarios: &["retry-after", "soak"],
};

/// What in this scenario exercises RETRY-AFTER (or why nothing does).
pub(crate) fn exercised(j: &Judging<'_>) -> Result<String, String> {
    j.count(j.manners_seen[&Rule::RetryAfter], "answers with Retry-After followed by a retry")
}
