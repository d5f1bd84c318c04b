//! Deliberately broken connectors (`tm-mutant --mutation NAME`, run through `--connector-cmd` like
//! any vendor's program) fail exactly the rules they break, with explanations; the same program
//! unbroken passes every rule, also through kills.

use std::collections::BTreeSet;

use tm_conformance::{Rule, Verdict};

use super::support::{explain, mutant, rule, rules_with, run};

/// The mutation fails exactly the rules of these IDs, each with an explanation.
async fn fails_exactly(mutation: &str, scenarios: &[&str], expected: &[&str]) {
    let verdicts = run(mutant(mutation), scenarios).await;
    let failed = rules_with(&verdicts, Verdict::Fail);
    let expected: BTreeSet<Rule> = expected.iter().map(|id| rule(id)).collect();
    assert_eq!(failed, expected, "mutation {mutation} on {scenarios:?}:\n{}", explain(&verdicts));
    for s in &verdicts {
        for r in s.rules.iter().filter(|r| r.verdict == Verdict::Fail) {
            assert!(!r.findings.is_empty(), "{mutation}: {} {} failed without an explanation", s.scenario, r.rule);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignoring_the_mapping_fails_route_map_only() {
    fails_exactly("ignore-mapping", &["route-map", "route-auto-off", "route-fanout"], &["ROUTE-MAP"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_by_email_with_automatic_mapping_off_fails_route_auto_off_only() {
    fails_exactly("email-always", &["route-auto-off", "route-email"], &["ROUTE-AUTO-OFF"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_routing_by_email_fails_route_email_only() {
    fails_exactly("no-email", &["route-email", "route-fanout"], &["ROUTE-EMAIL"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_all_but_the_first_participant_fails_route_fanout_only() {
    fails_exactly("first-participant", &["route-fanout", "route-map", "route-email", "realistic-day"], &["ROUTE-FANOUT"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_reporting_unroutable_items_fails_route_drop_only() {
    fails_exactly("drop-silently", &["route-drop", "report"], &["ROUTE-DROP"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_by_the_people_an_item_quotes_fails_route_nested_only() {
    fails_exactly("route-nested", &["route-nested", "route-map", "route-fanout"], &["ROUTE-NESTED"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_folder_name_fails_folder_only() {
    fails_exactly("folder-name", &["folder", "route-map"], &["FOLDER"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn importing_oversized_items_fails_size_only() {
    fails_exactly("oversize", &["size", "report"], &["SIZE"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn altering_what_is_imported_fails_content_only() {
    fails_exactly("tamper", &["content"], &["CONTENT"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skipping_recalls_fails_recall_only() {
    fails_exactly("skip-recalls", &["recall", "content"], &["RECALL"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignoring_the_window_fails_window_only() {
    fails_exactly("ignore-window", &["window", "incremental"], &["WINDOW"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignoring_the_checkpoint_fails_incremental_only() {
    fails_exactly("no-checkpoint", &["incremental", "multi-day"], &["INCREMENTAL"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_importing_on_every_run_fails_dedup_only() {
    fails_exactly("reimport", &["dedup", "incremental"], &["DEDUP"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_whose_counts_do_not_add_up_fails_report_only() {
    fails_exactly("bad-counts", &["report"], &["REPORT"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrying_at_once_fails_retry_after_and_backoff_the_one_mistake_breaks_both() {
    // Retrying at once both undercuts every Retry-After and never lets a wait grow: the mutation
    // necessarily breaks the two rules, and only them.
    fails_exactly("retry-immediately", &["retry-after", "backoff"], &["RETRY-AFTER", "BACKOFF"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flooding_a_mailbox_fails_concurrency_only() {
    fails_exactly("flood-mailbox", &["concurrency"], &["CONCURRENCY"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn importing_a_cut_download_as_if_whole_fails_truncation_only() {
    fails_exactly("no-verify", &["truncation"], &["TRUNCATION"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn importing_corrupt_or_malformed_bytes_unchecked_fails_integrity_only() {
    // A cut download is still downloaded again (TRUNCATION holds); the copies of the corrupt
    // items are INTEGRITY's, not CONTENT's.
    fails_exactly("trust-bytes", &["integrity", "truncation", "content"], &["INTEGRITY"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_the_checkpoint_after_a_failed_run_fails_resume_only() {
    fails_exactly("checkpoint-on-failure", &["resume"], &["RESUME"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn looking_for_the_folder_on_the_first_page_only_fails_graph_paging_only() {
    fails_exactly("first-page-only", &["graph-paging", "folder"], &["GRAPH-PAGING"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_fetching_a_second_token_fails_token_refresh_only() {
    fails_exactly("stale-token", &["token-refresh", "reauth"], &["TOKEN-REFRESH"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusting_the_folders_count_fails_foreign_writes_only() {
    fails_exactly("count-fence", &["foreign-writes", "resume"], &["FOREIGN-WRITES"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn importing_drafts_with_the_mime_create_fails_final_only() {
    fails_exactly("draft-import", &["final", "route-map"], &["FINAL"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrying_a_413_fails_tenant_limit_only() {
    fails_exactly("retry413", &["tenant-limit"], &["TENANT-LIMIT"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asking_an_out_of_scope_mailbox_for_every_item_fails_scope_only() {
    fails_exactly("ask-out-of-scope", &["scope", "route-fanout"], &["SCOPE"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asking_a_full_mailbox_for_every_item_fails_quota_only() {
    fails_exactly("ask-full-mailbox", &["quota", "route-fanout"], &["QUOTA"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_by_capture_window_only_fails_late_only() {
    fails_exactly("window-only", &["late", "incremental", "window", "realistic-day"], &["LATE"]).await;
}

/// LATE passes for the unbroken connector, which follows the sequence too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unbroken_command_connector_imports_late_arrivals_once() {
    let verdicts = run(mutant("none"), &["late"]).await;
    assert!(rules_with(&verdicts, Verdict::Fail).is_empty(), "{}", explain(&verdicts));
    assert!(rules_with(&verdicts, Verdict::Pass).contains(&rule("LATE")), "LATE was not exercised");
    assert!(verdicts.iter().all(|v| v.snapshot == tm_conformance::SnapshotStatus::Matches));
}

/// FINAL, TENANT-LIMIT, SCOPE and QUOTA pass for the unbroken connector, each exercised by its
/// scenario, and the tenant and reports are the reviewed snapshots.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unbroken_command_connector_imports_the_2026_way() {
    let verdicts = run(mutant("none"), &["final", "tenant-limit", "scope", "quota"]).await;
    assert!(rules_with(&verdicts, Verdict::Fail).is_empty(), "{}", explain(&verdicts));
    let passed = rules_with(&verdicts, Verdict::Pass);
    for id in ["FINAL", "TENANT-LIMIT", "SCOPE", "QUOTA"] {
        assert!(passed.contains(&rule(id)), "{id} was not exercised");
    }
    for v in &verdicts {
        assert_eq!(v.snapshot, tm_conformance::SnapshotStatus::Matches, "{}", v.scenario);
        assert!(v.runs.iter().all(|r| r.outcome == "completed"), "{}: {:?}", v.scenario, v.runs);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unbroken_command_connector_copes_with_every_fault() {
    let scenarios = [
        "retry-after",
        "backoff",
        "concurrency",
        "reauth",
        "resume",
        "truncation",
        "integrity",
        "foreign-writes",
        "token-refresh",
        "graph-paging",
    ];
    let verdicts = run(mutant("none"), &scenarios).await;
    assert!(rules_with(&verdicts, Verdict::Fail).is_empty(), "{}", explain(&verdicts));
    let passed = rules_with(&verdicts, Verdict::Pass);
    for id in [
        "RETRY-AFTER",
        "BACKOFF",
        "CONCURRENCY",
        "REAUTH",
        "RESUME",
        "TRUNCATION",
        "INTEGRITY",
        "FOREIGN-WRITES",
        "TOKEN-REFRESH",
        "GRAPH-PAGING",
    ] {
        assert!(passed.contains(&rule(id)), "{id} was not exercised");
    }
    assert!(verdicts.iter().all(|v| v.snapshot == tm_conformance::SnapshotStatus::Matches));
    let resume = verdicts.iter().find(|v| v.scenario == "resume").expect("run");
    assert!(resume.runs[0].outcome.starts_with("failed") && resume.runs[0].as_scheduled, "{:?}", resume.runs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connector_without_reports_is_judged_on_the_tenant_and_report_is_skipped_not_passed() {
    let verdicts = run(mutant("no-report"), &["report", "route-drop"]).await;
    assert!(rules_with(&verdicts, Verdict::Fail).is_empty(), "{}", explain(&verdicts));
    for v in &verdicts {
        assert_eq!(v.verdict(rule("REPORT")), Verdict::Skipped, "{}", v.scenario);
        assert_eq!(v.verdict(rule("ROUTE-DROP")), Verdict::Pass, "{}", v.scenario);
        assert!(v.digest.contains("failures: none"), "{}", v.digest);
        assert_eq!(v.snapshot, tm_conformance::SnapshotStatus::Matches, "{}: the tenant part is compared", v.scenario);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unbroken_command_connector_passes_every_rule_through_kills() {
    let verdicts = run(mutant("none"), &["dedup", "multi-day"]).await;
    assert!(rules_with(&verdicts, Verdict::Fail).is_empty(), "{}", explain(&verdicts));
    assert!(verdicts.iter().all(|v| v.snapshot == tm_conformance::SnapshotStatus::Matches));
    assert!(verdicts.iter().flat_map(|v| &v.runs).any(|r| r.outcome.contains("killed")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_is_explained_with_the_item_where_it_was_expected_and_where_it_was_found() {
    let verdicts = run(mutant("ignore-mapping"), &["route-map"]).await;
    let map = verdicts[0].rules.iter().find(|r| r.rule == rule("ROUTE-MAP")).expect("a verdict");
    let text = map.findings.join("\n");
    assert!(
        text.contains("item map-01") && text.contains("expected in sales-archive@contoso.cn") && text.contains("found in li.na@contoso.cn"),
        "{text}"
    );
    assert!(text.contains("li-na's mobile +8613810000002 is mapped to it"), "{text}");
}
