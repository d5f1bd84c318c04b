//! The verdicts as JSON (stable key order, no wall clock).

use serde_json::{Value, json};

use super::SuiteReport;
use crate::judge::SnapshotStatus;
use crate::waivers::WaiverOutcome;

/// The report as a JSON document.
pub fn to_json(report: &SuiteReport) -> Value {
    let scenarios: Vec<Value> = report
        .scenarios
        .iter()
        .map(|s| {
            let snapshot = match &s.snapshot {
                SnapshotStatus::Matches => json!({"status": "matches"}),
                SnapshotStatus::Differs(lines) => json!({"status": "differs", "lines": lines}),
                SnapshotStatus::Missing(p) => json!({"status": "missing", "path": p}),
                SnapshotStatus::Unreadable(e) => json!({"status": "unreadable", "error": e}),
            };
            json!({
                "name": s.scenario,
                "runs": s.runs.iter().map(|r| json!({
                    "number": r.number,
                    "run_at": r.run_at,
                    "outcome": r.outcome,
                    "as_scheduled": r.as_scheduled,
                    "report": r.report,
                    "log_tail": r.log_tail,
                })).collect::<Vec<_>>(),
                "snapshot": snapshot,
                "expectation_errors": s.expectation_errors,
                "rules": s.rules.iter().map(|r| json!({
                    "id": r.rule.id(),
                    "verdict": r.verdict.as_str(),
                    "note": r.note,
                    "findings": r.findings,
                    "waiver": r.waiver,
                })).collect::<Vec<_>>(),
                "digest": s.digest,
            })
        })
        .collect();
    let summary: Vec<Value> = report
        .summary()
        .iter()
        .map(|r| {
            json!({
                "id": r.rule.id(),
                "verdict": r.verdict.as_str(),
                "passed": r.passed,
                "failed": r.failed,
                "skipped": r.skipped,
                "waived": r.waived,
            })
        })
        .collect();
    json!({
        "connector": report.connector,
        "failed": report.failed(),
        "summary": summary,
        "scenarios": scenarios,
        "waivers": report.waivers.iter().map(waiver).collect::<Vec<_>>(),
    })
}

/// A waiver and what became of it.
fn waiver(w: &WaiverOutcome) -> Value {
    json!({
        "file": w.file,
        "entry": w.waiver.entry,
        "rule": w.waiver.rule.id(),
        "scenario": w.waiver.scenario,
        "reason": w.waiver.reason,
        "expires": w.waiver.expires.map(|d| d.to_string()),
        "status": w.status.as_str(),
        "waived_in": w.waived_in,
        "description": w.describe(),
    })
}
