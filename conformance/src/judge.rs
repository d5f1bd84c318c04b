//! The judge: a scenario's execution against its expectation, a verdict per rule, and every
//! difference explained in words (which item, expected where, found where).
//!
//! The expectation is the scenario's snapshot (the file people review) when there is one, else the
//! oracle's; the two must agree, and a disagreement is reported as an expectation error. Each
//! difference between the expected and the actual tenant is attributed to the one rule that
//! explains it best, using the oracle's reasons (which participant routes where, and how; which
//! window holds the item): that decision needs every rule's view at once and stays here. The
//! checks that are one rule's alone (DEDUP, CONTENT, FOLDER, REPORT, SIZE and ROUTE-DROP reporting)
//! are in that rule's file under `rules/`, which this module calls.

use std::collections::{BTreeMap, BTreeSet};

use tm_simulator::{Kind, MAX_ITEM_BYTES};

use tm_contract::{Api, FaultKind, Op, same_address};

use crate::digest::{Digest, Snapshot, same_text};
use crate::manners;
use crate::oracle::{ArchiveFacts, Expectation, ItemExpectation, OracleError, Outcome, Via, at};
use crate::requirements::Rule;
use crate::runner::{Execution, ReportFile, RunOutcome};

/// A rule's verdict in one scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Checked and held.
    Pass,
    /// Broken.
    Fail,
    /// Not judged (why: in the note).
    Skipped,
}

impl Verdict {
    /// `pass`, `fail`, `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Skipped => "skipped",
        }
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
    /// The differences, in words (empty unless failed).
    pub findings: Vec<String>,
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
}

impl ScenarioVerdict {
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
    let facts = ArchiveFacts::read(&exec.state);
    let oracle = Expectation::compute(&exec.state, &facts)?;
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

    let mut j = Judging::new(exec, &facts, &oracle, &actual);
    j.compare(&expected);
    j.invariants();
    j.manners();
    let rules = j.verdicts();
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
    /// Items whose download the fault plan truncated or reset (TRUNCATION).
    pub(crate) cut: BTreeSet<String>,
    /// Items whose download or import the fault plan reset (RESUME).
    pub(crate) reset: BTreeSet<String>,
    /// Oracle windows whose scheduled run failed (RESUME).
    pub(crate) failed_windows: BTreeSet<usize>,
    /// Mailboxes whose `WeChat Archiver` lies beyond the first page of folders and whose folder
    /// the connector tried to create again (GRAPH-PAGING).
    pub(crate) folder_not_found: BTreeSet<String>,
    /// Runs (0-based) with tenant 401s no new token answered (TOKEN-REFRESH), and that check.
    pub(crate) token_lost_runs: BTreeSet<usize>,
    /// Mailboxes another program wrote into (FOREIGN-WRITES).
    pub(crate) foreign_written: BTreeSet<String>,
    token_checked: manners::Checked,
    /// How much each manners check saw (RETRY-AFTER, BACKOFF, CONCURRENCY, REAUTH).
    pub(crate) manners_seen: BTreeMap<Rule, usize>,
    pub(crate) findings: BTreeMap<Rule, Vec<String>>,
}

fn rule_of(via: Via) -> Rule {
    match via {
        Via::Mapping => Rule::RouteMap,
        Via::Email => Rule::RouteEmail,
    }
}

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
        let mut can_route = BTreeSet::new();
        let mut routes_by = BTreeSet::new();
        for (id, at) in &found {
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
        let mut cut = BTreeSet::new();
        let mut reset = BTreeSet::new();
        for e in &exec.journal {
            let (Some(fault), Some(id)) = (&e.fault, e.item_id.as_ref()) else { continue };
            let download = e.api == Api::Vendor && e.op == Op::Raw;
            if download && matches!(fault.kind, FaultKind::Truncate { .. } | FaultKind::Reset) {
                cut.insert(id.clone());
            }
            if (download || (e.api == Api::Tenant && e.op == Op::Import)) && fault.kind == FaultKind::Reset {
                reset.insert(id.clone());
            }
        }
        let failed_windows = oracle
            .windows
            .iter()
            .enumerate()
            .filter(|(_, w)| exec.runs.get(w.run).is_some_and(|r| matches!(r.outcome, RunOutcome::Failed(_) | RunOutcome::TimedOut)))
            .map(|(i, _)| i)
            .collect();
        let mut j = Judging {
            exec,
            facts,
            oracle,
            actual,
            found,
            reported,
            can_route,
            routes_by,
            cut,
            reset,
            failed_windows,
            folder_not_found: BTreeSet::new(),
            token_lost_runs: BTreeSet::new(),
            foreign_written: BTreeSet::new(),
            token_checked: manners::Checked::default(),
            manners_seen: BTreeMap::new(),
            findings: BTreeMap::new(),
        };
        j.folder_not_found = crate::rules::graph_paging::folder_not_found(&j);
        j.foreign_written = crate::rules::foreign_writes::written_into(&j);
        for run in j.traffic() {
            let checked = crate::rules::token_refresh::token_refresh(&run);
            if !checked.findings.is_empty() {
                j.token_lost_runs.insert(run.number - 1);
            }
            j.token_checked.merge(checked);
        }
        j
    }

    /// The item lies in the window of a run that failed (under the fault plan).
    pub(crate) fn in_failed_window(&self, e: &ItemExpectation) -> bool {
        e.window.is_some_and(|w| self.failed_windows.contains(&w))
    }

    /// RETRY-AFTER, BACKOFF, CONCURRENCY and REAUTH from the access log; the last run under a
    /// fault plan must complete (RESUME).
    /// Every run's traffic.
    fn traffic(&self) -> Vec<manners::RunTraffic<'a>> {
        let exec = self.exec;
        let throttle = exec.state.scenario.throttle;
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

    fn manners(&mut self) {
        let traffic = self.traffic();
        let token = std::mem::take(&mut self.token_checked);
        self.manners_seen.insert(Rule::TokenRefresh, token.exercised);
        for f in token.findings {
            self.add(Rule::TokenRefresh, f);
        }
        let [retry_after, backoff, concurrency, reauth] = manners::judge_runs(&traffic);
        for (rule, checked) in
            [(Rule::RetryAfter, retry_after), (Rule::Backoff, backoff), (Rule::Concurrency, concurrency), (Rule::Reauth, reauth)]
        {
            self.manners_seen.insert(rule, checked.exercised);
            for f in checked.findings {
                self.add(rule, f);
            }
        }
        if self.exec.has_faults()
            && let Some(last) = self.exec.runs.last()
            && last.kill_after_imports.is_none()
            && last.outcome != RunOutcome::Completed
        {
            let msg =
                format!("the last run (run {}) did not complete: {}; nothing resumes after it", last.index + 1, last.outcome.describe());
            self.add(Rule::Resume, msg);
        }
    }

    pub(crate) fn add(&mut self, rule: Rule, finding: String) {
        self.findings.entry(rule).or_default().push(finding);
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

    fn window_rule(&self, e: &ItemExpectation) -> Rule {
        if e.window.unwrap_or(0) == 0 { Rule::Window } else { Rule::Incremental }
    }

    fn special_rule(&self, id: &str) -> Option<Rule> {
        let f = self.facts.get(id)?;
        if f.kind == Kind::Recall || f.recalled {
            Some(Rule::Recall)
        } else if crate::rules::size::at_the_limit(f.size) {
            Some(Rule::Size)
        } else {
            None
        }
    }

    fn route_rule(&self, e: &ItemExpectation, actor: u32, mailbox: &str) -> Rule {
        let routing: Vec<_> = e.routing_to(mailbox).collect();
        if let Some((_, via)) = routing.iter().find(|(p, _)| p.person == actor) {
            return rule_of(*via);
        }
        if routing.iter().any(|(p, via)| self.can_route.contains(&(p.person, mailbox.to_string())) || self.routes_by.contains(via)) {
            return Rule::RouteFanout;
        }
        routing.first().map_or(Rule::RouteFanout, |(_, via)| rule_of(*via))
    }

    /// Expected (mailbox, item) pairs that are not in the tenant, and pairs in the tenant that are
    /// not expected, each attributed to a rule.
    fn compare(&mut self, expected: &Digest) {
        let want: BTreeSet<(String, String)> = expected.deliveries().into_keys().collect();
        let have: BTreeSet<(String, String)> = self.actual.deliveries().into_keys().collect();
        for (mailbox, id) in want.difference(&have) {
            let (Some(e), Some(item)) = (self.oracle.items.get(id), self.facts.get(id)) else {
                self.add(Rule::Content, format!("{}: expected in {mailbox} but the archive has no such item", self.describe(id)));
                continue;
            };
            let anywhere = self.found.contains_key(id);
            let reasons = self.reported.get(id).cloned().unwrap_or_default();
            if !anywhere && self.cut.contains(id) {
                // TRUNCATION: a cut item may be reported failed rather than imported; never lost silently.
                if reasons.is_empty() {
                    let msg = format!(
                        "{}: its download was cut short; expected in {mailbox} ({}) with the archive's bytes, or reported failed; found {}",
                        self.describe(id),
                        self.why_expected(e, mailbox),
                        self.where_found(id)
                    );
                    self.add(Rule::Truncation, msg);
                }
                continue;
            }
            // GRAPH-PAGING first: the connector did not find the mailbox's folder, whatever else.
            let rule = if self.folder_not_found.iter().any(|m| same_address(m, mailbox)) {
                Rule::GraphPaging
            } else if e.window.is_some_and(|w| self.token_lost_runs.contains(&self.oracle.windows[w].run)) {
                // TOKEN-REFRESH next: the run lost the tenant when its token expired.
                Rule::TokenRefresh
            } else if crate::rules::foreign_writes::concerns(self, mailbox) {
                // Then FOREIGN-WRITES: another program's messages fooled the connector there.
                Rule::ForeignWrites
            } else if self.in_failed_window(e) {
                Rule::Resume
            } else if !anywhere && reasons.is_empty() {
                if self.region_processed(id) {
                    self.special_rule(id).unwrap_or_else(|| self.route_rule(e, item.actor, mailbox))
                } else {
                    self.window_rule(e)
                }
            } else if !anywhere && !reasons.contains("user_mapping") {
                if crate::rules::size::wrongly_too_large(&reasons, item.size) {
                    Rule::Size
                } else {
                    self.special_rule(id).unwrap_or_else(|| self.route_rule(e, item.actor, mailbox))
                }
            } else {
                self.route_rule(e, item.actor, mailbox)
            };
            let mut msg =
                format!("{}: expected in {mailbox} ({}), found {}", self.describe(id), self.why_expected(e, mailbox), self.where_found(id));
            if rule == Rule::Resume
                && let Some(w) = e.window
            {
                let run = self.oracle.windows[w].run + 1;
                msg.push_str(&format!(" (run {run}, whose window holds it, failed; no later run imported it)"));
            }
            self.add(rule, msg);
        }
        for (mailbox, id) in have.difference(&want) {
            let folders = self.found.get(id).and_then(|m| m.get(mailbox)).cloned().unwrap_or_default().join(", ");
            let (Some(e), Some(item)) = (self.oracle.items.get(id), self.facts.get(id)) else {
                self.add(Rule::Content, format!("message {id} in {mailbox} / {folders} is not an item of the archive"));
                continue;
            };
            let (rule, expected_where) = self.unexpected(e, item.oversize(), item.captured_ms, mailbox);
            let msg = format!("{}: found in {mailbox} / {folders}, expected {expected_where}", self.describe(id));
            self.add(rule, msg);
        }
    }

    fn unexpected(&self, e: &ItemExpectation, oversize: bool, captured_ms: i64, mailbox: &str) -> (Rule, String) {
        let elsewhere = |e: &ItemExpectation| match &e.outcome {
            Outcome::Deliver(m) => format!("only in {}", m.iter().cloned().collect::<Vec<_>>().join(", ")),
            _ => "nowhere".into(),
        };
        if oversize {
            return (Rule::Size, crate::rules::size::oversize_found());
        }
        let Some(w) = e.window else {
            let start = self.oracle.start_ms();
            let before = start.is_none_or(|s| captured_ms < s);
            let rule = if before || self.oracle.windows.len() <= 1 { Rule::Window } else { Rule::Incremental };
            let span = match (self.oracle.start_ms(), self.oracle.end_ms()) {
                (Some(s), Some(t)) => format!("[{}, {})", at(s), at(t)),
                _ => "(no completed run)".into(),
            };
            return (rule, format!("nowhere: captured outside the runs' windows {span}"));
        };
        let window = &self.oracle.windows[w];
        let by_email: Vec<_> =
            e.participants.iter().filter(|p| p.email_mailbox.as_deref().is_some_and(|x| same_address(x, mailbox))).collect();
        if !window.auto_mapping && !by_email.is_empty() {
            let who: Vec<&str> = by_email.iter().map(|p| self.person(p.person)).collect();
            return (
                Rule::RouteAutoOff,
                format!("{} (automatic mapping is off, so {}'s email address routes nowhere)", elsewhere(e), who.join(", ")),
            );
        }
        if let Some(p) = by_email.iter().find(|p| matches!(&p.route, Some((m, Via::Mapping)) if !same_address(m, mailbox))) {
            let target = p.route.as_ref().map(|r| r.0.clone()).unwrap_or_default();
            return (
                Rule::RouteMap,
                format!("{} ({}'s mobile is mapped to {target}, and the mapping wins)", elsewhere(e), self.person(p.person)),
            );
        }
        if e.outcome == Outcome::Drop {
            return (Rule::RouteDrop, "nowhere: none of its participants routes to a valid mailbox (user_mapping)".into());
        }
        (Rule::RouteFanout, format!("{} (no participant routes to {mailbox})", elsewhere(e)))
    }

    fn invariants(&mut self) {
        crate::rules::dedup::judge(self);
        crate::rules::folder::judge(self);
        crate::rules::content::judge(self);
        crate::rules::size::judge_unreported(self);
        crate::rules::route_drop::judge_unreported(self);
        crate::rules::report::judge(self);
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

    fn verdicts(&mut self) -> Vec<RuleVerdict> {
        Rule::ALL
            .into_iter()
            .map(|rule| {
                let findings = self.findings.remove(&rule).unwrap_or_default();
                let exercised = crate::rules::exercised(self, rule);
                let (verdict, note) = if rule == Rule::Report && !self.exec.has_reports() {
                    (Verdict::Skipped, "the connector wrote no run report: judged on the tenant alone".to_string())
                } else if !findings.is_empty() {
                    (Verdict::Fail, format!("{} difference(s)", findings.len()))
                } else {
                    match exercised {
                        Ok(what) => (Verdict::Pass, what),
                        Err(why) => (Verdict::Skipped, why),
                    }
                };
                RuleVerdict { rule, verdict, note, findings }
            })
            .collect()
    }
}

pub(crate) fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}
