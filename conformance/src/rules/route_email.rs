//! ROUTE-EMAIL: the catalogue entry, and what counts as exercising it.

use super::prelude::*;

/// ROUTE-EMAIL in the catalogue.
pub const REQUIREMENT: Requirement = Requirement {
    rule: Rule::RouteEmail,
    text: "With automatic mapping on, a participant not routed by the mapping (no mobile, not in the file, or mapped to an \
               address that is no valid user) is routed by its email address when that resolves to a valid user.",
    check: "every item reaches the mailbox its unmapped participants' email addresses resolve to",
    scenarios: &["route-email", "route-fanout", "realistic-day", "multi-day"],
};

/// What in this scenario exercises ROUTE-EMAIL (or why nothing does).
pub(crate) fn exercised(j: &Judging<'_>) -> Result<String, String> {
    j.count(
        j.expected_items().filter(|e| e.participants.iter().any(|p| matches!(&p.route, Some((_, Via::Email))))).count(),
        "items routed by email address",
    )
}
