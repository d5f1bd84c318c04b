//! DEDUP: the catalogue entry, what counts as exercising it, and its judging.

use super::prelude::*;

/// DEDUP.
pub(crate) const RULE: Rule = Rule::new(&Dedup);

const REQUIREMENT: Requirement = Requirement {
    id: "DEDUP",
    text: "An item is never imported twice into the same mailbox (re-runs, repeated listings, retries).",
    check: "no mailbox holds the same item id twice, in any folders",
    scenarios: &["dedup", "incremental", "multi-day"],
};

struct Dedup;

impl Check for Dedup {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        let reruns = j.exec.runs.len() > 1;
        if reruns {
            j.count(j.delivered(), "items imported over several runs")
        } else {
            Err("not exercised by this scenario (one run)".into())
        }
    }

    /// No mailbox holds an item twice; a duplicate where another program wrote is
    /// FOREIGN-WRITES', one after a reset or a failed run RESUME's.
    fn judge(&self, j: &Judging<'_>, out: &mut Findings) {
        let reset = super::resume::reset(j);
        for ((mailbox, id), n) in j.actual.deliveries() {
            if n > 1 {
                let folders = j.found.get(&id).and_then(|m| m.get(&mailbox)).cloned().unwrap_or_default().join(", ");
                let resumed = reset.contains(&id) || j.oracle.items.get(&id).is_some_and(|e| super::resume::in_failed_window(j, e));
                let (rule, why) = if super::foreign_writes::concerns(j, &mailbox) {
                    (super::foreign_writes::RULE, " (another program wrote into this mailbox's folder)")
                } else if resumed {
                    (super::resume::RULE, if reset.contains(&id) { " after a connection reset" } else { " after a failed run" })
                } else {
                    (RULE, "")
                };
                out.add(rule, format!("{}: imported {n} times into {mailbox}{why} (folders: {folders})", j.describe(&id)));
            }
        }
    }
}
