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
    /// The tenant refused the request 429 as Graph throttles (`throttled: …`).
    Throttled(Throttle),
    /// The simulator's data directory refused to store the change (a 500): its error, as the
    /// simulator writes it, always starting `data directory `.
    StoreFailed(String),
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
            FaultKind::Throttled(Throttle::InFlight(n)) => write!(f, "throttled: over {n} in flight"),
            FaultKind::Throttled(Throttle::Limit(limit)) => write!(f, "throttled: over the {limit} limit"),
            FaultKind::StoreFailed(message) => f.write_str(message),
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
        _ if text.starts_with(STORE_FAILED) => FaultKind::StoreFailed(text.to_string()),
        _ => {
            if let Some(rest) = text.strip_prefix("status ") {
                let (status, retry_after) = match rest.split_once(" retry-after ") {
                    Some((status, s)) => (status, Some(number(s)?)),
                    None => (rest, None),
                };
                FaultKind::Status { status: status.parse().ok()?, retry_after }
            } else if let Some(ms) = words("latency ", " ms") {
                FaultKind::Latency { ms: number(ms)? }
            } else if let Some(b) = text.strip_prefix("body truncated at byte ") {
                FaultKind::Truncate { at_byte: Some(number(b)?) }
            } else if let Some(n) = words("page repeats ", " items") {
                FaultKind::RepeatPage { repeat: n.parse().ok()? }
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
            let kind = match u8::arbitrary(g) % 12 {
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
        assert_eq!(said(FaultKind::Throttled(Throttle::InFlight(4))), "throttled: over 4 in flight");
        assert_eq!(
            said(FaultKind::Throttled(Throttle::Limit("MailboxUploadVolume".into()))),
            "throttled: over the MailboxUploadVolume limit"
        );
        let json = serde_json::to_string(&FaultRecord::from(FaultKind::Latency { ms: 5 })).unwrap();
        assert_eq!(json, r#""latency 5 ms""#);
    }

    #[test]
    fn a_sentence_the_simulator_never_writes_is_refused() {
        for text in ["", "status", "status x", "status 503 retry-after", "latency 5", "throttled", "throttled: over many in flight", "boom"]
        {
            assert_eq!(text.parse::<FaultRecord>(), Err(BadFault(text.to_string())), "{text:?}");
        }
        assert!(serde_json::from_str::<FaultRecord>(r#""boom""#).unwrap_err().to_string().contains("boom"));
    }
}
