//! When each item reaches the archive, and its sequence number.
//!
//! WeCom's message archive (会话内容存档) is read by `GetChatData` from a `seq`: "start after
//! this seq", at most 1000 at a time, each entry with its `seq` and `msgid`
//! (<https://developer.work.weixin.qq.com/document/path/91774>). The `seq` follows arrival,
//! not capture: a message written on a phone that is offline reaches the archive when the phone
//! is back. Here:
//!
//! - an item arrives when it is captured, unless the scenario says otherwise: a scripted item's
//!   `archived_at`; `[traffic] late_share` of the generated items, each delayed by a lognormal
//!   draw (median 9 hours, clamped to 1 hour .. 72 hours) from a `ChaCha8Rng` of its own (seeded
//!   from the scenario seed and the item id, so the traffic's own draws are those of a scenario
//!   without late items); and every item whose actor or participant is `[[offline]]` at its
//!   capture arrives no earlier than that phone is back;
//! - `seq` numbers the items 1, 2, … in `(archived_ms, captured_ms, id)` order (deterministic,
//!   unique, strictly increasing in arrival order).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::world::generate::{fxhash, lognormal};
use crate::world::item::{Conversation, ItemSpec};
use crate::world::people::Population;
use crate::world::scenario::Scenario;

/// Salt of the per-item arrival generator.
const SALT: u64 = 0x6c61_7465_2d61_7272;

/// Sets every item's `archived_ms` (see the module docs) and numbers them by arrival.
pub fn arrive(scenario: &Scenario, population: &Population, items: &mut [ItemSpec]) {
    let late_share = scenario.traffic.as_ref().map_or(0.0, |t| t.late_share);
    let scripted: std::collections::BTreeSet<&str> = scenario.items.iter().map(|i| i.id.as_str()).collect();
    let offline: Vec<(u32, i64, i64)> =
        scenario.offline.iter().filter_map(|o| Some((population.person_index(&o.person)?, o.from_ms, o.until_ms))).collect();
    for item in items.iter_mut() {
        if late_share > 0.0 && !scripted.contains(item.id.as_str()) {
            item.archived_ms = item.captured_ms + late_delay_ms(scenario.seed, &item.id, late_share).unwrap_or(0);
        }
        for (person, from, until) in &offline {
            if (*from..*until).contains(&item.captured_ms) && involves(population, item, *person) {
                item.archived_ms = item.archived_ms.max(*until);
            }
        }
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|a, b| {
        let (a, b) = (&items[*a], &items[*b]);
        (a.archived_ms, a.captured_ms, a.id.as_bytes()).cmp(&(b.archived_ms, b.captured_ms, b.id.as_bytes()))
    });
    for (n, i) in order.into_iter().enumerate() {
        items[i].seq = n as u64 + 1;
    }
}

/// The delay of a late item, `None` for one on time.
fn late_delay_ms(seed: u64, id: &str, share: f64) -> Option<i64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ SALT ^ fxhash(id));
    if !rng.random_bool(share) {
        return None;
    }
    let hours = (9.0 * lognormal(&mut rng, 0.0, 0.8)).clamp(1.0, 72.0);
    Some((hours * 3_600_000.0) as i64)
}

/// Whether `person` sends or receives `item`.
fn involves(population: &Population, item: &ItemSpec, person: u32) -> bool {
    item.actor == person
        || match item.conversation {
            Conversation::Direct(peer) => peer == person,
            Conversation::Group(g) => {
                let id = &population.person(person).id;
                population.groups[g as usize].members.iter().any(|m| m == id)
            }
            Conversation::SelfNote => false,
        }
}

#[cfg(test)]
mod tests {
    use quickcheck::quickcheck;

    use super::*;

    quickcheck! {
        fn a_late_delay_is_between_an_hour_and_three_days(seed: u64, id: String) -> bool {
            late_delay_ms(seed, &id, 1.0).is_some_and(|d| (3_600_000..=72 * 3_600_000).contains(&d))
        }
    }

    #[test]
    fn no_share_no_late_items_and_the_draw_is_deterministic() {
        assert_eq!(late_delay_ms(1, "x", 0.0), None);
        assert_eq!(late_delay_ms(7, "tm-1", 0.5), late_delay_ms(7, "tm-1", 0.5));
    }
}
