//! Durable state in `STATE_DIR`: the checkpoint, the ledger of (item, mailbox) deliveries, and a
//! lock so that two runs never share a state directory.
//!
//! ```text
//! STATE_DIR/
//!   lock             held (flock) for the whole run; a second run on the same directory fails
//!   checkpoint.json  {"version":1,"completed_to":"<RFC 3339>"}: every item captured before this
//!                    instant has an outcome; replaced atomically (write temp, fsync, rename,
//!                    fsync the directory)
//!   ledger.jsonl     append-only, one JSON record per line, group-committed (below):
//!                    {"op":"intent","item","user","mailbox","folder","internet_message_id"}  before an import
//!                    {"op":"imported","item","user","mailbox"}   the message is in the folder
//!                    {"op":"cleared","item","user","mailbox"}    the intent ended without a message
//! ```
//!
//! # The exactly-once argument (INCREMENTAL, DEDUP)
//!
//! 1. The window of a run is `[checkpoint, RUN_AT)`. On the very first run the checkpoint is
//!    pinned to `RUN_AT − 24 h` *before* anything is imported, so a crashed first run is resumed
//!    from the same start even if the next run has a later `RUN_AT`.
//! 2. The checkpoint only moves to the window's end when every listed item has an outcome
//!    (imported, skipped as duplicate, or a reported failure). A crash or failed run leaves it
//!    where it was, so the next run lists the unfinished window again (plus any new time): no gap.
//! 3. Before importing item *i* into user *u* the ledger is asked; an `imported` record for
//!    (*i*, *u*) means "skip, `skipped_duplicate`". Records are keyed by the user's immutable
//!    directory `id`, so aliases and renamed addresses cannot defeat it.
//! 4. The crash window between the tenant storing a message and the `imported` record being
//!    durable is closed by **asking the tenant**: each `intent` records the folder id and the
//!    item's `Message-ID`, which the tenant shows as the message's `internetMessageId`
//!    (contract v2: `GET …/mailFolders/{id}/messages?$filter=internetMessageId eq '<…>'`). At the
//!    start of the next run, before importing anything, every pending intent is resolved by that
//!    question: found → the message landed (`imported`, counted `skipped_duplicate` when the item
//!    comes round); not found, or the folder gone → it did not (`cleared`, imported normally).
//!    The same question is asked before every retry of an import whose previous attempt may
//!    have landed (5xx, reset, timeout), so retries do not duplicate either. An import that fails
//!    for good after its intent leaves the intent pending; the next run asks. Nothing here
//!    depends on what else is in the folder, so imports into one mailbox run concurrently (up to
//!    Graph's 4 in flight) and others may write the folder. Intents of older ledgers carry a
//!    `count_before` instead (the count fence of contract v1); they are resolved by it, one per
//!    mailbox.
//! 5. Once the checkpoint has moved past a window, that window's items are never listed again
//!    (the listing is by `captured_at`), so the ledger is emptied (atomically) after the
//!    checkpoint is committed; it only ever covers the unfinished window and stays small. A crash
//!    between the two steps leaves stale records that can never match again: harmless.
//! 6. **Group commit.** One writer thread writes records in the order they are queued; all
//!    records queued while it syncs are written together and share one `fdatasync`. A record is
//!    durable only once its batch's sync returned ([`Ledger::append`] waits for that). An `intent`
//!    is always waited for before its import. An `imported` outcome is only queued
//!    ([`Ledger::enqueue`]) and costs no sync of its own (it does not even wake the writer): if
//!    a crash loses it, its intent is pending and step 4 asks. The run waits for every queued record
//!    ([`Ledger::flush`]) before its report and checkpoint; a failed write poisons the ledger and
//!    fails the run.
//! 7. **Memory.** In memory the ledger keeps only what the file held when opened: the pairs an
//!    earlier (interrupted) run of the window imported, and its pending intents, until resolved.
//!    The records this run appends are not kept: within a run each item is processed once and
//!    its deliveries are distinct users, so the question "was (item, user) imported?" is never
//!    asked twice for a pair in one run; the next run reads them from the file.
//! 8. A crash can tear the last line (partial write). On open, a last line without its newline is
//!    kept if it parses (the record was complete) and dropped otherwise, and the file is
//!    truncated back to the last whole record before anything is appended. A bad line anywhere
//!    else is corruption: the run stops rather than guess.
//!
//! # Where exactly-once degrades to at-least-once (never to at-most-once)
//!
//! An item without a `Message-ID` cannot be asked for: a retried or interrupted import of it
//! may land twice (a warning says so; the vendor contract gives every item one). A request the
//! tenant receives completely but only processes after the question was answered would be
//! missed by it; that needs a tenant delaying an import beyond a retry or a process restart.
//! Someone else importing the very same message (same `Message-ID`) into the archive folder
//! makes an interrupted import count as landed: the folder then still holds it once.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use chrono::{DateTime, Utc};

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

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
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
}

const CHECKPOINT: &str = "checkpoint.json";
const LEDGER: &str = "ledger.jsonl";

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
        let path = self.dir.join(CHECKPOINT);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&path)(e)),
        };
        let file: CheckpointFile =
            serde_json::from_str(&text).map_err(|e| StateError::Corrupt { path: path.clone(), line: None, detail: e.to_string() })?;
        if file.version != 1 {
            return Err(StateError::Corrupt { path, line: None, detail: format!("unknown checkpoint version {}", file.version) });
        }
        Ok(Some(file.completed_to))
    }

    /// Commits a checkpoint atomically (write temp, fsync, rename, fsync directory).
    pub fn write_checkpoint(&self, completed_to: DateTime<Utc>) -> Result<(), StateError> {
        let text = serde_json::to_string(&CheckpointFile { version: 1, completed_to }).expect("serialisable");
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

fn sync_dir(dir: &Path) -> Result<(), StateError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

/// One ledger record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Record {
    /// An import is about to be attempted.
    Intent {
        /// Item id.
        item: String,
        /// Directory user id.
        user: String,
        /// The user's mailbox address (for people reading the file).
        mailbox: String,
        /// The target folder id.
        #[serde(default)]
        folder: Option<String>,
        /// The folder's `totalItemCount` just before the import (the count fence of ledgers
        /// written before the connector asked the tenant; read, no longer written).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count_before: Option<u64>,
        /// The item's `Message-ID`, brackets included: what the tenant is asked for
        /// (`internetMessageId`) when the outcome is unknown.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        internet_message_id: Option<String>,
    },
    /// The tenant stored the message (201, or established by the fence).
    Imported {
        /// Item id.
        item: String,
        /// Directory user id.
        user: String,
        /// The user's mailbox address (for people reading the file).
        mailbox: String,
    },
    /// The intent ended without a message: the tenant refused it, or the fence showed that an
    /// interrupted attempt never landed.
    Cleared {
        /// Item id.
        item: String,
        /// Directory user id.
        user: String,
        /// The user's mailbox address (for people reading the file).
        mailbox: String,
    },
}

/// An intent without an outcome, left by an interrupted run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingIntent {
    /// Item id.
    pub item: String,
    /// Directory user id.
    pub user: String,
    /// Mailbox address.
    pub mailbox: String,
    /// Target folder id.
    pub folder: Option<String>,
    /// The folder's count just before the import (older ledgers only).
    pub count_before: Option<u64>,
    /// The item's `Message-ID` (the tenant's `internetMessageId`).
    pub internet_message_id: Option<String>,
}

/// What opening the ledger found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerStats {
    /// Whole records read.
    pub records: usize,
    /// A torn last line was dropped.
    pub torn_tail_dropped: bool,
    /// Intents without a matching `imported` record (interrupted imports).
    pub pending_intents: usize,
}

/// What the ledger remembers in memory: only what an *earlier* run of the window left (the
/// pairs it imported and its interrupted intents). The records this run appends are durable in
/// the file but not kept in memory (see "Memory" in the module docs).
#[derive(Default)]
struct Known {
    imported: HashSet<(String, String)>,
    pending: HashMap<(String, String), PendingIntent>,
}

impl Known {
    /// Replays one record read from the file when it is opened.
    fn replay(&mut self, record: Record) {
        match record {
            Record::Intent { item, user, mailbox, folder, count_before, internet_message_id } => {
                let key = (item.clone(), user.clone());
                if !self.imported.contains(&key) {
                    let pending = PendingIntent { item, user, mailbox, folder, count_before, internet_message_id };
                    self.pending.insert(key, pending);
                }
            }
            Record::Imported { item, user, .. } => {
                let key = (item, user);
                self.pending.remove(&key);
                self.imported.insert(key);
            }
            Record::Cleared { item, user, .. } => {
                self.pending.remove(&(item, user));
            }
        }
    }

    /// Notes a record this run made durable. Only the outcome of an intent left by an earlier
    /// run changes what is known (it is resolved now, and an `imported` outcome must make the
    /// pair a duplicate when its item comes round); this run's own intents and outcomes are not
    /// kept: within a run each item is processed once and its deliveries are distinct users, so
    /// nobody asks about them again before the ledger is emptied or reopened.
    fn note(&mut self, record: Record) {
        match record {
            Record::Intent { .. } => {}
            Record::Imported { item, user, .. } => {
                let key = (item, user);
                if self.pending.remove(&key).is_some() {
                    self.imported.insert(key);
                }
            }
            Record::Cleared { item, user, .. } => {
                self.pending.remove(&(item, user));
            }
        }
    }
}

/// The longest an outcome queued without a waiter stays unwritten (see [`write_batches`]).
const OUTCOME_DELAY: std::time::Duration = std::time::Duration::from_millis(20);

/// Told once a batch is durable (or not).
type Waiter = tokio::sync::oneshot::Sender<Result<(), StateError>>;

/// What the writer thread has still to write: records in the order they were queued, and who
/// waits for them. Only a waiter wakes the writer (see [`write_batches`]).
#[derive(Default)]
struct Queue {
    bytes: Vec<u8>,
    waiters: Vec<Waiter>,
    closed: bool,
    poisoned: bool,
    /// The writer waits for a wake-up (only then is one sent: a wake-up is a system call).
    sleeping: bool,
}

/// The queue and the writer's wake-up call.
type Shared = Arc<(Mutex<Queue>, Condvar)>;

/// The append-only delivery ledger (see the module docs).
pub struct Ledger {
    path: PathBuf,
    /// To the writer thread (group commit).
    queue: Shared,
    writer: Option<std::thread::JoinHandle<()>>,
    known: Mutex<Known>,
    stats: LedgerStats,
}

impl Drop for Ledger {
    fn drop(&mut self) {
        // Closing the queue ends the writer after it has written (and synced) what was queued.
        let (queue, wake) = &*self.queue;
        queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).closed = true;
        wake.notify_one();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").field("path", &self.path).field("stats", &self.stats).finish_non_exhaustive()
    }
}

/// The writer thread: group commit. It sleeps until somebody waits for durability (an intent,
/// a cleared outcome, a flush), the ledger closes, or an outcome queued without a waiter has
/// waited [`OUTCOME_DELAY`]; then it takes everything queued so far
/// (including the `imported` outcomes queued without waiting, in their queue order), writes it
/// with one `write`, calls `fdatasync` once, and only then tells each waiter. Records queued
/// while a sync runs form the next batch. An outcome queued without a waiter therefore rarely
/// costs a sync of its own: it becomes durable with the next batch, which is before the next
/// intent of its mailbox (queued after it) and before the run's final flush, and at the latest
/// [`OUTCOME_DELAY`] after it was queued (fewer outcomes left to the fence after a kill). A failed write or sync fails
/// every waiter of its batch and poisons the ledger: a partial write may have left a torn line,
/// and nothing may be appended after it, so that it stays the last line and the next open
/// repairs it.
fn write_batches(mut file: File, path: &Path, shared: &Shared) {
    /// Should the writer ever panic, the queue is poisoned and its waiters are told, rather
    /// than left waiting for ever.
    struct OnPanic<'a>(&'a Shared, &'a Path);
    impl Drop for OnPanic<'_> {
        fn drop(&mut self) {
            if std::thread::panicking() {
                let mut q = self.0.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                q.poisoned = true;
                for waiter in q.waiters.drain(..) {
                    let _ = waiter.send(Err(StateError::Poisoned { path: self.1.to_owned() }));
                }
            }
        }
    }
    let _on_panic = OnPanic(shared, path);
    let (queue, wake) = &**shared;
    let mut bytes = Vec::new();
    let mut waiters = Vec::new();
    loop {
        {
            let mut q = queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            while q.waiters.is_empty() && !q.closed {
                q.sleeping = true;
                if q.bytes.is_empty() {
                    q = wake.wait(q).unwrap_or_else(std::sync::PoisonError::into_inner);
                } else {
                    // Outcomes are queued: written within OUTCOME_DELAY even if nobody waits,
                    // so that a killed process loses at most that much of them.
                    let (guard, waited) = wake.wait_timeout(q, OUTCOME_DELAY).unwrap_or_else(std::sync::PoisonError::into_inner);
                    q = guard;
                    if waited.timed_out() {
                        q.sleeping = false;
                        break;
                    }
                }
                q.sleeping = false;
            }
            if q.closed && q.waiters.is_empty() && q.bytes.is_empty() {
                return;
            }
            std::mem::swap(&mut bytes, &mut q.bytes);
            std::mem::swap(&mut waiters, &mut q.waiters);
        }
        let written = if bytes.is_empty() { Ok(()) } else { file.write_all(&bytes).and_then(|()| file.sync_data()) };
        bytes.clear();
        match written {
            Ok(()) => {
                for waiter in waiters.drain(..) {
                    let _ = waiter.send(Ok(()));
                }
            }
            Err(e) => {
                let mut q = queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                q.poisoned = true;
                q.bytes = Vec::new();
                for waiter in waiters.drain(..).chain(q.waiters.drain(..)) {
                    let copy = std::io::Error::new(e.kind(), e.to_string());
                    let _ = waiter.send(Err(io(path)(copy)));
                }
                return;
            }
        }
    }
}

impl Ledger {
    fn open(path: &Path, dir: &Path) -> Result<Ledger, StateError> {
        let existed = path.exists();
        let mut file = OpenOptions::new().read(true).append(true).create(true).open(path).map_err(io(path))?;
        if !existed {
            sync_dir(dir)?;
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io(path))?;

        let mut stats = LedgerStats::default();
        let mut known = Known::default();
        let mut apply = |record: Record| known.replay(record);
        let complete_len = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        for (i, line) in bytes[..complete_len].split(|&b| b == b'\n').enumerate() {
            if line.is_empty() {
                continue;
            }
            let record: Record = serde_json::from_slice(line).map_err(|e| StateError::Corrupt {
                path: path.to_owned(),
                line: Some(i + 1),
                detail: e.to_string(),
            })?;
            stats.records += 1;
            apply(record);
        }
        let tail = &bytes[complete_len..];
        if !tail.is_empty() {
            // A torn last line: the process died mid-append. Truncate to the last whole record
            // and, if the tail was nonetheless a whole record (only its newline missing), write
            // it back properly.
            let parsed: Option<Record> = serde_json::from_slice(tail).ok();
            file.set_len(complete_len as u64).map_err(io(path))?;
            file.seek(SeekFrom::End(0)).map_err(io(path))?;
            match parsed {
                Some(record) => {
                    let mut line = serde_json::to_vec(&record).expect("serialisable");
                    line.push(b'\n');
                    file.write_all(&line).map_err(io(path))?;
                    stats.records += 1;
                    apply(record);
                }
                None => {
                    stats.torn_tail_dropped = true;
                    tracing::warn!(ledger = %path.display(), "dropped a torn last ledger line left by a crash");
                }
            }
            file.sync_all().map_err(io(path))?;
        }
        stats.pending_intents = known.pending.len();
        let queue: Shared = Arc::default();
        let (writer_path, writer_queue) = (path.to_owned(), Arc::clone(&queue));
        let writer = std::thread::Builder::new()
            .name("tm-ledger".into())
            .spawn(move || write_batches(file, &writer_path, &writer_queue))
            .map_err(io(path))?;
        Ok(Ledger { path: path.to_owned(), queue, writer: Some(writer), known: Mutex::new(known), stats })
    }

    /// What opening found.
    pub fn stats(&self) -> &LedgerStats {
        &self.stats
    }

    /// Whether (item, user) was imported by this or an earlier run of the window.
    pub fn is_imported(&self, item: &str, user: &str) -> bool {
        self.known.lock().expect("not poisoned").imported.contains(&(item.to_owned(), user.to_owned()))
    }

    /// Whether an earlier attempt at (item, user) was interrupted between intent and outcome.
    pub fn was_interrupted(&self, item: &str, user: &str) -> bool {
        self.known.lock().expect("not poisoned").pending.contains_key(&(item.to_owned(), user.to_owned()))
    }

    /// Every intent without an outcome, sorted by user then item.
    pub fn pending(&self) -> Vec<PendingIntent> {
        let mut pending: Vec<PendingIntent> = self.known.lock().expect("not poisoned").pending.values().cloned().collect();
        pending.sort_by(|a, b| (&a.user, &a.item).cmp(&(&b.user, &b.item)));
        pending
    }

    /// Queues `record` (if any) and, with `waiter`, wakes the writer. Fails when an earlier
    /// write failed.
    fn queue(&self, record: Option<&Record>, waiter: Option<Waiter>) -> Result<(), StateError> {
        let (queue, wake) = &*self.queue;
        let mut q = queue.lock().expect("not poisoned");
        if q.poisoned || q.closed {
            return Err(StateError::Poisoned { path: self.path.clone() });
        }
        if let Some(record) = record {
            serde_json::to_writer(&mut q.bytes, record).expect("serialisable");
            q.bytes.push(b'\n');
        }
        if let Some(waiter) = waiter {
            q.waiters.push(waiter);
            if q.sleeping {
                q.sleeping = false;
                wake.notify_one();
            }
        }
        Ok(())
    }

    /// Queues one record without waiting for it to be durable, and without waking the writer:
    /// records are written in the order they are queued, so it is durable at the latest when
    /// any record queued after it is (an [`append`](Ledger::append) or a
    /// [`flush`](Ledger::flush)). Fails only when an earlier write failed.
    pub fn enqueue(&self, record: Record) -> Result<(), StateError> {
        self.queue(Some(&record), None)?;
        self.known.lock().expect("not poisoned").note(record);
        Ok(())
    }

    /// Waits until every record queued so far is durable; fails if any write failed.
    pub async fn flush(&self) -> Result<(), StateError> {
        let (done, durable) = tokio::sync::oneshot::channel();
        self.queue(None, Some(done))?;
        durable.await.map_err(|_| StateError::Poisoned { path: self.path.clone() })?
    }

    /// Appends one record; returns once it is durable (its batch's `fdatasync` returned).
    /// Concurrent appends share one `fdatasync` (group commit, see [`write_batches`]).
    pub async fn append(&self, record: Record) -> Result<(), StateError> {
        let (done, durable) = tokio::sync::oneshot::channel();
        self.queue(Some(&record), Some(done))?;
        durable.await.map_err(|_| StateError::Poisoned { path: self.path.clone() })??;
        self.known.lock().expect("not poisoned").note(record);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(item: &str, user: &str) -> Record {
        Record::Intent {
            item: item.into(),
            user: user.into(),
            mailbox: format!("{user}@contoso.cn"),
            folder: Some("f1".into()),
            count_before: None,
            internet_message_id: Some(format!("<{item}@tm.example>")),
        }
    }

    fn cleared(item: &str, user: &str) -> Record {
        Record::Cleared { item: item.into(), user: user.into(), mailbox: format!("{user}@contoso.cn") }
    }

    fn imported(item: &str, user: &str) -> Record {
        Record::Imported { item: item.into(), user: user.into(), mailbox: format!("{user}@contoso.cn") }
    }

    #[tokio::test]
    async fn records_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let state = StateDir::open(dir.path()).unwrap();
            let ledger = state.open_ledger().unwrap();
            ledger.append(intent("i1", "u1")).await.unwrap();
            ledger.append(imported("i1", "u1")).await.unwrap();
            ledger.append(intent("i2", "u1")).await.unwrap();
            // This run's own records are durable but not kept in memory.
            assert!(!ledger.is_imported("i1", "u1"));
            assert!(!ledger.was_interrupted("i2", "u1"));
        }
        let state = StateDir::open(dir.path()).unwrap();
        let ledger = state.open_ledger().unwrap();
        assert!(ledger.is_imported("i1", "u1"));
        assert!(!ledger.is_imported("i2", "u1"));
        assert!(ledger.was_interrupted("i2", "u1"));
        assert!(!ledger.was_interrupted("i1", "u1"));
        assert_eq!(
            ledger.pending(),
            vec![PendingIntent {
                item: "i2".into(),
                user: "u1".into(),
                mailbox: "u1@contoso.cn".into(),
                folder: Some("f1".into()),
                count_before: None,
                internet_message_id: Some("<i2@tm.example>".into()),
            }]
        );
        ledger.append(cleared("i2", "u1")).await.unwrap();
        assert!(!ledger.was_interrupted("i2", "u1"));
        assert!(!ledger.is_imported("i2", "u1"));
        assert_eq!(ledger.stats(), &LedgerStats { records: 3, torn_tail_dropped: false, pending_intents: 1 });
    }

    #[tokio::test]
    async fn the_outcome_of_an_earlier_runs_intent_is_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        {
            let ledger = state.open_ledger().unwrap();
            ledger.append(intent("i1", "u1")).await.unwrap();
            ledger.append(intent("i2", "u1")).await.unwrap();
        }
        let ledger = state.open_ledger().unwrap();
        assert!(ledger.was_interrupted("i1", "u1"));
        // Resolved as landed by the fence: the item must count as a duplicate when it comes round.
        ledger.append(imported("i1", "u1")).await.unwrap();
        ledger.append(cleared("i2", "u1")).await.unwrap();
        assert!(ledger.is_imported("i1", "u1"));
        assert!(!ledger.was_interrupted("i1", "u1"));
        assert!(!ledger.is_imported("i2", "u1"));
        assert!(ledger.pending().is_empty());
    }

    #[tokio::test]
    async fn concurrent_appends_are_all_durable() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        {
            let ledger = state.open_ledger().unwrap();
            let appends = (0..200).map(|i| ledger.append(intent(&format!("i{i}"), "u1")));
            for result in futures_util::future::join_all(appends).await {
                result.unwrap();
            }
        }
        let ledger = state.open_ledger().unwrap();
        assert_eq!(ledger.stats().records, 200);
        assert_eq!(ledger.pending().len(), 200);
    }

    #[tokio::test]
    async fn a_queued_outcome_is_durable_before_the_next_append_and_after_a_flush() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        let ledger = state.open_ledger().unwrap();
        let on_disk = || std::fs::read_to_string(dir.path().join(LEDGER)).unwrap();
        ledger.append(intent("i1", "u1")).await.unwrap();
        ledger.enqueue(imported("i1", "u1")).unwrap();
        // The next intent of the mailbox is written after the outcome, in one durable batch.
        ledger.append(intent("i2", "u1")).await.unwrap();
        let lines: Vec<Record> = on_disk().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines, vec![intent("i1", "u1"), imported("i1", "u1"), intent("i2", "u1")]);
        // An outcome with nothing queued after it is durable once the run flushes.
        ledger.enqueue(imported("i2", "u1")).unwrap();
        ledger.flush().await.unwrap();
        assert_eq!(on_disk().lines().count(), 4);
        drop(ledger);
        let ledger = state.open_ledger().unwrap();
        assert!(ledger.pending().is_empty());
        assert!(ledger.is_imported("i2", "u1"));
    }

    #[tokio::test]
    async fn a_queued_outcome_is_written_when_the_ledger_closes() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        {
            let ledger = state.open_ledger().unwrap();
            ledger.append(intent("i1", "u1")).await.unwrap();
            ledger.enqueue(imported("i1", "u1")).unwrap();
        }
        let ledger = state.open_ledger().unwrap();
        assert!(ledger.is_imported("i1", "u1"));
        assert!(ledger.pending().is_empty());
    }

    #[tokio::test]
    async fn a_torn_last_line_is_dropped_and_appending_continues_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LEDGER);
        let good = serde_json::to_string(&imported("i1", "u1")).unwrap();
        std::fs::write(&path, format!("{good}\n{{\"op\":\"imported\",\"item\":\"i2\",\"us")).unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        {
            let ledger = state.open_ledger().unwrap();
            assert!(ledger.stats().torn_tail_dropped);
            assert!(ledger.is_imported("i1", "u1"));
            assert!(!ledger.is_imported("i2", "u1"));
            ledger.append(imported("i3", "u1")).await.unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        let ledger = state.open_ledger().unwrap();
        assert!(ledger.is_imported("i3", "u1"));
        assert!(!ledger.stats().torn_tail_dropped);
    }

    #[test]
    fn a_complete_last_record_missing_only_its_newline_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LEDGER);
        std::fs::write(&path, serde_json::to_string(&imported("i1", "u1")).unwrap()).unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        let ledger = state.open_ledger().unwrap();
        assert!(ledger.is_imported("i1", "u1"));
        assert!(std::fs::read_to_string(&path).unwrap().ends_with("}\n"));
    }

    #[test]
    fn corruption_before_the_last_line_stops_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let good = serde_json::to_string(&imported("i1", "u1")).unwrap();
        std::fs::write(dir.path().join(LEDGER), format!("garbage\n{good}\n")).unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        let err = state.open_ledger().unwrap_err();
        assert!(matches!(err, StateError::Corrupt { line: Some(1), .. }), "{err}");
    }

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

    #[tokio::test]
    async fn resetting_the_ledger_forgets_the_finished_window() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        let ledger = state.open_ledger().unwrap();
        ledger.append(imported("i1", "u1")).await.unwrap();
        state.reset_ledger(ledger).unwrap();
        assert!(!state.open_ledger().unwrap().is_imported("i1", "u1"));
    }

    #[test]
    fn a_second_run_cannot_take_the_same_state_directory() {
        let dir = tempfile::tempdir().unwrap();
        let _first = StateDir::open(dir.path()).unwrap();
        assert!(matches!(StateDir::open(dir.path()), Err(StateError::Locked { .. })));
    }
}
