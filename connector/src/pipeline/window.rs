//! The run's window: WINDOW and INCREMENTAL, at the precision of the listing.

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use tm_contract::Window;

/// Millisecond precision, the precision of `captured_at` and of the listing's bounds.
pub(super) fn truncate_to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = t.nanosecond() % 1_000_000_000;
    t.with_nanosecond(nanos - nanos % 1_000_000).unwrap_or(t)
}

/// WINDOW / INCREMENTAL: `[RUN_AT − 24 h, RUN_AT)` on the first run, then
/// `[checkpoint, RUN_AT)` (catching up any missed days). A `RUN_AT` before the checkpoint gives an
/// empty window at `RUN_AT` (nothing is imported twice, the checkpoint never moves back).
pub fn window_for(checkpoint: Option<DateTime<Utc>>, run_at: DateTime<Utc>) -> Window {
    match checkpoint {
        None => Window { from: run_at - TimeDelta::hours(24), to: run_at },
        Some(c) if c <= run_at => Window { from: c, to: run_at },
        Some(c) => {
            tracing::warn!(checkpoint = %c, run_at = %run_at, "RUN_AT is before the checkpoint: nothing to import");
            Window { from: run_at, to: run_at }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn window_the_first_run_covers_the_24_hours_before_run_at() {
        let w = window_for(None, t("2026-11-21T00:00:00Z"));
        assert_eq!((w.from, w.to), (t("2026-11-20T00:00:00Z"), t("2026-11-21T00:00:00Z")));
    }

    #[test]
    fn incremental_later_runs_continue_from_the_checkpoint_catching_up_missed_days() {
        let w = window_for(Some(t("2026-11-21T00:00:00Z")), t("2026-11-23T00:00:00Z"));
        assert_eq!((w.from, w.to), (t("2026-11-21T00:00:00Z"), t("2026-11-23T00:00:00Z")));
        let w = window_for(Some(t("2026-11-21T00:00:00Z")), t("2026-11-21T00:00:00Z"));
        assert_eq!(w.from, w.to);
    }

    #[test]
    fn a_run_at_before_the_checkpoint_imports_nothing() {
        let w = window_for(Some(t("2026-11-22T00:00:00Z")), t("2026-11-21T00:00:00Z"));
        assert_eq!(w.from, w.to);
    }

    #[test]
    fn run_at_is_truncated_to_milliseconds() {
        assert_eq!(truncate_to_millis(t("2026-11-21T00:00:00.123456789Z")), t("2026-11-21T00:00:00.123Z"));
    }
}
