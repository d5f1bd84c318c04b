//! The certification bundle (`run --bundle FILE.tar.gz`): everything needed to check a suite's
//! verdicts afterwards, offline, and [`verify`](verify::verify) to check them.
//!
//! ```text
//! manifest.json                    the suite, the invocation, the connector and its version, the
//!                                  machine, the creation time, the sha256 of every other file
//! fixtures/scenarios/NAME.toml     every scenario run, its snapshot (expected/NAME.snap) and the
//! fixtures/expected/NAME.snap      mapping CSVs its runs use (mappings/FILE.csv), as used
//! fixtures/mappings/FILE.csv
//! verdicts/verdicts.json           the verdicts in every report format (REPORT_FORMATS)
//! verdicts/verdicts.txt
//! verdicts/verdicts.junit.xml
//! verdicts/verdicts.html
//! scenarios/NAME/digest.yaml       the scenario's digest (the snapshot body found)
//! scenarios/NAME/…                 its evidence: each run's journal, access log and report, the
//!                                  tenant after the runs (see `evidence.rs`)
//! ```
//!
//! The archive is deterministic ([`archive`]): the same files give the same bytes.

pub mod archive;
pub mod manifest;
pub mod verify;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::evidence;
use crate::judge::ScenarioVerdict;
use crate::report::{SuiteReport, to_html, to_json, to_junit, to_text};
use crate::runner::{Connector, Execution};
use crate::suite::Fixtures;
use archive::Files;
use manifest::{ConnectorInfo, Environment, FORMAT, Invocation, Manifest, SuiteInfo, VersionError, sha256_hex};

/// One report format a bundle holds: its file under `verdicts/` and how it is rendered from
/// the verdicts. `verify` renders each again from the re-judged verdicts and compares.
#[derive(Debug, Clone, Copy)]
pub struct ReportFormat {
    /// The file name under `verdicts/`.
    pub file: &'static str,
    /// The report in that format.
    pub render: fn(&SuiteReport) -> String,
}

/// Every report format of a bundle, the JSON first (the one `verify` names differences in
/// first). A new format (HTML) is one more line here.
pub const REPORT_FORMATS: &[ReportFormat] = &[
    ReportFormat { file: "verdicts.json", render: json_text },
    ReportFormat { file: "verdicts.txt", render: to_text },
    ReportFormat { file: "verdicts.junit.xml", render: to_junit },
    ReportFormat { file: "verdicts.html", render: to_html },
];

/// The JSON report as `run --json` writes it.
pub fn json_text(report: &SuiteReport) -> String {
    serde_json::to_string_pretty(&to_json(report)).expect("the JSON report serialises") + "\n"
}

/// Why a bundle cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// A fixture file cannot be read, or lies outside the fixture folder.
    #[error("fixture {path}: {why}")]
    Fixture {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
    /// The bundle file cannot be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// A bundle being put together while the suite runs: one scenario at a time, then
/// [`BundleWriter::finish`] with the verdicts.
#[derive(Debug)]
pub struct BundleWriter {
    fixtures: Fixtures,
    root: PathBuf,
    fixture_files: Files,
    files: Files,
    scenarios: Vec<String>,
}

impl BundleWriter {
    /// An empty bundle over a fixture folder.
    pub fn new(fixtures: &Fixtures) -> BundleWriter {
        let root = std::fs::canonicalize(&fixtures.root).unwrap_or_else(|_| fixtures.root.clone());
        BundleWriter { fixtures: fixtures.clone(), root, fixture_files: Files::new(), files: Files::new(), scenarios: Vec::new() }
    }

    /// Adds a scenario that ran: its fixtures (scenario, snapshot, mappings), its digest and its
    /// evidence.
    pub fn add_scenario(&mut self, name: &str, exec: &Execution, verdict: &ScenarioVerdict) -> Result<(), BundleError> {
        self.add_fixture(&self.fixtures.scenario_path(name))?;
        let snapshot = self.fixtures.snapshot_path(name);
        if snapshot.exists() {
            self.add_fixture(&snapshot)?;
        }
        for mapping in exec.seen.world().scenario.runs.iter().filter_map(|r| r.mapping.as_deref()) {
            self.add_fixture(mapping)?;
        }
        let dir = format!("scenarios/{name}");
        self.files.insert(format!("{dir}/digest.yaml"), verdict.digest.clone().into_bytes());
        for (path, bytes) in evidence::to_files(exec) {
            self.files.insert(format!("{dir}/{path}"), bytes);
        }
        self.scenarios.push(name.to_string());
        Ok(())
    }

    fn add_fixture(&mut self, path: &Path) -> Result<(), BundleError> {
        let fail = |why: String| BundleError::Fixture { path: path.display().to_string(), why };
        let real = std::fs::canonicalize(path).map_err(|e| fail(e.to_string()))?;
        let rel = real.strip_prefix(&self.root).map_err(|_| fail(format!("not in the fixture folder {}", self.root.display())))?;
        let rel = rel.to_str().filter(|r| archive::plain(r)).ok_or_else(|| fail("not a plain UTF-8 path".into()))?.to_string();
        if let std::collections::btree_map::Entry::Vacant(e) = self.fixture_files.entry(rel) {
            e.insert(std::fs::read(&real).map_err(|e| fail(e.to_string()))?);
        }
        Ok(())
    }

    /// Writes the bundle to `path` with the verdicts in every format; returns the manifest's
    /// sha256 (what names this bundle).
    pub fn finish(mut self, report: &SuiteReport, about: About, path: &Path) -> Result<String, BundleError> {
        let mut reports = Vec::new();
        for format in REPORT_FORMATS {
            let file = format!("verdicts/{}", format.file);
            self.files.insert(file.clone(), (format.render)(report).into_bytes());
            reports.push(file);
        }
        let manifest = Manifest {
            format: FORMAT.into(),
            suite: SuiteInfo::this(),
            created_at: about.created_at,
            invocation: about.invocation,
            connector: about.connector,
            environment: about.environment,
            scenarios: self.scenarios,
            reports,
            fixtures: self.fixture_files.iter().map(|(p, b)| (p.clone(), sha256_hex(b))).collect(),
            files: self.files.iter().map(|(p, b)| (p.clone(), sha256_hex(b))).collect(),
        };
        let manifest_bytes = manifest.to_bytes();
        let digest = sha256_hex(&manifest_bytes);
        let mut all: Files = self.files;
        all.extend(self.fixture_files.into_iter().map(|(p, b)| (format!("fixtures/{p}"), b)));
        all.insert("manifest.json".into(), manifest_bytes);
        let write = |source| BundleError::Write { path: path.display().to_string(), source };
        let bytes = archive::write(&all).map_err(write)?;
        std::fs::write(path, bytes).map_err(write)?;
        Ok(digest)
    }
}

/// What the manifest says besides the files: how the suite ran, the connector, the machine,
/// when.
#[derive(Debug, Clone)]
pub struct About {
    /// The command line and its options.
    pub invocation: Invocation,
    /// The connector and its version.
    pub connector: ConnectorInfo,
    /// The machine.
    pub environment: Environment,
    /// RFC 3339.
    pub created_at: String,
}

impl About {
    /// This machine, now.
    pub fn now(invocation: Invocation, connector: ConnectorInfo) -> About {
        let created_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        About { invocation, connector, environment: Environment::this(), created_at }
    }
}

/// A bundle being made by `run --bundle`: where it goes, the connector (its version told
/// before the first run, so that a failing version command stops the suite early), the writer.
#[derive(Debug)]
pub struct Bundling {
    path: PathBuf,
    connector: ConnectorInfo,
    writer: BundleWriter,
}

impl Bundling {
    /// Starts a bundle for `path`: tells the connector's version (`--connector-version`).
    pub fn start(
        path: PathBuf,
        fixtures: &Fixtures,
        connector: &Connector,
        version_command: Option<&str>,
    ) -> Result<Bundling, VersionError> {
        Ok(Bundling { path, connector: ConnectorInfo::probe(connector, version_command)?, writer: BundleWriter::new(fixtures) })
    }

    /// Adds a scenario that ran (see [`BundleWriter::add_scenario`]).
    pub fn add(&mut self, name: &str, exec: &Execution, verdict: &ScenarioVerdict) -> Result<(), BundleError> {
        self.writer.add_scenario(name, exec, verdict)
    }

    /// Writes the bundle with the verdicts; `options` are the run's flags in effect (a JSON
    /// object by flag name; the connector's and the fixtures' are added). Returns where it
    /// went and the manifest's sha256.
    pub fn finish(self, report: &SuiteReport, options: serde_json::Value) -> Result<(PathBuf, String), BundleError> {
        let mut options: BTreeMap<String, serde_json::Value> = match options {
            serde_json::Value::Object(map) => map.into_iter().collect(),
            _ => BTreeMap::new(),
        };
        options.insert("connector-cmd".into(), self.connector.command.clone().into());
        options.insert("connector-version".into(), self.connector.version_command.clone().into());
        options.insert("fixtures".into(), self.writer.fixtures.root.display().to_string().into());
        let invocation = Invocation { args: std::env::args().skip(1).collect(), options };
        let digest = self.writer.finish(report, About::now(invocation, self.connector), &self.path)?;
        Ok((self.path, digest))
    }
}
