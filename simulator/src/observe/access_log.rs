//! The access log: every vendor and tenant request with its timing, so that a connector's
//! manners (waits before retries, requests in flight per mailbox, re-logins) can be judged.
//! `GET /sim/requests` shows it. Times are microseconds since the simulator started; `end_us` is
//! when the answer's head was ready (a streamed body may take longer).
//!
//! Bounded like the journal: the newest [`AccessLog::capacity`] requests stay (50,000 by
//! default, `serve --log-capacity`), older ones are dropped and counted (`dropped` in
//! `GET /sim/requests`). The access log is never written to disk.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Instant;

use tm_contract::{Api, Op};

/// One request: the contract's shape of `/sim/requests`' entries.
pub use tm_contract::RequestEntry as Logged;

/// The log.
#[derive(Debug)]
pub struct AccessLog {
    started: Instant,
    capacity: usize,
    entries: Mutex<Requests>,
}

#[derive(Debug, Default)]
struct Requests {
    kept: VecDeque<Logged>,
    total: u64,
}

impl Default for AccessLog {
    fn default() -> Self {
        AccessLog::new(crate::observe::journal::DEFAULT_CAPACITY)
    }
}

impl AccessLog {
    /// An empty log keeping at most `capacity` requests (at least one).
    pub fn new(capacity: usize) -> AccessLog {
        AccessLog { started: Instant::now(), capacity: capacity.max(1), entries: Mutex::new(Requests::default()) }
    }
    /// The requests kept, in arrival order.
    pub fn entries(&self) -> Vec<Logged> {
        let mut v: Vec<Logged> = self.entries.lock().expect("access log lock").kept.iter().cloned().collect();
        v.sort_by_key(|e| e.seq);
        v
    }
    /// The requests kept with a `seq` above `after`, in arrival order.
    pub fn entries_after(&self, after: u64) -> Vec<Logged> {
        let mut v: Vec<Logged> = self.entries.lock().expect("access log lock").kept.iter().filter(|e| e.seq > after).cloned().collect();
        v.sort_by_key(|e| e.seq);
        v
    }
    /// Requests ever logged (the last one's `seq`).
    pub fn total(&self) -> u64 {
        self.entries.lock().expect("access log lock").total
    }
    /// Requests no longer kept.
    pub fn dropped(&self) -> u64 {
        let e = self.entries.lock().expect("access log lock");
        e.total - e.kept.len() as u64
    }
    /// How many requests are kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
    /// Forgets everything.
    pub fn clear(&self) {
        let mut e = self.entries.lock().expect("access log lock");
        e.kept.clear();
        e.total = 0;
    }
    fn now_us(&self) -> u64 {
        self.started.elapsed().as_micros() as u64
    }

    /// Logs a request as it arrives (so that the order is the order of arrival); returns its `seq`.
    pub fn arrived(&self, api: Api, op: Op, request: String, item_id: Option<String>) -> u64 {
        let mut e = self.entries.lock().expect("access log lock");
        e.total += 1;
        let seq = e.total;
        if e.kept.len() == self.capacity {
            e.kept.pop_front();
        }
        let start_us = self.now_us();
        e.kept.push_back(Logged { seq, api, op, request, item_id, mailbox: None, in_flight: None, status: 0, start_us, end_us: 0 });
        seq
    }

    /// Completes request `seq` once its answer is ready: the status, the item it concerns (when
    /// known only then), and the mailbox with the requests in flight for it.
    pub fn answered(&self, seq: u64, status: u16, concerns: Option<String>, mailbox: Option<(Option<String>, usize)>) {
        let end = self.now_us();
        let mut e = self.entries.lock().expect("access log lock");
        if let Some(entry) = e.kept.iter_mut().rev().find(|x| x.seq == seq) {
            entry.status = status;
            entry.end_us = end;
            if concerns.is_some() {
                entry.item_id = concerns;
            }
            if let Some((mailbox, in_flight)) = mailbox {
                entry.mailbox = mailbox;
                entry.in_flight = (in_flight > 0).then_some(in_flight);
            }
        }
    }
}
