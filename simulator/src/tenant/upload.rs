//! A MIME import's body, decoded as it arrives: base64 (CR/LF ignored) decoded chunk by chunk,
//! hashed, and checked on the fly against the archive item its header names, through the item's
//! checkpoints (prefix digests every 64 KiB, see `digest.rs`): bytes that are the item's are not
//! kept (the item renders them again), and checking them costs no more than hashing them. Bytes
//! since the last checkpoint are held (at most 64 KiB); when a checkpoint or the final digest
//! differs, the upload turns into kept bytes (the verified prefix rendered again, then the held
//! bytes and the rest). So an import of an archive item costs a chunk of memory, not its size,
//! however many run at once.

use base64_simd::{Out, STANDARD};
use bytes::Bytes;

use crate::world::archive::Archive;
use crate::world::digest::{CHECKPOINT_EVERY, Digests, PrefixHasher};

/// Decoded bytes kept to read the header block from (a header block longer than this is read
/// from its first MiB, as a mail reader would give up on it too).
pub const HEAD_LIMIT: usize = 1 << 20;

/// The body is not valid base64.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("The MIME content is not a valid base64 string.")]
pub struct InvalidBase64;

/// What an upload turned out to be.
#[derive(Debug)]
pub struct Uploaded {
    /// The decoded header block (at most [`HEAD_LIMIT`] bytes).
    pub head: Vec<u8>,
    /// The first decoded bytes (at most [`super::message_resource::PREFIX_BYTES`]): the message
    /// resource is read from them.
    pub start: Vec<u8>,
    /// sha256 of the decoded bytes.
    pub sha256: [u8; 32],
    /// Decoded size.
    pub size: u64,
    /// The archive item (position) whose bytes these are exactly, if any.
    pub archive_item: Option<usize>,
    /// The bytes, when they are no archive item's and keeping was asked for.
    pub kept: Option<Bytes>,
}

enum Matching<'a> {
    /// Still reading the header block: every byte so far is in `prefix`.
    Head,
    /// Every checkpoint so far was item `item`'s; `held` are the bytes since the last one.
    Item { item: usize, digests: &'a Digests, held: Vec<u8> },
    /// The bytes so far, kept.
    Kept(Vec<u8>),
    /// Hashed and counted only.
    Counted,
}

/// An upload in progress.
pub struct Upload<'a> {
    archive: &'a Archive,
    item_of: &'a (dyn Fn(&[u8]) -> Option<usize> + Sync),
    keep: bool,
    /// Base64 characters not yet decoded.
    pending: Vec<u8>,
    scratch: Vec<u8>,
    /// Decoded bytes while the header block is being read.
    prefix: Vec<u8>,
    head: Vec<u8>,
    start: Vec<u8>,
    hasher: PrefixHasher,
    size: u64,
    /// Bytes verified to be the item's (up to its last checkpoint passed).
    verified: u64,
    matching: Matching<'a>,
}

/// Where a header block ends in `bytes` (after its blank line), if it does.
fn head_end(bytes: &[u8]) -> Option<usize> {
    let crlf = bytes.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4);
    crlf.or_else(|| bytes.windows(2).position(|w| w == b"\n\n").map(|p| p + 2))
}

/// Base64 characters decoded at a time.
const DECODE_AT: usize = 64 * 1024;

impl<'a> Upload<'a> {
    /// A new upload; `item_of` names the archive item (by position) a header block says the
    /// bytes are; `keep` keeps bytes that turn out not to be an archive item's.
    pub fn new(archive: &'a Archive, item_of: &'a (dyn Fn(&[u8]) -> Option<usize> + Sync), keep: bool) -> Upload<'a> {
        Upload {
            archive,
            item_of,
            keep,
            pending: Vec::new(),
            scratch: Vec::new(),
            prefix: Vec::new(),
            head: Vec::new(),
            start: Vec::new(),
            hasher: PrefixHasher::default(),
            size: 0,
            verified: 0,
            matching: Matching::Head,
        }
    }

    /// Takes the next piece of the base64 body.
    pub fn push(&mut self, base64: &[u8]) -> Result<(), InvalidBase64> {
        self.pending.extend(base64.iter().copied().filter(|b| !matches!(b, b'\r' | b'\n')));
        // The last group is held back: padding is valid only there.
        let n = self.pending.len().saturating_sub(1) / 4 * 4;
        if n >= DECODE_AT {
            if self.pending[..n].contains(&b'=') {
                return Err(InvalidBase64);
            }
            self.decode(n)?;
        }
        Ok(())
    }

    fn decode(&mut self, n: usize) -> Result<(), InvalidBase64> {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.resize(n / 4 * 3, 0);
        let len = STANDARD.decode(&self.pending[..n], Out::from_slice(&mut scratch)).map_err(|_| InvalidBase64)?.len();
        self.pending.drain(..n);
        self.bytes(&scratch[..len]);
        self.scratch = scratch;
        Ok(())
    }

    /// Decoded bytes, in order.
    fn bytes(&mut self, d: &[u8]) {
        self.size += d.len() as u64;
        let room = super::message_resource::PREFIX_BYTES.saturating_sub(self.start.len());
        self.start.extend_from_slice(&d[..room.min(d.len())]);
        match self.matching {
            Matching::Head => {
                self.prefix.extend_from_slice(d);
                match head_end(&self.prefix) {
                    Some(end) => self.decide(end),
                    None if self.prefix.len() >= HEAD_LIMIT => self.decide(HEAD_LIMIT),
                    None => {}
                }
            }
            _ => self.check(d),
        }
    }

    /// The header block is read: is this an archive item?
    fn decide(&mut self, head_len: usize) {
        let prefix = std::mem::take(&mut self.prefix);
        self.head = prefix[..head_len.min(prefix.len())].to_vec();
        self.matching = match (self.item_of)(&self.head) {
            // The first import of an item nobody listed renders it once here; later ones reuse it.
            Some(item) => Matching::Item { item, digests: self.archive.digests(&self.archive.items()[item]), held: Vec::new() },
            None if self.keep => Matching::Kept(Vec::new()),
            None => Matching::Counted,
        };
        self.check(&prefix);
    }

    /// Hashes bytes after the header decision and checks them against the item's checkpoints.
    fn check(&mut self, mut d: &[u8]) {
        match &mut self.matching {
            Matching::Head => unreachable!("decided before checking"),
            Matching::Kept(v) => {
                self.hasher.update(d, |_, _| {});
                v.extend_from_slice(d);
            }
            Matching::Counted => self.hasher.update(d, |_, _| {}),
            Matching::Item { digests, held, .. } => {
                while !d.is_empty() {
                    // Up to the next checkpoint at most, so that `held` is what follows the last.
                    let n = ((CHECKPOINT_EVERY - self.hasher.len() % CHECKPOINT_EVERY) as usize).min(d.len());
                    let mut same = true;
                    self.hasher.update(&d[..n], |k, c| same = digests.checkpoints.get(k) == Some(&c));
                    held.extend_from_slice(&d[..n]);
                    d = &d[n..];
                    if !same {
                        return self.diverge(d);
                    }
                    if self.hasher.len().is_multiple_of(CHECKPOINT_EVERY) {
                        self.verified += held.len() as u64;
                        held.clear();
                    }
                }
            }
        }
    }

    /// The bytes stop being the item's: keep the verified prefix (rendered again), the held
    /// bytes and `rest` (not yet hashed).
    fn diverge(&mut self, rest: &[u8]) {
        let Matching::Item { item, held, .. } = std::mem::replace(&mut self.matching, Matching::Counted) else { return };
        if self.keep {
            let verified = self.verified as usize;
            let mut kept = Vec::with_capacity(verified + held.len() + rest.len());
            for c in self.archive.render(&self.archive.items()[item]).into_chunks() {
                if kept.len() == verified {
                    break;
                }
                let take = (verified - kept.len()).min(c.len());
                kept.extend_from_slice(&c[..take]);
            }
            kept.extend_from_slice(&held);
            self.matching = Matching::Kept(kept);
        }
        self.check(rest);
    }

    /// The body is complete.
    pub fn finish(mut self) -> Result<Uploaded, InvalidBase64> {
        let n = self.pending.len();
        if !n.is_multiple_of(4) || self.pending[..n.saturating_sub(4)].contains(&b'=') {
            return Err(InvalidBase64);
        }
        if n > 0 {
            self.decode(n)?;
        }
        if self.size == 0 {
            return Err(InvalidBase64);
        }
        if let Matching::Head = self.matching {
            let len = self.prefix.len();
            self.decide(len);
        }
        let sha256 = self.hasher.clone().finalize();
        let differs = match &self.matching {
            Matching::Item { item, digests, .. } => {
                self.size != self.archive.size(&self.archive.items()[*item]) || hex::encode(sha256) != digests.sha256
            }
            _ => false,
        };
        if differs {
            // Shorter, longer or different after the last checkpoint: kept as it came.
            self.diverge(&[]);
        }
        let (archive_item, kept) = match self.matching {
            Matching::Item { item, .. } => (Some(item), None),
            Matching::Kept(v) => (None, Some(Bytes::from(v))),
            Matching::Counted | Matching::Head => (None, None),
        };
        Ok(Uploaded { head: self.head, start: self.start, sha256, size: self.size, archive_item, kept })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use base64::Engine;
    use quickcheck::{TestResult, quickcheck};
    use sha2::{Digest, Sha256};

    use super::*;

    fn archive() -> &'static Archive {
        static A: OnceLock<Archive> = OnceLock::new();
        A.get_or_init(|| {
            let text = r#"
name = "upload"
seed = 5
start = "2026-11-20T00:00:00Z"
[organisation]
employees = 8
external_contacts = 3
groups = 2
[traffic]
days = 1
items_per_employee_per_day = 6
mix = { chat = 50, attachment = 30, file = 20, call = 0 }
boundary_items = false
"#;
            let s = crate::world::scenario::Scenario::from_toml_str(text, "upload").unwrap();
            let p = crate::world::people::Population::build(&s);
            let items = crate::world::generate::items(&s, &p).unwrap();
            Archive::new(p, items)
        })
    }

    fn by_header(head: &[u8]) -> Option<usize> {
        let text = String::from_utf8_lossy(head);
        let id = text.lines().find_map(|l| l.strip_prefix("X-TELEMESSAGE-ArchiveMessageID: "))?;
        archive().position(id.trim())
    }

    /// Uploads `bytes` as CRLF-wrapped base64 cut into pieces of `cut` characters.
    fn upload(bytes: &[u8], cut: usize, keep: bool) -> Result<Uploaded, InvalidBase64> {
        let text = base64::engine::general_purpose::STANDARD.encode(bytes);
        let wrapped: Vec<u8> = text.as_bytes().chunks(76).flat_map(|l| l.iter().copied().chain(*b"\r\n")).collect();
        let mut u = Upload::new(archive(), &by_header, keep);
        for piece in wrapped.chunks(cut.max(1)) {
            u.push(piece)?;
        }
        u.finish()
    }

    quickcheck! {
        fn an_archive_item_uploaded_in_any_pieces_is_recognised_and_not_kept(pick: usize, cut: u32) -> bool {
            let items = archive().items();
            let i = pick % items.len();
            let bytes = archive().render(&items[i]).to_vec();
            let u = upload(&bytes, cut as usize % 200_000 + 1, true).unwrap();
            u.archive_item == Some(i) && u.kept.is_none() && u.size == bytes.len() as u64
                && u.sha256 == <[u8; 32]>::from(Sha256::digest(&bytes))
                && head_end(&bytes).is_some_and(|e| u.head == bytes[..e])
        }

        fn bytes_that_differ_from_the_item_anywhere_are_kept_whole(pick: usize, at: usize, cut: u32, shorten: bool) -> TestResult {
            let items = archive().items();
            let i = pick % items.len();
            let mut bytes = archive().render(&items[i]).to_vec();
            if shorten {
                bytes.truncate(at % bytes.len() + 1);
                if bytes.len() == archive().size(&items[i]) as usize { return TestResult::discard(); }
            } else {
                let at = at % (bytes.len() + 1);
                if at == bytes.len() { bytes.push(b'x') } else { bytes[at] ^= 0x20 }
            }
            let u = upload(&bytes, cut as usize % 100_000 + 1, true).unwrap();
            let not_kept = upload(&bytes, cut as usize % 100_000 + 1, false).unwrap();
            TestResult::from_bool(u.archive_item.is_none() && u.kept.as_deref() == Some(&bytes[..]) && u.size == bytes.len() as u64
                && not_kept.kept.is_none() && not_kept.archive_item.is_none() && not_kept.sha256 == u.sha256)
        }

        fn foreign_bytes_are_kept_as_they_came(bytes: Vec<u8>, cut: u16) -> TestResult {
            if bytes.is_empty() { return TestResult::discard(); }
            let u = upload(&bytes, cut as usize + 1, true).unwrap();
            TestResult::from_bool(u.kept.as_deref() == Some(&bytes[..]) && u.archive_item.is_none())
        }
    }

    #[test]
    fn changes_around_checkpoints_are_caught_and_the_bytes_kept_whole() {
        let items = archive().items();
        let (i, big) = items.iter().enumerate().max_by_key(|(_, it)| archive().size(it)).unwrap();
        let bytes = archive().render(big).to_vec();
        let every = CHECKPOINT_EVERY as usize;
        assert!(bytes.len() > 3 * every, "the test archive needs an item over three checkpoints");
        let mut cases: Vec<Vec<u8>> = Vec::new();
        for at in [every - 1, every, every + 1, 2 * every + 100, bytes.len() - 1] {
            let mut b = bytes.clone();
            b[at] ^= 0x01;
            cases.push(b);
        }
        // Cut exactly on a checkpoint (every checkpoint passes, the end does not), and extended.
        cases.push(bytes[..2 * every].to_vec());
        cases.push([&bytes[..], b"\r\n"].concat());
        for (n, b) in cases.iter().enumerate() {
            let u = upload(b, 10_000, true).unwrap();
            assert!(u.archive_item.is_none(), "case {n}");
            assert!(u.kept.as_deref() == Some(&b[..]), "case {n}: kept bytes differ");
        }
        assert_eq!(upload(&bytes, 7_777, true).unwrap().archive_item, Some(i));
    }

    #[test]
    fn bad_base64_empty_bodies_and_padding_in_the_middle_are_refused() {
        for body in [&b""[..], b"\r\n", b"QUJD=", b"QQ==QUJD", b"Q!==", b"QUJ"] {
            let mut u = Upload::new(archive(), &by_header, true);
            let r = u.push(body).and_then(|()| u.finish().map(|_| ()));
            assert_eq!(r, Err(InvalidBase64), "{:?}", String::from_utf8_lossy(body));
        }
        let mut big = "QUJD".repeat(40_000).into_bytes();
        big.splice(4..4, b"QQ==".iter().copied());
        let mut u = Upload::new(archive(), &by_header, true);
        assert!(u.push(&big).and_then(|()| u.finish().map(|_| ())).is_err());
    }
}
