//! RECALL: the catalogue entry, and what counts as exercising it.

use super::prelude::*;

/// RECALL in the catalogue.
pub const REQUIREMENT: Requirement = Requirement {
    rule: Rule::Recall,
    text: "A recall is archived as its own item; the recalled original is archived too (nothing is removed or rewritten).",
    check: "recall items and the items they recall are both imported where their participants route",
    scenarios: &["recall", "realistic-day"],
};

/// What in this scenario exercises RECALL (or why nothing does).
pub(crate) fn exercised(j: &Judging<'_>) -> Result<String, String> {
    j.count(
        j.facts.items.iter().filter(|f| f.kind == Kind::Recall && matches!(j.oracle.items[&f.id].outcome, Outcome::Deliver(_))).count(),
        "recalls",
    )
}
