//! FOREIGN-WRITES: the catalogue entry, which mailboxes it concerns, what counts as exercising
//! it, and what it explains: a missing copy in a mailbox another program wrote into. A duplicate
//! there, or an import count it threw off, is given to it by DEDUP's and REPORT's judging: a
//! connector whose exactly-once rests on the folder's count (not on asking for the item's
//! `internetMessageId`) is fooled there.

use tm_contract::{Api, Op};

use super::prelude::*;

/// FOREIGN-WRITES.
pub(crate) const RULE: Rule = Rule::new(&ForeignWrites);

const REQUIREMENT: Requirement = Requirement {
    id: "FOREIGN-WRITES",
    text: "Others may write into `WeChat Archiver` too (a retention tool, a second connector), during a run and between \
               runs: every item is still imported exactly once, and the others' messages are left alone.",
    check: "in a mailbox the scenario's `foreign_write` faults wrote into, no item is imported twice and none is missing; \
                the foreign messages are not judged (the digest leaves them out)",
    scenarios: &["foreign-writes"],
};

struct ForeignWrites;

/// Whether another program wrote into `mailbox`.
pub(crate) fn concerns(j: &Judging<'_>, mailbox: &str) -> bool {
    j.observed(RULE).mailboxes.iter().any(|m| tm_contract::same_address(m, mailbox))
}

impl Check for ForeignWrites {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        let n = j.exec.journal.iter().filter(|e| e.api == Api::Tenant && e.op == Op::ForeignWrite).count();
        j.count(n, "messages written into `WeChat Archiver` by another program")
    }

    /// The mailboxes (addresses) another program wrote into during the runs.
    fn observe(&self, j: &Judging<'_>) -> Observed {
        let mailboxes =
            j.exec.journal.iter().filter(|e| e.api == Api::Tenant && e.op == Op::ForeignWrite).filter_map(|e| e.mailbox.clone()).collect();
        Observed { mailboxes, ..Observed::default() }
    }

    fn attribution_rank(&self) -> Option<u16> {
        Some(50)
    }

    fn missing(&self, j: &Judging<'_>, d: &Missing<'_>) -> Option<Explained> {
        d.item?;
        concerns(j, d.mailbox).then(|| Explained::Finding(d.finding(j)))
    }
}
