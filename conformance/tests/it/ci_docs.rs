//! docs/ci.md's pipelines, run as written: every fenced YAML block is valid YAML; in the GitHub
//! Actions workflow and the GitLab pipeline, each step that calls `tm-conformance run` or
//! `tm-conformance merge` runs through `sh -c` in its job's folder (one folder per matrix value or
//! `parallel:` copy, with `${{ matrix.shard }}`, `CI_NODE_INDEX` and `CI_NODE_TOTAL` as the CI
//! sets them), artifacts pass between jobs as the pipeline says, and the merged JSON report equals
//! one `run` over the same scenarios. The build steps are not run: `./tm-conformance` in every job
//! folder is this build's binary. A few quick scenarios are chosen through
//! `TM_CONFORMANCE_SCENARIO`, so that the commands stay what users copy.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_norway::Value;

/// The scenarios every command runs (the documented ones run all of them).
const SCENARIOS: &str = "final,route-drop,window";
/// The binary's name in a job's folder; never copied as an artifact (every folder has it).
const BINARY: &str = "tm-conformance";

fn yaml_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line.trim_start().starts_with("```yaml") => current = Some(String::new()),
            Some(block) if line.trim_start().starts_with("```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

fn runs_the_suite(command: &str) -> bool {
    command.contains("tm-conformance run") || command.contains("tm-conformance merge")
}

/// The word after `flag` in a command.
fn flag_value<'a>(command: &'a str, flag: &str) -> Option<&'a str> {
    let words: Vec<&str> = command.split_whitespace().collect();
    words.windows(2).find(|w| w[0] == flag).map(|w| w[1])
}

/// `pattern` with at most one `*` matches `name`.
fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        Some((head, tail)) => name.len() >= head.len() + tail.len() && name.starts_with(head) && name.ends_with(tail),
        None => pattern == name,
    }
}

/// A job's folder, with the binary in it.
fn job_dir(root: &Path, name: &str) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).expect("a job folder");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_tm-conformance"), dir.join(BINARY)).expect("the binary linked");
    dir
}

/// Runs a documented command as the CI would, with the test's scenario selection.
fn sh(dir: &Path, command: &str, vars: &[(&str, String)]) {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(command).current_dir(dir).env("TM_CONFORMANCE_SCENARIO", SCENARIOS);
    for var in ["TM_CONFORMANCE_JOBS", "TM_CONFORMANCE_SHARD", "TM_CONFORMANCE_JSON", "TM_CONFORMANCE_JUNIT"] {
        cmd.env_remove(var);
    }
    let out = cmd.envs(vars.iter().map(|(k, v)| (*k, v.as_str()))).output().expect("sh runs");
    assert!(
        out.status.success(),
        "`{command}` in {} failed:\n{}\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Sequence(items)) => items.iter().map(|i| i.as_str().expect("a name").to_string()).collect(),
        _ => Vec::new(),
    }
}

/// What ran: the merge's folder and command, and how many suite commands ran.
struct Ran {
    merge_dir: PathBuf,
    merge_command: String,
    commands: usize,
}

/// A GitHub Actions workflow: jobs in the order written (each after its `needs`), one folder per
/// matrix value; `upload-artifact` and `download-artifact` (by name, or by `pattern` with
/// `merge-multiple`) copy files between them.
fn run_github(doc: &Value, root: &Path) -> (Ran, String) {
    let jobs = doc.get("jobs").and_then(Value::as_mapping).expect("jobs");
    let mut store: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    let (mut done, mut merge, mut commands, mut junit) = (Vec::<String>::new(), None, 0, String::new());
    for (name, job) in jobs {
        let name = name.as_str().expect("a job name").to_string();
        for need in list(job.get("needs")) {
            assert!(done.contains(&need), "job {name} needs {need}, which comes after it");
        }
        let matrix = job.get("strategy").and_then(|s| s.get("matrix")).and_then(|m| m.get("shard"));
        let values: Vec<Option<String>> = match matrix.and_then(Value::as_sequence) {
            Some(values) => values.iter().map(|v| Some(serde_norway::to_string(v).expect("a value").trim().to_string())).collect(),
            None => vec![None],
        };
        for value in values {
            let subst = |s: &str| value.as_ref().map_or(s.to_string(), |v| s.replace("${{ matrix.shard }}", v));
            let dir = job_dir(root, &format!("{name}-{}", value.as_deref().unwrap_or("0")));
            for step in job.get("steps").and_then(Value::as_sequence).expect("steps") {
                let with = |key: &str| step.get("with").and_then(|w| text(w, key)).map(subst);
                let uses = text(step, "uses").unwrap_or("");
                if uses.starts_with("actions/upload-artifact") {
                    let (artifact, path) = (with("name").expect("an artifact name"), with("path").expect("a path"));
                    if path != BINARY {
                        store.entry(artifact).or_default().push(dir.join(path));
                    }
                } else if uses.starts_with("actions/download-artifact") {
                    let into = dir.join(with("path").unwrap_or_else(|| ".".into()));
                    let flat = step.get("with").and_then(|w| w.get("merge-multiple")).and_then(Value::as_bool) == Some(true);
                    let wanted = |a: &str| with("name").map_or_else(|| glob(&with("pattern").expect("a pattern"), a), |n| n == a);
                    for (artifact, files) in store.iter().filter(|(a, _)| wanted(a)) {
                        let to = if flat || with("name").is_some() { into.clone() } else { into.join(artifact) };
                        std::fs::create_dir_all(&to).expect("a download folder");
                        for f in files {
                            std::fs::copy(f, to.join(f.file_name().expect("a file"))).expect("artifact copied");
                        }
                    }
                } else if uses.starts_with("mikepenz/action-junit-report") {
                    junit = with("report_paths").expect("report_paths");
                } else if let Some(run) = text(step, "run").filter(|r| runs_the_suite(r)) {
                    let command = subst(run);
                    assert!(!command.contains("${{"), "an expression the test does not know: {command}");
                    sh(&dir, &command, &[]);
                    commands += 1;
                    if command.contains("tm-conformance merge") {
                        merge = Some((dir.clone(), command));
                    }
                }
            }
        }
        done.push(name);
    }
    let (merge_dir, merge_command) = merge.expect("a merge step");
    (Ran { merge_dir, merge_command, commands }, junit)
}

/// A GitLab pipeline: jobs by stage, `parallel: N` copies numbered by `CI_NODE_INDEX`; each job's
/// folder gets the artifacts (`artifacts:paths`) of the jobs it `needs`.
fn run_gitlab(doc: &Value, root: &Path) -> (Ran, String) {
    let stages = list(doc.get("stages"));
    let map = doc.as_mapping().expect("a mapping");
    let mut jobs: Vec<(String, &Value)> =
        map.iter().filter(|(_, v)| v.get("script").is_some()).map(|(k, v)| (k.as_str().expect("a job name").to_string(), v)).collect();
    let stage = |job: &Value| stages.iter().position(|s| Some(s.as_str()) == text(job, "stage")).expect("a declared stage");
    jobs.sort_by_key(|(_, job)| stage(job));
    let mut store: Vec<(String, PathBuf, String)> = Vec::new();
    let (mut done, mut merge, mut commands, mut junit) = (Vec::<String>::new(), None, 0, String::new());
    for (name, job) in jobs {
        for need in list(job.get("needs")) {
            assert!(done.contains(&need), "job {name} needs {need}, which runs after it");
        }
        let total = job.get("parallel").and_then(Value::as_u64);
        for index in 1..=total.unwrap_or(1) {
            let dir = job_dir(root, &format!("{name}-{index}"));
            for need in list(job.get("needs")) {
                for (_, file, rel) in store.iter().filter(|(j, _, _)| *j == need) {
                    std::fs::copy(file, dir.join(rel)).expect("artifact copied");
                }
            }
            let vars: Vec<(&str, String)> = match total {
                Some(n) => vec![("CI_NODE_INDEX", index.to_string()), ("CI_NODE_TOTAL", n.to_string())],
                None => Vec::new(),
            };
            for line in job.get("script").and_then(Value::as_sequence).expect("a script") {
                let line = line.as_str().expect("a script line");
                if runs_the_suite(line) {
                    sh(&dir, line, &vars);
                    commands += 1;
                    if line.contains("tm-conformance merge") {
                        merge = Some((dir.clone(), line.to_string()));
                    }
                }
            }
            let artifacts = job.get("artifacts");
            for pattern in list(artifacts.and_then(|a| a.get("paths"))) {
                for entry in std::fs::read_dir(&dir).expect("the job folder") {
                    let rel = entry.expect("an entry").file_name().into_string().expect("utf-8");
                    if rel != BINARY && glob(&pattern, &rel) {
                        store.push((name.clone(), dir.join(&rel), rel));
                    }
                }
            }
            if let Some(j) = artifacts.and_then(|a| a.get("reports")).and_then(|r| text(r, "junit")) {
                junit = j.to_string();
            }
        }
        done.push(name);
    }
    let (merge_dir, merge_command) = merge.expect("a merge job");
    (Ran { merge_dir, merge_command, commands }, junit)
}

/// The whole run's JSON report over the same scenarios.
fn whole_run(root: &Path) -> String {
    let json = root.join("whole.json");
    let out = Command::new(env!("CARGO_BIN_EXE_tm-conformance"))
        .args(["run", "--json"])
        .arg(&json)
        .env("TM_CONFORMANCE_SCENARIO", SCENARIOS)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    std::fs::read_to_string(json).expect("the whole run's report")
}

#[test]
fn the_pipelines_of_docs_ci_md_run_as_written_and_merge_into_the_whole_run() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/ci.md")).expect("docs/ci.md");
    let blocks = yaml_blocks(&doc);
    assert_eq!(blocks.len(), 2, "docs/ci.md has a GitHub workflow and a GitLab pipeline");
    let root = tempfile::tempdir().expect("a temp dir");
    let whole = whole_run(root.path());
    let mut seen = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        let yaml: Value = serde_norway::from_str(block).unwrap_or_else(|e| panic!("YAML block {} of docs/ci.md: {e}", i + 1));
        let dir = root.path().join(format!("block-{}", i + 1));
        let ((ran, junit), which) =
            if yaml.get("jobs").is_some() { (run_github(&yaml, &dir), "GitHub Actions") } else { (run_gitlab(&yaml, &dir), "GitLab") };
        assert!(ran.commands >= 5, "{which}: 4 shards and a merge ran, not {}", ran.commands);
        let json = flag_value(&ran.merge_command, "--json").expect("the merge writes JSON");
        let merged = std::fs::read_to_string(ran.merge_dir.join(json)).expect("the merged report");
        assert_eq!(merged, whole, "{which}: the merged report is not the whole run's");
        assert_eq!(flag_value(&ran.merge_command, "--junit"), Some(junit.as_str()), "{which}: the JUnit the CI reads is the merge's");
        assert!(ran.merge_dir.join(&junit).is_file(), "{which}: no {junit}");
        seen.push(which);
    }
    assert_eq!(seen, ["GitHub Actions", "GitLab"]);
}
