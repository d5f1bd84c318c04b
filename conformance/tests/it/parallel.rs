//! `run --jobs N`, `run --shard K/N` and `merge`, through the command line: scenarios run at once
//! are judged as when run one after the other, and the shards of a run, merged, are the whole run.

use std::path::Path;
use std::process::{Command, Output};

fn conformance() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tm-conformance"))
}

/// `tm-conformance run` over `scenarios` with `extra` flags, its JSON report written to `json`.
fn run(scenarios: &[&str], extra: &[&str], json: &Path) -> Output {
    let mut cmd = conformance();
    cmd.arg("run");
    for s in scenarios {
        cmd.args(["--scenario", s]);
    }
    cmd.args(extra).arg("--json").arg(json).output().expect("tm-conformance runs")
}

fn ok(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    text
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Timing-judged scenarios (RETRY-AFTER's and TOKEN-REFRESH's waits, CONCURRENCY's requests in
/// flight, BACKOFF's growing waits, run alone) beside quick ones: the JSON reports of `--jobs 1`
/// and `--jobs 3` are byte for byte the same (the JSON has no wall clock). Scenarios that kill a
/// run half-way (dedup, multi-day) and the soak are left out: how many imports land before a kill,
/// or how many requests a fault meets in flight, differs between two runs of the same kind, so
/// their run reports' counts (not their verdicts) vary between any two runs.
#[test]
fn jobs_3_gives_the_same_report_as_jobs_1() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let scenarios = ["backoff", "concurrency", "retry-after", "route-drop", "token-refresh", "window"];
    let (one, three) = (dir.path().join("jobs-1.json"), dir.path().join("jobs-3.json"));
    let text_one = ok(&run(&scenarios, &["--jobs", "1"], &one));
    let out = conformance()
        .env("TM_CONFORMANCE_JOBS", "3")
        .arg("run")
        .args(scenarios.iter().flat_map(|s| ["--scenario", s]))
        .arg("--json")
        .arg(&three)
        .output()
        .expect("runs");
    let text_three = ok(&out);
    assert_eq!(read(&one), read(&three), "the JSON reports of --jobs 1 and TM_CONFORMANCE_JOBS=3 differ");
    assert_eq!(text_one, text_three);
    let v: serde_json::Value = serde_json::from_str(&read(&one)).expect("JSON");
    assert_eq!(v["failed"], false, "{text_one}");
    let names: Vec<&str> = v["scenarios"].as_array().expect("scenarios").iter().map(|s| s["name"].as_str().expect("a name")).collect();
    assert_eq!(names, scenarios, "reports list the scenarios in the order given");
}

/// The quick scenarios over two shards: each shard's report, merged, is the whole run's report
/// (JSON and JUnit byte for byte, the text too); the shards are a partition.
#[test]
fn shards_merged_equal_the_whole_run() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let p = |name: &str| dir.path().join(name);
    let scenarios = ["final", "folder", "route-drop", "route-email", "window"];
    let whole = ok(&run(&scenarios, &["--junit", p("whole.xml").to_str().expect("utf-8")], &p("whole.json")));
    let mut shard_names = Vec::new();
    for k in ["1/2", "2/2"] {
        let json = p(&format!("shard-{}.json", &k[..1]));
        ok(&run(&scenarios, &["--shard", k, "--jobs", "2"], &json));
        let v: serde_json::Value = serde_json::from_str(&read(&json)).expect("JSON");
        shard_names.extend(v["scenarios"].as_array().expect("scenarios").iter().map(|s| s["name"].as_str().expect("a name").to_string()));
    }
    shard_names.sort();
    assert_eq!(shard_names, scenarios, "every scenario in exactly one shard");
    let out = conformance()
        .arg("merge")
        .args([p("shard-2.json"), p("shard-1.json")])
        .arg("--json")
        .arg(p("merged.json"))
        .arg("--junit")
        .arg(p("merged.xml"))
        .output()
        .expect("merge runs");
    let merged = ok(&out);
    assert_eq!(read(&p("merged.json")), read(&p("whole.json")), "merged JSON");
    assert_eq!(read(&p("merged.xml")), read(&p("whole.xml")), "merged JUnit");
    assert_eq!(merged, whole, "merged text");
}

/// Overlapping shards, a bad K/N, an empty shard, a failing shard.
#[test]
fn merge_and_shard_refuse_bad_input_and_an_empty_shard_is_a_valid_report() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let p = |name: &str| dir.path().join(name);
    ok(&run(&["window"], &[], &p("a.json")));
    std::fs::copy(p("a.json"), p("b.json")).expect("copied");
    let out = conformance().arg("merge").args([p("a.json"), p("b.json")]).output().expect("merge runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("scenario window is in both") && err.contains("a.json and ") && err.contains("b.json"), "{err}");
    std::fs::write(p("bad.json"), "{\"connector\": \"x\",\n \"scenarios\": 3}").expect("written");
    let out = conformance().arg("merge").args([p("a.json"), p("bad.json")]).output().expect("merge runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.json: not a tm-conformance JSON report") && err.contains("line 2"), "{err}");
    for bad in ["0/2", "3/2", "x"] {
        let out = conformance().args(["run", "--shard", bad]).output().expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(&format!("`{bad}` is not a shard")), "{err}");
    }
    let text = ok(&run(&["window"], &["--shard", "2/3"], &p("empty.json")));
    assert!(text.contains("0 scenario(s)"), "{text}");
    let empty: serde_json::Value = serde_json::from_str(&read(&p("empty.json"))).expect("JSON");
    assert_eq!(empty["scenarios"].as_array().map(Vec::len), Some(0));
    assert_eq!(empty["failed"], false);
    let out = conformance().arg("merge").args([p("empty.json"), p("a.json")]).arg("--json").arg(p("m.json")).output().expect("merge");
    ok(&out);
    assert_eq!(read(&p("m.json")), read(&p("a.json")), "an empty shard adds nothing");
    let mutant = format!("{} --mutation folder-name", env!("CARGO_BIN_EXE_tm-mutant"));
    let out = run(&["folder"], &["--connector-cmd", &mutant], &p("failing.json"));
    assert_eq!(out.status.code(), Some(1));
    let mut failing: serde_json::Value = serde_json::from_str(&read(&p("failing.json"))).expect("JSON");
    // The same connector as the passing shard's, so that they merge.
    failing["connector"] = empty["connector"].clone();
    std::fs::write(p("failing.json"), failing.to_string()).expect("written");
    let out = conformance().arg("merge").args([p("a.json"), p("failing.json")]).output().expect("merge");
    assert_eq!(out.status.code(), Some(1), "a merged report with a failing shard fails");
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL FOLDER"));
}
