//! LATE: the catalogue entry, what counts as exercising it, its judging and what it explains:
//! an item that reached the archive after the run whose window holds it (a phone offline) is
//! imported exactly once, by the first run after it arrived; items that expired at the vendor
//! (retention) before a run could list them are reported `source_expired` by that run.

use std::collections::BTreeSet;

use super::prelude::*;
use crate::oracle::{ExpiredRange, ItemExpectation, ItemFacts, at};
use crate::runner::stored;

/// LATE.
pub(crate) const RULE: Rule = Rule::new(&Late);

const REQUIREMENT: Requirement = Requirement {
    id: "LATE",
    text: "An item that reaches the archive late (captured before a run, archived after it) is imported exactly once, by \
               the first run after it arrived; items the vendor no longer holds when a run could first list them are reported \
               `source_expired`.",
    check: "with the archive's clock at each RUN_AT, items archived after the run whose window holds them are imported by the \
                first completed run after their `archived_at`, in no other run; each run that finds items expired reports their \
                sequence range (`expired:<first>-<last>`, reason `source_expired`) and no other",
    scenarios: &["late"],
};

struct Late;

/// The window that takes a late arrival: one it was captured before.
fn late_window(j: &Judging<'_>, e: &ItemExpectation, item: &ItemFacts) -> Option<usize> {
    e.window.filter(|w| item.captured_ms < j.oracle.windows[*w].from_ms)
}

/// Whether an item is a late arrival (a run's window holds it, captured before that window):
/// what a report leaves unsaid of it is LATE's when no run imported it (ROUTE-DROP hands it on).
pub(crate) fn concerns(j: &Judging<'_>, e: &ItemExpectation, item: &ItemFacts) -> bool {
    late_window(j, e, item).is_some()
}

impl Check for Late {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        let late = j.facts.items.iter().filter(|i| late_window(j, &j.oracle.items[&i.id], i).is_some()).count();
        let expired: usize = j.oracle.expired.iter().map(|r| r.ids.len()).sum();
        match (late, expired) {
            (0, 0) => Err("not exercised by this scenario (no late arrivals, nothing expired)".into()),
            (l, 0) => Ok(format!("{l} late arrivals")),
            (l, x) => Ok(format!("{l} late arrivals, {x} expired items")),
        }
    }

    fn attribution_rank(&self) -> Option<u16> {
        Some(85)
    }

    fn missing(&self, j: &Judging<'_>, d: &Missing<'_>) -> Option<Explained> {
        let (e, item) = d.item?;
        let w = late_window(j, e, item)?;
        d.silent().then(|| {
            let run = j.oracle.windows[w].run + 1;
            Explained::Finding(format!(
                "{} (archived {}, late): run {run} is the first after it arrived; {}",
                j.describe(d.id),
                at(item.archived_ms),
                d.finding(j)
            ))
        })
    }

    /// Late arrivals imported in their run only; expired ranges reported by the run that found
    /// them.
    fn judge(&self, j: &Judging<'_>, out: &mut Findings) {
        for item in &j.facts.items {
            if let Some(w) = late_window(j, &j.oracle.items[&item.id], item) {
                judge_timing(j, w, item, out);
            }
        }
        if j.exec.has_reports() {
            judge_expired(j, out);
        }
    }
}

/// A late arrival is imported by the run that takes it (or a killed run just before it).
fn judge_timing(j: &Judging<'_>, w: usize, item: &ItemFacts, out: &mut Findings) {
    let expected = j.oracle.windows[w].run;
    let earliest = w.checked_sub(1).map_or(0, |p| j.oracle.windows[p].run + 1);
    for run in &j.exec.runs {
        let imported = j.exec.journal[run.journal.clone()].iter().any(|e| stored(e) && e.item_id.as_deref() == Some(item.id.as_str()));
        if imported && !(earliest..=expected).contains(&run.index) {
            out.add(
                RULE,
                format!(
                    "{} (archived {}): imported by run {}, but run {} is the first after it arrived",
                    j.describe(&item.id),
                    at(item.archived_ms),
                    run.index + 1,
                    expected + 1
                ),
            );
        }
    }
}

/// Each expected range in its run's report; no other `source_expired` failure.
fn judge_expired(j: &Judging<'_>, out: &mut Findings) {
    let want: BTreeSet<(usize, String)> = j.oracle.expired.iter().map(|r| (j.oracle.windows[r.window].run, r.failure_id())).collect();
    let mut have = BTreeSet::new();
    for run in j.exec.runs.iter().filter(|r| r.outcome == RunOutcome::Completed) {
        if let ReportFile::Parsed(report) = &run.report {
            have.extend(report.failures.iter().filter(|f| f.reason == "source_expired").map(|f| (run.index, f.item_id.clone())));
        }
    }
    for range in &j.oracle.expired {
        let key = (j.oracle.windows[range.window].run, range.failure_id());
        if !have.contains(&key) {
            out.add(RULE, format!("run {}: {} not reported `source_expired` ({})", key.0 + 1, describe(range), key.1));
        }
    }
    for (run, id) in have.difference(&want) {
        out.add(RULE, format!("run {}: reports `source_expired` {id}, which the oracle does not expect", run + 1));
    }
}

fn describe(range: &ExpiredRange) -> String {
    format!("{} items (seq {} to {}) expired before the run could list them", range.ids.len(), range.first_seq, range.last_seq)
}
