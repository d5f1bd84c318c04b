//! Two runs compared (`tm-conformance compare OLD.json NEW.json`): per rule (its verdict over all
//! scenarios) and per (scenario, rule), the verdicts that changed and the findings that appeared
//! or disappeared (set difference of their texts); scenarios present in only one report; waivers
//! whose status changed. Pure: two [`SuiteReport`]s in, a [`Comparison`] out.
//!
//! How a verdict change is classified ([`classify`]); *failing* is `fail` or `waived` (a waived
//! rule is broken, only accepted):
//!
//! | from → to | class |
//! | --- | --- |
//! | pass → fail, pass → waived, waived → fail | regression |
//! | fail → pass, waived → pass | improvement |
//! | fail → waived | other change (accepted, not fixed) |
//! | anything ↔ skipped | other change (what was exercised changed) |
//!
//! With the verdict unchanged, findings that appeared under a `fail` are a regression, findings
//! that only disappeared are an improvement, any other change of findings is an other change.
//! Scenarios in one report only and waiver changes are other changes. A comparison has
//! regressed (exit 1) when it has any regression.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use crate::judge::{ScenarioVerdict, Verdict};
use crate::report::SuiteReport;
use crate::requirements::Rule;

/// Most findings shown per change in the text.
const MAX_FINDINGS: usize = 12;

/// How a change is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// Got worse.
    Regression,
    /// Got better.
    Improvement,
    /// Changed, neither better nor worse.
    Other,
}

/// One change between the two reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What changed: `FOLDER` (the rule over all scenarios), `folder / FOLDER`, `scenario folder`,
    /// `waiver FOLDER in folder`.
    pub subject: String,
    /// Before (a verdict, a waiver status, `absent`).
    pub old: String,
    /// After.
    pub new: String,
    /// Findings in the new report only.
    pub appeared: Vec<String>,
    /// Findings in the old report only.
    pub disappeared: Vec<String>,
    /// Regression, improvement or other.
    pub class: Class,
}

/// Everything that changed from one report to the other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// How the old report is named (its file).
    pub old: String,
    /// How the new report is named.
    pub new: String,
    /// The changes: the rules (catalogue order), then the scenarios of the old report only, then
    /// per scenario of the new report (its order) its rules, then the waivers.
    pub changes: Vec<Change>,
    /// Rules and (scenario, rule) pairs compared that did not change.
    pub unchanged: usize,
}

/// The class of a verdict change; `None` when there is none.
pub fn classify(old: Verdict, new: Verdict) -> Option<Class> {
    let failing = |v: Verdict| matches!(v, Verdict::Fail | Verdict::Waived);
    Some(match (old, new) {
        _ if old == new => return None,
        (Verdict::Skipped, _) | (_, Verdict::Skipped) => Class::Other,
        (Verdict::Waived, Verdict::Fail) => Class::Regression,
        (Verdict::Fail, Verdict::Waived) => Class::Other,
        _ if failing(new) => Class::Regression,
        _ => Class::Improvement,
    })
}

/// Compares two reports; `old_name` and `new_name` say which is which (their files).
pub fn compare(old: &SuiteReport, new: &SuiteReport, old_name: &str, new_name: &str) -> Comparison {
    let mut changes = Vec::new();
    let mut unchanged = 0;
    let (old_summary, new_summary) = (old.summary(), new.summary());
    for (o, n) in old_summary.iter().zip(&new_summary) {
        match classify(o.verdict, n.verdict) {
            Some(class) => changes.push(verdict_change(n.rule.id().to_string(), o.verdict, n.verdict, class)),
            None => unchanged += 1,
        }
    }
    let by_name =
        |r: &SuiteReport| -> BTreeMap<String, ScenarioVerdict> { r.scenarios.iter().map(|s| (s.scenario.clone(), s.clone())).collect() };
    let (olds, news) = (by_name(old), by_name(new));
    for s in &old.scenarios {
        if !news.contains_key(&s.scenario) {
            changes.push(presence(&s.scenario, "present", "absent"));
        }
    }
    for s in &new.scenarios {
        let Some(o) = olds.get(&s.scenario) else {
            changes.push(presence(&s.scenario, "absent", "present"));
            continue;
        };
        for &rule in Rule::all() {
            match scenario_rule_change(o, s, rule) {
                Some(c) => changes.push(c),
                None => unchanged += 1,
            }
        }
    }
    changes.extend(waiver_changes(old, new));
    Comparison { old: old_name.to_string(), new: new_name.to_string(), changes, unchanged }
}

fn verdict_change(subject: String, old: Verdict, new: Verdict, class: Class) -> Change {
    Change { subject, old: old.as_str().into(), new: new.as_str().into(), appeared: Vec::new(), disappeared: Vec::new(), class }
}

fn presence(scenario: &str, old: &str, new: &str) -> Change {
    Change {
        subject: format!("scenario {scenario}"),
        old: old.into(),
        new: new.into(),
        appeared: Vec::new(),
        disappeared: Vec::new(),
        class: Class::Other,
    }
}

/// A rule's change in one scenario present in both reports.
fn scenario_rule_change(old: &ScenarioVerdict, new: &ScenarioVerdict, rule: Rule) -> Option<Change> {
    let findings =
        |s: &ScenarioVerdict| -> Vec<String> { s.rules.iter().find(|r| r.rule == rule).map(|r| r.findings.clone()).unwrap_or_default() };
    let (of, nf) = (findings(old), findings(new));
    let (os, ns): (BTreeSet<&String>, BTreeSet<&String>) = (of.iter().collect(), nf.iter().collect());
    let appeared: Vec<String> = nf.iter().filter(|f| !os.contains(f)).cloned().collect();
    let disappeared: Vec<String> = of.iter().filter(|f| !ns.contains(f)).cloned().collect();
    let (ov, nv) = (old.verdict(rule), new.verdict(rule));
    let class = match classify(ov, nv) {
        Some(c) => c,
        None if !appeared.is_empty() && nv == Verdict::Fail => Class::Regression,
        None if !disappeared.is_empty() && appeared.is_empty() => Class::Improvement,
        None if !appeared.is_empty() => Class::Other,
        None => return None,
    };
    let subject = format!("{} / {rule}", new.scenario);
    Some(Change { appeared, disappeared, ..verdict_change(subject, ov, nv, class) })
}

/// Waivers, by rule and scenario, whose status changed (or that are in one report only).
fn waiver_changes(old: &SuiteReport, new: &SuiteReport) -> Vec<Change> {
    let statuses =
        |r: &SuiteReport| -> BTreeMap<String, &'static str> { r.waivers.iter().map(|w| (w.waiver.what(), w.status.as_str())).collect() };
    let (o, n) = (statuses(old), statuses(new));
    let keys: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let (a, b) = (o.get(k).copied().unwrap_or("absent"), n.get(k).copied().unwrap_or("absent"));
            (a != b).then(|| Change {
                subject: format!("waiver {k}"),
                old: a.into(),
                new: b.into(),
                appeared: Vec::new(),
                disappeared: Vec::new(),
                class: Class::Other,
            })
        })
        .collect()
}

impl Comparison {
    /// Whether anything got worse: exit 1.
    pub fn regressed(&self) -> bool {
        self.changes.iter().any(|c| c.class == Class::Regression)
    }

    /// The changes of a class.
    pub fn of(&self, class: Class) -> impl Iterator<Item = &Change> + '_ {
        self.changes.iter().filter(move |c| c.class == class)
    }

    /// For people: regressions, improvements, other changes, the unchanged count.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "tm-conformance compare: {} -> {}", self.old, self.new);
        for (class, title) in [(Class::Regression, "regressions"), (Class::Improvement, "improvements"), (Class::Other, "other changes")] {
            let changes: Vec<&Change> = self.of(class).collect();
            if changes.is_empty() {
                let _ = writeln!(out, "\n{title}: none");
                continue;
            }
            let _ = writeln!(out, "\n{title} ({}):", changes.len());
            for c in changes {
                let _ = writeln!(out, "  {}: {} -> {}", c.subject, c.old, c.new);
                for (sign, findings) in [('+', &c.appeared), ('-', &c.disappeared)] {
                    for f in findings.iter().take(MAX_FINDINGS) {
                        let _ = writeln!(out, "      {sign} {f}");
                    }
                    if findings.len() > MAX_FINDINGS {
                        let _ = writeln!(out, "      {sign} ... and {} more", findings.len() - MAX_FINDINGS);
                    }
                }
            }
        }
        let _ = writeln!(out, "\nunchanged: {}", self.unchanged);
        let verdict = if self.regressed() { "REGRESSED" } else { "no regression" };
        let _ = writeln!(out, "{verdict}");
        out
    }

    /// For machines: the same, grouped by class.
    pub fn to_json(&self) -> serde_json::Value {
        let group = |class: Class| self.of(class).cloned().collect::<Vec<_>>();
        serde_json::json!({
            "old": self.old,
            "new": self.new,
            "regressed": self.regressed(),
            "regressions": group(Class::Regression),
            "improvements": group(Class::Improvement),
            "other_changes": group(Class::Other),
            "unchanged": self.unchanged,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_transition_is_classified_as_documented() {
        use Verdict::*;
        let table = [
            (Pass, Fail, Some(Class::Regression)),
            (Pass, Waived, Some(Class::Regression)),
            (Waived, Fail, Some(Class::Regression)),
            (Fail, Pass, Some(Class::Improvement)),
            (Waived, Pass, Some(Class::Improvement)),
            (Fail, Waived, Some(Class::Other)),
            (Pass, Skipped, Some(Class::Other)),
            (Skipped, Fail, Some(Class::Other)),
            (Fail, Skipped, Some(Class::Other)),
        ];
        for (a, b, class) in table {
            assert_eq!(classify(a, b), class, "{a:?} -> {b:?}");
        }
        for v in [Pass, Fail, Skipped, Waived] {
            assert_eq!(classify(v, v), None);
        }
    }
}
