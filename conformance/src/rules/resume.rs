//! RESUME: the catalogue entry, and what counts as exercising it.

use super::prelude::*;

/// RESUME in the catalogue.
pub const REQUIREMENT: Requirement = Requirement {
    rule: Rule::Resume,
    text: "After a vendor outage or a connection reset the run may fail, but the next run finishes the job: nothing lost, \
               nothing duplicated.",
    check: "the last run completes; every item of a window whose run failed is where the contract puts it, once; no item \
                whose transfer was reset is in a mailbox twice",
    scenarios: &["resume", "soak"],
};

/// What in this scenario exercises RESUME (or why nothing does).
pub(crate) fn exercised(j: &Judging<'_>) -> Result<String, String> {
    {
        let resumed = j
            .exec
            .runs
            .iter()
            .filter(|r| matches!(r.outcome, RunOutcome::Failed(_) | RunOutcome::TimedOut))
            .filter(|r| j.exec.runs[r.index + 1..].iter().any(|n| n.outcome == RunOutcome::Completed))
            .count();
        j.count(resumed + j.reset.len(), "failed runs resumed and items whose transfer was reset")
    }
}
