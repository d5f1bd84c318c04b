//! The byte budget of the items in flight: before its download an item reserves its base64 form
//! plus room for its headers from [`IN_FLIGHT_BUDGET`], so that a few large items wait rather
//! than all being buffered at once.

use tm_contract::MAX_ITEM_BYTES;

/// The bytes that items in flight may hold together (base64 forms and header blocks), 24 MiB.
pub const IN_FLIGHT_BUDGET: u64 = 24 * 1024 * 1024;

/// Budget units: KiB, so that permits fit in `u32`.
pub(super) const BUDGET_UNIT: u64 = 1024;

/// What an item of `size` bytes reserves from [`IN_FLIGHT_BUDGET`], in [`BUDGET_UNIT`]s: its
/// base64 form (the raw bytes are not kept, see `body.rs`), its header block (at most the item,
/// counted up to 64 KiB: a longer one is rare and bounded by `body::MAX_HEADER_BLOCK`) and
/// 16 KiB of slack for the chunks being received; never more than the whole budget.
pub(super) fn budget_units(size: u64) -> u32 {
    let size = size.min(MAX_ITEM_BYTES);
    let bytes = size.div_ceil(3) * 4 + size.min(64 * 1024) + 16 * 1024;
    let units = bytes.div_ceil(BUDGET_UNIT).min(IN_FLIGHT_BUDGET / BUDGET_UNIT);
    u32::try_from(units).expect("the budget fits in u32 units")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_budget_covers_base64_and_headers_and_never_exceeds_the_whole() {
        let whole = u32::try_from(IN_FLIGHT_BUDGET / BUDGET_UNIT).unwrap();
        assert!(u64::from(budget_units(30_000)) * BUDGET_UNIT >= 30_000 * 7 / 3, "small items: base64 and the whole item as headers");
        assert_eq!(budget_units(MAX_ITEM_BYTES), u32::try_from((MAX_ITEM_BYTES * 4 / 3 + 80 * 1024).div_ceil(BUDGET_UNIT)).unwrap());
        assert!(budget_units(MAX_ITEM_BYTES) <= whole);
        assert!(budget_units(u64::MAX) <= whole);
    }
}
