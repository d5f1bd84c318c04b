//! A listing page read entry by entry (issue 25, "No single item stops a run").
//!
//! The page itself must be the contract's shape: a JSON object with an `items` array and a
//! `next_cursor` (a string, or null at the end). A page that is not (not JSON at all, no `items`
//! array) means the vendor is broken: that is a run error, and the checkpoint does not move.
//!
//! Each entry of `items` is then read on its own. An entry the connector cannot use — no id, an
//! id that is not a string, empty or holds a control character, a `captured_at` that is no
//! RFC 3339 time, a `size` that is no non-negative integer, a `sha256` that is missing or not 64
//! hex digits, an unknown `source` or `kind`, an entry that is not an object — is an
//! [`Unusable`] entry: the run reports it `malformed_item` with the id as given (or, without a
//! string id, a placeholder naming the page and the entry's position, [`placeholder_id`]) and a
//! line saying what is wrong, and every other entry of the page is imported.
//!
//! Entries are kept as raw JSON text (`serde_json::value::RawValue`) until they are read, so a
//! well-formed page costs one parse, as before.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::source::ItemRef;

/// One entry of a listing page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// An item the connector can import.
    Usable(ItemRef),
    /// An entry it cannot use: reported, never imported.
    Unusable(Unusable),
}

/// A listing entry the connector cannot use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable {
    /// The entry's `id` when it is a string (as given, even empty), else `None`.
    pub id: Option<String>,
    /// Its position in the page's `items` (0-based).
    pub position: usize,
    /// What is wrong with it, in a line.
    pub detail: String,
    /// Its `captured_at` when that is an RFC 3339 time: which listing reports an entry without
    /// an id (the sequence pass leaves one captured in a window to that window's listing).
    pub captured_at: Option<DateTime<Utc>>,
    /// Its `seq` when that is a non-negative integer (named in the report's placeholder).
    pub seq: Option<u64>,
}

/// A listing page, read entry by entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The entries, in the page's order.
    pub entries: Vec<Entry>,
    /// The cursor of the next page; `None` at the end.
    pub next_cursor: Option<String>,
    /// The sequence listing's expired range (items gone before they were listed).
    pub expired: Option<tm_contract::Expired>,
}

/// The page's own shape, entries left unread.
#[derive(Deserialize)]
struct RawPage<'a> {
    #[serde(borrow)]
    items: Vec<&'a RawValue>,
    next_cursor: Option<String>,
    #[serde(default)]
    expired: Option<tm_contract::Expired>,
}

/// The page is not the contract's shape (not JSON, no `items` array, a bad `next_cursor`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("listing page is not the contract's shape (a JSON object with an `items` array and a `next_cursor`): {0}")]
pub struct BadPage(pub String);

/// Reads a page: its shape strictly, its entries one by one (see the module docs).
pub fn parse(body: &[u8]) -> Result<Page, BadPage> {
    let raw: RawPage<'_> = serde_json::from_slice(body).map_err(|e| BadPage(e.to_string()))?;
    let entries = raw.items.iter().enumerate().map(|(position, entry)| read_entry(position, entry.get())).collect();
    Ok(Page { entries, next_cursor: raw.next_cursor, expired: raw.expired })
}

/// The report's id for an unusable entry: its id as given, or a placeholder naming the listing
/// (`listing` for the window's, `sequence listing`), the page (1-based, in the order this run
/// read them), the entry's position (1-based) and its `seq` when it has one.
pub fn placeholder_id(unusable: &Unusable, listing: &str, page: usize) -> String {
    match (&unusable.id, unusable.seq) {
        (Some(id), _) => id.clone(),
        (None, None) => format!("(no id: {listing} page {page}, entry {})", unusable.position + 1),
        (None, Some(seq)) => format!("(no id: {listing} page {page}, entry {}, seq {seq})", unusable.position + 1),
    }
}

fn read_entry(position: usize, text: &str) -> Entry {
    match serde_json::from_str::<ItemRef>(text) {
        Ok(item) if is_sha256(&item.sha256) => Entry::Usable(item),
        Ok(item) => Entry::Unusable(Unusable {
            id: Some(item.id.to_string()),
            position,
            detail: format!("`sha256` is not 64 hex digits: {:?}", item.sha256),
            captured_at: Some(item.captured_at),
            seq: item.seq,
        }),
        Err(e) => {
            let value: Option<Value> = serde_json::from_str(text).ok();
            let field = |name: &str| value.as_ref().and_then(|v| v.get(name));
            let id = field("id").and_then(Value::as_str).map(str::to_owned);
            let detail = value.as_ref().and_then(diagnose).unwrap_or_else(|| without_position(&e.to_string()));
            let captured_at = field("captured_at").and_then(Value::as_str).and_then(|t| tm_contract::parse_time(t).ok());
            let seq = field("seq").and_then(Value::as_u64);
            Entry::Unusable(Unusable { id, position, detail, captured_at, seq })
        }
    }
}

/// Whether the text is a sha256 as the contract writes it (hex, any case, spaces around).
fn is_sha256(text: &str) -> bool {
    let t = text.trim();
    t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// serde's message without its " at line 1 column 40" (a place in the entry, not the page).
fn without_position(message: &str) -> String {
    message.rsplit_once(" at line ").map_or(message, |(m, _)| m).to_owned()
}

/// What is wrong with an entry, field by field in the contract's order (`None`: nothing this
/// check knows; serde's message is used then).
fn diagnose(entry: &Value) -> Option<String> {
    let Some(fields) = entry.as_object() else {
        return Some(format!("the entry is not an object: {}", short(entry)));
    };
    Some(match fields.get("id") {
        None => "the entry has no `id`".to_owned(),
        Some(Value::String(id)) if id.is_empty() => "the `id` is empty".to_owned(),
        Some(Value::String(id)) if id.chars().any(char::is_control) => {
            let c = id.chars().find(|c| c.is_control()).expect("found above");
            format!("the `id` holds a control character (U+{:04X})", c as u32)
        }
        Some(Value::String(_)) => return diagnose_fields(fields),
        Some(other) => format!("the `id` is not a string: {}", short(other)),
    })
}

/// The fields after `id`.
fn diagnose_fields(fields: &serde_json::Map<String, Value>) -> Option<String> {
    let string = |name: &str| fields.get(name).and_then(Value::as_str);
    let shown = |name: &str| fields.get(name).map_or_else(|| "missing".to_owned(), short);
    match string("captured_at") {
        None => return Some(format!("`captured_at` is not an RFC 3339 time: {}", shown("captured_at"))),
        Some(t) if tm_contract::parse_time(t).is_err() => return Some(format!("`captured_at` is not an RFC 3339 time: {t:?}")),
        Some(_) => {}
    }
    if fields.get("size").is_none_or(|s| s.as_u64().is_none()) {
        return Some(format!("`size` is not a byte count (a non-negative integer): {}", shown("size")));
    }
    if !string("sha256").is_some_and(is_sha256) {
        return Some(format!("`sha256` is not 64 hex digits: {}", shown("sha256")));
    }
    for (name, allowed) in [("source", "wechat|wecom"), ("kind", "chat|attachment|file|call|recall")] {
        if !string(name).is_some_and(|v| allowed.split('|').any(|a| a == v)) {
            return Some(format!("`{name}` is not one of {allowed}: {}", shown(name)));
        }
    }
    None
}

/// A JSON value in at most 60 characters.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= 60 { text } else { format!("{}…", text.chars().take(59).collect::<String>()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"id":"a b#?/+%王","captured_at":"2026-11-20T08:15:30.123Z","size":12,"sha256":"ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB","source":"wechat","kind":"chat"}"#;

    fn page_of(entries: &[&str]) -> Vec<u8> {
        format!(r#"{{"items":[{}],"next_cursor":"c2"}}"#, entries.join(",")).into_bytes()
    }

    fn unusable(entry: &str) -> Unusable {
        let page = parse(&page_of(&[GOOD, entry, GOOD])).unwrap();
        assert_eq!(page.entries.len(), 3);
        assert!(matches!(page.entries[0], Entry::Usable(_)) && matches!(page.entries[2], Entry::Usable(_)));
        match &page.entries[1] {
            Entry::Unusable(u) => u.clone(),
            Entry::Usable(i) => panic!("{entry} was read as {i:?}"),
        }
    }

    #[test]
    fn a_well_formed_page_reads_as_the_contract_type() {
        let page = parse(&page_of(&[GOOD])).unwrap();
        let Entry::Usable(item) = &page.entries[0] else { panic!() };
        assert_eq!(item.id, "a b#?/+%王");
        assert_eq!(page.next_cursor.as_deref(), Some("c2"));
        assert_eq!(parse(br#"{"items":[],"next_cursor":null}"#).unwrap().entries, vec![]);
    }

    #[test]
    fn each_broken_entry_is_unusable_with_its_id_and_what_is_wrong() {
        let with = |from: &str, to: &str| GOOD.replacen(from, to, 1);
        let cases = [
            (with(r#""size":12"#, r#""size":"big""#), Some("a b#?/+%王"), "`size` is not a byte count (a non-negative integer): \"big\""),
            (with(r#""size":12"#, r#""size":-1"#), Some("a b#?/+%王"), "`size` is not a byte count (a non-negative integer): -1"),
            (with(r#""sha256":"ABAB"#, r#""sha":"ABAB"#), Some("a b#?/+%王"), "`sha256` is not 64 hex digits: missing"),
            (with(r#""sha256":"ABAB"#, r#""sha256":"zzAB"#), Some("a b#?/+%王"), "`sha256` is not 64 hex digits: \"zzAB"),
            (with("2026-11-20T08", "yesterday"), Some("a b#?/+%王"), "`captured_at` is not an RFC 3339 time: \"yesterday"),
            (with(r#""kind":"chat""#, r#""kind":"hologram""#), Some("a b#?/+%王"), "`kind` is not one of"),
            (with(r#""id":"a b#?/+%王""#, r#""id":"""#), Some(""), "the `id` is empty"),
            (with(r#""id":"a b#?/+%王""#, r#""id":"a\nb""#), Some("a\nb"), "the `id` holds a control character (U+000A)"),
            (with(r#""id":"a b#?/+%王""#, r#""id":42"#), None, "the `id` is not a string: 42"),
            (with(r#""id":"a b#?/+%王","#, ""), None, "the entry has no `id`"),
            ("[1,2]".to_owned(), None, "the entry is not an object: [1,2]"),
        ];
        for (entry, id, detail) in cases {
            let u = unusable(&entry);
            assert_eq!(u.id.as_deref(), id, "{entry}");
            assert_eq!(u.position, 1);
            assert!(u.detail.starts_with(detail), "{entry}: {}", u.detail);
        }
    }

    #[test]
    fn an_entry_without_a_string_id_is_named_by_page_and_position() {
        let u = unusable(r#"{"size":1}"#);
        assert_eq!(placeholder_id(&u, "listing", 3), "(no id: listing page 3, entry 2)");
        assert_eq!((u.captured_at, u.seq), (None, None));
        let sequenced = unusable(r#"{"captured_at":"2026-11-20T08:00:00Z","seq":17}"#);
        assert_eq!(sequenced.captured_at, Some(tm_contract::parse_time("2026-11-20T08:00:00Z").unwrap()));
        assert_eq!(placeholder_id(&sequenced, "sequence listing", 1), "(no id: sequence listing page 1, entry 2, seq 17)");
        let named = Unusable { id: Some("x y".into()), position: 0, detail: String::new(), captured_at: None, seq: None };
        assert_eq!(placeholder_id(&named, "listing", 3), "x y");
    }

    #[test]
    fn a_page_that_is_not_the_contract_shape_is_refused() {
        for body in [&b"<html>"[..], b"{}", br#"{"value":[]}"#, br#"{"items":{},"next_cursor":null}"#, br#"{"items":[],"next_cursor":7}"#] {
            let e = parse(body).unwrap_err();
            assert!(e.to_string().contains("listing page is not the contract's shape"), "{e}");
        }
    }
}
