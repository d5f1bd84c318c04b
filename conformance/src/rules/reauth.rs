//! REAUTH: the catalogue entry, and what counts as exercising it.

use super::prelude::*;

/// REAUTH in the catalogue.
pub const REQUIREMENT: Requirement = Requirement {
    rule: Rule::Reauth,
    text: "A vendor 401 `invalid_token` (the session expired early) leads to a new login and the run goes on.",
    check: "after the run's first vendor 401 a login succeeds, and every request answered 401 is asked again and not \
                refused (requests already in flight on the old token need a retry, not a login of their own); the run's \
                results are judged under the other rules",
    scenarios: &["reauth", "soak"],
};

/// What in this scenario exercises REAUTH (or why nothing does).
pub(crate) fn exercised(j: &Judging<'_>) -> Result<String, String> {
    j.count(j.manners_seen[&Rule::Reauth], "vendor requests answered 401 invalid_token")
}
