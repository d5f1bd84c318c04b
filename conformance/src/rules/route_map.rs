//! ROUTE-MAP: the catalogue entry, what counts as exercising it, and what it explains: a missing
//! delivery the mapping routes, and a copy in the email mailbox of a participant mapped elsewhere.

use super::prelude::*;

/// ROUTE-MAP.
pub(crate) const RULE: Rule = Rule::new(&RouteMap);

const REQUIREMENT: Requirement = Requirement {
    id: "ROUTE-MAP",
    text: "A participant whose mobile number is in the mapping, mapped to a valid Microsoft 365 user, is routed to that \
               mailbox, and the mapping wins over the participant's email address.",
    check: "every item reaches the mailbox its participants' mapped numbers name; no item reaches the email mailbox of a \
                participant whose number is mapped to another valid user",
    scenarios: &["route-map", "route-fanout", "realistic-day", "multi-day"],
};

struct RouteMap;

impl Check for RouteMap {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
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

    fn attribution_rank(&self) -> Option<u16> {
        Some(120)
    }

    /// Missing where the mapping routes it (see [`Missing::route_cause`]).
    fn missing(&self, j: &Judging<'_>, d: &Missing<'_>) -> Option<Explained> {
        (d.route_cause(j) == Some(Via::Mapping)).then(|| Explained::Finding(d.finding(j)))
    }

    /// In the email mailbox of a participant whose mobile is mapped to another mailbox.
    fn unexpected(&self, j: &Judging<'_>, d: &Unexpected<'_>) -> Option<String> {
        let p =
            d.by_email().into_iter().find(|p| matches!(&p.route, Some((m, Via::Mapping)) if !tm_contract::same_address(m, d.mailbox)))?;
        let target = p.route.as_ref().map(|r| r.0.clone()).unwrap_or_default();
        let why = format!("{} ({}'s mobile is mapped to {target}, and the mapping wins)", d.elsewhere(), j.person(p.person));
        Some(d.finding(j, &why))
    }
}
