//! REPORT: the catalogue entry, what counts as exercising it, and its judging: each completed
//! run's report against the tenant, the journal and the archive. Without any report it is not
//! judged (skipped, not passed).

use super::prelude::*;
use std::collections::BTreeSet;

use chrono::DateTime;

use crate::oracle::at;
use crate::runner::{RunRecord, RunReport, stored};

/// REPORT.
pub(crate) const RULE: Rule = Rule::new(&Report);

const REQUIREMENT: Requirement = Requirement {
    id: "REPORT",
    text: "The run report's counts add up (`imported + skipped_duplicate + failed` = deliveries attempted + items that \
               failed before routing) and every failure names item id, mailbox (or null) and reason.",
    check: "each completed run's report parses; `failed` equals the failures listed; `imported` equals the imports the \
                tenant saw; `skipped_duplicate` does not exceed what the tenant already held; `items` equals the items the \
                archive lists in the reported window and the late arrivals the run took (those it found already \
                delivered counted or not); every failure names an archive item, a valid mailbox or null, and a \
                contract reason. Skipped, not passed, when the connector writes no report",
    scenarios: &["report", "route-drop", "size", "realistic-day", "multi-day"],
};

struct Report;

impl Check for Report {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        if !j.exec.has_reports() {
            Err("skipped: the connector wrote no run report".into())
        } else {
            j.count(j.exec.runs.iter().filter(|r| matches!(r.report, ReportFile::Parsed(_))).count(), "reports")
        }
    }

    fn not_judged(&self, j: &Judging<'_>) -> Option<String> {
        (!j.exec.has_reports()).then(|| "the connector wrote no run report: judged on the tenant alone".to_string())
    }

    /// Each completed run's report parses and its counts and failures add up against the
    /// tenant, the journal and the archive.
    fn judge(&self, j: &Judging<'_>, out: &mut Findings) {
        let any = j.exec.has_reports();
        for run in j.exec.runs.iter().filter(|r| r.outcome == RunOutcome::Completed) {
            let n = run.index + 1;
            match &run.report {
                ReportFile::Missing if any => out.add(RULE, format!("run {n} completed but wrote no report")),
                ReportFile::Missing => {}
                ReportFile::Invalid(e) => out.add(RULE, format!("run {n}: the report is not a contract v3 report: {e}")),
                ReportFile::Parsed(report) => judge_report(j, run, report, out),
            }
        }
    }
}

/// One completed run's parsed report.
fn judge_report(j: &Judging<'_>, run: &RunRecord, report: &RunReport, out: &mut Findings) {
    let n = run.index + 1;
    let c = &report.counts;
    if c.failed != report.failures.len() as u64 {
        out.add(RULE, format!("run {n}: counts.failed is {} but {} failures are listed", c.failed, report.failures.len()));
    }
    let journal = &j.exec.journal[run.journal.clone()];
    let imports = journal.iter().filter(|e| stored(e)).count() as u64;
    if c.imported != imports {
        let msg = format!("run {n}: counts.imported is {} but the tenant received {imports} imports during the run", c.imported);
        // Imports the connector did not know it repeated, where another program's messages
        // fooled it, are FOREIGN-WRITES' (that rule names the duplicates).
        let mut seen = BTreeSet::new();
        let repeats = journal
            .iter()
            .filter(|e| stored(e) && e.mailbox.as_deref().is_some_and(|m| super::foreign_writes::concerns(j, m)))
            .filter(|e| !seen.insert((e.mailbox.clone(), e.item_id.clone())))
            .count() as u64;
        if c.imported < imports && imports - c.imported <= repeats {
            out.add(super::foreign_writes::RULE, format!("{msg} (it repeated {repeats} where another program wrote)"));
        } else {
            out.add(RULE, msg);
        }
    }
    let parse = |s: &str| DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_millis());
    match parse(&report.run_at) {
        Some(ms) if ms == run.at.timestamp_millis() => {}
        _ => out.add(RULE, format!("run {n}: run_at {:?} is not the RUN_AT given ({})", report.run_at, at(run.at.timestamp_millis()))),
    }
    match (parse(&report.window.from), parse(&report.window.to)) {
        (Some(from), Some(to)) if from <= to => judge_window(j, run, report, (from, to), out),
        _ => out.add(
            RULE,
            format!("run {n}: the window [{:?}, {:?}) is not a pair of RFC 3339 times in order", report.window.from, report.window.to),
        ),
    }
    judge_failures(j, run, report, out);
}

/// The counts of the items in a report's window, `[from, to)` in ms.
///
/// `counts.items` is the items the archive lists in the window at the run plus the late
/// arrivals the run took from the sequence: those it imported or reported, and, at the
/// connector's choice, those it found already delivered (captured before the window, held
/// before the run, arrived since the last completed run: a sequence cursor that did not move
/// past them, as after a killed run, lists them again, and the run counts them skipped). So the
/// count lies between the first and the second; `skipped_duplicate` is at most the deliveries
/// of all of them the tenant held. (The late arrivals a run missed are LATE's.)
fn judge_window(j: &Judging<'_>, run: &RunRecord, report: &RunReport, (from, to): (i64, i64), out: &mut Findings) {
    let n = run.index + 1;
    let c = &report.counts;
    let at = run.at.timestamp_millis();
    let processed: BTreeSet<&str> = j.exec.journal[run.journal.clone()]
        .iter()
        .filter(|e| stored(e))
        .filter_map(|e| e.item_id.as_deref())
        .chain(report.failures.iter().map(|f| f.item_id.as_str()))
        .collect();
    let held_ids: BTreeSet<&str> = run.held_before.iter().map(|(_, id)| id.as_str()).collect();
    let since = j.exec.runs[..run.index].iter().rev().find(|r| r.outcome == RunOutcome::Completed).map(|r| r.at.timestamp_millis());
    let late = |i: &crate::oracle::ItemFacts| i.captured_ms < from && processed.contains(i.id.as_str());
    let late_held = |i: &crate::oracle::ItemFacts| {
        i.captured_ms < from
            && !processed.contains(i.id.as_str())
            && held_ids.contains(i.id.as_str())
            && since.is_some_and(|s| s < i.archived_ms)
            && j.facts.listed_at(i, at)
    };
    let in_window: BTreeSet<&str> = j
        .facts
        .items
        .iter()
        .filter(|i| (from <= i.captured_ms && i.captured_ms < to && j.facts.listed_at(i, at)) || late(i))
        .map(|i| i.id.as_str())
        .collect();
    let again: BTreeSet<&str> = j.facts.items.iter().filter(|i| late_held(i)).map(|i| i.id.as_str()).collect();
    let (least, most) = (in_window.len() as u64, (in_window.len() + again.len()) as u64);
    if !(least..=most).contains(&c.items) {
        let listed = if least == most { least.to_string() } else { format!("{least} to {most}") };
        out.add(
            RULE,
            format!(
                "run {n}: counts.items is {} but the archive lists {listed} items in the reported window [{}, {})",
                c.items, report.window.from, report.window.to
            ),
        );
    }
    let held = run.held_before.iter().filter(|(_, id)| in_window.contains(id.as_str()) || again.contains(id.as_str())).count() as u64;
    if c.skipped_duplicate > held {
        out.add(
            RULE,
            format!(
                "run {n}: counts.skipped_duplicate is {} but the tenant held only {held} deliveries of the window before the run",
                c.skipped_duplicate
            ),
        );
    }
}

/// Every failure a report lists names an archive item, a contract reason and a valid mailbox or
/// none.
fn judge_failures(j: &Judging<'_>, run: &RunRecord, report: &RunReport, out: &mut Findings) {
    let n = run.index + 1;
    for f in &report.failures {
        let expired_range = f.reason == "source_expired" && f.item_id.starts_with("expired:");
        if j.facts.get(&f.item_id).is_none() && !expired_range {
            out.add(RULE, format!("run {n}: a failure names item {:?}, which the archive does not have", f.item_id));
        }
        if !["user_mapping", "item_too_large", "malformed_item", "sink_rejected", "source_expired"].contains(&f.reason.as_str()) {
            out.add(RULE, format!("run {n}: failure of {} has reason {:?}, not one of the contract's", f.item_id, f.reason));
        }
        if let Some(m) = &f.mailbox
            && j.exec.seen.directory().lookup(m).is_none()
        {
            out.add(RULE, format!("run {n}: failure of {} names mailbox {m:?}, which is no valid mailbox", f.item_id));
        }
    }
}
