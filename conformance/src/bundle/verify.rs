//! `tm-conformance verify FILE.tar.gz`: a bundle checked offline, in three steps.
//!
//! 1. Every file's sha256 is the manifest's, and the manifest lists no file the bundle lacks.
//! 2. The fixtures the bundle used are this suite's (`--fixtures`, or the default), byte for byte.
//! 3. Every scenario is judged again: its execution is built back from the recorded evidence
//!    (the world generated again from the bundle's scenario file) and given to the same
//!    [`judge`](crate::judge()); the re-judged verdicts, rendered in every report format, and
//!    each scenario's digest must equal the recorded ones.
//!
//! The first step that fails says why, naming the file (and the line) that differs.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use tm_simulator::{Scenario, World};

use super::REPORT_FORMATS;
use super::archive::{self, Files};
use super::manifest::{Invocation, Manifest, sha256_hex};
use crate::evidence;
use crate::judge::{SnapshotStatus, judge};
use crate::report::{self, SuiteReport};
use crate::suite::Fixtures;
use crate::{selection, waivers};

/// A bundle that cannot be read at all (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{path}: {why}")]
pub struct Unreadable {
    /// The bundle file.
    pub path: String,
    /// Why.
    pub why: String,
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The manifest's sha256 (what names the bundle).
    pub manifest_sha256: String,
    /// What was checked and held, one line each.
    pub checked: Vec<String>,
    /// Why the bundle is not verified (`None`: verified), one line each.
    pub problems: Vec<String>,
}

impl Verification {
    /// Every check held.
    pub fn verified(&self) -> bool {
        self.problems.is_empty()
    }

    /// What was found, for people: the checks that held, then the verdict and its reasons.
    pub fn to_text(&self, bundle: &Path) -> String {
        let mut out = format!("bundle {} (manifest sha256 {})\n", bundle.display(), self.manifest_sha256);
        for c in &self.checked {
            out += &format!("  ok: {c}\n");
        }
        if self.verified() {
            out += "VERIFIED\n";
        } else {
            out += "NOT VERIFIED\n";
            for p in &self.problems {
                out += &format!("  {p}\n");
            }
        }
        out
    }
}

/// Verifies the bundle at `path` against this suite's `fixtures`.
pub fn verify(path: &Path, fixtures: &Fixtures) -> Result<Verification, Unreadable> {
    let unreadable = |why: String| Unreadable { path: path.display().to_string(), why };
    let bytes = std::fs::read(path).map_err(|e| unreadable(format!("cannot read: {e}")))?;
    let files = archive::read(&bytes).map_err(|e| unreadable(e.to_string()))?;
    let manifest_bytes = files.get("manifest.json").ok_or_else(|| unreadable("no manifest.json in it".into()))?;
    let manifest = Manifest::from_bytes(manifest_bytes).map_err(|e| unreadable(format!("manifest.json {e}")))?;
    let mut v = Verification { manifest_sha256: sha256_hex(manifest_bytes), checked: Vec::new(), problems: Vec::new() };
    v.problems = check_hashes(&manifest, &files);
    if v.verified() {
        v.checked.push(format!("{} file(s): every sha256 is the manifest's", files.len() - 1));
        v.problems = check_fixtures(&manifest, fixtures);
    }
    if v.verified() {
        v.checked.push(format!("{} fixture(s): equal to this suite's ({})", manifest.fixtures.len(), fixtures.root.display()));
        match rejudge(&manifest, &files) {
            Ok(n) => v.checked.push(format!("{n} scenario(s) judged again from the evidence: the same verdicts in every format")),
            Err(problem) => v.problems.push(problem),
        }
    }
    Ok(v)
}

/// Step 1: every file hashed as the manifest says, every listed file there.
fn check_hashes(manifest: &Manifest, files: &Files) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, bytes) in files.iter().filter(|(p, _)| p.as_str() != "manifest.json") {
        match manifest.hash_of(path) {
            None => problems.push(format!("{path}: in the bundle but not in the manifest")),
            Some(expected) => {
                let found = sha256_hex(bytes);
                if &found != expected {
                    problems.push(format!("{path}: sha256 {found}, the manifest says {expected} (the file was changed)"));
                }
            }
        }
    }
    for (path, _) in manifest.listed() {
        if !files.contains_key(&path) {
            problems.push(format!("{path}: in the manifest but not in the bundle"));
        }
    }
    let run: std::collections::BTreeSet<&str> = manifest.scenarios.iter().map(String::as_str).collect();
    let folders: std::collections::BTreeSet<&str> =
        files.keys().filter_map(|p| p.strip_prefix("scenarios/")).filter_map(|p| p.split('/').next()).collect();
    for name in folders.difference(&run) {
        problems.push(format!("scenarios/{name}/: evidence of a scenario the manifest does not list as run"));
    }
    problems
}

/// Step 2: the fixtures used are this suite's.
fn check_fixtures(manifest: &Manifest, fixtures: &Fixtures) -> Vec<String> {
    let mut problems = Vec::new();
    for (rel, expected) in &manifest.fixtures {
        let ours = fixtures.root.join(rel);
        match std::fs::read(&ours) {
            Err(e) => problems.push(format!("fixture {rel}: not in this suite's fixtures ({}: {e})", ours.display())),
            Ok(bytes) => {
                let found = sha256_hex(&bytes);
                if &found != expected {
                    problems.push(format!("fixture {rel}: this suite's ({}) has sha256 {found}, the bundle's {expected}", ours.display()));
                }
            }
        }
    }
    problems
}

/// Step 3: every scenario judged again from its evidence; the verdicts must be the recorded
/// ones. Returns the number of scenarios, or the first difference.
fn rejudge(manifest: &Manifest, files: &Files) -> Result<usize, String> {
    let work = tempfile::Builder::new().prefix("tm-conformance-verify-").tempdir().map_err(|e| format!("a work folder: {e}"))?;
    for (path, bytes) in files.range("fixtures/".to_string()..).take_while(|(p, _)| p.starts_with("fixtures/")) {
        let target = work.path().join(path);
        let written = target.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|()| std::fs::write(&target, bytes));
        written.map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    }
    let fixtures = Fixtures::at(work.path().join("fixtures"));
    let mut report = SuiteReport::new(manifest.connector.description.clone(), Vec::new());
    for name in &manifest.scenarios {
        let scenario = Scenario::from_path(fixtures.scenario_path(name)).map_err(|e| format!("scenario {name}: {e}"))?;
        let world = Arc::new(World::generate(scenario).map_err(|e| format!("scenario {name}: {e}"))?);
        let prefix = format!("scenarios/{name}/");
        let own: BTreeMap<String, Vec<u8>> = files
            .range(prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&prefix))
            .map(|(p, b)| (p[prefix.len()..].to_string(), b.clone()))
            .collect();
        let exec = evidence::from_files(&own, world).map_err(|e| format!("{prefix}{e}"))?;
        let snapshot = fixtures.snapshot(name).map_err(|status| relocated(status, &fixtures.root, &manifest.invocation));
        let mut verdict = judge(&exec, snapshot).map_err(|e| format!("scenario {name}: the judge: {e}"))?;
        verdict.scenario = name.clone();
        let recorded = own.get("digest.yaml").map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
        first_difference(&format!("{prefix}digest.yaml"), &recorded, &verdict.digest)?;
        report.scenarios.push(verdict);
    }
    policy(&mut report, manifest, files, &fixtures)?;
    for format in REPORT_FORMATS {
        let file = format!("verdicts/{}", format.file);
        let recorded = files.get(&file).ok_or_else(|| format!("{file}: not in the bundle"))?;
        first_difference(&file, &String::from_utf8_lossy(recorded), &(format.render)(&report)).map_err(|e| {
            let rules = serde_json::from_slice(recorded).map(|v| rule_differences(&v, &report)).unwrap_or_default();
            rules.into_iter().fold(e, |e, r| format!("{e}\n  {r}"))
        })?;
    }
    Ok(report.scenarios.len())
}

/// What the run did to the judge's verdicts, done again: `--rule` (the manifest's option `rule`)
/// reports only the rules selected, and the waivers the recorded JSON verdicts list are applied
/// on the day the run judged expiry on (the option `today`).
fn policy(report: &mut SuiteReport, manifest: &Manifest, files: &Files, fixtures: &Fixtures) -> Result<(), String> {
    let option = |name: &str| manifest.invocation.options.get(name);
    let ids: Vec<String> = option("rule").and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default();
    let rules = selection::rules(&ids).map_err(|e| format!("manifest.json, option `rule`: {e}"))?;
    for s in report.scenarios.iter_mut() {
        if let Some(only) = &rules {
            selection::restrict(s, only);
        }
    }
    let Some(json) = files.get("verdicts/verdicts.json") else { return Ok(()) };
    let recorded = report::from_json_str(&String::from_utf8_lossy(json)).map_err(|e| format!("verdicts/verdicts.json: {e}"))?;
    if recorded.waivers.is_empty() {
        return Ok(());
    }
    let day = option("today").and_then(|v| v.as_str()).ok_or("manifest.json: waivers without the option `today`")?;
    let today = waivers::parse_day(day).map_err(|e| format!("manifest.json, option `today`: {e}"))?;
    let available: Vec<String> = fixtures.scenarios().map_err(|e| e.to_string())?.into_iter().map(|(n, _)| n).collect();
    if let Some(w) = waivers::recorded(&recorded, today) {
        w.apply_to(report, &available, rules.as_ref());
    }
    Ok(())
}

/// A snapshot that is missing or unreadable names its path: the run's fixture folder's (the
/// manifest's option `fixtures`), not the work folder `verify` judges in.
fn relocated(status: SnapshotStatus, here: &Path, invocation: &Invocation) -> SnapshotStatus {
    let Some(there) = invocation.options.get("fixtures").and_then(|v| v.as_str()) else { return status };
    let here = here.display().to_string();
    match status {
        SnapshotStatus::Missing(p) => SnapshotStatus::Missing(p.replace(&here, there)),
        SnapshotStatus::Unreadable(e) => SnapshotStatus::Unreadable(e.replace(&here, there)),
        other => other,
    }
}

/// The rules whose re-judged verdict is not the recorded one (JSON report), in words.
fn rule_differences(recorded: &serde_json::Value, report: &SuiteReport) -> Vec<String> {
    let mut out = Vec::new();
    let scenarios = recorded["scenarios"].as_array().map(Vec::as_slice).unwrap_or_default();
    for s in &report.scenarios {
        let Some(rec) = scenarios.iter().find(|r| r["name"] == s.scenario.as_str()) else {
            out.push(format!("scenario {}: not in the recorded verdicts", s.scenario));
            continue;
        };
        let rules = rec["rules"].as_array().map(Vec::as_slice).unwrap_or_default();
        for r in &s.rules {
            let was = rules.iter().find(|x| x["id"] == r.rule.id()).and_then(|x| x["verdict"].as_str()).unwrap_or("(none)");
            if was != r.verdict.as_str() {
                let why = r.findings.first().map(|f| format!(": {f}")).unwrap_or_default();
                out.push(format!("scenario {}: {} recorded {was}, judged again {}{why}", s.scenario, r.rule.id(), r.verdict.as_str()));
            }
        }
    }
    out
}

/// `Ok` when the texts are equal, else the first line that differs.
fn first_difference(file: &str, recorded: &str, rejudged: &str) -> Result<(), String> {
    if recorded == rejudged {
        return Ok(());
    }
    let (a, b): (Vec<&str>, Vec<&str>) = (recorded.lines().collect(), rejudged.lines().collect());
    let n = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)).unwrap_or(a.len().min(b.len()));
    let show = |l: Option<&&str>| l.map_or("(nothing)".to_string(), |l| format!("`{}`", l.trim()));
    Err(format!(
        "{file} line {}: the verdicts do not follow from the evidence: recorded {}, judged again {}",
        n + 1,
        show(a.get(n)),
        show(b.get(n))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_different_line_is_named() {
        assert!(first_difference("f", "a\nb\n", "a\nb\n").is_ok());
        let e = first_difference("verdicts/verdicts.json", "a\n  \"verdict\": \"pass\"\n", "a\n  \"verdict\": \"fail\"\n").unwrap_err();
        assert!(e.starts_with("verdicts/verdicts.json line 2:"), "{e}");
        assert!(e.contains("recorded `\"verdict\": \"pass\"`") && e.contains("again `\"verdict\": \"fail\"`"), "{e}");
        assert!(first_difference("f", "a\n", "a\nb\n").unwrap_err().contains("recorded (nothing)"));
    }

    #[test]
    fn hashes_name_the_changed_missing_and_unlisted_files() {
        let files: Files = [("manifest.json", "{}"), ("a", "A"), ("fixtures/scenarios/s.toml", "S"), ("extra", "E")]
            .into_iter()
            .map(|(p, b)| (p.to_string(), b.as_bytes().to_vec()))
            .collect();
        let m = Manifest {
            format: super::super::manifest::FORMAT.into(),
            suite: super::super::manifest::SuiteInfo::this(),
            created_at: String::new(),
            invocation: Default::default(),
            connector: super::super::manifest::ConnectorInfo {
                description: "c".into(),
                command: None,
                version_command: None,
                version: "v".into(),
            },
            environment: super::super::manifest::Environment::this(),
            scenarios: vec![],
            reports: vec![],
            fixtures: BTreeMap::from([("scenarios/s.toml".into(), sha256_hex(b"changed"))]),
            files: BTreeMap::from([("a".into(), sha256_hex(b"A")), ("gone".into(), sha256_hex(b"G"))]),
        };
        let problems = check_hashes(&m, &files);
        assert_eq!(problems.len(), 3, "{problems:?}");
        let mut with_scenario = files.clone();
        with_scenario.insert("scenarios/hidden/runs.json".into(), b"{}".to_vec());
        let more = check_hashes(&m, &with_scenario);
        assert!(more.iter().any(|p| p.starts_with("scenarios/hidden/: evidence of a scenario the manifest does not list")), "{more:?}");
        assert!(problems[0].starts_with("extra: in the bundle but not in the manifest"));
        assert!(problems[1].starts_with("fixtures/scenarios/s.toml: sha256"));
        assert!(problems[2].starts_with("gone: in the manifest but not in the bundle"));
    }
}
