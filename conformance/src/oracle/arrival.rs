//! When items are there for a run (LATE): the scenario's archive clock and retention (see the
//! oracle's docs).

use tm_simulator::Observation;

use super::{ItemFacts, Window};

/// When items are there (LATE): the scenario's clock and retention.
#[derive(Debug, Clone, Copy)]
pub(super) struct Arrival {
    /// `[vendor] clock = "run_at"`.
    pub(super) clock: bool,
    /// `[vendor] retention_days`, ms (only with the clock).
    pub(super) retention_ms: Option<i64>,
}

impl Arrival {
    pub(super) fn of(seen: &Observation) -> Arrival {
        let vendor = &seen.world().scenario.vendor;
        let clock = vendor.clock == tm_simulator::VendorClock::RunAt;
        Arrival { clock, retention_ms: vendor.retention_ms().filter(|_| clock) }
    }

    /// The completed window that takes `item` (see the module docs), and whether it expired
    /// before that run.
    pub(super) fn window_of(&self, windows: &[Window], item: &ItemFacts) -> Option<(usize, bool)> {
        let (c, a) = (item.captured_ms, item.archived_ms);
        if !self.clock {
            return windows.iter().position(|w| w.from_ms <= c && c < w.to_ms).map(|w| (w, false));
        }
        let first = windows.first()?;
        if c < first.from_ms && a <= first.to_ms {
            return None;
        }
        let w = windows.iter().position(|w| c < w.to_ms && a <= w.to_ms)?;
        Some((w, self.retention_ms.is_some_and(|r| a < windows[w].to_ms - r)))
    }
}
