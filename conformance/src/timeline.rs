//! A run's requests on a time line, for the HTML report: every request of the run's range of the
//! access log (its offset from the run's first request, its duration, what it asked and how it
//! was answered), and after every answer that carried `Retry-After`, how long the connector waited
//! before asking the same again (the target of `manners.rs`).
//!
//! Everything derives from the recorded requests and journal (what a certification bundle keeps),
//! so that `verify` renders the same page. Times are relative to the run's first request: the wall
//! clock between runs means nothing.

use tm_contract::Api;
use tm_simulator::LoggedRequest;

use crate::manners::{RunTraffic, retry_afters, target};

/// Longest path kept per request (the rest is cut, with `…`).
const MAX_PATH_CHARS: usize = 72;

/// How a request was answered, as the time line colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mark {
    /// Answered below 400 (or a 4xx that is an answer, such as a lookup's 404).
    Ok,
    /// Answered 429 (throttled).
    Throttle,
    /// Answered 5xx, or never answered (a dropped connection).
    Fault,
}

impl Mark {
    /// `ok`, `throttle`, `fault`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mark::Ok => "ok",
            Mark::Throttle => "throttle",
            Mark::Fault => "fault",
        }
    }

    fn of(status: u16) -> Mark {
        match status {
            429 => Mark::Throttle,
            0 => Mark::Fault,
            s if s >= 500 => Mark::Fault,
            _ => Mark::Ok,
        }
    }
}

/// One request of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedRequest {
    /// 1-based position in the run.
    pub number: usize,
    /// Arrival, µs after the run's first request arrived.
    pub offset_us: u64,
    /// Arrival to the answer's head, µs.
    pub duration_us: u64,
    /// `vendor`, `tenant` or `identity`.
    pub api: String,
    /// The method.
    pub method: String,
    /// The path, shortened.
    pub path: String,
    /// The status answered (0: none).
    pub status: u16,
    /// How the answer is drawn.
    pub mark: Mark,
    /// The `Retry-After` (seconds) the answer carried.
    pub retry_after: Option<u64>,
}

/// The wait after an answer with `Retry-After`, until the next request of the same target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wait {
    /// The answered request's number in the run.
    pub after: usize,
    /// The next request of the same target (`None`: the run never asked again).
    pub retry: Option<usize>,
    /// What was asked again, in words.
    pub target: String,
    /// When the answer was ready, µs after the run's first request.
    pub from_us: u64,
    /// Answer to the retry's arrival, µs (`None`: no retry).
    pub waited_us: Option<u64>,
    /// What the answer asked, seconds.
    pub retry_after: u64,
}

impl Wait {
    /// Whether the connector asked again before `Retry-After` (with the manners' clock slack).
    pub fn too_early(&self) -> bool {
        self.waited_us.is_some_and(|w| w + crate::manners::SLACK_US < self.retry_after * 1_000_000)
    }
}

/// One run's requests and waits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunTimeline {
    /// The run's 1-based number.
    pub run: usize,
    /// Its requests, in arrival order.
    pub requests: Vec<TimedRequest>,
    /// The waits after answers with `Retry-After`, in the order of the answers.
    pub waits: Vec<Wait>,
}

impl RunTimeline {
    /// From the last arrival or answer, µs after the first request.
    pub fn span_us(&self) -> u64 {
        let requests = self.requests.iter().map(|r| r.offset_us + r.duration_us);
        let waits = self.waits.iter().map(|w| w.from_us + w.waited_us.unwrap_or(0).max(w.retry_after * 1_000_000));
        requests.chain(waits).max().unwrap_or(0)
    }

    /// The requests answered 429 or 5xx, or never.
    pub fn notable(&self) -> impl Iterator<Item = &TimedRequest> + '_ {
        self.requests.iter().filter(|r| r.mark != Mark::Ok)
    }
}

/// A run's time line from its traffic.
pub(crate) fn of_run(run: &RunTraffic<'_>) -> RunTimeline {
    let requests = run.requests;
    let origin = requests.iter().map(|r| r.start_us).min().unwrap_or(0);
    let asked = retry_afters(run);
    let timed = requests
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let (method, path) = r.request.split_once(' ').unwrap_or(("", r.request.as_str()));
            TimedRequest {
                number: i + 1,
                offset_us: r.start_us - origin,
                duration_us: r.end_us.saturating_sub(r.start_us),
                api: api_word(r.api),
                method: method.to_string(),
                path: shorten(path),
                status: r.status,
                mark: Mark::of(r.status),
                retry_after: asked.get(&i).copied(),
            }
        })
        .collect();
    let waits = asked.iter().map(|(&i, &after)| wait(requests, i, after, origin)).collect();
    RunTimeline { run: run.number, requests: timed, waits }
}

fn wait(requests: &[LoggedRequest], i: usize, retry_after: u64, origin: u64) -> Wait {
    let answered = &requests[i];
    let t = target(answered);
    let next = requests[i + 1..].iter().position(|x| x.start_us >= answered.end_us && target(x) == t).map(|k| i + 1 + k);
    Wait {
        after: i + 1,
        retry: next.map(|k| k + 1),
        target: t,
        from_us: answered.end_us - origin,
        waited_us: next.map(|k| requests[k].start_us - answered.end_us),
        retry_after,
    }
}

fn api_word(api: Api) -> String {
    serde_json::to_value(api).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_else(|| api.to_string())
}

fn shorten(path: &str) -> String {
    if path.chars().count() <= MAX_PATH_CHARS {
        path.to_string()
    } else {
        path.chars().take(MAX_PATH_CHARS - 1).chain(std::iter::once('…')).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tm_contract::Op;
    use tm_simulator::JournalEntry;

    fn req(seq: u64, status: u16, start_ms: u64, end_ms: u64) -> LoggedRequest {
        LoggedRequest {
            seq,
            api: Api::Vendor,
            op: Op::List,
            request: "GET /v1/archive/items".into(),
            item_id: None,
            mailbox: None,
            in_flight: None,
            status,
            start_us: 10_000_000 + start_ms * 1000,
            end_us: 10_000_000 + end_ms * 1000,
        }
    }

    #[test]
    fn a_throttled_listing_and_its_early_retry_are_on_the_line() {
        let requests = [req(7, 429, 0, 10), req(8, 200, 510, 520), req(9, 503, 600, 601)];
        let fault: tm_contract::FaultRecord = "status 429 retry-after 1".parse().expect("a fault");
        let journal = [JournalEntry::new(Api::Vendor, Op::List, "GET /v1/archive/items", 429).fault(Some(fault))];
        let t = of_run(&RunTraffic { number: 2, requests: &requests, journal: &journal, throttle: None });
        assert_eq!(t.run, 2);
        assert_eq!(t.requests.iter().map(|r| r.mark).collect::<Vec<_>>(), [Mark::Throttle, Mark::Ok, Mark::Fault]);
        assert_eq!((t.requests[1].offset_us, t.requests[1].duration_us), (510_000, 10_000));
        assert_eq!((t.requests[0].method.as_str(), t.requests[0].path.as_str()), ("GET", "/v1/archive/items"));
        assert_eq!(t.requests[0].retry_after, Some(1));
        assert_eq!(t.waits.len(), 1);
        let w = &t.waits[0];
        assert_eq!((w.after, w.retry, w.from_us, w.waited_us), (1, Some(2), 10_000, Some(500_000)));
        assert!(w.too_early());
        assert_eq!(t.notable().count(), 2);
        assert_eq!(t.span_us(), 1_010_000);
    }

    #[test]
    fn long_paths_are_cut() {
        let long = "/x".repeat(100);
        assert_eq!(shorten(&long).chars().count(), MAX_PATH_CHARS);
        assert!(shorten(&long).ends_with('…'));
        assert_eq!(shorten("/a"), "/a");
    }
}
