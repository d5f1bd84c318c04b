//! WINDOW: the catalogue entry, and what counts as exercising it.

use super::prelude::*;

/// WINDOW in the catalogue.
pub const REQUIREMENT: Requirement = Requirement {
    rule: Rule::Window,
    text: "A first run at time T imports exactly the items captured in [T - 24 h, T).",
    check: "items of the first run's window are imported; items captured before it (or at or after T, in a one-run \
                scenario) are not",
    scenarios: &["window", "realistic-day"],
};

/// What in this scenario exercises WINDOW (or why nothing does).
pub(crate) fn exercised(j: &Judging<'_>) -> Result<String, String> {
    j.count(j.expected_items().filter(|e| e.window == Some(0)).count(), "items in the first window")
}
