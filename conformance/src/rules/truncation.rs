//! TRUNCATION: the catalogue entry, and what counts as exercising it.

use super::prelude::*;

/// TRUNCATION in the catalogue.
pub const REQUIREMENT: Requirement = Requirement {
    rule: Rule::Truncation,
    text: "An item whose download was truncated or reset is never imported as if whole: it is imported with the archive's \
               bytes (after downloading it again) or reported failed.",
    check: "every item whose download the fault plan cut is in the tenant only with the archive's sha256 and size, or in no \
                mailbox and named by a report",
    scenarios: &["truncation", "soak"],
};

/// What in this scenario exercises TRUNCATION (or why nothing does).
pub(crate) fn exercised(j: &Judging<'_>) -> Result<String, String> {
    j.count(j.cut.len(), "items whose download was cut short")
}
