//! TRUNCATION: the catalogue entry, what counts as exercising it, the items it concerns (whose
//! download the fault plan cut), and what it explains: such an item missing, unless a report
//! names it. A wrong copy of such an item is given to it by CONTENT's judging.

use std::collections::BTreeSet;

use super::prelude::*;
use tm_contract::{Api, FaultKind, Op};

/// TRUNCATION.
pub(crate) const RULE: Rule = Rule::new(&Truncation);

const REQUIREMENT: Requirement = Requirement {
    id: "TRUNCATION",
    text: "An item whose download was truncated or reset is never imported as if whole: it is imported with the archive's \
               bytes (after downloading it again) or reported failed.",
    check: "every item whose download the fault plan cut is in the tenant only with the archive's sha256 and size, or in no \
                mailbox and named by a report",
    scenarios: &["truncation", "soak"],
};

struct Truncation;

/// Items whose download the fault plan truncated or reset.
pub(crate) fn cut<'j>(j: &'j Judging<'_>) -> &'j BTreeSet<String> {
    &j.observed(RULE).items
}

impl Check for Truncation {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        j.count(cut(j).len(), "items whose download was cut short")
    }

    /// The items whose download the journal shows truncated or reset.
    fn observe(&self, j: &Judging<'_>) -> Observed {
        let mut items = BTreeSet::new();
        for e in &j.exec.journal {
            let (Some(fault), Some(id)) = (&e.fault, e.item_id.as_ref()) else { continue };
            let download = e.api == Api::Vendor && e.op == Op::Raw;
            if download && matches!(fault.kind, FaultKind::Truncate { .. } | FaultKind::Reset) {
                items.insert(id.clone());
            }
        }
        Observed { items, ..Observed::default() }
    }

    fn attribution_rank(&self) -> Option<u16> {
        Some(20)
    }

    /// A cut item may be reported failed rather than imported; never lost silently.
    fn missing(&self, j: &Judging<'_>, d: &Missing<'_>) -> Option<Explained> {
        let (e, _) = d.item?;
        if d.anywhere || !cut(j).contains(d.id) {
            return None;
        }
        if !d.reasons.is_empty() {
            return Some(Explained::Allowed);
        }
        Some(Explained::Finding(format!(
            "{}: its download was cut short; expected in {} ({}) with the archive's bytes, or reported failed; found {}",
            j.describe(d.id),
            d.mailbox,
            j.why_expected(e, d.mailbox),
            j.where_found(d.id)
        )))
    }
}
