//! The journal: every tenant import attempt (duplicates included), every folder creation, and
//! every vendor call that failed, in the order the simulator answered them.

use serde::Serialize;

/// One journal entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

impl Entry {
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

/// An append-only list of entries.
#[derive(Debug, Default, Clone)]
pub struct Journal {
    entries: Vec<Entry>,
}

impl Journal {
    /// Appends an entry, numbering it.
    pub fn push(&mut self, mut entry: Entry) {
        entry.seq = self.entries.len() as u64 + 1;
        self.entries.push(entry);
    }
    /// Every entry so far.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
    /// Forgets everything.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}
