//! `tm-conformance compare OLD.json NEW.json`: the text of a comparison of two hand-built reports
//! (an insta snapshot people review), and the command on real reports: the FOLDER mutant's
//! against the reference connector's is a regression (exit 1), a report against itself changes
//! nothing (exit 0), an unreadable report is an input error naming the file (exit 2).

use std::process::Command;

use tm_conformance::compare::compare;
use tm_conformance::report::SuiteReport;
use tm_conformance::waivers::{Waiver, WaiverOutcome, WaiverStatus};
use tm_conformance::{Rule, RuleVerdict, ScenarioVerdict, Verdict};

use super::support::rule;

/// A scenario: the rules given with their verdict and findings, every other rule passed.
fn scenario(name: &str, verdicts: &[(&str, Verdict, &[&str])]) -> ScenarioVerdict {
    let rules = Rule::all()
        .iter()
        .map(|&r| {
            let (verdict, findings) = verdicts.iter().find(|(id, ..)| rule(id) == r).map_or((Verdict::Pass, &[][..]), |(_, v, f)| (*v, *f));
            let waiver = (verdict == Verdict::Waived).then(|| "issue 31".to_string());
            RuleVerdict { rule: r, verdict, note: "n".into(), findings: findings.iter().map(|f| f.to_string()).collect(), waiver }
        })
        .collect();
    ScenarioVerdict::of_rules(name, rules)
}

#[test]
fn the_comparison_of_two_hand_built_reports_reads_as_reviewed() {
    use Verdict::*;
    let old = SuiteReport::new(
        "old".into(),
        vec![
            scenario("folder", &[("FOLDER", Fail, &["item a in the wrong folder"]), ("SIZE", Skipped, &[])]),
            scenario(
                "route-map",
                &[
                    ("ROUTE-MAP", Fail, &["item m-1 missing", "item m-2 missing"]),
                    ("DEDUP", Waived, &["twice"]),
                    ("REPORT", Fail, &["counts"]),
                ],
            ),
            scenario("window", &[]),
        ],
    );
    let new = SuiteReport::new(
        "new".into(),
        vec![
            scenario("folder", &[("SIZE", Skipped, &[]), ("CONTENT", Fail, &["item c altered"]), ("WINDOW", Skipped, &[])]),
            scenario(
                "route-map",
                &[
                    ("ROUTE-MAP", Fail, &["item m-2 missing", "item m-3 missing"]),
                    ("DEDUP", Fail, &["twice"]),
                    ("REPORT", Waived, &["counts"]),
                ],
            ),
            scenario("late", &[("LATE", Skipped, &[])]),
        ],
    );
    let (mut old, mut new) = (old, new);
    let dedup = Waiver { entry: 1, rule: rule("DEDUP"), scenario: Some("route-map".into()), reason: "issue 31".into(), expires: None };
    let outcome = |status, waived_in: &[&str]| WaiverOutcome {
        file: "w.toml".into(),
        waiver: dedup.clone(),
        status,
        waived_in: waived_in.iter().map(|s| s.to_string()).collect(),
    };
    old.waivers = vec![outcome(WaiverStatus::Applied, &["route-map"])];
    new.waivers = vec![outcome(WaiverStatus::Expired, &[])];
    let c = compare(&old, &new, "old.json", "new.json");
    assert!(c.regressed());
    // One line a YAML item, for people to read.
    insta::assert_yaml_snapshot!("compare_text", c.to_text().lines().collect::<Vec<_>>());
    let same = compare(&new, &new, "new.json", "new.json");
    assert!(!same.regressed() && same.changes.is_empty(), "{}", same.to_text());
}

fn conformance() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tm-conformance"))
}

#[test]
fn compare_of_a_mutant_against_the_reference_exits_1_naming_the_regression() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (reference, mutant) = (dir.path().join("reference.json"), dir.path().join("mutant.json"));
    let out = conformance().args(["run", "--scenario", "folder", "--json"]).arg(&reference).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let cmd = format!("{} --mutation folder-name", env!("CARGO_BIN_EXE_tm-mutant"));
    let out = conformance().args(["run", "--scenario", "folder", "--connector-cmd", &cmd, "--json"]).arg(&mutant).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));

    let json = dir.path().join("c.json");
    let out = conformance().arg("compare").arg(&reference).arg(&mutant).arg("--json").arg(&json).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("regressions (2):\n  FOLDER: pass -> fail\n  folder / FOLDER: pass -> fail\n"), "{text}");
    assert!(text.contains("      + 3 item(s) in han.mei@contoso.cn / `WeChat Archive`"), "{text}");
    assert!(text.contains("REGRESSED"), "{text}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).expect("json")).expect("JSON");
    assert_eq!(v["regressed"], true);
    assert_eq!(v["regressions"][1]["subject"], "folder / FOLDER");

    // The other way round the same change is an improvement.
    let out = conformance().arg("compare").arg(&mutant).arg(&reference).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("regressions: none\n\nimprovements (2):\n  FOLDER: fail -> pass"), "{text}");

    let out = conformance().arg("compare").arg(&reference).arg(&reference).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("regressions: none\n\nimprovements: none\n\nother changes: none\n"), "{text}");
    assert!(text.contains(&format!("unchanged: {}", 2 * Rule::all().len())), "{text}");

    let missing = dir.path().join("nope.json");
    let out = conformance().arg("compare").arg(&reference).arg(&missing).output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("nope.json"), "{err}");
    std::fs::write(&missing, "{\"connector\": 1}").expect("written");
    let out = conformance().arg("compare").arg(&missing).arg(&reference).output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("nope.json: not a tm-conformance JSON report") && err.contains("line 1"), "{err}");
}
