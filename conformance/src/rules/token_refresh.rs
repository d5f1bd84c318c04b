//! TOKEN-REFRESH: the catalogue entry, what counts as exercising it, its check over a run's
//! traffic (the access log, which times tenant requests and the token endpoint's), and what it
//! explains: a delivery missing from a run whose 401s went unanswered by a new token.

use super::prelude::*;

use crate::manners::{Checked, RunTraffic, describe};
use tm_contract::Api;

/// TOKEN-REFRESH.
pub(crate) const RULE: Rule = Rule::new(&TokenRefresh);

const REQUIREMENT: Requirement = Requirement {
    id: "TOKEN-REFRESH",
    text: "With client credentials, access tokens expire during a run: the connector fetches a new one (before expiry, or \
               after a 401 `InvalidAuthenticationToken`, sending the refused request again) and nothing is lost.",
    check: "every tenant request answered 401 in a run is followed by a new token from the token endpoint and by the same \
                request (method and path) answered otherwise; deliveries missing from such a run are this rule's; \
                exercised when a run fetched more than one token",
    scenarios: &["token-refresh"],
};

struct TokenRefresh;

/// The check over one run: every tenant 401 is followed by a token request and then by the same
/// request answered with something else. `exercised` counts the tokens fetched after a run's
/// first (refreshes, early or after a 401).
pub fn token_refresh(run: &RunTraffic<'_>) -> Checked {
    let mut out = Checked::default();
    let first = run.requests.first().map_or(1, |r| r.seq);
    let tokens = |after: u64| run.requests.iter().filter(move |t| t.api == Api::Identity && t.status == 200 && t.start_us >= after);
    out.exercised = run.requests.iter().filter(|t| t.api == Api::Identity && t.status == 200).count().saturating_sub(1);
    for refused in run.requests.iter().filter(|r| r.api == Api::Tenant && r.status == 401) {
        let Some(token) = tokens(refused.end_us).next() else {
            out.findings.push(format!(
                "run {}: {} was refused (the access token had expired), and no new token was fetched after it",
                run.number,
                describe(refused, first)
            ));
            continue;
        };
        let again = run
            .requests
            .iter()
            .any(|r| r.api == Api::Tenant && r.request == refused.request && r.start_us >= token.end_us && r.status != 401);
        if !again {
            out.findings.push(format!(
                "run {}: {} was refused (the access token had expired); a new token was fetched, but the request was never sent again",
                run.number,
                describe(refused, first)
            ));
        }
    }
    out
}

impl Check for TokenRefresh {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        match j.count(j.observed(RULE).traffic.exercised, "access tokens fetched again during a run") {
            Ok(s) => Ok(s),
            Err(_) => {
                Err("not exercised by this scenario: no run fetched a second token (a static GRAPH_TOKEN never expires, or the runs were \
                           shorter than the tokens' lifetime)"
                    .to_string())
            }
        }
    }

    /// The check over every run, and the runs (0-based) whose tenant 401s no new token answered.
    fn observe(&self, j: &Judging<'_>) -> Observed {
        let mut out = Observed::default();
        for run in j.traffic() {
            let checked = token_refresh(&run);
            if !checked.findings.is_empty() {
                out.runs.insert(run.number - 1);
            }
            out.traffic.merge(checked);
        }
        out
    }

    fn judge(&self, j: &Judging<'_>, out: &mut Findings) {
        out.add_all(RULE, &j.observed(RULE).traffic.findings);
    }

    fn attribution_rank(&self) -> Option<u16> {
        Some(40)
    }

    /// Missing from the window of a run that lost the tenant when its token expired.
    fn missing(&self, j: &Judging<'_>, d: &Missing<'_>) -> Option<Explained> {
        let (e, _) = d.item?;
        let lost = e.window.is_some_and(|w| j.observed(RULE).runs.contains(&j.oracle.windows[w].run));
        lost.then(|| Explained::Finding(d.finding(j)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tm_contract::Op;
    use tm_simulator::LoggedRequest;

    fn req(seq: u64, api: Api, request: &str, status: u16, start_ms: u64) -> LoggedRequest {
        LoggedRequest {
            seq,
            api,
            op: if api == Api::Identity { Op::Token } else { Op::Import },
            request: request.to_string(),
            item_id: None,
            mailbox: None,
            in_flight: None,
            status,
            start_us: start_ms * 1000,
            end_us: start_ms * 1000 + 1000,
        }
    }

    fn check(requests: &[LoggedRequest]) -> Checked {
        token_refresh(&RunTraffic { number: 1, requests, journal: &[], throttle: None })
    }

    const IMPORT: &str = "POST /graph/v1.0/users/u/mailFolders/f/messages";

    #[test]
    fn a_401_followed_by_a_new_token_and_the_request_again_passes_and_counts_as_a_refresh() {
        let ok = [
            req(1, Api::Identity, "POST /t/oauth2/v2.0/token", 200, 0),
            req(2, Api::Tenant, IMPORT, 201, 10),
            req(3, Api::Tenant, IMPORT, 401, 2000),
            req(4, Api::Identity, "POST /t/oauth2/v2.0/token", 200, 2010),
            req(5, Api::Tenant, IMPORT, 201, 2020),
        ];
        assert_eq!(check(&ok), Checked { findings: vec![], exercised: 1 });
        // A refresh before expiry: no 401 at all, still exercised.
        let early = [ok[0].clone(), ok[1].clone(), ok[3].clone(), ok[4].clone()];
        assert_eq!(check(&early), Checked { findings: vec![], exercised: 1 });
    }

    #[test]
    fn a_401_without_a_new_token_or_without_the_request_again_is_found() {
        let stale = [req(1, Api::Identity, "POST /t/oauth2/v2.0/token", 200, 0), req(2, Api::Tenant, IMPORT, 401, 2000)];
        let c = check(&stale);
        assert_eq!(c.exercised, 0);
        assert!(c.findings.len() == 1 && c.findings[0].contains("no new token"), "{:?}", c.findings);
        let dropped = [stale[0].clone(), stale[1].clone(), req(3, Api::Identity, "POST /t/oauth2/v2.0/token", 200, 2010)];
        let c = check(&dropped);
        assert!(c.findings.len() == 1 && c.findings[0].contains("never sent again"), "{:?}", c.findings);
    }
}
