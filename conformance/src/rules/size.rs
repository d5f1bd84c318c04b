//! SIZE: the catalogue entry, what counts as exercising it, its judging (unreported oversize
//! items), and what it explains: an item at the limit or wrongly refused as too large, missing;
//! an oversize item, found.

use super::prelude::*;

/// SIZE.
pub(crate) const RULE: Rule = Rule::new(&Size);

const REQUIREMENT: Requirement = Requirement {
    id: "SIZE",
    text: "An item whose raw size exceeds 10 MB = 10,485,760 bytes is not imported and is reported with reason \
               `item_too_large`; an item of exactly that size is imported. The connector never holds more than the limit \
               (+1 byte) of one item in memory, even when a source misreports `size`.",
    check: "items over 10,485,760 bytes (also when the listing under-reports them) are in no mailbox and reported \
                item_too_large; items of exactly 10,485,760 bytes are imported",
    scenarios: &["size", "report", "realistic-day"],
};

struct Size;

impl Check for Size {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        j.count(
            j.facts.items.iter().filter(|f| f.size >= MAX_ITEM_BYTES && j.oracle.items[&f.id].window.is_some()).count(),
            "items of 10,485,760 bytes or more",
        )
    }

    /// An item over the limit, imported nowhere, is named `item_too_large` by a report (or
    /// `user_mapping` when nobody routes it anyway).
    fn judge(&self, j: &Judging<'_>, out: &mut Findings) {
        for (id, e, item) in super::route_drop::unreported(j) {
            let reasons = j.reported.get(id);
            let has = |r: &str| reasons.is_some_and(|x| x.contains(r));
            let routes_nowhere = e.participants.iter().all(|p| p.route.is_none());
            if e.outcome == Outcome::TooLarge && !(has("item_too_large") || routes_nowhere && has("user_mapping")) {
                out.add(RULE, format!("{}: {} bytes, in no mailbox, but no report names it item_too_large", j.describe(id), item.size));
            }
        }
    }

    fn attribution_rank(&self) -> Option<u16> {
        Some(70)
    }

    /// Skipped although it is within the limit: reported `item_too_large`, or exactly at the
    /// limit where the listing around it was processed (a recall at the limit is RECALL's).
    fn missing(&self, j: &Judging<'_>, d: &Missing<'_>) -> Option<Explained> {
        let (_, item) = d.item?;
        let wrongly_too_large = d.reasons.contains("item_too_large") && item.size <= MAX_ITEM_BYTES;
        let at_the_limit = item.size == MAX_ITEM_BYTES && !super::recall::concerns(item);
        (d.skipped() && !d.in_a_gap(j) && (wrongly_too_large || at_the_limit)).then(|| Explained::Finding(d.finding(j)))
    }

    /// Over the limit: it should be nowhere.
    fn unexpected(&self, j: &Judging<'_>, d: &Unexpected<'_>) -> Option<String> {
        let (_, item) = d.item?;
        item.oversize().then(|| d.finding(j, &format!("nowhere: it is over {MAX_ITEM_BYTES} bytes (item_too_large)")))
    }
}
