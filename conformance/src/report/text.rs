//! The verdicts as a table for a terminal.

use std::fmt::Write as _;

use super::SuiteReport;
use crate::judge::{SnapshotStatus, Verdict};
use crate::waivers::WaiverStatus;

/// Most findings shown per rule and scenario.
const MAX_FINDINGS: usize = 12;

/// The report as text: per scenario its runs and failures explained, then a table of rules.
pub fn to_text(report: &SuiteReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "tm-conformance: {} scenario(s), connector: {}", report.scenarios.len(), report.connector);
    for s in &report.scenarios {
        let _ = writeln!(out, "\n== {} ==", s.scenario);
        for r in &s.runs {
            let mark = if r.as_scheduled { "" } else { "  (unexpected)" };
            let _ = writeln!(out, "  run {} at {}: {}{mark}; {}", r.number, r.run_at, r.outcome, r.report);
            for line in r.log_tail.lines() {
                let _ = writeln!(out, "      | {line}");
            }
        }
        match &s.snapshot {
            SnapshotStatus::Matches => {
                let _ = writeln!(out, "  snapshot: matches");
            }
            SnapshotStatus::Missing(p) => {
                let _ = writeln!(out, "  snapshot: none at {p}; judged against the oracle");
            }
            SnapshotStatus::Unreadable(e) => {
                let _ = writeln!(out, "  snapshot: unusable ({e}); judged against the oracle");
            }
            SnapshotStatus::Differs(lines) => {
                let _ = writeln!(out, "  snapshot: differs in {} line(s) (explained per rule below)", lines.len());
                for l in lines.iter().take(MAX_FINDINGS) {
                    let _ = writeln!(out, "    {l}");
                }
                if lines.len() > MAX_FINDINGS {
                    let _ = writeln!(out, "    ... and {} more", lines.len() - MAX_FINDINGS);
                }
            }
        }
        if !s.expectation_errors.is_empty() {
            let _ = writeln!(out, "  EXPECTATION ERROR: the snapshot and the oracle disagree (fix one of them):");
            for l in s.expectation_errors.iter().take(MAX_FINDINGS) {
                let _ = writeln!(out, "    {l}");
            }
        }
        let line = |v: Verdict| -> String { s.rules.iter().filter(|r| r.verdict == v).map(|r| r.rule.id()).collect::<Vec<_>>().join(" ") };
        for v in [Verdict::Pass, Verdict::Fail, Verdict::Waived, Verdict::Skipped] {
            let ids = line(v);
            if !ids.is_empty() {
                let _ = writeln!(out, "  {:<8} {ids}", format!("{}:", v.as_str()));
            }
        }
        for r in s.rules.iter().filter(|r| matches!(r.verdict, Verdict::Fail | Verdict::Waived)) {
            match &r.waiver {
                Some(reason) if r.verdict == Verdict::Waived => {
                    let _ = writeln!(out, "  WAIVED {}: {} (waiver: {reason})", r.rule.id(), r.note);
                }
                _ => {
                    let _ = writeln!(out, "  FAIL {}: {}", r.rule.id(), r.note);
                }
            }
            for f in r.findings.iter().take(MAX_FINDINGS) {
                let _ = writeln!(out, "    - {f}");
            }
            if r.findings.len() > MAX_FINDINGS {
                let _ = writeln!(out, "    ... and {} more", r.findings.len() - MAX_FINDINGS);
            }
        }
    }
    table(&mut out, report);
    waivers(&mut out, report);
    out
}

/// Per rule over all scenarios: verdict, counts, where; then the totals.
fn table(out: &mut String, report: &SuiteReport) {
    let _ = writeln!(out, "\n{:<16} {:<8} {:>4} {:>4} {:>4} {:>4}  scenarios", "RULE", "VERDICT", "PASS", "FAIL", "WAIV", "SKIP");
    let summary = report.summary();
    for r in &summary {
        let names = if !r.failed.is_empty() {
            format!("failed in {}", r.failed.join(", "))
        } else if !r.waived.is_empty() {
            format!("waived in {}", r.waived.join(", "))
        } else {
            r.passed.join(", ")
        };
        let _ = writeln!(
            out,
            "{:<16} {:<8} {:>4} {:>4} {:>4} {:>4}  {names}",
            r.rule.id(),
            r.verdict.as_str(),
            r.passed.len(),
            r.failed.len(),
            r.waived.len(),
            r.skipped.len()
        );
    }
    let count = |v: Verdict| summary.iter().filter(|r| r.verdict == v).count();
    let _ = writeln!(
        out,
        "\n{} rules: {} passed, {} failed, {} waived, {} skipped",
        summary.len(),
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::Waived),
        count(Verdict::Skipped)
    );
}

/// The waivers given and what became of each; a line saying why they fail the run, if they do.
fn waivers(out: &mut String, report: &SuiteReport) {
    if report.waivers.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nwaivers:");
    for w in &report.waivers {
        let mark = match w.status {
            WaiverStatus::Applied => "WAIVER",
            WaiverStatus::Unmatched => "UNMATCHED WAIVER",
            WaiverStatus::Expired => "EXPIRED WAIVER",
            WaiverStatus::NotChecked => "waiver not checked",
        };
        let _ = writeln!(out, "  {mark}: {}", w.describe());
    }
    let failing: Vec<String> =
        report.waivers.iter().filter(|w| w.status.fails()).map(|w| format!("{} ({})", w.waiver.entry, w.status.as_str())).collect();
    if !failing.is_empty() {
        let _ = writeln!(out, "the waivers fail the run: entry {}", failing.join(", entry "));
    }
}
