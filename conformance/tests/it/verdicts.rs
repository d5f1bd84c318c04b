//! Waivers (`--expect-failures`) and rule selection (`--rule`) through the suite's binary, on a
//! mutant that fails FOLDER on the quick `folder` scenario.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn conformance() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tm-conformance"));
    // A fixed day: expiry never depends on when the test runs.
    c.env("TM_CONFORMANCE_TODAY", "2026-12-07");
    c
}

fn folder_mutant() -> String {
    format!("{} --mutation folder-name", env!("CARGO_BIN_EXE_tm-mutant"))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("written");
    path
}

/// `run --scenario folder` of the FOLDER mutant with these waivers, writing JSON and JUnit.
fn run_mutant_with(waivers: &Path, dir: &Path) -> (Output, String) {
    let out = conformance()
        .args(["run", "--scenario", "folder", "--connector-cmd", &folder_mutant(), "--expect-failures"])
        .arg(waivers)
        .arg("--json")
        .arg(dir.join("v.json"))
        .arg("--junit")
        .arg(dir.join("v.xml"))
        .arg("--html")
        .arg(dir.join("v.html"))
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, text)
}

const FOLDER_WAIVER: &str =
    "[[waiver]]\nrule = \"FOLDER\"\nscenario = \"folder\"\nreason = \"issue 31: renamed folder\"\nexpires = 2026-12-07\n";

#[test]
fn a_waived_failure_passes_the_run_and_every_report_shows_it_with_its_reason() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let waivers = write(dir.path(), "w.toml", FOLDER_WAIVER);
    let (out, text) = run_mutant_with(&waivers, dir.path());
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("  waived:  FOLDER"), "{text}");
    assert!(text.contains("WAIVED FOLDER: 3 difference(s) (waiver: issue 31: renamed folder)"), "{text}");
    assert!(text.contains("expected in `WeChat Archiver`"), "the findings are kept:\n{text}");
    assert!(text.contains("FOLDER           waived      0    0    1    0  waived in folder"), "{text}");
    assert!(text.contains("0 failed, 1 waived"), "{text}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join("v.json")).expect("json")).expect("JSON");
    assert_eq!(v["failed"], false);
    let folder = v["scenarios"][0]["rules"].as_array().expect("rules").iter().find(|r| r["id"] == "FOLDER").expect("FOLDER").clone();
    assert_eq!((folder["verdict"].as_str(), folder["waiver"].as_str()), (Some("waived"), Some("issue 31: renamed folder")));
    assert_eq!(v["waivers"][0]["status"], "applied");
    assert_eq!(v["waivers"][0]["waived_in"][0], "folder");
    let xml = std::fs::read_to_string(dir.path().join("v.xml")).expect("junit");
    assert_eq!(xml.matches("<failure").count(), 0, "{xml}");
    assert!(xml.contains("<skipped message=\"waived: issue 31: renamed folder\">"), "{xml}");
    assert!(xml.contains("name=\"waiver 1: FOLDER in folder\""), "{xml}");
    let html = std::fs::read_to_string(dir.path().join("v.html")).expect("html");
    assert!(html.contains("<p class=\"waiver\">waived: issue 31: renamed folder</p>"), "the rule's row shows the reason");
    assert!(html.contains("<h2>Waivers</h2>") && html.contains("<td>applied</td><td>folder</td>"), "the waivers table");
    assert!(html.contains("0 failed, 1 waived"), "the header counts it");
}

#[test]
fn a_waiver_of_a_rule_that_passes_fails_the_run_naming_it() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let stale = "[[waiver]]\nrule = \"ROUTE-EMAIL\"\nscenario = \"folder\"\nreason = \"fixed since\"\n";
    let waivers = write(dir.path(), "w.toml", &format!("{FOLDER_WAIVER}{stale}"));
    let (out, text) = run_mutant_with(&waivers, dir.path());
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("WAIVED FOLDER"), "the live waiver still applies:\n{text}");
    assert!(text.contains("UNMATCHED WAIVER: waiver 2 of") && text.contains("(ROUTE-EMAIL in folder): matches no failure"), "{text}");
    assert!(text.contains("the waivers fail the run: entry 2 (unmatched)"), "{text}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join("v.json")).expect("json")).expect("JSON");
    assert_eq!((v["failed"].as_bool(), v["waivers"][1]["status"].as_str()), (Some(true), Some("unmatched")));
    let xml = std::fs::read_to_string(dir.path().join("v.xml")).expect("junit");
    assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
    assert!(xml.contains("type=\"waiver-unmatched\""), "{xml}");
}

#[test]
fn an_expired_waiver_fails_the_run_and_waives_nothing() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let waivers = write(dir.path(), "w.json", r#"{"waiver": [{"rule": "FOLDER", "reason": "until the fix", "expires": "2026-12-06"}]}"#);
    let (out, text) = run_mutant_with(&waivers, dir.path());
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL FOLDER"), "{text}");
    assert!(
        text.contains("EXPIRED WAIVER: waiver 1 of") && text.contains("(FOLDER in every scenario, until 2026-12-06): expired"),
        "{text}"
    );
    let xml = std::fs::read_to_string(dir.path().join("v.xml")).expect("junit");
    assert!(xml.contains("type=\"waiver-expired\"") && xml.contains("type=\"FOLDER\""), "{xml}");
}

#[test]
fn a_waiver_file_naming_an_unknown_rule_is_an_input_error_naming_file_and_line() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let waivers = write(
        dir.path(),
        "bad.toml",
        "[[waiver]]\nrule = \"FOLDER\"\nreason = \"ok\"\n\n[[waiver]]\nrule = \"FOLDR\"\nreason = \"typo\"\n",
    );
    let out = conformance().args(["run", "--scenario", "folder", "--expect-failures"]).arg(&waivers).output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.toml") && err.contains("line 6") && err.contains("unknown rule `FOLDR`"), "{err}");
    assert!(!err.contains("running scenario"), "nothing is run:\n{err}");
}

#[test]
fn rule_selection_runs_the_rules_scenarios_and_judges_only_them() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let json = dir.path().join("v.json");
    let out = conformance().args(["run", "--rule", "ROUTE-AUTO-OFF", "--json"]).arg(&json).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).expect("json")).expect("JSON");
    let names: Vec<&str> = v["scenarios"].as_array().expect("scenarios").iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["route-auto-off"], "ROUTE-AUTO-OFF's catalogue scenarios");
    for r in v["scenarios"][0]["rules"].as_array().expect("rules") {
        if r["id"] == "ROUTE-AUTO-OFF" {
            assert_eq!(r["verdict"], "pass");
        } else {
            assert_eq!((r["verdict"].as_str(), r["note"].as_str()), (Some("skipped"), Some("not selected (--rule)")), "{r}");
        }
    }
    assert!(text.contains("29 rules: 1 passed, 0 failed, 0 waived, 28 skipped"), "{text}");

    // The FOLDER mutant judged on ROUTE-EMAIL only (through the environment): it passes, and a
    // waiver of FOLDER is not checked (FOLDER was not selected).
    let waivers = write(dir.path(), "w.toml", FOLDER_WAIVER);
    let out = conformance()
        .args(["run", "--scenario", "folder", "--connector-cmd", &folder_mutant(), "--expect-failures"])
        .arg(&waivers)
        .env("TM_CONFORMANCE_RULE", "ROUTE-EMAIL,CONTENT")
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("  pass:    ROUTE-EMAIL CONTENT\n"), "{text}");
    assert!(text.contains("waiver not checked: waiver 1"), "{text}");

    let out = conformance().args(["run", "--rule", "FOLDR"]).output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--rule FOLDR: no such rule; the rules are: ROUTE-MAP, "), "{err}");
}

/// A bundle of a run with waivers and `--rule` verifies: `verify` judges again, then selects and
/// waives as the run did (the manifest's options `rule` and `today`, the recorded waivers).
#[test]
fn a_bundle_of_a_run_with_waivers_and_selected_rules_verifies() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let waivers = write(dir.path(), "w.toml", FOLDER_WAIVER);
    let bundle = dir.path().join("b.tar.gz");
    let out = conformance()
        .args(["run", "--scenario", "folder", "--rule", "FOLDER,ROUTE-EMAIL", "--connector-cmd", &folder_mutant(), "--expect-failures"])
        .arg(&waivers)
        .arg("--bundle")
        .arg(&bundle)
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("WAIVED FOLDER") && text.contains("  pass:    ROUTE-EMAIL\n"), "{text}");
    // Another day: verify judges expiry on the run's day, not on its own.
    let out = conformance().env("TM_CONFORMANCE_TODAY", "2030-01-01").arg("verify").arg(&bundle).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
}
