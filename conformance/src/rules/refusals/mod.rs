//! What TENANT-LIMIT, SCOPE and QUOTA share (in a folder of its own: it is no rule file, and the
//! registry test counts the files beside `mod.rs`): the deliveries the oracle expects the tenant to
//! refuse, whether the runs' reports name them `sink_rejected` for their mailbox, and how many of
//! a run's requests the tenant refused for a mailbox (a connector that keeps asking a mailbox
//! that refused it makes a request storm).

use std::collections::BTreeMap;

use tm_contract::Api;

use super::prelude::*;
use crate::oracle::Refusal;

/// Requests the tenant may refuse for one mailbox in one run (for the scope or the quota) before
/// the connector is asking it "for every item": a folder lookup, a create, a retry or two.
pub(crate) const REFUSALS_PER_RUN: usize = 5;

/// Import requests answered 413 per delivery over the cap, in one run: the request, and one more
/// (a connector that is not told the cap by the listing may try it once again).
pub(crate) const REQUESTS_PER_OVER_CAP_DELIVERY: usize = 2;

/// The expected refusals of one kind: (item id, mailbox, index of the window).
pub(crate) fn expected<'j>(j: &'j Judging<'_>, kind: Refusal) -> Vec<(&'j str, &'j str, usize)> {
    j.oracle
        .items
        .iter()
        .flat_map(|(id, e)| {
            e.refused.iter().filter(move |(_, r)| **r == kind).filter_map(move |(m, _)| Some((id.as_str(), m.as_str(), e.window?)))
        })
        .collect()
}

/// Whether some run's report names the item `sink_rejected` for the mailbox.
pub(crate) fn reported(j: &Judging<'_>, id: &str, mailbox: &str) -> bool {
    j.exec.runs.iter().any(|r| match &r.report {
        ReportFile::Parsed(p) => p.failures.iter().any(|f| {
            f.item_id == id && f.reason == "sink_rejected" && f.mailbox.as_deref().is_some_and(|m| tm_contract::same_address(m, mailbox))
        }),
        _ => false,
    })
}

/// Findings for expected refusals of `kind` that no report names (only where a report was
/// written: without reports, REPORT is skipped and so is this), for items in the window a
/// completed run reported (what no run covered is INCREMENTAL's gap). Each goes to `rule`, but
/// one whose item the reports name otherwise (`sink_rejected` for another mailbox, or routed
/// nowhere: the delivery to this mailbox was never tried) goes to ROUTE-FANOUT, where `fanout`
/// says so (the request cap refuses an item for every mailbox alike).
pub(crate) fn unreported(j: &Judging<'_>, kind: Refusal, why: &str, rule: Rule, fanout: bool, out: &mut Findings) {
    if !j.exec.has_reports() {
        return;
    }
    let covered = super::route_drop::covered(j);
    for (id, m, _) in expected(j, kind) {
        let in_covered = j.facts.get(id).is_some_and(|f| covered.iter().any(|(a, b)| *a <= f.captured_ms && f.captured_ms < *b));
        if !in_covered || reported(j, id, m) {
            continue;
        }
        // Reported, but not for this mailbox (for another, or routed nowhere): not tried here.
        let elsewhere = j.reported.contains_key(id);
        let finding = format!("{}: {why} {m}, in no mailbox, but no report names it sink_rejected for {m}", j.describe(id));
        if fanout && elsewhere {
            out.add(super::route_fanout::RULE, format!("{finding} (it is reported otherwise: this delivery was not tried)"));
        } else {
            out.add(rule, finding);
        }
    }
}

/// Whether the run of window `w` completed.
pub(crate) fn completed(j: &Judging<'_>, w: usize) -> bool {
    let run = j.oracle.windows[w].run;
    j.exec.runs.get(run).is_some_and(|r| r.outcome == RunOutcome::Completed)
}

/// Per run (0-based) and mailbox, the tenant requests answered with a status `refused` accepts.
pub(crate) fn refused_requests(j: &Judging<'_>, refused: impl Fn(u16) -> bool) -> BTreeMap<(usize, String), usize> {
    let mut out = BTreeMap::new();
    for r in &j.exec.runs {
        for q in &j.exec.requests[r.requests.clone()] {
            if q.api == Api::Tenant
                && refused(q.status)
                && let Some(m) = &q.mailbox
            {
                *out.entry((r.index, m.to_ascii_lowercase())).or_insert(0) += 1;
            }
        }
    }
    out
}

/// Findings for runs that asked a refusing mailbox more than [`REFUSALS_PER_RUN`] times.
pub(crate) fn storms(j: &Judging<'_>, kind: Refusal, status: impl Fn(u16) -> bool, what: &str) -> Vec<String> {
    let mailboxes: std::collections::BTreeSet<String> = expected(j, kind).into_iter().map(|(_, m, _)| m.to_ascii_lowercase()).collect();
    refused_requests(j, status)
        .into_iter()
        .filter(|((_, m), n)| mailboxes.contains(m) && *n > REFUSALS_PER_RUN)
        .map(|((run, m), n)| {
            format!(
                "run {}: {n} requests to {m} refused ({what}), more than {REFUSALS_PER_RUN}: the mailbox was asked again and again",
                run + 1
            )
        })
        .collect()
}

/// A finding when a run of a scenario with expected refusals of `kind` did not complete.
pub(crate) fn stopped_runs(j: &Judging<'_>, kind: Refusal, what: &str) -> Vec<String> {
    let windows: std::collections::BTreeSet<usize> = expected(j, kind).into_iter().map(|(_, _, w)| w).collect();
    windows
        .into_iter()
        .map(|w| j.oracle.windows[w].run)
        .filter_map(|run| {
            let r = j.exec.runs.get(run)?;
            (r.outcome != RunOutcome::Completed)
                .then(|| format!("run {}: {} after {what}: the run must go on", run + 1, r.outcome.describe()))
        })
        .collect()
}

/// The refusal the oracle expects for a missing delivery's mailbox in a scenario where `kind` is
/// expected, when the run that should have delivered it stopped: the missing delivery is the
/// refusing rule's.
pub(crate) fn missing_after_stop(j: &Judging<'_>, d: &Missing<'_>, kind: Refusal) -> Option<Explained> {
    let (e, _) = d.item?;
    let w = e.window?;
    let stopped = !completed(j, w) && j.exec.runs.get(j.oracle.windows[w].run).is_some_and(|r| r.kill_after_imports.is_none());
    (stopped && expected(j, kind).iter().any(|(_, _, x)| *x == w)).then(|| Explained::Finding(d.finding(j)))
}

/// Whether the oracle expects the mailbox to refuse some delivery (of any kind).
pub(crate) fn refuses(j: &Judging<'_>, mailbox: &str) -> bool {
    j.oracle.items.values().any(|e| e.refused.keys().any(|m| tm_contract::same_address(m, mailbox)))
}
