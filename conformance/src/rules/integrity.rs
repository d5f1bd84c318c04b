//! INTEGRITY: the catalogue entry, what counts as exercising it (items whose downloads the fault
//! plan corrupted, served as malformed bytes, or answered gone), its judging (such an item the
//! oracle expects nowhere is reported `malformed_item`), and what it explains: such an item
//! missing (a corruption that heals is imported after downloading again), or imported though its
//! downloads never gave it. A wrong copy of such an item is given to it by CONTENT's judging.

use std::collections::BTreeSet;

use super::prelude::*;
use tm_contract::{Api, FaultKind, Op};

/// INTEGRITY.
pub(crate) const RULE: Rule = Rule::new(&Integrity);

const REQUIREMENT: Requirement = Requirement {
    id: "INTEGRITY",
    text: "Corrupt or malformed bytes are never imported as the item: bytes that do not match the listed sha256 are \
           downloaded again, then reported `malformed_item`; bytes that are no RFC 5322 message or have no Message-ID, \
           and an item gone since it was listed (404, 410), are reported `malformed_item`, never silently missing.",
    check: "every item a corrupt, malformed or gone fault hit is in the tenant only with the archive's sha256 and size \
            (a corruption that healed), or, when its downloads never gave it, in no mailbox and reported \
            malformed_item",
    scenarios: &["integrity"],
};

struct Integrity;

/// Items whose downloads the fault plan corrupted, served malformed, or answered gone.
pub(crate) fn hit<'j>(j: &'j Judging<'_>) -> &'j BTreeSet<String> {
    &j.observed(RULE).items
}

/// What the journal says the faults did to an item's downloads (`body corrupted, same length`, …).
fn what_happened(j: &Judging<'_>, id: &str) -> String {
    let said: BTreeSet<String> = j
        .exec
        .journal
        .iter()
        .filter(|e| e.item_id.as_deref() == Some(id))
        .filter_map(|e| e.fault.as_ref().filter(|f| is_integrity(&f.kind)).map(|f| f.to_string()))
        .collect();
    said.into_iter().collect::<Vec<_>>().join("; ")
}

fn is_integrity(kind: &FaultKind) -> bool {
    matches!(kind, FaultKind::Corrupt | FaultKind::Malformed(_) | FaultKind::Gone { .. })
}

impl Check for Integrity {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        j.count(hit(j).len(), "items whose downloads were corrupt, malformed or gone")
    }

    /// The items whose download the journal shows corrupt, malformed or gone.
    fn observe(&self, j: &Judging<'_>) -> Observed {
        let mut items = BTreeSet::new();
        for e in &j.exec.journal {
            let (Some(fault), Some(id)) = (&e.fault, e.item_id.as_ref()) else { continue };
            if e.api == Api::Vendor && e.op == Op::Raw && is_integrity(&fault.kind) {
                items.insert(id.clone());
            }
        }
        Observed { items, ..Observed::default() }
    }

    /// An item whose downloads never gave it is reported `malformed_item`.
    fn judge(&self, j: &Judging<'_>, out: &mut Findings) {
        if !j.exec.has_reports() {
            return;
        }
        for id in hit(j) {
            let never_whole = j.oracle.items.get(id).is_some_and(|e| e.outcome == Outcome::Malformed);
            if never_whole && !j.reported.get(id).is_some_and(|r| r.contains("malformed_item")) {
                out.add(
                    RULE,
                    format!(
                        "{}: its downloads never gave the item ({}); expected reported malformed_item, found {}",
                        j.describe(id),
                        what_happened(j, id),
                        j.where_found(id)
                    ),
                );
            }
        }
    }

    fn attribution_rank(&self) -> Option<u16> {
        Some(25)
    }

    /// A corruption that heals is imported after downloading again.
    fn missing(&self, j: &Judging<'_>, d: &Missing<'_>) -> Option<Explained> {
        let (e, _) = d.item?;
        if d.anywhere || !hit(j).contains(d.id) {
            return None;
        }
        Some(Explained::Finding(format!(
            "{}: a download was corrupt ({}) and the next one whole; expected in {} ({}) with the archive's bytes, found {}",
            j.describe(d.id),
            what_happened(j, d.id),
            d.mailbox,
            j.why_expected(e, d.mailbox),
            j.where_found(d.id)
        )))
    }

    /// Imported, though its downloads never gave the item.
    fn unexpected(&self, j: &Judging<'_>, d: &Unexpected<'_>) -> Option<String> {
        let (e, _) = d.item?;
        (e.outcome == Outcome::Malformed).then(|| {
            let what = what_happened(j, d.id);
            let what = if what.is_empty() { "a corrupt, malformed or gone item per the scenario".to_string() } else { what };
            d.finding(j, &format!("nowhere and reported malformed_item: its downloads never gave the item ({what})"))
        })
    }
}
