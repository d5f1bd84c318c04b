//! ROUTE-FANOUT: the catalogue entry, and what counts as exercising it.

use super::prelude::*;

/// ROUTE-FANOUT in the catalogue.
pub const REQUIREMENT: Requirement = Requirement {
    rule: Rule::RouteFanout,
    text: "An item goes once into each distinct mailbox that any of its participants routes to.",
    check: "items with several participants reach every mailbox any of them routes to, and no other",
    scenarios: &["route-fanout", "realistic-day", "multi-day"],
};

/// What in this scenario exercises ROUTE-FANOUT (or why nothing does).
pub(crate) fn exercised(j: &Judging<'_>) -> Result<String, String> {
    {
        j.count(
            j.expected_items().filter(|e| matches!(&e.outcome, Outcome::Deliver(m) if m.len() > 1)).count(),
            "items for several mailboxes",
        )
    }
}
