//! Graph's opt-in per-mailbox rate limits (<https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits>):
//! requests per 10 minutes (Graph: 10,000) and upload volume per 5 minutes (Graph: 150 MB, the
//! bodies of POST requests), each a `[tenant]` setting of the scenario. A window starts with a
//! mailbox's first request in it; a request over a limit is refused 429 `ApplicationThrottled` with
//! `Retry-After` the seconds until the window ends (the concurrency limit is in `http/graph`).
//!
//! Graph's wording of these two 429s is not documented; the message names the limit as Graph
//! names the concurrency one ("Application is over its MailboxConcurrency limit.").

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::world::faults::Op;
use crate::world::scenario::TenantLimits;

const REQUEST_WINDOW: Duration = Duration::from_secs(600);
const UPLOAD_WINDOW: Duration = Duration::from_secs(300);

/// The two windows' lengths: Graph's, or the scenario's `rate_window_seconds` for both.
fn windows(limits: &TenantLimits) -> (Duration, Duration) {
    match limits.rate_window_seconds {
        Some(s) => (Duration::from_secs(s), Duration::from_secs(s)),
        None => (REQUEST_WINDOW, UPLOAD_WINDOW),
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    used: u64,
}

impl Window {
    /// The window at `now`, a new one when the last has ended.
    fn current(w: &mut Option<Window>, now: Instant, length: Duration) -> &mut Window {
        if w.is_none_or(|w| now.duration_since(w.start) >= length) {
            *w = Some(Window { start: now, used: 0 });
        }
        w.as_mut().expect("just set")
    }

    fn retry_after(&self, now: Instant, length: Duration) -> u64 {
        let left = length.saturating_sub(now.duration_since(self.start));
        left.as_secs() + u64::from(left.subsec_nanos() > 0).max(u64::from(left.is_zero()))
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Usage {
    requests: Option<Window>,
    uploads: Option<Window>,
}

/// Every mailbox's use of its windows.
#[derive(Debug, Default)]
pub struct Rates {
    by_user: Mutex<HashMap<String, Usage>>,
}

impl Rates {
    /// Counts a mailbox request against the scenario's limits (`announced`: the body length an
    /// import announces): `Some((limit, retry_after))` when it is over one (not counted then).
    pub fn admit(&self, limits: &TenantLimits, user_id: &str, op: Op, announced: u64) -> Option<(&'static str, u64)> {
        if limits.requests_per_10_minutes.is_none() && limits.upload_bytes_per_5_minutes.is_none() {
            return None;
        }
        let (request_window, upload_window) = windows(limits);
        let now = Instant::now();
        let mut map = self.by_user.lock().expect("rates lock");
        let usage = map.entry(user_id.to_string()).or_default();
        if let Some(max) = limits.upload_bytes_per_5_minutes
            && op == Op::Import
        {
            let w = Window::current(&mut usage.uploads, now, upload_window);
            // A body larger than the whole limit is let through alone (it could never pass).
            if w.used > 0 && w.used.saturating_add(announced) > max {
                return Some(("MailboxUploadVolume", w.retry_after(now, upload_window)));
            }
        }
        if let Some(max) = limits.requests_per_10_minutes {
            let w = Window::current(&mut usage.requests, now, request_window);
            if w.used >= max {
                return Some(("MailboxRequestRate", w.retry_after(now, request_window)));
            }
            w.used += 1;
        }
        None
    }

    /// Counts the body bytes of an upload.
    pub fn uploaded(&self, limits: &TenantLimits, user_id: &str, bytes: u64) {
        if limits.upload_bytes_per_5_minutes.is_none() {
            return;
        }
        let (_, upload_window) = windows(limits);
        let now = Instant::now();
        let mut map = self.by_user.lock().expect("rates lock");
        let usage = map.entry(user_id.to_string()).or_default();
        Window::current(&mut usage.uploads, now, upload_window).used += bytes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_the_rest_of_the_window_rounded_up() {
        let start = Instant::now();
        let w = Window { start, used: 0 };
        assert_eq!(w.retry_after(start + Duration::from_millis(500), Duration::from_secs(300)), 300);
        assert_eq!(w.retry_after(start + Duration::from_secs(299), Duration::from_secs(300)), 1);
        assert_eq!(w.retry_after(start + Duration::from_secs(400), Duration::from_secs(300)), 1);
    }

    #[test]
    fn a_window_restarts_once_it_has_ended() {
        let start = Instant::now();
        let mut w = Some(Window { start, used: 7 });
        assert_eq!(Window::current(&mut w, start + Duration::from_secs(10), REQUEST_WINDOW).used, 7);
        assert_eq!(Window::current(&mut w, start + REQUEST_WINDOW, REQUEST_WINDOW).used, 0);
    }
}
