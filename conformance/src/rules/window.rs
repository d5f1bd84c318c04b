//! WINDOW: the catalogue entry, what counts as exercising it, and what it explains: a missing
//! item of the first window in a gap of the listing, and a copy of an item captured before the
//! first window (or outside the only one).

use super::prelude::*;
use crate::oracle::at;

/// WINDOW.
pub(crate) const RULE: Rule = Rule::new(&Window);

const REQUIREMENT: Requirement = Requirement {
    id: "WINDOW",
    text: "A first run at time T imports exactly the items captured in [T - 24 h, T).",
    check: "items of the first run's window are imported; items captured before it (or at or after T, in a one-run \
                scenario) are not",
    scenarios: &["window", "realistic-day"],
};

struct Window;

/// An item captured outside every run's window is WINDOW's when it lies before the first window
/// or there is only one; INCREMENTAL's otherwise.
pub(crate) fn before_or_only(j: &Judging<'_>, captured_ms: i64) -> bool {
    let before = j.oracle.start_ms().is_none_or(|s| captured_ms < s);
    before || j.oracle.windows.len() <= 1
}

/// Where an item captured outside every run's window is expected: nowhere.
pub(crate) fn outside_the_windows(j: &Judging<'_>) -> String {
    let span = match (j.oracle.start_ms(), j.oracle.end_ms()) {
        (Some(s), Some(t)) => format!("[{}, {})", at(s), at(t)),
        _ => "(no completed run)".into(),
    };
    format!("nowhere: captured outside the runs' windows {span}")
}

impl Check for Window {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        j.count(j.expected_items().filter(|e| e.window == Some(0)).count(), "items in the first window")
    }

    fn attribution_rank(&self) -> Option<u16> {
        Some(90)
    }

    fn missing(&self, j: &Judging<'_>, d: &Missing<'_>) -> Option<Explained> {
        let (e, _) = d.item?;
        (d.in_a_gap(j) && e.window.unwrap_or(0) == 0).then(|| Explained::Finding(d.finding(j)))
    }

    fn unexpected(&self, j: &Judging<'_>, d: &Unexpected<'_>) -> Option<String> {
        let (e, item) = d.item?;
        (e.window.is_none() && before_or_only(j, item.captured_ms)).then(|| d.finding(j, &outside_the_windows(j)))
    }
}
