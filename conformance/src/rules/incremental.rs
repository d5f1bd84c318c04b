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

    fn missing(&self, j: &Judging<'_>, d: &Missing<'_>) -> Option<Explained> {
        let (e, _) = d.item?;
        (d.in_a_gap(j) && e.window.unwrap_or(0) != 0).then(|| Explained::Finding(d.finding(j)))
    }

    fn unexpected(&self, j: &Judging<'_>, d: &Unexpected<'_>) -> Option<String> {
        let (e, item) = d.item?;
        (e.window.is_none() && !before_or_only(j, item.captured_ms)).then(|| d.finding(j, &outside_the_windows(j)))
    }
}
