//! The ledger's writer thread: group commit. Records are written in the order they are queued;
//! all records queued while the writer syncs are written together and share one `fdatasync`.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};

use crate::state::{StateError, io};

/// The longest an outcome queued without a waiter stays unwritten (see [`write_batches`]).
pub(super) const OUTCOME_DELAY: std::time::Duration = std::time::Duration::from_millis(20);

/// Told once a batch is durable (or not).
pub(super) type Waiter = tokio::sync::oneshot::Sender<Result<(), StateError>>;

/// What the writer thread has still to write: records in the order they were queued, and who
/// waits for them. Only a waiter wakes the writer (see [`write_batches`]).
#[derive(Default)]
pub(super) struct Queue {
    pub(super) bytes: Vec<u8>,
    pub(super) waiters: Vec<Waiter>,
    pub(super) closed: bool,
    pub(super) poisoned: bool,
    /// The writer waits for a wake-up (only then is one sent: a wake-up is a system call).
    pub(super) sleeping: bool,
}

/// The queue and the writer's wake-up call.
pub(super) type Shared = Arc<(Mutex<Queue>, Condvar)>;

/// The writer thread: group commit. It sleeps until somebody waits for durability (an intent,
/// a cleared outcome, a flush), the ledger closes, or an outcome queued without a waiter has
/// waited [`OUTCOME_DELAY`]; then it takes everything queued so far
/// (including the `imported` outcomes queued without waiting, in their queue order), writes it
/// with one `write`, calls `fdatasync` once, and only then tells each waiter. Records queued
/// while a sync runs form the next batch. An outcome queued without a waiter therefore rarely
/// costs a sync of its own: it becomes durable with the next batch, which is before the next
/// intent of its mailbox (queued after it) and before the run's final flush, and at the latest
/// [`OUTCOME_DELAY`] after it was queued (fewer outcomes left to ask about after a kill). A failed write or sync fails
/// every waiter of its batch and poisons the ledger: a partial write may have left a torn line,
/// and nothing may be appended after it, so that it stays the last line and the next open
/// repairs it.
pub(super) fn write_batches(mut file: File, path: &Path, shared: &Shared) {
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
