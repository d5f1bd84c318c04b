//! REAUTH: the catalogue entry, what counts as exercising it, and its check over a
//! run's traffic (the access log and the journal; the shared pieces are in `manners.rs`).

use super::prelude::*;

use tm_contract::{Api, Op};
use tm_simulator::LoggedRequest;

use crate::manners::*;

/// REAUTH.
pub(crate) const RULE: Rule = Rule::new(&Reauth);

const REQUIREMENT: Requirement = Requirement {
    id: "REAUTH",
    text: "A vendor 401 `invalid_token` (the session expired early) leads to a new login and the run goes on.",
    check: "after the run's first vendor 401 a login succeeds, and every request answered 401 is asked again and not \
                refused (requests already in flight on the old token need a retry, not a login of their own); the run's \
                results are judged under the other rules",
    scenarios: &["reauth", "soak"],
};

struct Reauth;

impl Check for Reauth {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        j.count(j.observed(RULE).traffic.exercised, "vendor requests answered 401 invalid_token")
    }

    /// The check over every run's traffic.
    fn observe(&self, j: &Judging<'_>) -> Observed {
        Observed::of_traffic(j, reauth)
    }

    fn judge(&self, j: &Judging<'_>, out: &mut Findings) {
        out.add_all(RULE, &j.observed(RULE).traffic.findings);
    }
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
    let refused: Vec<&LoggedRequest> =
        run.requests.iter().filter(|r| r.api == Api::Vendor && r.op != Op::Login && r.status == 401).collect();
    let Some(first_refusal) = refused.iter().map(|r| r.start_us).min() else { return out };
    let relogin = run.requests.iter().any(|x| x.api == Api::Vendor && x.op == Op::Login && x.status == 200 && x.end_us >= first_refusal);
    for r in refused {
        out.exercised += 1;
        let retried = run
            .requests
            .iter()
            .any(|y| y.api == Api::Vendor && y.op == r.op && y.item_id == r.item_id && y.start_us >= r.end_us && y.status != 401);
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
