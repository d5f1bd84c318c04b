//! Live mode (`serve --live`): the scenario's last day of traffic is today and items arrive as
//! the clock passes them; the connector run without `--run-at` (as a scheduled job runs it)
//! imports the last 24 hours (WINDOW).

use std::process::Command;

use chrono::{DateTime, TimeDelta, Utc};

use crate::harness::Harness;

const TRAFFIC: &str = r#"
[organisation]
employees = 8
domain = "contoso.cn"
external_contacts = 4
groups = 2

[traffic]
days = 2
items_per_employee_per_day = 30
oversize_rate = 0.0

# Graph caps a request at 4 MB (such items are sink_rejected: tests/it/limits.rs); this test is
# about live mode, so the cap is contract v1's 150 MiB: every item lands.
[tenant]
max_request_bytes = 157286400
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn window_live_a_run_without_run_at_imports_the_last_24_hours_and_nothing_yet_to_come() {
    let before = Utc::now();
    let options = tm_simulator::Options { live: Some(before), ..tm_simulator::Options::default() };
    let h = Harness::start_with("live", TRAFFIC, options).await;
    let report_path = h.files.path().join("report.json");
    let c = h.sim.credentials();
    let out = Command::new(env!("CARGO_BIN_EXE_tm-connector"))
        .arg("run")
        .env("TM_URL", h.sim.vendor_url())
        .env("TM_USERNAME", &c.vendor_username)
        .env("TM_PASSWORD", &c.vendor_password)
        .env("GRAPH_URL", h.sim.graph_url())
        .env("GRAPH_TOKEN", &c.tenant_token)
        .env_remove("RUN_AT")
        .env("STATE_DIR", h.state.path())
        .env("REPORT_PATH", &report_path)
        .env("AUTO_MAPPING", "true")
        .env_remove("MAPPING_CSV")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let after = Utc::now();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: tm_connector::RunReport = serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();

    // The run's "now" is the clock's, its window the 24 hours before it.
    assert!(before - TimeDelta::milliseconds(1) <= report.window.to && report.window.to <= after, "{:?}", report.window);
    assert_eq!(report.window.to - report.window.from, TimeDelta::hours(24));
    // What the vendor lists for that window (a past window: stable now) is what the run saw,
    // and each of those items landed.
    let fmt = tm_contract::format_time;
    let listed = h.listing(&fmt(report.window.from), &fmt(report.window.to)).await;
    assert!(listed.len() > 50, "the last 24 hours hold traffic: {}", listed.len());
    assert_eq!(report.counts.items, listed.len() as u64, "{:?}", report.counts);
    // The only failures are the items every scenario holds just over the size limit (SIZE).
    let too_large: Vec<&str> = listed.iter().filter(|i| i.size > tm_connector::MAX_ITEM_BYTES).map(|i| i.id.as_str()).collect();
    let failed: Vec<&str> = report.failures.iter().map(|f| f.item_id.as_str()).collect();
    assert_eq!(failed, too_large, "{:?}", report.failures);
    assert!(report.failures.iter().all(|f| f.reason == tm_connector::FailureReason::ItemTooLarge), "{:?}", report.failures);
    let mut landed: Vec<String> = h.all_archived().await.into_iter().map(|(id, _)| id).collect();
    landed.dedup();
    let mut want: Vec<String> = listed.iter().map(|i| i.id.to_string()).collect();
    want.sort();
    want.retain(|id| !too_large.contains(&id.as_str()));
    let unrouted: Vec<&String> = want.iter().filter(|id| landed.binary_search(id).is_err()).collect();
    assert!(landed.iter().all(|id| want.binary_search(id).is_ok()), "only items of the window landed");
    assert!(unrouted.len() < want.len() / 4, "most items landed somewhere: {} of {} did not", unrouted.len(), want.len());

    // Nothing captured after the clock is listed, even when asked for the future.
    let checked = Utc::now();
    let ahead = h.listing(&fmt(checked - TimeDelta::hours(48)), &fmt(checked + TimeDelta::hours(48))).await;
    let later = Utc::now();
    assert!(ahead.iter().all(|i| i.captured_at <= later), "an item from the future was listed");
    assert!(ahead.iter().any(|i| i.captured_at < report.window.from), "yesterday's traffic is there too");
    // The simulator says how many have arrived, out of the scenario's two days.
    let scenario: serde_json::Value = reqwest::get(format!("{}/scenario", h.sim.sim_url())).await.unwrap().json().await.unwrap();
    let arrived = scenario["live"]["arrived"].as_u64().unwrap();
    assert!(arrived as usize >= ahead.len() && arrived <= scenario["counts"]["items"].as_u64().unwrap(), "{scenario}");
    let start: DateTime<Utc> = scenario["live"]["start"].as_str().unwrap().parse().unwrap();
    assert_eq!(start, (before - TimeDelta::days(1)).date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc(), "anchored: yesterday and today");
}
