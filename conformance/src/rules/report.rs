//! REPORT: the catalogue entry, and what counts as exercising it.

use super::prelude::*;
use std::collections::BTreeSet;

use chrono::DateTime;

use crate::oracle::at;
use crate::runner::is_import;

/// REPORT in the catalogue.
pub const REQUIREMENT: Requirement = Requirement {
    rule: Rule::Report,
    text: "The run report's counts add up (`imported + skipped_duplicate + failed` = deliveries attempted + items that \
               failed before routing) and every failure names item id, mailbox (or null) and reason.",
    check: "each completed run's report parses; `failed` equals the failures listed; `imported` equals the imports the \
                tenant saw; `skipped_duplicate` does not exceed what the tenant already held; `items` equals the items the \
                archive lists in the reported window; every failure names an archive item, a valid mailbox or null, and a \
                contract reason. Skipped, not passed, when the connector writes no report",
    scenarios: &["report", "route-drop", "size", "realistic-day", "multi-day"],
};

/// What in this scenario exercises REPORT (or why nothing does).
pub(crate) fn exercised(j: &Judging<'_>) -> Result<String, String> {
    {
        if !j.exec.has_reports() {
            Err("skipped: the connector wrote no run report".into())
        } else {
            j.count(j.exec.runs.iter().filter(|r| matches!(r.report, ReportFile::Parsed(_))).count(), "reports")
        }
    }
}

/// REPORT: each completed run's report parses and its counts and failures add up against the
/// tenant, the journal and the archive.
pub(crate) fn judge(j: &mut Judging<'_>) {
    let any = j.exec.has_reports();
    let mut out = Vec::new();
    let mut foreign = Vec::new();
    for run in &j.exec.runs {
        let n = run.index + 1;
        if run.outcome != RunOutcome::Completed {
            continue;
        }
        let report = match &run.report {
            ReportFile::Missing if any => {
                out.push(format!("run {n} completed but wrote no report"));
                continue;
            }
            ReportFile::Missing => continue,
            ReportFile::Invalid(e) => {
                out.push(format!("run {n}: the report is not a contract v1 report: {e}"));
                continue;
            }
            ReportFile::Parsed(r) => r,
        };
        let c = &report.counts;
        if c.failed != report.failures.len() as u64 {
            out.push(format!("run {n}: counts.failed is {} but {} failures are listed", c.failed, report.failures.len()));
        }
        let journal = &j.exec.journal[run.journal.clone()];
        let imports = journal.iter().filter(|e| is_import(e)).count() as u64;
        if c.imported != imports {
            let msg = format!("run {n}: counts.imported is {} but the tenant received {imports} imports during the run", c.imported);
            // Imports the connector did not know it repeated, where another program's messages
            // fooled it, are FOREIGN-WRITES' (that rule names the duplicates).
            let mut seen = BTreeSet::new();
            let repeats = journal
                .iter()
                .filter(|e| is_import(e) && e.mailbox.as_deref().is_some_and(|m| super::foreign_writes::concerns(j, m)))
                .filter(|e| !seen.insert((e.mailbox.clone(), e.item_id.clone())))
                .count() as u64;
            if c.imported < imports && imports - c.imported <= repeats {
                foreign.push(format!("{msg} (it repeated {repeats} where another program wrote)"));
            } else {
                out.push(msg);
            }
        }
        let parse = |s: &str| DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_millis());
        match parse(&report.run_at) {
            Some(ms) if ms == run.at.timestamp_millis() => {}
            _ => out.push(format!("run {n}: run_at {:?} is not the RUN_AT given ({})", report.run_at, at(run.at.timestamp_millis()))),
        }
        match (parse(&report.window.from), parse(&report.window.to)) {
            (Some(from), Some(to)) if from <= to => {
                let in_window: BTreeSet<&str> =
                    j.facts.items.iter().filter(|i| from <= i.captured_ms && i.captured_ms < to).map(|i| i.id.as_str()).collect();
                if c.items != in_window.len() as u64 {
                    out.push(format!(
                        "run {n}: counts.items is {} but the archive lists {} items in the reported window [{}, {})",
                        c.items,
                        in_window.len(),
                        report.window.from,
                        report.window.to
                    ));
                }
                let held = run.held_before.iter().filter(|(_, id)| in_window.contains(id.as_str())).count() as u64;
                if c.skipped_duplicate > held {
                    out.push(format!(
                        "run {n}: counts.skipped_duplicate is {} but the tenant held only {held} deliveries of the window before the run",
                        c.skipped_duplicate
                    ));
                }
            }
            _ => out.push(format!(
                "run {n}: the window [{:?}, {:?}) is not a pair of RFC 3339 times in order",
                report.window.from, report.window.to
            )),
        }
        for f in &report.failures {
            if j.facts.get(&f.item_id).is_none() {
                out.push(format!("run {n}: a failure names item {:?}, which the archive does not have", f.item_id));
            }
            if !["user_mapping", "item_too_large", "malformed_item", "sink_rejected"].contains(&f.reason.as_str()) {
                out.push(format!("run {n}: failure of {} has reason {:?}, not one of the contract's", f.item_id, f.reason));
            }
            if let Some(m) = &f.mailbox
                && j.exec.seen.directory().lookup(m).is_none()
            {
                out.push(format!("run {n}: failure of {} names mailbox {m:?}, which is no valid mailbox", f.item_id));
            }
        }
    }
    for o in out {
        j.add(Rule::Report, o);
    }
    for o in foreign {
        j.add(Rule::ForeignWrites, o);
    }
}
