//! The state directory, `STATE_DIR`: its lock, the checkpoint, and where the ledger lives.
//!
//! ```text
//! STATE_DIR/
//!   lock             held (flock) for the whole run; a second run on the same directory fails
//!   checkpoint.json  {"version":2,"completed_to":"<RFC 3339>","after_seq":N}: every item captured
//!                    before `completed_to` has an outcome, and every item of the vendor's
//!                    sequence up to `after_seq` is done (imported, reported, out of scope, or
//!                    captured at or after `completed_to`, which a later window lists); replaced
//!                    atomically (write temp, fsync, rename, fsync the directory). A version 1
//!                    file (no `after_seq`, written before the sequence listing) still reads:
//!                    its next run follows the sequence from the start without importing what
//!                    it finds before its window (a first run's scope) and writes version 2
//!   ledger.jsonl     the delivery ledger (`ledger/`): append-only, one JSON record per line
//! ```
//!
//! Why the checkpoint moves when it does, and how the ledger makes each delivery happen once, is
//! argued in `ledger/mod.rs`.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::ledger::Ledger;

/// A state-directory failure. Any of these fails the run (exit 1) without advancing the
/// checkpoint.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// I/O on a state file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Another run holds the state directory.
    #[error("{}: another tm-connector run is using this state directory", path.display())]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// A state file does not parse.
    #[error("{}{}: corrupt state: {detail}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The line, for the ledger.
        line: Option<usize>,
        /// What is wrong.
        detail: String,
    },
    /// An earlier ledger write failed; no further writes are accepted this run.
    #[error("{}: an earlier write failed; the ledger accepts no more records this run", path.display())]
    Poisoned {
        /// The ledger file.
        path: PathBuf,
    },
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io { path: path.to_owned(), source }
}

/// The locked state directory.
#[derive(Debug)]
pub struct StateDir {
    dir: PathBuf,
    _lock: File,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct CheckpointFile {
    version: u32,
    completed_to: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    after_seq: Option<u64>,
}

const CHECKPOINT: &str = "checkpoint.json";
pub(crate) const LEDGER: &str = "ledger.jsonl";

impl StateDir {
    /// Creates the directory if needed and takes its lock.
    pub fn open(dir: &Path) -> Result<StateDir, StateError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let lock_path = dir.join("lock");
        let lock = OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path).map_err(io(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(StateError::Locked { path: lock_path }),
            Err(std::fs::TryLockError::Error(e)) => return Err(io(&lock_path)(e)),
        }
        Ok(StateDir { dir: dir.to_owned(), _lock: lock })
    }

    /// The committed checkpoint, if any run got that far.
    pub fn checkpoint(&self) -> Result<Option<DateTime<Utc>>, StateError> {
        Ok(self.read_checkpoint()?.map(|f| f.completed_to))
    }

    /// The committed sequence cursor (`after_seq`), if a run got that far.
    pub fn sequence(&self) -> Result<Option<u64>, StateError> {
        Ok(self.read_checkpoint()?.and_then(|f| f.after_seq))
    }

    fn read_checkpoint(&self) -> Result<Option<CheckpointFile>, StateError> {
        let path = self.dir.join(CHECKPOINT);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&path)(e)),
        };
        let file: CheckpointFile =
            serde_json::from_str(&text).map_err(|e| StateError::Corrupt { path: path.clone(), line: None, detail: e.to_string() })?;
        if file.version != 1 && file.version != 2 {
            return Err(StateError::Corrupt { path, line: None, detail: format!("unknown checkpoint version {}", file.version) });
        }
        Ok(Some(file))
    }

    /// Commits a checkpoint atomically (write temp, fsync, rename, fsync directory), keeping
    /// the sequence cursor committed before.
    pub fn write_checkpoint(&self, completed_to: DateTime<Utc>) -> Result<(), StateError> {
        let after_seq = self.sequence()?;
        self.write_state(completed_to, after_seq)
    }

    /// Commits a checkpoint and the sequence cursor together, atomically.
    pub fn write_state(&self, completed_to: DateTime<Utc>, after_seq: Option<u64>) -> Result<(), StateError> {
        let version = if after_seq.is_some() { 2 } else { 1 };
        let text = serde_json::to_string(&CheckpointFile { version, completed_to, after_seq }).expect("serialisable");
        self.replace_atomically(CHECKPOINT, text.as_bytes())
    }

    /// Opens (or creates) the ledger, repairing a torn last line.
    pub fn open_ledger(&self) -> Result<Ledger, StateError> {
        Ledger::open(&self.dir.join(LEDGER), &self.dir)
    }

    /// Empties the ledger atomically; call only after the checkpoint moved past its window.
    pub fn reset_ledger(&self, ledger: Ledger) -> Result<(), StateError> {
        drop(ledger);
        self.replace_atomically(LEDGER, b"")
    }

    fn replace_atomically(&self, name: &str, contents: &[u8]) -> Result<(), StateError> {
        // A temporary file in the same directory, synced, renamed over the old one (`tempfile`),
        // then the directory synced so that the rename itself is durable.
        let path = self.dir.join(name);
        let mut file = tempfile::NamedTempFile::new_in(&self.dir).map_err(io(&self.dir))?;
        file.write_all(contents).map_err(io(file.path()))?;
        file.as_file().sync_all().map_err(io(file.path()))?;
        file.persist(&path).map_err(|e| e.error).map_err(io(&path))?;
        sync_dir(&self.dir)
    }
}

pub(crate) fn sync_dir(dir: &Path) -> Result<(), StateError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checkpoint_round_trips_and_is_absent_at_first() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        assert_eq!(state.checkpoint().unwrap(), None);
        let t: DateTime<Utc> = "2026-11-21T00:00:00Z".parse().unwrap();
        state.write_checkpoint(t).unwrap();
        assert_eq!(state.checkpoint().unwrap(), Some(t));
        // Nothing but the state's own files is left behind (no temporary file).
        let mut names: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        assert!(names.iter().all(|n| !n.starts_with(".tmp")), "{names:?}");
        assert!(names.contains(&"checkpoint.json".to_owned()), "{names:?}");
    }

    #[test]
    fn a_version_1_checkpoint_reads_without_a_cursor_and_the_cursor_is_kept_by_later_writes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CHECKPOINT), r#"{"version":1,"completed_to":"2026-11-21T00:00:00Z"}"#).unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        let t: DateTime<Utc> = "2026-11-21T00:00:00Z".parse().unwrap();
        assert_eq!((state.checkpoint().unwrap(), state.sequence().unwrap()), (Some(t), None));
        state.write_state(t, Some(17)).unwrap();
        state.write_checkpoint(t + chrono::TimeDelta::hours(1)).unwrap();
        assert_eq!(state.sequence().unwrap(), Some(17));
        let text = std::fs::read_to_string(dir.path().join(CHECKPOINT)).unwrap();
        assert!(text.contains(r#""version":2"#) && text.contains(r#""after_seq":17"#), "{text}");
    }

    #[test]
    fn a_second_run_cannot_take_the_same_state_directory() {
        let dir = tempfile::tempdir().unwrap();
        let _first = StateDir::open(dir.path()).unwrap();
        assert!(matches!(StateDir::open(dir.path()), Err(StateError::Locked { .. })));
    }
}
