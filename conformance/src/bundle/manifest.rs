//! The bundle's manifest (`manifest.json`): which suite judged (name, version, git revision),
//! how it was run, which connector (its command and what it says of its version), on what
//! machine, when (the one wall-clock field, `created_at`, which `verify` does not compare), and
//! the sha256 of every fixture used and of every other file of the bundle.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::runner::Connector;

/// The manifest's `format`: what this suite writes and reads.
pub const FORMAT: &str = "tm-conformance-bundle/1";

/// The git revision the suite was built from (`build.rs`: `git rev-parse HEAD`, else the
/// build-time `TM_CONFORMANCE_GIT_REVISION`, else `unknown`).
pub const GIT_REVISION: &str = env!("TM_CONFORMANCE_GIT_REVISION");

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The suite that judged.
    pub suite: SuiteInfo,
    /// When the bundle was made, RFC 3339 (the only wall-clock field; not compared).
    pub created_at: String,
    /// How the suite was run.
    pub invocation: Invocation,
    /// The connector under test.
    pub connector: ConnectorInfo,
    /// The machine.
    pub environment: Environment,
    /// The scenarios run, in order (each has its folder `scenarios/NAME/`).
    pub scenarios: Vec<String>,
    /// The verdict files, one per report format (`verdicts/…`).
    pub reports: Vec<String>,
    /// sha256 of every fixture used, by path in the fixture folder (`scenarios/NAME.toml`,
    /// `expected/NAME.snap`, `mappings/FILE.csv`); the bundle holds each under `fixtures/`.
    pub fixtures: BTreeMap<String, String>,
    /// sha256 of every other file of the bundle, by path.
    pub files: BTreeMap<String, String>,
}

/// The suite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteInfo {
    /// `tm-conformance`.
    pub name: String,
    /// Its version (the crate's).
    pub version: String,
    /// Its git revision, or `unknown`.
    pub git_revision: String,
}

impl SuiteInfo {
    /// This suite.
    pub fn this() -> SuiteInfo {
        SuiteInfo { name: env!("CARGO_PKG_NAME").into(), version: env!("CARGO_PKG_VERSION").into(), git_revision: GIT_REVISION.into() }
    }
}

/// The command line and the options it resolved to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invocation {
    /// The arguments after the program's name.
    pub args: Vec<String>,
    /// The options in effect (flags and their environment variables), by flag name.
    pub options: BTreeMap<String, serde_json::Value>,
}

/// The connector under test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorInfo {
    /// As the reports name it.
    pub description: String,
    /// Its command (`--connector-cmd`), or none for the reference connector.
    pub command: Option<String>,
    /// The command that told its version (`--connector-version`), if any.
    pub version_command: Option<String>,
    /// What it says of its version: the version command's standard output, or the reference
    /// connector's crate version.
    pub version: String,
}

/// Why the connector's version cannot be told.
#[derive(Debug, thiserror::Error)]
#[error("--connector-version `{command}`: {why}")]
pub struct VersionError {
    /// The command.
    pub command: String,
    /// What went wrong.
    pub why: String,
}

impl ConnectorInfo {
    /// The connector and its version: `version_command` run as `sh -c` (its standard output,
    /// trailing whitespace trimmed), else, for the reference connector, its crate version.
    pub fn probe(connector: &Connector, version_command: Option<&str>) -> Result<ConnectorInfo, VersionError> {
        let version = match version_command {
            Some(cmd) => {
                let fail = |why: String| VersionError { command: cmd.to_string(), why };
                let out = std::process::Command::new("sh").arg("-c").arg(cmd).output().map_err(|e| fail(e.to_string()))?;
                if !out.status.success() {
                    return Err(fail(format!("{} ({})", out.status, String::from_utf8_lossy(&out.stderr).trim())));
                }
                String::from_utf8_lossy(&out.stdout).trim_end().to_string()
            }
            None => match connector {
                Connector::Reference => format!("tm-connector {}", env!("CARGO_PKG_VERSION")),
                Connector::Command(_) => "unknown (no --connector-version)".into(),
            },
        };
        let command = match connector {
            Connector::Reference => None,
            Connector::Command(c) => Some(c.clone()),
        };
        Ok(ConnectorInfo { description: connector.describe(), command, version_command: version_command.map(str::to_string), version })
    }
}

/// The machine the suite ran on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// `std::env::consts::OS` (`linux`, `macos`, ...).
    pub os: String,
    /// `std::env::consts::ARCH`.
    pub arch: String,
    /// `uname -srm`, when there is one.
    pub uname: Option<String>,
    /// CPUs available to the suite.
    pub cpus: usize,
}

impl Environment {
    /// This machine.
    pub fn this() -> Environment {
        let uname = std::process::Command::new("uname")
            .arg("-srm")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        Environment {
            os: std::env::consts::OS.into(),
            arch: std::env::consts::ARCH.into(),
            uname,
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// Lowercase hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Manifest {
    /// The manifest as the bundle holds it (pretty JSON, a final newline).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut text = serde_json::to_vec_pretty(self).expect("a manifest serialises");
        text.push(b'\n');
        text
    }

    /// A manifest read back; the error names the line.
    pub fn from_bytes(bytes: &[u8]) -> Result<Manifest, String> {
        let m: Manifest = serde_json::from_slice(bytes).map_err(|e| format!("line {}: {e}", e.line()))?;
        if m.format != FORMAT {
            return Err(format!("format `{}`; this suite reads `{FORMAT}`", m.format));
        }
        Ok(m)
    }

    /// The sha256 the manifest gives a file of the bundle (`fixtures/…` from `fixtures`).
    pub fn hash_of(&self, path: &str) -> Option<&String> {
        match path.strip_prefix("fixtures/") {
            Some(rel) => self.fixtures.get(rel),
            None => self.files.get(path),
        }
    }

    /// Every file the manifest lists, by its path in the bundle.
    pub fn listed(&self) -> impl Iterator<Item = (String, &String)> {
        self.fixtures.iter().map(|(p, h)| (format!("fixtures/{p}"), h)).chain(self.files.iter().map(|(p, h)| (p.clone(), h)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            format: FORMAT.into(),
            suite: SuiteInfo::this(),
            created_at: "2026-12-07T00:00:00Z".into(),
            invocation: Invocation::default(),
            connector: ConnectorInfo::probe(&Connector::Reference, None).unwrap(),
            environment: Environment::this(),
            scenarios: vec!["folder".into()],
            reports: vec!["verdicts/verdicts.json".into()],
            fixtures: BTreeMap::from([("scenarios/folder.toml".into(), sha256_hex(b"x"))]),
            files: BTreeMap::from([("verdicts/verdicts.json".into(), sha256_hex(b"{}"))]),
        }
    }

    #[test]
    fn a_manifest_round_trips_and_names_its_files() {
        let m = manifest();
        assert_eq!(Manifest::from_bytes(&m.to_bytes()).unwrap(), m);
        assert_eq!(m.hash_of("fixtures/scenarios/folder.toml"), Some(&sha256_hex(b"x")));
        assert_eq!(m.hash_of("scenarios/folder.toml"), None);
        let listed: Vec<String> = m.listed().map(|(p, _)| p).collect();
        assert_eq!(listed, ["fixtures/scenarios/folder.toml", "verdicts/verdicts.json"]);
    }

    #[test]
    fn another_format_or_bad_json_is_refused_by_line() {
        let other = Manifest { format: "tm-conformance-bundle/0".into(), ..manifest() };
        assert!(Manifest::from_bytes(&other.to_bytes()).unwrap_err().contains("tm-conformance-bundle/0"));
        assert!(Manifest::from_bytes(b"{\n\"format\": 3\n}").unwrap_err().starts_with("line 2"));
    }

    #[test]
    fn the_version_command_speaks_or_fails_clearly() {
        let c = Connector::Command("true".into());
        assert_eq!(ConnectorInfo::probe(&c, Some("echo 'v1.2.3'")).unwrap().version, "v1.2.3");
        let e = ConnectorInfo::probe(&c, Some("echo oops >&2; exit 3")).unwrap_err();
        assert!(e.to_string().contains("oops"), "{e}");
        assert_eq!(ConnectorInfo::probe(&Connector::Reference, None).unwrap().command, None);
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
