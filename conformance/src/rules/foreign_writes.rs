//! FOREIGN-WRITES: the catalogue entry, which mailboxes it concerns, and what counts as
//! exercising it. A duplicate or a missing copy in a mailbox another program wrote into is
//! attributed here (`dedup.rs`, and `judge.rs` `compare`): a connector whose exactly-once rests
//! on the folder's count (not on asking for the item's `internetMessageId`) is fooled there.

use std::collections::BTreeSet;

use tm_contract::{Api, Op};

use super::prelude::*;

/// FOREIGN-WRITES in the catalogue.
pub const REQUIREMENT: Requirement = Requirement {
    rule: Rule::ForeignWrites,
    text: "Others may write into `WeChat Archiver` too (a retention tool, a second connector), during a run and between \
               runs: every item is still imported exactly once, and the others' messages are left alone.",
    check: "in a mailbox the scenario's `foreign_write` faults wrote into, no item is imported twice and none is missing; \
                the foreign messages are not judged (the digest leaves them out)",
    scenarios: &["foreign-writes"],
};

/// Mailboxes (addresses) another program wrote into during the runs.
pub(crate) fn written_into(j: &Judging<'_>) -> BTreeSet<String> {
    j.exec.journal.iter().filter(|e| e.api == Api::Tenant && e.op == Op::ForeignWrite).filter_map(|e| e.mailbox.clone()).collect()
}

/// Whether another program wrote into `mailbox`.
pub(crate) fn concerns(j: &Judging<'_>, mailbox: &str) -> bool {
    j.foreign_written.iter().any(|m| tm_contract::same_address(m, mailbox))
}

/// What in this scenario exercises FOREIGN-WRITES (or why nothing does).
pub(crate) fn exercised(j: &Judging<'_>) -> Result<String, String> {
    let n = j.exec.journal.iter().filter(|e| e.api == Api::Tenant && e.op == Op::ForeignWrite).count();
    j.count(n, "messages written into `WeChat Archiver` by another program")
}
