//! The delivery ledger, `STATE_DIR/ledger.jsonl`: an append-only, group-committed record of each
//! [`Delivery`]'s intent and outcome ([`Record`], `record.rs`), read back when the ledger is
//! opened ([`Ledger::open`], repairing a torn last line) and written by one thread
//! (`writer.rs`). The state directory around it (lock, checkpoint) is `state.rs`.
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
//!    Graph's 4 in flight) and others may write the folder.
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
//!    its deliveries are distinct users, so the question "was this delivery imported?" is never
//!    asked twice for a pair in one run; the next run reads them from the file.
//! 8. A crash can tear the last line (partial write). On open, a last line without its newline is
//!    kept if it parses (the record was complete) and dropped otherwise, and the file is
//!    truncated back to the last whole record before anything is appended. A bad line anywhere
//!    else is corruption: the run stops rather than guess.
//!
//! # Where exactly-once degrades to at-least-once (never to at-most-once)
//!
//! An item without a `Message-ID` could not be asked for, so it is not imported at all (it is
//! `malformed_item`, `pipeline/item.rs`; the vendor contract gives every item one). A request the
//! tenant receives completely but only processes after the question was answered would be
//! missed by it; that needs a tenant delaying an import beyond a retry or a process restart.
//! Someone else importing the very same message (same `Message-ID`) into the archive folder
//! makes an interrupted import count as landed: the folder then still holds it once.

mod known;
mod record;
mod writer;

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use record::{Intent, Record};

use crate::delivery::Delivery;
use crate::state::{StateError, io, sync_dir};
use known::Known;
use writer::{Shared, Waiter, write_batches};

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

impl Ledger {
    /// Opens (or creates) the ledger at `path` in the state directory `dir`, repairing a torn
    /// last line, and starts its writer.
    pub(crate) fn open(path: &Path, dir: &Path) -> Result<Ledger, StateError> {
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

    /// Whether the delivery was imported by an earlier run of the window (or resolved as
    /// imported by this one).
    pub fn is_imported(&self, delivery: &Delivery) -> bool {
        self.known.lock().expect("not poisoned").imported.contains(delivery)
    }

    /// Whether an earlier attempt at the delivery was interrupted between intent and outcome.
    pub fn was_interrupted(&self, delivery: &Delivery) -> bool {
        self.known.lock().expect("not poisoned").pending.contains_key(delivery)
    }

    /// Every intent without an outcome, sorted by mailbox then item.
    pub fn pending(&self) -> Vec<Intent> {
        let mut pending: Vec<Intent> = self.known.lock().expect("not poisoned").pending.values().cloned().collect();
        pending.sort_by(|a, b| (&a.delivery.mailbox, &a.delivery.item).cmp(&(&b.delivery.mailbox, &b.delivery.item)));
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
    use crate::state::{LEDGER, StateDir};

    fn d(item: &str, user: &str) -> Delivery {
        Delivery::new(item.parse().unwrap(), user.parse().unwrap())
    }

    fn pending(item: &str, user: &str) -> Intent {
        Intent {
            delivery: d(item, user),
            address: format!("{user}@contoso.cn"),
            folder: Some("f1".into()),
            internet_message_id: Some(format!("<{item}@tm.example>")),
        }
    }

    fn intent(item: &str, user: &str) -> Record {
        pending(item, user).record()
    }

    fn cleared(item: &str, user: &str) -> Record {
        pending(item, user).cleared()
    }

    fn imported(item: &str, user: &str) -> Record {
        pending(item, user).imported()
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
            assert!(!ledger.is_imported(&d("i1", "u1")));
            assert!(!ledger.was_interrupted(&d("i2", "u1")));
        }
        let state = StateDir::open(dir.path()).unwrap();
        let ledger = state.open_ledger().unwrap();
        assert!(ledger.is_imported(&d("i1", "u1")));
        assert!(!ledger.is_imported(&d("i2", "u1")));
        assert!(ledger.was_interrupted(&d("i2", "u1")));
        assert!(!ledger.was_interrupted(&d("i1", "u1")));
        assert_eq!(
            ledger.pending(),
            vec![Intent {
                delivery: d("i2", "u1"),
                address: "u1@contoso.cn".into(),
                folder: Some("f1".into()),
                internet_message_id: Some("<i2@tm.example>".into()),
            }]
        );
        ledger.append(cleared("i2", "u1")).await.unwrap();
        assert!(!ledger.was_interrupted(&d("i2", "u1")));
        assert!(!ledger.is_imported(&d("i2", "u1")));
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
        assert!(ledger.was_interrupted(&d("i1", "u1")));
        // Resolved as landed by asking the tenant: the item must count as a duplicate when it comes round.
        ledger.append(imported("i1", "u1")).await.unwrap();
        ledger.append(cleared("i2", "u1")).await.unwrap();
        assert!(ledger.is_imported(&d("i1", "u1")));
        assert!(!ledger.was_interrupted(&d("i1", "u1")));
        assert!(!ledger.is_imported(&d("i2", "u1")));
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
        assert!(ledger.is_imported(&d("i2", "u1")));
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
        assert!(ledger.is_imported(&d("i1", "u1")));
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
            assert!(ledger.is_imported(&d("i1", "u1")));
            assert!(!ledger.is_imported(&d("i2", "u1")));
            ledger.append(imported("i3", "u1")).await.unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        let ledger = state.open_ledger().unwrap();
        assert!(ledger.is_imported(&d("i3", "u1")));
        assert!(!ledger.stats().torn_tail_dropped);
    }

    #[test]
    fn a_complete_last_record_missing_only_its_newline_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LEDGER);
        std::fs::write(&path, serde_json::to_string(&imported("i1", "u1")).unwrap()).unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        let ledger = state.open_ledger().unwrap();
        assert!(ledger.is_imported(&d("i1", "u1")));
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
    fn a_ledger_of_a_count_fenced_version_is_refused_naming_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let good = serde_json::to_string(&imported("i1", "u1")).unwrap();
        let old = r#"{"op":"intent","item":"i2","user":"u1","mailbox":"u1@contoso.cn","folder":"f1","count_before":7}"#;
        std::fs::write(dir.path().join(LEDGER), format!("{good}\n{old}\n")).unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        let err = state.open_ledger().unwrap_err();
        assert!(matches!(err, StateError::Corrupt { line: Some(2), .. }), "{err}");
        assert!(err.to_string().contains("count_before"), "{err}");
    }

    #[tokio::test]
    async fn resetting_the_ledger_forgets_the_finished_window() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        let ledger = state.open_ledger().unwrap();
        ledger.append(imported("i1", "u1")).await.unwrap();
        state.reset_ledger(ledger).unwrap();
        assert!(!state.open_ledger().unwrap().is_imported(&d("i1", "u1")));
    }
}
