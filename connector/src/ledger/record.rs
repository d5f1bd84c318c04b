//! The ledger's records: what one line of `ledger.jsonl` says about one [`Delivery`].
//!
//! ```text
//! {"op":"intent","item","user","mailbox","folder","internet_message_id"}  before an import
//! {"op":"imported","item","user","mailbox"}   the message is in the folder
//! {"op":"cleared","item","user","mailbox"}    the intent ended without a message
//! ```
//!
//! `item` and `user` are the delivery (parsed as ids when read: a line with an unusable id is
//! corrupt); `mailbox` is the user's address, for people reading the file. A field the format
//! does not have is corrupt too: ledgers of connectors before contract v2, whose intents carry a
//! `count_before` fence, are refused rather than half-read.

use serde::{Deserialize, Serialize};
use tm_contract::{ItemId, UserId};

use crate::delivery::Delivery;

/// One ledger record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "Line", from = "Line")]
pub struct Record {
    /// The delivery it is about.
    pub delivery: Delivery,
    /// The mailbox's address (for people reading the file).
    pub address: String,
    /// What happened.
    pub event: Event,
}

/// What a record says happened to its delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An import is about to be attempted.
    Intent {
        /// The target folder id.
        folder: Option<String>,
        /// The item's `Message-ID`, brackets included: what the tenant is asked for
        /// (`internetMessageId`) when the outcome is unknown.
        internet_message_id: Option<String>,
    },
    /// The tenant stored the message (201, or found when asked).
    Imported,
    /// The intent ended without a message: the tenant refused it, or asking showed that an
    /// interrupted attempt never landed.
    Cleared,
}

/// An intent: a delivery about to be attempted (or left without an outcome by an interrupted
/// run), with what it takes to ask the tenant whether it landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    /// The delivery.
    pub delivery: Delivery,
    /// The mailbox's address.
    pub address: String,
    /// The target folder id.
    pub folder: Option<String>,
    /// The item's `Message-ID` (the tenant's `internetMessageId`).
    pub internet_message_id: Option<String>,
}

impl Intent {
    /// The intent's own record.
    pub fn record(&self) -> Record {
        let (folder, internet_message_id) = (self.folder.clone(), self.internet_message_id.clone());
        self.with(Event::Intent { folder, internet_message_id })
    }

    /// The record of its outcome: the message is in the folder.
    pub fn imported(&self) -> Record {
        self.with(Event::Imported)
    }

    /// The record of its outcome: no message.
    pub fn cleared(&self) -> Record {
        self.with(Event::Cleared)
    }

    fn with(&self, event: Event) -> Record {
        Record { delivery: self.delivery.clone(), address: self.address.clone(), event }
    }
}

/// A record as a line of the file.
#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum Line {
    Intent {
        item: ItemId,
        user: UserId,
        mailbox: String,
        #[serde(default)]
        folder: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        internet_message_id: Option<String>,
    },
    Imported {
        item: ItemId,
        user: UserId,
        mailbox: String,
    },
    Cleared {
        item: ItemId,
        user: UserId,
        mailbox: String,
    },
}

impl From<Record> for Line {
    fn from(r: Record) -> Line {
        let Record { delivery: Delivery { item, mailbox: user }, address: mailbox, event } = r;
        match event {
            Event::Intent { folder, internet_message_id } => Line::Intent { item, user, mailbox, folder, internet_message_id },
            Event::Imported => Line::Imported { item, user, mailbox },
            Event::Cleared => Line::Cleared { item, user, mailbox },
        }
    }
}

impl From<Line> for Record {
    fn from(line: Line) -> Record {
        let (item, user, address, event) = match line {
            Line::Intent { item, user, mailbox, folder, internet_message_id } => {
                (item, user, mailbox, Event::Intent { folder, internet_message_id })
            }
            Line::Imported { item, user, mailbox } => (item, user, mailbox, Event::Imported),
            Line::Cleared { item, user, mailbox } => (item, user, mailbox, Event::Cleared),
        };
        Record { delivery: Delivery::new(item, user), address, event }
    }
}

#[cfg(test)]
mod tests {
    use quickcheck::{Arbitrary, Gen, quickcheck};

    use super::*;

    fn intent() -> Intent {
        Intent {
            delivery: Delivery::new("i1".parse().unwrap(), "u1".parse().unwrap()),
            address: "Wang.Wei@contoso.cn".into(),
            folder: Some("f1".into()),
            internet_message_id: Some("<i1@tm.example>".into()),
        }
    }

    #[test]
    fn the_line_format_is_the_one_ledgers_are_written_in() {
        let i = intent();
        let line = |r: &Record| serde_json::to_string(r).unwrap();
        assert_eq!(
            line(&i.record()),
            r#"{"op":"intent","item":"i1","user":"u1","mailbox":"Wang.Wei@contoso.cn","folder":"f1","internet_message_id":"<i1@tm.example>"}"#
        );
        assert_eq!(line(&i.imported()), r#"{"op":"imported","item":"i1","user":"u1","mailbox":"Wang.Wei@contoso.cn"}"#);
        assert_eq!(line(&i.cleared()), r#"{"op":"cleared","item":"i1","user":"u1","mailbox":"Wang.Wei@contoso.cn"}"#);
        let bare = Intent { folder: None, internet_message_id: None, ..i };
        assert_eq!(line(&bare.record()), r#"{"op":"intent","item":"i1","user":"u1","mailbox":"Wang.Wei@contoso.cn","folder":null}"#);
    }

    #[test]
    fn a_count_fenced_intent_of_an_older_ledger_is_refused() {
        let old = r#"{"op":"intent","item":"i1","user":"u1","mailbox":"a@b.c","folder":"f1","count_before":3}"#;
        let e = serde_json::from_str::<Record>(old).unwrap_err().to_string();
        assert!(e.contains("count_before"), "{e}");
    }

    #[test]
    fn hostile_item_ids_stay_on_their_line_and_read_back() {
        for id in ["a b", "a\"b\\c", "a/b?c#d+e%f", "王伟 的 消息", "}{\"op\":\"imported\""] {
            let i = Intent { delivery: Delivery::new(id.parse().unwrap(), "u1".parse().unwrap()), ..intent() };
            let line = serde_json::to_string(&i.imported()).unwrap();
            assert!(!line.contains('\n'), "{line}");
            assert_eq!(serde_json::from_str::<Record>(&line).unwrap(), i.imported());
        }
        // Control characters are refused at the edge (`ItemId`); a line holding one (escaped) is
        // corrupt rather than read as another id.
        assert!(serde_json::from_str::<Record>(r#"{"op":"cleared","item":"a\nb","user":"u1","mailbox":"a@b.c"}"#).is_err());
    }

    #[test]
    fn a_line_with_an_unusable_id_is_refused() {
        assert!(serde_json::from_str::<Record>(r#"{"op":"cleared","item":"","user":"u1","mailbox":"a@b.c"}"#).is_err());
        assert!(serde_json::from_str::<Record>(r#"{"op":"cleared","item":"i1","user":"u 1","mailbox":"a@b.c"}"#).is_err());
    }

    impl Arbitrary for Record {
        fn arbitrary(g: &mut Gen) -> Record {
            let id = |g: &mut Gen, prefix: &str| format!("{prefix}{}", u8::arbitrary(g) % 4);
            let text = |g: &mut Gen| Option::<String>::arbitrary(g);
            let event = match u8::arbitrary(g) % 3 {
                0 => Event::Intent { folder: text(g), internet_message_id: text(g) },
                1 => Event::Imported,
                _ => Event::Cleared,
            };
            // Item ids are opaque: any text without control characters (quotes, `\\`, `/`,
            // spaces, non-ASCII) is one, and each is one JSON string on the record's line.
            let item = match String::arbitrary(g).parse::<ItemId>() {
                Ok(hostile) if bool::arbitrary(g) => hostile,
                _ => id(g, "i").parse().unwrap(),
            };
            let delivery = Delivery::new(item, id(g, "u").parse().unwrap());
            Record { delivery, address: String::arbitrary(g), event }
        }
    }

    quickcheck! {
        fn every_record_reads_back_as_written(record: Record) -> bool {
            let line = serde_json::to_string(&record).unwrap();
            !line.contains('\n') && serde_json::from_str::<Record>(&line).ok() == Some(record)
        }
    }
}
