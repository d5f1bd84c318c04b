//! The vendor's item index: every item's metadata sorted by `(captured_at, id)`, window queries
//! with opaque cursors, and rendering on demand. What a query sees is a [`Visible`] view: the
//! items that have arrived by the archive's clock and not yet expired; the sequence listing
//! (`after`, in `seq` order) is `sequence.rs`.
//!
//! Sizes and digests (sha256 and checkpoints, see `digest.rs`) are computed the first time an item is listed or downloaded and then
//! kept (a size from the item's rendered head, a digest by rendering it whole), so a large archive
//! starts as soon as its traffic is drawn: a million-item day's heads take ~7 s to render on 2
//! cores, which `serve` no longer waits for.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};

use crate::world::digest::Digests;
use crate::world::item::ItemSpec;
use crate::world::people::Population;
use crate::world::render::{Rendered, render};

/// One archived item: what it is and (once computed) its size and digest.
#[derive(Debug)]
pub struct ArchivedItem {
    /// The item.
    pub spec: ItemSpec,
    /// The real raw size once known (0 until then: a rendered item is never empty).
    size: AtomicU64,
    digests: OnceLock<Digests>,
}

/// The listing's view of an item, and a page of them: the contract's types.
pub use tm_contract::{ItemPage as Page, ItemRef};

/// A window query that the archive refuses, with the reason for the 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadQuery(pub String);

/// All items of a scenario and the people they involve.
#[derive(Debug)]
pub struct Archive {
    /// Everyone.
    pub population: Population,
    items: Vec<ArchivedItem>,
    by_id: std::collections::HashMap<String, usize>,
    /// Positions in listing order, by `seq - 1`.
    pub(crate) by_seq: Vec<usize>,
}

/// Which items a query sees: those archived by `until_ms` (the archive's clock; `None`: all)
/// and not before `horizon_ms` (the retention horizon; `None`: none expired).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Visible {
    /// The archive's clock, epoch ms: items archived later are not there yet.
    pub until_ms: Option<i64>,
    /// Items archived before this instant have expired.
    pub horizon_ms: Option<i64>,
}

impl Visible {
    /// Every item (no clock, no retention).
    pub const ALL: Visible = Visible { until_ms: None, horizon_ms: None };

    /// Whether an item has arrived (by the clock), expired or not.
    pub fn arrived(&self, item: &ArchivedItem) -> bool {
        self.until_ms.is_none_or(|u| item.spec.archived_ms <= u)
    }

    /// Whether an item has expired.
    pub fn expired(&self, item: &ArchivedItem) -> bool {
        self.horizon_ms.is_some_and(|h| item.spec.archived_ms < h)
    }

    /// Whether an item is listed and served.
    pub fn sees(&self, item: &ArchivedItem) -> bool {
        self.arrived(item) && !self.expired(item)
    }
}

/// RFC 3339 with milliseconds in UTC, as the contract writes `captured_at`.
pub use tm_contract::format_ms;

fn parse_ns(name: &str, value: &str) -> Result<i64, BadQuery> {
    DateTime::parse_from_rfc3339(value)
        .ok()
        .and_then(|t| t.with_timezone(&Utc).timestamp_nanos_opt())
        .ok_or_else(|| BadQuery(format!("`{name}` is not an RFC 3339 time between 1677 and 2262: {value:?}")))
}

impl Archive {
    /// Indexes items (already sorted by `(captured_ms, id)`).
    pub fn new(population: Population, specs: Vec<ItemSpec>) -> Archive {
        let mut items = Vec::with_capacity(specs.len());
        let mut by_id = std::collections::HashMap::with_capacity(specs.len());
        let mut by_seq = vec![0; specs.len()];
        for (i, spec) in specs.into_iter().enumerate() {
            by_id.insert(spec.id.clone(), i);
            if let Some(slot) = (spec.seq as usize).checked_sub(1).and_then(|s| by_seq.get_mut(s)) {
                *slot = i;
            }
            items.push(ArchivedItem { spec, size: AtomicU64::new(0), digests: OnceLock::new() });
        }
        Archive { population, items, by_id, by_seq }
    }

    /// Every item in listing order.
    pub fn items(&self) -> &[ArchivedItem] {
        &self.items
    }

    /// An item by id.
    pub fn get(&self, id: &str) -> Option<&ArchivedItem> {
        self.by_id.get(id).map(|i| &self.items[*i])
    }

    /// The position of an item in listing order, by id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// Renders an item (streamable).
    pub fn render(&self, item: &ArchivedItem) -> Rendered {
        render(&item.spec, &self.population)
    }

    /// The item's real raw size (computed once, from its head).
    pub fn size(&self, item: &ArchivedItem) -> u64 {
        match item.size.load(Ordering::Relaxed) {
            0 => {
                let size = self.render(item).size();
                item.size.store(size, Ordering::Relaxed);
                size
            }
            known => known,
        }
    }

    /// Computes every size not yet known, on every core (for summaries over the whole archive).
    pub fn size_all(&self) {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
        let per = self.items.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            for chunk in self.items.chunks(per) {
                scope.spawn(move || chunk.iter().for_each(|i| _ = self.size(i)));
            }
        });
    }

    /// The item's sha256 (computed once, with its checkpoints).
    pub fn sha256(&self, item: &ArchivedItem) -> String {
        self.digests(item).sha256.clone()
    }

    /// The item's digests (computed once, by rendering it whole).
    pub fn digests<'a>(&self, item: &'a ArchivedItem) -> &'a Digests {
        item.digests.get_or_init(|| crate::world::digest::digests(self.render(item).into_chunks()))
    }

    /// The listing entry of an item.
    pub fn item_ref(&self, item: &ArchivedItem) -> ItemRef {
        ItemRef {
            id: item.spec.id.parse().expect("generated ids are valid item ids"),
            captured_at: DateTime::<Utc>::from_timestamp_millis(item.spec.captured_ms).unwrap_or_default(),
            archived_at: Some(DateTime::<Utc>::from_timestamp_millis(item.spec.archived_ms).unwrap_or_default()),
            seq: Some(item.spec.seq),
            size: item.spec.listed_size.unwrap_or_else(|| self.size(item)),
            sha256: self.sha256(item),
            source: item.spec.source,
            kind: item.spec.kind,
        }
    }

    /// The items with `from <= captured_at < to`, `limit` at a time, continuing after `cursor`
    /// (`rewind` > 0 starts that many items earlier: the repeated-page fault). Only the items
    /// `visible` sees are listed (not yet arrived, or expired: not there).
    pub fn list(
        &self,
        from: &str,
        to: &str,
        limit: usize,
        cursor: Option<&str>,
        rewind: usize,
        visible: Visible,
    ) -> Result<Page, BadQuery> {
        let from_ns = parse_ns("from", from)?;
        let to_ns = parse_ns("to", to)?;
        if from_ns > to_ns {
            return Err(BadQuery("`from` is after `to`".into()));
        }
        let ns = |i: &ArchivedItem| i.spec.captured_ms as i128 * 1_000_000;
        let mut start = self.items.partition_point(|i| ns(i) < from_ns as i128);
        let end = self.items.partition_point(|i| ns(i) < to_ns as i128);
        if let Some(c) = cursor {
            let (last_ms, last_id) = decode_cursor(c, from_ns, to_ns)?;
            let after = self.items.partition_point(|i| (i.spec.captured_ms, i.spec.id.as_bytes()) <= (last_ms, last_id.as_bytes()));
            start = start.max(self.rewound(after, rewind, start, visible));
        }
        let start = start.min(end);
        let mut picked = self.items[start..end].iter().filter(|i| visible.sees(i));
        let page: Vec<ItemRef> = picked.by_ref().take(limit).map(|i| self.item_ref(i)).collect();
        let next_cursor = match (page.last(), picked.next()) {
            (Some(last), Some(_)) => Some(encode_cursor(from_ns, to_ns, last.captured_at.timestamp_millis(), last.id.as_str())),
            _ => None,
        };
        Ok(Page { items: page, next_cursor, expired: None })
    }

    /// The position `rewind` visible items before `after` (not before `floor`).
    fn rewound(&self, after: usize, rewind: usize, floor: usize, visible: Visible) -> usize {
        let mut at = after;
        let mut left = rewind;
        while left > 0 && at > floor {
            at -= 1;
            if visible.sees(&self.items[at]) {
                left -= 1;
            }
        }
        at
    }
}

fn checksum(body: &str) -> String {
    format!("{:08x}", crate::world::generate::fxhash(body) as u32)
}

fn encode_cursor(from_ns: i64, to_ns: i64, last_ms: i64, last_id: &str) -> String {
    let body = format!("v1|{from_ns}|{to_ns}|{last_ms}|{last_id}");
    let sum = checksum(&body);
    URL_SAFE_NO_PAD.encode(format!("{body}|{sum}"))
}

fn decode_cursor(cursor: &str, from_ns: i64, to_ns: i64) -> Result<(i64, String), BadQuery> {
    let bad = || BadQuery("`cursor` is not a cursor of this listing".into());
    let raw = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let (body, sum) = text.rsplit_once('|').ok_or_else(bad)?;
    if checksum(body) != sum {
        return Err(bad());
    }
    let parts: Vec<&str> = body.splitn(5, '|').collect();
    let [v, f, t, ms, id] = parts.as_slice() else { return Err(bad()) };
    if *v != "v1" || f.parse::<i64>().ok() != Some(from_ns) || t.parse::<i64>().ok() != Some(to_ns) {
        return Err(BadQuery("`cursor` belongs to another `from`/`to`".into()));
    }
    Ok((ms.parse().map_err(|_| bad())?, id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_other_windows_and_garbage() {
        let c = encode_cursor(1, 2, 3, "tm0001");
        assert_eq!(decode_cursor(&c, 1, 2).unwrap(), (3, "tm0001".to_string()));
        assert!(decode_cursor(&c, 1, 5).unwrap_err().0.contains("another"));
        assert!(decode_cursor("garbage", 1, 2).is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("v1|1|2|3|x|00000000"), 1, 2).is_err());
    }

    mod paging {
        use std::sync::OnceLock;

        use quickcheck::quickcheck;

        use super::super::*;
        use crate::world::scenario::Scenario;

        fn archive() -> &'static Archive {
            static A: OnceLock<Archive> = OnceLock::new();
            A.get_or_init(|| {
                let text = r#"
name = "paging"
seed = 3
start = "2026-11-20T00:00:00Z"
[organisation]
employees = 6
external_contacts = 3
groups = 1
[traffic]
days = 1
items_per_employee_per_day = 10
boundary_items = false
"#;
                let s = Scenario::from_toml_str(text, "paging").unwrap();
                let p = crate::world::people::Population::build(&s);
                let items = crate::world::generate::items(&s, &p).unwrap();
                Archive::new(p, items)
            })
        }

        quickcheck! {
            fn pages_of_any_size_concatenate_to_exactly_the_window(limit: u16, x: u32, y: u32, until: Option<u32>) -> bool {
                let arch = archive();
                let start = arch.items().first().map_or(0, |i| i.spec.captured_ms) - 1_000;
                let (x, y) = (start + (x as i64 % 90_000_000), start + (y as i64 % 90_000_000));
                let (from_ms, to_ms) = if x <= y { (x, y) } else { (y, x) };
                let (from, to) = (format_ms(from_ms), format_ms(to_ms));
                let limit = (limit as usize % 40) + 1;
                // Live mode: nothing captured after `until` is there yet.
                let until = until.map(|u| start + (u as i64 % 90_000_000));
                let visible = Visible { until_ms: until, horizon_ms: None };
                let mut got = Vec::new();
                let mut cursor: Option<String> = None;
                loop {
                    let page = arch.list(&from, &to, limit, cursor.as_deref(), 0, visible).unwrap();
                    if page.items.len() > limit { return false; }
                    got.extend(page.items.into_iter().map(|r| r.id));
                    match page.next_cursor { Some(c) => cursor = Some(c), None => break }
                }
                let want: Vec<String> = arch.items().iter().filter(|i| from_ms <= i.spec.captured_ms && i.spec.captured_ms < to_ms && visible.sees(i)).map(|i| i.spec.id.clone()).collect();
                got == want
            }
        }
    }
}
