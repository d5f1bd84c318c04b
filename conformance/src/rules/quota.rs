//! QUOTA: the catalogue entry, what counts as exercising it, and its judging: deliveries to a
//! full mailbox (`quota_bytes`: Exchange's `ProhibitSendReceiveQuota`; Graph answers
//! `ErrorQuotaExceeded`, 403 or 507: docs/contract.md, "Failure modes") are reported
//! `sink_rejected` for that mailbox, the others imported, the run goes on, and the full mailbox is
//! not asked again for every item: at most [`REFUSALS_PER_RUN`](refusals::REFUSALS_PER_RUN) of a run's requests to it are
//! refused. A 507 is not a 5xx to retry: it says the mailbox is full.

use super::prelude::*;
use super::refusals;
use crate::oracle::Refusal;

/// QUOTA.
pub(crate) const RULE: Rule = Rule::new(&Quota);

const REQUIREMENT: Requirement = Requirement {
    id: "QUOTA",
    text: "(v3) A full mailbox (`ErrorQuotaExceeded`, 403 or 507) gets the deliveries it refuses reported `sink_rejected` \
               with that mailbox, and is not asked again in that run; the other mailboxes' items are imported and the run \
               goes on.",
    check: "deliveries a mailbox's quota refuses (in listing order, every later one of the run too) are reported \
                sink_rejected for it; the others are imported; every run completes; per run at most 5 requests to a full \
                mailbox are refused",
    scenarios: &["quota"],
};

struct Quota;

impl Check for Quota {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        j.count(refusals::expected(j, Refusal::Quota).len(), "deliveries to full mailboxes")
    }

    fn judge(&self, j: &Judging<'_>, out: &mut Findings) {
        let status = j.exec.seen.world().scenario.failure_modes.quota_exceeded_status;
        refusals::unreported(j, Refusal::Quota, "refused for the quota of", RULE, false, out);
        out.add_all(RULE, &refusals::stopped_runs(j, Refusal::Quota, "a full mailbox"));
        out.add_all(RULE, &refusals::storms(j, Refusal::Quota, |s| s == status, &format!("{status}, the mailbox is full")));
    }

    fn attribution_rank(&self) -> Option<u16> {
        Some(66)
    }

    /// Missing because the run stopped at the full mailbox.
    fn missing(&self, j: &Judging<'_>, d: &Missing<'_>) -> Option<Explained> {
        refusals::missing_after_stop(j, d, Refusal::Quota)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bound_is_the_one_the_catalogue_states() {
        assert!(super::REQUIREMENT.check.contains(&format!("at most {} requests", super::refusals::REFUSALS_PER_RUN)));
    }
}
