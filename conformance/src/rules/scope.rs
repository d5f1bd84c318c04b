//! SCOPE: the catalogue entry, what counts as exercising it, and its judging: deliveries to a
//! mailbox outside the app's scope (`[tenant] app_scope`, an application access policy or RBAC for
//! Applications: <https://learn.microsoft.com/graph/auth-limit-mailbox-access>; Graph answers 403
//! `ErrorAccessDenied`) are reported `sink_rejected` for that mailbox, the other mailboxes' items
//! are imported, the run goes on, and the mailbox is not asked again for every item: at most
//! [`REFUSALS_PER_RUN`](refusals::REFUSALS_PER_RUN) of a run's requests to it are refused.

use super::prelude::*;
use super::refusals;
use crate::oracle::Refusal;

/// SCOPE.
pub(crate) const RULE: Rule = Rule::new(&Scope);

const REQUIREMENT: Requirement = Requirement {
    id: "SCOPE",
    text: "(v3) A mailbox the app may not reach (403 `ErrorAccessDenied`: outside its application access policy) gets \
               every delivery reported `sink_rejected` with that mailbox; the other mailboxes' items are imported, the run \
               goes on (report written, checkpoint moved), and the mailbox is not asked again for every item.",
    check: "deliveries to mailboxes outside `[tenant] app_scope` are reported sink_rejected for them; the others are \
                imported; every run completes; per run at most 5 requests to such a mailbox are refused",
    scenarios: &["scope"],
};

struct Scope;

impl Check for Scope {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        j.count(refusals::expected(j, Refusal::Scope).len(), "deliveries to mailboxes outside the app's scope")
    }

    fn judge(&self, j: &Judging<'_>, out: &mut Findings) {
        refusals::unreported(j, Refusal::Scope, "outside the app's scope:", RULE, false, out);
        out.add_all(RULE, &refusals::stopped_runs(j, Refusal::Scope, "a mailbox outside the app's scope"));
        out.add_all(RULE, &refusals::storms(j, Refusal::Scope, |s| s == 403, "403, outside the app's scope"));
    }

    fn attribution_rank(&self) -> Option<u16> {
        Some(65)
    }

    /// Missing because the run stopped at the out-of-scope mailbox.
    fn missing(&self, j: &Judging<'_>, d: &Missing<'_>) -> Option<Explained> {
        refusals::missing_after_stop(j, d, Refusal::Scope)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bound_is_the_one_the_catalogue_states() {
        assert!(super::REQUIREMENT.check.contains(&format!("at most {} requests", super::refusals::REFUSALS_PER_RUN)));
    }
}
