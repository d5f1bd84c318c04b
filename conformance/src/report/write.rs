//! Writing a report in the formats asked for: what `run` and `merge` share, so that a format
//! added here is one both of them write.

use std::path::{Path, PathBuf};

use super::{SuiteReport, to_html, to_json, to_junit};

/// The report files asked for (each `None` when not asked).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outputs {
    /// `--json PATH`: the verdicts as JSON.
    pub json: Option<PathBuf>,
    /// `--junit PATH`: the verdicts as JUnit XML.
    pub junit: Option<PathBuf>,
    /// `--html PATH`: the verdicts as one self-contained page (the time lines only where the
    /// report holds the executions' requests: not in a report read back from JSON).
    pub html: Option<PathBuf>,
}

/// A report file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {error}")]
pub struct WriteError {
    /// The file.
    pub path: String,
    /// Why.
    pub error: std::io::Error,
}

/// Writes `report` to every file of `outputs`.
pub fn write_all(report: &SuiteReport, outputs: &Outputs) -> Result<(), WriteError> {
    if let Some(path) = &outputs.json {
        // The pretty text ends with a newline, as a text file does.
        let text = serde_json::to_string_pretty(&to_json(report)).expect("a JSON value serialises");
        write(path, text + "\n")?;
    }
    if let Some(path) = &outputs.junit {
        write(path, to_junit(report))?;
    }
    if let Some(path) = &outputs.html {
        write(path, to_html(report))?;
    }
    Ok(())
}

fn write(path: &Path, text: String) -> Result<(), WriteError> {
    std::fs::write(path, text).map_err(|error| WriteError { path: path.display().to_string(), error })
}
