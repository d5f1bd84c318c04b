//! ROUTE-AUTO-OFF: the catalogue entry, and what counts as exercising it.

use super::prelude::*;

/// ROUTE-AUTO-OFF in the catalogue.
pub const REQUIREMENT: Requirement = Requirement {
    rule: Rule::RouteAutoOff,
    text: "With automatic mapping off, only the mapping routes.",
    check: "in runs with AUTO_MAPPING=false no item reaches a mailbox that only an email address leads to",
    scenarios: &["route-auto-off"],
};

/// What in this scenario exercises ROUTE-AUTO-OFF (or why nothing does).
pub(crate) fn exercised(j: &Judging<'_>) -> Result<String, String> {
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
