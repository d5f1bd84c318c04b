//! The journal: every tenant import attempt (duplicates included), every folder creation, and
//! every vendor call that failed, in the order the simulator answered them.
//!
//! It is bounded in memory: the newest [`Journal::capacity`] entries are kept (50,000 by default,
//! `serve --log-capacity`), older ones are dropped and counted. With `--data-dir` every entry is
//! also written to the database, where `GET /sim/journal?after=SEQ` still finds the dropped ones.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::tenant::data_dir::DataDir;

/// Entries kept in memory unless told otherwise.
pub const DEFAULT_CAPACITY: usize = 50_000;

/// One journal entry: the contract's shape of `/sim/journal`'s entries.
pub use tm_contract::JournalEntry as Entry;

/// The newest entries, numbered from the first ever written.
#[derive(Debug, Clone)]
pub struct Journal {
    entries: VecDeque<Entry>,
    capacity: usize,
    total: u64,
    store: Option<Arc<DataDir>>,
}

impl Default for Journal {
    fn default() -> Self {
        Journal::new(DEFAULT_CAPACITY, None)
    }
}

impl Journal {
    /// An empty journal keeping at most `capacity` entries in memory (at least one), and every
    /// entry in `store` when given.
    pub fn new(capacity: usize, store: Option<Arc<DataDir>>) -> Journal {
        Journal { entries: VecDeque::new(), capacity: capacity.max(1), total: 0, store }
    }
    /// Puts back entries read from the data directory (the newest `capacity` of them stay).
    pub fn restore(&mut self, entries: Vec<Entry>, total: u64) {
        self.total = total;
        let skip = entries.len().saturating_sub(self.capacity);
        self.entries = entries.into_iter().skip(skip).collect();
    }
    /// Appends an entry, numbering it; the oldest is dropped when the journal is full.
    pub fn push(&mut self, mut entry: Entry) {
        self.total += 1;
        entry.seq = self.total;
        if let Some(store) = &self.store
            && let Err(e) = store.journalled(&entry)
        {
            tracing::error!("journal entry {} not persisted: {e}", entry.seq);
        }
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }
    /// The entries kept in memory, oldest first.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = &Entry> {
        self.entries.iter()
    }
    /// The entries kept in memory with `seq > after`, oldest first.
    pub fn after(&self, after: u64) -> impl Iterator<Item = &Entry> {
        let first = self.entries.front().map_or(0, |e| e.seq);
        self.entries.iter().skip(after.saturating_sub(first.saturating_sub(1)) as usize)
    }
    /// Entries ever written (the last one's `seq`).
    pub fn total(&self) -> u64 {
        self.total
    }
    /// Entries no longer in memory.
    pub fn dropped(&self) -> u64 {
        self.total - self.entries.len() as u64
    }
    /// The `seq` of the oldest entry in memory.
    pub fn first_seq(&self) -> Option<u64> {
        self.entries.front().map(|e| e.seq)
    }
    /// How many entries stay in memory.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
    /// Forgets everything (the data directory is cleared by its owner).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.total = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use tm_contract::{Api, FaultKind, Op};

    fn entry(n: u16) -> Entry {
        Entry::new(Api::Tenant, Op::Import, format!("POST /x/{n}"), 201)
    }

    quickcheck::quickcheck! {
        fn a_full_journal_keeps_the_newest_entries_and_counts_the_rest(capacity: u8, pushes: u16, after: u16) -> bool {
            let capacity = capacity as usize % 20 + 1;
            let pushes = pushes % 100;
            let mut j = Journal::new(capacity, None);
            for n in 0..pushes {
                j.push(entry(n));
            }
            let kept: Vec<u64> = j.entries().map(|e| e.seq).collect();
            let want: Vec<u64> = (1..=pushes as u64).skip((pushes as usize).saturating_sub(capacity)).collect();
            let after = after as u64 % (pushes as u64 + 2);
            let since: Vec<u64> = j.after(after).map(|e| e.seq).collect();
            kept == want
                && j.total() == pushes as u64
                && j.dropped() == pushes as u64 - kept.len() as u64
                && since == want.iter().copied().filter(|s| *s > after).collect::<Vec<_>>()
        }
    }

    #[test]
    fn entries_read_back_as_they_were_written() {
        let e = entry(3).code(Some("ErrorFolderExists")).mailbox(Some("a@b".into())).fault(Some(FaultKind::Latency { ms: 5 }.into()));
        let back = Entry::from_json(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
        assert!(Entry::from_json(r#"{"seq":1,"api":"nope","op":"import","request":"x","status":1,"code":null}"#).is_err());
        // Every word the simulator journals reads back (a data directory holds them all).
        let token = Entry::from_json(r#"{"seq":1,"api":"tenant","op":"token","request":"x","status":400,"code":"invalid_client"}"#);
        assert_eq!(token.map(|e| e.op), Ok(Op::Token));
    }
}
