//! The rules of the wire contract by their IDs, and the shape of a catalogue entry. Each rule's
//! entry (its text, how it is checked, the fixture scenarios written to exercise it) and its own
//! judging live in its file under `rules/`; RETRY-AFTER … TRUNCATION are manners under the
//! scenario's fault plan, judged from the simulator's access log and journal (`manners.rs`);
//! GRAPH-PAGING and what follows it are contract v2's (the tenant as Graph).
//!
//! The IDs are the ones the suite reports; `grep -rn ROUTE-MAP` finds the rule here, its file in
//! `rules/`, the scenario in `fixtures/scenarios/` and the test that proves the check can fail.

use std::fmt;

/// A rule of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// ROUTE-MAP
    RouteMap,
    /// ROUTE-EMAIL
    RouteEmail,
    /// ROUTE-AUTO-OFF
    RouteAutoOff,
    /// ROUTE-FANOUT
    RouteFanout,
    /// ROUTE-DROP
    RouteDrop,
    /// FOLDER
    Folder,
    /// SIZE
    Size,
    /// CONTENT
    Content,
    /// RECALL
    Recall,
    /// WINDOW
    Window,
    /// INCREMENTAL
    Incremental,
    /// DEDUP
    Dedup,
    /// REPORT
    Report,
    /// RETRY-AFTER
    RetryAfter,
    /// BACKOFF
    Backoff,
    /// CONCURRENCY
    Concurrency,
    /// REAUTH
    Reauth,
    /// RESUME
    Resume,
    /// TRUNCATION
    Truncation,
    /// GRAPH-PAGING
    GraphPaging,
    /// TOKEN-REFRESH
    TokenRefresh,
    /// FOREIGN-WRITES
    ForeignWrites,
}

/// A rule with its text and where it is exercised.
#[derive(Debug, Clone, Copy)]
pub struct Requirement {
    /// The rule.
    pub rule: Rule,
    /// The rule as the contract states it.
    pub text: &'static str,
    /// How the suite checks it.
    pub check: &'static str,
    /// Fixture scenarios (file stems under `fixtures/scenarios/`) written to exercise it.
    pub scenarios: &'static [&'static str],
}

impl Rule {
    /// Every rule, in the contract's order.
    pub const ALL: [Rule; 22] = [
        Rule::RouteMap,
        Rule::RouteEmail,
        Rule::RouteAutoOff,
        Rule::RouteFanout,
        Rule::RouteDrop,
        Rule::Folder,
        Rule::Size,
        Rule::Content,
        Rule::Recall,
        Rule::Window,
        Rule::Incremental,
        Rule::Dedup,
        Rule::Report,
        Rule::RetryAfter,
        Rule::Backoff,
        Rule::Concurrency,
        Rule::Reauth,
        Rule::Resume,
        Rule::Truncation,
        Rule::GraphPaging,
        Rule::TokenRefresh,
        Rule::ForeignWrites,
    ];

    /// The ID the suite reports.
    pub fn id(self) -> &'static str {
        match self {
            Rule::RouteMap => "ROUTE-MAP",
            Rule::RouteEmail => "ROUTE-EMAIL",
            Rule::RouteAutoOff => "ROUTE-AUTO-OFF",
            Rule::RouteFanout => "ROUTE-FANOUT",
            Rule::RouteDrop => "ROUTE-DROP",
            Rule::Folder => "FOLDER",
            Rule::Size => "SIZE",
            Rule::Content => "CONTENT",
            Rule::Recall => "RECALL",
            Rule::Window => "WINDOW",
            Rule::Incremental => "INCREMENTAL",
            Rule::Dedup => "DEDUP",
            Rule::Report => "REPORT",
            Rule::RetryAfter => "RETRY-AFTER",
            Rule::Backoff => "BACKOFF",
            Rule::Concurrency => "CONCURRENCY",
            Rule::Reauth => "REAUTH",
            Rule::Resume => "RESUME",
            Rule::Truncation => "TRUNCATION",
            Rule::GraphPaging => "GRAPH-PAGING",
            Rule::TokenRefresh => "TOKEN-REFRESH",
            Rule::ForeignWrites => "FOREIGN-WRITES",
        }
    }

    /// The rule of an ID (exact, as reported).
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.id() == id)
    }

    /// The rule's catalogue entry.
    pub fn requirement(self) -> &'static Requirement {
        CATALOGUE.iter().find(|r| r.rule == self).expect("every rule is catalogued")
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

pub use crate::rules::CATALOGUE;
