//! ROUTE-FANOUT: the catalogue entry, what counts as exercising it, and what it explains: last in
//! the attribution order, every missing or unexpected delivery of an archive item that no other
//! rule explains (a participant the connector can route, dropped; a mailbox no one routes to).

use super::prelude::*;

/// ROUTE-FANOUT.
pub(crate) const RULE: Rule = Rule::new(&RouteFanout);

const REQUIREMENT: Requirement = Requirement {
    id: "ROUTE-FANOUT",
    text: "An item goes once into each distinct mailbox that any of its participants routes to.",
    check: "items with several participants reach every mailbox any of them routes to, and no other",
    scenarios: &["route-fanout", "realistic-day", "multi-day"],
};

struct RouteFanout;

impl Check for RouteFanout {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        j.count(
            j.expected_items().filter(|e| matches!(&e.outcome, Outcome::Deliver(m) if m.len() > 1)).count(),
            "items for several mailboxes",
        )
    }

    fn attribution_rank(&self) -> Option<u16> {
        Some(150)
    }

    fn missing(&self, j: &Judging<'_>, d: &Missing<'_>) -> Option<Explained> {
        d.item.map(|_| Explained::Finding(d.finding(j)))
    }

    fn unexpected(&self, j: &Judging<'_>, d: &Unexpected<'_>) -> Option<String> {
        d.item.map(|_| d.finding(j, &format!("{} (no participant routes to {})", d.elsewhere(), d.mailbox)))
    }
}
