//! The archive's own failure modes as faults: a download whose bytes are not the item's
//! (`corrupt`), an item the archive holds as bytes that are no usable message (`malformed`), and
//! an item listed, then gone (`gone`). This module checks those rules and makes their bytes; the
//! vendor API serves them (`http/vendor_bytes.rs`). Deterministic: the bytes depend on the
//! scenario seed and the item id only, never on the request order or the clock.
//!
//! - `corrupt`: the download has the listed length but [`CORRUPT_BYTES`] letters or digits of the
//!   item's body (after its header block) are replaced by others of their kind, so the message
//!   still parses, routes and imports, and only its sha256 (the listing's, and the `ETag`) tells.
//!   This is silent corruption in storage or transit (a bit flip, a bad sector, a proxy that
//!   rewrote a body): the archive's index still has the right digest. `count = 1` corrupts one
//!   download (the next is whole), `count = 0` every one.
//! - `malformed`: the archive itself holds bad bytes, and its listing describes them (`size` and
//!   `sha256` are the bad bytes', as is the `ETag`): a digest check passes, only reading the
//!   message tells. `variant = "garbage"`: a binary blob (gzip's magic, then seeded noise without
//!   a `:` or a line end, so no header line), the item's length; `"no_message_id"`: the item's
//!   message without its `Message-ID` header. Real archives do both (bad bytes whose index agrees
//!   and bad bytes whose index does not); the second is `corrupt`, so `malformed` models the
//!   first, the one a digest check alone does not catch.
//! - `gone`: listed, but every download answers `status` 404 `not_found` or 410 `item_deleted`
//!   (an item purged after it was listed, e.g. by a retention or legal-hold release).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tm_contract::Malformation;

use crate::world::faults::{ActionKind, Api, FaultRule, Op};

/// How many bytes a `corrupt` download changes.
pub const CORRUPT_BYTES: usize = 3;

/// The statuses a `gone` item's download answers: 404 (the default) or 410.
pub const GONE_STATUSES: [u16; 2] = [404, 410];

/// gzip's magic and method: how a `garbage` item starts.
const GARBAGE_MAGIC: [u8; 4] = [0x1f, 0x8b, 0x08, 0x00];

/// Checks a `corrupt`, `malformed` or `gone` rule; the message names the offending field.
pub(crate) fn check(rule: &FaultRule) -> Result<(), (String, String)> {
    let bad = |f: &str, m: String| Err((f.to_string(), m));
    let name = match rule.action {
        ActionKind::Corrupt => "corrupt",
        ActionKind::Malformed => "malformed",
        _ => "gone",
    };
    if !(rule.api == Api::Vendor && rule.op == Op::Raw) {
        return bad("action", format!("{name} applies to vendor raw downloads (api vendor, op raw)"));
    }
    if rule.item.is_none() {
        return bad("item", format!("action {name} names the item it concerns"));
    }
    if rule.probability != 1.0 {
        return bad("probability", format!("{name} fires with certainty, so that an item's outcome is known: leave probability out"));
    }
    if rule.variant.is_some() && rule.action != ActionKind::Malformed {
        return bad("variant", "only malformed takes a variant".into());
    }
    match rule.action {
        ActionKind::Corrupt if rule.count > 1 => {
            bad("count", "corrupt takes count = 1 (the next download is whole) or 0 (every download is corrupt)".into())
        }
        ActionKind::Malformed if rule.malformation().is_none() => {
            bad("variant", "action malformed needs variant = \"garbage\" or \"no_message_id\"".into())
        }
        ActionKind::Gone if !rule.status.is_none_or(|s| GONE_STATUSES.contains(&s)) => {
            bad("status", "a gone item's download answers status = 404 or 410".into())
        }
        ActionKind::Corrupt | ActionKind::Malformed if rule.status.is_some() => bad("status", format!("{name} answers 200: no status")),
        _ => Ok(()),
    }
}

/// The seeded generator of one item's bad bytes.
fn item_rng(seed: u64, id: &str) -> ChaCha8Rng {
    // FNV-1a: stable across builds and platforms, unlike `DefaultHasher`.
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    ChaCha8Rng::seed_from_u64(seed ^ hash ^ 0x1e6_7e61)
}

/// Where the header block ends (after its empty line), or 0 when it does not.
fn body_start(bytes: &[u8]) -> usize {
    bytes.windows(4).position(|w| w == b"\r\n\r\n").map_or(0, |p| p + 4)
}

/// Another byte of the same kind: the next digit or letter, wrapping.
fn other(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b'0' + (b - b'0' + 1) % 10,
        b'a'..=b'z' => b'a' + (b - b'a' + 1) % 26,
        _ => b'A' + (b - b'A' + 1) % 26,
    }
}

/// The item's bytes as a `corrupt` download serves them: the same length, [`CORRUPT_BYTES`]
/// letters or digits of the body replaced (of the whole item when its body has none).
pub fn corrupt(bytes: &[u8], seed: u64, id: &str) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let mut rng = item_rng(seed, id);
    let from = match body_start(bytes) {
        start if bytes[start..].iter().any(u8::is_ascii_alphanumeric) => start,
        _ => 0,
    };
    let mut changed: Vec<usize> = Vec::new();
    for _ in 0..CORRUPT_BYTES * 4 {
        if changed.len() == CORRUPT_BYTES || from >= bytes.len() {
            break;
        }
        let start = rng.random_range(from..bytes.len());
        let found = (start..bytes.len()).chain(from..start).find(|i| bytes[*i].is_ascii_alphanumeric() && !changed.contains(i));
        if let Some(i) = found {
            out[i] = other(bytes[i]);
            changed.push(i);
        }
    }
    out
}

/// The bytes the archive holds for a `malformed` item whose real message is `good`.
pub fn malformed(m: Malformation, good: &[u8], seed: u64, id: &str) -> Vec<u8> {
    match m {
        Malformation::Garbage => {
            let mut rng = item_rng(seed, id);
            let mut out = GARBAGE_MAGIC.to_vec();
            out.extend((GARBAGE_MAGIC.len()..good.len().max(GARBAGE_MAGIC.len())).map(|_| match rng.random::<u8>() {
                b':' | b'\r' | b'\n' => 0x80,
                b => b,
            }));
            out
        }
        Malformation::NoMessageId => without_message_id(good),
    }
}

/// The message without its `Message-ID` header (and the header's folded lines).
fn without_message_id(good: &[u8]) -> Vec<u8> {
    let end = match body_start(good) {
        0 => good.len(),
        start => start,
    };
    let mut out = Vec::with_capacity(good.len());
    let mut dropping = false;
    let mut at = 0;
    while at < end {
        let line_end = good[at..end].windows(2).position(|w| w == b"\r\n").map_or(end, |p| at + p + 2);
        let line = &good[at..line_end];
        let folded = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if !folded {
            dropping = line.len() >= 11 && line[..11].eq_ignore_ascii_case(b"message-id:");
        }
        if !dropping {
            out.extend_from_slice(line);
        }
        at = line_end;
    }
    out.extend_from_slice(&good[end..]);
    out
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;

    const ITEM: &[u8] = b"Message-ID: <c-1@archive.telemessage.sim>\r\nFrom: A <a@x.cn>\r\nTo: B <b@x.cn>\r\n\
        X-TELEMESSAGE-ArchiveMessageID: c-1\r\n\r\nhello there, 42 times\r\n";

    fn rule(text: &str) -> FaultRule {
        toml::from_str(text).unwrap()
    }

    fn refused(text: &str) -> String {
        rule(text).check().unwrap_err().0
    }

    #[test]
    fn a_corrupt_download_has_the_length_and_other_bytes_in_the_body_only() {
        let bad = corrupt(ITEM, 7, "c-1");
        assert_eq!(bad.len(), ITEM.len());
        assert_ne!(Sha256::digest(&bad), Sha256::digest(ITEM));
        let start = body_start(ITEM);
        assert_eq!(&bad[..start], &ITEM[..start], "the header block is intact");
        let changed = bad.iter().zip(ITEM).filter(|(a, b)| a != b).count();
        assert_eq!(changed, CORRUPT_BYTES);
        assert_eq!(bad, corrupt(ITEM, 7, "c-1"), "deterministic");
        assert_ne!(bad, corrupt(ITEM, 8, "c-1"), "seeded");
        let no_body = b"From: a@x.cn\r\n";
        assert_ne!(corrupt(no_body, 1, "x"), no_body, "without a body the headers are corrupted");
    }

    #[test]
    fn malformed_items_do_not_parse_or_have_no_message_id() {
        let garbage = malformed(Malformation::Garbage, ITEM, 1, "c-1");
        assert_eq!(garbage.len(), ITEM.len());
        assert!(garbage.starts_with(&GARBAGE_MAGIC));
        assert!(!garbage.iter().any(|b| matches!(b, b':' | b'\n' | b'\r')), "no header line");
        let headers = mail_parser::MessageParser::default().parse_headers(&garbage);
        assert!(headers.is_none_or(|m| m.message_id().is_none() && m.from().is_none()));
        let no_id = malformed(Malformation::NoMessageId, ITEM, 1, "c-1");
        assert!(!String::from_utf8_lossy(&no_id).to_ascii_lowercase().contains("message-id"));
        assert!(no_id.ends_with(b"\r\n\r\nhello there, 42 times\r\n") && no_id.starts_with(b"From: A"));
        let m = mail_parser::MessageParser::default().parse_headers(&no_id).unwrap();
        assert_eq!((m.message_id(), m.from().is_some()), (None, true));
        let folded = b"From: a@x.cn\r\nmessage-ID:\r\n <x@y>\r\nTo: b@x.cn\r\n\r\nbody";
        assert_eq!(without_message_id(folded), b"From: a@x.cn\r\nTo: b@x.cn\r\n\r\nbody");
    }

    #[test]
    fn integrity_rules_are_checked_naming_the_field() {
        let raw = "api='vendor'\nop='raw'\nitem='x'\n";
        assert!(rule(&format!("{raw}action='corrupt'")).check().is_ok());
        assert!(rule(&format!("{raw}action='corrupt'\ncount=0")).check().is_ok());
        assert_eq!(refused(&format!("{raw}action='corrupt'\ncount=2")), "count");
        assert_eq!(refused(&format!("{raw}action='corrupt'\nprobability=0.5")), "probability");
        assert_eq!(refused("api='vendor'\nop='raw'\naction='corrupt'"), "item");
        assert_eq!(refused("api='vendor'\nop='list'\nitem='x'\naction='gone'"), "action");
        assert_eq!(refused(&format!("{raw}action='malformed'")), "variant");
        assert_eq!(refused(&format!("{raw}action='malformed'\nvariant='shredded'")), "variant");
        assert_eq!(refused(&format!("{raw}action='gone'\nvariant='garbage'")), "variant");
        assert!(rule(&format!("{raw}action='malformed'\nvariant='no_message_id'")).check().is_ok());
        assert_eq!(refused(&format!("{raw}action='gone'\nstatus=500")), "status");
        assert_eq!(refused(&format!("{raw}action='corrupt'\nstatus=404")), "status");
        let gone = rule(&format!("{raw}action='gone'\nstatus=410"));
        assert!(gone.check().is_ok());
        assert_eq!(gone.record().to_string(), "item gone: status 410");
        assert_eq!(rule(&format!("{raw}action='gone'")).record().to_string(), "item gone: status 404");
        assert_eq!(rule(&format!("{raw}action='malformed'\nvariant='garbage'")).record().to_string(), "malformed item: garbage");
        assert_eq!(rule(&format!("{raw}action='corrupt'")).record().to_string(), "body corrupted, same length");
    }
}
