//! The real binary: a run killed half-way (SIGKILL) and re-run imports every (item, mailbox)
//! exactly once (INCREMENTAL, DEDUP); a bad mapping file is exit 2 with file and line named;
//! secrets never reach the logs.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tm_contract::Op;

use crate::harness::{DAY1_END, Harness, PEOPLE};

fn connector(h: &Harness, report: &std::path::Path) -> Command {
    let c = h.sim.credentials();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tm-connector"));
    cmd.arg("run")
        .env("TM_URL", h.sim.vendor_url())
        .env("TM_USERNAME", &c.vendor_username)
        .env("TM_PASSWORD", &c.vendor_password)
        .env("GRAPH_URL", h.sim.graph_url())
        .env("GRAPH_TOKEN", &c.tenant_token)
        .env("RUN_AT", DAY1_END)
        .env("STATE_DIR", h.state.path())
        .env("REPORT_PATH", report)
        .env("AUTO_MAPPING", "true")
        .env_remove("MAPPING_CSV")
        .env("RUST_LOG", "warn");
    cmd
}

fn items(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "[[item]]\nid = \"k{i:04}\"\nat = \"2026-11-20T{:02}:{:02}:{:02}.000Z\"\nkind = \"chat\"\nfrom = \"wang-wei\"\nto = [\"zhang-min\"]\n",
                i / 3600,
                (i / 60) % 60,
                i % 60
            )
        })
        .collect()
}

/// INCREMENTAL + DEDUP: SIGKILL the binary once the tenant has seen some imports, run it again:
/// every (item, mailbox) pair is archived exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_dedup_a_run_killed_half_way_is_finished_exactly_once_by_the_next() {
    killed_half_way_then_finished_exactly_once("crash", "").await;
}

/// FOREIGN-WRITES through a crash: another program writes into both mailboxes' `WeChat Archiver`
/// during a third of the imports and after every folder lookup, so that a folder's count never
/// tells what the connector sent; SIGKILL half-way, run again: still no duplicate, no loss, and
/// the other program's messages are all still there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_writes_a_run_killed_half_way_among_others_messages_is_finished_exactly_once() {
    let faults = "[[fault]]\napi = \"tenant\"\nop = \"import\"\ncount = 0\nprobability = 0.3\naction = \"foreign_write\"\n\n\
                  [[fault]]\napi = \"tenant\"\nop = \"folders\"\ncount = 0\naction = \"foreign_write\"\n";
    let h = killed_half_way_then_finished_exactly_once("crash-foreign", faults).await;
    let foreign = h.journal().await.iter().filter(|e| e.op == Op::ForeignWrite).count();
    assert!(foreign > 20, "the other program wrote {foreign} messages");
    let kept: usize = h
        .mailboxes()
        .await
        .iter()
        .flat_map(|m| &m.folders)
        .filter(|f| f.name == "WeChat Archiver")
        .map(|f| f.items.iter().filter(|i| i.foreign).count())
        .sum();
    assert_eq!(kept, foreign, "the other program's messages are left alone");
}

/// DEDUP through a crash on the v3 tenant (Graph's 4 MB cap, `importMime`): a third of the
/// imports land and are answered 504 (`store_then_status`); SIGKILL half-way, run again: every
/// (item, mailbox) once, none lost, and every one a final message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dedup_a_run_killed_half_way_among_writes_answered_5xx_after_landing_is_finished_exactly_once() {
    let faults =
        "[[fault]]\napi = \"tenant\"\nop = \"import\"\ncount = 0\nprobability = 0.3\naction = \"store_then_status\"\nstatus = 504\n";
    let h = killed_half_way_then_finished_exactly_once("crash-store-then-5xx", faults).await;
    let journal = h.journal().await;
    let answered_5xx = journal.iter().filter(|e| e.op == Op::Import && e.status == 504).count();
    assert!(answered_5xx > 20, "{answered_5xx} writes answered 504 after landing");
    let finals = h.mailboxes().await.into_iter().flat_map(|m| m.folders).flat_map(|f| f.items).filter(|i| !i.draft).count();
    assert_eq!(finals, 600, "every message final (importMime)");
}

async fn killed_half_way_then_finished_exactly_once(name: &str, faults: &str) -> Harness {
    const N: usize = 300;
    let h = Harness::start(name, &format!("{PEOPLE}{}{faults}", items(N))).await;
    let report = h.files.path().join("report.json");

    let mut child = connector(&h, &report).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if h.imports_in_journal().await >= 40 {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "the run ended before it could be killed");
        assert!(Instant::now() < deadline, "no imports within 60 s");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let imported_before = h.all_archived().await.len();
    assert!(imported_before < 2 * N, "killed too late: {imported_before}");
    assert!(!report.exists(), "a killed run writes no report");

    let out = connector(&h, &report).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let pairs = h.all_archived().await;
    let mut expected: Vec<(String, String)> = (0..N)
        .flat_map(|i| {
            let id = format!("k{i:04}");
            [(id.clone(), "wang.wei@contoso.cn".to_owned()), (id, "zhang.min@contoso.cn".to_owned())]
        })
        .collect();
    expected.sort();
    assert_eq!(pairs.len(), expected.len(), "duplicates or gaps");
    assert_eq!(pairs, expected);

    let r: tm_connector::RunReport = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r.counts.items, N as u64);
    assert_eq!(r.counts.imported + r.counts.skipped_duplicate, 2 * N as u64);
    assert!(r.counts.skipped_duplicate as usize >= imported_before - 1, "{:?}", r.counts);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("items {N}")), "summary on stderr: {stderr}");
    h
}

/// A bad mapping file: exit 2 before anything is imported, stderr names the file and the line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_mapping_file_is_exit_2_naming_file_and_line_and_imports_nothing() {
    let h = Harness::start("bad-mapping", &format!("{PEOPLE}{}", items(3))).await;
    let report = h.files.path().join("report.json");
    let map = h.mapping("mobile_number,mailbox\n+8613812345678,wang.wei@contoso.cn\nnot a number,x@contoso.cn\n");

    let out = connector(&h, &report).env("MAPPING_CSV", &map).output().unwrap();

    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{}:3", map.display())), "{stderr}");
    assert_eq!(h.imports_in_journal().await, 0);
    assert!(!report.exists());
    assert!(!h.state.path().join("checkpoint.json").exists(), "no state committed");

    // A conflicting number names both lines.
    let map = h.mapping("mobile_number,mailbox\n+8613812345678,a@contoso.cn\n\n138 1234 5678,b@contoso.cn\n");
    let out = connector(&h, &report).env("MAPPING_CSV", &map).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 2") && stderr.contains("line 4"), "{stderr}");
}

/// Usage errors are exit 2 too (clap), and a normal run with debug logs never prints the vendor
/// password or the tenant token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_logs_and_usage_errors_exit_2() {
    let h = Harness::start("secrets", &format!("{PEOPLE}{}", items(3))).await;
    let report = h.files.path().join("report.json");

    let out = connector(&h, &report).env_remove("TM_URL").output().unwrap();
    assert_eq!(out.status.code(), Some(2));

    let out = connector(&h, &report).env("RUST_LOG", "debug").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let c = h.sim.credentials();
    assert!(stderr.contains("run completed"), "{stderr}");
    assert!(!stderr.contains(&c.vendor_password), "password in logs");
    assert!(!stderr.contains(&c.tenant_token), "token in logs");
}
