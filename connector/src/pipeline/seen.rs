//! [`SeenIds`]: the item ids listed so far in a run, kept compactly (a listing may repeat an
//! item; it is processed once).

use std::collections::HashSet;
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

use tm_contract::ItemId;

/// The item ids listed so far in this run, stored compactly and compared exactly: each id's
/// bytes once in an arena (behind a 4-byte length), found through a hash table of arena offsets
/// (4 bytes a slot; the hashes are recomputed from the arena when the table grows). About 30
/// bytes per item for 20-byte ids. An id that does not fit the arena's `u32` offsets goes to a
/// small overflow set.
#[derive(Default)]
pub(super) struct SeenIds {
    arena: Vec<u8>,
    index: hashbrown::HashTable<u32>,
    overflow: HashSet<Box<str>>,
    hasher: BuildHasherDefault<DefaultHasher>,
}

impl SeenIds {
    fn at(arena: &[u8], offset: u32) -> &[u8] {
        let start = offset as usize;
        let len = u32::from_le_bytes(arena[start..start + 4].try_into().expect("4 bytes")) as usize;
        &arena[start + 4..start + 4 + len]
    }

    /// `true` when `id` was not seen before (and is now).
    pub(super) fn insert(&mut self, id: &ItemId) -> bool {
        self.insert_text(id.as_str())
    }

    /// `true` when `id` was not seen before (and is now), by its bytes (also the id of a
    /// listing entry that is no usable [`ItemId`]).
    pub(super) fn insert_text(&mut self, id: &str) -> bool {
        let bytes = id.as_bytes();
        let hash = self.hasher.hash_one(bytes);
        let arena = &self.arena;
        if self.index.find(hash, |&offset| Self::at(arena, offset) == bytes).is_some() {
            return false;
        }
        match (u32::try_from(self.arena.len()), u32::try_from(bytes.len())) {
            (Ok(offset), Ok(len)) if self.arena.len() + 4 + bytes.len() <= u32::MAX as usize => {
                self.arena.extend_from_slice(&len.to_le_bytes());
                self.arena.extend_from_slice(bytes);
                let (arena, hasher) = (&self.arena, &self.hasher);
                self.index.insert_unique(hash, offset, |&o| hasher.hash_one(Self::at(arena, o)));
                true
            }
            _ => self.overflow.insert(id.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_ids_are_exact() {
        let mut seen = SeenIds::default();
        assert!(seen.insert_text("item-a"));
        assert!(!seen.insert_text("item-a"));
        assert!(seen.insert_text("item-b"));
        assert!(seen.insert_text(""));
        assert!(!seen.insert_text(""));
        assert!(seen.insert_text("item-a "), "ids differ by their bytes");
        // Many ids: the table grows and recomputes hashes from the arena.
        for i in 0..10_000 {
            assert!(seen.insert_text(&format!("tm{i:016x}")));
        }
        for i in 0..10_000 {
            assert!(!seen.insert_text(&format!("tm{i:016x}")));
        }
        assert!(!seen.insert_text("item-b"));
        assert!(seen.overflow.is_empty());
    }

    #[test]
    fn seen_ids_match_a_plain_set() {
        fn prop(ids: Vec<u8>) -> bool {
            let mut seen = SeenIds::default();
            let mut plain = HashSet::new();
            ids.iter().all(|i| {
                let id = format!("id-{}", i % 40);
                seen.insert_text(&id) == plain.insert(id)
            })
        }
        quickcheck::QuickCheck::new().tests(300).quickcheck(prop as fn(Vec<u8>) -> bool);
    }

    #[test]
    fn seen_ids_take_item_ids() {
        let mut seen = SeenIds::default();
        let id: ItemId = "tm-2026-000001".parse().unwrap();
        assert!(seen.insert(&id));
        assert!(!seen.insert(&id));
        assert!(!seen.insert_text("tm-2026-000001"));
    }
}
