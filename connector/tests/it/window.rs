//! WINDOW, INCREMENTAL, DEDUP, RECALL, REPORT.

use tm_contract::Op;

use crate::harness::{BOSS, DAY1_END, Harness, PEOPLE, failures, ids};
use crate::proxy::{Action, Fault, Proxy};
use tm_connector::FailureReason;

fn chat(id: &str, at: &str) -> String {
    format!("[[item]]\nid = \"{id}\"\nat = \"{at}\"\nkind = \"chat\"\nfrom = \"wang-wei\"\nto = [\"li-na\"]\n")
}

/// WINDOW: a first run at T imports exactly the items captured in [T − 24 h, T), boundaries
/// included and excluded to the millisecond.
#[tokio::test]
async fn window_first_run_imports_exactly_the_24_hours_before_run_at() {
    let items = [
        chat("before", "2026-11-19T23:59:59.999Z"),
        chat("first", "2026-11-20T00:00:00.000Z"),
        chat("last", "2026-11-20T23:59:59.999Z"),
        chat("at-run", "2026-11-21T00:00:00.000Z"),
    ]
    .concat();
    let h = Harness::start("window", &format!("{PEOPLE}{items}")).await;

    let report = h.run(h.config(DAY1_END)).await;

    assert_eq!(h.archived("wang.wei@contoso.cn").await, ids(&["first", "last"]));
    assert_eq!(report.window.from, "2026-11-20T00:00:00Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap());
    assert_eq!(report.window.to, DAY1_END.parse::<chrono::DateTime<chrono::Utc>>().unwrap());
    assert_eq!((report.counts.items, report.counts.imported), (2, 2));
}

/// INCREMENTAL + RECALL + DEDUP: after a missed day, the next run continues from the checkpoint
/// (no gap, the boundary item included once), a recall and its original from an earlier window
/// are both archived, and a re-run with the same RUN_AT imports nothing.
#[tokio::test]
async fn incremental_catches_up_a_missed_day_without_gaps_or_duplicates_and_dedup_reruns_import_nothing() {
    let recall = "[[item]]\nid = \"recall-1\"\nat = \"2026-11-22T09:00:00.000Z\"\nkind = \"recall\"\nfrom = \"wang-wei\"\nto = [\"li-na\"]\nrecalls = \"day1\"\n";
    let items = [
        chat("day1", "2026-11-20T10:00:00.000Z"),
        chat("boundary", "2026-11-21T00:00:00.000Z"),
        chat("day2", "2026-11-21T10:00:00.000Z"),
        chat("day3", "2026-11-22T10:00:00.000Z"),
        recall.to_owned(),
    ]
    .concat();
    let h = Harness::start("incremental", &format!("{PEOPLE}{items}")).await;
    let mut config = h.config(DAY1_END);

    let first = h.run(config.clone()).await;
    assert_eq!(h.archived("wang.wei@contoso.cn").await, ids(&["day1"]));
    assert_eq!(first.counts.imported, 1);

    // The run of 2026-11-22 was missed; the run of 2026-11-23 catches up.
    config.run_at = "2026-11-23T00:00:00Z".parse().unwrap();
    let second = h.run(config.clone()).await;
    assert_eq!(second.window.from, first.window.to);
    assert_eq!(h.archived("wang.wei@contoso.cn").await, ids(&["boundary", "day1", "day2", "day3", "recall-1"]));
    assert_eq!((second.counts.items, second.counts.imported), (4, 4));

    // DEDUP: the same RUN_AT again.
    let third = h.run(config).await;
    assert_eq!((third.counts.items, third.counts.imported, third.counts.failed), (0, 0, 0));
    assert_eq!(h.imports_in_journal().await, 5);
}

/// RECALL: a recall is archived as its own item and the recalled original stays archived.
#[tokio::test]
async fn recall_and_original_are_both_archived() {
    let items = format!(
        "{}[[item]]\nid = \"orig-recall\"\nat = \"2026-11-20T10:05:00.000Z\"\nkind = \"recall\"\nfrom = \"wang-wei\"\nto = [\"li-na\"]\nrecalls = \"orig\"\n",
        chat("orig", "2026-11-20T10:00:00.000Z")
    );
    let h = Harness::start("recall", &format!("{PEOPLE}{items}")).await;
    let report = h.run(h.config(DAY1_END)).await;
    assert_eq!(h.archived("wang.wei@contoso.cn").await, ids(&["orig", "orig-recall"]));
    assert_eq!(report.counts.imported, 2);
}

/// DEDUP + INCREMENTAL: a run that fails half-way (the vendor keeps failing one download) imports
/// what it can and does not advance the checkpoint; the next run imports the rest and skips what
/// is done (`skipped_duplicate`), never importing a pair twice.
#[tokio::test]
async fn dedup_a_failed_run_is_finished_by_the_next_without_duplicates() {
    let items: String = (0..10).map(|i| chat(&format!("c{i}"), &format!("2026-11-20T1{i}:00:00.000Z"))).collect();
    let h = Harness::start("dedup", &format!("{PEOPLE}{items}")).await;
    let proxy = Proxy::start(
        &h.sim.base_url(),
        vec![Fault {
            method: "GET",
            path_contains: "/items/c5/raw".into(),
            times: 100,
            action: Action::Status { status: 500, code: "internal", retry_after: None },
        }],
    )
    .await;
    let mut config = h.config_via(&proxy.url, DAY1_END);
    config.concurrency = 1;

    let failed = tm_connector::run(config.clone()).await;
    let error = failed.expect_err("the vendor failing one item fails the run");
    assert!(!error.is_config_error(), "{error}");
    let done_before = h.archived("wang.wei@contoso.cn").await;
    assert!(!done_before.is_empty() && done_before.len() < 10, "{done_before:?}");
    assert!(!done_before.contains(&"c5".to_owned()));

    let report = h.run(h.config(DAY1_END)).await;

    assert_eq!(h.archived("wang.wei@contoso.cn").await, (0..10).map(|i| format!("c{i}")).collect::<Vec<_>>());
    assert_eq!(report.counts.items, 10);
    assert_eq!(report.counts.skipped_duplicate, done_before.len() as u64);
    assert_eq!(report.counts.imported + report.counts.skipped_duplicate, 10);
    assert_eq!(h.imports_in_journal().await, 10, "no pair was even attempted twice");
}

/// DEDUP: when an import fails for good (retries exhausted) after its intent was written, the
/// run fails; the next run asks the tenant for the pending intent's `internetMessageId` and
/// imports the item once.
#[tokio::test]
async fn dedup_an_import_that_failed_for_good_is_asked_for_by_the_next_run_and_lands_once() {
    let items: String = (0..12).map(|i| chat(&format!("c{i:02}"), &format!("2026-11-20T10:{i:02}:00.000Z"))).collect();
    // The tenant refuses c03's import as often as the test retry policy tries (5 attempts).
    let fault = "[[fault]]\napi = \"tenant\"\nop = \"import\"\nitem = \"c03\"\naction = \"status\"\nstatus = 500\ncount = 5\n";
    let h = Harness::start("unresolved", &format!("{PEOPLE}{items}{fault}")).await;

    let failed = tm_connector::run(h.config(DAY1_END)).await;
    let error = failed.expect_err("an import failing for good fails the run");
    assert!(!error.is_config_error(), "{error}");
    let journal = h.journal().await;
    let imports: Vec<_> = journal.iter().filter(|e| e.op == Op::Import && e.mailbox.as_deref() == Some("wang.wei@contoso.cn")).collect();
    let last_failure = imports.iter().rposition(|e| e.item_id.as_deref() == Some("c03")).expect("c03 was attempted");
    assert_eq!(imports[last_failure].status, 500);
    // Its intent is pending; the next run asks the tenant (internetMessageId) before anything.

    let report = h.run(h.config(DAY1_END)).await;
    assert_eq!(h.archived("wang.wei@contoso.cn").await, (0..12).map(|i| format!("c{i:02}")).collect::<Vec<_>>());
    assert_eq!(report.counts.imported + report.counts.skipped_duplicate, 12);
    assert_eq!(report.counts.failed, 0);
}

/// REPORT: counts add up (imported + skipped_duplicate + failed = deliveries attempted + items
/// that failed before routing), every failure names item, mailbox (or null) and reason, and the
/// file at REPORT_PATH is the report returned.
#[tokio::test]
async fn report_counts_add_up_and_failures_name_item_mailbox_and_reason() {
    let body = format!(
        r#"{PEOPLE}
[[employee]]
id = "temp"
name = "Temp"
email = "temp@contoso.cn"
app = "wechat"

[tenant]
from_employees = false

[[tenant.user]]
upn = "wang.wei@contoso.cn"

[[tenant.user]]
upn = "zhang.min@contoso.cn"
{BOSS}
[[item]]
id = "r-fan"
at = "2026-11-20T10:00:00.000Z"
kind = "chat"
from = "wang-wei"
to = ["zhang-min"]

[[item]]
id = "r-drop"
at = "2026-11-20T11:00:00.000Z"
kind = "chat"
from = "temp"
to = ["zhao-lei"]

[[item]]
id = "r-big"
at = "2026-11-20T12:00:00.000Z"
kind = "file"
from = "wang-wei"
to = ["li-na"]
size = 10485761

[[item]]
id = "r-reject"
at = "2026-11-20T13:00:00.000Z"
kind = "chat"
from = "li-na"
to = ["zhang-min"]
"#
    );
    let h = Harness::start("report", &body).await;
    let boss = h.user_id("boss@contoso.cn").await;
    // The tenant refuses every import into boss's mailbox.
    let proxy = Proxy::start(
        &h.sim.base_url(),
        vec![Fault {
            method: "POST",
            path_contains: format!("/users/{boss}/mailFolders/"),
            times: 100,
            action: Action::Status { status: 400, code: "ErrorMimeContentInvalidBase64String", retry_after: None },
        }],
    )
    .await;
    let mut config = h.config_via(&proxy.url, DAY1_END);
    config.mapping_csv = Some(h.mapping("mobile_number,mailbox\n+8613900001111,boss@contoso.cn\n"));
    let report_path = h.files.path().join("report.json");
    config.report_path = Some(report_path.clone());

    let report = h.run(config).await;

    // Deliveries attempted: r-fan ×2, r-reject ×2 (boss rejected); failed before routing:
    // r-drop, r-big.
    let c = report.counts;
    assert_eq!((c.items, c.imported, c.skipped_duplicate, c.failed), (4, 3, 0, 3));
    assert_eq!(c.imported + c.skipped_duplicate + c.failed, 4 + 2);
    assert_eq!(
        failures(&report),
        vec![
            ("r-big".to_owned(), None, FailureReason::ItemTooLarge),
            ("r-drop".to_owned(), None, FailureReason::UserMapping),
            ("r-reject".to_owned(), Some("boss@contoso.cn".to_owned()), FailureReason::SinkRejected),
        ]
    );
    let written: tm_connector::RunReport = serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    assert_eq!(written, report);
    let raw: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    assert_eq!(raw["run_at"], "2026-11-21T00:00:00Z");
    assert_eq!(raw["failures"][0]["mailbox"], serde_json::Value::Null);
    assert_eq!(h.archived("zhang.min@contoso.cn").await, ids(&["r-fan", "r-reject"]));
}
