//! Waivers applied to hand-built reports.

use quickcheck::quickcheck;

use super::*;
use crate::judge::{RuleVerdict, ScenarioVerdict};

fn rule(id: &str) -> Rule {
    Rule::from_id(id).unwrap()
}

fn day(text: &str) -> NaiveDate {
    parse_day(text).unwrap()
}

/// A scenario where the rules of `failing` fail and every other rule passes.
fn scenario(name: &str, failing: &[Rule]) -> ScenarioVerdict {
    let rules = Rule::all()
        .iter()
        .map(|&rule| {
            let fails = failing.contains(&rule);
            let verdict = if fails { Verdict::Fail } else { Verdict::Pass };
            let findings = if fails { vec![format!("{rule} is broken")] } else { Vec::new() };
            RuleVerdict { rule, verdict, note: "n".into(), findings, waiver: None }
        })
        .collect();
    ScenarioVerdict::of_rules(name, rules)
}

fn waiver(entry: usize, id: &str, scenario: Option<&str>, expires: Option<&str>) -> Waiver {
    Waiver { entry, rule: rule(id), scenario: scenario.map(String::from), reason: format!("reason {entry}"), expires: expires.map(day) }
}

fn full_scope(report: &SuiteReport) -> Scope {
    let run: BTreeSet<String> = report.scenarios.iter().map(|s| s.scenario.clone()).collect();
    Scope { available: run.clone(), run, rules: None }
}

#[test]
fn a_waived_failure_keeps_its_findings_and_carries_the_reason() {
    let mut report = SuiteReport::new("c".into(), vec![scenario("folder", &[rule("FOLDER")]), scenario("window", &[])]);
    assert!(report.failed());
    let waivers = [waiver(1, "FOLDER", Some("folder"), Some("2026-12-07"))];
    let scope = full_scope(&report);
    apply(&mut report, "w.toml", &waivers, day("2026-12-07"), &scope);
    let folder = report.scenarios[0].rules.iter().find(|r| r.rule == rule("FOLDER")).unwrap();
    assert_eq!((folder.verdict, folder.waiver.as_deref()), (Verdict::Waived, Some("reason 1")));
    assert_eq!(folder.findings, vec!["FOLDER is broken".to_string()]);
    assert_eq!(report.waivers[0].status, WaiverStatus::Applied);
    assert_eq!(report.waivers[0].waived_in, vec!["folder".to_string()]);
    assert!(!report.failed(), "waived alone does not fail the run (the expiry day itself still holds)");
    let summary = report.summary();
    let s = summary.iter().find(|s| s.rule == rule("FOLDER")).unwrap();
    assert_eq!((s.verdict, s.waived.clone()), (Verdict::Waived, vec!["folder".to_string()]));
}

#[test]
fn an_expired_waiver_waives_nothing_and_fails_the_run() {
    let mut report = SuiteReport::new("c".into(), vec![scenario("folder", &[])]);
    let scope = Scope { rules: Some([rule("WINDOW")].into()), ..full_scope(&report) };
    apply(&mut report, "w.toml", &[waiver(1, "FOLDER", Some("folder"), Some("2026-12-06"))], day("2026-12-07"), &scope);
    assert_eq!(report.waivers[0].status, WaiverStatus::Expired, "expiry is judged whatever was run");
    assert!(report.failed());
    assert!(report.waivers[0].describe().contains("waiver 1 of w.toml (FOLDER in folder, until 2026-12-06): expired"));
}

#[test]
fn a_waiver_is_unmatched_only_where_everything_it_could_match_was_judged() {
    let available: BTreeSet<String> = ["folder", "multi-day", "realistic-day", "window"].into_iter().map(String::from).collect();
    let run = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let scope = |names: &[&str], rules: Option<&[&str]>| Scope {
        available: available.clone(),
        run: run(names),
        rules: rules.map(|ids| ids.iter().map(|id| rule(id)).collect()),
    };
    let folder_everywhere = waiver(1, "FOLDER", None, None);
    let folder_in_folder = waiver(2, "FOLDER", Some("folder"), None);
    // FOLDER's catalogue scenarios: folder, realistic-day, multi-day.
    assert!(scope(&["folder", "multi-day", "realistic-day"], None).covers(&folder_everywhere));
    assert!(!scope(&["folder", "window"], None).covers(&folder_everywhere), "a --scenario or --shard run");
    assert!(scope(&["folder"], None).covers(&folder_in_folder));
    assert!(!scope(&["window"], None).covers(&folder_in_folder));
    assert!(!scope(&["folder"], Some(&["WINDOW"])).covers(&folder_in_folder), "FOLDER not selected by --rule");
    assert!(scope(&["folder"], Some(&["FOLDER"])).covers(&folder_in_folder));

    let mut report = SuiteReport::new("c".into(), vec![scenario("folder", &[])]);
    apply(&mut report, "w.json", &[folder_everywhere, folder_in_folder], day("2026-01-01"), &scope(&["folder"], None));
    let statuses: Vec<WaiverStatus> = report.waivers.iter().map(|w| w.status).collect();
    assert_eq!(statuses, [WaiverStatus::NotChecked, WaiverStatus::Unmatched]);
    assert!(report.failed());
    assert!(report.waivers[1].describe().contains("matches no failure"));
}

#[test]
fn the_most_specific_waiver_gives_the_reason_and_every_matching_waiver_is_applied() {
    let mut report = SuiteReport::new("c".into(), vec![scenario("folder", &[rule("FOLDER")]), scenario("window", &[rule("FOLDER")])]);
    let waivers = [waiver(1, "FOLDER", None, None), waiver(2, "FOLDER", Some("window"), None)];
    let scope = full_scope(&report);
    apply(&mut report, "w.toml", &waivers, day("2026-01-01"), &scope);
    let reason = |i: usize| report.scenarios[i].rules.iter().find(|r| r.rule == rule("FOLDER")).unwrap().waiver.clone();
    assert_eq!((reason(0), reason(1)), (Some("reason 1".into()), Some("reason 2".into())));
    assert_eq!(report.waivers[0].waived_in, ["folder", "window"]);
    assert_eq!(report.waivers[1].waived_in, ["window"]);
    assert!(!report.failed());
}

#[test]
fn today_is_the_override_when_given() {
    assert_eq!(today(Some("2026-12-07")), Ok(day("2026-12-07")));
    assert!(today(Some("tomorrow")).unwrap_err().contains("TM_CONFORMANCE_TODAY"));
    assert!(today(None).is_ok());
}

quickcheck! {
    /// Whatever fails and whatever is waived: a failure becomes waived exactly when a live waiver
    /// matches it, nothing else changes verdict, and the run fails exactly when a failure is left
    /// unwaived or a waiver is unmatched or expired.
    fn apply_waives_exactly_the_matched_failures(fails: Vec<(u8, u8)>, entries: Vec<(u8, Option<u8>, Option<u8>)>) -> bool {
        let all = Rule::all();
        let names = ["a", "b", "c"];
        let failing = |s: usize| -> Vec<Rule> {
            fails.iter().filter(|(sc, _)| usize::from(*sc) % 3 == s).map(|(_, r)| all[usize::from(*r) % all.len()]).collect()
        };
        let before = SuiteReport::new("c".into(), (0..3).map(|s| scenario(names[s], &failing(s))).collect());
        let mut waivers: Vec<Waiver> = Vec::new();
        for (r, s, e) in entries {
            let rule = all[usize::from(r) % all.len()];
            let scenario = s.map(|s| names[usize::from(s) % 3].to_string());
            if waivers.iter().any(|w| w.rule == rule && w.scenario == scenario) {
                continue;
            }
            let expires = e.map(|e| day("2026-12-01") + chrono::Days::new(u64::from(e % 14)));
            waivers.push(Waiver { entry: waivers.len() + 1, rule, scenario, reason: "r".into(), expires });
        }
        let today = day("2026-12-07");
        let mut after = before.clone();
        let scope = full_scope(&after);
        apply(&mut after, "w", &waivers, today, &scope);
        let live = |w: &Waiver| w.expires.is_none_or(|d| today <= d);
        let verdicts_ok = before.scenarios.iter().zip(&after.scenarios).all(|(b, a)| {
            b.rules.iter().zip(&a.rules).all(|(rb, ra)| {
                let waived = rb.verdict == Verdict::Fail && waivers.iter().any(|w| live(w) && w.matches(&b.scenario, rb.rule));
                let expected = if waived { Verdict::Waived } else { rb.verdict };
                ra.verdict == expected && ra.findings == rb.findings && ra.waiver.is_some() == waived
            })
        });
        let unwaived = after.scenarios.iter().any(|s| s.rules.iter().any(|r| r.verdict == Verdict::Fail));
        let bad_waiver = after.waivers.iter().any(|w| w.status.fails());
        verdicts_ok && after.waivers.len() == waivers.len() && after.failed() == (unwaived || bad_waiver)
    }
}

quickcheck! {
    /// Applying waivers to the parts of a suite (shards) and reconciling the merged report gives
    /// what applying them to one run of the whole gives.
    fn shards_reconciled_are_the_whole(fails: Vec<(u8, u8)>, entries: Vec<(u8, Option<u8>, bool)>, cut: u8) -> bool {
        let all = Rule::all();
        let names = ["a", "b", "c", "d"];
        let failing = |s: usize| -> Vec<Rule> {
            fails.iter().filter(|(sc, _)| usize::from(*sc) % 4 == s).map(|(_, r)| all[usize::from(*r) % 5]).collect()
        };
        let whole = SuiteReport::new("c".into(), (0..4).map(|s| scenario(names[s], &failing(s))).collect());
        let mut waivers: Vec<Waiver> = Vec::new();
        for (r, s, expired) in entries {
            let (rule, scenario) = (all[usize::from(r) % 5], s.map(|s| names[usize::from(s) % 4].to_string()));
            if !waivers.iter().any(|w| w.rule == rule && w.scenario == scenario) {
                let expires = expired.then(|| day("2026-01-01"));
                waivers.push(Waiver { entry: waivers.len() + 1, rule, scenario, reason: "r".into(), expires });
            }
        }
        let available: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let today = day("2026-12-07");
        let applied = |mut r: SuiteReport| {
            let scope = Scope { available: available.iter().cloned().collect(), run: r.scenarios.iter().map(|s| s.scenario.clone()).collect(), rules: None };
            apply(&mut r, "w", &waivers, today, &scope);
            r
        };
        let expected = applied(whole.clone());
        let cut = usize::from(cut) % 5;
        let (first, second) = whole.scenarios.split_at(cut);
        let (a, b) = (applied(SuiteReport::new("c".into(), first.to_vec())), applied(SuiteReport::new("c".into(), second.to_vec())));
        let mut merged = SuiteReport::new("c".into(), [a.scenarios, b.scenarios].concat());
        merged.waivers = [a.waivers, b.waivers].concat();
        reconcile(&mut merged, &available);
        merged == expected
    }
}
