//! The judge: a scenario's execution against its expectation, a verdict per rule, and every
//! difference explained in words (which item, expected where, found where).
//!
//! The expectation is the scenario's snapshot (the file people review) when there is one, else the
//! oracle's; the two must agree, and a disagreement is reported as an expectation error. Each
//! difference between the expected and the actual tenant is attributed to the one rule that
//! explains it best: the rules are asked in their attribution order (`rules/mod.rs`), using the
//! oracle's reasons (which participant routes where, and how; which window holds the item). Then
//! every rule of the registry judges what is its alone, and the verdicts follow from the findings.

use std::collections::{BTreeMap, BTreeSet};

use tm_simulator::{Kind, MAX_ITEM_BYTES};

use tm_contract::same_address;

use crate::digest::{Digest, Snapshot, same_text};
use crate::manners::{self, Checked};
use crate::oracle::{ArchiveFacts, Expectation, ItemExpectation, OracleError, Outcome, Via, at};
use crate::requirements::Rule;
use crate::rules::{self, Explained, Findings, Missing, Observed, RULES, Unexpected};
use crate::runner::{Execution, ReportFile};
use crate::timeline::{self, RunTimeline};

/// A rule's verdict in one scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Checked and held.
    Pass,
    /// Broken.
    Fail,
    /// Not judged (why: in the note).
    Skipped,
    /// Broken, but a waiver (`--expect-failures`) accepts it for now: the findings are kept and
    /// the waiver's reason is in [`RuleVerdict::waiver`]. Does not fail the run.
    Waived,
}

impl Verdict {
    /// `pass`, `fail`, `skipped`, `waived`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Skipped => "skipped",
            Verdict::Waived => "waived",
        }
    }

    /// The verdict of its name (`as_str`'s inverse).
    pub fn from_str_opt(name: &str) -> Option<Verdict> {
        [Verdict::Pass, Verdict::Fail, Verdict::Skipped, Verdict::Waived].into_iter().find(|v| v.as_str() == name)
    }
}

/// One rule in one scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleVerdict {
    /// The rule.
    pub rule: Rule,
    /// The verdict.
    pub verdict: Verdict,
    /// Why skipped, or what was checked.
    pub note: String,
    /// The differences, in words (empty unless failed or waived).
    pub findings: Vec<String>,
    /// The reason of the waiver that accepts this failure (`Some` exactly when waived).
    pub waiver: Option<String>,
}

/// How the actual digest compares with the stored snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotStatus {
    /// Identical (tenant only, when the connector wrote no report).
    Matches,
    /// Different; the lines that differ (`- expected`, `+ found`).
    Differs(Vec<String>),
    /// No snapshot file: judged against the oracle alone.
    Missing(String),
    /// The file cannot be read.
    Unreadable(String),
}

/// One scheduled run, summarised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    /// 1-based.
    pub number: usize,
    /// RUN_AT.
    pub run_at: String,
    /// How it ended.
    pub outcome: String,
    /// Whether the ending was the expected one.
    pub as_scheduled: bool,
    /// `items/imported/skipped_duplicate/failed` from its report, or why there are none.
    pub report: String,
    /// Its stderr tail, when it ended unexpectedly.
    pub log_tail: String,
}

/// A scenario's verdicts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioVerdict {
    /// The scenario.
    pub scenario: String,
    /// Its runs.
    pub runs: Vec<RunSummary>,
    /// The digest found, rendered.
    pub digest: String,
    /// The oracle's expected digest, rendered the same way.
    pub expected_digest: String,
    /// Against the snapshot.
    pub snapshot: SnapshotStatus,
    /// Where the snapshot and the oracle disagree (a suite error; empty normally).
    pub expectation_errors: Vec<String>,
    /// A verdict per rule, in catalogue order.
    pub rules: Vec<RuleVerdict>,
    /// Per run, its requests on a time line (not in the JSON report: empty when read back).
    pub timeline: Vec<RunTimeline>,
}

impl ScenarioVerdict {
    /// A scenario's verdicts from its rule verdicts alone: no runs, no digests, the snapshot
    /// matching, no time line: where a report is built by hand (tests, tools) rather than by a
    /// run, so that such code keeps compiling as the verdict grows fields.
    pub fn of_rules(scenario: impl Into<String>, rules: Vec<RuleVerdict>) -> ScenarioVerdict {
        ScenarioVerdict {
            scenario: scenario.into(),
            runs: Vec::new(),
            digest: String::new(),
            expected_digest: String::new(),
            snapshot: SnapshotStatus::Matches,
            expectation_errors: Vec::new(),
            rules,
            timeline: Vec::new(),
        }
    }

    /// Any rule failed, or the expectation is inconsistent.
    pub fn failed(&self) -> bool {
        !self.expectation_errors.is_empty() || self.rules.iter().any(|r| r.verdict == Verdict::Fail)
    }

    /// The verdict of a rule.
    pub fn verdict(&self, rule: Rule) -> Verdict {
        self.rules.iter().find(|r| r.rule == rule).map_or(Verdict::Skipped, |r| r.verdict)
    }

    /// Rules that failed.
    pub fn failed_rules(&self) -> BTreeSet<Rule> {
        self.rules.iter().filter(|r| r.verdict == Verdict::Fail).map(|r| r.rule).collect()
    }
}

/// Judges an execution. `snapshot` is the scenario's stored expectation, if any (`Err`: the
/// path and why it cannot be used).
pub fn judge(exec: &Execution, snapshot: Result<Snapshot, SnapshotStatus>) -> Result<ScenarioVerdict, OracleError> {
    let facts = ArchiveFacts::read(&exec.seen);
    let oracle = Expectation::compute(&exec.seen, &facts)?;
    let actual = exec.digest();
    let rendered = actual.render(Some(&facts));
    let oracle_digest = oracle.digest();

    let mut expectation_errors = Vec::new();
    let (expected, snapshot_status) = match snapshot {
        Ok(snap) => match snap.digest() {
            Ok(d) => {
                if d != oracle_digest {
                    expectation_errors = digest_diff(&d, &oracle_digest, "snapshot", "oracle");
                }
                let status = if actual.failures.is_some() {
                    if same_text(&snap.body, &rendered) {
                        SnapshotStatus::Matches
                    } else {
                        SnapshotStatus::Differs(digest_diff(&d, &actual, "expected", "found"))
                    }
                } else {
                    let expected_tenant = Digest { failures: None, ..d.clone() };
                    let found = Digest { failures: None, ..actual.clone() };
                    if expected_tenant.tenant == found.tenant {
                        SnapshotStatus::Matches
                    } else {
                        SnapshotStatus::Differs(digest_diff(&expected_tenant, &found, "expected", "found"))
                    }
                };
                (d, status)
            }
            Err((line, m)) => (oracle_digest.clone(), SnapshotStatus::Unreadable(format!("snapshot body line {line}: {m}"))),
        },
        Err(status) => (oracle_digest.clone(), status),
    };

    let j = Judging::new(exec, &facts, &oracle, &actual);
    let mut findings = Findings::default();
    expectation_errors.extend(j.attribute(&expected, &mut findings));
    for rule in RULES {
        rule.check().judge(&j, &mut findings);
    }
    let rules = j.verdicts(findings);
    let timeline = j.traffic().iter().map(timeline::of_run).collect();
    let runs = exec
        .runs
        .iter()
        .map(|r| {
            let as_scheduled = exec.as_scheduled(r);
            let report = match &r.report {
                ReportFile::Missing => "no report".to_string(),
                ReportFile::Invalid(e) => format!("invalid report: {e}"),
                ReportFile::Parsed(p) => format!(
                    "items {}, imported {}, skipped_duplicate {}, failed {}",
                    p.counts.items, p.counts.imported, p.counts.skipped_duplicate, p.counts.failed
                ),
            };
            RunSummary {
                number: r.index + 1,
                run_at: at(r.at.timestamp_millis()),
                outcome: r.outcome.describe(),
                as_scheduled,
                report,
                log_tail: if as_scheduled { String::new() } else { r.log_tail.clone() },
            }
        })
        .collect();
    let expected_digest = oracle_digest.render(Some(&facts));
    Ok(ScenarioVerdict {
        scenario: exec.scenario.clone(),
        runs,
        digest: rendered,
        expected_digest,
        snapshot: snapshot_status,
        expectation_errors,
        rules,
        timeline,
    })
}

/// Line-level differences of two digests, in words.
fn digest_diff(a: &Digest, b: &Digest, a_name: &str, b_name: &str) -> Vec<String> {
    let lines = |d: &Digest| -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for (m, folders) in &d.tenant {
            for (f, ids) in folders {
                if ids.is_empty() {
                    *out.entry(format!("tenant {m} / {f} (empty folder)")).or_insert(0) += 1;
                }
                for id in ids {
                    *out.entry(format!("tenant {m} / {f} / {id}")).or_insert(0) += 1;
                }
            }
        }
        match &d.failures {
            None => {}
            Some(f) => {
                for (reason, ids) in f {
                    for id in ids {
                        *out.entry(format!("failure {reason} / {id}")).or_insert(0) += 1;
                    }
                }
            }
        }
        out
    };
    let (la, lb) = (lines(a), lines(b));
    let mut out = Vec::new();
    for (k, n) in &la {
        let m = lb.get(k).copied().unwrap_or(0);
        if m < *n {
            out.push(format!("- {k} (in {a_name}, not in {b_name})"));
        }
    }
    for (k, n) in &lb {
        let m = la.get(k).copied().unwrap_or(0);
        if m < *n {
            out.push(format!("+ {k} (in {b_name}, not in {a_name})"));
        }
    }
    if a.failures.is_none() != b.failures.is_none() {
        out.push(format!(
            "failures: {a_name} {} reports, {b_name} {}",
            if a.failures.is_some() { "has" } else { "has no" },
            if b.failures.is_some() { "has" } else { "has none" }
        ));
    }
    out
}

/// A scenario's run as the rules judge it: the execution, the archive's facts, the oracle's
/// expectation and the digest found, with the views every rule shares; and what each rule
/// observed of the run ([`Check::observe`]).
pub(crate) struct Judging<'a> {
    pub(crate) exec: &'a Execution,
    pub(crate) facts: &'a ArchiveFacts,
    pub(crate) oracle: &'a Expectation,
    pub(crate) actual: &'a Digest,
    /// item id → mailbox → folders holding it.
    pub(crate) found: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// item id → reasons reported for it.
    pub(crate) reported: BTreeMap<String, BTreeSet<String>>,
    /// (person, mailbox) the connector demonstrably routes: an item with that actor, which only
    /// the actor routes to that mailbox, is there.
    pub(crate) can_route: BTreeSet<(u32, String)>,
    /// Kinds of routing the connector demonstrably does for an actor.
    pub(crate) routes_by: BTreeSet<Via>,
    /// What each rule observed of the run.
    observed: BTreeMap<Rule, Observed>,
}

/// What a rule that observed nothing observed.
static NOTHING: Observed = Observed {
    items: BTreeSet::new(),
    mailboxes: BTreeSet::new(),
    runs: BTreeSet::new(),
    traffic: Checked { findings: Vec::new(), exercised: 0 },
};

impl<'a> Judging<'a> {
    fn new(exec: &'a Execution, facts: &'a ArchiveFacts, oracle: &'a Expectation, actual: &'a Digest) -> Self {
        let mut found: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
        for (m, folders) in &actual.tenant {
            for (f, ids) in folders {
                for id in ids {
                    found.entry(id.clone()).or_default().entry(m.clone()).or_default().push(f.clone());
                }
            }
        }
        let mut reported: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for run in &exec.runs {
            if let ReportFile::Parsed(r) = &run.report {
                for f in &r.failures {
                    reported.entry(f.item_id.clone()).or_default().insert(f.reason.clone());
                }
            }
        }
        let (can_route, routes_by) = routing_evidence(facts, oracle, &found);
        let mut j = Judging { exec, facts, oracle, actual, found, reported, can_route, routes_by, observed: BTreeMap::new() };
        j.observed = RULES.iter().map(|r| (*r, r.check().observe(&j))).collect();
        j
    }

    /// What `rule` observed of the run (empty when it observes nothing).
    pub(crate) fn observed(&self, rule: Rule) -> &Observed {
        self.observed.get(&rule).unwrap_or(&NOTHING)
    }

    /// Every run's traffic.
    pub(crate) fn traffic(&self) -> Vec<manners::RunTraffic<'a>> {
        let exec = self.exec;
        let throttle = exec.seen.world().scenario.throttle;
        exec.runs
            .iter()
            .map(|r| manners::RunTraffic {
                number: r.index + 1,
                requests: &exec.requests[r.requests.clone()],
                journal: &exec.journal[r.journal.clone()],
                throttle,
            })
            .collect()
    }

    pub(crate) fn describe(&self, id: &str) -> String {
        match self.facts.get(id) {
            Some(f) => format!("item {id} ({})", f.label),
            None => format!("message {id}"),
        }
    }

    pub(crate) fn where_found(&self, id: &str) -> String {
        match self.found.get(id) {
            None => {
                let reasons = self.reported.get(id).map(|r| r.iter().cloned().collect::<Vec<_>>().join(", "));
                match reasons {
                    Some(r) => format!("nowhere (reported {r})"),
                    None if self.exec.has_reports() => "nowhere, and no report names it".into(),
                    None => "nowhere".into(),
                }
            }
            Some(at) => {
                let places: Vec<String> = at.iter().map(|(m, folders)| format!("{m} / {}", folders.join(", "))).collect();
                format!("in {}", places.join("; "))
            }
        }
    }

    pub(crate) fn person(&self, p: u32) -> &str {
        &self.facts.persons[p as usize].id
    }

    pub(crate) fn why_expected(&self, e: &ItemExpectation, mailbox: &str) -> String {
        let why: Vec<String> = e
            .routing_to(mailbox)
            .map(|(p, via)| {
                let person = &self.facts.persons[p.person as usize];
                match via {
                    Via::Mapping => format!("{}'s mobile {} is mapped to it", person.id, person.mobile.as_deref().unwrap_or("?")),
                    Via::Email => format!("{}'s address {} resolves to it", person.id, person.email),
                }
            })
            .collect();
        if why.is_empty() { "per the snapshot".into() } else { why.join("; ") }
    }

    /// Whether the listing around an item was processed: its nearest ordinary neighbours inside
    /// the windows are in the tenant or in a report.
    pub(crate) fn region_processed(&self, id: &str) -> bool {
        let Some(pos) = self.facts.position(id) else { return false };
        let ordinary = |i: usize| {
            let f = &self.facts.items[i];
            let e = &self.oracle.items[&f.id];
            f.kind != Kind::Recall
                && !f.recalled
                && f.size < MAX_ITEM_BYTES
                && f.listed_size == f.size
                && matches!(e.outcome, Outcome::Deliver(_) | Outcome::Drop)
        };
        let processed = |i: usize| {
            let f = &self.facts.items[i];
            self.found.contains_key(&f.id) || self.reported.contains_key(&f.id)
        };
        let before = (0..pos).rev().find(|i| ordinary(*i));
        let after = (pos + 1..self.facts.items.len()).find(|i| ordinary(*i));
        let neighbours: Vec<usize> = before.into_iter().chain(after).collect();
        !neighbours.is_empty() && neighbours.iter().all(|i| processed(*i))
    }

    /// Expected (mailbox, item) pairs that are not in the tenant, and pairs in the tenant that are
    /// not expected, each attributed to the first rule in the attribution order that explains
    /// it; what no rule explains is returned (a suite error).
    fn attribute(&self, expected: &Digest, out: &mut Findings) -> Vec<String> {
        let order = rules::attribution_order();
        let want: BTreeSet<(String, String)> = expected.deliveries().into_keys().collect();
        let have: BTreeSet<(String, String)> = self.actual.deliveries().into_keys().collect();
        let mut unexplained = Vec::new();
        for (mailbox, id) in want.difference(&have) {
            let d = Missing::new(self, mailbox, id);
            match order.iter().find_map(|r| Some((*r, r.check().missing(self, &d)?))) {
                Some((rule, Explained::Finding(f))) => out.add(rule, f),
                Some((_, Explained::Allowed)) => {}
                None => unexplained.push(format!("no rule explains why {} is not in {mailbox}", self.describe(id))),
            }
        }
        for (mailbox, id) in have.difference(&want) {
            let d = Unexpected::new(self, mailbox, id);
            match order.iter().find_map(|r| Some((*r, r.check().unexpected(self, &d)?))) {
                Some((rule, f)) => out.add(rule, f),
                None => unexplained.push(format!("no rule explains why {} is in {mailbox}", self.describe(id))),
            }
        }
        unexplained
    }

    /// The oracle's expectations, item by item.
    pub(crate) fn expected_items(&self) -> impl Iterator<Item = &ItemExpectation> + '_ {
        self.oracle.items.values()
    }

    /// Items expected to be imported somewhere.
    pub(crate) fn delivered(&self) -> usize {
        self.expected_items().filter(|e| matches!(e.outcome, Outcome::Deliver(_))).count()
    }

    /// `n what`, or "not exercised" when `n` is 0.
    pub(crate) fn count(&self, n: usize, what: &str) -> Result<String, String> {
        if n > 0 { Ok(format!("{n} {what}")) } else { Err("not exercised by this scenario".to_string()) }
    }

    /// A verdict per rule, in catalogue order, from its findings.
    fn verdicts(&self, mut findings: Findings) -> Vec<RuleVerdict> {
        RULES
            .iter()
            .map(|&rule| {
                let findings = findings.take(rule);
                let exercised = rule.check().exercised(self);
                let (verdict, note) = if let Some(why) = rule.check().not_judged(self) {
                    (Verdict::Skipped, why)
                } else if !findings.is_empty() {
                    (Verdict::Fail, format!("{} difference(s)", findings.len()))
                } else {
                    match exercised {
                        Ok(what) => (Verdict::Pass, what),
                        Err(why) => (Verdict::Skipped, why),
                    }
                };
                RuleVerdict { rule, verdict, note, findings, waiver: None }
            })
            .collect()
    }
}

/// Which (person, mailbox) the connector demonstrably routes, and which kinds of routing it
/// demonstrably does for an actor (see [`Judging`]).
fn routing_evidence(
    facts: &ArchiveFacts,
    oracle: &Expectation,
    found: &BTreeMap<String, BTreeMap<String, Vec<String>>>,
) -> (BTreeSet<(u32, String)>, BTreeSet<Via>) {
    let mut can_route = BTreeSet::new();
    let mut routes_by = BTreeSet::new();
    for (id, at) in found {
        let (Some(item), Some(e)) = (facts.get(id), oracle.items.get(id)) else { continue };
        for m in at.keys() {
            let routing: Vec<_> = e.routing_to(m).collect();
            let Some((_, actor_via)) = routing.iter().find(|(p, _)| p.person == item.actor) else { continue };
            if routing.len() == 1 {
                can_route.insert((item.actor, m.clone()));
            }
            // Evidence that the connector routes by this means at all: everything that leads
            // to the mailbox leads there the same way (and, for the mapping, no email
            // address leads there).
            let same_way = routing.iter().all(|(_, via)| via == actor_via);
            let no_email_there = !e.participants.iter().any(|p| p.email_mailbox.as_deref().is_some_and(|x| same_address(x, m)));
            if same_way && (*actor_via == Via::Email || no_email_there) {
                routes_by.insert(*actor_via);
            }
        }
    }
    (can_route, routes_by)
}

pub(crate) fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}
