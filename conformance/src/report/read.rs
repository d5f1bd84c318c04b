//! A JSON report read back (`--json`'s output): for `merge` and `compare`, which work on reports
//! written earlier, maybe by other machines. Reading is strict: an unknown rule ID or verdict, or a
//! missing field, is an error naming the file, line and column.

use std::path::Path;

use serde::Deserialize;

use super::SuiteReport;
use crate::judge::{RuleVerdict, RunSummary, ScenarioVerdict, SnapshotStatus, Verdict};
use crate::requirements::Rule;
use crate::waivers::{Waiver, WaiverOutcome, WaiverStatus, parse_day};

/// Why a report cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Not a report of this suite's shape.
    #[error("{path}: not a tm-conformance JSON report: {message}")]
    Shape {
        /// The file.
        path: String,
        /// What is wrong, and where (line, column).
        message: String,
    },
}

#[derive(Deserialize)]
struct JsonReport {
    connector: String,
    scenarios: Vec<JsonScenario>,
    /// Absent in reports written before waivers.
    #[serde(default)]
    waivers: Vec<JsonWaiver>,
}

#[derive(Deserialize)]
struct JsonWaiver {
    file: String,
    entry: usize,
    rule: String,
    scenario: Option<String>,
    reason: String,
    expires: Option<String>,
    status: String,
    waived_in: Vec<String>,
}

#[derive(Deserialize)]
struct JsonScenario {
    name: String,
    runs: Vec<JsonRun>,
    snapshot: JsonSnapshot,
    expectation_errors: Vec<String>,
    rules: Vec<JsonRule>,
    digest: String,
}

#[derive(Deserialize)]
struct JsonRun {
    number: usize,
    run_at: String,
    outcome: String,
    as_scheduled: bool,
    report: String,
    #[serde(default)]
    log_tail: String,
}

#[derive(Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
enum JsonSnapshot {
    Matches,
    Differs { lines: Vec<String> },
    Missing { path: String },
    Unreadable { error: String },
}

#[derive(Deserialize)]
struct JsonRule {
    id: String,
    verdict: String,
    note: String,
    findings: Vec<String>,
    #[serde(default)]
    waiver: Option<String>,
}

/// Reads a JSON report from a file.
pub fn read_json_file(path: &Path) -> Result<SuiteReport, ReadError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReadError::Io { path: path.display().to_string(), source })?;
    from_json_str(&text).map_err(|message| ReadError::Shape { path: path.display().to_string(), message })
}

/// Reads a JSON report from its text; the error says what and where.
pub fn from_json_str(text: &str) -> Result<SuiteReport, String> {
    let raw: JsonReport = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut scenarios = Vec::with_capacity(raw.scenarios.len());
    for s in raw.scenarios {
        let rules = s
            .rules
            .into_iter()
            .map(|r| {
                let rule = Rule::from_id(&r.id).ok_or_else(|| format!("scenario {}: unknown rule `{}`", s.name, r.id))?;
                let verdict = Verdict::from_str_opt(&r.verdict)
                    .ok_or_else(|| format!("scenario {}, rule {}: unknown verdict `{}`", s.name, r.id, r.verdict))?;
                Ok(RuleVerdict { rule, verdict, note: r.note, findings: r.findings, waiver: r.waiver })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let snapshot = match s.snapshot {
            JsonSnapshot::Matches => SnapshotStatus::Matches,
            JsonSnapshot::Differs { lines } => SnapshotStatus::Differs(lines),
            JsonSnapshot::Missing { path } => SnapshotStatus::Missing(path),
            JsonSnapshot::Unreadable { error } => SnapshotStatus::Unreadable(error),
        };
        let runs = s
            .runs
            .into_iter()
            .map(|r| RunSummary {
                number: r.number,
                run_at: r.run_at,
                outcome: r.outcome,
                as_scheduled: r.as_scheduled,
                report: r.report,
                log_tail: r.log_tail,
            })
            .collect();
        scenarios.push(ScenarioVerdict {
            scenario: s.name,
            runs,
            digest: s.digest,
            // Not in the JSON report (the oracle's digest is for the judge, not for readers).
            expected_digest: String::new(),
            snapshot,
            expectation_errors: s.expectation_errors,
            rules,
            // Not in the JSON report (thousands of requests a run; the evidence has them).
            timeline: Vec::new(),
        });
    }
    let waivers = raw.waivers.into_iter().map(waiver).collect::<Result<Vec<_>, String>>()?;
    Ok(SuiteReport { connector: raw.connector, scenarios, waivers })
}

fn waiver(w: JsonWaiver) -> Result<WaiverOutcome, String> {
    let at = format!("waiver {} of {}", w.entry, w.file);
    let rule = Rule::from_id(&w.rule).ok_or_else(|| format!("{at}: unknown rule `{}`", w.rule))?;
    let status = WaiverStatus::from_str_opt(&w.status).ok_or_else(|| format!("{at}: unknown status `{}`", w.status))?;
    let expires = w.expires.map(|d| parse_day(&d)).transpose().map_err(|m| format!("{at}: expires: {m}"))?;
    let waiver = Waiver { entry: w.entry, rule, scenario: w.scenario, reason: w.reason, expires };
    Ok(WaiverOutcome { file: w.file, waiver, status, waived_in: w.waived_in })
}

#[cfg(test)]
mod tests {
    use quickcheck::quickcheck;

    use super::*;
    use crate::report::to_json;

    fn report(finding: String, note: String, lines: Vec<String>) -> SuiteReport {
        let rules = Rule::all()
            .iter()
            .enumerate()
            .map(|(i, &rule)| {
                let verdict = [Verdict::Pass, Verdict::Fail, Verdict::Skipped, Verdict::Waived][i % 4];
                let findings = if matches!(verdict, Verdict::Fail | Verdict::Waived) { vec![finding.clone()] } else { Vec::new() };
                let waiver = (verdict == Verdict::Waived).then(|| note.clone());
                RuleVerdict { rule, verdict, note: note.clone(), findings, waiver }
            })
            .collect();
        let run = RunSummary {
            number: 1,
            run_at: "2026-11-21T00:00:00.000Z".into(),
            outcome: "completed".into(),
            as_scheduled: false,
            report: "items 3, imported 3, skipped_duplicate 0, failed 0".into(),
            log_tail: note.clone(),
        };
        let scenario = ScenarioVerdict {
            scenario: "a".into(),
            runs: vec![run],
            digest: finding.clone(),
            expected_digest: String::new(),
            snapshot: SnapshotStatus::Differs(lines.clone()),
            expectation_errors: lines.clone(),
            rules,
            timeline: Vec::new(),
        };
        let missing = ScenarioVerdict { scenario: "b".into(), snapshot: SnapshotStatus::Missing(note.clone()), ..scenario.clone() };
        let waiver = |entry: usize, status: WaiverStatus, expires: Option<chrono::NaiveDate>| WaiverOutcome {
            file: note.clone(),
            waiver: Waiver { entry, rule: Rule::all()[entry], scenario: Some(finding.clone()), reason: note.clone(), expires },
            status,
            waived_in: lines.iter().take(entry).cloned().collect(),
        };
        let waivers = vec![
            waiver(1, WaiverStatus::Applied, None),
            waiver(2, WaiverStatus::Unmatched, chrono::NaiveDate::from_ymd_opt(2027, 1, 31)),
            waiver(3, WaiverStatus::Expired, chrono::NaiveDate::from_ymd_opt(2026, 1, 1)),
            WaiverOutcome {
                waiver: Waiver { scenario: None, ..waiver(4, WaiverStatus::NotChecked, None).waiver },
                ..waiver(4, WaiverStatus::NotChecked, None)
            },
        ];
        SuiteReport { connector: finding, scenarios: vec![scenario, missing], waivers }
    }

    quickcheck! {
        /// Whatever the texts, a report read back from its JSON is the report.
        fn json_reads_back(finding: String, note: String, lines: Vec<String>) -> bool {
            let r = report(finding, note, lines);
            from_json_str(&to_json(&r).to_string()) == Ok(r)
        }
    }

    #[test]
    fn unknown_rule_and_verdict_are_named() {
        let mut v = to_json(&report("f".into(), "n".into(), vec![]));
        v["scenarios"][0]["rules"][1]["id"] = "NO-SUCH".into();
        assert!(from_json_str(&v.to_string()).unwrap_err().contains("unknown rule `NO-SUCH`"));
        let mut v = to_json(&report("f".into(), "n".into(), vec![]));
        v["scenarios"][1]["rules"][0]["verdict"] = "maybe".into();
        let e = from_json_str(&v.to_string()).unwrap_err();
        assert!(e.contains("scenario b") && e.contains("unknown verdict `maybe`"), "{e}");
        let mut v = to_json(&report("f".into(), "n".into(), vec![]));
        v["waivers"][1]["status"] = "maybe".into();
        let e = from_json_str(&v.to_string()).unwrap_err();
        assert!(e.contains("waiver 2 of n: unknown status `maybe`"), "{e}");
        let e = from_json_str("{\"connector\": \"x\"}").unwrap_err();
        assert!(e.contains("missing field `scenarios`") && e.contains("line 1"), "{e}");
    }
}
