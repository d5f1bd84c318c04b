//! ROUTE-AUTO-OFF: the catalogue entry, what counts as exercising it, and what it explains: a
//! copy that only an email address leads to, in a run with automatic mapping off.

use super::prelude::*;

/// ROUTE-AUTO-OFF.
pub(crate) const RULE: Rule = Rule::new(&RouteAutoOff);

const REQUIREMENT: Requirement = Requirement {
    id: "ROUTE-AUTO-OFF",
    text: "With automatic mapping off, only the mapping routes.",
    check: "in runs with AUTO_MAPPING=false no item reaches a mailbox that only an email address leads to",
    scenarios: &["route-auto-off"],
};

struct RouteAutoOff;

impl Check for RouteAutoOff {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        j.count(
            j.expected_items()
                .filter(|e| {
                    e.window.is_some_and(|w| !j.oracle.windows[w].auto_mapping)
                        && e.participants
                            .iter()
                            .any(|p| p.email_mailbox.is_some() && p.route.as_ref().is_none_or(|r| Some(&r.0) != p.email_mailbox.as_ref()))
                })
                .count(),
            "items an email address would route with automatic mapping on",
        )
    }

    fn attribution_rank(&self) -> Option<u16> {
        Some(110)
    }

    /// In a mailbox a participant's email address resolves to, in a window without automatic
    /// mapping.
    fn unexpected(&self, j: &Judging<'_>, d: &Unexpected<'_>) -> Option<String> {
        let (e, _) = d.item?;
        let by_email = d.by_email();
        if j.oracle.windows[e.window?].auto_mapping || by_email.is_empty() {
            return None;
        }
        let who: Vec<&str> = by_email.iter().map(|p| j.person(p.person)).collect();
        let why = format!("{} (automatic mapping is off, so {}'s email address routes nowhere)", d.elsewhere(), who.join(", "));
        Some(d.finding(j, &why))
    }
}
