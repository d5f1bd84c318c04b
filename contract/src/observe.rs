//! What the simulator's control plane shows of its traffic, as data: the journal
//! (`GET /sim/journal`, [`JournalEntry`]) and the access log (`GET /sim/requests`,
//! [`RequestEntry`]), whose [`Api`] and [`Op`] words are these enums' and whose `fault` is a
//! [`FaultRecord`]. The suite and the tests match on these values, never on a sentence.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::fault::FaultRecord;

/// Which API a request went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Api {
    /// The vendor archive (`/tm/v1`).
    Vendor,
    /// The tenant (`/graph/v1.0`; in the journal, the token endpoint too).
    Tenant,
    /// The identity platform's token endpoint (in the access log).
    Identity,
}

impl Api {
    /// The word on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Api::Vendor => "vendor",
            Api::Tenant => "tenant",
            Api::Identity => "identity",
        }
    }
}

/// What a request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// A tenant request refused before it was told apart (the journal's 401s).
    Any,
    /// `POST /tm/v1/session`.
    Login,
    /// `GET /tm/v1/items`.
    List,
    /// `GET /tm/v1/items/{id}/raw`.
    Raw,
    /// `GET /users/{address}`.
    Lookup,
    /// `GET /users/{id}/mailFolders` (and a folder's children).
    Folders,
    /// `POST /users/{id}/mailFolders` (and `childFolders`).
    CreateFolder,
    /// `POST …/messages`.
    Import,
    /// `GET …/messages` and one message (`$count`, `$value` too).
    Messages,
    /// `POST …/messages/{id}/move`.
    Move,
    /// `POST /{tenant}/oauth2/v2.0/token`.
    Token,
    /// Another program's message written into a mailbox (the `foreign_write` fault).
    ForeignWrite,
    /// A request that is none of the above (in the access log).
    Other,
}

impl Op {
    /// The word on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Any => "any",
            Op::Login => "login",
            Op::List => "list",
            Op::Raw => "raw",
            Op::Lookup => "lookup",
            Op::Folders => "folders",
            Op::CreateFolder => "create_folder",
            Op::Import => "import",
            Op::Messages => "messages",
            Op::Move => "move",
            Op::Token => "token",
            Op::ForeignWrite => "foreign_write",
            Op::Other => "other",
        }
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One journal entry (`GET /sim/journal`): a tenant import attempt, a folder creation, a refused
/// tenant token, a vendor call that failed, or a fault injected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = Entry))]
pub struct JournalEntry {
    /// 1-based position.
    pub seq: u64,
    /// `vendor` or `tenant`.
    pub api: Api,
    /// What was attempted.
    pub op: Op,
    /// The HTTP method and path (no query string, no secrets).
    pub request: String,
    /// The status answered (0: answered normally after the fault).
    pub status: u16,
    /// The error code answered, if any.
    pub code: Option<String>,
    /// The mailbox concerned (primary address), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<String>,
    /// The folder concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// The archive item concerned (ArchiveMessageID or the raw download's id), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    /// The fault injected into this request, if any (one sentence on the wire).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub fault: Option<FaultRecord>,
}

impl JournalEntry {
    /// An entry for a request answered with `status` (0: answered normally after a fault), not
    /// yet numbered.
    pub fn new(api: impl Into<Api>, op: impl Into<Op>, request: impl Into<String>, status: u16) -> JournalEntry {
        JournalEntry {
            seq: 0,
            api: api.into(),
            op: op.into(),
            request: request.into(),
            status,
            code: None,
            mailbox: None,
            folder: None,
            item_id: None,
            fault: None,
        }
    }
    /// With an error code.
    pub fn code(mut self, code: Option<&str>) -> JournalEntry {
        self.code = code.map(str::to_string);
        self
    }
    /// With a mailbox.
    pub fn mailbox(mut self, mailbox: Option<String>) -> JournalEntry {
        self.mailbox = mailbox;
        self
    }
    /// With an item id.
    pub fn item(mut self, item_id: Option<String>) -> JournalEntry {
        self.item_id = item_id;
        self
    }
    /// With the fault injected.
    pub fn fault(mut self, fault: Option<FaultRecord>) -> JournalEntry {
        self.fault = fault;
        self
    }
    /// Reads an entry back from its JSON (as `/sim/journal` and the simulator's data directory
    /// hold it).
    pub fn from_json(text: &str) -> Result<JournalEntry, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}

/// One request of the access log (`GET /sim/requests`), with its timing: µs since the
/// simulator started; `end_us` is when the answer's head was ready.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = Logged))]
pub struct RequestEntry {
    /// 1-based position (arrival order).
    pub seq: u64,
    /// `vendor`, `tenant`, or `identity` (the token endpoint).
    pub api: Api,
    /// What the request does (`other`: none of the operations).
    pub op: Op,
    /// Method and path (no query string, no secrets).
    pub request: String,
    /// The item a download names, or the item a tenant request concerns (an import's, once its
    /// body was read, or the one whose `Message-ID` a message query asks for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    /// The mailbox a tenant request concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<String>,
    /// Tenant requests in flight for that mailbox when this one arrived (itself included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_flight: Option<usize>,
    /// Status answered (0: still in flight).
    pub status: u16,
    /// Arrival, µs since start.
    pub start_us: u64,
    /// Answer ready, µs since start.
    pub end_us: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::FaultKind;

    #[test]
    fn the_words_are_the_wire_s() {
        let ops = [
            Op::Any,
            Op::Login,
            Op::List,
            Op::Raw,
            Op::Lookup,
            Op::Folders,
            Op::CreateFolder,
            Op::Import,
            Op::Messages,
            Op::Move,
            Op::Token,
            Op::ForeignWrite,
            Op::Other,
        ];
        for op in ops {
            assert_eq!(serde_json::to_string(&op).unwrap(), format!("\"{op}\""));
            assert_eq!(serde_json::from_str::<Op>(&format!("\"{op}\"")).unwrap(), op);
        }
        for api in [Api::Vendor, Api::Tenant, Api::Identity] {
            assert_eq!(serde_json::to_string(&api).unwrap(), format!("\"{api}\""));
        }
        assert_eq!(Op::CreateFolder.to_string(), "create_folder");
    }

    #[test]
    fn a_journal_entry_is_written_as_before_and_reads_back() {
        let bare = JournalEntry::new(Api::Vendor, Op::Raw, "GET /tm/v1/items/x/raw", 500).code(Some("internal_error"));
        let text = r#"{"seq":0,"api":"vendor","op":"raw","request":"GET /tm/v1/items/x/raw","status":500,"code":"internal_error"}"#;
        assert_eq!(serde_json::to_string(&bare).unwrap(), text);
        let mut full = JournalEntry::new(Api::Tenant, Op::Import, "POST /x", 201)
            .mailbox(Some("a@b".into()))
            .item(Some("i".into()))
            .fault(Some(FaultKind::Latency { ms: 5 }.into()));
        full.folder = Some("WeChat Archiver".into());
        let text = r#"{"seq":0,"api":"tenant","op":"import","request":"POST /x","status":201,"code":null,"mailbox":"a@b","folder":"WeChat Archiver","item_id":"i","fault":"latency 5 ms"}"#;
        assert_eq!(serde_json::to_string(&full).unwrap(), text);
        for e in [bare, full] {
            assert_eq!(JournalEntry::from_json(&serde_json::to_string(&e).unwrap()).unwrap(), e);
        }
        assert!(JournalEntry::from_json(r#"{"seq":1,"api":"nope","op":"import","request":"x","status":1,"code":null}"#).is_err());
        assert!(
            JournalEntry::from_json(r#"{"seq":1,"api":"tenant","op":"import","request":"x","status":1,"code":null,"fault":"boom"}"#)
                .is_err()
        );
    }

    #[test]
    fn a_request_entry_is_written_as_before_and_reads_back() {
        let r = RequestEntry {
            seq: 3,
            api: Api::Tenant,
            op: Op::Import,
            request: "POST /x".into(),
            item_id: Some("i".into()),
            mailbox: Some("a@b".into()),
            in_flight: Some(2),
            status: 201,
            start_us: 10,
            end_us: 20,
        };
        let text = r#"{"seq":3,"api":"tenant","op":"import","request":"POST /x","item_id":"i","mailbox":"a@b","in_flight":2,"status":201,"start_us":10,"end_us":20}"#;
        assert_eq!(serde_json::to_string(&r).unwrap(), text);
        assert_eq!(serde_json::from_str::<RequestEntry>(text).unwrap(), r);
        let bare = RequestEntry { item_id: None, mailbox: None, in_flight: None, api: Api::Identity, op: Op::Token, ..r };
        let text = r#"{"seq":3,"api":"identity","op":"token","request":"POST /x","status":201,"start_us":10,"end_us":20}"#;
        assert_eq!(serde_json::to_string(&bare).unwrap(), text);
        assert_eq!(serde_json::from_str::<RequestEntry>(text).unwrap(), bare);
    }
}
