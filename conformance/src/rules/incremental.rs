//! INCREMENTAL: the catalogue entry, what counts as exercising it, and what it explains: a
//! missing item of a later window in a gap of the listing, and a copy of an item captured
//! outside the windows after the first.

use super::prelude::*;
use super::window::{before_or_only, outside_the_windows};

/// INCREMENTAL.
pub(crate) const RULE: Rule = Rule::new(&Incremental);

const REQUIREMENT: Requirement = Requirement {
    id: "INCREMENTAL",
    text: "Later runs continue from where the last completed run ended: no gap, no duplicate, also after a missed day or a \
               run that crashed half-way.",
    check: "items between the first window and the last run are imported, across missed days and killed runs; \
                duplicates are judged under DEDUP",
    scenarios: &["incremental", "multi-day", "dedup"],
};

struct Incremental;

impl Check for Incremental {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        j.count(j.expected_items().filter(|e| e.window.is_some_and(|w| w > 0)).count(), "items in later windows")
    }

    fn attribution_rank(&self) -> Option<u16> {
        Some(100)
    }

    /// Missing in a gap of a later window; or cut short by a killed run (the item reached some
    /// of its mailboxes) and never downloaded again: the run after the kill did not cover the
    /// killed run's window again.
    fn missing(&self, j: &Judging<'_>, d: &Missing<'_>) -> Option<Explained> {
        let (e, _) = d.item?;
        let later = e.window.unwrap_or(0) != 0;
        (later && (d.in_a_gap(j) || d.anywhere && only_killed_runs_downloaded(j, d.id))).then(|| Explained::Finding(d.finding(j)))
    }

    fn unexpected(&self, j: &Judging<'_>, d: &Unexpected<'_>) -> Option<String> {
        let (e, item) = d.item?;
        (e.window.is_none() && !before_or_only(j, item.captured_ms)).then(|| d.finding(j, &outside_the_windows(j)))
    }
}

/// Whether the item was downloaded, and only by runs the suite killed.
fn only_killed_runs_downloaded(j: &Judging<'_>, id: &str) -> bool {
    let downloaded_in = |run: &crate::runner::RunRecord| {
        j.exec.requests[run.requests.clone()].iter().any(|q| q.op == tm_contract::Op::Raw && q.item_id.as_deref() == Some(id))
    };
    let mut by = j.exec.runs.iter().filter(|r| downloaded_in(r)).peekable();
    by.peek().is_some() && by.all(|r| r.outcome == RunOutcome::Killed)
}
