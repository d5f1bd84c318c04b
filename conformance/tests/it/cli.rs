//! The command line as vendors use it: `list`, `run` with the stored snapshots, JSON and JUnit,
//! and exit 1 with explanations for a broken connector.

use std::process::Command;

fn conformance() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tm-conformance"))
}

#[test]
fn list_prints_every_rule_with_its_text_and_every_scenario() {
    let out = conformance().arg("list").output().expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for r in tm_conformance::catalogue() {
        assert!(text.contains(&format!("\n{}\n", r.id)), "{} missing:\n{text}", r.id);
    }
    assert!(text.contains("multi-day") && text.contains("1 killed"), "{text}");
    assert!(!text.contains("  demo "), "the demo scenario has no runs and is not listed:\n{text}");
}

#[test]
fn run_judges_the_reference_connector_against_the_stored_snapshots_and_writes_json_and_junit() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (json, junit) = (dir.path().join("v.json"), dir.path().join("v.xml"));
    let out = conformance()
        .args(["run", "--scenario", "window", "--scenario", "route-drop", "--json"])
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(text.matches("snapshot: matches").count(), 2, "{text}");
    assert!(text.contains("ROUTE-DROP       pass"), "{text}");
    assert!(text.contains("0 failed"), "{text}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).expect("json written")).expect("JSON");
    assert_eq!(v["failed"], false);
    assert_eq!(v["scenarios"].as_array().map(Vec::len), Some(2));
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert_eq!(xml.matches("<testcase ").count(), 2 * tm_conformance::Rule::all().len(), "{xml}");
    assert!(xml.contains("name=\"WINDOW\"") && xml.contains("classname=\"tm-conformance.window\""), "{xml}");
}

#[test]
fn run_exits_1_and_explains_when_a_command_connector_breaks_a_rule() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let junit = dir.path().join("v.xml");
    let cmd = format!("{} --mutation folder-name", env!("CARGO_BIN_EXE_tm-mutant"));
    let out = conformance().args(["run", "--scenario", "folder", "--connector-cmd", &cmd, "--junit"]).arg(&junit).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL FOLDER"), "{text}");
    assert!(text.contains("expected in `WeChat Archiver`"), "{text}");
    assert!(text.contains("snapshot: differs"), "{text}");
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
    assert!(xml.contains("type=\"FOLDER\""), "{xml}");
}

#[test]
fn an_unknown_scenario_is_an_error_naming_it() {
    let out = conformance().args(["run", "--scenario", "no-such-thing"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no scenario `no-such-thing`"));
}

/// `run --tls`: the simulator serves HTTPS with a CA of its own; the in-process reference
/// connector and a command connector (given `SSL_CERT_FILE` & co.) both pass over it.
#[test]
fn run_over_tls_passes_for_the_reference_and_a_command_connector() {
    let out = conformance().args(["run", "--tls", "--scenario", "route-email"]).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("ROUTE-EMAIL      pass"), "{text}");
    let mutant = format!("{} --mutation none", env!("CARGO_BIN_EXE_tm-mutant"));
    let out = conformance().args(["run", "--tls", "--scenario", "route-email", "--connector-cmd", &mutant]).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("ROUTE-EMAIL      pass"), "{text}");
}

/// `run` configured by environment variables alone (a CI job's `env:`): two scenarios from a
/// comma-separated TM_CONFORMANCE_SCENARIO, the JSON report's path, a boolean left off by `false`.
#[test]
fn run_takes_its_flags_from_the_environment() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let json = dir.path().join("env.json");
    let out = conformance()
        .arg("run")
        .env("TM_CONFORMANCE_SCENARIO", "window,route-drop")
        .env("TM_CONFORMANCE_JSON", &json)
        .env("TM_CONFORMANCE_PRINT_DIGEST", "false")
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.starts_with("tm-conformance: 2 scenario(s)"), "{text}");
    assert!(!text.contains("--- digest of"), "TM_CONFORMANCE_PRINT_DIGEST=false prints no digest: {text}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).expect("json written")).expect("JSON");
    let names: Vec<&str> = v["scenarios"].as_array().expect("scenarios").iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["window", "route-drop"]);
}
