//! SIZE: the catalogue entry, what counts as exercising it, and its judging: unreported oversize
//! items here, and the words and tests the judge's attribution uses for SIZE.

use super::prelude::*;

/// SIZE in the catalogue.
pub const REQUIREMENT: Requirement = Requirement {
    rule: Rule::Size,
    text: "An item whose raw size exceeds 10 MB = 10,485,760 bytes is not imported and is reported with reason \
               `item_too_large`; an item of exactly that size is imported. The connector never holds more than the limit \
               (+1 byte) of one item in memory, even when a source misreports `size`.",
    check: "items over 10,485,760 bytes (also when the listing under-reports them) are in no mailbox and reported \
                item_too_large; items of exactly 10,485,760 bytes are imported",
    scenarios: &["size", "report", "realistic-day"],
};

/// What in this scenario exercises SIZE (or why nothing does).
pub(crate) fn exercised(j: &Judging<'_>) -> Result<String, String> {
    j.count(
        j.facts.items.iter().filter(|f| f.size >= MAX_ITEM_BYTES && j.oracle.items[&f.id].window.is_some()).count(),
        "items of 10,485,760 bytes or more",
    )
}

/// SIZE reporting: an item over the limit, imported nowhere, is named `item_too_large` by a report
/// (or `user_mapping` when nobody routes it anyway).
pub(crate) fn judge_unreported(j: &mut Judging<'_>) {
    let mut findings = Vec::new();
    for (id, e, item) in super::route_drop::unreported(j) {
        let reasons = j.reported.get(id);
        let has = |r: &str| reasons.is_some_and(|x| x.contains(r));
        let routes_nowhere = e.participants.iter().all(|p| p.route.is_none());
        if e.outcome == Outcome::TooLarge && !(has("item_too_large") || routes_nowhere && has("user_mapping")) {
            findings.push(format!("{}: {} bytes, in no mailbox, but no report names it item_too_large", j.describe(id), item.size));
        }
    }
    for msg in findings {
        j.add(Rule::Size, msg);
    }
}

/// An item exactly at the limit: one whose absence is SIZE's (it must be imported).
pub(crate) fn at_the_limit(size: u64) -> bool {
    size == MAX_ITEM_BYTES
}

/// An item reported `item_too_large` although it is within the limit: SIZE's.
pub(crate) fn wrongly_too_large(reasons: &std::collections::BTreeSet<String>, size: u64) -> bool {
    reasons.contains("item_too_large") && size <= MAX_ITEM_BYTES
}

/// Why an oversize item found in a mailbox should be nowhere.
pub(crate) fn oversize_found() -> String {
    format!("nowhere: it is over {MAX_ITEM_BYTES} bytes (item_too_large)")
}
