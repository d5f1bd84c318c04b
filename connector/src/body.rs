//! A downloaded item as the connector keeps it: its base64 form (what every delivery imports),
//! its header block (what routing reads) and the sha256 of its raw bytes (what the digest
//! check compares), all built while the body streams in.
//!
//! The raw bytes are never kept whole: each chunk is hashed, base64-encoded onto the end of the
//! encoded form, and kept raw only while the header block has not ended. An item of `n` bytes
//! therefore costs about `4n/3` bytes plus its headers, not `7n/3` (raw and base64 together).
//!
//! The header block ends at the first empty line (`CRLF CRLF`, or `LF LF` for mail written with
//! bare line feeds), which is kept. A header block longer than [`MAX_HEADER_BLOCK`] is cut
//! there: routing reads the headers within it.
//!
//! Kept by hand on purpose: the 3-byte carry below rather than `base64::write::EncoderWriter`,
//! because the encoder writes straight into the final buffer, whose growth this module bounds by
//! the item limit (the connector's memory budget); the writer would copy through its own buffer.

use base64::Engine as _;
use bytes::Bytes;
use sha2::{Digest, Sha256};

/// The most of an item's header block kept for routing, 1 MiB (a 200-member group's `To` is
/// ~20 KB).
pub const MAX_HEADER_BLOCK: usize = 1024 * 1024;

/// The base64 length of `raw_len` bytes (padded, no line breaks).
pub fn encoded_len(raw_len: usize) -> usize {
    raw_len.div_ceil(3).saturating_mul(4)
}

/// An item's body being received, never more than its `limit` of raw bytes.
#[derive(Debug)]
pub struct BodyBuilder {
    limit: usize,
    encoded: Vec<u8>,
    /// Up to 2 raw bytes not yet encoded (base64 encodes 3 at a time).
    carry: [u8; 2],
    carry_len: usize,
    head: Vec<u8>,
    head_done: bool,
    len: usize,
    hasher: Sha256,
}

/// An item's body, received in full.
#[derive(Debug, Clone)]
pub struct Body {
    /// The raw bytes, base64-encoded (standard alphabet, padded, no line breaks).
    pub encoded: Bytes,
    /// The header block, up to and including its empty line (see the module docs).
    pub head: Bytes,
    /// The number of raw bytes.
    pub len: u64,
    /// Lowercase hex sha256 of the raw bytes.
    pub sha256: String,
}

impl BodyBuilder {
    /// A builder that takes at most `limit` raw bytes, its encoded form sized for
    /// `expected_raw` of them up front (never for more than `limit`).
    pub fn new(expected_raw: usize, limit: usize) -> BodyBuilder {
        BodyBuilder {
            limit,
            encoded: Vec::with_capacity(encoded_len(expected_raw.min(limit))),
            carry: [0; 2],
            carry_len: 0,
            head: Vec::new(),
            head_done: false,
            len: 0,
            hasher: Sha256::new(),
        }
    }

    /// Raw bytes received so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Takes the next chunk of the raw body, unless it would take the body over the limit:
    /// then nothing is taken and the answer is `false`. The encoded form's capacity never
    /// exceeds what `limit` raw bytes need.
    pub fn push(&mut self, chunk: &[u8]) -> bool {
        if self.len + chunk.len() > self.limit {
            return false;
        }
        self.take(chunk);
        true
    }

    fn take(&mut self, mut chunk: &[u8]) {
        self.len += chunk.len();
        self.hasher.update(chunk);
        if !self.head_done {
            self.push_head(chunk);
        }
        if self.carry_len > 0 {
            let take = (3 - self.carry_len).min(chunk.len());
            let mut triple = [0u8; 3];
            triple[..self.carry_len].copy_from_slice(&self.carry[..self.carry_len]);
            triple[self.carry_len..self.carry_len + take].copy_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            if self.carry_len + take < 3 {
                self.carry[..self.carry_len + take].copy_from_slice(&triple[..self.carry_len + take]);
                self.carry_len += take;
                return;
            }
            self.encode(&triple);
            self.carry_len = 0;
        }
        let whole = chunk.len() / 3 * 3;
        if whole > 0 {
            self.encode(&chunk[..whole]);
        }
        let rest = &chunk[whole..];
        self.carry[..rest.len()].copy_from_slice(rest);
        self.carry_len = rest.len();
    }

    /// Appends the base64 of `raw` (a multiple of 3 bytes, or the padded end) to the encoded
    /// form, growing it by doubling (never by less than needed, never beyond what `limit` raw
    /// bytes need) so that an understated size hint costs a few copies, not one per chunk.
    fn encode(&mut self, raw: &[u8]) {
        let start = self.encoded.len();
        let needed = start + encoded_len(raw.len());
        if needed > self.encoded.capacity() {
            let target = self.encoded.capacity().saturating_mul(2).min(encoded_len(self.limit)).max(needed);
            self.encoded.reserve_exact(target - start);
        }
        self.encoded.resize(needed, 0);
        let written = base64::engine::general_purpose::STANDARD
            .encode_slice(raw, &mut self.encoded[start..])
            .expect("the output was sized for the input");
        debug_assert_eq!(written, needed - start);
    }

    fn push_head(&mut self, chunk: &[u8]) {
        // Search from 2 bytes before the new chunk: the empty line may straddle chunks.
        let search_from = self.head.len().saturating_sub(2);
        let take = chunk.len().min(MAX_HEADER_BLOCK - self.head.len());
        let needed = self.head.len() + take;
        if needed > self.head.capacity() {
            // Doubling, but never past the cap: the kept block stays within MAX_HEADER_BLOCK.
            let target = self.head.capacity().saturating_mul(2).min(MAX_HEADER_BLOCK).max(needed);
            self.head.reserve_exact(target - self.head.len());
        }
        self.head.extend_from_slice(&chunk[..take]);
        if let Some(end) = header_block_end(&self.head, search_from) {
            self.head.truncate(end);
            self.head.shrink_to_fit();
            self.head_done = true;
        } else if self.head.len() >= MAX_HEADER_BLOCK {
            self.head_done = true;
        }
    }

    /// The body received in full.
    pub fn finish(mut self) -> Body {
        if self.carry_len > 0 {
            let carry = self.carry;
            self.encode(&carry[..self.carry_len]);
        }
        Body {
            encoded: Bytes::from(self.encoded),
            head: Bytes::from(self.head),
            len: self.len as u64,
            sha256: hex::encode(self.hasher.finalize()),
        }
    }
}

/// The end (exclusive) of the first empty line at or after `from`: `\n\r\n` or `\n\n`.
fn header_block_end(head: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(pos) = head[i..].iter().position(|&b| b == b'\n') {
        let nl = i + pos;
        match head.get(nl + 1) {
            Some(b'\n') => return Some(nl + 2),
            Some(b'\r') if head.get(nl + 2) == Some(&b'\n') => return Some(nl + 3),
            _ => i = nl + 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::{QuickCheck, TestResult};

    fn build(raw: &[u8], cuts: &[usize]) -> Body {
        let mut b = BodyBuilder::new(3, usize::MAX);
        let mut rest = raw;
        for &c in cuts {
            let c = c.min(rest.len());
            assert!(b.push(&rest[..c]));
            rest = &rest[c..];
        }
        assert!(b.push(rest));
        b.finish()
    }

    #[test]
    fn base64_of_any_chunking_is_the_one_shot_encoding() {
        fn prop(raw: Vec<u8>, cuts: Vec<u8>) -> TestResult {
            let cuts: Vec<usize> = cuts.into_iter().map(usize::from).collect();
            let body = build(&raw, &cuts);
            let expected = base64::engine::general_purpose::STANDARD.encode(&raw);
            TestResult::from_bool(
                body.encoded == expected.as_bytes()
                    && body.len == raw.len() as u64
                    && body.sha256 == hex::encode(Sha256::digest(&raw))
                    && body.encoded.len() == encoded_len(raw.len()),
            )
        }
        QuickCheck::new().tests(1000).quickcheck(prop as fn(Vec<u8>, Vec<u8>) -> TestResult);
    }

    #[test]
    fn the_header_block_ends_at_the_first_empty_line_wherever_the_chunks_cut() {
        let raw = b"From: a@b.cn\r\nTo: c@d.cn\r\n\r\nbody\r\n\r\nmore";
        for cut in 0..raw.len() {
            let body = build(raw, &[cut, 1]);
            assert_eq!(&body.head[..], b"From: a@b.cn\r\nTo: c@d.cn\r\n\r\n", "cut at {cut}");
        }
        let lf = b"From: a@b.cn\nTo: c@d.cn\n\nbody";
        for cut in 0..lf.len() {
            assert_eq!(&build(lf, &[cut]).head[..], b"From: a@b.cn\nTo: c@d.cn\n\n", "cut at {cut}");
        }
    }

    #[test]
    fn the_limit_is_never_exceeded_in_length_or_capacity() {
        let limit = 1000;
        let mut b = BodyBuilder::new(10, limit);
        let mut total = 0;
        while b.push(&[7u8; 33]) {
            total += 33;
            assert!(b.encoded.capacity() <= encoded_len(limit), "{}", b.encoded.capacity());
        }
        assert_eq!((b.len(), total), (990, 990));
        assert!(b.push(&[1u8; 10]));
        assert!(!b.push(&[1u8; 1]));
        assert_eq!(b.len(), limit);
        let body = b.finish();
        assert_eq!(body.encoded.len(), encoded_len(limit));
    }

    #[test]
    fn a_message_without_a_body_keeps_all_of_its_headers() {
        let raw = b"From: a@b.cn\r\nTo: c@d.cn\r\n";
        assert_eq!(&build(raw, &[5]).head[..], raw);
    }

    #[test]
    fn an_endless_header_block_is_cut_at_the_limit() {
        let raw = vec![b'x'; MAX_HEADER_BLOCK + 10];
        let mut b = BodyBuilder::new(0, usize::MAX);
        for chunk in raw.chunks(70_000) {
            assert!(b.push(chunk));
            assert!(b.head.capacity() <= MAX_HEADER_BLOCK, "{}", b.head.capacity());
        }
        let body = b.finish();
        assert_eq!(body.head.len(), MAX_HEADER_BLOCK);
        assert_eq!(body.len, raw.len() as u64);
    }

    #[test]
    fn the_header_block_is_a_prefix_of_the_item() {
        fn prop(raw: Vec<u8>, cut: usize) -> bool {
            let body = build(&raw, &[cut % (raw.len() + 1)]);
            raw.starts_with(&body.head)
        }
        QuickCheck::new().tests(500).quickcheck(prop as fn(Vec<u8>, usize) -> bool);
    }
}
