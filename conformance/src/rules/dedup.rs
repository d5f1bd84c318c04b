//! DEDUP: the catalogue entry, and what counts as exercising it.

use super::prelude::*;

/// DEDUP in the catalogue.
pub const REQUIREMENT: Requirement = Requirement {
    rule: Rule::Dedup,
    text: "An item is never imported twice into the same mailbox (re-runs, repeated listings, retries).",
    check: "no mailbox holds the same item id twice, in any folders",
    scenarios: &["dedup", "incremental", "multi-day"],
};

/// What in this scenario exercises DEDUP (or why nothing does).
pub(crate) fn exercised(j: &Judging<'_>) -> Result<String, String> {
    {
        let reruns = j.exec.runs.len() > 1;
        if reruns {
            j.count(j.delivered(), "items imported over several runs")
        } else {
            Err("not exercised by this scenario (one run)".into())
        }
    }
}

/// DEDUP: no mailbox holds an item twice; a duplicate where another program wrote is
/// FOREIGN-WRITES', one after a reset or a failed run RESUME's.
pub(crate) fn judge(j: &mut Judging<'_>) {
    for ((mailbox, id), n) in j.actual.deliveries() {
        if n > 1 {
            let folders = j.found.get(&id).and_then(|m| m.get(&mailbox)).cloned().unwrap_or_default().join(", ");
            let resumed = j.reset.contains(&id) || j.oracle.items.get(&id).is_some_and(|e| j.in_failed_window(e));
            let (rule, why) = if super::foreign_writes::concerns(j, &mailbox) {
                (Rule::ForeignWrites, " (another program wrote into this mailbox's folder)")
            } else if resumed {
                (Rule::Resume, if j.reset.contains(&id) { " after a connection reset" } else { " after a failed run" })
            } else {
                (Rule::Dedup, "")
            };
            j.add(rule, format!("{}: imported {n} times into {mailbox}{why} (folders: {folders})", j.describe(&id)));
        }
    }
}
