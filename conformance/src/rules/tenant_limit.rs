//! TENANT-LIMIT: the catalogue entry, what counts as exercising it, and its judging: an item the
//! tenant refuses for its size (413 on a request over `[tenant] max_request_bytes`, Graph's 4 MB
//! by default: <https://learn.microsoft.com/graph/api/resources/attachment>, "a limit of 4MB on
//! the total size of each REST request") is reported `sink_rejected` for each mailbox it was for,
//! not lost, and not retried forever: at most [`REQUESTS_PER_OVER_CAP_DELIVERY`] import requests
//! answered 413 per such delivery in a run, counted in the simulator's access log.

use tm_contract::Op;

use super::prelude::*;
use super::refusals::{self, REQUESTS_PER_OVER_CAP_DELIVERY};
use crate::oracle::{Refusal, request_bytes, request_cap, wrapped_request_bytes};

/// TENANT-LIMIT.
pub(crate) const RULE: Rule = Rule::new(&TenantLimit);

const REQUIREMENT: Requirement = Requirement {
    id: "TENANT-LIMIT",
    text: "(v3) An item the tenant refuses for its size (413: its import request is over the tenant's cap, Graph's 4 MB) \
               is reported `sink_rejected` for each of its mailboxes, naming its size and the limit; it is not lost, and \
               not retried in a loop.",
    check: "items whose base64 is over `[tenant] max_request_bytes` are in no mailbox and a report names them \
                sink_rejected for each mailbox they route to; a run's import requests answered 413 are at most 2 per such \
                delivery",
    scenarios: &["tenant-limit", "realistic-day"],
};

struct TenantLimit;

/// Deliveries over the cap a run may have tried for items outside its window (the run listed
/// the wrong window: WINDOW's or INCREMENTAL's mistake, not a retried refusal): for each such
/// item it downloaded, one per mailbox it routes to (per participant when outside every window).
fn out_of_window(j: &Judging<'_>, run: usize, requests: &std::ops::Range<usize>) -> usize {
    let cap = request_cap(&j.exec.seen);
    let downloaded: std::collections::BTreeSet<&str> =
        j.exec.requests[requests.clone()].iter().filter(|q| q.op == Op::Raw).filter_map(|q| q.item_id.as_deref()).collect();
    downloaded
        .into_iter()
        .filter_map(|id| Some((j.facts.get(id)?, j.oracle.items.get(id)?)))
        .filter(|(f, e)| request_bytes(f.size) > cap && !f.oversize() && e.window.is_none_or(|w| j.oracle.windows[w].run != run))
        .map(|(f, e)| match e.window {
            Some(_) => {
                e.participants.iter().filter_map(|p| p.route.as_ref().map(|r| &r.0)).collect::<std::collections::BTreeSet<_>>().len()
            }
            None => f.participants.len(),
        })
        .sum()
}

impl Check for TenantLimit {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        j.count(refusals::expected(j, Refusal::RequestCap).len(), "deliveries over the tenant's request cap")
    }

    /// Each over-cap delivery is reported for its mailbox; no run sends a storm of 413s.
    fn judge(&self, j: &Judging<'_>, out: &mut Findings) {
        refusals::unreported(j, Refusal::RequestCap, "over the tenant's request cap for", RULE, true, out);
        out.add_all(RULE, &refusals::stopped_runs(j, Refusal::RequestCap, "a 413"));
        let expected = refusals::expected(j, Refusal::RequestCap);
        for run in &j.exec.runs {
            let in_run = |w: Option<usize>| w.is_some_and(|w| j.oracle.windows[w].run == run.index);
            // An item over the seed's 10 MiB sent anyway (and refused 413) is SIZE's: its routed
            // mailboxes are allowed one 413 each here.
            let too_large: usize = j
                .expected_items()
                .filter(|e| e.outcome == Outcome::TooLarge && in_run(e.window))
                .map(|e| {
                    e.participants.iter().filter_map(|p| p.route.as_ref().map(|r| &r.0)).collect::<std::collections::BTreeSet<_>>().len()
                })
                .sum();
            let deliveries = expected.iter().filter(|(_, _, w)| in_run(Some(*w))).count();
            let answered_413 = j.exec.requests[run.requests.clone()].iter().filter(|q| q.op == Op::Import && q.status == 413).count();
            let allowed = REQUESTS_PER_OVER_CAP_DELIVERY * (deliveries + out_of_window(j, run.index, &run.requests)) + too_large;
            if answered_413 > allowed {
                out.add(
                    RULE,
                    format!(
                        "run {}: {answered_413} import requests answered 413 for {deliveries} deliveries over the cap (at most {allowed}): \
                         a refusal for size was retried",
                        run.index + 1
                    ),
                );
            }
        }
    }

    fn attribution_rank(&self) -> Option<u16> {
        Some(67)
    }

    /// Missing because the run stopped at a 413; or allowed: an item whose base64 fits the cap
    /// without line breaks but not with them (the import paths allow both), refused 413 and
    /// reported `sink_rejected` for the mailbox.
    fn missing(&self, j: &Judging<'_>, d: &Missing<'_>) -> Option<Explained> {
        let (_, item) = d.item?;
        let cap = request_cap(&j.exec.seen);
        if request_bytes(item.size) <= cap && wrapped_request_bytes(item.size) > cap && refusals::reported(j, d.id, d.mailbox) {
            return Some(Explained::Allowed);
        }
        refusals::missing_after_stop(j, d, Refusal::RequestCap)
    }
}
