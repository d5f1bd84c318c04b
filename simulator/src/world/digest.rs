//! An item's digests: the sha256 of its bytes and checkpoints, the sha256 of every prefix that
//! ends on a multiple of [`CHECKPOINT_EVERY`] bytes (truncated to 16 bytes).
//!
//! Checkpoints let the tenant tell that an import is an archive item's bytes as it streams, at
//! the cost of hashing it (which it does anyway), instead of rendering the item again to compare:
//! a checkpoint is the running hasher's state finalised, so recording or checking one costs one
//! more sha256 block per 64 KiB. A 10 MB item has 160 checkpoints (2.5 KB); a chat has none.

use sha2::{Digest, Sha256};

/// Bytes between checkpoints.
pub const CHECKPOINT_EVERY: u64 = 64 * 1024;

/// A truncated prefix digest.
pub type Checkpoint = [u8; 16];

/// The digests of one item's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    /// Lowercase hex sha256 of the bytes.
    pub sha256: String,
    /// Digest of the first `(k + 1) * CHECKPOINT_EVERY` bytes at position `k`.
    pub checkpoints: Box<[Checkpoint]>,
}

/// sha256 over a stream, stopping at every checkpoint to hand the prefix digest to a callback.
#[derive(Clone, Default)]
pub struct PrefixHasher {
    hasher: Sha256,
    len: u64,
}

impl PrefixHasher {
    /// Bytes hashed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Hashes `bytes`; `at_checkpoint(k, digest)` is called each time checkpoint `k` is passed.
    pub fn update(&mut self, mut bytes: &[u8], mut at_checkpoint: impl FnMut(usize, Checkpoint)) {
        while !bytes.is_empty() {
            let to_next = CHECKPOINT_EVERY - self.len % CHECKPOINT_EVERY;
            let n = (to_next.min(bytes.len() as u64)) as usize;
            self.hasher.update(&bytes[..n]);
            self.len += n as u64;
            bytes = &bytes[n..];
            if self.len.is_multiple_of(CHECKPOINT_EVERY) {
                at_checkpoint((self.len / CHECKPOINT_EVERY - 1) as usize, self.checkpoint());
            }
        }
    }

    /// The digest of what was hashed so far, truncated (the hasher goes on).
    fn checkpoint(&self) -> Checkpoint {
        let full = self.hasher.clone().finalize();
        let mut c = [0; 16];
        c.copy_from_slice(&full[..16]);
        c
    }

    /// The sha256 of everything hashed.
    pub fn finalize(self) -> [u8; 32] {
        self.hasher.finalize().into()
    }
}

/// Digests of a stream of chunks.
pub fn digests<C: AsRef<[u8]>>(chunks: impl IntoIterator<Item = C>) -> Digests {
    let mut h = PrefixHasher::default();
    let mut checkpoints = Vec::new();
    for c in chunks {
        h.update(c.as_ref(), |_, d| checkpoints.push(d));
    }
    Digests { sha256: hex::encode(h.finalize()), checkpoints: checkpoints.into_boxed_slice() }
}

#[cfg(test)]
mod tests {
    use quickcheck::quickcheck;

    use super::*;

    quickcheck! {
        fn digests_do_not_depend_on_how_the_bytes_are_cut(len: u32, cuts: Vec<u16>) -> bool {
            let bytes: Vec<u8> = (0..len % 300_000).map(|i| (i * 31 % 251) as u8).collect();
            let mut pieces = Vec::new();
            let mut rest = &bytes[..];
            for c in cuts.iter().cycle().take(if cuts.is_empty() { 0 } else { 1000 }) {
                let n = (*c as usize).min(rest.len());
                pieces.push(&rest[..n]);
                rest = &rest[n..];
            }
            pieces.push(rest);
            let d = digests(pieces);
            let whole = digests([&bytes[..]]);
            d == whole
                && d.sha256 == hex::encode(Sha256::digest(&bytes))
                && d.checkpoints.len() as u64 == bytes.len() as u64 / CHECKPOINT_EVERY
                && d.checkpoints.iter().enumerate().all(|(k, c)| {
                    c[..] == Sha256::digest(&bytes[..(k + 1) * CHECKPOINT_EVERY as usize])[..16]
                })
        }
    }

    #[test]
    fn checkpoints_are_numbered_in_order_across_pieces() {
        let bytes = vec![7u8; 3 * CHECKPOINT_EVERY as usize + 5];
        let mut h = PrefixHasher::default();
        let mut seen = Vec::new();
        for piece in bytes.chunks(10_000) {
            h.update(piece, |k, _| seen.push(k));
        }
        assert_eq!(seen, [0, 1, 2]);
        assert_eq!(h.len(), bytes.len() as u64);
    }
}
