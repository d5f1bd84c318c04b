//! A MIME import's body, decoded as it arrives: base64 (CR/LF ignored) decoded chunk by chunk,
//! hashed, and compared on the fly with the archive item its header names. Bytes that are the
//! item's are not kept (the item renders them again); the first byte that differs turns the
//! upload into kept bytes (the matching prefix is rendered again, the rest appended). So an
//! import of an archive item costs a chunk of memory, not its size, however many run at once.

use base64_simd::{Out, STANDARD};
use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::archive::Archive;
use crate::render::Chunks;

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
    /// sha256 of the decoded bytes.
    pub sha256: [u8; 32],
    /// Decoded size.
    pub size: u64,
    /// The archive item (position) whose bytes these are exactly, if any.
    pub archive_item: Option<usize>,
    /// The bytes, when they are no archive item's and keeping was asked for.
    pub kept: Option<Bytes>,
}

enum Matching {
    /// Still reading the header block: every byte so far is in `prefix`.
    Head,
    /// The bytes so far are item `item`'s; `current` and `chunks` are the rest of its rendering.
    Item { item: usize, chunks: Box<Chunks>, current: Bytes },
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
    hasher: Sha256,
    size: u64,
    /// Bytes found equal to the item's so far.
    matched: usize,
    matching: Matching,
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
            hasher: Sha256::new(),
            size: 0,
            matched: 0,
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
        self.hasher.update(d);
        self.size += d.len() as u64;
        match self.matching {
            Matching::Head => {
                self.prefix.extend_from_slice(d);
                match head_end(&self.prefix) {
                    Some(end) => self.decide(end),
                    None if self.prefix.len() >= HEAD_LIMIT => self.decide(HEAD_LIMIT),
                    None => {}
                }
            }
            _ => self.compare(d),
        }
    }

    /// The header block is read: is this an archive item?
    fn decide(&mut self, head_len: usize) {
        let prefix = std::mem::take(&mut self.prefix);
        self.head = prefix[..head_len.min(prefix.len())].to_vec();
        self.matching = match (self.item_of)(&self.head) {
            Some(item) => Matching::Item {
                item,
                chunks: Box::new(self.archive.render(&self.archive.items()[item]).into_chunks()),
                current: Bytes::new(),
            },
            None if self.keep => Matching::Kept(Vec::new()),
            None => Matching::Counted,
        };
        self.compare(&prefix);
    }

    fn compare(&mut self, mut d: &[u8]) {
        loop {
            match &mut self.matching {
                Matching::Head => unreachable!("decided before comparing"),
                Matching::Kept(v) => return v.extend_from_slice(d),
                Matching::Counted => return,
                Matching::Item { chunks, current, .. } => {
                    if d.is_empty() {
                        return;
                    }
                    if current.is_empty() {
                        match chunks.next() {
                            Some(c) => *current = c,
                            // Longer than the item.
                            None => return self.diverge(d),
                        }
                        continue;
                    }
                    let n = current.len().min(d.len());
                    let same = current[..n].iter().zip(&d[..n]).take_while(|(a, b)| a == b).count();
                    self.matched += same;
                    let _ = current.split_to(same);
                    if same < n {
                        return self.diverge(&d[same..]);
                    }
                    d = &d[n..];
                }
            }
        }
    }

    /// The bytes stop being the item's: keep what matched (rendered again) and `rest`.
    fn diverge(&mut self, rest: &[u8]) {
        let Matching::Item { item, .. } = std::mem::replace(&mut self.matching, Matching::Counted) else { return };
        if !self.keep {
            return;
        }
        let mut kept = Vec::with_capacity(self.matched + rest.len());
        for c in self.archive.render(&self.archive.items()[item]).into_chunks() {
            if kept.len() == self.matched {
                break;
            }
            let take = (self.matched - kept.len()).min(c.len());
            kept.extend_from_slice(&c[..take]);
        }
        kept.extend_from_slice(rest);
        self.matching = Matching::Kept(kept);
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
        if let Matching::Item { chunks, current, .. } = &mut self.matching
            && !(current.is_empty() && chunks.all(|c| c.is_empty()))
        {
            // Shorter than the item: what came matched, and is kept.
            self.diverge(&[]);
        }
        let sha256: [u8; 32] = self.hasher.finalize().into();
        let (archive_item, kept) = match self.matching {
            Matching::Item { item, .. } => (Some(item), None),
            Matching::Kept(v) => (None, Some(Bytes::from(v))),
            Matching::Counted | Matching::Head => (None, None),
        };
        Ok(Uploaded { head: self.head, sha256, size: self.size, archive_item, kept })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use base64::Engine;
    use quickcheck::{TestResult, quickcheck};

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
            let s = crate::scenario::Scenario::from_toml_str(text, "upload").unwrap();
            let p = crate::people::Population::build(&s);
            let items = crate::generate::items(&s, &p).unwrap();
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
