//! The certification bundle, through the binary: `run --bundle` then `verify` (exit 0); a bundle
//! with one changed byte, one whose evidence was changed and re-hashed, a changed fixture (exit
//! 1, naming the file); a truncated or garbage file (exit 2).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tm_conformance::bundle::archive::{self, Files};
use tm_conformance::bundle::manifest::{Manifest, sha256_hex};

fn conformance() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tm-conformance"))
}

fn text(o: &Output) -> String {
    format!("exit {:?}\nstdout:\n{}\nstderr:\n{}", o.status.code(), String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Runs the suite on two quick scenarios with `--bundle` (reference connector).
fn make_bundle(dir: &Path) -> PathBuf {
    let bundle = dir.join("b.tar.gz");
    let out = conformance()
        .args(["run", "--scenario", "folder", "--scenario", "dedup", "--connector-version", "echo reference-under-test 1.2.3"])
        .arg("--bundle")
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("manifest sha256"), "{}", text(&out));
    bundle
}

fn verify(bundle: &Path, fixtures: Option<&Path>) -> Output {
    let mut cmd = conformance();
    if let Some(f) = fixtures {
        cmd.arg("--fixtures").arg(f);
    }
    cmd.arg("verify").arg(bundle).output().unwrap()
}

fn files(bundle: &Path) -> Files {
    archive::read(&std::fs::read(bundle).unwrap()).unwrap()
}

/// Rewrites a bundle after `change`; with `rehash`, the manifest's hashes are made to fit.
fn rewrite(bundle: &Path, to: &Path, rehash: bool, change: impl FnOnce(&mut Files)) {
    let mut f = files(bundle);
    change(&mut f);
    if rehash {
        let mut m = Manifest::from_bytes(&f["manifest.json"]).unwrap();
        for (path, bytes) in &f {
            if let Some(rel) = path.strip_prefix("fixtures/") {
                m.fixtures.insert(rel.to_string(), sha256_hex(bytes));
            } else if path != "manifest.json" {
                m.files.insert(path.clone(), sha256_hex(bytes));
            }
        }
        f.insert("manifest.json".into(), m.to_bytes());
    }
    std::fs::write(to, archive::write(&f).unwrap()).unwrap();
}

fn not_verified(out: &Output, naming: &str) {
    let t = text(out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("NOT VERIFIED"), "{t}");
    assert!(stdout.contains(naming), "expected `{naming}` in:\n{t}");
}

#[test]
fn a_bundle_from_a_run_verifies_and_one_changed_byte_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = make_bundle(dir.path());
    let out = verify(&bundle, None);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("VERIFIED") && stdout.contains("2 scenario(s) judged again"), "{}", text(&out));

    let f = files(&bundle);
    let manifest = Manifest::from_bytes(&f["manifest.json"]).unwrap();
    assert_eq!(manifest.connector.version, "reference-under-test 1.2.3");
    assert_eq!(manifest.scenarios, ["folder", "dedup"]);
    for must in ["fixtures/scenarios/folder.toml", "fixtures/expected/dedup.snap", "verdicts/verdicts.json", "verdicts/verdicts.junit.xml"]
    {
        assert!(f.contains_key(must), "{must} missing from {:?}", f.keys().collect::<Vec<_>>());
    }
    for must in ["runs.json", "tenant.json", "digest.yaml", "run-1/journal.jsonl", "run-1/requests.jsonl", "run-1/report.json"] {
        assert!(f.contains_key(&format!("scenarios/folder/{must}")), "scenarios/folder/{must} missing");
    }

    let changed = dir.path().join("changed.tar.gz");
    rewrite(&bundle, &changed, false, |f| {
        let j = f.get_mut("scenarios/folder/run-1/journal.jsonl").unwrap();
        let i = j.iter().position(|&b| b == b'2').unwrap();
        j[i] = b'3';
    });
    not_verified(&verify(&changed, None), "scenarios/folder/run-1/journal.jsonl: sha256");
}

/// Deletes the first import the tenant stored from run 1's journal of `folder`; with
/// `fix_ranges`, the runs' ranges and totals are made to fit; with `renumber`, the entries after
/// it are numbered again (`seq`).
fn delete_an_import(f: &mut Files, fix_ranges: bool, renumber: bool) {
    let j = f.get_mut("scenarios/folder/run-1/journal.jsonl").unwrap();
    let text = String::from_utf8(j.clone()).unwrap();
    let line = text.lines().find(|l| l.contains("\"op\":\"import\"") && l.contains("\"status\":201")).expect("an import").to_string();
    *j = text.replacen(&format!("{line}\n"), "", 1).into_bytes();
    if fix_ranges {
        let runs = f.get_mut("scenarios/folder/runs.json").unwrap();
        let mut v: serde_json::Value = serde_json::from_slice(runs).unwrap();
        v["journal_total"] = (v["journal_total"].as_u64().unwrap() - 1).into();
        for (i, run) in v["runs"].as_array_mut().unwrap().iter_mut().enumerate() {
            for (k, bound) in run["journal"].as_array_mut().unwrap().iter_mut().enumerate() {
                if i > 0 || k == 1 {
                    *bound = (bound.as_u64().unwrap() - 1).into();
                }
            }
        }
        *runs = serde_json::to_vec_pretty(&v).unwrap();
    }
    if renumber {
        let mut seq = 0;
        for n in 1.. {
            let Some(file) = f.get_mut(&format!("scenarios/folder/run-{n}/journal.jsonl")) else { break };
            let mut out = String::new();
            for l in String::from_utf8(file.clone()).unwrap().lines() {
                let mut e: serde_json::Value = serde_json::from_str(l).unwrap();
                seq += 1;
                e["seq"] = seq.into();
                out += &format!("{e}\n");
            }
            *file = out.into_bytes();
        }
    }
}

#[test]
fn a_changed_journal_rehashed_in_the_manifest_fails_the_judging_again() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = make_bundle(dir.path());
    // The smartest tamper: an import the tenant stored deleted from the journal, the runs'
    // ranges and totals made to fit, the entries numbered again, the manifest re-hashed.
    let tampered = dir.path().join("tampered.tar.gz");
    rewrite(&bundle, &tampered, true, |f| delete_an_import(f, true, true));
    let out = verify(&tampered, None);
    not_verified(&out, "the verdicts do not follow from the evidence");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("verdicts/verdicts.json line"), "{}", text(&out));
    assert!(stdout.contains("scenario folder: REPORT recorded pass, judged again fail"), "{}", text(&out));

    // Less careful tampers: the entries' numbers, or the runs' record, do not add up.
    let unnumbered = dir.path().join("unnumbered.tar.gz");
    rewrite(&bundle, &unnumbered, true, |f| delete_an_import(f, true, false));
    not_verified(&verify(&unnumbered, None), "an entry taken out or put in");
    let unranged = dir.path().join("unranged.tar.gz");
    rewrite(&bundle, &unranged, true, |f| delete_an_import(f, false, true));
    not_verified(&verify(&unranged, None), "scenarios/folder/runs.json");
}

/// A copy of the repository's fixture folder (scenarios, snapshots, mappings).
fn copy_fixtures(copy: &Path) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    for sub in ["scenarios", "expected", "mappings"] {
        std::fs::create_dir_all(copy.join(sub)).unwrap();
        for e in std::fs::read_dir(repo.join(sub)).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_file() {
                std::fs::copy(e.path(), copy.join(sub).join(e.file_name())).unwrap();
            }
        }
    }
}

#[test]
fn a_changed_fixture_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = make_bundle(dir.path());
    for (file, naming) in
        [("scenarios/folder.toml", "fixture scenarios/folder.toml"), ("expected/dedup.snap", "fixture expected/dedup.snap")]
    {
        let copy = dir.path().join(format!("fixtures-{}", file.replace('/', "-")));
        copy_fixtures(&copy);
        let mut bytes = std::fs::read(copy.join(file)).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x20;
        std::fs::write(copy.join(file), bytes).unwrap();
        not_verified(&verify(&bundle, Some(&copy)), naming);
    }
}

#[test]
fn a_truncated_or_garbage_file_is_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.tar.gz");
    std::fs::write(&garbage, b"this is no bundle").unwrap();
    let out = verify(&garbage, None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("garbage.tar.gz") && stderr.contains("not a readable .tar.gz archive"), "{}", text(&out));

    let files: Files = [("manifest.json".to_string(), vec![b'x'; 4000]), ("a".to_string(), vec![b'y'; 40_000])].into();
    let whole = archive::write(&files).unwrap();
    let truncated = dir.path().join("truncated.tar.gz");
    std::fs::write(&truncated, &whole[..whole.len() / 2]).unwrap();
    let out = verify(&truncated, None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("truncated.tar.gz"), "{}", text(&out));

    let no_manifest = dir.path().join("no-manifest.tar.gz");
    std::fs::write(&no_manifest, archive::write(&[("a".to_string(), b"x".to_vec())].into()).unwrap()).unwrap();
    let out = verify(&no_manifest, None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no manifest.json"), "{}", text(&out));
}

#[test]
fn a_failing_connector_s_bundle_verifies_and_keeps_the_bytes_it_imported() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("tamper.tar.gz");
    let cmd = format!("{} --mutation tamper", env!("CARGO_BIN_EXE_tm-mutant"));
    let out = conformance().args(["run", "--scenario", "content", "--connector-cmd", &cmd]).arg("--bundle").arg(&bundle).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let manifest = Manifest::from_bytes(&files(&bundle)["manifest.json"]).unwrap();
    assert_eq!(manifest.connector.command.as_deref(), Some(cmd.as_str()));
    assert_eq!(manifest.connector.version, "unknown (no --connector-version)");
    let out = verify(&bundle, None);
    assert!(out.status.success(), "{}", text(&out));

    // The bytes the connector imported are evidence: changing them (and the manifest) is seen.
    let f = files(&bundle);
    let kept: Vec<&String> = f.keys().filter(|p| p.starts_with("scenarios/content/messages/")).collect();
    assert!(!kept.is_empty(), "no message bytes kept in {:?}", f.keys().collect::<Vec<_>>());
    let victim = kept[0].clone();
    let tampered = dir.path().join("tampered.tar.gz");
    rewrite(&bundle, &tampered, true, |f| f.get_mut(&victim).unwrap().push(b'!'));
    not_verified(&verify(&tampered, None), "scenarios/content/tenant.json");
}

#[test]
fn the_bundle_flags_have_environment_variables() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("env.tar.gz");
    let out = conformance()
        .args(["run", "--scenario", "folder"])
        .env("TM_CONFORMANCE_BUNDLE", &bundle)
        .env("TM_CONFORMANCE_CONNECTOR_VERSION", "echo from-the-environment")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let manifest = Manifest::from_bytes(&files(&bundle)["manifest.json"]).unwrap();
    assert_eq!(manifest.connector.version, "from-the-environment");
    let failing = conformance()
        .args(["run", "--scenario", "folder", "--connector-version", "exit 4", "--bundle"])
        .arg(dir.path().join("never.tar.gz"))
        .output()
        .unwrap();
    assert_eq!(failing.status.code(), Some(2), "{}", text(&failing));
    assert!(String::from_utf8_lossy(&failing.stderr).contains("--connector-version `exit 4`"), "{}", text(&failing));
    assert!(!String::from_utf8_lossy(&failing.stderr).contains("running scenario"), "stops before the runs: {}", text(&failing));
    assert!(!dir.path().join("never.tar.gz").exists());
}

#[test]
fn a_scenario_judged_without_a_snapshot_verifies_where_it_ran() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("fixtures");
    copy_fixtures(&copy);
    std::fs::remove_file(copy.join("expected/folder.snap")).unwrap();
    let bundle = dir.path().join("b.tar.gz");
    let out = conformance().arg("--fixtures").arg(&copy).args(["run", "--scenario", "folder", "--bundle"]).arg(&bundle).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("snapshot: none at"), "{}", text(&out));
    assert!(!files(&bundle).contains_key("fixtures/expected/folder.snap"));
    let out = verify(&bundle, Some(&copy));
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn failing_connectors_bundles_verify_killed_runs_faults_and_foreign_writes_included() {
    let dir = tempfile::tempdir().unwrap();
    for (mutation, scenarios) in
        [("count-fence", &["foreign-writes", "resume"][..]), ("draft-import", &["final"]), ("first-page-only", &["graph-paging"])]
    {
        let bundle = dir.path().join(format!("{mutation}.tar.gz"));
        let cmd = format!("{} --mutation {mutation}", env!("CARGO_BIN_EXE_tm-mutant"));
        let mut run = conformance();
        run.args(["run", "--connector-cmd", &cmd]).arg("--bundle").arg(&bundle);
        for s in scenarios {
            run.args(["--scenario", s]);
        }
        let out = run.output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{mutation}: {}", text(&out));
        let out = verify(&bundle, None);
        assert!(out.status.success(), "{mutation}: {}", text(&out));
    }
}
