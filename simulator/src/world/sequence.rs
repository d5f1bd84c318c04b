//! The sequence listing (`GET /tm/v1/items?after=`): the items archived after a sequence
//! number, in `seq` (arrival) order, a page at a time with opaque cursors; the model is WeCom's
//! `GetChatData` (`seq`: start after this one; `limit`: at most 1000;
//! <https://developer.work.weixin.qq.com/document/path/91774>). Items that expired (retention)
//! are skipped and said so on the page ([`Expired`], WeCom's errcode 10010 "data expired").

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tm_contract::Expired;

use crate::world::archive::{Archive, BadQuery, Page, Visible};

impl Archive {
    /// The visible items with `seq > after`, `limit` at a time, continuing after `cursor`.
    /// A page whose continuation point lies below the retention horizon carries the expired
    /// range it skipped.
    pub fn list_seq(&self, after: u64, limit: usize, cursor: Option<&str>, visible: Visible) -> Result<Page, BadQuery> {
        let by_seq = &self.by_seq;
        let archived = |pos: &usize| self.items()[*pos].spec.archived_ms;
        // Seq order is arrival order: the arrived and the expired items are prefixes of it.
        let arrived = by_seq.partition_point(|p| visible.until_ms.is_none_or(|u| archived(p) <= u));
        let expired = by_seq.partition_point(|p| visible.horizon_ms.is_some_and(|h| archived(p) < h)).min(arrived);
        let from = match cursor {
            Some(c) => decode(c, after)?,
            None => after,
        };
        let from = usize::try_from(from).unwrap_or(usize::MAX).min(by_seq.len());
        let skipped =
            (from < expired).then(|| Expired { count: (expired - from) as u64, first_seq: from as u64 + 1, last_seq: expired as u64 });
        let start = from.max(expired).min(arrived);
        let stop = arrived.min(start.saturating_add(limit));
        let items = by_seq[start..stop].iter().map(|p| self.item_ref(&self.items()[*p])).collect();
        let next_cursor = (stop < arrived).then(|| encode(after, stop as u64));
        Ok(Page { items, next_cursor, expired: skipped })
    }
}

fn checksum(body: &str) -> String {
    format!("{:08x}", crate::world::generate::fxhash(body) as u32)
}

fn encode(after: u64, last_seq: u64) -> String {
    let body = format!("s1|{after}|{last_seq}");
    URL_SAFE_NO_PAD.encode(format!("{body}|{}", checksum(&body)))
}

/// The last seq a cursor of the listing `after` stands at.
fn decode(cursor: &str, after: u64) -> Result<u64, BadQuery> {
    let bad = || BadQuery("`cursor` is not a cursor of this listing".into());
    let text = URL_SAFE_NO_PAD.decode(cursor).ok().and_then(|raw| String::from_utf8(raw).ok()).ok_or_else(bad)?;
    let (body, sum) = text.rsplit_once('|').ok_or_else(bad)?;
    if checksum(body) != sum {
        return Err(bad());
    }
    match body.split('|').collect::<Vec<_>>().as_slice() {
        ["s1", a, last] if a.parse::<u64>().ok() == Some(after) => last.parse().map_err(|_| bad()),
        ["s1", _, _] => Err(BadQuery("`cursor` belongs to another `after`".into())),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use quickcheck::quickcheck;

    use super::*;
    use crate::world::scenario::Scenario;

    fn archive() -> &'static Archive {
        static A: OnceLock<Archive> = OnceLock::new();
        A.get_or_init(|| {
            let text = r#"
name = "seq-paging"
seed = 5
start = "2026-11-20T00:00:00Z"
[organisation]
employees = 6
external_contacts = 3
groups = 1
[traffic]
days = 2
items_per_employee_per_day = 8
boundary_items = false
late_share = 0.3
"#;
            let s = Scenario::from_toml_str(text, "seq-paging").unwrap();
            let p = crate::world::people::Population::build(&s);
            let items = crate::world::generate::items(&s, &p).unwrap();
            Archive::new(p, items)
        })
    }

    #[test]
    fn cursors_round_trip_and_refuse_other_listings_and_garbage() {
        assert_eq!(decode(&encode(3, 9), 3).unwrap(), 9);
        assert!(decode(&encode(3, 9), 4).unwrap_err().0.contains("another `after`"));
        assert!(decode("garbage", 3).is_err());
    }

    #[test]
    fn seqs_are_one_to_n_in_arrival_order() {
        let arch = archive();
        let mut seqs: Vec<(u64, i64, i64)> = arch.items().iter().map(|i| (i.spec.seq, i.spec.archived_ms, i.spec.captured_ms)).collect();
        seqs.sort();
        assert!(seqs.iter().enumerate().all(|(n, s)| s.0 == n as u64 + 1));
        assert!(seqs.windows(2).all(|w| w[0].1 <= w[1].1), "seq follows arrival");
        assert!(seqs.iter().all(|s| s.1 >= s.2), "archived at or after capture");
        assert!(seqs.iter().any(|s| s.1 > s.2), "some arrive late");
    }

    quickcheck! {
        fn pages_of_any_size_concatenate_to_exactly_the_arrived_items_after(limit: u16, after: u16, until: Option<u32>, keep: Option<u16>) -> bool {
            let arch = archive();
            let start = arch.items().first().map_or(0, |i| i.spec.captured_ms);
            let until_ms = until.map(|u| start + (u as i64 % (4 * 86_400_000)));
            let horizon_ms = until_ms.zip(keep).map(|(u, k)| u - (k as i64 % 48) * 3_600_000);
            let visible = Visible { until_ms, horizon_ms };
            let (after, limit) = (after as u64 % 200, (limit as usize % 40) + 1);
            let (mut got, mut cursor, mut expired) = (Vec::new(), None::<String>, None);
            loop {
                let page = arch.list_seq(after, limit, cursor.as_deref(), visible).unwrap();
                if page.items.len() > limit || (cursor.is_some() && page.expired.is_some()) { return false; }
                expired = expired.or(page.expired);
                got.extend(page.items.into_iter().map(|r| r.seq.unwrap()));
                match page.next_cursor { Some(c) => cursor = Some(c), None => break }
            }
            let mut want: Vec<u64> = arch.items().iter().filter(|i| i.spec.seq > after && visible.sees(i)).map(|i| i.spec.seq).collect();
            want.sort();
            let gone = arch.items().iter().filter(|i| i.spec.seq > after && visible.arrived(i) && visible.expired(i)).count() as u64;
            got == want && expired.map_or(0, |e| e.count) == gone && expired.is_none_or(|e| e.first_seq == after + 1 && e.last_seq - e.first_seq + 1 == e.count)
        }
    }
}
