//! The suite: the fixture folder (scenarios, mappings, expected snapshots) and running a
//! connector through any of its scenarios.

use std::path::{Path, PathBuf};

use tm_simulator::{Scenario, ScenarioError};

use crate::digest::Snapshot;
use crate::judge::{ScenarioVerdict, SnapshotStatus, judge};
use crate::oracle::OracleError;
use crate::runner::{Connector, Execution, RunError, RunOptions, run_scenario};

/// The fixture folder: `scenarios/*.toml`, `mappings/*.csv`, `expected/*.snap`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixtures {
    /// The folder.
    pub root: PathBuf,
}

/// Why a scenario could not be judged.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// No such scenario.
    #[error("no scenario `{name}` in {dir} (try `tm-conformance list`)")]
    Unknown {
        /// The name asked for.
        name: String,
        /// The scenario folder.
        dir: String,
    },
    /// The scenario file is invalid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The scenario could not be run.
    #[error(transparent)]
    Run(#[from] RunError),
    /// The oracle cannot judge it.
    #[error(transparent)]
    Oracle(#[from] OracleError),
    /// The scenario folder cannot be read.
    #[error("cannot read {dir}: {source}")]
    Io {
        /// The folder.
        dir: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl Fixtures {
    /// The repository's `fixtures/` (found from this crate's source folder), else `./fixtures`.
    pub fn locate() -> Fixtures {
        let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        if built.join("scenarios").is_dir() {
            return Fixtures { root: std::fs::canonicalize(&built).unwrap_or(built) };
        }
        Fixtures { root: PathBuf::from("fixtures") }
    }

    /// A fixture folder.
    pub fn at(root: impl Into<PathBuf>) -> Fixtures {
        Fixtures { root: root.into() }
    }

    /// `scenarios/`.
    pub fn scenario_dir(&self) -> PathBuf {
        self.root.join("scenarios")
    }

    /// The scenario file of a name.
    pub fn scenario_path(&self, name: &str) -> PathBuf {
        self.scenario_dir().join(format!("{name}.toml"))
    }

    /// The snapshot of a scenario.
    pub fn snapshot_path(&self, name: &str) -> PathBuf {
        self.root.join("expected").join(format!("{name}.snap"))
    }

    /// Every scenario with scheduled runs (file stems, sorted); scenarios without runs (the demo)
    /// are for people, not for the suite.
    pub fn scenarios(&self) -> Result<Vec<(String, Scenario)>, SuiteError> {
        let dir = self.scenario_dir();
        let io = |source| SuiteError::Io { dir: dir.display().to_string(), source };
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .map_err(io)?
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".toml")).map(str::to_string))
            .collect();
        names.sort();
        let mut out = Vec::new();
        for name in names {
            let scenario = self.load(&name)?;
            if !scenario.runs.is_empty() {
                out.push((name, scenario));
            }
        }
        Ok(out)
    }

    /// Loads a scenario by name.
    pub fn load(&self, name: &str) -> Result<Scenario, SuiteError> {
        let path = self.scenario_path(name);
        if !path.is_file() {
            return Err(SuiteError::Unknown { name: name.into(), dir: self.scenario_dir().display().to_string() });
        }
        Ok(Scenario::from_path(&path)?)
    }

    /// The stored snapshot of a scenario, or why there is none to use.
    pub fn snapshot(&self, name: &str) -> Result<Snapshot, SnapshotStatus> {
        let path = self.snapshot_path(name);
        if !path.exists() {
            return Err(SnapshotStatus::Missing(path.display().to_string()));
        }
        Snapshot::read(&path).map_err(|e| SnapshotStatus::Unreadable(e.to_string()))
    }
}

/// A connector and the fixtures to judge it with.
#[derive(Debug, Clone)]
pub struct Suite {
    /// The fixtures.
    pub fixtures: Fixtures,
    /// The connector under test.
    pub connector: Connector,
    /// Runner settings.
    pub options: RunOptions,
}

impl Suite {
    /// The suite with the repository's fixtures and a connector.
    pub fn new(connector: Connector) -> Suite {
        Suite { fixtures: Fixtures::locate(), connector, options: RunOptions::default() }
    }

    /// Runs a scenario (loaded already) and returns the execution.
    pub async fn execute(&self, scenario: Scenario) -> Result<Execution, SuiteError> {
        Ok(run_scenario(scenario, &self.connector, &self.options).await?)
    }

    /// Runs and judges one scenario by name.
    pub async fn run(&self, name: &str) -> Result<(Execution, ScenarioVerdict), SuiteError> {
        let scenario = self.fixtures.load(name)?;
        let exec = self.execute(scenario).await?;
        let mut verdict = judge(&exec, self.fixtures.snapshot(name))?;
        verdict.scenario = name.to_string();
        Ok((exec, verdict))
    }
}
