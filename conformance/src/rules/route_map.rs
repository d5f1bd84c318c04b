//! ROUTE-MAP: the catalogue entry, and what counts as exercising it.

use super::prelude::*;

/// ROUTE-MAP in the catalogue.
pub const REQUIREMENT: Requirement = Requirement {
    rule: Rule::RouteMap,
    text: "A participant whose mobile number is in the mapping, mapped to a valid Microsoft 365 user, is routed to that \
               mailbox, and the mapping wins over the participant's email address.",
    check: "every item reaches the mailbox its participants' mapped numbers name; no item reaches the email mailbox of a \
                participant whose number is mapped to another valid user",
    scenarios: &["route-map", "route-fanout", "realistic-day", "multi-day"],
};

/// What in this scenario exercises ROUTE-MAP (or why nothing does).
pub(crate) fn exercised(j: &Judging<'_>) -> Result<String, String> {
    j.count(
        j.expected_items()
            .filter(|e| {
                e.participants.iter().any(|p| {
                    matches!(&p.route, Some((_, Via::Mapping)))
                        || p.mapped && p.email_mailbox.is_some() && !matches!(&p.route, Some((_, Via::Email)))
                })
            })
            .count(),
        "items with mapped participants",
    )
}
