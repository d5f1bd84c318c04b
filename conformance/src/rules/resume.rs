//! RESUME: the catalogue entry, what counts as exercising it, what it concerns (items whose
//! transfer was reset, runs that failed), its judging (the last run completes), and what it
//! explains: a delivery missing from the window of a failed run. A duplicate after a reset or a
//! failed run is given to it by DEDUP's judging.

use std::collections::BTreeSet;

use super::prelude::*;
use crate::oracle::ItemExpectation;
use tm_contract::{Api, FaultKind, Op};

/// RESUME.
pub(crate) const RULE: Rule = Rule::new(&Resume);

const REQUIREMENT: Requirement = Requirement {
    id: "RESUME",
    text: "After a vendor outage or a connection reset the run may fail, but the next run finishes the job: nothing lost, \
               nothing duplicated.",
    check: "the last run completes; every item of a window whose run failed is where the contract puts it, once; no item \
                whose transfer was reset is in a mailbox twice",
    scenarios: &["resume", "soak"],
};

struct Resume;

/// Items whose download or import the fault plan reset.
pub(crate) fn reset<'j>(j: &'j Judging<'_>) -> &'j BTreeSet<String> {
    &j.observed(RULE).items
}

/// The item lies in the window of a run that failed (under the fault plan).
pub(crate) fn in_failed_window(j: &Judging<'_>, e: &ItemExpectation) -> bool {
    e.window.is_some_and(|w| j.observed(RULE).runs.contains(&j.oracle.windows[w].run))
}

impl Check for Resume {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        let resumed = j
            .exec
            .runs
            .iter()
            .filter(|r| matches!(r.outcome, RunOutcome::Failed(_) | RunOutcome::TimedOut))
            .filter(|r| j.exec.runs[r.index + 1..].iter().any(|n| n.outcome == RunOutcome::Completed))
            .count();
        j.count(resumed + reset(j).len(), "failed runs resumed and items whose transfer was reset")
    }

    /// The items whose transfer the journal shows reset, and the runs (0-based) that failed.
    fn observe(&self, j: &Judging<'_>) -> Observed {
        let mut items = BTreeSet::new();
        for e in &j.exec.journal {
            let (Some(fault), Some(id)) = (&e.fault, e.item_id.as_ref()) else { continue };
            let download = e.api == Api::Vendor && e.op == Op::Raw;
            if (download || (e.api == Api::Tenant && e.op == Op::Import)) && fault.kind == FaultKind::Reset {
                items.insert(id.clone());
            }
        }
        let runs =
            j.exec.runs.iter().filter(|r| matches!(r.outcome, RunOutcome::Failed(_) | RunOutcome::TimedOut)).map(|r| r.index).collect();
        Observed { items, runs, ..Observed::default() }
    }

    /// Under a fault plan, the last run must complete: nothing resumes after it.
    fn judge(&self, j: &Judging<'_>, out: &mut Findings) {
        if j.exec.has_faults()
            && let Some(last) = j.exec.runs.last()
            && last.kill_after_imports.is_none()
            && last.outcome != RunOutcome::Completed
        {
            let msg =
                format!("the last run (run {}) did not complete: {}; nothing resumes after it", last.index + 1, last.outcome.describe());
            out.add(RULE, msg);
        }
    }

    fn attribution_rank(&self) -> Option<u16> {
        Some(60)
    }

    fn missing(&self, j: &Judging<'_>, d: &Missing<'_>) -> Option<Explained> {
        let (e, _) = d.item?;
        let w = e.window.filter(|_| in_failed_window(j, e))?;
        let run = j.oracle.windows[w].run + 1;
        Some(Explained::Finding(format!("{} (run {run}, whose window holds it, failed; no later run imported it)", d.finding(j))))
    }
}
