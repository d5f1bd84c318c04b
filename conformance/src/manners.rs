//! Manners under faults (RETRY-AFTER, BACKOFF, CONCURRENCY, REAUTH), judged from the simulator's
//! access log (`GET /sim/requests`: every request with its arrival and answer times, and for tenant
//! requests the mailbox and the requests in flight for it) and its journal (which fault hit which
//! request, with the `Retry-After` it carried).
//!
//! Everything here is judged within one run: the runs of a scenario are scheduled hours apart in
//! the scenario's time, so the wall clock between them means nothing. Timing decides verdicts
//! only; findings name requests by their position in the run, never by their time.
//!
//! This module holds what the four checks share (a run's traffic, a request's target, what a
//! check found); each check is in its rule's file under `rules/`.
//!
//! A request's *target* is what a retry of it would ask again: the listing; the login; the
//! download of one item; one operation (lookup, folders, create_folder, import) on one mailbox,
//! and for an import or a message query that the simulator could tie to one archive item, on
//! that item in that mailbox. Graph's guidance is per request: a connector with four requests in
//! flight for a mailbox retries the one answered 429 after its `Retry-After`, while the others
//! (already sent, or other items) go on.

use tm_contract::{Api, FaultKind, Op};
use tm_simulator::{JournalEntry, LoggedRequest, Throttle};

pub(crate) use crate::rules::retry_after::retry_afters;
// The checks themselves are in their rules' files; the tests below exercise them on made-up traffic.
#[cfg(test)]
use crate::rules::{backoff::backoff, concurrency::concurrency, reauth::reauth, retry_after::retry_after};

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
    pub(crate) fn merge(&mut self, other: Checked) {
        self.findings.extend(other.findings);
        self.exercised += other.exercised;
    }
}

/// The target of a request (see the module docs).
pub fn target(r: &LoggedRequest) -> String {
    match (r.api, r.op) {
        (Api::Vendor, Op::Raw) => format!("download of item {}", r.item_id.as_deref().unwrap_or("?")),
        (Api::Vendor, Op::List) => "vendor listing".to_string(),
        (Api::Vendor, Op::Login) => "vendor login".to_string(),
        (Api::Tenant, op) => match (&r.mailbox, &r.item_id) {
            (Some(m), Some(item)) => format!("tenant {op} of item {item} for {m}"),
            (Some(m), None) => format!("tenant {op} for {m}"),
            (None, _) => format!("tenant {op} {}", r.request),
        },
        (api, op) => format!("{api} {op} {}", r.request),
    }
}

pub(crate) fn describe(r: &LoggedRequest, first_seq: u64) -> String {
    format!("request #{} of the run ({}, HTTP {})", r.seq - first_seq + 1, target(r), r.status)
}

/// A transient failure the manners judge: 5xx or 429, but not 507 (Insufficient Storage: the
/// mailbox is full, `QuotaExceededException`, a final answer that QUOTA judges, not one to retry).
pub(crate) fn is_failure(status: u16) -> bool {
    (status >= 500 && status != 507) || status == 429
}

/// The `Retry-After` a journal entry says its answer carried.
pub(crate) fn journal_retry_after(e: &JournalEntry, throttle: Option<Throttle>) -> Option<u64> {
    match &e.fault.as_ref()?.kind {
        FaultKind::Status { retry_after: Some(s), .. } => Some(*s),
        FaultKind::Throttled(_) => throttle.map(|t| t.retry_after),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An API and an operation from their words.
    fn words(api: &str, op: &str) -> (Api, Op) {
        (serde_json::from_value(api.into()).unwrap(), serde_json::from_value(op.into()).unwrap())
    }

    /// A request: (api, op, item or mailbox, status, start ms, end ms, in flight).
    fn req(seq: u64, api: &'static str, op: &'static str, who: &str, status: u16, start_ms: u64, end_ms: u64) -> LoggedRequest {
        let (api, op) = words(api, op);
        let tenant = api == Api::Tenant;
        LoggedRequest {
            seq,
            api,
            op,
            request: format!("{op} {who}"),
            item_id: (!tenant && op == Op::Raw).then(|| who.to_string()),
            mailbox: tenant.then(|| who.to_string()),
            in_flight: tenant.then_some(1),
            status,
            start_us: start_ms * 1000,
            end_us: end_ms * 1000,
        }
    }

    fn fault(api: &'static str, op: &'static str, who: &str, status: u16, fault: &str) -> JournalEntry {
        let (api, op) = words(api, op);
        let mut e = JournalEntry::new(api, op, format!("{op} {who}"), status).fault(Some(fault.parse().unwrap()));
        if api == Api::Tenant {
            e = e.mailbox(Some(who.to_string()));
        } else if op == Op::Raw {
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
    fn an_import_answered_429_is_judged_per_item_other_items_of_the_mailbox_go_on() {
        let item = |mut r: LoggedRequest, id: &str| {
            r.item_id = Some(id.to_string());
            r
        };
        let journal = [fault("tenant", "import", "a@x.cn", 429, "status 429 retry-after 1").item(Some("m1".to_string()))];
        let requests = [
            item(req(1, "tenant", "import", "a@x.cn", 429, 0, 1), "m1"),
            item(req(2, "tenant", "import", "a@x.cn", 201, 2, 5), "m2"), // another item, already sent
            item(req(3, "tenant", "import", "a@x.cn", 201, 3, 6), "m3"),
            item(req(4, "tenant", "import", "a@x.cn", 201, 1010, 1020), "m1"), // the retry, after the wait
        ];
        let c = retry_after(&traffic(&requests, &journal));
        assert_eq!((c.exercised, c.findings.len()), (1, 0), "{:?}", c.findings);
        let mut hasty = requests.clone();
        hasty[2] = item(req(3, "tenant", "import", "a@x.cn", 201, 3, 6), "m1"); // the same item again at once
        let c = retry_after(&traffic(&hasty, &journal));
        assert_eq!(c.findings.len(), 1, "{:?}", c.findings);
        assert!(c.findings[0].contains("import of item m1") && c.findings[0].contains("request #3"), "{:?}", c.findings);
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
