//! Manners under faults (RETRY-AFTER, BACKOFF, CONCURRENCY, REAUTH), judged from the simulator's
//! access log (`GET /sim/requests`: every request with its arrival and answer times, and for tenant
//! requests the mailbox and the requests in flight for it) and its journal (which fault hit which
//! request, with the `Retry-After` it carried).
//!
//! Everything here is judged within one run: the runs of a scenario are scheduled hours apart in
//! the scenario's time, so the wall clock between them means nothing. Timing decides verdicts
//! only; findings name requests by their position in the run, never by their time.
//!
//! A request's *target* is what a retry of it would ask again: the listing; the login; the
//! download of one item; one operation (lookup, folders, create_folder, import) on one mailbox.

use std::collections::{BTreeMap, VecDeque};

use tm_simulator::{JournalEntry, LoggedRequest, Throttle};

/// Clock slack allowed when comparing a wait with what was asked, in µs.
pub const SLACK_US: u64 = 5_000;
/// Attempts in a row on one target answered 5xx/429 before the connector must give up.
pub const MAX_ATTEMPTS: usize = 10;
/// Requests in flight for one mailbox the tenant allows (Graph's rule).
pub const MAX_IN_FLIGHT: usize = 4;

/// One run's traffic, as the judge needs it.
#[derive(Debug, Clone, Copy)]
pub struct RunTraffic<'a> {
    /// 1-based run number, for findings.
    pub number: usize,
    /// The run's requests, in arrival order.
    pub requests: &'a [LoggedRequest],
    /// The run's journal entries, in order.
    pub journal: &'a [JournalEntry],
    /// The tenant's throttle, if the scenario turns it on.
    pub throttle: Option<Throttle>,
}

/// What a check found and how much it saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checked {
    /// Violations, in words.
    pub findings: Vec<String>,
    /// How many situations the check judged (0 = the rule was not exercised).
    pub exercised: usize,
}

impl Checked {
    fn merge(&mut self, other: Checked) {
        self.findings.extend(other.findings);
        self.exercised += other.exercised;
    }
}

/// The target of a request (see the module docs).
pub fn target(r: &LoggedRequest) -> String {
    match (r.api, r.op) {
        ("vendor", "raw") => format!("download of item {}", r.item_id.as_deref().unwrap_or("?")),
        ("vendor", "list") => "vendor listing".to_string(),
        ("vendor", "login") => "vendor login".to_string(),
        ("tenant", op) => match &r.mailbox {
            Some(m) => format!("tenant {op} for {m}"),
            None => format!("tenant {op} {}", r.request),
        },
        (api, op) => format!("{api} {op} {}", r.request),
    }
}

fn describe(r: &LoggedRequest, first_seq: u64) -> String {
    format!("request #{} of the run ({}, HTTP {})", r.seq - first_seq + 1, target(r), r.status)
}

fn is_failure(status: u16) -> bool {
    status >= 500 || status == 429
}

/// The `Retry-After` a journal entry says its answer carried.
fn journal_retry_after(e: &JournalEntry, throttle: Option<Throttle>) -> Option<u64> {
    let fault = e.fault.as_deref()?;
    if let Some(rest) = fault.split("retry-after ").nth(1) {
        return rest.split_whitespace().next().and_then(|n| n.parse().ok());
    }
    if fault.starts_with("throttled") {
        return throttle.map(|t| t.retry_after);
    }
    None
}

/// The `Retry-After` (seconds) of every 429/503 answer of the run, by its index in `requests`:
/// the journal's entries for such answers are matched to the access log's in order, per
/// (api, op, status, item or mailbox).
pub fn retry_afters(run: &RunTraffic<'_>) -> BTreeMap<usize, u64> {
    type Key = (String, String, u16, Option<String>);
    let key = |api: &str, op: &str, status: u16, item: Option<&String>, mailbox: Option<&String>| -> Key {
        let who = if api == "tenant" {
            mailbox.cloned()
        } else if op == "raw" {
            item.cloned()
        } else {
            None
        };
        (api.to_string(), op.to_string(), status, who)
    };
    let mut asked: BTreeMap<Key, VecDeque<Option<u64>>> = BTreeMap::new();
    for e in run.journal.iter().filter(|e| matches!(e.status, 429 | 503)) {
        asked
            .entry(key(e.api, e.op, e.status, e.item_id.as_ref(), e.mailbox.as_ref()))
            .or_default()
            .push_back(journal_retry_after(e, run.throttle));
    }
    let mut out = BTreeMap::new();
    for (i, r) in run.requests.iter().enumerate().filter(|(_, r)| matches!(r.status, 429 | 503)) {
        let k = key(r.api, r.op, r.status, r.item_id.as_ref(), r.mailbox.as_ref());
        if let Some(Some(after)) = asked.get_mut(&k).and_then(VecDeque::pop_front) {
            out.insert(i, after);
        }
    }
    out
}

/// RETRY-AFTER: after a 429/503 with `Retry-After: N`, the next request of the same target (one
/// that arrives after the answer) starts at least N seconds after the answer.
pub fn retry_after(run: &RunTraffic<'_>) -> Checked {
    let mut out = Checked::default();
    let first = run.requests.first().map_or(1, |r| r.seq);
    for (i, after) in retry_afters(run) {
        let answered = &run.requests[i];
        let t = target(answered);
        let Some(next) = run.requests[i + 1..].iter().find(|x| x.start_us >= answered.end_us && target(x) == t) else { continue };
        out.exercised += 1;
        let waited = next.start_us - answered.end_us;
        if waited + SLACK_US < after * 1_000_000 {
            out.findings.push(format!(
                "run {}: {} answered Retry-After: {after}, but {} came {} ms later",
                run.number,
                describe(answered, first),
                describe(next, first),
                waited / 1000
            ));
        }
    }
    out
}

/// The run's requests grouped by target, in arrival order (indices into `requests`).
fn by_target(requests: &[LoggedRequest]) -> BTreeMap<String, Vec<usize>> {
    let mut out: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in requests.iter().enumerate() {
        out.entry(target(r)).or_default().push(i);
    }
    out
}

/// BACKOFF: bounded attempts on a failing target, and growing waits after 5xx without
/// `Retry-After` (see the catalogue for the exact bounds).
pub fn backoff(run: &RunTraffic<'_>) -> Checked {
    let mut out = Checked::default();
    let first = run.requests.first().map_or(1, |r| r.seq);
    let asked = retry_afters(run);
    for (t, seq) in by_target(run.requests) {
        let mut k = 0;
        while k < seq.len() {
            if !is_failure(run.requests[seq[k]].status) {
                k += 1;
                continue;
            }
            // A chain: failures seq[k..end], then (maybe) one more attempt.
            let start = k;
            while k < seq.len() && is_failure(run.requests[seq[k]].status) {
                k += 1;
            }
            let failures = &seq[start..k];
            let attempts = failures.len() + usize::from(k < seq.len());
            if attempts > MAX_ATTEMPTS {
                out.findings.push(format!(
                    "run {}: {attempts} attempts in a row on the {t}, from {}: retries must be bounded ({MAX_ATTEMPTS} at most)",
                    run.number,
                    describe(&run.requests[failures[0]], first)
                ));
            }
            // Waits after failures without Retry-After, in runs of consecutive ones.
            let mut waits: Vec<(u64, usize)> = Vec::new();
            let judge = |waits: &mut Vec<(u64, usize)>, out: &mut Checked| {
                if waits.is_empty() {
                    return;
                }
                out.exercised += 1;
                for w in waits.windows(2) {
                    let ((prev, _), (now, at)) = (w[0], w[1]);
                    if (now + SLACK_US) * 2 < prev {
                        out.findings.push(format!(
                            "run {}: on the {t}, the wait before {} was {} ms, shorter than the {} ms before the previous attempt: waits must grow",
                            run.number,
                            describe(&run.requests[at], first),
                            now / 1000,
                            prev / 1000
                        ));
                    }
                }
                if waits.len() >= 3 {
                    let ((w1, _), (wn, at)) = (waits[0], waits[waits.len() - 1]);
                    if wn * 2 < w1 * 3 || wn < w1 + 50_000 {
                        out.findings.push(format!(
                            "run {}: on the {t}, {} consecutive 5xx answers were retried after waits of {} ms, then {} ms (before {}): the waits do not grow",
                            run.number,
                            waits.len(),
                            w1 / 1000,
                            wn / 1000,
                            describe(&run.requests[at], first)
                        ));
                    }
                }
                waits.clear();
            };
            for (j, &i) in failures.iter().enumerate() {
                let next = seq.get(start + j + 1).copied();
                match next {
                    Some(n) if !asked.contains_key(&i) => {
                        let wait = run.requests[n].start_us.saturating_sub(run.requests[i].end_us);
                        waits.push((wait, n));
                    }
                    _ => judge(&mut waits, &mut out),
                }
            }
            judge(&mut waits, &mut out);
        }
    }
    out
}

/// CONCURRENCY: at most 4 tenant requests in flight per mailbox; a refusal by the tenant's
/// throttle proves a violation too.
pub fn concurrency(run: &RunTraffic<'_>) -> Checked {
    let mut out = Checked::default();
    let mut per_mailbox: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for r in run.requests.iter().filter(|r| r.api == "tenant") {
        let Some(m) = r.mailbox.as_deref() else { continue };
        let e = per_mailbox.entry(m).or_default();
        let n = r.in_flight.unwrap_or(0);
        e.0 = e.0.max(n);
        if n > MAX_IN_FLIGHT {
            e.1 += 1;
        }
    }
    out.exercised = per_mailbox.len();
    for (m, (max, over)) in &per_mailbox {
        if *over > 0 {
            out.findings.push(format!(
                "run {}: {m} had up to {max} tenant requests in flight; {over} request(s) arrived while {MAX_IN_FLIGHT} or more were in flight",
                run.number
            ));
        }
    }
    let mut throttled: BTreeMap<&str, usize> = BTreeMap::new();
    for e in run.journal.iter().filter(|e| e.fault.as_deref().is_some_and(|f| f.starts_with("throttled"))) {
        *throttled.entry(e.mailbox.as_deref().unwrap_or("?")).or_default() += 1;
    }
    for (m, n) in throttled {
        out.findings
            .push(format!("run {}: the tenant throttled {n} request(s) for {m} (429 TooManyRequests: too many in flight)", run.number));
    }
    out
}

/// REAUTH: after the vendor refuses a token (401), the connector logs in again and the refused
/// request is asked again and answered.
///
/// With several requests in flight on one token, the first 401 triggers the new login and the
/// others, already sent with the old token, are refused around it; they need no login of their
/// own, only a retry. So each 401 must be followed by (1) a successful login that ended after the
/// run's first 401 began, and (2) a later request for the same target (operation, item) that was
/// not refused.
pub fn reauth(run: &RunTraffic<'_>) -> Checked {
    let mut out = Checked::default();
    let first = run.requests.first().map_or(1, |r| r.seq);
    let refused: Vec<&LoggedRequest> = run.requests.iter().filter(|r| r.api == "vendor" && r.op != "login" && r.status == 401).collect();
    let Some(first_refusal) = refused.iter().map(|r| r.start_us).min() else { return out };
    let relogin = run.requests.iter().any(|x| x.api == "vendor" && x.op == "login" && x.status == 200 && x.end_us >= first_refusal);
    for r in refused {
        out.exercised += 1;
        let retried = run
            .requests
            .iter()
            .any(|y| y.api == "vendor" && y.op == r.op && y.item_id == r.item_id && y.start_us >= r.end_us && y.status != 401);
        if !relogin {
            out.findings.push(format!("run {}: {} (invalid_token) was not followed by a new login", run.number, describe(r, first)));
        } else if !retried {
            out.findings.push(format!(
                "run {}: {} (invalid_token) was never asked again with a valid token",
                run.number,
                describe(r, first)
            ));
        }
    }
    out
}

/// All four checks over every run.
pub fn judge_runs(runs: &[RunTraffic<'_>]) -> [Checked; 4] {
    let mut all: [Checked; 4] = Default::default();
    for run in runs {
        all[0].merge(retry_after(run));
        all[1].merge(backoff(run));
        all[2].merge(concurrency(run));
        all[3].merge(reauth(run));
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request: (api, op, item or mailbox, status, start ms, end ms, in flight).
    fn req(seq: u64, api: &'static str, op: &'static str, who: &str, status: u16, start_ms: u64, end_ms: u64) -> LoggedRequest {
        let tenant = api == "tenant";
        LoggedRequest {
            seq,
            api,
            op,
            request: format!("{op} {who}"),
            item_id: (!tenant && op == "raw").then(|| who.to_string()),
            mailbox: tenant.then(|| who.to_string()),
            in_flight: tenant.then_some(1),
            status,
            start_us: start_ms * 1000,
            end_us: end_ms * 1000,
        }
    }

    fn fault(api: &'static str, op: &'static str, who: &str, status: u16, fault: &str) -> JournalEntry {
        let mut e = JournalEntry::new(api, op, format!("{op} {who}"), status).fault(Some(fault.to_string()));
        if api == "tenant" {
            e = e.mailbox(Some(who.to_string()));
        } else if op == "raw" {
            e = e.item(Some(who.to_string()));
        }
        e
    }

    fn traffic<'a>(requests: &'a [LoggedRequest], journal: &'a [JournalEntry]) -> RunTraffic<'a> {
        RunTraffic { number: 1, requests, journal, throttle: Some(Throttle { per_mailbox: 4, retry_after: 2 }) }
    }

    #[test]
    fn a_retry_before_retry_after_is_caught_and_one_after_it_passes() {
        let journal = [fault("vendor", "raw", "x", 429, "status 429 retry-after 1")];
        let early = [
            req(1, "vendor", "raw", "x", 429, 0, 1),
            req(2, "vendor", "raw", "y", 200, 2, 3), // another item: not a retry
            req(3, "vendor", "raw", "x", 200, 500, 501),
        ];
        let c = retry_after(&traffic(&early, &journal));
        assert_eq!(c.exercised, 1);
        assert_eq!(c.findings.len(), 1, "{:?}", c.findings);
        assert!(c.findings[0].contains("Retry-After: 1") && c.findings[0].contains("499 ms later"), "{:?}", c.findings);
        let patient = [req(1, "vendor", "raw", "x", 429, 0, 1), req(2, "vendor", "raw", "x", 200, 1001, 1002)];
        let c = retry_after(&traffic(&patient, &journal));
        assert_eq!((c.exercised, c.findings.len()), (1, 0));
    }

    #[test]
    fn the_throttle_retry_after_applies_to_the_mailbox_and_concurrent_requests_are_no_retries() {
        let journal = [fault("tenant", "import", "a@x.cn", 429, "throttled: over 4 in flight")];
        let requests = [
            req(1, "tenant", "import", "a@x.cn", 429, 0, 1),
            req(2, "tenant", "import", "a@x.cn", 201, 0, 5), // arrived before the answer
            req(3, "tenant", "import", "a@x.cn", 201, 1500, 1600),
        ];
        let c = retry_after(&traffic(&requests, &journal));
        assert_eq!(c.exercised, 1);
        assert!(c.findings[0].contains("Retry-After: 2") && c.findings[0].contains("request #3"), "{:?}", c.findings);
    }

    #[test]
    fn growing_waits_pass_immediate_or_shrinking_ones_fail_and_attempts_are_bounded() {
        let chain = |waits: &[u64]| {
            let mut t = 0;
            let mut v = Vec::new();
            for (k, w) in waits.iter().enumerate() {
                v.push(req(k as u64 + 1, "vendor", "list", "", 500, t, t + 1));
                t += 1 + w;
            }
            v.push(req(waits.len() as u64 + 1, "vendor", "list", "", 200, t, t + 1));
            v
        };
        let ok = chain(&[300, 700, 1500]);
        assert_eq!(backoff(&traffic(&ok, &[])), Checked { findings: vec![], exercised: 1 });
        let jitter = chain(&[500, 450, 1200]); // jitter, or a stall that lengthened one wait: within 0.5x
        assert!(backoff(&traffic(&jitter, &[])).findings.is_empty());
        let immediate = chain(&[0, 0, 1]);
        let c = backoff(&traffic(&immediate, &[]));
        assert_eq!(c.findings.len(), 1, "{:?}", c.findings);
        assert!(c.findings[0].contains("do not grow"), "{:?}", c.findings);
        let shrinking = chain(&[1000, 400, 2000]);
        assert!(backoff(&traffic(&shrinking, &[])).findings.iter().any(|f| f.contains("shorter")));
        let endless = chain(&[100; 11]);
        assert!(backoff(&traffic(&endless, &[])).findings.iter().any(|f| f.contains("12 attempts in a row")));
    }

    #[test]
    fn waits_after_retry_after_answers_are_not_backoff_waits() {
        let journal =
            [fault("vendor", "list", "", 503, "status 503 retry-after 1"), fault("vendor", "list", "", 503, "status 503 retry-after 1")];
        let requests = [
            req(1, "vendor", "list", "", 503, 0, 1),
            req(2, "vendor", "list", "", 503, 1100, 1101),
            req(3, "vendor", "list", "", 200, 2200, 2201),
        ];
        assert_eq!(backoff(&traffic(&requests, &journal)), Checked::default());
    }

    #[test]
    fn more_than_four_in_flight_for_a_mailbox_or_a_throttled_request_fails_concurrency() {
        let mut requests: Vec<LoggedRequest> = (1..=5).map(|k| req(k, "tenant", "import", "a@x.cn", 201, 0, 10)).collect();
        for (k, r) in requests.iter_mut().enumerate() {
            r.in_flight = Some(k + 1);
        }
        let c = concurrency(&traffic(&requests[..4], &[]));
        assert_eq!((c.exercised, c.findings.len()), (1, 0));
        let c = concurrency(&traffic(&requests, &[]));
        assert!(c.findings[0].contains("up to 5 tenant requests in flight"), "{:?}", c.findings);
        let journal = [fault("tenant", "import", "a@x.cn", 429, "throttled: over 4 in flight")];
        let c = concurrency(&traffic(&requests[..1], &journal));
        assert!(c.findings[0].contains("throttled 1 request(s) for a@x.cn"), "{:?}", c.findings);
    }

    #[test]
    fn an_expired_token_needs_a_new_login() {
        let without =
            [req(1, "vendor", "login", "", 200, 0, 1), req(2, "vendor", "list", "", 401, 2, 3), req(3, "vendor", "list", "", 401, 4, 5)];
        let c = reauth(&traffic(&without, &[]));
        assert_eq!((c.exercised, c.findings.len()), (2, 2));
        let with =
            [req(1, "vendor", "list", "", 401, 2, 3), req(2, "vendor", "login", "", 200, 4, 5), req(3, "vendor", "list", "", 200, 6, 7)];
        assert_eq!(reauth(&traffic(&with, &[])), Checked { findings: vec![], exercised: 1 });
        // Two downloads in flight on the expired token: the first 401 starts the new login, the
        // second was sent before that login finished and is refused after it arrived.
        let concurrent = [
            req(1, "vendor", "raw", "", 401, 2, 3),
            req(2, "vendor", "raw", "", 401, 2, 9),
            req(3, "vendor", "login", "", 200, 4, 6),
            req(4, "vendor", "raw", "", 200, 10, 11),
        ];
        assert_eq!(reauth(&traffic(&concurrent, &[])), Checked { findings: vec![], exercised: 2 });
        // A straggler refused after the new login finished needs only a retry, not another login.
        let straggler = [
            req(1, "vendor", "raw", "a", 401, 2, 3),
            req(2, "vendor", "login", "", 200, 4, 5),
            req(3, "vendor", "raw", "b", 401, 6, 7),
            req(4, "vendor", "raw", "b", 200, 8, 9),
            req(5, "vendor", "raw", "a", 200, 8, 9),
        ];
        assert_eq!(reauth(&traffic(&straggler, &[])), Checked { findings: vec![], exercised: 2 });
        let never_retried = [req(1, "vendor", "raw", "a", 401, 2, 3), req(2, "vendor", "login", "", 200, 4, 5)];
        assert!(reauth(&traffic(&never_retried, &[])).findings[0].contains("never asked again"));
    }
}
