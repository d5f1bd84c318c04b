//! SIZE: the catalogue entry, and what counts as exercising it.

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
