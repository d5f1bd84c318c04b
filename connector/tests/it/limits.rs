//! Limits, scope and quota (TENANT-LIMIT, SCOPE, QUOTA), and the tenant's other failure modes:
//! items over the request cap reported once with their size and the limit, never sent again;
//! mailboxes out of the app's scope or full reported per item, not asked again, the other
//! mailboxes imported; a write answered 5xx after it landed found by asking (DEDUP);
//! `ErrorFolderExists` as 400; fractional and absent `Retry-After`.

use std::time::Duration;

use tm_connector::{FailureReason, RunReport};
use tm_contract::Op;

use crate::harness::{DAY1_END, Harness, PEOPLE, ids};
use crate::proxy::Proxy;

/// `n` chats from the external li-na to wang-wei, whom a mapping also routes to boss; `tenant`
/// goes into `[tenant]`, `boss` into boss's `[[tenant.user]]`.
fn to_boss(n: usize, tenant: &str, boss: &str) -> String {
    let chats: String = (0..n)
        .map(|i| format!("[[item]]\nid = \"b{i:02}\"\nat = \"2026-11-20T10:{i:02}:00.000Z\"\nkind = \"chat\"\nfrom = \"li-na\"\nto = [\"wang-wei\"]\n"))
        .collect();
    format!("{PEOPLE}[tenant]\n{tenant}\n[[tenant.user]]\nupn = \"boss@contoso.cn\"\n{boss}\n{chats}")
}

fn boss_mapping(h: &Harness, config: &mut tm_connector::Config) {
    config.mapping_csv = Some(h.mapping("mobile_number,mailbox\n+8613900001111,boss@contoso.cn\n"));
}

/// The failures of a report for one mailbox: (item, reason, detail).
fn failed_in(report: &RunReport, mailbox: &str) -> Vec<(String, FailureReason, String)> {
    report
        .failures
        .iter()
        .filter(|f| f.mailbox.as_deref() == Some(mailbox))
        .map(|f| (f.item_id.clone(), f.reason, f.detail.clone().unwrap_or_default()))
        .collect()
}

/// Journal entries that touched `mailbox`.
async fn requests_to(h: &Harness, mailbox: &str) -> Vec<crate::harness::JournalEntry> {
    h.journal().await.into_iter().filter(|e| e.mailbox.as_deref() == Some(mailbox)).collect()
}

/// SCOPE: boss is outside the app's scope (403 "Access to OData is disabled."): the directory's
/// mailbox check finds it, every delivery to it is reported `sink_rejected` with status, code
/// and mailbox, the mailbox is asked once, and wang.wei gets every item.
#[tokio::test]
async fn scope_an_out_of_scope_mailbox_is_reported_per_item_and_not_asked_again() {
    let tenant = "app_scope = [\"wang.wei@contoso.cn\", \"zhang.min@contoso.cn\"]";
    let h = Harness::start("scope", &to_boss(6, tenant, "")).await;
    let mut config = h.config(DAY1_END);
    boss_mapping(&h, &mut config);

    let report = h.run(config).await;

    assert_eq!(h.archived("wang.wei@contoso.cn").await, ids(&["b00", "b01", "b02", "b03", "b04", "b05"]));
    let failed = failed_in(&report, "boss@contoso.cn");
    assert_eq!(failed.len(), 6, "{report:#?}");
    for (_, reason, detail) in &failed {
        assert_eq!(*reason, FailureReason::SinkRejected);
        assert!(detail.starts_with("HTTP 403 ErrorAccessDenied: the mailbox boss@contoso.cn is outside the app's scope"), "{detail}");
        assert!(detail.contains("Access to OData is disabled."), "{detail}");
    }
    assert_eq!((report.counts.imported, report.counts.failed), (6, 6));
    let asked: Vec<_> = requests_to(&h, "boss@contoso.cn").await.into_iter().filter(|e| e.op != Op::Lookup).collect();
    assert!(!asked.is_empty() && asked.len() <= 2, "a bounded number of mail requests to boss: {asked:?}");
    assert!(asked.iter().all(|e| e.status == 403 && e.code.as_deref() == Some("ErrorAccessDenied")), "{asked:?}");
}

/// SCOPE through the folder: the mailbox check passes, then boss's folder creation is refused
/// as the scope refuses (403 "Access to OData is disabled.", a proxy's answer): boss is
/// unreachable, not the run failed; its deliveries are reported, wang.wei gets every item. A
/// 403 in other words (a missing permission) is not taken for the scope: it fails the run.
#[tokio::test]
async fn scope_a_refused_folder_creation_makes_the_mailbox_unreachable_not_the_run_failed() {
    use crate::proxy::{Action, Fault};
    let h = Harness::start("scope-folder", &to_boss(5, "", "")).await;
    let boss = h.user_id("boss@contoso.cn").await;
    let fault = |message| Fault {
        method: "POST",
        path_contains: format!("/users/{boss}/mailFolders"),
        times: 100,
        action: Action::Refuse { status: 403, code: "ErrorAccessDenied", message },
    };
    let proxy = Proxy::start(&h.sim.base_url(), vec![fault("Access to OData is disabled.")]).await;
    let mut config = h.config_via(&proxy.url, DAY1_END);
    boss_mapping(&h, &mut config);

    let report = h.run(config).await;

    assert_eq!(h.archived("wang.wei@contoso.cn").await.len(), 5);
    let failed = failed_in(&report, "boss@contoso.cn");
    assert_eq!(failed.len(), 5, "{report:#?}");
    assert!(failed.iter().all(|(_, _, d)| d.contains("boss@contoso.cn is outside the app's scope")), "{failed:?}");
    let creates = proxy.requests("POST", &format!("/users/{boss}/mailFolders"));
    assert!((1..=tm_connector::MAX_PER_MAILBOX).contains(&creates.len()), "{creates:?}");

    let h = Harness::start("scope-folder-denied", &to_boss(2, "", "")).await;
    let boss = h.user_id("boss@contoso.cn").await;
    let mut denied = fault("Access is denied. Check credentials and try again.");
    denied.path_contains = format!("/users/{boss}/mailFolders");
    let proxy = Proxy::start(&h.sim.base_url(), vec![denied]).await;
    let mut config = h.config_via(&proxy.url, DAY1_END);
    boss_mapping(&h, &mut config);
    let e = tm_connector::run(config).await.expect_err("a 403 that is not the scope's is not swallowed");
    assert_eq!(e.exit_code(), 1);
    assert!(tm_connector::one_line(&e).contains("HTTP 403 Forbidden ErrorAccessDenied"), "{e}");
}

/// QUOTA: boss's mailbox is full (quota smaller than any item; 403 `ErrorQuotaExceeded`): each
/// delivery to it reported with the code and mailbox, at most one request per permit to it
/// (Graph's 4 in flight), the other mailbox imported.
#[tokio::test]
async fn quota_a_full_mailbox_is_reported_per_item_and_not_asked_again() {
    let h = Harness::start("quota", &to_boss(8, "", "quota_bytes = 100")).await;
    let mut config = h.config(DAY1_END);
    boss_mapping(&h, &mut config);

    let report = h.run(config).await;

    assert_eq!(h.archived("wang.wei@contoso.cn").await.len(), 8);
    assert!(h.archived("boss@contoso.cn").await.is_empty());
    let failed = failed_in(&report, "boss@contoso.cn");
    assert_eq!(failed.len(), 8, "{report:#?}");
    assert!(
        failed.iter().all(|(_, r, d)| *r == FailureReason::SinkRejected
            && d.starts_with("HTTP 403 ErrorQuotaExceeded: the mailbox boss@contoso.cn is full")),
        "{failed:?}"
    );
    let imports: Vec<_> = requests_to(&h, "boss@contoso.cn").await.into_iter().filter(|e| e.op == Op::Import).collect();
    assert!((1..=tm_connector::MAX_PER_MAILBOX).contains(&imports.len()), "{imports:?}");
}

/// QUOTA as 507 `QuotaExceededException`: not retried as a 5xx (each import to boss answered
/// 507 once), reported with the status, the rest imported.
#[tokio::test]
async fn quota_a_507_is_not_retried_as_a_server_error() {
    let h = Harness::start("quota-507", &to_boss(8, "quota_exceeded_status = 507", "quota_bytes = 100")).await;
    let mut config = h.config(DAY1_END);
    boss_mapping(&h, &mut config);

    let report = h.run(config).await;

    let failed = failed_in(&report, "boss@contoso.cn");
    assert_eq!(failed.len(), 8, "{report:#?}");
    assert!(
        failed.iter().all(|(_, _, d)| d.starts_with("HTTP 507 QuotaExceededException: the mailbox boss@contoso.cn is full")),
        "{failed:?}"
    );
    let imports: Vec<_> = requests_to(&h, "boss@contoso.cn").await.into_iter().filter(|e| e.op == Op::Import).collect();
    assert!(imports.iter().all(|e| e.status == 507), "{imports:?}");
    assert!((1..=tm_connector::MAX_PER_MAILBOX).contains(&imports.len()), "507 retried: {imports:?}");
    assert_eq!(h.archived("wang.wei@contoso.cn").await.len(), 8);
}

/// An item of `size` bytes from li-na to wang-wei only.
fn attachment(id: &str, hour: u32, size: u64) -> String {
    format!(
        "[[item]]\nid = \"{id}\"\nat = \"2026-11-20T{hour:02}:00:00.000Z\"\nkind = \"attachment\"\nfrom = \"li-na\"\nto = [\"wang-wei\"]\nattachment = \"scan.pdf\"\nsize = {size}\n"
    )
}

/// TENANT-LIMIT: an item over the tenant's cap (413) is reported once, naming its size raw and
/// as sent and Graph's limit, after exactly one request; a larger item later is not sent at all
/// (the cap learnt); the small item is imported.
#[tokio::test]
async fn tenant_limit_an_item_refused_for_size_is_reported_once_and_never_sent_again() {
    // `bigger` is downloaded slowly, so that `big`'s 413 has come back before it is sent.
    let slow = "[[fault]]\napi = \"vendor\"\nop = \"raw\"\nitem = \"bigger\"\naction = \"latency\"\nlatency_ms = 500\n";
    let body = format!(
        "{PEOPLE}[tenant]\nmax_request_bytes = 100000\n{}{}{}{slow}",
        attachment("big", 9, 200_000),
        attachment("bigger", 11, 300_000),
        attachment("small", 12, 5000)
    );
    let h = Harness::start("tenant-limit", &body).await;
    let mut config = h.config(DAY1_END);
    config.concurrency = 1;

    let report = h.run(config).await;

    assert_eq!(h.archived("wang.wei@contoso.cn").await, ids(&["small"]));
    let failed = failed_in(&report, "wang.wei@contoso.cn");
    assert_eq!(failed.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(), vec!["big", "bigger"], "{report:#?}");
    let (_, reason, detail) = &failed[0];
    assert_eq!(*reason, FailureReason::SinkRejected);
    assert!(detail.starts_with("HTTP 413 BadRequest: the item is 200000 bytes, "), "{detail}");
    assert!(
        detail.contains("bytes as sent (base64)") && detail.contains("The maximum request length supported is 100000 bytes."),
        "{detail}"
    );
    assert!(
        failed[1].2.starts_with("not sent: the item is 300000 bytes") && failed[1].2.contains("the tenant answered 413"),
        "{}",
        failed[1].2
    );
    let refused: Vec<_> = h.journal().await.into_iter().filter(|e| e.op == Op::Import && e.status == 413).collect();
    assert_eq!(refused.len(), 1, "one request for `big`, none for `bigger`: {refused:?}");
}

/// TENANT-LIMIT with `GRAPH_MAX_REQUEST_BYTES`: larger items are reported without a request.
#[tokio::test]
async fn tenant_limit_graph_max_request_bytes_refuses_before_sending() {
    let h = Harness::start("own-cap", &format!("{PEOPLE}{}{}", attachment("big", 9, 200_000), attachment("small", 12, 5000))).await;
    let mut config = h.config(DAY1_END);
    config.max_request_bytes = Some(100_000);

    let report = h.run(config).await;

    let failed = failed_in(&report, "wang.wei@contoso.cn");
    assert_eq!(failed.len(), 1, "{report:#?}");
    assert!(
        failed[0].2.starts_with("not sent: the item is 200000 bytes") && failed[0].2.contains("(GRAPH_MAX_REQUEST_BYTES is 100000)"),
        "{failed:?}"
    );
    assert_eq!(h.journal().await.iter().filter(|e| e.op == Op::Import).count(), 1, "only `small` was sent");
    assert_eq!(h.archived("wang.wei@contoso.cn").await, ids(&["small"]));
}

/// `n` chats between the two employees.
fn chats(n: usize) -> String {
    (0..n)
        .map(|i| format!("[[item]]\nid = \"m{i:02}\"\nat = \"2026-11-20T10:{i:02}:00.000Z\"\nkind = \"chat\"\nfrom = \"wang-wei\"\nto = [\"zhang-min\"]\n"))
        .collect()
}

/// DEDUP: imports that land and are answered 503/504 (`store_then_status`) are found by asking
/// the tenant before a retry: no duplicate, nothing lost, counted imported.
#[tokio::test]
async fn dedup_a_write_answered_5xx_after_it_landed_is_found_not_duplicated() {
    let faults = "[[fault]]\napi = \"tenant\"\nop = \"import\"\nitem = \"m01\"\ncount = 0\naction = \"store_then_status\"\nstatus = 504\n\n\
                  [[fault]]\napi = \"tenant\"\nop = \"import\"\nitem = \"m02\"\ncount = 1\naction = \"store_then_status\"\nstatus = 503\n";
    let h = Harness::start("store-then-5xx", &format!("{PEOPLE}{}{faults}", chats(4))).await;

    let report = h.run(h.config(DAY1_END)).await;

    assert_eq!((report.counts.imported, report.counts.failed), (8, 0), "{report:#?}");
    for mailbox in ["wang.wei@contoso.cn", "zhang.min@contoso.cn"] {
        assert_eq!(h.archived(mailbox).await, ids(&["m00", "m01", "m02", "m03"]), "{mailbox}");
    }
    let journal = h.journal().await;
    let answered_5xx = journal.iter().filter(|e| e.op == Op::Import && e.status >= 500).count();
    assert_eq!(answered_5xx, 3, "m01 twice (both mailboxes), m02 once: {journal:?}");
    assert_eq!(journal.iter().filter(|e| e.op == Op::Import).count(), 8, "nothing sent again after landing");
}

/// `ErrorFolderExists` answered 400 (`[tenant] folder_exists_status = 400`) is recognised by
/// its code: a folder create that lands but is answered 503 is retried, the retry's 400
/// `ErrorFolderExists` means "look again", and the existing folder is used.
#[tokio::test]
async fn folder_error_folder_exists_as_400_is_recognised_by_its_code() {
    use crate::proxy::{Action, Fault};
    let h = Harness::start("folder-exists-400", &format!("{PEOPLE}[tenant]\nfolder_exists_status = 400\n{}", chats(2))).await;
    let proxy = Proxy::start(
        &h.sim.base_url(),
        vec![Fault { method: "POST", path_contains: "/mailFolders".into(), times: 1, action: Action::AfterForward { status: 503 } }],
    )
    .await;
    let mut config = h.config_via(&proxy.url, DAY1_END);
    config.concurrency = 1;

    let report = h.run(config).await;

    assert_eq!((report.counts.imported, report.counts.failed), (4, 0), "{report:#?}");
    let creations: Vec<_> = h.journal().await.into_iter().filter(|e| e.op == Op::CreateFolder).collect();
    assert!(creations.iter().any(|e| e.status == 400 && e.code.as_deref() == Some("ErrorFolderExists")), "{creations:?}");
    for m in h.mailboxes().await {
        let n = m.folders.iter().filter(|f| f.name == "WeChat Archiver").count();
        assert!(n <= 1, "{m:?}");
    }
}

/// One import into wang.wei answered `status` with `retry_after` (TOML) once, through a
/// recording proxy: (the import requests seen, the report).
async fn retried_once(name: &str, status: u16, retry_after: &str) -> (Vec<crate::proxy::Seen>, RunReport, Harness) {
    let item = "[[item]]\nid = \"r00\"\nat = \"2026-11-20T10:00:00.000Z\"\nkind = \"chat\"\nfrom = \"li-na\"\nto = [\"wang-wei\"]\n";
    let fault = format!(
        "[[fault]]\napi = \"tenant\"\nop = \"import\"\ncount = 1\naction = \"status\"\nstatus = {status}\nretry_after = {retry_after}\n"
    );
    let h = Harness::start(name, &format!("{PEOPLE}{item}{fault}")).await;
    let proxy = Proxy::start(&h.sim.base_url(), vec![]).await;
    let report = h.run(h.config_via(&proxy.url, DAY1_END)).await;
    assert_eq!((report.counts.imported, report.counts.failed), (1, 0), "{report:#?}");
    assert_eq!(h.archived("wang.wei@contoso.cn").await, ids(&["r00"]), "landed once");
    let imports = proxy.requests("POST", "/importMime");
    assert_eq!(imports.iter().map(|s| s.status).collect::<Vec<_>>(), vec![status, 201], "{imports:?}");
    (imports, report, h)
}

/// `Retry-After` as Graph sends it: fractional (`0.3`, as on `$batch`) is waited out, never
/// undercut; absent means exponential backoff; each import then lands once.
#[tokio::test]
async fn retry_after_fractional_is_waited_out_and_absent_is_backed_off() {
    let (imports, _, _) = retried_once("retry-after-fractional", 503, "0.3").await;
    let waited = imports[1].at.duration_since(imports[0].at);
    assert!(waited >= Duration::from_millis(300), "retried after {waited:?}");

    let (imports, _, h) = retried_once("retry-after-absent", 429, "\"absent\"").await;
    assert!(imports[1].at > imports[0].at);
    let refused = h.journal().await.into_iter().find(|e| e.status == 429).expect("journalled");
    assert!(refused.fault.is_some(), "{refused:?}");
}
