//! The vendor archive's listing (`GET /tm/v1/items`): one [`ItemRef`] per item, a page at a time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::ItemId;

/// The largest raw item a connector imports (10 MiB, 10,485,760 bytes); one byte more is
/// `item_too_large` (rule SIZE).
pub const MAX_ITEM_BYTES: u64 = 10_485_760;

/// Which messaging app an item comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Tencent WeChat (consumer).
    Wechat,
    /// Tencent WeCom (WeChat Work).
    Wecom,
}

impl Source {
    /// The value of `ItemRef.source`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Wechat => "wechat",
            Source::Wecom => "wecom",
        }
    }

    /// The value of the item's `X-TELEMESSAGE-ArchiveSource` header.
    pub fn header(self) -> &'static str {
        match self {
            Source::Wechat => "WeChat",
            Source::Wecom => "WeCom",
        }
    }
}

/// The kind of an archived item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A text message (also links, locations, stickers rendered as text).
    Chat,
    /// A media message: image, voice note, video, sticker.
    Attachment,
    /// A file transfer (pdf, docx, xlsx, zip ...).
    File,
    /// A voice or video call.
    Call,
    /// The recall of an earlier message.
    Recall,
}

impl Kind {
    /// Every kind, in the contract's order.
    pub const ALL: [Kind; 5] = [Kind::Chat, Kind::Attachment, Kind::File, Kind::Call, Kind::Recall];

    /// The value of `ItemRef.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Chat => "chat",
            Kind::Attachment => "attachment",
            Kind::File => "file",
            Kind::Call => "call",
            Kind::Recall => "recall",
        }
    }

    /// The value of the item's `X-TELEMESSAGE-MessageType` header.
    pub fn header(self) -> &'static str {
        match self {
            Kind::Chat => "Chat",
            Kind::Attachment => "Attachment",
            Kind::File => "File",
            Kind::Call => "Call",
            Kind::Recall => "Recall",
        }
    }
}

/// One listed item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemRef {
    /// The item id (also its `X-TELEMESSAGE-ArchiveMessageID`).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: ItemId,
    /// Capture time: RFC 3339 on the wire, written in UTC with milliseconds.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    #[serde(serialize_with = "millis", deserialize_with = "rfc3339")]
    pub captured_at: DateTime<Utc>,
    /// When the item reached the archive (never before `captured_at`): RFC 3339, UTC with
    /// milliseconds. A phone that was offline delivers its items late. Absent from a vendor
    /// without the sequence listing (contract v3 and earlier).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    #[serde(default, skip_serializing_if = "Option::is_none", serialize_with = "millis_opt", deserialize_with = "rfc3339_opt")]
    pub archived_at: Option<DateTime<Utc>>,
    /// The archive's sequence number: strictly increasing in arrival order, unique, from 1
    /// (WeCom's `GetChatData` `seq`). Absent from a vendor without the sequence listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The declared byte length of the raw item (a connector never trusts it for memory).
    pub size: u64,
    /// The declared lowercase hex sha256 of the raw item.
    pub sha256: String,
    /// The app.
    pub source: Source,
    /// The kind.
    pub kind: Kind,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemPage {
    /// The items of the page: in `(captured_at, id)` order (the window listing), in `seq`
    /// order (the sequence listing).
    pub items: Vec<ItemRef>,
    /// The cursor of the next page; null at the end.
    pub next_cursor: Option<String>,
    /// Sequence listing only, on its first page: items after `after` that the archive no longer
    /// holds (retention; WeCom's errcode 10010 "data expired"). Absent when none expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired: Option<Expired>,
}

/// Items a sequence listing skipped because they expired (see [`ItemPage::expired`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Expired {
    /// How many (`last_seq - first_seq + 1`).
    pub count: u64,
    /// The first expired sequence number after `after`.
    pub first_seq: u64,
    /// The last expired one; the page continues after it.
    pub last_seq: u64,
}

fn millis<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::time::format_time(*t))
}

fn millis_opt<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => millis(t, s),
        None => s.serialize_none(),
    }
}

fn rfc3339_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    rfc3339(d).map(Some)
}

fn rfc3339<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let text = std::borrow::Cow::<str>::deserialize(d)?;
    crate::time::parse_time(&text).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> ItemPage {
        ItemPage {
            items: vec![ItemRef {
                id: "tm-20261120-000001".parse().unwrap(),
                captured_at: "2026-11-20T08:00:00.5+08:00".parse().unwrap(),
                archived_at: Some("2026-11-21T09:30:00+08:00".parse().unwrap()),
                seq: Some(42),
                size: 1234,
                sha256: "ab".repeat(32),
                source: Source::Wecom,
                kind: Kind::Attachment,
            }],
            next_cursor: Some("c1".into()),
            expired: Some(Expired { count: 3, first_seq: 7, last_seq: 9 }),
        }
    }

    #[test]
    fn the_listing_shape_is_pinned() {
        insta::assert_snapshot!(serde_json::to_string_pretty(&page()).unwrap());
        let json = serde_json::to_string(&page()).unwrap();
        assert!(json.contains("\"captured_at\":\"2026-11-20T00:00:00.500Z\""), "{json}");
        assert_eq!(serde_json::from_str::<ItemPage>(&json).unwrap(), page());
        assert!(json.contains("\"archived_at\":\"2026-11-21T01:30:00.000Z\",\"seq\":42"), "{json}");
    }

    #[test]
    fn a_listing_without_the_sequence_fields_still_reads() {
        let json = r#"{"items":[{"id":"a","captured_at":"2026-11-20T00:00:00Z","size":1,"sha256":"ab","source":"wechat","kind":"chat"}],"next_cursor":null}"#;
        let page: ItemPage = serde_json::from_str(json).unwrap();
        assert_eq!((page.items[0].archived_at, page.items[0].seq, page.expired), (None, None, None));
        assert!(!serde_json::to_string(&page).unwrap().contains("seq"), "absent fields are not written");
    }

    #[test]
    fn a_listing_with_an_unknown_kind_or_a_bad_time_is_refused_with_the_field() {
        let json = serde_json::to_string(&page()).unwrap();
        let e = serde_json::from_str::<ItemPage>(&json.replace("attachment", "hologram")).unwrap_err().to_string();
        assert!(e.contains("hologram"), "{e}");
        let e = serde_json::from_str::<ItemPage>(&json.replace("2026-11-20T00", "yesterday")).unwrap_err().to_string();
        assert!(e.contains("input contains invalid characters") || e.contains("invalid"), "{e}");
    }

    #[test]
    fn kinds_and_sources_read_as_the_contract_writes_them() {
        for k in Kind::ALL {
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{}\"", k.as_str()));
        }
        assert_eq!(serde_json::to_string(&Source::Wechat).unwrap(), "\"wechat\"");
        assert_eq!(MAX_ITEM_BYTES, 10 * 1024 * 1024);
    }
}
