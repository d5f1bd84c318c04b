//! The connector-under-test pattern: a simulator on port 0, a state directory, helpers to run
//! the connector and to look at the tenant afterwards through `/sim`.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use tempfile::TempDir;
use tm_connector::{Config, FailureReason, RetryPolicy, RunReport};
use tm_simulator::{Running, Scenario, Simulator};

/// People most tests share: two employees (one with a mobile), two external contacts, and a
/// tenant user `boss@contoso.cn` with the alias `chief@contoso.cn`.
pub const PEOPLE: &str = r#"
[[employee]]
id = "wang-wei"
name = "王伟"
mobile = "+86 138 1234 5678"
email = "wang.wei@contoso.cn"
app = "wecom"

[[employee]]
id = "zhang-min"
name = "张敏"
email = "zhang.min@contoso.cn"
app = "wecom"

[[external]]
id = "li-na"
name = "李娜"
app = "wechat"
mobile = "+8613900001111"

[[external]]
id = "zhao-lei"
name = "赵磊"
app = "wechat"
mobile = "+8613700002222"
"#;

pub const BOSS: &str = r#"
[[tenant.user]]
upn = "boss@contoso.cn"
aliases = ["chief@contoso.cn"]
"#;

/// The end of the scenarios' first day: a first run at this time imports 2026-11-20.
pub const DAY1_END: &str = "2026-11-21T00:00:00Z";

pub fn scenario(name: &str, body: &str) -> String {
    format!("name = \"{name}\"\nseed = 7\nstart = \"2026-11-19T00:00:00Z\"\n{body}")
}

#[derive(Debug, Clone, Deserialize)]
pub struct Mailbox {
    pub address: String,
    pub folders: Vec<Folder>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Folder {
    pub name: String,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Item {
    pub id: Option<String>,
    pub sha256: String,
    pub size: u64,
    /// Written by another program (a `foreign_write` fault), not by the connector.
    #[serde(default)]
    pub foreign: bool,
    /// A draft (v1.0 MIME create), not a final message (`importMime`): FINAL.
    #[serde(default)]
    pub draft: bool,
}

pub use tm_contract::{ItemRef, JournalEntry};

pub struct Harness {
    pub sim: Running,
    pub state: TempDir,
    pub files: TempDir,
    http: reqwest::Client,
}

pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Harness {
    /// Starts a simulator for `scenario(name, body)`.
    pub async fn start(name: &str, body: &str) -> Harness {
        Harness::start_with(name, body, tm_simulator::Options::default()).await
    }

    /// As [`Harness::start`], with simulator options (a data directory, say).
    pub async fn start_with(name: &str, body: &str, options: tm_simulator::Options) -> Harness {
        install_crypto();
        let text = scenario(name, body);
        let scenario = Scenario::from_toml_str(&text, "inline.toml").unwrap_or_else(|e| panic!("scenario: {e}\n{text}"));
        let sim = Simulator::start_with(scenario, "127.0.0.1:0".parse().unwrap(), options).await.expect("simulator starts");
        Harness { sim, state: tempfile::tempdir().unwrap(), files: tempfile::tempdir().unwrap(), http: reqwest::Client::new() }
    }

    /// A configuration pointing at the simulator, with fast retries.
    pub fn config(&self, run_at: &str) -> Config {
        self.config_via(&self.sim.base_url(), run_at)
    }

    /// A configuration pointing at `base` (e.g. a proxy in front of the simulator).
    pub fn config_via(&self, base: &str, run_at: &str) -> Config {
        let c = self.sim.credentials();
        let mut config = Config::new(
            format!("{base}/tm/v1"),
            c.vendor_username.clone(),
            c.vendor_password.clone(),
            format!("{base}/graph/v1.0"),
            c.tenant_token.clone(),
            self.state.path(),
        );
        config.run_at = run_at.parse().unwrap();
        config.retry = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
            max_retry_after: Duration::from_secs(10),
        };
        config.request_timeout = Duration::from_secs(10);
        config.transfer_timeout = Duration::from_secs(30);
        config
    }

    /// Writes a mapping file and returns its path.
    pub fn mapping(&self, csv: &str) -> PathBuf {
        let path = self.files.path().join("map.csv");
        std::fs::write(&path, csv).unwrap();
        path
    }

    /// Runs the connector in-process; the run must complete.
    pub async fn run(&self, config: Config) -> RunReport {
        match tm_connector::run(config).await {
            Ok(report) => {
                assert_counts_add_up(&report);
                report
            }
            Err(e) => panic!("run failed: {e}"),
        }
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        self.http.get(format!("{}{path}", self.sim.sim_url())).send().await.unwrap().error_for_status().unwrap().json().await.unwrap()
    }

    pub async fn mailboxes(&self) -> Vec<Mailbox> {
        #[derive(Deserialize)]
        struct All {
            mailboxes: Vec<Mailbox>,
        }
        self.get::<All>("/mailboxes").await.mailboxes
    }

    /// The item ids in `address`'s `WeChat Archiver` folder, sorted, duplicates kept (others'
    /// messages, from `foreign_write` faults, left out).
    pub async fn archived(&self, address: &str) -> Vec<String> {
        let all = self.mailboxes().await;
        let mailbox = all.iter().find(|m| m.address.eq_ignore_ascii_case(address)).unwrap_or_else(|| panic!("no mailbox {address}"));
        let mut ids: Vec<String> = mailbox
            .folders
            .iter()
            .filter(|f| f.name == "WeChat Archiver")
            .flat_map(|f| f.items.iter().filter(|i| !i.foreign).map(|i| i.id.clone().unwrap_or_default()))
            .collect();
        ids.sort();
        ids
    }

    /// Every (item, mailbox) pair archived anywhere, sorted, duplicates kept.
    pub async fn all_archived(&self) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = self
            .mailboxes()
            .await
            .into_iter()
            .flat_map(|m| {
                let address = m.address.to_ascii_lowercase();
                m.folders.into_iter().filter(|f| f.name == "WeChat Archiver").flat_map(move |f| {
                    let address = address.clone();
                    f.items.into_iter().filter(|i| !i.foreign).map(move |i| (i.id.unwrap_or_default(), address.clone()))
                })
            })
            .collect();
        pairs.sort();
        pairs
    }

    pub async fn journal(&self) -> Vec<JournalEntry> {
        #[derive(Deserialize)]
        struct J {
            entries: Vec<JournalEntry>,
        }
        self.get::<J>("/journal").await.entries
    }

    pub async fn imports_in_journal(&self) -> usize {
        self.journal().await.iter().filter(|e| e.op == tm_contract::Op::Import).count()
    }

    /// A vendor session token, straight from the vendor API.
    pub async fn vendor_token(&self) -> String {
        #[derive(Deserialize)]
        struct Token {
            token: String,
        }
        let c = self.sim.credentials();
        let token: Token = self
            .http
            .post(format!("{}/session", self.sim.vendor_url()))
            .json(&serde_json::json!({"username": c.vendor_username, "password": c.vendor_password}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        token.token
    }

    /// The vendor's listing of `[from, to)`, straight from the vendor API.
    pub async fn listing(&self, from: &str, to: &str) -> Vec<ItemRef> {
        let token = self.vendor_token().await;
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut query = vec![("from", from.to_owned()), ("to", to.to_owned()), ("limit", "1000".to_owned())];
            if let Some(c) = &cursor {
                query.push(("cursor", c.clone()));
            }
            let page: tm_contract::ItemPage = self
                .http
                .get(format!("{}/items", self.sim.vendor_url()))
                .bearer_auth(&token)
                .query(&query)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            out.extend(page.items);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return out,
            }
        }
    }

    /// The directory id of a user, through the tenant API.
    pub async fn user_id(&self, address: &str) -> String {
        #[derive(Deserialize)]
        struct User {
            id: String,
        }
        self.http
            .get(format!("{}/users/{address}", self.sim.graph_url()))
            .bearer_auth(&self.sim.credentials().tenant_token)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json::<User>()
            .await
            .unwrap()
            .id
    }
}

/// REPORT: the failures are sorted and `failed` counts them.
pub fn assert_counts_add_up(report: &RunReport) {
    assert_eq!(report.counts.failed, report.failures.len() as u64, "{report:#?}");
    let mut sorted = report.failures.clone();
    sorted.sort_by(|a, b| (&a.item_id, &a.mailbox).cmp(&(&b.item_id, &b.mailbox)));
    assert_eq!(sorted, report.failures, "failures are sorted by item id, then mailbox");
}

/// `(item_id, mailbox, reason)` of every failure, for compact assertions.
pub fn failures(report: &RunReport) -> Vec<(String, Option<String>, FailureReason)> {
    report.failures.iter().map(|f| (f.item_id.clone(), f.mailbox.clone(), f.reason)).collect()
}

pub fn ids(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}
