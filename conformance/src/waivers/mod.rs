//! Waivers (`--expect-failures FILE`): known gaps accepted for a while, without hiding them.
//!
//! A waiver names a rule, optionally a scenario, a reason, and optionally the last day it holds.
//! Waivers are applied after judging (the judge stays the judge): a failed rule that a live waiver
//! matches becomes [`Verdict::Waived`], keeps its findings and carries the waiver's reason; waived
//! alone does not fail the run. A waiver fails the run when it has expired (today, UTC, is after
//! `expires`), whatever was run, or when it is *unmatched*: it waived nothing although this
//! invocation judged everything it could match (the gap was fixed: remove the entry). A waiver
//! that this invocation could not have matched (its rule not selected by `--rule`, its scenario
//! not run, or, for a waiver of every scenario, not all of its rule's catalogue scenarios run: a
//! `--scenario`, `--rule` or `--shard` run) is `not-checked`, and does not fail the run.
//!
//! The day is the one place the wall clock matters: the caller passes it ([`today`]), tests pass a
//! fixed day, and `TM_CONFORMANCE_TODAY=YYYY-MM-DD` overrides it for reproducible runs.

mod file;

use std::collections::BTreeSet;
use std::path::Path;

use chrono::NaiveDate;

use crate::judge::Verdict;
use crate::report::SuiteReport;
use crate::requirements::Rule;

pub use file::{Syntax, WaiverError, parse, parse_day, read_file};

/// One entry of a waiver file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    /// Its place in the file, from 1.
    pub entry: usize,
    /// The rule whose failure it accepts.
    pub rule: Rule,
    /// Only in this scenario (`None`: in every scenario).
    pub scenario: Option<String>,
    /// Why the failure is accepted (never empty).
    pub reason: String,
    /// The last day it holds (UTC).
    pub expires: Option<NaiveDate>,
}

impl Waiver {
    /// `FOLDER in folder`, `FOLDER in every scenario`.
    pub fn what(&self) -> String {
        match &self.scenario {
            Some(s) => format!("{} in {s}", self.rule),
            None => format!("{} in every scenario", self.rule),
        }
    }

    fn matches(&self, scenario: &str, rule: Rule) -> bool {
        self.rule == rule && self.scenario.as_deref().is_none_or(|s| s == scenario)
    }
}

/// What became of a waiver in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WaiverStatus {
    /// It waived at least one failure.
    Applied,
    /// It matched no failure although everything it could match was judged: fails the run.
    Unmatched,
    /// Today is after its `expires`: it waives nothing and fails the run.
    Expired,
    /// Nothing it could match was judged in this invocation (a partial run).
    NotChecked,
}

impl WaiverStatus {
    /// `applied`, `unmatched`, `expired`, `not-checked`.
    pub fn as_str(self) -> &'static str {
        match self {
            WaiverStatus::Applied => "applied",
            WaiverStatus::Unmatched => "unmatched",
            WaiverStatus::Expired => "expired",
            WaiverStatus::NotChecked => "not-checked",
        }
    }

    /// The status of its name (`as_str`'s inverse).
    pub fn from_str_opt(name: &str) -> Option<WaiverStatus> {
        [WaiverStatus::Applied, WaiverStatus::Unmatched, WaiverStatus::Expired, WaiverStatus::NotChecked]
            .into_iter()
            .find(|s| s.as_str() == name)
    }

    /// Whether it fails the run.
    pub fn fails(self) -> bool {
        matches!(self, WaiverStatus::Unmatched | WaiverStatus::Expired)
    }
}

/// A waiver and what became of it, as the reports show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaiverOutcome {
    /// The waiver file, as given.
    pub file: String,
    /// The entry.
    pub waiver: Waiver,
    /// What became of it.
    pub status: WaiverStatus,
    /// The scenarios where it waived a failure (in the order run).
    pub waived_in: Vec<String>,
}

impl WaiverOutcome {
    /// One line for people: `waiver 2 of w.toml (FOLDER in folder, until 2027-01-31): ...`.
    pub fn describe(&self) -> String {
        let w = &self.waiver;
        let until = w.expires.map(|d| format!(", until {d}")).unwrap_or_default();
        let what = match self.status {
            WaiverStatus::Applied => format!("waived in {}", self.waived_in.join(", ")),
            WaiverStatus::Unmatched => "matches no failure of this run: the gap is fixed? remove the entry".into(),
            WaiverStatus::Expired => "expired: it waives nothing; fix the gap or renew the entry".into(),
            WaiverStatus::NotChecked => "not checked: nothing it could match was judged in this run".into(),
        };
        format!("waiver {} of {} ({}{until}): {what}; reason: {}", w.entry, self.file, w.what(), w.reason)
    }
}

/// What one invocation judged, for telling an unmatched waiver from one not checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Every scenario of the fixtures (with runs).
    pub available: BTreeSet<String>,
    /// The scenarios run in this invocation.
    pub run: BTreeSet<String>,
    /// The rules judged (`None`: every rule; else `--rule`'s).
    pub rules: Option<BTreeSet<Rule>>,
}

impl Scope {
    /// Whether this invocation judged everything `w` could match.
    pub fn covers(&self, w: &Waiver) -> bool {
        if self.rules.as_ref().is_some_and(|r| !r.contains(&w.rule)) {
            return false;
        }
        match &w.scenario {
            Some(s) => self.run.contains(s),
            None => {
                let catalogued: BTreeSet<String> =
                    w.rule.requirement().scenarios.iter().map(|s| s.to_string()).filter(|s| self.available.contains(s)).collect();
                let needed = if catalogued.is_empty() { &self.available } else { &catalogued };
                needed.is_subset(&self.run)
            }
        }
    }
}

/// Today (UTC) for expiry: `override_day` (`TM_CONFORMANCE_TODAY`) when given, else the clock.
pub fn today(override_day: Option<&str>) -> Result<NaiveDate, String> {
    match override_day {
        Some(text) => parse_day(text.trim()).map_err(|m| format!("TM_CONFORMANCE_TODAY (--today): {m}")),
        None => Ok(chrono::Utc::now().date_naive()),
    }
}

/// A waiver file read for one run, and the day its expiries are judged on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaiverFile {
    /// The file, as given.
    pub file: String,
    /// Its entries.
    pub entries: Vec<Waiver>,
    /// Today (UTC), or `TM_CONFORMANCE_TODAY`'s day.
    pub today: NaiveDate,
}

impl WaiverFile {
    /// Reads `path` (entries may name the scenarios `available`) and settles today ([`today`]).
    pub fn load(path: &Path, available: &[String], today_override: Option<&str>) -> Result<WaiverFile, WaiverError> {
        let today = today(today_override).map_err(WaiverError::Today)?;
        let entries = read_file(path, &available.iter().cloned().collect())?;
        Ok(WaiverFile { file: path.display().to_string(), entries, today })
    }

    /// Applies the waivers to a judged report of the scenarios it holds, out of `available`,
    /// judged on `rules` (`None`: every rule).
    pub fn apply_to(&self, report: &mut SuiteReport, available: &[String], rules: Option<&BTreeSet<Rule>>) {
        let run = report.scenarios.iter().map(|s| s.scenario.clone()).collect();
        let scope = Scope { available: available.iter().cloned().collect(), run, rules: rules.cloned() };
        apply(report, &self.file, &self.entries, self.today, &scope);
    }
}

/// The waivers a report records (its `waivers`' entries, once each), as a file to apply again to
/// the same verdicts judged again (`verify` of a bundle) on the day the run judged expiry on;
/// `None` when it records none.
pub fn recorded(report: &SuiteReport, today: NaiveDate) -> Option<WaiverFile> {
    let first = report.waivers.first()?;
    let mut entries: Vec<Waiver> = Vec::new();
    for o in &report.waivers {
        if !entries.iter().any(|w| w.entry == o.waiver.entry) {
            entries.push(o.waiver.clone());
        }
    }
    Some(WaiverFile { file: first.file.clone(), entries, today })
}

/// Applies waivers to a judged report: failed rules a live waiver matches become waived (the most
/// specific waiver's reason: one naming the scenario, else the first in the file), and
/// `report.waivers` says what became of each waiver.
pub fn apply(report: &mut SuiteReport, file: &str, waivers: &[Waiver], today: NaiveDate, scope: &Scope) {
    let live = |w: &&Waiver| w.expires.is_none_or(|d| today <= d);
    let mut waived_in: Vec<Vec<String>> = vec![Vec::new(); waivers.len()];
    for s in &mut report.scenarios {
        for r in s.rules.iter_mut().filter(|r| r.verdict == Verdict::Fail) {
            let matching: Vec<(usize, &Waiver)> =
                waivers.iter().enumerate().filter(|(_, w)| live(w) && w.matches(&s.scenario, r.rule)).collect();
            let Some((_, chosen)) = matching.iter().min_by_key(|(i, w)| (w.scenario.is_none(), *i)) else { continue };
            r.verdict = Verdict::Waived;
            r.waiver = Some(chosen.reason.clone());
            for (i, _) in &matching {
                if waived_in[*i].last() != Some(&s.scenario) {
                    waived_in[*i].push(s.scenario.clone());
                }
            }
        }
    }
    report.waivers = waivers
        .iter()
        .zip(waived_in)
        .map(|(w, waived_in)| {
            let status = status(!live(&w), &waived_in, scope, w);
            WaiverOutcome { file: file.to_string(), waiver: w.clone(), status, waived_in }
        })
        .collect();
}

/// A waiver's status: expired first, then applied where it waived a failure, else unmatched
/// when the run covered what it names, else not checked (one decision for `apply` and
/// `reconcile`).
fn status(expired: bool, waived_in: &[String], scope: &Scope, w: &Waiver) -> WaiverStatus {
    if expired {
        WaiverStatus::Expired
    } else if !waived_in.is_empty() {
        WaiverStatus::Applied
    } else if scope.covers(w) {
        WaiverStatus::Unmatched
    } else {
        WaiverStatus::NotChecked
    }
}

/// Settles the waivers of a report merged from partial runs (the shards of one suite): each waiver
/// once (by file and entry), its `waived_in` and status recomputed from the merged verdicts as
/// [`apply`] decides them for one run of all those scenarios: expired if any part found it
/// expired; applied where a failure of its rule is waived in a scenario it matches; else
/// unmatched if the merged scenarios and rules cover it, else not checked. The rules judged are
/// those some scenario reports otherwise than [`NOT_SELECTED`](crate::selection::NOT_SELECTED).
pub fn reconcile(report: &mut SuiteReport, available: &[String]) {
    let run: BTreeSet<String> = report.scenarios.iter().map(|s| s.scenario.clone()).collect();
    let verdicts = || report.scenarios.iter().flat_map(|s| &s.rules);
    let selected = |r: &&crate::judge::RuleVerdict| r.note != crate::selection::NOT_SELECTED;
    let rules = verdicts().any(|r| !selected(&r)).then(|| verdicts().filter(selected).map(|r| r.rule).collect());
    let scope = Scope { available: available.iter().cloned().collect(), run, rules };
    let all = std::mem::take(&mut report.waivers);
    let mut settled: Vec<WaiverOutcome> = Vec::new();
    for o in &all {
        if settled.iter().any(|s| s.file == o.file && s.waiver.entry == o.waiver.entry) {
            continue;
        }
        let copies = || all.iter().filter(|c| c.file == o.file && c.waiver.entry == o.waiver.entry);
        let w = &o.waiver;
        let waived_in: Vec<String> = report
            .scenarios
            .iter()
            .filter(|s| w.scenario.as_deref().is_none_or(|x| x == s.scenario) && s.verdict(w.rule) == Verdict::Waived)
            .map(|s| s.scenario.clone())
            .collect();
        let status = status(copies().any(|c| c.status == WaiverStatus::Expired), &waived_in, &scope, w);
        let waived_in = if status == WaiverStatus::Expired { Vec::new() } else { waived_in };
        settled.push(WaiverOutcome { file: o.file.clone(), waiver: w.clone(), status, waived_in });
    }
    report.waivers = settled;
}

#[cfg(test)]
mod tests;
