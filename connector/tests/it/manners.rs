//! Manners and resilience: Retry-After, backoff, re-login, timeouts, per-mailbox concurrency,
//! retries that never duplicate, and credentials as configuration errors.

use std::time::Duration;

use tm_contract::{FaultKind, FaultRecord, Op, Throttle};

use crate::harness::{DAY1_END, Harness, PEOPLE, failures, ids};
use crate::proxy::{Action, Fault, Proxy};
use tm_connector::FailureReason;

fn chats(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "[[item]]\nid = \"m{i:02}\"\nat = \"2026-11-20T10:{i:02}:00.000Z\"\nkind = \"chat\"\nfrom = \"wang-wei\"\nto = [\"zhang-min\"]\n"
            )
        })
        .collect()
}

fn status(status: u16, code: &'static str, retry_after: Option<u64>) -> Action {
    Action::Status { status, code, retry_after }
}

/// A 429 with `Retry-After: 1` on an import is retried, and never earlier than one second.
#[tokio::test]
async fn throttled_imports_are_retried_no_earlier_than_retry_after() {
    let h = Harness::start("throttle", &format!("{PEOPLE}{}", chats(1))).await;
    let proxy = Proxy::start(
        &h.sim.base_url(),
        vec![Fault { method: "POST", path_contains: "/importMime".into(), times: 1, action: status(429, "TooManyRequests", Some(1)) }],
    )
    .await;
    let mut config = h.config_via(&proxy.url, DAY1_END);
    config.concurrency = 1;

    let report = h.run(config).await;

    let imports = proxy.requests("POST", "/importMime");
    assert_eq!(imports[0].status, 429);
    let retry = imports.iter().skip(1).find(|s| s.path == imports[0].path).expect("retried");
    assert!(retry.at.duration_since(imports[0].at) >= Duration::from_secs(1), "retried after {:?}", retry.at.duration_since(imports[0].at));
    assert_eq!(report.counts.imported, 2);
    assert_eq!(h.imports_in_journal().await, 2);
}

/// 503 with Retry-After and 500 on the vendor side are retried with backoff; the run completes.
#[tokio::test]
async fn vendor_server_errors_are_retried() {
    let h = Harness::start("vendor-5xx", &format!("{PEOPLE}{}", chats(3))).await;
    let proxy = Proxy::start(
        &h.sim.base_url(),
        vec![
            Fault { method: "GET", path_contains: "/tm/v1/items".into(), times: 1, action: status(503, "unavailable", Some(0)) },
            Fault { method: "GET", path_contains: "/items/m01/raw".into(), times: 2, action: status(500, "internal", None) },
        ],
    )
    .await;

    let report = h.run(h.config_via(&proxy.url, DAY1_END)).await;

    assert_eq!(proxy.remaining_faults(), 0);
    assert_eq!(report.counts.imported, 6);
    assert_eq!(proxy.requests("GET", "/items/m01/raw").len(), 3);
}

/// A 401 `invalid_token` from the vendor makes the connector log in again and carry on.
#[tokio::test]
async fn an_invalid_token_leads_to_a_new_login() {
    let h = Harness::start("relogin", &format!("{PEOPLE}{}", chats(2))).await;
    let proxy = Proxy::start(
        &h.sim.base_url(),
        vec![Fault { method: "GET", path_contains: "/raw".into(), times: 1, action: status(401, "invalid_token", None) }],
    )
    .await;

    let report = h.run(h.config_via(&proxy.url, DAY1_END)).await;

    assert_eq!(proxy.requests("POST", "/tm/v1/session").len(), 2);
    assert_eq!(report.counts.imported, 4);
}

/// Every request has a timeout: a listing that hangs is abandoned and retried.
#[tokio::test]
async fn a_hanging_request_times_out_and_is_retried() {
    let h = Harness::start("timeout", &format!("{PEOPLE}{}", chats(1))).await;
    let proxy = Proxy::start(
        &h.sim.base_url(),
        vec![Fault { method: "GET", path_contains: "/tm/v1/items".into(), times: 1, action: Action::Delay(Duration::from_secs(5)) }],
    )
    .await;
    let mut config = h.config_via(&proxy.url, DAY1_END);
    config.request_timeout = Duration::from_millis(300);
    let started = std::time::Instant::now();

    let report = h.run(config).await;

    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    assert_eq!(report.counts.imported, 2);
}

/// DEDUP on retries: an import that took effect but whose answer was lost (a 500 after the
/// tenant stored it) is not imported again: asked for its `internetMessageId`, the tenant shows
/// it landed.
#[tokio::test]
async fn dedup_a_lost_import_answer_is_not_retried_into_a_duplicate() {
    let h = Harness::start("lost-answer", &format!("{PEOPLE}{}", chats(2))).await;
    let proxy = Proxy::start(
        &h.sim.base_url(),
        vec![Fault { method: "POST", path_contains: "/importMime".into(), times: 1, action: Action::AfterForward { status: 500 } }],
    )
    .await;

    let report = h.run(h.config_via(&proxy.url, DAY1_END)).await;

    assert_eq!(proxy.remaining_faults(), 0);
    assert_eq!(h.archived("wang.wei@contoso.cn").await, ids(&["m00", "m01"]));
    assert_eq!(h.archived("zhang.min@contoso.cn").await, ids(&["m00", "m01"]));
    assert_eq!(h.imports_in_journal().await, 4);
    assert_eq!(report.counts.imported, 4);
}

/// Never more than 4 requests in flight per mailbox (Graph's limit, which the connector uses), even with
/// many items for the same two mailboxes and high concurrency.
#[tokio::test]
async fn requests_per_mailbox_stay_bounded() {
    let h = Harness::start("per-mailbox", &format!("{PEOPLE}{}", chats(40))).await;
    let proxy = Proxy::start(&h.sim.base_url(), vec![]).await;
    let mut config = h.config_via(&proxy.url, DAY1_END);
    config.concurrency = 16;

    let report = h.run(config).await;

    assert_eq!(report.counts.imported, 80);
    let max = proxy.max_in_flight_per_mailbox();
    assert!((1..=4).contains(&max), "{max}");
    assert_eq!(max, tm_connector::MAX_PER_MAILBOX);
}

/// Wrong vendor credentials and a wrong tenant token are configuration errors (exit 2) and
/// nothing is imported.
#[tokio::test]
async fn wrong_credentials_are_configuration_errors_and_import_nothing() {
    let h = Harness::start("credentials", &format!("{PEOPLE}{}", chats(2))).await;

    let mut config = h.config(DAY1_END);
    config.tm_password = "wrong".into();
    let e = tm_connector::run(config).await.expect_err("bad password");
    assert!(e.is_config_error(), "{e}");
    assert_eq!(e.exit_code(), 2);
    assert!(!e.to_string().contains("wrong"), "the password leaks: {e}");

    let mut config = h.config(DAY1_END);
    config.graph_token = "not-the-token".into();
    let e = tm_connector::run(config).await.expect_err("bad token");
    assert!(e.is_config_error(), "{e}");
    assert!(!e.to_string().contains("not-the-token"), "the token leaks: {e}");

    assert_eq!(h.imports_in_journal().await, 0);
    // Nothing was committed either: a correct run afterwards still sees its first window.
    let report = h.run(h.config(DAY1_END)).await;
    assert_eq!(report.counts.imported, 4);
}

/// Graph's request cap (413): an import larger than the tenant takes is
/// reported `sink_rejected` for each of its mailboxes after one attempt each (no retry loop),
/// and the other items are imported.
#[tokio::test]
async fn an_import_over_the_request_cap_is_sink_rejected_after_one_attempt() {
    let big = "[[item]]\nid = \"big\"\nat = \"2026-11-20T11:00:00.000Z\"\nkind = \"attachment\"\nfrom = \"wang-wei\"\nto = [\"zhang-min\"]\nattachment = \"scan.pdf\"\nsize = 200000\n";
    let h = Harness::start("request-cap", &format!("{PEOPLE}[tenant]\nmax_request_bytes = 100000\n{}{big}", chats(2))).await;

    let report = h.run(h.config(DAY1_END)).await;

    assert_eq!(report.counts.imported, 4, "{report:#?}");
    assert_eq!(
        failures(&report),
        vec![
            ("big".to_string(), Some("wang.wei@contoso.cn".to_string()), FailureReason::SinkRejected),
            ("big".to_string(), Some("zhang.min@contoso.cn".to_string()), FailureReason::SinkRejected),
        ]
    );
    let refused: Vec<_> = h.journal().await.into_iter().filter(|e| e.op == Op::Import && e.status == 413).collect();
    // At most one attempt per mailbox: once a 413 has taught the run the cap, a request as large
    // is not sent again, so the second mailbox's copy is sent only when it was already on its way.
    assert!((1..=2).contains(&refused.len()), "one attempt per mailbox at most: {refused:?}");
    assert_eq!(h.archived("wang.wei@contoso.cn").await, ids(&["m00", "m01"]));
}

/// Graph's upload volume per mailbox (429 `ApplicationThrottled`, `Retry-After` = the rest of the
/// window; the window shortened to 2 s by the scenario) is waited out: every delivery lands once,
/// none is lost, none is sent twice after landing.
#[tokio::test]
async fn upload_volume_throttling_is_waited_out_without_loss() {
    let tenant = "[tenant]\nupload_bytes_per_5_minutes = 3500\nrate_window_seconds = 2\n";
    let h = Harness::start("upload-volume", &format!("{PEOPLE}{tenant}{}", chats(6))).await;

    let report = h.run(h.config(DAY1_END)).await;

    let journal = h.journal().await;
    let throttled = journal
        .iter()
        .filter(|e| {
            e.status == 429
                && matches!(&e.fault, Some(FaultRecord { kind: FaultKind::Throttled(Throttle::Limit(l)) }) if l == "MailboxUploadVolume")
        })
        .count();
    assert!(throttled > 0, "the upload volume limit was never reached: {journal:?}");
    each_of_six_chats_landed_once(&h, &report, &journal).await;
}

/// Graph's concurrency throttle (429 `ApplicationThrottled`, "over its MailboxConcurrency
/// limit"), here at 1 request per mailbox so that the connector's 4 meet it (imports slowed):
/// each refused request is sent again after its `Retry-After`, and every delivery lands once.
#[tokio::test]
async fn application_throttled_answers_are_waited_out_and_nothing_is_lost() {
    let tenant = "[tenant]\nthrottle_per_mailbox = 1\nthrottle_retry_after = 1\n";
    // Imports take 200 ms, so that the connector's concurrent ones overlap at the tenant.
    let slow = "[[fault]]\napi = \"tenant\"\nop = \"import\"\ncount = 0\naction = \"latency\"\nlatency_ms = 200\n";
    let h = Harness::start("mailbox-concurrency", &format!("{PEOPLE}{tenant}{}{slow}", chats(6))).await;

    let report = h.run(h.config(DAY1_END)).await;

    let journal = h.journal().await;
    let throttled =
        journal.iter().filter(|e| e.status == 429 && matches!(e.fault, Some(FaultRecord { kind: FaultKind::Throttled(_) }))).count();
    assert!(throttled > 0, "the throttle was never met: {journal:?}");
    each_of_six_chats_landed_once(&h, &report, &journal).await;
}

/// The six chats of `chats(6)` each in both mailboxes once, sent once each, no failure.
async fn each_of_six_chats_landed_once(h: &Harness, report: &tm_connector::RunReport, journal: &[crate::harness::JournalEntry]) {
    assert_eq!(report.counts.imported, 12, "{report:#?}");
    assert!(report.failures.is_empty(), "{report:#?}");
    assert_eq!(journal.iter().filter(|e| e.op == Op::Import && e.status == 201).count(), 12);
    for mailbox in ["wang.wei@contoso.cn", "zhang.min@contoso.cn"] {
        assert_eq!(h.archived(mailbox).await, ids(&["m00", "m01", "m02", "m03", "m04", "m05"]), "{mailbox}");
    }
}
