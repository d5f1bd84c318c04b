//! Simulator throughput, measured in a release build:
//!
//! ```sh
//! cargo bench -p tm-simulator --bench throughput            # 10,000 employees, one day
//! cargo bench -p tm-simulator --bench throughput -- 2000    # a smaller organisation
//! ```
//!
//! Reports (1) items generated per second for a 10,000-employee day (people, traffic, rendering
//! every head to size it, and the sha256 of every item, i.e. everything a listing needs), and
//! (2) items listed and downloaded per second over loopback by 16 concurrent clients.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use tm_simulator::{Running, Scenario, Simulator, World};

fn scenario(employees: usize) -> Scenario {
    let text = format!(
        r#"
name = "bench-{employees}"
seed = 1
start = "2026-11-20T00:00:00Z"
[organisation]
employees = {employees}
external_contacts = {ext}
groups = {groups}
max_group_size = 200
[traffic]
days = 1
items_per_employee_per_day = 20
recall_rate = 0.02
oversize_rate = 0.002
"#,
        ext = employees / 2,
        groups = employees / 10
    );
    Scenario::from_toml_str(&text, "bench").expect("the bench scenario is valid")
}

fn main() {
    let employees: usize = std::env::args().skip(1).find(|a| !a.starts_with('-')).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let _ = rustls::crypto::ring::default_provider().install_default();
    generation(employees);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    rt.block_on(serving(employees));
}

/// 1. Generation: people, traffic and sizes, then the render and sha256 of every item.
fn generation(employees: usize) {
    let t = Instant::now();
    let state = World::generate(scenario(employees)).expect("builds");
    let built = t.elapsed();
    let items = state.archive.items();
    let bytes: u64 = items.iter().map(|i| state.archive.size(i)).sum();
    let t2 = Instant::now();
    for i in items {
        state.archive.sha256(i);
    }
    let hashed = t2.elapsed();
    let gen_total = built + hashed;
    println!("generation: {employees} employees, 1 day: {} items, {:.1} GB", items.len(), bytes as f64 / 1e9);
    println!(
        "  build (people, traffic, sizes):  {:>8.2} s  {:>10.0} items/s",
        built.as_secs_f64(),
        items.len() as f64 / built.as_secs_f64()
    );
    println!(
        "  render + sha256 of every item:   {:>8.2} s  {:>10.0} items/s  {:.0} MB/s",
        hashed.as_secs_f64(),
        items.len() as f64 / hashed.as_secs_f64(),
        bytes as f64 / 1e6 / hashed.as_secs_f64()
    );
    println!(
        "  total:                           {:>8.2} s  {:>10.0} items/s",
        gen_total.as_secs_f64(),
        items.len() as f64 / gen_total.as_secs_f64()
    );
    drop(state);
}

/// What the serving clients have done, together.
#[derive(Clone, Default)]
struct Counters {
    /// The next hour-slice of the day to take.
    next_hour: Arc<AtomicUsize>,
    listed: Arc<AtomicU64>,
    downloaded: Arc<AtomicU64>,
    bytes: Arc<AtomicU64>,
}

/// 2. Listing + downloading over loopback, 16 clients.
async fn serving(employees: usize) {
    let sim = Simulator::start(scenario(employees), "127.0.0.1:0".parse().unwrap()).await.expect("starts");
    let client = reqwest::Client::new();
    let token = login(&client, &sim).await;
    // Each client lists one hour-slice of the day at a time (24 slices) and downloads its items.
    let counters = Counters::default();
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (client, token, url) = (client.clone(), token.clone(), sim.vendor_url());
        tasks.push(tokio::spawn(client_task(client, token, url, counters.clone())));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let e = t.elapsed().as_secs_f64();
    let n = counters.downloaded.load(Ordering::Relaxed);
    println!(
        "serving: 16 concurrent clients over loopback listed {} and downloaded {n} items ({:.1} GB) in {e:.2} s",
        counters.listed.load(Ordering::Relaxed),
        counters.bytes.load(Ordering::Relaxed) as f64 / 1e9
    );
    println!(
        "  {:>10.0} items/s  {:.0} MB/s (first listing of each item includes computing its sha256)",
        n as f64 / e,
        counters.bytes.load(Ordering::Relaxed) as f64 / 1e6 / e
    );
    sim.shutdown().await;
}

/// A vendor session token.
async fn login(client: &reqwest::Client, sim: &Running) -> String {
    let c = sim.credentials().clone();
    let login: serde_json::Value = client
        .post(format!("{}/session", sim.vendor_url()))
        .json(&serde_json::json!({"username": c.vendor_username, "password": c.vendor_password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["token"].as_str().unwrap().to_string()
}

/// One client: takes hour-slices until the day is done, lists each page by page and downloads
/// every item listed.
async fn client_task(client: reqwest::Client, token: String, url: String, counters: Counters) {
    loop {
        let h = counters.next_hour.fetch_add(1, Ordering::Relaxed);
        if h >= 24 {
            return;
        }
        let from = format!("2026-11-20T{h:02}:00:00Z");
        let to = if h == 23 { "2026-11-21T00:00:00Z".to_string() } else { format!("2026-11-20T{:02}:00:00Z", h + 1) };
        let mut cursor: Option<String> = None;
        loop {
            let mut req = client.get(format!("{url}/items")).bearer_auth(&token).query(&[
                ("from", &from),
                ("to", &to),
                ("limit", &"1000".to_string()),
            ]);
            if let Some(c) = &cursor {
                req = req.query(&[("cursor", c)]);
            }
            let page: serde_json::Value = req.send().await.unwrap().json().await.unwrap();
            for item in page["items"].as_array().unwrap() {
                counters.listed.fetch_add(1, Ordering::Relaxed);
                download(&client, &token, &url, item["id"].as_str().unwrap(), &counters).await;
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
    }
}

/// One item's raw bytes, counted and dropped.
async fn download(client: &reqwest::Client, token: &str, url: &str, id: &str, counters: &Counters) {
    let mut resp = client.get(format!("{url}/items/{id}/raw")).bearer_auth(token).send().await.unwrap();
    while let Some(chunk) = resp.chunk().await.unwrap() {
        counters.bytes.fetch_add(chunk.len() as u64, Ordering::Relaxed);
    }
    counters.downloaded.fetch_add(1, Ordering::Relaxed);
}
