//! An [`Execution`] as evidence: the files a certification bundle keeps of one scenario, and
//! the execution built back from them offline, for the same [`judge`](crate::judge()) to judge again.
//!
//! What the judge reads of a run is the world, the directory, the tenant before and after the
//! runs, the journal, the access log and each run's record (outcome, report, ranges). The world
//! and the directory follow from the scenario (generated again; runs never change the
//! directory); the tenant before the runs is the scenario's fresh tenant. The rest is kept, per
//! scenario folder of the bundle:
//!
//! ```text
//! runs.json                  each run: RUN_AT, AUTO_MAPPING, kill point, outcome, its journal and
//!                            access-log ranges, what the tenant held before it, its log tail
//! run-N/journal.jsonl        the journal from run N's first entry to run N+1's (one entry a line)
//! run-N/requests.jsonl       the access log, cut the same way
//! run-N/report.json          what run N wrote at REPORT_PATH, byte for byte (absent: nothing)
//! tenant.json                every mailbox, folder and message after the runs (an archive
//!                            item's bytes by its id, others by their sha256)
//! messages/SHA256.eml        the bytes of every message that is no archive item's
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use tm_simulator::{JournalEntry, LoggedRequest, Observation, RecordedTenant, World};

use crate::runner::{Execution, RunOutcome, RunRecord, parse_report};

/// Why recorded evidence cannot be read back.
#[derive(Debug, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub struct EvidenceError {
    /// The file (relative to the scenario's folder).
    pub file: String,
    /// The line, for JSON-lines files.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

fn error(file: &str, line: Option<usize>, message: impl Into<String>) -> EvidenceError {
    EvidenceError { file: file.to_string(), line, message: message.into() }
}

/// `runs.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct RunsFile {
    /// The scenario's own name (its TOML `name`).
    scenario: String,
    /// Journal entries after the runs.
    journal_total: usize,
    /// Access-log requests after the runs.
    requests_total: usize,
    runs: Vec<RunEvidence>,
}

/// One run's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct RunEvidence {
    number: usize,
    run_at: String,
    auto_mapping: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kill_after_imports: Option<u64>,
    outcome: OutcomeEvidence,
    journal: [usize; 2],
    requests: [usize; 2],
    report_written: bool,
    held_before: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    log_tail: String,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "message", rename_all = "snake_case")]
enum OutcomeEvidence {
    Completed,
    Killed,
    ConfigError(String),
    Failed(String),
    TimedOut,
}

impl From<&RunOutcome> for OutcomeEvidence {
    fn from(o: &RunOutcome) -> Self {
        match o {
            RunOutcome::Completed => OutcomeEvidence::Completed,
            RunOutcome::Killed => OutcomeEvidence::Killed,
            RunOutcome::ConfigError(m) => OutcomeEvidence::ConfigError(m.clone()),
            RunOutcome::Failed(m) => OutcomeEvidence::Failed(m.clone()),
            RunOutcome::TimedOut => OutcomeEvidence::TimedOut,
        }
    }
}

impl From<OutcomeEvidence> for RunOutcome {
    fn from(o: OutcomeEvidence) -> Self {
        match o {
            OutcomeEvidence::Completed => RunOutcome::Completed,
            OutcomeEvidence::Killed => RunOutcome::Killed,
            OutcomeEvidence::ConfigError(m) => RunOutcome::ConfigError(m),
            OutcomeEvidence::Failed(m) => RunOutcome::Failed(m),
            OutcomeEvidence::TimedOut => RunOutcome::TimedOut,
        }
    }
}

/// The files of one scenario's evidence: (path relative to the scenario's folder, bytes), in
/// path order.
pub fn to_files(exec: &Execution) -> Vec<(String, Vec<u8>)> {
    let mut files = BTreeMap::new();
    let bounds = |range: fn(&RunRecord) -> usize, total: usize| -> Vec<(usize, usize)> {
        let starts: Vec<usize> = exec.runs.iter().enumerate().map(|(i, r)| if i == 0 { 0 } else { range(r) }).collect();
        starts.iter().enumerate().map(|(i, &s)| (s, starts.get(i + 1).copied().unwrap_or(total))).collect()
    };
    let journal = bounds(|r| r.journal.start, exec.journal.len());
    let requests = bounds(|r| r.requests.start, exec.requests.len());
    for (i, run) in exec.runs.iter().enumerate() {
        let dir = format!("run-{}", i + 1);
        files.insert(format!("{dir}/journal.jsonl"), json_lines(&exec.journal[journal[i].0..journal[i].1]));
        files.insert(format!("{dir}/requests.jsonl"), json_lines(&exec.requests[requests[i].0..requests[i].1]));
        if let Some(bytes) = &run.report_bytes {
            files.insert(format!("{dir}/report.json"), bytes.clone());
        }
    }
    let runs = RunsFile {
        scenario: exec.scenario.clone(),
        journal_total: exec.journal.len(),
        requests_total: exec.requests.len(),
        runs: exec.runs.iter().map(run_evidence).collect(),
    };
    files.insert("runs.json".into(), pretty(&runs));
    let (tenant, kept) = exec.seen.record_tenant();
    files.insert("tenant.json".into(), pretty(&tenant));
    for (sha, bytes) in kept {
        files.insert(format!("messages/{sha}.eml"), bytes);
    }
    files.into_iter().collect()
}

fn run_evidence(r: &RunRecord) -> RunEvidence {
    RunEvidence {
        number: r.index + 1,
        run_at: r.at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        auto_mapping: r.auto_mapping,
        kill_after_imports: r.kill_after_imports,
        outcome: (&r.outcome).into(),
        journal: [r.journal.start, r.journal.end],
        requests: [r.requests.start, r.requests.end],
        report_written: r.report_bytes.is_some(),
        held_before: r.held_before.iter().cloned().collect(),
        log_tail: r.log_tail.clone(),
    }
}

fn pretty<T: Serialize>(value: &T) -> Vec<u8> {
    let mut text = serde_json::to_vec_pretty(value).expect("evidence serialises");
    text.push(b'\n');
    text
}

fn json_lines<T: Serialize>(entries: &[T]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        out.extend(serde_json::to_vec(e).expect("evidence serialises"));
        out.push(b'\n');
    }
    out
}

/// Builds an execution back from one scenario's evidence files (paths relative to its folder)
/// and its world (generated again from the scenario file the bundle holds).
pub fn from_files(files: &BTreeMap<String, Vec<u8>>, world: Arc<World>) -> Result<Execution, EvidenceError> {
    let runs: RunsFile = read_json(files, "runs.json")?;
    let tenant: RecordedTenant = read_json(files, "tenant.json")?;
    let mut kept = BTreeMap::new();
    for (path, bytes) in files.range("messages/".to_string()..) {
        let Some(name) = path.strip_prefix("messages/") else { break };
        let sha = name.strip_suffix(".eml").ok_or_else(|| error(path, None, "a message file is named SHA256.eml"))?;
        kept.insert(sha.to_string(), bytes.clone());
    }
    let (mut journal, mut requests) = (Vec::new(), Vec::new());
    let mut records = Vec::new();
    for (i, run) in runs.runs.iter().enumerate() {
        let dir = format!("run-{}", i + 1);
        if run.number != i + 1 {
            return Err(error("runs.json", None, format!("run {} is numbered {}", i + 1, run.number)));
        }
        let path = format!("{dir}/journal.jsonl");
        let entries = read_lines::<JournalEntry>(files, &path)?;
        in_sequence(entries.iter().map(|e| e.seq), journal.len(), &path)?;
        journal.extend(entries);
        let path = format!("{dir}/requests.jsonl");
        let entries = read_lines::<LoggedRequest>(files, &path)?;
        in_sequence(entries.iter().map(|e| e.seq), requests.len(), &path)?;
        requests.extend(entries);
        let report_bytes = files.get(&format!("{dir}/report.json")).cloned();
        if report_bytes.is_some() != run.report_written {
            let says = if run.report_written { "a report was written" } else { "no report was written" };
            return Err(error("runs.json", None, format!("run {}: it says {says}, and {dir}/report.json does not agree", i + 1)));
        }
        records.push(run_record(i, run, report_bytes)?);
    }
    check_totals(&runs, journal.len(), requests.len())?;
    let initial = Observation::offline(world.clone(), &RecordedTenant::default(), &BTreeMap::new(), Vec::new(), Vec::new())
        .map_err(|e| error("tenant.json", None, e.to_string()))?
        .mailboxes;
    let seen = Observation::offline(world, &tenant, &kept, journal.clone(), requests.clone())
        .map_err(|e| error("tenant.json", None, e.to_string()))?;
    let last = seen.mailboxes.clone();
    Ok(Execution { scenario: runs.scenario, seen, initial, last, journal, requests, runs: records })
}

fn run_record(i: usize, run: &RunEvidence, report_bytes: Option<Vec<u8>>) -> Result<RunRecord, EvidenceError> {
    let at: DateTime<Utc> = DateTime::parse_from_rfc3339(&run.run_at)
        .map_err(|e| error("runs.json", None, format!("run {}: run_at `{}`: {e}", i + 1, run.run_at)))?
        .with_timezone(&Utc);
    let range = |r: [usize; 2], what: &str| {
        if r[0] > r[1] {
            return Err(error("runs.json", None, format!("run {}: its {what} range {}..{} is backwards", i + 1, r[0], r[1])));
        }
        Ok(r[0]..r[1])
    };
    Ok(RunRecord {
        index: i,
        at,
        auto_mapping: run.auto_mapping,
        kill_after_imports: run.kill_after_imports,
        outcome: run.outcome.clone().into(),
        report: parse_report(i + 1, report_bytes.as_deref()),
        report_bytes,
        journal: range(run.journal, "journal")?,
        requests: range(run.requests, "requests")?,
        held_before: run.held_before.iter().cloned().collect::<BTreeSet<_>>(),
        log_tail: run.log_tail.clone(),
    })
}

/// The journal and the access log number their entries 1, 2, 3, … (`seq`, nothing dropped: the
/// runner keeps every entry): an entry taken out or put in shows. `before` entries precede
/// this file's.
fn in_sequence(seqs: impl Iterator<Item = u64>, before: usize, path: &str) -> Result<(), EvidenceError> {
    for (i, seq) in seqs.enumerate() {
        let expected = (before + i + 1) as u64;
        if seq != expected {
            return Err(error(
                path,
                Some(i + 1),
                format!("seq {seq} where the log's entry {expected} belongs (an entry taken out or put in)"),
            ));
        }
    }
    Ok(())
}

/// The journal and access log put together must be as long as recorded, and every run's
/// ranges must lie in them (the judge slices them).
fn check_totals(runs: &RunsFile, journal: usize, requests: usize) -> Result<(), EvidenceError> {
    if journal != runs.journal_total {
        return Err(error("runs.json", None, format!("the runs' journals hold {journal} entries; it says {}", runs.journal_total)));
    }
    if requests != runs.requests_total {
        return Err(error("runs.json", None, format!("the runs' access logs hold {requests} requests; it says {}", runs.requests_total)));
    }
    for r in &runs.runs {
        if r.journal[1] > journal || r.requests[1] > requests {
            return Err(error("runs.json", None, format!("run {}: its ranges go past the journal or the access log", r.number)));
        }
    }
    Ok(())
}

fn read_json<T: serde::de::DeserializeOwned>(files: &BTreeMap<String, Vec<u8>>, path: &str) -> Result<T, EvidenceError> {
    let bytes = files.get(path).ok_or_else(|| error(path, None, "missing"))?;
    serde_json::from_slice(bytes).map_err(|e| error(path, Some(e.line()), e.to_string()))
}

fn read_lines<T: serde::de::DeserializeOwned>(files: &BTreeMap<String, Vec<u8>>, path: &str) -> Result<Vec<T>, EvidenceError> {
    let bytes = files.get(path).ok_or_else(|| error(path, None, "missing"))?;
    let text = std::str::from_utf8(bytes).map_err(|e| error(path, None, format!("not UTF-8: {e}")))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| serde_json::from_str(l).map_err(|e| error(path, Some(n + 1), e.to_string())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_round_trip_as_json() {
        for o in [
            RunOutcome::Completed,
            RunOutcome::Killed,
            RunOutcome::ConfigError("bad".into()),
            RunOutcome::Failed("exit 3".into()),
            RunOutcome::TimedOut,
        ] {
            let text = serde_json::to_string(&OutcomeEvidence::from(&o)).unwrap();
            assert_eq!(RunOutcome::from(serde_json::from_str::<OutcomeEvidence>(&text).unwrap()), o);
        }
    }

    #[test]
    fn a_bad_line_is_named() {
        let files = BTreeMap::from([("run-1/journal.jsonl".to_string(), b"{}\n".to_vec())]);
        let e = read_lines::<JournalEntry>(&files, "run-1/journal.jsonl").unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("run-1/journal.jsonl", Some(1)));
        assert!(e.to_string().starts_with("run-1/journal.jsonl line 1: "), "{e}");
    }

    #[test]
    fn entries_follow_one_another() {
        assert!(in_sequence([3, 4, 5].into_iter(), 2, "f").is_ok());
        let e = in_sequence([3, 5].into_iter(), 2, "run-2/journal.jsonl").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.to_string().contains("seq 5 where the log's entry 4 belongs"), "{e}");
    }

    #[test]
    fn totals_and_ranges_are_checked() {
        let run = RunEvidence {
            number: 1,
            run_at: "2026-11-21T00:00:00Z".into(),
            auto_mapping: true,
            kill_after_imports: None,
            outcome: OutcomeEvidence::Completed,
            journal: [0, 3],
            requests: [0, 2],
            report_written: false,
            held_before: vec![],
            log_tail: String::new(),
        };
        let runs = RunsFile { scenario: "s".into(), journal_total: 3, requests_total: 2, runs: vec![run] };
        assert!(check_totals(&runs, 3, 2).is_ok());
        assert!(check_totals(&runs, 2, 2).unwrap_err().to_string().contains("2 entries"));
        let short = RunsFile { journal_total: 2, ..runs.clone() };
        assert!(check_totals(&short, 2, 2).unwrap_err().to_string().contains("past"));
        let record = run_record(0, &runs.runs[0], None).unwrap();
        assert_eq!(record.report, crate::runner::ReportFile::Missing);
        assert_eq!(record.journal, 0..3);
    }
}
