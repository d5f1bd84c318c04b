//! The journal: every tenant import attempt (duplicates included), every folder creation, and
//! every vendor call that failed, in the order the simulator answered them.
//!
//! It is bounded in memory: the newest [`Journal::capacity`] entries are kept (50,000 by default,
//! `serve --log-capacity`), older ones are dropped and counted. With `--data-dir` every entry is
//! also written to the database, where `GET /sim/journal?after=SEQ` still finds the dropped ones.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::tenant::data_dir::DataDir;

/// Entries kept in memory unless told otherwise.
pub const DEFAULT_CAPACITY: usize = 50_000;

/// One journal entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Entry {
    /// 1-based position.
    pub seq: u64,
    /// `vendor` or `tenant`.
    pub api: &'static str,
    /// What was attempted: `login`, `list`, `raw`, `create_folder`, `import`, `auth`.
    pub op: &'static str,
    /// The HTTP method and path (no query string, no secrets).
    pub request: String,
    /// The status answered.
    pub status: u16,
    /// The error code answered, if any.
    pub code: Option<String>,
    /// The mailbox concerned (primary address), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<String>,
    /// The folder concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// The archive item concerned (ArchiveMessageID or the raw download's id), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    /// The fault injected into this request, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

/// The journal's `api` and `op` words, read back from a data directory.
const WORDS: [&str; 12] =
    ["vendor", "tenant", "any", "login", "list", "raw", "lookup", "folders", "create_folder", "import", "auth", "other"];

/// An entry as JSON (the data directory's form of it).
#[derive(Deserialize)]
struct Stored {
    seq: u64,
    api: String,
    op: String,
    request: String,
    status: u16,
    code: Option<String>,
    #[serde(default)]
    mailbox: Option<String>,
    #[serde(default)]
    folder: Option<String>,
    #[serde(default)]
    item_id: Option<String>,
    #[serde(default)]
    fault: Option<String>,
}

impl Entry {
    /// Reads an entry back from its JSON.
    pub fn from_json(text: &str) -> Result<Entry, String> {
        let s: Stored = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let word = |w: &str| WORDS.iter().find(|k| **k == w).copied().ok_or_else(|| format!("unknown journal word {w:?}"));
        Ok(Entry {
            seq: s.seq,
            api: word(&s.api)?,
            op: word(&s.op)?,
            request: s.request,
            status: s.status,
            code: s.code,
            mailbox: s.mailbox,
            folder: s.folder,
            item_id: s.item_id,
            fault: s.fault,
        })
    }
    /// An entry for a request answered with `status` (0: answered normally after a delay/fault).
    pub fn new(api: &'static str, op: &'static str, request: impl Into<String>, status: u16) -> Entry {
        Entry { seq: 0, api, op, request: request.into(), status, code: None, mailbox: None, folder: None, item_id: None, fault: None }
    }
    /// With an error code.
    pub fn code(mut self, code: Option<&str>) -> Entry {
        self.code = code.map(str::to_string);
        self
    }
    /// With a mailbox.
    pub fn mailbox(mut self, mailbox: Option<String>) -> Entry {
        self.mailbox = mailbox;
        self
    }
    /// With an item id.
    pub fn item(mut self, item_id: Option<String>) -> Entry {
        self.item_id = item_id;
        self
    }
    /// With the fault injected.
    pub fn fault(mut self, fault: Option<String>) -> Entry {
        self.fault = fault;
        self
    }
}

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

    fn entry(n: u16) -> Entry {
        Entry::new("tenant", "import", format!("POST /x/{n}"), 201)
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
        let e = entry(3).code(Some("ErrorFolderExists")).mailbox(Some("a@b".into())).fault(Some("latency 5 ms".into()));
        let back = Entry::from_json(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
        assert!(Entry::from_json(r#"{"seq":1,"api":"nope","op":"import","request":"x","status":1,"code":null}"#).is_err());
    }
}
