//! ROUTE-EMAIL: the catalogue entry, what counts as exercising it, and what it explains: a
//! missing delivery an email address routes.

use super::prelude::*;

/// ROUTE-EMAIL.
pub(crate) const RULE: Rule = Rule::new(&RouteEmail);

const REQUIREMENT: Requirement = Requirement {
    id: "ROUTE-EMAIL",
    text: "With automatic mapping on, a participant not routed by the mapping (no mobile, not in the file, or mapped to an \
               address that is no valid user) is routed by its email address when that resolves to a valid user.",
    check: "every item reaches the mailbox its unmapped participants' email addresses resolve to",
    scenarios: &["route-email", "route-fanout", "realistic-day", "multi-day"],
};

struct RouteEmail;

impl Check for RouteEmail {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        j.count(
            j.expected_items().filter(|e| e.participants.iter().any(|p| matches!(&p.route, Some((_, Via::Email))))).count(),
            "items routed by email address",
        )
    }

    fn attribution_rank(&self) -> Option<u16> {
        Some(130)
    }

    /// Missing where an email address routes it (see [`Missing::route_cause`]).
    fn missing(&self, j: &Judging<'_>, d: &Missing<'_>) -> Option<Explained> {
        (d.route_cause(j) == Some(Via::Email)).then(|| Explained::Finding(d.finding(j)))
    }
}
