//! CONCURRENCY: the catalogue entry, what counts as exercising it, and its check over a
//! run's traffic (the access log and the journal; the shared pieces are in `manners.rs`).

use super::prelude::*;
use std::collections::BTreeMap;
use tm_contract::{Api, FaultKind, FaultRecord};

use crate::manners::*;

/// CONCURRENCY.
pub(crate) const RULE: Rule = Rule::new(&Concurrency);

const REQUIREMENT: Requirement = Requirement {
    id: "CONCURRENCY",
    text: "Never more than 4 tenant requests in flight for one mailbox (Graph's rule); beyond that the tenant answers 429 \
               TooManyRequests.",
    check: "no tenant request for a mailbox arrives while 4 others for it are in flight (the access log's in_flight), and \
                the tenant's throttle, when on, never refused one",
    scenarios: &["concurrency", "soak"],
};

struct Concurrency;

impl Check for Concurrency {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        j.count(j.observed(RULE).traffic.exercised, "mailbox-runs with tenant requests")
    }

    /// The check over every run's traffic.
    fn observe(&self, j: &Judging<'_>) -> Observed {
        Observed::of_traffic(j, concurrency)
    }

    fn judge(&self, j: &Judging<'_>, out: &mut Findings) {
        out.add_all(RULE, &j.observed(RULE).traffic.findings);
    }
}

/// CONCURRENCY: at most 4 tenant requests in flight per mailbox; a refusal by the tenant's
/// throttle proves a violation too.
pub fn concurrency(run: &RunTraffic<'_>) -> Checked {
    let mut out = Checked::default();
    let mut per_mailbox: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for r in run.requests.iter().filter(|r| r.api == Api::Tenant) {
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
    for e in run.journal.iter().filter(|e| matches!(e.fault, Some(FaultRecord { kind: FaultKind::Throttled(_) }))) {
        *throttled.entry(e.mailbox.as_deref().unwrap_or("?")).or_default() += 1;
    }
    for (m, n) in throttled {
        out.findings
            .push(format!("run {}: the tenant throttled {n} request(s) for {m} (429 TooManyRequests: too many in flight)", run.number));
    }
    out
}
