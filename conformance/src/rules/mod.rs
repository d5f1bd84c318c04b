//! One file per rule: its ID and catalogue entry (the contract's text, how the suite checks it,
//! the scenarios that exercise it), what counts as exercising it, and the checks that are the
//! rule's alone. A rule is added by adding a file here, its variant of [`Rule`], and its scenario.
//!
//! One decision is shared on purpose and stays in `judge`: a delivery that is missing or
//! unexpected is attributed to the one rule that explains it best, which needs every rule's view
//! of the item at once (its window, its routing, its size, whether it is a recall).

pub(crate) mod backoff;
pub(crate) mod concurrency;
pub(crate) mod content;
pub(crate) mod dedup;
pub(crate) mod folder;
pub(crate) mod foreign_writes;
pub(crate) mod graph_paging;
pub(crate) mod incremental;
pub(crate) mod reauth;
pub(crate) mod recall;
pub(crate) mod report;
pub(crate) mod resume;
pub(crate) mod retry_after;
pub(crate) mod route_auto_off;
pub(crate) mod route_drop;
pub(crate) mod route_email;
pub(crate) mod route_fanout;
pub(crate) mod route_map;
pub(crate) mod size;
pub(crate) mod token_refresh;
pub(crate) mod truncation;
pub(crate) mod window;

mod prelude {
    pub(crate) use crate::judge::Judging;
    pub(crate) use crate::oracle::{Outcome, Via};
    pub(crate) use crate::requirements::{Requirement, Rule};
    pub(crate) use crate::runner::{ReportFile, RunOutcome};
    pub(crate) use tm_simulator::{Kind, MAX_ITEM_BYTES};
}

use crate::judge::Judging;
pub(crate) use crate::judge::short;
use crate::requirements::{Requirement, Rule};

/// The catalogue, in the contract's order.
pub const CATALOGUE: [Requirement; 22] = [
    route_map::REQUIREMENT,
    route_email::REQUIREMENT,
    route_auto_off::REQUIREMENT,
    route_fanout::REQUIREMENT,
    route_drop::REQUIREMENT,
    folder::REQUIREMENT,
    size::REQUIREMENT,
    content::REQUIREMENT,
    recall::REQUIREMENT,
    window::REQUIREMENT,
    incremental::REQUIREMENT,
    dedup::REQUIREMENT,
    report::REQUIREMENT,
    retry_after::REQUIREMENT,
    backoff::REQUIREMENT,
    concurrency::REQUIREMENT,
    reauth::REQUIREMENT,
    resume::REQUIREMENT,
    truncation::REQUIREMENT,
    graph_paging::REQUIREMENT,
    token_refresh::REQUIREMENT,
    foreign_writes::REQUIREMENT,
];

/// What in the scenario exercises `rule`, or why nothing does.
pub(crate) fn exercised(j: &Judging<'_>, rule: Rule) -> Result<String, String> {
    match rule {
        Rule::RouteMap => route_map::exercised(j),
        Rule::RouteEmail => route_email::exercised(j),
        Rule::RouteAutoOff => route_auto_off::exercised(j),
        Rule::RouteFanout => route_fanout::exercised(j),
        Rule::RouteDrop => route_drop::exercised(j),
        Rule::Folder => folder::exercised(j),
        Rule::Size => size::exercised(j),
        Rule::Content => content::exercised(j),
        Rule::Recall => recall::exercised(j),
        Rule::Window => window::exercised(j),
        Rule::Incremental => incremental::exercised(j),
        Rule::Dedup => dedup::exercised(j),
        Rule::Report => report::exercised(j),
        Rule::RetryAfter => retry_after::exercised(j),
        Rule::Backoff => backoff::exercised(j),
        Rule::Concurrency => concurrency::exercised(j),
        Rule::Reauth => reauth::exercised(j),
        Rule::Resume => resume::exercised(j),
        Rule::Truncation => truncation::exercised(j),
        Rule::GraphPaging => graph_paging::exercised(j),
        Rule::TokenRefresh => token_refresh::exercised(j),
        Rule::ForeignWrites => foreign_writes::exercised(j),
    }
}
