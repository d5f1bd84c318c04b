//! Connector import benchmark (issue 3), measured in a release build:
//!
//! ```sh
//! cargo bench -p tm-connector --bench import            # 5,000 employees, one day (≥ 100,000 items)
//! cargo bench -p tm-connector --bench import -- 1000    # a smaller organisation
//! cargo bench -p tm-connector --bench import -- --rounds 3   # phases 2 and 3 three times (default 2)
//! ```
//!
//! An in-process simulator (bodies not kept) serves a generated day plus a few scripted 50 MB
//! attachments (three listed honestly, two whose listing claims 1 MB). Every item's sha256 is
//! computed before anything is timed, so that no phase pays for the simulator's lazy digests.
//! Then, with `POST /sim/reset` before each phase so that each imports into an empty tenant:
//!
//! 1. **plain ceiling**: a bare reqwest client, 8 items in flight (the connector's default), lists
//!    the window, downloads each item listed at ≤ 10 MiB (capped at 10 MiB), and POSTs it base64
//!    once into one mailbox (each of the 8 workers has its own mailbox) with beta's `importMime`,
//!    the connector's import path. No digest check, no
//!    parsing, no routing, no ledger.
//! 2. **connector**: the real `tm-connector` binary (built by Cargo for this bench), run once with
//!    its defaults; its peak RSS is its `VmHWM`, polled every 10 ms until it exits.
//! 3. **matched ceiling**: as 1, but each item is POSTed as many times as the connector delivered
//!    it (its fan-out, read from the tenant after phase 2), sequentially, like the connector does.
//!    Same downloads, same uploads: this is the like-with-like ceiling.
//!
//! Phases 2 and 3 run in rounds (2 by default), each ceiling right after its connector run, so
//! that both sides of a ratio see the same machine conditions. The ratio that issue 3 targets
//! (≥ 60 %) is the connector's rate over the matched ceiling's: the median over the rounds.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use futures_util::StreamExt;
use tm_simulator::{Options, Running, Scenario, Simulator};

/// SIZE: the contract's limit.
const LIMIT: u64 = 10_485_760;
const CONCURRENCY: usize = 8;
const RUN_AT: &str = "2026-11-21T00:00:00Z";
const FROM: &str = "2026-11-20T00:00:00Z";
const BIG: u64 = 50 * 1024 * 1024;

fn scenario(employees: usize) -> Scenario {
    let mut text = format!(
        r#"
name = "connector-bench-{employees}"
seed = 1
start = "2026-11-20T00:00:00Z"
[organisation]
employees = {employees}
external_contacts = {ext}
groups = {groups}
[traffic]
days = 1
items_per_employee_per_day = 20
# Fewer media and files than the default mix (70/17/5/8), so that a day is a few GB, not 20.
mix = {{ chat = 88, attachment = 3, file = 1, call = 8 }}
recall_rate = 0.02
oversize_rate = 0.002

# Graph caps a request at 4 MB; the generated media are larger once base64 and would be
# refused (413, sink_rejected). This is a throughput measurement of every item as one upload on
# both sides (connector and ceilings), so the cap is contract v1's 150 MiB.
[tenant]
max_request_bytes = 157286400

[[external]]
id = "bench-peer"
name = "Bench Peer"
app = "wechat"
mobile = "+8613900009999"
"#,
        ext = employees / 2,
        groups = employees / 10
    );
    // The ceiling's mailboxes, one per worker; they also send the 50 MB items.
    for w in 0..CONCURRENCY {
        text += &format!("\n[[employee]]\nid = \"bench-{w}\"\nname = \"Bench {w}\"\nemail = \"bench{w}@contoso.cn\"\napp = \"wecom\"\n");
    }
    // Oversized items: three listed honestly, two whose listing claims 1 MB.
    for (i, listed) in [None, None, None, Some(1_048_576u64), Some(1_048_576)].into_iter().enumerate() {
        text += &format!(
            "\n[[item]]\nid = \"big-{i}\"\nat = \"2026-11-20T{:02}:30:00.000Z\"\nkind = \"attachment\"\nfrom = \"bench-{i}\"\nto = [\"bench-peer\"]\nattachment = \"VID_big_{i}.mp4\"\nsize = {BIG}\n",
            4 + 3 * i
        );
        if let Some(l) = listed {
            text += &format!("listed_size = {l}\n");
        }
    }
    Scenario::from_toml_str(&text, "bench").expect("the bench scenario is valid")
}

/// One listed item, as the ceiling client sees it.
#[derive(Debug, Clone, serde::Deserialize)]
struct Listed {
    id: String,
    size: u64,
}

#[derive(Default)]
struct Totals {
    items: AtomicU64,
    downloaded_bytes: AtomicU64,
    uploads: AtomicU64,
    uploaded_bytes: AtomicU64,
}

struct Measured {
    label: &'static str,
    secs: f64,
    items: u64,
    deliveries: u64,
    down_bytes: u64,
    up_bytes: u64,
    peak_rss_kib: Option<u64>,
    /// CPU seconds of the connector process (when it is one) and of this process (simulator and
    /// ceiling client) during the phase.
    cpu: (Option<f64>, f64),
}

impl Measured {
    fn print(&self) {
        println!(
            "  {:<34} {:>8.1} s {:>9.0} items/s {:>9.0} deliveries/s {:>7.1} MB/s down {:>7.1} MB/s up (raw) {:>10}",
            self.label,
            self.secs,
            self.items as f64 / self.secs,
            self.deliveries as f64 / self.secs,
            self.down_bytes as f64 / 1e6 / self.secs,
            self.up_bytes as f64 / 1e6 / self.secs,
            self.peak_rss_kib.map_or_else(|| "-".to_owned(), |k| format!("{:.1} MiB RSS", k as f64 / 1024.0)),
        );
        let connector = self.cpu.0.map_or_else(String::new, |c| format!("connector {c:.1} CPU-s, "));
        println!("  {:<34} {connector}simulator{} {:.1} CPU-s", "", if self.cpu.0.is_none() { " + client" } else { "" }, self.cpu.1);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rounds: usize = args.iter().position(|a| a == "--rounds").and_then(|i| args.get(i + 1)).and_then(|r| r.parse().ok()).unwrap_or(2);
    let employees: usize = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with('-') && (*i == 0 || args[i - 1] != "--rounds"))
        .and_then(|(_, a)| a.parse().ok())
        .unwrap_or(5_000);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    rt.block_on(bench(employees, rounds.max(1)));
}

async fn bench(employees: usize, rounds: usize) {
    let (sim, real_size) = prepare(employees).await;
    let http = reqwest::Client::new();
    let ceiling_users = ceiling_users(&http, &sim).await;

    // 1. Plain ceiling: one upload per item.
    reset(&http, &sim).await;
    let plain = ceiling(&http, &sim, &ceiling_users, None, "plain ceiling (1 upload per item)").await;
    plain.print();

    // 2 and 3, in rounds: the connector, then the matched ceiling right after it, so that both
    // sides of each ratio run under the same machine conditions (a shared VM's speed drifts
    // by ±10 % over minutes).
    let mut ratios = Vec::new();
    let mut peak_rss = 0;
    let mut fanout: HashMap<String, u64> = HashMap::new();
    let mut last = None;
    for round in 1..=rounds {
        println!("  round {round} of {rounds}");
        reset(&http, &sim).await;
        // The wait for the child (and the polling of its peak RSS) blocks: off the runtime's
        // worker threads, which serve the simulator.
        let connector = tokio::task::block_in_place(|| run_connector(&sim, &real_size));
        connector.print();
        peak_rss = peak_rss.max(connector.peak_rss_kib.unwrap_or(0));
        // Its fan-out per item, from the tenant (the same in every round: routing is
        // deterministic).
        let this = fanout_in_tenant(&sim);
        let stored: u64 = this.values().sum();
        assert_eq!(stored, connector.deliveries, "the tenant holds what the report says was imported");
        assert!(round == 1 || this == fanout, "the fan-out is the same in every round");
        fanout = this;

        reset(&http, &sim).await;
        let matched = ceiling(&http, &sim, &ceiling_users, Some(&fanout), "matched ceiling (connector fan-out)").await;
        matched.print();
        let ratio = 100.0 * matched.secs / connector.secs;
        println!("  round {round}: connector / matched ceiling {ratio:.0} %");
        ratios.push(ratio);
        last = Some(connector);
    }
    summarise(&plain, &last.expect("at least one round"), ratios, peak_rss, rounds);
    sim.shutdown().await;
}

/// Starts the simulator on the scenario and computes every item's sha256 (untimed); the real
/// size of each item.
async fn prepare(employees: usize) -> (Running, HashMap<String, u64>) {
    let t = Instant::now();
    let sim = Simulator::start_with(
        scenario(employees),
        "127.0.0.1:0".parse().unwrap(),
        Options { keep_message_bodies: false, ..Options::default() },
    )
    .await
    .expect("the simulator starts");
    let built = t.elapsed();
    let t = Instant::now();
    let seen = sim.observe();
    tokio::task::spawn_blocking(move || {
        let archive = &seen.world().archive;
        for item in archive.items() {
            archive.sha256(item);
        }
    })
    .await
    .unwrap();
    let warmed = t.elapsed();
    let seen = sim.observe();
    let a = &seen.world().archive;
    let all = a.items();
    let within: Vec<_> = all.iter().filter(|i| i.spec.listed_size.unwrap_or(a.size(i)) <= LIMIT).collect();
    let within_bytes: u64 = within.iter().map(|i| a.size(i).min(LIMIT)).sum();
    let total_bytes: u64 = all.iter().map(|i| a.size(i)).sum();
    let real_size: HashMap<String, u64> = all.iter().map(|i| (i.spec.id.clone(), a.size(i))).collect();
    println!(
        "scenario: {employees} employees, 1 day: {} items, {:.2} GB; {} listed at ≤ 10 MiB ({:.2} GB to download), {} over (5 scripted 50 MB items, 2 of them listed at 1 MB)",
        all.len(),
        total_bytes as f64 / 1e9,
        within.len(),
        within_bytes as f64 / 1e9,
        all.len() - within.len()
    );
    println!("  generation {:.1} s, sha256 of every item (untimed warm-up) {:.1} s", built.as_secs_f64(), warmed.as_secs_f64());
    (sim, real_size)
}

/// How often the tenant holds each item.
fn fanout_in_tenant(sim: &Running) -> HashMap<String, u64> {
    let mut fanout: HashMap<String, u64> = HashMap::new();
    for mailbox in sim.observe().mailboxes {
        for m in mailbox.folders.iter().flat_map(|f| &f.items) {
            *fanout.entry(m.id.clone().unwrap_or_default()).or_default() += 1;
        }
    }
    fanout
}

/// The ratios the bench is for.
fn summarise(plain: &Measured, connector: &Measured, mut ratios: Vec<f64>, peak_rss: u64, rounds: usize) {
    let fan = connector.deliveries as f64 / connector.items as f64;
    println!("  fan-out: {:.2} deliveries per item ({} deliveries of {} items)", fan, connector.deliveries, connector.items);
    ratios.sort_by(f64::total_cmp);
    let median =
        if ratios.len() % 2 == 1 { ratios[ratios.len() / 2] } else { (ratios[ratios.len() / 2 - 1] + ratios[ratios.len() / 2]) / 2.0 };
    println!(
        "  connector / matched ceiling (like with like: same downloads, same uploads): median {median:.0} % of its items/s over {rounds} round(s) (lowest {:.0} %, highest {:.0} %); peak RSS over all rounds {:.1} MiB",
        ratios[0],
        ratios[ratios.len() - 1],
        peak_rss as f64 / 1024.0
    );
    println!(
        "  connector / plain ceiling (last round): {:.0} % of its items/s; connector deliveries/s are {:.0} % of its uploads/s",
        100.0 * (connector.items as f64 / connector.secs) / (plain.items as f64 / plain.secs),
        100.0 * (connector.deliveries as f64 / connector.secs) / (plain.deliveries as f64 / plain.secs)
    );
}

async fn reset(http: &reqwest::Client, sim: &Running) {
    http.post(format!("{}/reset", sim.sim_url())).send().await.unwrap().error_for_status().unwrap();
}

/// Sends a request that must succeed and returns its JSON body.
async fn json(request: reqwest::RequestBuilder) -> serde_json::Value {
    request.send().await.unwrap().error_for_status().unwrap().json().await.unwrap()
}

/// The directory ids of `bench0..7@contoso.cn`.
async fn ceiling_users(http: &reqwest::Client, sim: &Running) -> Vec<String> {
    let token = &sim.credentials().tenant_token;
    let mut ids = Vec::new();
    for w in 0..CONCURRENCY {
        let user = json(http.get(format!("{}/users/bench{w}@contoso.cn", sim.graph_url())).bearer_auth(token)).await;
        ids.push(user["id"].as_str().unwrap().to_owned());
    }
    ids
}

/// Lists the window, downloads every item listed at ≤ 10 MiB (capped), and imports it into the
/// worker's mailbox once (`fanout: None`) or as often as `fanout` says.
async fn ceiling(
    http: &reqwest::Client,
    sim: &Running,
    users: &[String],
    fanout: Option<&HashMap<String, u64>>,
    label: &'static str,
) -> Measured {
    let c = sim.credentials();
    let graph_token = c.tenant_token.clone();
    let login = json(
        http.post(format!("{}/session", sim.vendor_url()))
            .json(&serde_json::json!({"username": c.vendor_username, "password": c.vendor_password})),
    )
    .await;
    let vendor_token = login["token"].as_str().unwrap().to_owned();
    let t = Instant::now();
    let cpu0 = cpu_secs("self").unwrap_or(0.0);
    let folders = Arc::new(archive_folders(http, sim, users, &graph_token).await);
    let totals = Arc::new(Totals::default());

    // Pages are fetched one after the other, as the connector does, and their items processed
    // with 8 in flight.
    let vendor = sim.vendor_url();
    let worker = AtomicU64::new(0);
    listing(http, &vendor, &vendor_token)
        .map(|item| {
            let w = worker.fetch_add(1, Ordering::Relaxed) as usize % users.len();
            let (http, vendor, token, graph_token) = (http.clone(), vendor.clone(), vendor_token.clone(), graph_token.clone());
            let (folders, totals) = (folders.clone(), totals.clone());
            let uploads = fanout.map_or(1, |f| f.get(&item.id).copied().unwrap_or(0));
            async move {
                totals.items.fetch_add(1, Ordering::Relaxed);
                if item.size > LIMIT {
                    return;
                }
                let Some(raw) = download_capped(&http, &format!("{vendor}/items/{}/raw", item.id), &token).await else {
                    return;
                };
                totals.downloaded_bytes.fetch_add(raw.len() as u64, Ordering::Relaxed);
                if uploads == 0 {
                    return;
                }
                let body = bytes::Bytes::from(base64::engine::general_purpose::STANDARD.encode(&raw));
                for _ in 0..uploads {
                    let r = http
                        .post(&folders[w])
                        .bearer_auth(&graph_token)
                        .header("content-type", "text/plain")
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 201, "import of {}", item.id);
                    let _ = r.bytes().await;
                    totals.uploads.fetch_add(1, Ordering::Relaxed);
                    totals.uploaded_bytes.fetch_add(raw.len() as u64, Ordering::Relaxed);
                }
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
    Measured {
        label,
        secs: t.elapsed().as_secs_f64(),
        items: totals.items.load(Ordering::Relaxed),
        deliveries: totals.uploads.load(Ordering::Relaxed),
        down_bytes: totals.downloaded_bytes.load(Ordering::Relaxed),
        up_bytes: totals.uploaded_bytes.load(Ordering::Relaxed),
        peak_rss_kib: None,
        cpu: (None, cpu_secs("self").unwrap_or(0.0) - cpu0),
    }
}

/// The archive folder of each worker's mailbox (the tenant was just reset), as the URL the
/// connector imports to: beta's `POST /users/{id}/mailFolders/{id}/importMime` (the body is the
/// same base64 MIME, `text/plain`, as v1.0's create; it lands a final message, not a draft:
/// <https://learn.microsoft.com/graph/api/mailfolder-importmime?view=graph-rest-beta>), so
/// that the ceilings post where the connector does.
async fn archive_folders(http: &reqwest::Client, sim: &Running, users: &[String], graph_token: &str) -> Vec<String> {
    let beta = sim.graph_url().replace("/graph/v1.0", "/graph/beta");
    let mut folders = Vec::new();
    for user in users {
        let f = json(
            http.post(format!("{}/users/{user}/mailFolders", sim.graph_url()))
                .bearer_auth(graph_token)
                .json(&serde_json::json!({"displayName": "WeChat Archiver"})),
        )
        .await;
        folders.push(format!("{beta}/users/{user}/mailFolders/{}/importMime", f["id"].as_str().unwrap()));
    }
    folders
}

/// The window's items, page after page.
fn listing(http: &reqwest::Client, vendor: &str, vendor_token: &str) -> impl futures_util::Stream<Item = Listed> + use<> {
    let (http, vendor, vendor_token) = (http.clone(), vendor.to_owned(), vendor_token.to_owned());
    futures_util::stream::unfold(Some(None::<String>), move |state| {
        let (http, vendor, token) = (http.clone(), vendor.clone(), vendor_token.clone());
        async move {
            let cursor = state?;
            let mut q = vec![("from", FROM.to_owned()), ("to", RUN_AT.to_owned()), ("limit", "500".to_owned())];
            if let Some(c) = cursor {
                q.push(("cursor", c));
            }
            let page: serde_json::Value =
                http.get(format!("{vendor}/items")).bearer_auth(&token).query(&q).send().await.unwrap().json().await.unwrap();
            let items: Vec<Listed> = serde_json::from_value(page["items"].clone()).unwrap();
            let next = page["next_cursor"].as_str().map(|c| Some(c.to_owned()));
            Some((futures_util::stream::iter(items), next))
        }
    })
    .flatten()
}

/// The item's bytes, or `None` when it turns out to be over the limit (the listing lied).
async fn download_capped(http: &reqwest::Client, url: &str, token: &str) -> Option<Vec<u8>> {
    let response = http.get(url).bearer_auth(token).send().await.unwrap().error_for_status().unwrap();
    if response.content_length().is_some_and(|l| l > LIMIT) {
        return None;
    }
    let mut buf = Vec::new();
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.unwrap();
        if buf.len() + chunk.len() > LIMIT as usize {
            return None;
        }
        buf.extend_from_slice(&chunk);
    }
    Some(buf)
}

/// User + system CPU seconds of a process (`/proc/<pid>/stat`), `"self"` for this one.
fn cpu_secs(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the `(comm)`, which may contain spaces: utime and stime are the 12th and 13th.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// `VmHWM` of a live process, in KiB.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs the built `tm-connector` binary against the simulator; its peak RSS is polled.
fn run_connector(sim: &Running, real_size: &HashMap<String, u64>) -> Measured {
    // TM_BENCH_CONNECTOR: another build of the connector to measure (an A/B comparison on the
    // same machine minutes apart); by default the one Cargo built for this bench.
    let binary = std::env::var("TM_BENCH_CONNECTOR").unwrap_or_else(|_| env!("CARGO_BIN_EXE_tm-connector").to_owned());
    let binary = binary.as_str();
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, report_path) = (dir.path().join("state"), dir.path().join("report.json"));
    let (stdout, stderr) = (dir.path().join("stdout.txt"), dir.path().join("stderr.txt"));
    let c = sim.credentials();
    let t = Instant::now();
    let cpu0 = cpu_secs("self").unwrap_or(0.0);
    let mut child = Command::new(binary)
        .arg("run")
        .env("TM_URL", sim.vendor_url())
        .env("TM_USERNAME", &c.vendor_username)
        .env("TM_PASSWORD", &c.vendor_password)
        .env("GRAPH_URL", sim.graph_url())
        .env("GRAPH_TOKEN", &c.tenant_token)
        .env("RUN_AT", RUN_AT)
        .env("STATE_DIR", &state)
        .env("REPORT_PATH", &report_path)
        .env_remove("MAPPING_CSV")
        .env_remove("AUTO_MAPPING")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
    let pid = child.id();
    let (mut peak, mut child_cpu) = (0, 0.0);
    let status = loop {
        if let Some(k) = vm_hwm_kib(pid) {
            peak = peak.max(k);
        }
        if let Some(c) = cpu_secs(&pid.to_string()) {
            child_cpu = c;
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let secs = t.elapsed().as_secs_f64();
    let self_cpu = cpu_secs("self").unwrap_or(0.0) - cpu0;
    if !status.success() {
        let tail = |p: &Path| std::fs::read_to_string(p).unwrap_or_default().lines().rev().take(30).collect::<Vec<_>>().join("\n");
        panic!("the connector failed ({status}):\n{}\n{}", tail(&stderr), tail(&stdout));
    }
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    let counts = &report["counts"];
    let mut reasons: HashMap<String, u64> = HashMap::new();
    let mut not_downloaded = 0;
    for f in report["failures"].as_array().unwrap() {
        *reasons.entry(f["reason"].as_str().unwrap().to_owned()).or_default() += 1;
        if f["reason"] == "item_too_large" {
            not_downloaded += real_size[f["item_id"].as_str().unwrap()].min(LIMIT);
        }
    }
    let mut reasons: Vec<_> = reasons.into_iter().collect();
    reasons.sort();
    println!(
        "  connector report: items {} imported {} skipped_duplicate {} failed {} {:?}",
        counts["items"], counts["imported"], counts["skipped_duplicate"], counts["failed"], reasons
    );
    // Bytes the connector downloaded in full (items that were not too large), as the ceiling
    // counts them; the aborted downloads of the misreported 50 MB items are not counted.
    let downloaded: u64 = real_size.values().map(|s| *s.min(&LIMIT)).sum::<u64>() - not_downloaded;
    let up_bytes: u64 = sim.observe().mailboxes.iter().flat_map(|m| &m.folders).flat_map(|f| &f.items).map(|m| m.size).sum();
    Measured {
        label: "connector (tm-connector run)",
        secs,
        items: counts["items"].as_u64().unwrap(),
        deliveries: counts["imported"].as_u64().unwrap(),
        down_bytes: downloaded,
        up_bytes,
        peak_rss_kib: Some(peak),
        cpu: (Some(child_cpu), self_cpu),
    }
}
