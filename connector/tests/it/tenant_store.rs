//! The simulator's tenant, however it keeps messages (in memory by reference, or in a data
//! directory across a restart), holds the same after the same connector runs, and gives back the
//! bytes the connector imported.

use tm_simulator::{Options, Simulator};

use crate::harness::{DAY1_END, Harness, PEOPLE};

const TRAFFIC: &str = r#"
[organisation]
employees = 12
external_contacts = 6
groups = 3
[traffic]
days = 3
items_per_employee_per_day = 6
mix = { chat = 60, attachment = 25, file = 10, call = 5 }

# Graph caps a request at 4 MB (TENANT-LIMIT's tests cover it: such items are sink_rejected);
# these tests are about the store, so the cap is contract v1's 150 MiB: every item lands.
[tenant]
max_request_bytes = 157286400
"#;

async fn sim_json(h: &Harness, path: &str) -> serde_json::Value {
    reqwest::get(format!("{}{path}", h.sim.sim_url())).await.unwrap().json().await.unwrap()
}

async fn two_days(h: &Harness) {
    h.run(h.config(DAY1_END)).await;
    h.run(h.config("2026-11-22T00:00:00Z")).await;
}

#[tokio::test]
async fn the_same_runs_give_the_same_tenant_in_memory_and_in_a_data_directory_and_after_a_restart() {
    let body = format!("{PEOPLE}{TRAFFIC}");
    let memory = Harness::start("store", &body).await;
    two_days(&memory).await;
    let dir = tempfile::tempdir().unwrap();
    let on_disk = Harness::start_with("store", &body, Options { data_dir: Some(dir.path().to_path_buf()), ..Options::default() }).await;
    two_days(&on_disk).await;

    let expected = sim_json(&memory, "/mailboxes").await;
    assert_eq!(sim_json(&on_disk, "/mailboxes").await, expected);
    let deliveries = sim_json(&memory, "/stats").await["deliveries"].as_u64().unwrap();
    assert!(deliveries > 50, "{deliveries}");

    // Every imported message reads back as the vendor's bytes (what was imported).
    let http = reqwest::Client::new();
    let token = memory.vendor_token().await;
    let mut checked = 0;
    for mailbox in expected["mailboxes"].as_array().unwrap() {
        for folder in mailbox["folders"].as_array().unwrap() {
            for item in folder["items"].as_array().unwrap().iter().take(3) {
                let (address, id) = (mailbox["address"].as_str().unwrap(), item["id"].as_str().unwrap());
                let vendor = http.get(format!("{}/items/{id}/raw", memory.sim.vendor_url())).bearer_auth(&token).send().await.unwrap();
                let vendor = vendor.bytes().await.unwrap();
                for h in [&memory, &on_disk] {
                    let got = http.get(format!("{}/mailboxes/{address}/items/{id}/raw", h.sim.sim_url())).send().await.unwrap();
                    assert_eq!(got.status(), 200);
                    assert_eq!(got.bytes().await.unwrap(), vendor, "{address} {id}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 10);

    // A restart on the data directory finds it all, and a third run there changes nothing.
    let scenario = on_disk.sim.observe().world().scenario.clone();
    let Harness { sim, state, files: _files, .. } = on_disk;
    sim.shutdown().await;
    let again = Simulator::start_with(
        scenario,
        "127.0.0.1:0".parse().unwrap(),
        Options { data_dir: Some(dir.path().to_path_buf()), ..Options::default() },
    )
    .await
    .unwrap();
    let restarted: serde_json::Value = reqwest::get(format!("{}/mailboxes", again.sim_url())).await.unwrap().json().await.unwrap();
    assert_eq!(restarted, expected);
    drop(state);
}
