//! RECALL: the catalogue entry, what counts as exercising it, and what it explains: a missing
//! recall or recalled original that the connector skipped.

use super::prelude::*;
use crate::oracle::ItemFacts;

/// RECALL.
pub(crate) const RULE: Rule = Rule::new(&Recall);

const REQUIREMENT: Requirement = Requirement {
    id: "RECALL",
    text: "A recall is archived as its own item; the recalled original is archived too (nothing is removed or rewritten).",
    check: "recall items and the items they recall are both imported where their participants route",
    scenarios: &["recall", "realistic-day"],
};

struct Recall;

/// A recall, or an item a recall recalls.
pub(crate) fn concerns(item: &ItemFacts) -> bool {
    item.kind == Kind::Recall || item.recalled
}

impl Check for Recall {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        j.count(
            j.facts.items.iter().filter(|f| f.kind == Kind::Recall && matches!(j.oracle.items[&f.id].outcome, Outcome::Deliver(_))).count(),
            "recalls",
        )
    }

    fn attribution_rank(&self) -> Option<u16> {
        Some(80)
    }

    /// A recall (or recalled original) skipped, where the listing around it was processed.
    fn missing(&self, j: &Judging<'_>, d: &Missing<'_>) -> Option<Explained> {
        let (_, item) = d.item?;
        (d.skipped() && !d.in_a_gap(j) && concerns(item)).then(|| Explained::Finding(d.finding(j)))
    }
}
