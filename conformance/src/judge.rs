//! The judge: a scenario's execution against its expectation, a verdict per rule, and every
//! difference explained in words (which item, expected where, found where).
//!
//! The expectation is the scenario's snapshot (the file people review) when there is one, else the
//! oracle's; the two must agree, and a disagreement is reported as an expectation error. Each
//! difference between the expected and the actual tenant is attributed to the one rule that
//! explains it best, using the oracle's reasons (which participant routes where, and how; which
//! window holds the item). Invariants that need no expectation (DEDUP, CONTENT, FOLDER, REPORT,
//! SIZE and ROUTE-DROP reporting) are checked directly.

use std::collections::{BTreeMap, BTreeSet};

use chrono::DateTime;
use tm_simulator::{FOLDER_NAME, Kind, MAX_ITEM_BYTES};

use crate::digest::{Digest, Snapshot, same_text};
use crate::manners;
use crate::oracle::{ArchiveFacts, Expectation, ItemExpectation, OracleError, Outcome, Via, at};
use crate::requirements::Rule;
use crate::runner::{Execution, ReportFile, RunOutcome, is_import};

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

struct Judging<'a> {
    exec: &'a Execution,
    facts: &'a ArchiveFacts,
    oracle: &'a Expectation,
    actual: &'a Digest,
    /// item id → mailbox → folders holding it.
    found: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// item id → reasons reported for it.
    reported: BTreeMap<String, BTreeSet<String>>,
    /// (person, mailbox) the connector demonstrably routes: an item with that actor, which only
    /// the actor routes to that mailbox, is there.
    can_route: BTreeSet<(u32, String)>,
    /// Kinds of routing the connector demonstrably does for an actor.
    routes_by: BTreeSet<Via>,
    /// Items whose download the fault plan truncated or reset (TRUNCATION).
    cut: BTreeSet<String>,
    /// Items whose download or import the fault plan reset (RESUME).
    reset: BTreeSet<String>,
    /// Oracle windows whose scheduled run failed (RESUME).
    failed_windows: BTreeSet<usize>,
    /// How much each manners check saw (RETRY-AFTER, BACKOFF, CONCURRENCY, REAUTH).
    manners_seen: BTreeMap<Rule, usize>,
    findings: BTreeMap<Rule, Vec<String>>,
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
                let no_email_there = !e.participants.iter().any(|p| p.email_mailbox.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(m)));
                if same_way && (*actor_via == Via::Email || no_email_there) {
                    routes_by.insert(*actor_via);
                }
            }
        }
        let mut cut = BTreeSet::new();
        let mut reset = BTreeSet::new();
        for e in &exec.journal {
            let (Some(fault), Some(id)) = (e.fault.as_deref(), e.item_id.as_ref()) else { continue };
            let download = e.api == "vendor" && e.op == "raw";
            if download && (fault.starts_with("body truncated") || fault.starts_with("connection reset")) {
                cut.insert(id.clone());
            }
            if (download || (e.api == "tenant" && e.op == "import")) && fault.starts_with("connection reset") {
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
        Judging {
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
            manners_seen: BTreeMap::new(),
            findings: BTreeMap::new(),
        }
    }

    /// The item lies in the window of a run that failed (under the fault plan).
    fn in_failed_window(&self, e: &ItemExpectation) -> bool {
        e.window.is_some_and(|w| self.failed_windows.contains(&w))
    }

    /// RETRY-AFTER, BACKOFF, CONCURRENCY and REAUTH from the access log; the last run under a
    /// fault plan must complete (RESUME).
    fn manners(&mut self) {
        let throttle = self.exec.state.scenario.throttle;
        let traffic: Vec<manners::RunTraffic<'_>> = self
            .exec
            .runs
            .iter()
            .map(|r| manners::RunTraffic {
                number: r.index + 1,
                requests: &self.exec.requests[r.requests.clone()],
                journal: &self.exec.journal[r.journal.clone()],
                throttle,
            })
            .collect();
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

    fn add(&mut self, rule: Rule, finding: String) {
        self.findings.entry(rule).or_default().push(finding);
    }

    fn describe(&self, id: &str) -> String {
        match self.facts.get(id) {
            Some(f) => format!("item {id} ({})", f.label),
            None => format!("message {id}"),
        }
    }

    fn where_found(&self, id: &str) -> String {
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

    fn person(&self, p: u32) -> &str {
        &self.facts.persons[p as usize].id
    }

    fn why_expected(&self, e: &ItemExpectation, mailbox: &str) -> String {
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
    fn region_processed(&self, id: &str) -> bool {
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
        } else if f.size == MAX_ITEM_BYTES {
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
            let rule = if self.in_failed_window(e) {
                Rule::Resume
            } else if !anywhere && reasons.is_empty() {
                if self.region_processed(id) {
                    self.special_rule(id).unwrap_or_else(|| self.route_rule(e, item.actor, mailbox))
                } else {
                    self.window_rule(e)
                }
            } else if !anywhere && !reasons.contains("user_mapping") {
                if reasons.contains("item_too_large") && item.size <= MAX_ITEM_BYTES {
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
            return (Rule::Size, format!("nowhere: it is over {MAX_ITEM_BYTES} bytes (item_too_large)"));
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
            e.participants.iter().filter(|p| p.email_mailbox.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(mailbox))).collect();
        if !window.auto_mapping && !by_email.is_empty() {
            let who: Vec<&str> = by_email.iter().map(|p| self.person(p.person)).collect();
            return (
                Rule::RouteAutoOff,
                format!("{} (automatic mapping is off, so {}'s email address routes nowhere)", elsewhere(e), who.join(", ")),
            );
        }
        if let Some(p) = by_email.iter().find(|p| matches!(&p.route, Some((m, Via::Mapping)) if !m.eq_ignore_ascii_case(mailbox))) {
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
        // DEDUP: no (mailbox, item) twice.
        for ((mailbox, id), n) in self.actual.deliveries() {
            if n > 1 {
                let folders = self.found.get(&id).and_then(|m| m.get(&mailbox)).cloned().unwrap_or_default().join(", ");
                let resumed = self.reset.contains(&id) || self.oracle.items.get(&id).is_some_and(|e| self.in_failed_window(e));
                let (rule, why) = if resumed {
                    (Rule::Resume, if self.reset.contains(&id) { " after a connection reset" } else { " after a failed run" })
                } else {
                    (Rule::Dedup, "")
                };
                self.add(rule, format!("{}: imported {n} times into {mailbox}{why} (folders: {folders})", self.describe(&id)));
            }
        }
        // FOLDER.
        for (mailbox, folders) in &self.actual.tenant {
            let archive_like = folders.keys().filter(|f| f.eq_ignore_ascii_case(FOLDER_NAME)).count();
            if archive_like > 1 {
                self.add(Rule::Folder, format!("{mailbox} has {archive_like} folders named like `{FOLDER_NAME}`"));
            }
            let initial = self.exec.initial.iter().find(|m| m.address.eq_ignore_ascii_case(mailbox));
            for (folder, ids) in folders {
                let existed = initial.is_some_and(|m| m.folders.iter().any(|f| &f.name == folder));
                if folder != FOLDER_NAME {
                    if !ids.is_empty() {
                        let sample: Vec<&str> = ids.iter().take(3).map(String::as_str).collect();
                        let more = if ids.len() > 3 { format!(" and {} more", ids.len() - 3) } else { String::new() };
                        self.add(
                            Rule::Folder,
                            format!(
                                "{} item(s) in {mailbox} / `{folder}` ({}{more}): expected in `{FOLDER_NAME}`",
                                ids.len(),
                                sample.join(", ")
                            ),
                        );
                    } else if !existed {
                        self.add(Rule::Folder, format!("folder `{folder}` was created in {mailbox}; only `{FOLDER_NAME}` may be"));
                    }
                } else if ids.is_empty() && !existed {
                    self.add(Rule::Folder, format!("`{FOLDER_NAME}` was created empty in {mailbox} (it is created on first use)"));
                }
            }
        }
        // CONTENT: byte for byte.
        let mut content = Vec::new();
        for mailbox in &self.exec.last {
            for folder in &mailbox.folders {
                for view in &folder.items {
                    let Some(id) = &view.id else {
                        content.push((None, format!("a message without ArchiveMessageID is in {} / {}", mailbox.address, folder.name)));
                        continue;
                    };
                    let Some(item) = self.exec.state.archive.get(id) else { continue };
                    let sha = self.exec.state.archive.sha256(item);
                    let size = self.exec.state.archive.size(item);
                    if sha != view.sha256 || size != view.size {
                        let cut = if self.cut.contains(id) { " (its download was cut short: imported as if whole)" } else { "" };
                        content.push((
                            Some(id.clone()),
                            format!(
                                "{}: the copy in {} / {} has {} bytes, sha256 {}; the archive's has {} bytes, sha256 {}{cut}",
                                self.describe(id),
                                mailbox.address,
                                folder.name,
                                view.size,
                                short(&view.sha256),
                                size,
                                short(&sha)
                            ),
                        ));
                    }
                }
            }
        }
        for (id, c) in content {
            let rule = if id.as_deref().is_some_and(|i| self.cut.contains(i)) { Rule::Truncation } else { Rule::Content };
            self.add(rule, c);
        }
        // SIZE and ROUTE-DROP: what is imported nowhere must be reported, with its reason, by a
        // completed run whose reported window holds it (what no completed run covered is a gap:
        // INCREMENTAL). A recall left unreported is RECALL.
        let covered: Vec<(i64, i64)> = self
            .exec
            .runs
            .iter()
            .filter(|r| r.outcome == RunOutcome::Completed)
            .filter_map(|r| match &r.report {
                ReportFile::Parsed(p) => {
                    let t = |s: &str| DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_millis());
                    t(&p.window.from).zip(t(&p.window.to))
                }
                _ => None,
            })
            .collect();
        for (id, e) in &self.oracle.items {
            let Some(item) = self.facts.get(id) else { continue };
            if self.found.contains_key(id) || !covered.iter().any(|(f, t)| *f <= item.captured_ms && item.captured_ms < *t) {
                continue;
            }
            let reasons = self.reported.get(id);
            let has = |r: &str| reasons.is_some_and(|x| x.contains(r));
            let routes_nowhere = e.participants.iter().all(|p| p.route.is_none());
            let recall = item.kind == Kind::Recall || item.recalled;
            match e.outcome {
                Outcome::TooLarge if !(has("item_too_large") || routes_nowhere && has("user_mapping")) => {
                    let msg = format!("{}: {} bytes, in no mailbox, but no report names it item_too_large", self.describe(id), item.size);
                    self.add(Rule::Size, msg);
                }
                Outcome::Drop if !has("user_mapping") => {
                    let msg = format!("{}: routed nowhere, in no mailbox, but no report names it user_mapping", self.describe(id));
                    self.add(if recall { Rule::Recall } else { Rule::RouteDrop }, msg);
                }
                _ => {}
            }
        }
        self.reports();
    }

    fn reports(&mut self) {
        let any = self.exec.has_reports();
        let mut out = Vec::new();
        for run in &self.exec.runs {
            let n = run.index + 1;
            if run.outcome != RunOutcome::Completed {
                continue;
            }
            let report = match &run.report {
                ReportFile::Missing if any => {
                    out.push(format!("run {n} completed but wrote no report"));
                    continue;
                }
                ReportFile::Missing => continue,
                ReportFile::Invalid(e) => {
                    out.push(format!("run {n}: the report is not a contract v1 report: {e}"));
                    continue;
                }
                ReportFile::Parsed(r) => r,
            };
            let c = &report.counts;
            if c.failed != report.failures.len() as u64 {
                out.push(format!("run {n}: counts.failed is {} but {} failures are listed", c.failed, report.failures.len()));
            }
            let imports = self.exec.journal[run.journal.clone()].iter().filter(|e| is_import(e)).count() as u64;
            if c.imported != imports {
                out.push(format!("run {n}: counts.imported is {} but the tenant received {imports} imports during the run", c.imported));
            }
            let parse = |s: &str| DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_millis());
            match parse(&report.run_at) {
                Some(ms) if ms == run.at.timestamp_millis() => {}
                _ => out.push(format!("run {n}: run_at {:?} is not the RUN_AT given ({})", report.run_at, at(run.at.timestamp_millis()))),
            }
            match (parse(&report.window.from), parse(&report.window.to)) {
                (Some(from), Some(to)) if from <= to => {
                    let in_window: BTreeSet<&str> =
                        self.facts.items.iter().filter(|i| from <= i.captured_ms && i.captured_ms < to).map(|i| i.id.as_str()).collect();
                    if c.items != in_window.len() as u64 {
                        out.push(format!(
                            "run {n}: counts.items is {} but the archive lists {} items in the reported window [{}, {})",
                            c.items,
                            in_window.len(),
                            report.window.from,
                            report.window.to
                        ));
                    }
                    let held = run.held_before.iter().filter(|(_, id)| in_window.contains(id.as_str())).count() as u64;
                    if c.skipped_duplicate > held {
                        out.push(format!(
                            "run {n}: counts.skipped_duplicate is {} but the tenant held only {held} deliveries of the window before the run",
                            c.skipped_duplicate
                        ));
                    }
                }
                _ => out.push(format!(
                    "run {n}: the window [{:?}, {:?}) is not a pair of RFC 3339 times in order",
                    report.window.from, report.window.to
                )),
            }
            for f in &report.failures {
                if self.facts.get(&f.item_id).is_none() {
                    out.push(format!("run {n}: a failure names item {:?}, which the archive does not have", f.item_id));
                }
                if !["user_mapping", "item_too_large", "malformed_item", "sink_rejected"].contains(&f.reason.as_str()) {
                    out.push(format!("run {n}: failure of {} has reason {:?}, not one of the contract's", f.item_id, f.reason));
                }
                if let Some(m) = &f.mailbox
                    && self.exec.state.directory.lookup(m).is_none()
                {
                    out.push(format!("run {n}: failure of {} names mailbox {m:?}, which is no valid mailbox", f.item_id));
                }
            }
        }
        for o in out {
            self.add(Rule::Report, o);
        }
    }

    fn exercised(&self, rule: Rule) -> Result<String, String> {
        let items = || self.oracle.items.values();
        let delivered = items().filter(|e| matches!(e.outcome, Outcome::Deliver(_))).count();
        let count =
            |n: usize, what: &str| if n > 0 { Ok(format!("{n} {what}")) } else { Err("not exercised by this scenario".to_string()) };
        match rule {
            Rule::RouteMap => count(
                items()
                    .filter(|e| {
                        e.participants.iter().any(|p| {
                            matches!(&p.route, Some((_, Via::Mapping)))
                                || p.mapped && p.email_mailbox.is_some() && !matches!(&p.route, Some((_, Via::Email)))
                        })
                    })
                    .count(),
                "items with mapped participants",
            ),
            Rule::RouteEmail => count(
                items().filter(|e| e.participants.iter().any(|p| matches!(&p.route, Some((_, Via::Email))))).count(),
                "items routed by email address",
            ),
            Rule::RouteAutoOff => count(
                items()
                    .filter(|e| {
                        e.window.is_some_and(|w| !self.oracle.windows[w].auto_mapping)
                            && e.participants.iter().any(|p| {
                                p.email_mailbox.is_some() && p.route.as_ref().is_none_or(|r| Some(&r.0) != p.email_mailbox.as_ref())
                            })
                    })
                    .count(),
                "items an email address would route with automatic mapping on",
            ),
            Rule::RouteFanout => {
                count(items().filter(|e| matches!(&e.outcome, Outcome::Deliver(m) if m.len() > 1)).count(), "items for several mailboxes")
            }
            Rule::RouteDrop => count(items().filter(|e| e.outcome == Outcome::Drop).count(), "items routed nowhere"),
            Rule::Folder | Rule::Content => count(delivered, "items imported"),
            Rule::Size => count(
                self.facts.items.iter().filter(|f| f.size >= MAX_ITEM_BYTES && self.oracle.items[&f.id].window.is_some()).count(),
                "items of 10,485,760 bytes or more",
            ),
            Rule::Recall => count(
                self.facts
                    .items
                    .iter()
                    .filter(|f| f.kind == Kind::Recall && matches!(self.oracle.items[&f.id].outcome, Outcome::Deliver(_)))
                    .count(),
                "recalls",
            ),
            Rule::Window => count(items().filter(|e| e.window == Some(0)).count(), "items in the first window"),
            Rule::Incremental => count(items().filter(|e| e.window.is_some_and(|w| w > 0)).count(), "items in later windows"),
            Rule::Dedup => {
                let reruns = self.exec.runs.len() > 1;
                if reruns {
                    count(delivered, "items imported over several runs")
                } else {
                    Err("not exercised by this scenario (one run)".into())
                }
            }
            Rule::RetryAfter => count(self.manners_seen[&rule], "answers with Retry-After followed by a retry"),
            Rule::Backoff => count(self.manners_seen[&rule], "retried runs of 5xx answers"),
            Rule::Concurrency => count(self.manners_seen[&rule], "mailbox-runs with tenant requests"),
            Rule::Reauth => count(self.manners_seen[&rule], "vendor requests answered 401 invalid_token"),
            Rule::Resume => {
                let resumed = self
                    .exec
                    .runs
                    .iter()
                    .filter(|r| matches!(r.outcome, RunOutcome::Failed(_) | RunOutcome::TimedOut))
                    .filter(|r| self.exec.runs[r.index + 1..].iter().any(|n| n.outcome == RunOutcome::Completed))
                    .count();
                count(resumed + self.reset.len(), "failed runs resumed and items whose transfer was reset")
            }
            Rule::Truncation => count(self.cut.len(), "items whose download was cut short"),
            Rule::Report => {
                if !self.exec.has_reports() {
                    Err("skipped: the connector wrote no run report".into())
                } else {
                    count(self.exec.runs.iter().filter(|r| matches!(r.report, ReportFile::Parsed(_))).count(), "reports")
                }
            }
        }
    }

    fn verdicts(&mut self) -> Vec<RuleVerdict> {
        Rule::ALL
            .into_iter()
            .map(|rule| {
                let findings = self.findings.remove(&rule).unwrap_or_default();
                let exercised = self.exercised(rule);
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

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}
