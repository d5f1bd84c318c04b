//! INCREMENTAL: the catalogue entry, and what counts as exercising it.

use super::prelude::*;

/// INCREMENTAL in the catalogue.
pub const REQUIREMENT: Requirement = Requirement {
    rule: Rule::Incremental,
    text: "Later runs continue from where the last completed run ended: no gap, no duplicate, also after a missed day or a \
               run that crashed half-way.",
    check: "items between the first window and the last run are imported, across missed days and killed runs; \
                duplicates are judged under DEDUP",
    scenarios: &["incremental", "multi-day", "dedup"],
};

/// What in this scenario exercises INCREMENTAL (or why nothing does).
pub(crate) fn exercised(j: &Judging<'_>) -> Result<String, String> {
    j.count(j.expected_items().filter(|e| e.window.is_some_and(|w| w > 0)).count(), "items in later windows")
}
