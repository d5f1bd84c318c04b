//! [`FaultRecord`]: a fault the simulator injected into a request, as data. The journal
//! (`GET /sim/journal`, `fault`) writes it as one sentence (`status 503 retry-after 7`,
//! `connection reset mid-body`, `throttled: over 4 in flight` …); this is that sentence's one
//! writer ([`Display`](std::fmt::Display), and so `Serialize`) and its one reader
//! ([`FromStr`](std::str::FromStr), and so `Deserialize`), so that nobody else matches on its
//! words. The sentence names no rule of the scenario's fault plan, so neither does the record.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A fault injected into one request (the journal's `fault`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FaultRecord {
    /// What the fault did, with the numbers it carried.
    pub kind: FaultKind,
}

/// What a fault did.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// An error status answered instead (`status 503 retry-after 7`, `status 500`).
    Status {
        /// The status answered.
        status: u16,
        /// The `Retry-After` seconds it carried, if any.
        retry_after: Option<u64>,
    },
    /// The answer was delayed, then given normally (`latency 50 ms`).
    Latency {
        /// The delay, in milliseconds.
        ms: u64,
    },
    /// The connection was reset mid-body after the headers (`connection reset mid-body`).
    Reset,
    /// A download's body ended cleanly, without `Content-Length`, short of the item
    /// (`body truncated at byte 1000`, `body truncated at byte half`).
    Truncate {
        /// Where the body stopped; `None`: half way.
        at_byte: Option<u64>,
    },
    /// The caller's vendor token expired (`token expired`).
    ExpireToken,
    /// A listing page started items before its cursor (`page repeats 3 items`).
    RepeatPage {
        /// How many items were repeated.
        repeat: usize,
    },
    /// A listing reported another size for an item (`listed size 1000`).
    LieSize {
        /// The size reported.
        size: u64,
    },
    /// Another program wrote a message into the mailbox (`foreign write`).
    ForeignWrite,
    /// A listing entry was broken so that a connector cannot use it (`broken entry: size`):
    /// the vendor lists an item with a bad field (see [`BrokenField`]).
    BrokenEntry(BrokenField),
    /// A 429 or 503 whose `Retry-After` was not whole seconds: fractional
    /// (`status 503 retry-after 1.5`) or left out (`status 429 retry-after absent`), as Graph
    /// has been seen to answer.
    StatusOddRetryAfter {
        /// The status answered.
        status: u16,
        /// What the `Retry-After` was.
        retry_after: OddRetryAfter,
    },
    /// The write was stored, then the answer was an error status (`stored, then status 504`):
    /// the client sees a failure for a write that landed.
    StoredThenStatus {
        /// The status answered.
        status: u16,
    },
    /// The tenant refused the request 429 as Graph throttles (`throttled: …`).
    Throttled(Throttle),
    /// The simulator's data directory refused to store the change (a 500): its error, as the
    /// simulator writes it, always starting `data directory `.
    StoreFailed(String),
    /// A download's body had the listed length but other bytes, so that its sha256 is not the
    /// listed one (`body corrupted, same length`).
    Corrupt,
    /// The archive holds bytes for the item that are no usable message, and lists them
    /// (`malformed item: garbage`, `malformed item: no_message_id`; see [`Malformation`]).
    Malformed(Malformation),
    /// A listed item's download answered 404 or 410: it is gone from the archive
    /// (`item gone: status 410`).
    Gone {
        /// The status answered.
        status: u16,
    },
}

/// How a `malformed` fault's item is no usable message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Malformation {
    /// Bytes that are no RFC 5322 message at all (a binary blob without a header line).
    Garbage,
    /// The item's message without its `Message-ID` header.
    NoMessageId,
}

impl Malformation {
    /// Every malformation.
    pub const ALL: [Malformation; 2] = [Malformation::Garbage, Malformation::NoMessageId];

    /// Its name in a scenario's `variant = "…"` and in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Malformation::Garbage => "garbage",
            Malformation::NoMessageId => "no_message_id",
        }
    }

    /// The malformation of that name.
    pub fn from_name(name: &str) -> Option<Malformation> {
        Malformation::ALL.into_iter().find(|m| m.as_str() == name)
    }
}

/// What a `break_entry` fault breaks in a listing entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BrokenField {
    /// `size` is a string, not a byte count (`"size": "large"`).
    Size,
    /// `sha256` is left out.
    Sha256,
    /// `captured_at` is not a time (`"captured_at": "yesterday"`).
    CapturedAt,
    /// `id` is left out.
    Id,
}

impl BrokenField {
    /// Every field a fault can break.
    pub const ALL: [BrokenField; 4] = [BrokenField::Size, BrokenField::Sha256, BrokenField::CapturedAt, BrokenField::Id];

    /// The field's name in the listing (and in a scenario's `field = "…"`).
    pub fn as_str(self) -> &'static str {
        match self {
            BrokenField::Size => "size",
            BrokenField::Sha256 => "sha256",
            BrokenField::CapturedAt => "captured_at",
            BrokenField::Id => "id",
        }
    }

    /// The field of that name.
    pub fn from_name(name: &str) -> Option<BrokenField> {
        BrokenField::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

/// A `Retry-After` that is not whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OddRetryAfter {
    /// Fractional seconds, in milliseconds (never a whole number of seconds: those are
    /// [`FaultKind::Status`]'s).
    Fractional {
        /// The delay, in milliseconds.
        millis: u64,
    },
    /// No `Retry-After` header at all.
    Absent,
}

impl OddRetryAfter {
    /// The header's value as sent (`1.5`), `None` when absent.
    pub fn header_value(&self) -> Option<String> {
        match self {
            OddRetryAfter::Fractional { millis } => Some(seconds_text(*millis)),
            OddRetryAfter::Absent => None,
        }
    }
}

/// Milliseconds as decimal seconds without trailing zeros (`1500` → `1.5`, `2000` → `2`).
pub fn seconds_text(millis: u64) -> String {
    let (whole, frac) = (millis / 1000, millis % 1000);
    if frac == 0 {
        return whole.to_string();
    }
    let digits = format!("{frac:03}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// Decimal seconds with 1 to 3 decimals and a non-zero fraction (`1.5`) as milliseconds.
fn fractional_millis(text: &str) -> Option<u64> {
    let (whole, frac) = text.split_once('.')?;
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || !all_digits(frac) || frac.len() > 3 || frac.ends_with('0') {
        return None;
    }
    let millis = whole.parse::<u64>().ok()?.checked_mul(1000)? + format!("{frac:0<3}").parse::<u64>().ok()?;
    Some(millis)
}

/// Which of the tenant's limits a throttled request was over.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Throttle {
    /// Too many requests in flight for the mailbox (`throttled: over 4 in flight`).
    InFlight(usize),
    /// One of the scenario's rate limits, named as Graph names it
    /// (`throttled: over the MailboxUploadVolume limit`).
    Limit(String),
}

impl From<FaultKind> for FaultRecord {
    fn from(kind: FaultKind) -> FaultRecord {
        FaultRecord { kind }
    }
}

/// What every data-directory error starts with (the text of [`FaultKind::StoreFailed`]).
const STORE_FAILED: &str = "data directory ";
/// The sentence of [`FaultKind::Corrupt`].
const CORRUPT: &str = "body corrupted, same length";

impl fmt::Display for FaultRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            FaultKind::Status { status, retry_after: None } => write!(f, "status {status}"),
            FaultKind::Status { status, retry_after: Some(s) } => write!(f, "status {status} retry-after {s}"),
            FaultKind::Latency { ms } => write!(f, "latency {ms} ms"),
            FaultKind::Reset => f.write_str("connection reset mid-body"),
            FaultKind::Truncate { at_byte: None } => f.write_str("body truncated at byte half"),
            FaultKind::Truncate { at_byte: Some(b) } => write!(f, "body truncated at byte {b}"),
            FaultKind::ExpireToken => f.write_str("token expired"),
            FaultKind::RepeatPage { repeat } => write!(f, "page repeats {repeat} items"),
            FaultKind::LieSize { size } => write!(f, "listed size {size}"),
            FaultKind::ForeignWrite => f.write_str("foreign write"),
            FaultKind::BrokenEntry(field) => write!(f, "broken entry: {}", field.as_str()),
            FaultKind::StatusOddRetryAfter { status, retry_after: OddRetryAfter::Fractional { millis } } => {
                write!(f, "status {status} retry-after {}", seconds_text(*millis))
            }
            FaultKind::StatusOddRetryAfter { status, retry_after: OddRetryAfter::Absent } => {
                write!(f, "status {status} retry-after absent")
            }
            FaultKind::StoredThenStatus { status } => write!(f, "stored, then status {status}"),
            FaultKind::Throttled(Throttle::InFlight(n)) => write!(f, "throttled: over {n} in flight"),
            FaultKind::Throttled(Throttle::Limit(limit)) => write!(f, "throttled: over the {limit} limit"),
            FaultKind::StoreFailed(message) => f.write_str(message),
            FaultKind::Corrupt => f.write_str(CORRUPT),
            FaultKind::Malformed(m) => write!(f, "malformed item: {}", m.as_str()),
            FaultKind::Gone { status } => write!(f, "item gone: status {status}"),
        }
    }
}

/// A sentence that is no fault the simulator writes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a journalled fault: {0:?}")]
pub struct BadFault(pub String);

impl FromStr for FaultRecord {
    type Err = BadFault;

    fn from_str(text: &str) -> Result<FaultRecord, BadFault> {
        parse(text).map(FaultRecord::from).ok_or_else(|| BadFault(text.to_string()))
    }
}

fn parse(text: &str) -> Option<FaultKind> {
    let number = |s: &str| s.parse::<u64>().ok();
    let words = |prefix: &str, suffix: &str| text.strip_prefix(prefix).and_then(|rest| rest.strip_suffix(suffix));
    let kind = match text {
        "connection reset mid-body" => FaultKind::Reset,
        "token expired" => FaultKind::ExpireToken,
        "foreign write" => FaultKind::ForeignWrite,
        "body truncated at byte half" => FaultKind::Truncate { at_byte: None },
        CORRUPT => FaultKind::Corrupt,
        _ if text.starts_with(STORE_FAILED) => FaultKind::StoreFailed(text.to_string()),
        _ => {
            if let Some(rest) = text.strip_prefix("status ") {
                status_sentence(rest)?
            } else if let Some(status) = text.strip_prefix("stored, then status ") {
                FaultKind::StoredThenStatus { status: status.parse().ok()? }
            } else if let Some(ms) = words("latency ", " ms") {
                FaultKind::Latency { ms: number(ms)? }
            } else if let Some(b) = text.strip_prefix("body truncated at byte ") {
                FaultKind::Truncate { at_byte: Some(number(b)?) }
            } else if let Some(n) = words("page repeats ", " items") {
                FaultKind::RepeatPage { repeat: n.parse().ok()? }
            } else if let Some(m) = text.strip_prefix("malformed item: ") {
                FaultKind::Malformed(Malformation::from_name(m)?)
            } else if let Some(status) = text.strip_prefix("item gone: status ") {
                FaultKind::Gone { status: status.parse().ok()? }
            } else if let Some(field) = text.strip_prefix("broken entry: ") {
                FaultKind::BrokenEntry(BrokenField::from_name(field)?)
            } else if let Some(size) = text.strip_prefix("listed size ") {
                FaultKind::LieSize { size: number(size)? }
            } else if let Some(limit) = words("throttled: over the ", " limit") {
                FaultKind::Throttled(Throttle::Limit(limit.to_string()))
            } else {
                FaultKind::Throttled(Throttle::InFlight(words("throttled: over ", " in flight")?.parse().ok()?))
            }
        }
    };
    Some(kind)
}

/// `503 retry-after 7`, `503`, `503 retry-after 1.5`, `429 retry-after absent` (after `status `).
fn status_sentence(rest: &str) -> Option<FaultKind> {
    let Some((status, after)) = rest.split_once(" retry-after ") else {
        return Some(FaultKind::Status { status: rest.parse().ok()?, retry_after: None });
    };
    let status = status.parse().ok()?;
    if after == "absent" {
        return Some(FaultKind::StatusOddRetryAfter { status, retry_after: OddRetryAfter::Absent });
    }
    if after.bytes().all(|b| b.is_ascii_digit()) {
        return Some(FaultKind::Status { status, retry_after: Some(after.parse().ok()?) });
    }
    Some(FaultKind::StatusOddRetryAfter { status, retry_after: OddRetryAfter::Fractional { millis: fractional_millis(after)? } })
}

impl Serialize for FaultRecord {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FaultRecord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<FaultRecord, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use quickcheck::{Arbitrary, Gen};

    use super::*;

    impl Arbitrary for FaultRecord {
        fn arbitrary(g: &mut Gen) -> FaultRecord {
            let kind = match u8::arbitrary(g) % 19 {
                0 => FaultKind::Status { status: u16::arbitrary(g), retry_after: Option::arbitrary(g) },
                1 => FaultKind::Latency { ms: u64::arbitrary(g) },
                2 => FaultKind::Reset,
                3 => FaultKind::Truncate { at_byte: Option::arbitrary(g) },
                4 => FaultKind::ExpireToken,
                5 => FaultKind::RepeatPage { repeat: usize::arbitrary(g) },
                6 => FaultKind::LieSize { size: u64::arbitrary(g) },
                7 => FaultKind::ForeignWrite,
                8 => FaultKind::Throttled(Throttle::InFlight(usize::arbitrary(g))),
                9 | 10 => FaultKind::Throttled(Throttle::Limit(String::arbitrary(g))),
                11 => {
                    // Never a whole second: those are `Status`'s.
                    let millis = (u64::arbitrary(g) % 10_000_000) / 1000 * 1000 + u64::arbitrary(g) % 999 + 1;
                    FaultKind::StatusOddRetryAfter { status: u16::arbitrary(g), retry_after: OddRetryAfter::Fractional { millis } }
                }
                12 => FaultKind::StatusOddRetryAfter { status: u16::arbitrary(g), retry_after: OddRetryAfter::Absent },
                13 => FaultKind::StoredThenStatus { status: u16::arbitrary(g) },
                14 => FaultKind::BrokenEntry(*g.choose(&BrokenField::ALL).expect("not empty")),
                15 => FaultKind::Corrupt,
                16 => FaultKind::Malformed(*g.choose(&Malformation::ALL).expect("not empty")),
                17 => FaultKind::Gone { status: u16::arbitrary(g) },
                _ => FaultKind::StoreFailed(format!("{STORE_FAILED}{}", String::arbitrary(g))),
            };
            FaultRecord { kind }
        }
    }

    quickcheck::quickcheck! {
        fn a_fault_reads_back_from_its_sentence(r: FaultRecord) -> bool {
            r.to_string().parse::<FaultRecord>() == Ok(r.clone())
                && serde_json::from_str::<FaultRecord>(&serde_json::to_string(&r).unwrap()).unwrap() == r
        }
    }

    #[test]
    fn the_sentences_are_the_journal_s() {
        let said = |kind: FaultKind| FaultRecord::from(kind).to_string();
        assert_eq!(said(FaultKind::Status { status: 503, retry_after: Some(7) }), "status 503 retry-after 7");
        assert_eq!(said(FaultKind::Status { status: 500, retry_after: None }), "status 500");
        assert_eq!(said(FaultKind::Latency { ms: 50 }), "latency 50 ms");
        assert_eq!(said(FaultKind::Reset), "connection reset mid-body");
        assert_eq!(said(FaultKind::Truncate { at_byte: Some(1000) }), "body truncated at byte 1000");
        assert_eq!(said(FaultKind::Truncate { at_byte: None }), "body truncated at byte half");
        assert_eq!(said(FaultKind::ExpireToken), "token expired");
        assert_eq!(said(FaultKind::RepeatPage { repeat: 3 }), "page repeats 3 items");
        assert_eq!(said(FaultKind::LieSize { size: 1000 }), "listed size 1000");
        assert_eq!(said(FaultKind::ForeignWrite), "foreign write");
        assert_eq!(said(FaultKind::BrokenEntry(BrokenField::Size)), "broken entry: size");
        assert_eq!(said(FaultKind::BrokenEntry(BrokenField::CapturedAt)), "broken entry: captured_at");
        assert_eq!(said(FaultKind::Throttled(Throttle::InFlight(4))), "throttled: over 4 in flight");
        assert_eq!(
            said(FaultKind::Throttled(Throttle::Limit("MailboxUploadVolume".into()))),
            "throttled: over the MailboxUploadVolume limit"
        );
        let odd = |status, retry_after| FaultKind::StatusOddRetryAfter { status, retry_after };
        assert_eq!(said(odd(503, OddRetryAfter::Fractional { millis: 1500 })), "status 503 retry-after 1.5");
        assert_eq!(said(odd(429, OddRetryAfter::Fractional { millis: 249 })), "status 429 retry-after 0.249");
        assert_eq!(said(odd(429, OddRetryAfter::Absent)), "status 429 retry-after absent");
        assert_eq!(said(FaultKind::StoredThenStatus { status: 504 }), "stored, then status 504");
        assert_eq!(said(FaultKind::Corrupt), "body corrupted, same length");
        assert_eq!(said(FaultKind::Malformed(Malformation::Garbage)), "malformed item: garbage");
        assert_eq!(said(FaultKind::Malformed(Malformation::NoMessageId)), "malformed item: no_message_id");
        assert_eq!(said(FaultKind::Gone { status: 410 }), "item gone: status 410");
        assert_eq!(seconds_text(2000), "2");
        assert_eq!(OddRetryAfter::Fractional { millis: 2050 }.header_value().as_deref(), Some("2.05"));
        let json = serde_json::to_string(&FaultRecord::from(FaultKind::Latency { ms: 5 })).unwrap();
        assert_eq!(json, r#""latency 5 ms""#);
    }

    #[test]
    fn a_sentence_the_simulator_never_writes_is_refused() {
        for text in [
            "",
            "status",
            "status x",
            "status 503 retry-after",
            "status 503 retry-after 1.",
            "status 503 retry-after 1.50",
            "status 503 retry-after 1.0",
            "status 503 retry-after .5",
            "status 503 retry-after 1.2345",
            "stored, then status",
            "latency 5",
            "throttled",
            "throttled: over many in flight",
            "broken entry: price",
            "malformed item: shredded",
            "item gone: status",
            "body corrupted",
            "boom",
        ] {
            assert_eq!(text.parse::<FaultRecord>(), Err(BadFault(text.to_string())), "{text:?}");
        }
        assert!(serde_json::from_str::<FaultRecord>(r#""boom""#).unwrap_err().to_string().contains("boom"));
    }
}
