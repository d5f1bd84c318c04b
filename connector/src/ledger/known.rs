//! What the ledger remembers in memory: only what an *earlier* run of the window left (the
//! deliveries it imported and its interrupted intents). The records this run appends are durable
//! in the file but not kept in memory (see "Memory" in `ledger/mod.rs`).

use std::collections::{HashMap, HashSet};

use super::record::{Event, Intent, Record};
use crate::delivery::Delivery;

/// The deliveries an earlier run imported, and its intents without an outcome.
#[derive(Debug, Default)]
pub(super) struct Known {
    pub(super) imported: HashSet<Delivery>,
    pub(super) pending: HashMap<Delivery, Intent>,
}

impl Known {
    /// Replays one record read from the file when it is opened.
    pub(super) fn replay(&mut self, record: Record) {
        let Record { delivery, address, event } = record;
        match event {
            Event::Intent { folder, internet_message_id } => {
                if !self.imported.contains(&delivery) {
                    let intent = Intent { delivery: delivery.clone(), address, folder, internet_message_id };
                    self.pending.insert(delivery, intent);
                }
            }
            Event::Imported => {
                self.pending.remove(&delivery);
                self.imported.insert(delivery);
            }
            Event::Cleared => {
                self.pending.remove(&delivery);
            }
        }
    }

    /// Notes a record this run made durable. Only the outcome of an intent left by an earlier
    /// run changes what is known (it is resolved now, and an `imported` outcome must make the
    /// delivery a duplicate when its item comes round); this run's own intents and outcomes are
    /// not kept: within a run each item is processed once and its deliveries are distinct users,
    /// so nobody asks about them again before the ledger is emptied or reopened.
    pub(super) fn note(&mut self, record: Record) {
        match record.event {
            Event::Intent { .. } => {}
            Event::Imported => {
                if self.pending.remove(&record.delivery).is_some() {
                    self.imported.insert(record.delivery);
                }
            }
            Event::Cleared => {
                self.pending.remove(&record.delivery);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use quickcheck::quickcheck;

    use super::*;

    quickcheck! {
        /// Replaying a file: a delivery is imported once any record says so, and pending when it
        /// is not imported and its last record is an intent.
        fn replay_keeps_exactly_the_imported_and_the_unfinished(records: Vec<Record>) -> bool {
            let mut known = Known::default();
            for r in &records {
                known.replay(r.clone());
            }
            let deliveries: HashSet<&Delivery> = records.iter().map(|r| &r.delivery).collect();
            deliveries.into_iter().all(|d| {
                let of_d: Vec<&Record> = records.iter().filter(|r| &r.delivery == d).collect();
                let imported = of_d.iter().any(|r| r.event == Event::Imported);
                let last_is_intent = matches!(of_d.last().map(|r| &r.event), Some(Event::Intent { .. }));
                known.imported.contains(d) == imported && known.pending.contains_key(d) == (!imported && last_is_intent)
            })
        }

        /// What this run notes never adds a pending intent, and imports only resolved ones.
        fn noting_only_resolves_earlier_intents(earlier: Vec<Record>, now: Vec<Record>) -> bool {
            let mut known = Known::default();
            for r in earlier {
                known.replay(r);
            }
            let (pending_before, imported_before) = (known.pending.clone(), known.imported.clone());
            for r in now {
                known.note(r);
            }
            known.pending.keys().all(|d| pending_before.contains_key(d))
                && known.imported.iter().all(|d| imported_before.contains(d) || pending_before.contains_key(d))
        }
    }
}
