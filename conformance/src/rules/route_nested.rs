//! ROUTE-NESTED: the catalogue entry, what counts as exercising it, and what it explains: a copy
//! of an item in the mailbox of someone the item only quotes (a forwarded chat record's sender,
//! a contact card's person), never one of its participants.

use super::prelude::*;

/// ROUTE-NESTED.
pub(crate) const RULE: Rule = Rule::new(&RouteNested);

const REQUIREMENT: Requirement = Requirement {
    id: "ROUTE-NESTED",
    text: "Only an item's own participants (its top-level From, To and Cc) route it, never the people quoted inside \
               it: the senders and recipients of a forwarded chat record (nested message/rfc822) or the person of a \
               contact card (text/vcard).",
    check: "no item reaches a mailbox that only a person quoted inside it (by mapping or by email) routes to",
    scenarios: &["route-nested", "realistic-day", "multi-day"],
};

struct RouteNested;

impl Check for RouteNested {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    /// Items delivered somewhere that quote a person routing to a mailbox the item must not
    /// reach: a connector routing by what it quotes would show there.
    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        j.count(
            j.expected_items()
                .filter(|e| match &e.outcome {
                    Outcome::Deliver(m) => {
                        e.quoted.iter().any(|q| q.route.as_ref().is_some_and(|(to, _)| !m.iter().any(|x| tm_contract::same_address(x, to))))
                    }
                    _ => false,
                })
                .count(),
            "items quoting people who route elsewhere",
        )
    }

    /// Asked before the other routing rules: such a copy is a quoted person's, whatever way they
    /// would have routed.
    fn attribution_rank(&self) -> Option<u16> {
        Some(105)
    }

    /// In the mailbox a quoted person routes to, where no participant routes.
    fn unexpected(&self, j: &Judging<'_>, d: &Unexpected<'_>) -> Option<String> {
        let (e, _) = d.item?;
        if e.participants.iter().any(|p| p.route.as_ref().is_some_and(|(m, _)| tm_contract::same_address(m, d.mailbox))) {
            return None;
        }
        let q = e.quoted.iter().find(|q| q.route.as_ref().is_some_and(|(m, _)| tm_contract::same_address(m, d.mailbox)))?;
        let why =
            format!("{} ({} is only quoted inside the item, in a forwarded record or a contact card)", d.elsewhere(), j.person(q.person));
        Some(d.finding(j, &why))
    }
}
