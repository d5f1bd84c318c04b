//! The message resource Graph shows for an imported MIME message
//! (<https://learn.microsoft.com/graph/api/resources/message>), its properties read from the MIME
//! with `mail-parser`, from the message's first [`PREFIX_BYTES`] (headers, the first text part):
//! what a listing or an import answer shows costs a bounded read, whatever the message's size.
//!
//! As Graph sets them for each path (see [`dates`]): a MIME create makes a draft
//! (<https://learn.microsoft.com/graph/api/user-post-messages>, "always creates a draft"; its
//! MIME example answers `isDraft` true, `isRead` true, `createdDateTime`, `lastModifiedDateTime`
//! and `receivedDateTime` the time of the create, `sentDateTime` the MIME's `Date`). Beta's
//! `importMime` makes a final message "as if it was delivered", "not stamped as sent"
//! (<https://learn.microsoft.com/graph/api/mailfolder-importmime?view=graph-rest-beta>, which
//! shows no response body and names no date): here it is unread, received and sent at the
//! MIME's `Date`, created at the time of the import. The time of a create is the tenant's
//! clock (`State::tenant_now_ms`: the scenario's start, or the wall clock in live mode), so
//! that listings are the same in every run.

use mail_parser::{Address, MessageParser, MimeHeaders};
use serde_json::{Value, json};

/// Bytes of a message read for its properties.
pub const PREFIX_BYTES: usize = 64 * 1024;

/// Characters of `bodyPreview` (Graph: 255).
const PREVIEW_CHARS: usize = 255;

/// The message properties this tenant shows, in Graph's order (`$select` takes these).
pub const PROPERTIES: [&str; 30] = [
    "id",
    "createdDateTime",
    "lastModifiedDateTime",
    "changeKey",
    "categories",
    "receivedDateTime",
    "sentDateTime",
    "hasAttachments",
    "internetMessageId",
    "subject",
    "bodyPreview",
    "importance",
    "parentFolderId",
    "conversationId",
    "conversationIndex",
    "isDeliveryReceiptRequested",
    "isReadReceiptRequested",
    "isRead",
    "isDraft",
    "webLink",
    "inferenceClassification",
    "body",
    "sender",
    "from",
    "toRecipients",
    "ccRecipients",
    "bccRecipients",
    "replyTo",
    "flag",
    "uniqueBody",
];

/// Properties known without reading the MIME.
pub const STORED: [&str; 7] = ["id", "internetMessageId", "parentFolderId", "isRead", "isDraft", "changeKey", "categories"];

/// What the MIME says, as far as the resource needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// `Subject`.
    pub subject: Option<String>,
    /// `From`: (name, address).
    pub from: Option<(Option<String>, String)>,
    /// `To`.
    pub to: Vec<(Option<String>, String)>,
    /// `Cc`.
    pub cc: Vec<(Option<String>, String)>,
    /// `Reply-To`.
    pub reply_to: Vec<(Option<String>, String)>,
    /// `Date`, RFC 3339 UTC.
    pub date: Option<String>,
    /// Attachments or a multipart/mixed body.
    pub has_attachments: bool,
    /// The first body part: (its `contentType`, its content).
    pub body: (&'static str, String),
}

fn addresses(a: Option<&Address<'_>>) -> Vec<(Option<String>, String)> {
    a.map(|a| a.iter().filter_map(|x| Some((x.name.as_deref().map(str::to_string), x.address.as_deref()?.to_string()))).collect())
        .unwrap_or_default()
}

/// Reads the properties from a message's first bytes (a cut message is read as far as it goes).
pub fn parse(prefix: &[u8]) -> Parsed {
    let Some(m) = MessageParser::default().parse(prefix) else { return Parsed::default() };
    let date = m.date().map(|d| {
        chrono::DateTime::from_timestamp(d.to_timestamp(), 0)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_else(|| d.to_rfc3339())
    });
    // The body as text (an HTML-only message is shown as text too: a simplification).
    let body = ("text", m.body_text(0).map(|t| t.into_owned()).unwrap_or_default());
    let mixed = m
        .root_part()
        .content_type()
        .is_some_and(|c| c.ctype().eq_ignore_ascii_case("multipart") && c.subtype().is_some_and(|s| s.eq_ignore_ascii_case("mixed")));
    Parsed {
        subject: m.subject().map(str::to_string),
        from: addresses(m.from()).into_iter().next(),
        to: addresses(m.to()),
        cc: addresses(m.cc()),
        reply_to: addresses(m.reply_to()),
        date,
        has_attachments: m.attachment_count() > 0 || mixed,
        body,
    }
}

fn recipient((name, address): &(Option<String>, String)) -> Value {
    json!({ "emailAddress": { "name": name.clone().unwrap_or_else(|| address.clone()), "address": address } })
}

/// What the resource is built from.
#[derive(Debug, Clone, Copy)]
pub struct Stored<'a> {
    /// The Graph message id.
    pub id: &'a str,
    /// The folder's id.
    pub folder_id: &'a str,
    /// `internetMessageId`.
    pub internet_message_id: &'a str,
    /// The message's sha256, hex (its change key and etag derive from it).
    pub sha256: &'a str,
    /// A draft (`isDraft`), or a message in its final state.
    pub draft: bool,
    /// When the tenant created it, epoch milliseconds.
    pub created_ms: i64,
}

/// A date as Graph writes it (RFC 3339, UTC, whole seconds).
pub fn graph_date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `createdDateTime`, `lastModifiedDateTime`, `receivedDateTime` and `sentDateTime` of a
/// message (see the module's comment): a draft is received when created and sent at its
/// `Date`; a final message is received and sent at its `Date`. Without a `Date`, the creation.
pub fn dates(draft: bool, created_ms: i64, mime_date: Option<&str>) -> [String; 4] {
    let created = graph_date(created_ms);
    let date = mime_date.map_or_else(|| created.clone(), str::to_string);
    let received = if draft { created.clone() } else { date.clone() };
    [created.clone(), created, received, date]
}

/// The message resource; `parsed` is `None` when the bytes are not kept (only what is stored is
/// shown then, the rest as Graph shows an empty message).
pub fn resource(s: Stored<'_>, parsed: Option<&Parsed>) -> Value {
    let p = parsed.cloned().unwrap_or_default();
    let [created, modified, received, sent] = dates(s.draft, s.created_ms, p.date.as_deref());
    let preview: String = p.body.1.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(PREVIEW_CHARS).collect();
    let change_key = format!("CQAAABYAAAA{}", s.sha256.get(..16).unwrap_or(s.sha256));
    json!({
        "@odata.etag": format!("W/\"{change_key}\""),
        "id": s.id,
        "createdDateTime": created,
        "lastModifiedDateTime": modified,
        "changeKey": change_key,
        "categories": [],
        "receivedDateTime": received,
        "sentDateTime": sent,
        "hasAttachments": p.has_attachments,
        "internetMessageId": s.internet_message_id,
        "subject": p.subject,
        "bodyPreview": preview,
        "importance": "normal",
        "parentFolderId": s.folder_id,
        "conversationId": format!("AAQkA{}", s.sha256.get(16..32).unwrap_or(s.sha256)),
        "conversationIndex": null,
        "isDeliveryReceiptRequested": false,
        "isReadReceiptRequested": false,
        "isRead": s.draft,
        "isDraft": s.draft,
        "webLink": format!("https://outlook.office365.com/owa/?ItemID={}&exvsurl=1&viewmodel=ReadMessageItem", s.id),
        "inferenceClassification": "focused",
        "body": { "contentType": p.body.0, "content": p.body.1 },
        "sender": p.from.as_ref().map(recipient),
        "from": p.from.as_ref().map(recipient),
        "toRecipients": p.to.iter().map(recipient).collect::<Vec<_>>(),
        "ccRecipients": p.cc.iter().map(recipient).collect::<Vec<_>>(),
        "bccRecipients": [],
        "replyTo": p.reply_to.iter().map(recipient).collect::<Vec<_>>(),
        "flag": { "flagStatus": "notFlagged" },
        "uniqueBody": { "contentType": p.body.0, "content": p.body.1 },
    })
}

/// Whether a `$select` (or its absence: the default set) needs the MIME read.
pub fn needs_mime(select: Option<&[&'static str]>) -> bool {
    select.is_none_or(|s| s.iter().any(|p| !STORED.contains(p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIME: &[u8] = b"From: \"Wang Wei\" <wei.wang@contoso.cn>\r\nTo: a@x.cn, \"B\" <b@x.cn>\r\nSubject: =?UTF-8?B?5L2g5aW9?=\r\n\
Date: Fri, 20 Nov 2026 08:00:00 +0800\r\nMessage-ID: <m1@x>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello   there\r\n\
--b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=a.jpg\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--b--\r\n";

    #[test]
    fn properties_are_read_from_the_mime() {
        let p = parse(MIME);
        assert_eq!(p.subject.as_deref(), Some("你好"));
        assert_eq!(p.from, Some((Some("Wang Wei".into()), "wei.wang@contoso.cn".into())));
        assert_eq!(p.to.len(), 2);
        assert_eq!(p.date.as_deref(), Some("2026-11-20T00:00:00Z"));
        assert!(p.has_attachments);
        assert_eq!(p.body.0, "text");
        let stored =
            Stored { id: "m", folder_id: "f", internet_message_id: "<m1@x>", sha256: &"ab".repeat(32), draft: true, created_ms: 0 };
        let r = resource(stored, Some(&p));
        assert_eq!(r["bodyPreview"], "hello there");
        assert_eq!((r["isDraft"].clone(), r["isRead"].clone()), (json!(true), json!(true)));
        assert_eq!(
            (r["receivedDateTime"].clone(), r["sentDateTime"].clone()),
            (json!("1970-01-01T00:00:00Z"), json!("2026-11-20T00:00:00Z"))
        );
        let r = resource(Stored { draft: false, ..stored }, Some(&p));
        assert_eq!((r["isDraft"].clone(), r["isRead"].clone()), (json!(false), json!(false)));
        assert_eq!(
            (r["receivedDateTime"].clone(), r["createdDateTime"].clone()),
            (json!("2026-11-20T00:00:00Z"), json!("1970-01-01T00:00:00Z"))
        );
        assert_eq!(r["from"]["emailAddress"]["address"], "wei.wang@contoso.cn");
        assert_eq!(r["toRecipients"][1]["emailAddress"]["name"], "B");
    }

    #[test]
    fn dates_follow_the_path_and_fall_back_to_the_creation() {
        let d = "2026-01-02T03:04:05Z";
        let created = "2026-11-20T00:00:00Z";
        let ms = 1_795_132_800_000;
        assert_eq!(graph_date(ms), created);
        assert_eq!(dates(true, ms, Some(d)), [created, created, created, d]);
        assert_eq!(dates(false, ms, Some(d)), [created, created, d, d]);
        assert_eq!(dates(false, ms, None), [created; 4]);
    }

    #[test]
    fn a_cut_or_unreadable_message_still_has_a_resource() {
        let p = parse(&MIME[..60]);
        assert_eq!(p.from.map(|f| f.1).as_deref(), Some("wei.wang@contoso.cn"));
        let r =
            resource(Stored { id: "m", folder_id: "f", internet_message_id: "<x>", sha256: "00", draft: true, created_ms: 1_000 }, None);
        assert_eq!(r["sentDateTime"], "1970-01-01T00:00:01Z");
        assert_eq!(r["internetMessageId"], "<x>");
        assert!(!needs_mime(Some(&["id", "internetMessageId"])));
        assert!(needs_mime(None));
    }
}
