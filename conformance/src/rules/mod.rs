//! The rules, one file each, collected by one table.
//!
//! A rule's file holds its catalogue entry (its ID, the contract's text, how the suite checks it,
//! the scenarios written to exercise it) and implements [`Check`]: what in a scenario exercises
//! the rule, what it observes of the run, its own findings, and its attribution hooks. The
//! registry below lists every file once, in the contract's order, which is the order of verdicts
//! and reports. A rule is added by adding its file here and its line in the registry (and, to
//! prove it, a scenario and a mutant that fails exactly it).
//!
//! One decision needs every rule at once: a delivery that is missing from the tenant, or in it
//! unexpectedly, is attributed to the one rule that explains it best. The judge asks the rules in
//! the order of their [`Check::attribution_rank`] (lowest first; a rule without a rank is never
//! asked), and the first whose hook explains the delivery takes it. The hooks see the delivery
//! through [`Missing`] and [`Unexpected`], the views every rule shares.

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};

use tm_contract::same_address;

use crate::judge::Judging;
use crate::manners::{Checked, RunTraffic};
use crate::oracle::{ItemExpectation, ItemFacts, Outcome, ParticipantRoute, Via};
use crate::requirements::{Requirement, Rule};

/// Declares every rule's file and lists its `RULE` in the table, in the order given.
macro_rules! registry {
    ($($file:ident),* $(,)?) => {
        $(pub(crate) mod $file;)*

        /// Every rule, in the contract's order.
        pub(crate) static RULES: &[Rule] = &[$($file::RULE),*];
    };
}

// The rule files are declared by this macro, which `cargo fmt` does not look into: the registry
// test (`tests/it/registry.rs`) checks their formatting with rustfmt.
registry! {
    route_map,
    route_email,
    route_auto_off,
    route_fanout,
    route_drop,
    route_nested,
    folder,
    size,
    content,
    recall,
    window,
    incremental,
    late,
    dedup,
    report,
    retry_after,
    backoff,
    concurrency,
    reauth,
    resume,
    truncation,
    graph_paging,
    token_refresh,
    foreign_writes,
    r#final,
    tenant_limit,
    scope,
    quota,
    integrity,
}

mod refusals;

mod prelude {
    pub(crate) use super::{Check, Explained, Findings, Missing, Observed, Unexpected};
    pub(crate) use crate::judge::Judging;
    pub(crate) use crate::oracle::{Outcome, Via};
    pub(crate) use crate::requirements::{Requirement, Rule};
    pub(crate) use crate::runner::{ReportFile, RunOutcome};
    pub(crate) use tm_simulator::{Kind, MAX_ITEM_BYTES};
}

pub(crate) use crate::judge::short;

/// A rule: its catalogue entry, its judging and its attribution hooks. Every method but
/// [`requirement`](Check::requirement) and [`exercised`](Check::exercised) has a default that
/// does nothing.
pub(crate) trait Check: Sync {
    /// The rule's catalogue entry; its ID is the rule's identity.
    fn requirement(&self) -> &'static Requirement;

    /// What in this scenario exercises the rule (then, without findings, it passes), or why
    /// nothing does (then it is skipped).
    fn exercised(&self, j: &Judging<'_>) -> Result<String, String>;

    /// Why the rule is not judged in this scenario at all, whatever was found (REPORT without
    /// reports).
    fn not_judged(&self, _j: &Judging<'_>) -> Option<String> {
        None
    }

    /// What the rule keeps of the run before anything is judged, for its own hooks and for other
    /// rules' (see the rule files' accessors). Sees the run, not other rules' observations.
    fn observe(&self, _j: &Judging<'_>) -> Observed {
        Observed::default()
    }

    /// The rule's own checks, run after attribution, in the table's order. A finding may be
    /// given to another rule that explains it better.
    fn judge(&self, _j: &Judging<'_>, _out: &mut Findings) {}

    /// The rule's place in the attribution order (lowest asked first; see the README), or `None`
    /// when it explains no missing or unexpected delivery.
    fn attribution_rank(&self) -> Option<u16> {
        None
    }

    /// Whether the rule explains an expected delivery that is not in the tenant, and how.
    fn missing(&self, _j: &Judging<'_>, _d: &Missing<'_>) -> Option<Explained> {
        None
    }

    /// Whether the rule explains a delivery in the tenant that is not expected: the finding.
    fn unexpected(&self, _j: &Judging<'_>, _d: &Unexpected<'_>) -> Option<String> {
        None
    }
}

/// The rules that attribute, in the attribution order.
pub(crate) fn attribution_order() -> Vec<Rule> {
    let mut ranked: Vec<(u16, Rule)> = RULES.iter().filter_map(|r| Some((r.check().attribution_rank()?, *r))).collect();
    ranked.sort_by_key(|(rank, _)| *rank);
    ranked.into_iter().map(|(_, r)| r).collect()
}

/// What a rule keeps of the run (see [`Check::observe`]); empty by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Observed {
    /// The items it concerns (archive ids).
    pub(crate) items: BTreeSet<String>,
    /// The mailboxes it concerns (addresses).
    pub(crate) mailboxes: BTreeSet<String>,
    /// The runs it concerns (0-based): a delivery missing from such a run's window is its.
    pub(crate) runs: BTreeSet<usize>,
    /// What its checks over the runs' traffic found and how much they saw.
    pub(crate) traffic: Checked,
}

impl Observed {
    /// A check over every run's traffic, merged.
    pub(crate) fn of_traffic(j: &Judging<'_>, check: fn(&RunTraffic<'_>) -> Checked) -> Observed {
        let mut traffic = Checked::default();
        for run in j.traffic() {
            traffic.merge(check(&run));
        }
        Observed { traffic, ..Observed::default() }
    }
}

/// Every rule's findings, in the order found.
#[derive(Debug, Default)]
pub(crate) struct Findings(BTreeMap<Rule, Vec<String>>);

impl Findings {
    /// A finding of `rule`.
    pub(crate) fn add(&mut self, rule: Rule, finding: String) {
        self.0.entry(rule).or_default().push(finding);
    }

    /// Findings of `rule`, in order.
    pub(crate) fn add_all(&mut self, rule: Rule, findings: &[String]) {
        for f in findings {
            self.add(rule, f.clone());
        }
    }

    /// The findings of `rule`, taken out.
    pub(crate) fn take(&mut self, rule: Rule) -> Vec<String> {
        self.0.remove(&rule).unwrap_or_default()
    }
}

/// How a rule explains a missing delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Explained {
    /// It breaks the rule: the finding.
    Finding(String),
    /// The rule allows it (a cut download reported failed): no finding.
    Allowed,
}

/// An expected delivery (an item into a mailbox) that is not in the tenant.
pub(crate) struct Missing<'j> {
    /// The mailbox it was expected in.
    pub(crate) mailbox: &'j str,
    /// The item's id.
    pub(crate) id: &'j str,
    /// The item's expectation and facts; `None` when the archive has no such item.
    pub(crate) item: Option<(&'j ItemExpectation, &'j ItemFacts)>,
    /// The item is in some (other) mailbox.
    pub(crate) anywhere: bool,
    /// The reasons the runs' reports gave for it.
    pub(crate) reasons: BTreeSet<String>,
    processed: OnceCell<bool>,
}

impl<'j> Missing<'j> {
    pub(crate) fn new(j: &'j Judging<'_>, mailbox: &'j str, id: &'j str) -> Missing<'j> {
        Missing {
            mailbox,
            id,
            item: j.oracle.items.get(id).zip(j.facts.get(id)),
            anywhere: j.found.contains_key(id),
            reasons: j.reported.get(id).cloned().unwrap_or_default(),
            processed: OnceCell::new(),
        }
    }

    /// Imported nowhere, and no report names it.
    pub(crate) fn silent(&self) -> bool {
        !self.anywhere && self.reasons.is_empty()
    }

    /// Imported nowhere, and not reported as routed nowhere (`user_mapping`): the connector
    /// skipped it for what it is, not for its routing.
    pub(crate) fn skipped(&self) -> bool {
        !self.anywhere && !self.reasons.contains("user_mapping")
    }

    /// Silent, and the listing around it was not processed either (its nearest ordinary
    /// neighbours are neither in the tenant nor in a report): a gap in what the runs covered.
    pub(crate) fn in_a_gap(&self, j: &Judging<'_>) -> bool {
        self.silent() && !*self.processed.get_or_init(|| j.region_processed(self.id))
    }

    /// How the delivery is routed, when that alone explains its absence: the sender's way when
    /// the sender routes there; else, unless the connector shows it routes one of the
    /// participants there or routes that way at all (then the fan-out dropped it: `None`), the
    /// first routing participant's way.
    pub(crate) fn route_cause(&self, j: &Judging<'_>) -> Option<Via> {
        let (e, item) = self.item?;
        let routing: Vec<_> = e.routing_to(self.mailbox).collect();
        if let Some((_, via)) = routing.iter().find(|(p, _)| p.person == item.actor) {
            return Some(*via);
        }
        if routing.iter().any(|(p, via)| j.can_route.contains(&(p.person, self.mailbox.to_string())) || j.routes_by.contains(via)) {
            return None;
        }
        routing.first().map(|(_, via)| *via)
    }

    /// The finding in the usual words: the item, where it was expected and why, where it is.
    pub(crate) fn finding(&self, j: &Judging<'_>) -> String {
        let why = self.item.map(|(e, _)| j.why_expected(e, self.mailbox)).unwrap_or_default();
        format!("{}: expected in {} ({why}), found {}", j.describe(self.id), self.mailbox, j.where_found(self.id))
    }
}

/// A delivery in the tenant (an item in a mailbox) that is not expected.
pub(crate) struct Unexpected<'j> {
    /// The mailbox it is in.
    pub(crate) mailbox: &'j str,
    /// The item's (or message's) id.
    pub(crate) id: &'j str,
    /// The mailbox's folders holding it, joined.
    pub(crate) folders: String,
    /// The item's expectation and facts; `None` when the archive has no such item.
    pub(crate) item: Option<(&'j ItemExpectation, &'j ItemFacts)>,
}

impl<'j> Unexpected<'j> {
    pub(crate) fn new(j: &'j Judging<'_>, mailbox: &'j str, id: &'j str) -> Unexpected<'j> {
        let folders = j.found.get(id).and_then(|m| m.get(mailbox)).cloned().unwrap_or_default().join(", ");
        Unexpected { mailbox, id, folders, item: j.oracle.items.get(id).zip(j.facts.get(id)) }
    }

    /// The item's participants whose email address resolves to this mailbox.
    pub(crate) fn by_email(&self) -> Vec<&'j ParticipantRoute> {
        let Some((e, _)) = self.item else { return Vec::new() };
        e.participants.iter().filter(|p| p.email_mailbox.as_deref().is_some_and(|x| same_address(x, self.mailbox))).collect()
    }

    /// Where the item is expected instead: `only in …`, or `nowhere`.
    pub(crate) fn elsewhere(&self) -> String {
        match self.item.map(|(e, _)| &e.outcome) {
            Some(Outcome::Deliver(m)) => format!("only in {}", m.iter().cloned().collect::<Vec<_>>().join(", ")),
            _ => "nowhere".into(),
        }
    }

    /// The finding in the usual words: the item, where it is, and where it was expected.
    pub(crate) fn finding(&self, j: &Judging<'_>, expected: &str) -> String {
        format!("{}: found in {} / {}, expected {expected}", j.describe(self.id), self.mailbox, self.folders)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The attribution order, as the README states it ("Attribution order").
    const DOCUMENTED: &str = "CONTENT, TRUNCATION, INTEGRITY, GRAPH-PAGING, TOKEN-REFRESH, FOREIGN-WRITES, RESUME, SCOPE, QUOTA, TENANT-LIMIT, SIZE, RECALL, LATE, \
                              WINDOW, INCREMENTAL, ROUTE-NESTED, ROUTE-AUTO-OFF, ROUTE-MAP, ROUTE-EMAIL, ROUTE-DROP, ROUTE-FANOUT";

    #[test]
    fn attribution_ranks_are_distinct_and_give_the_documented_order() {
        let ranks: Vec<u16> = RULES.iter().filter_map(|r| r.check().attribution_rank()).collect();
        let distinct: BTreeSet<u16> = ranks.iter().copied().collect();
        assert_eq!(distinct.len(), ranks.len(), "two rules share an attribution rank: {ranks:?}");
        let order: Vec<&str> = attribution_order().iter().map(|r| r.id()).collect();
        assert_eq!(order.join(", "), DOCUMENTED);
        let readme = include_str!("../../README.md").split_whitespace().collect::<Vec<_>>().join(" ");
        let stated = readme.split("Attribution order: ").nth(1).and_then(|rest| rest.strip_prefix(DOCUMENTED));
        assert!(stated.is_some_and(|after| !after.starts_with(',')), "the README states another attribution order");
    }
}
