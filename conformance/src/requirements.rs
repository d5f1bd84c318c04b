//! The rules of the wire contract by their IDs, and the shape of a catalogue entry. Each rule is
//! one file under `rules/` (its entry, what exercises it, its judging and its attribution hooks),
//! listed once in the registry of `rules/mod.rs`; RETRY-AFTER … TRUNCATION are manners under the
//! scenario's fault plan, judged from the simulator's access log and journal (`manners.rs`);
//! GRAPH-PAGING and what follows it came with the tenant as Graph.
//!
//! The IDs are the ones the suite reports; `grep -rn ROUTE-MAP` finds the rule's file in
//! `rules/`, the scenario in `fixtures/scenarios/` and the test that proves the check can fail.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use crate::rules::{Check, RULES};

/// A rule of the contract: a handle on its file in `rules/`. Rules are equal when their IDs are,
/// and ordered as the catalogue orders them.
#[derive(Clone, Copy)]
pub struct Rule(&'static dyn Check);

/// A rule's catalogue entry: its ID, its text and where it is exercised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    /// The ID the suite reports (`ROUTE-MAP`).
    pub id: &'static str,
    /// The rule as the contract states it.
    pub text: &'static str,
    /// How the suite checks it.
    pub check: &'static str,
    /// Fixture scenarios (file stems under `fixtures/scenarios/`) written to exercise it.
    pub scenarios: &'static [&'static str],
}

impl Rule {
    /// The handle of a rule's implementation (each file's `RULE`).
    pub(crate) const fn new(check: &'static dyn Check) -> Rule {
        Rule(check)
    }

    /// Every rule, in the contract's order (the order of verdicts and reports).
    pub fn all() -> &'static [Rule] {
        RULES
    }

    /// The ID the suite reports.
    pub fn id(self) -> &'static str {
        self.requirement().id
    }

    /// The rule of an ID (exact, as reported).
    pub fn from_id(id: &str) -> Option<Rule> {
        RULES.iter().copied().find(|r| r.id() == id)
    }

    /// The rule's catalogue entry.
    pub fn requirement(self) -> &'static Requirement {
        self.0.requirement()
    }

    /// The rule's implementation.
    pub(crate) fn check(self) -> &'static dyn Check {
        self.0
    }

    /// Its place in the catalogue.
    fn position(self) -> usize {
        RULES.iter().position(|r| r.id() == self.id()).unwrap_or(usize::MAX)
    }
}

/// Every rule's catalogue entry, in the contract's order.
pub fn catalogue() -> impl Iterator<Item = &'static Requirement> {
    RULES.iter().map(|r| r.requirement())
}

impl PartialEq for Rule {
    fn eq(&self, other: &Rule) -> bool {
        self.id() == other.id()
    }
}

impl Eq for Rule {}

impl Hash for Rule {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id().hash(state);
    }
}

impl PartialOrd for Rule {
    fn partial_cmp(&self, other: &Rule) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Rule {
    fn cmp(&self, other: &Rule) -> Ordering {
        self.position().cmp(&other.position()).then_with(|| self.id().cmp(other.id()))
    }
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}
