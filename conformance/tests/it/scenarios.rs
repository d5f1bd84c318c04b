//! The reference connector through every fixture scenario: its digest is the reviewed snapshot in
//! `fixtures/expected/`, the oracle computes the same digest independently, and every rule the
//! catalogue says the scenario exercises passes.

use tm_conformance::{Connector, Rule, SnapshotStatus, Suite, Verdict, judge};

async fn the_reference_connector_passes(name: &str) {
    let suite = Suite::new(Connector::Reference);
    let scenario = suite.fixtures.load(name).unwrap_or_else(|e| panic!("scenario {name}: {e}"));
    let exec = suite.execute(scenario).await.unwrap_or_else(|e| panic!("scenario {name}: {e}"));
    // Judged against the oracle here; insta compares with the stored snapshot (and can update it).
    let verdict = judge(&exec, Err(SnapshotStatus::Missing("compared by insta".into()))).expect("the oracle judges");
    insta::with_settings!({
        snapshot_path => "../../../fixtures/expected",
        prepend_module_to_snapshot => false,
        omit_expression => true,
        description => format!("tm-conformance digest of fixtures/scenarios/{name}.toml: the tenant after all runs, and the reported failures"),
    }, {
        insta::assert_snapshot!(name, verdict.digest);
    });
    assert_eq!(verdict.expected_digest, verdict.digest, "{name}: the reference connector and the oracle disagree");
    let failures = super::support::explain(std::slice::from_ref(&verdict));
    assert!(!verdict.failed(), "{name}: the reference connector fails:\n{failures}");
    for &rule in Rule::all().iter().filter(|r| r.requirement().scenarios.contains(&name)) {
        assert_eq!(
            verdict.verdict(rule),
            Verdict::Pass,
            "{name} is catalogued as exercising {rule} but the rule was not exercised: {:?}",
            verdict.rules.iter().find(|r| r.rule == rule).map(|r| &r.note)
        );
    }
    for run in &verdict.runs {
        assert!(run.as_scheduled, "{name}: run {} ended unexpectedly: {} {}", run.number, run.outcome, run.log_tail);
    }
}

macro_rules! scenarios {
    ($($test:ident => $name:literal),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                the_reference_connector_passes($name).await;
            }
        )*

        /// Every scenario file with runs has a test above.
        #[test]
        fn every_fixture_scenario_is_tested() {
            let listed: Vec<String> = tm_conformance::Fixtures::locate().scenarios().unwrap().into_iter().map(|(n, _)| n).collect();
            let tested: Vec<&str> = vec![$($name),*];
            assert_eq!(listed, tested);
        }
    };
}

scenarios! {
    retries_wait_for_the_5xx_to_pass_with_growing_waits => "backoff",
    never_more_than_four_requests_in_flight_per_mailbox => "concurrency",
    content_is_imported_byte_for_byte => "content",
    a_killed_run_and_its_reruns_import_every_item_once => "dedup",
    imported_items_are_final_messages_not_drafts => "final",
    items_land_in_one_wechat_archiver_folder_per_mailbox => "folder",
    others_writing_into_the_folder_do_not_break_exactly_once => "foreign-writes",
    the_archive_folder_is_found_beyond_the_first_page_of_folders => "graph-paging",
    later_runs_continue_without_gap_or_duplicate => "incremental",
    corrupt_malformed_or_gone_items_are_never_imported_as_the_item => "integrity",
    late_arrivals_are_imported_once_by_the_first_run_after_they_arrive => "late",
    several_days_with_a_missed_day_and_a_killed_run_lose_nothing => "multi-day",
    a_full_mailbox_is_reported_per_delivery_and_not_asked_for_every_item => "quota",
    a_realistic_generated_day_passes_every_rule => "realistic-day",
    an_expired_vendor_token_leads_to_a_new_login => "reauth",
    recalls_and_recalled_items_are_both_imported => "recall",
    run_reports_add_up => "report",
    the_run_after_an_outage_finishes_the_job_without_loss_or_duplicate => "resume",
    no_request_is_repeated_before_its_retry_after => "retry-after",
    with_automatic_mapping_off_only_the_mapping_routes => "route-auto-off",
    items_routed_nowhere_are_reported_user_mapping => "route-drop",
    unmapped_participants_are_routed_by_email => "route-email",
    items_reach_each_routed_mailbox_once => "route-fanout",
    mapped_numbers_route_to_the_mapped_mailbox => "route-map",
    only_an_items_own_participants_route_it_never_the_people_it_quotes => "route-nested",
    a_mailbox_outside_the_apps_scope_is_reported_and_the_run_goes_on => "scope",
    oversized_items_are_refused_and_the_limit_is_imported => "size",
    a_week_of_faults_in_short_leaves_the_fault_free_tenant => "soak",
    items_over_the_tenants_request_cap_are_reported_not_retried => "tenant-limit",
    tokens_that_expire_mid_run_are_fetched_again_and_nothing_is_lost => "token-refresh",
    a_truncated_or_reset_download_is_never_imported_as_if_whole => "truncation",
    a_first_run_imports_exactly_the_last_24_hours => "window",
}

#[test]
fn the_soak_fixture_is_what_the_soak_command_generates() {
    let fixtures = tm_conformance::Fixtures::locate();
    let stored = std::fs::read_to_string(fixtures.scenario_path("soak")).expect("fixtures/scenarios/soak.toml");
    let generated = tm_conformance::soak::scenario_toml(&super::soak::FIXTURE, true);
    assert!(
        stored == generated,
        "fixtures/scenarios/soak.toml is stale: regenerate it with `tm-conformance soak --days 2 --employees 6 --seed 7 --print-scenario`"
    );
}

#[test]
fn every_rule_is_exercised_by_at_least_one_focused_scenario_and_the_catalogue_names_real_files() {
    let fixtures = tm_conformance::Fixtures::locate();
    for &rule in Rule::all() {
        let r = rule.requirement();
        assert!(!r.scenarios.is_empty(), "{rule} names no scenario");
        for s in r.scenarios {
            assert!(fixtures.scenario_path(s).is_file(), "{rule} names {s}, which is no scenario file");
        }
        assert_eq!(Rule::from_id(r.id), Some(rule));
    }
}

/// The runner sets the archive's clock to each run's RUN_AT only when the scenario asks
/// (`[vendor] clock = "run_at"`): with it, the first run of `late` sees its 2 items on time;
/// without it every item is there from the start and the first window holds 6.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runner_sets_the_archive_clock_to_run_at_only_when_the_scenario_asks() {
    let suite = Suite::new(Connector::Reference);
    let with = suite.fixtures.load("late").expect("late.toml");
    let mut without = with.clone();
    without.vendor.clock = tm_simulator::VendorClock::None;
    let mut first = Vec::new();
    for scenario in [with, without] {
        let exec = suite.execute(scenario).await.expect("runs");
        let verdict = judge(&exec, Err(SnapshotStatus::Missing("not compared".into()))).expect("the oracle judges");
        assert!(!verdict.failed(), "{}", super::support::explain(std::slice::from_ref(&verdict)));
        first.push(verdict.runs[0].report.clone());
    }
    assert!(first[0].contains("items 2,"), "with the clock: {}", first[0]);
    assert!(first[1].contains("items 6,"), "without the clock: {}", first[1]);
}
