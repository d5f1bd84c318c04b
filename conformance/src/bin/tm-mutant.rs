//! `tm-mutant`: a small connector that speaks the command contract (environment variables in, run
//! report out), written independently of the reference connector, with deliberate mutations.
//!
//! Without `--mutation` (or with `--mutation none`) it honours every rule, so the suite must pass
//! it; each mutation breaks one rule on purpose, so the suite must fail exactly that rule. The
//! suite's self-tests run it through `--connector-cmd "tm-mutant --mutation NAME"`.
//!
//! It is sequential and simple: list the window, download each item (capped at the limit + 1
//! byte, checked against the listed sha256 and downloaded again when cut short), read its
//! participants, route them, import into `WeChat Archiver`, and keep in `STATE_DIR` a checkpoint
//! and a ledger whose import intents carry the folder's item count, so an import cut short by a
//! kill, a failure or a lost answer is recognised. Calls are retried with manners: `Retry-After`
//! honoured (a wait over a minute fails the run instead), exponential backoff from 200 ms
//! otherwise, 6 attempts, a new login after a vendor 401.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use clap::{Parser, ValueEnum};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Digest as _;
use tm_contract::{ItemPage as Page, ItemRef, Kind, Mapping, MobileNumber, Region};

const LIMIT: u64 = 10_485_760;
const FOLDER: &str = "WeChat Archiver";

/// What to break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mutation {
    /// Nothing: a correct connector.
    None,
    /// Ignores MAPPING_CSV (ROUTE-MAP).
    IgnoreMapping,
    /// Routes by email even when AUTO_MAPPING=false (ROUTE-AUTO-OFF).
    EmailAlways,
    /// Never routes by email address (ROUTE-EMAIL).
    NoEmail,
    /// Routes the sender only, drops every other participant (ROUTE-FANOUT).
    FirstParticipant,
    /// Does not report items that route nowhere (ROUTE-DROP).
    DropSilently,
    /// Imports into `WeChat Archive` (FOLDER).
    FolderName,
    /// Imports items of any size (SIZE).
    Oversize,
    /// Adds a header to what it imports (CONTENT).
    Tamper,
    /// Skips recalls (RECALL).
    SkipRecalls,
    /// Lists everything before RUN_AT, ignoring the window (WINDOW).
    IgnoreWindow,
    /// Always takes the last 24 hours, ignoring the checkpoint (INCREMENTAL).
    NoCheckpoint,
    /// Keeps no ledger and lists from the first run's start every time (DEDUP).
    Reimport,
    /// Counts one import too many in its report (REPORT).
    BadCounts,
    /// Writes no report (REPORT is then skipped, not passed).
    NoReport,
    /// Retries 5xx, 429 and 503 at once, ignoring Retry-After and backing off never (RETRY-AFTER
    /// and BACKOFF: the one mistake breaks both).
    RetryImmediately,
    /// Sends a page's imports into a mailbox all at once, 8 at a time (CONCURRENCY).
    FloodMailbox,
    /// Imports whatever bytes a download delivered, cut short or not (TRUNCATION).
    NoVerify,
    /// Moves the checkpoint to RUN_AT even when the run fails (RESUME).
    CheckpointOnFailure,
}

#[derive(Parser)]
#[command(name = "tm-mutant", about = "A contract-speaking test connector with deliberate mutations")]
struct Args {
    /// The rule to break.
    #[arg(long, value_enum, default_value = "none")]
    mutation: Mutation,
}

fn main() -> ExitCode {
    let args = Args::parse();
    // reqwest is built without a default TLS provider; loopback HTTP needs none, but the client
    // builder wants one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tm-mutant: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(args.mutation)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Config(e)) => {
            eprintln!("tm-mutant: configuration error: {e:#}");
            ExitCode::from(2)
        }
        Err(Failure::Run(e)) => {
            eprintln!("tm-mutant: {e:#}");
            ExitCode::from(1)
        }
    }
}

enum Failure {
    Config(anyhow::Error),
    Run(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Run(e)
    }
}

fn var(name: &str) -> Result<String, Failure> {
    std::env::var(name).map_err(|_| Failure::Config(anyhow!("{name} is not set")))
}

struct Env {
    tm: String,
    tm_user: String,
    tm_pass: String,
    graph: String,
    token: String,
    mapping: Mapping,
    auto: bool,
    run_at: DateTime<Utc>,
    state: PathBuf,
    report: Option<PathBuf>,
}

fn env(m: Mutation) -> Result<Env, Failure> {
    let mapping = match std::env::var_os("MAPPING_CSV") {
        Some(p) if m != Mutation::IgnoreMapping => Mapping::from_path(Path::new(&p), Region::CN).map_err(|e| Failure::Config(e.into()))?,
        _ => Mapping::empty(),
    };
    let run_at = DateTime::parse_from_rfc3339(&var("RUN_AT")?).map_err(|e| Failure::Config(anyhow!("RUN_AT: {e}")))?.with_timezone(&Utc);
    Ok(Env {
        tm: var("TM_URL")?,
        tm_user: var("TM_USERNAME")?,
        tm_pass: var("TM_PASSWORD")?,
        graph: var("GRAPH_URL")?,
        token: var("GRAPH_TOKEN")?,
        mapping,
        auto: std::env::var("AUTO_MAPPING").map_or(true, |v| v != "false"),
        run_at,
        state: PathBuf::from(var("STATE_DIR")?),
        report: std::env::var_os("REPORT_PATH").map(PathBuf::from),
    })
}

#[derive(Deserialize, Clone)]
struct User {
    id: String,
    mail: String,
}

#[derive(Deserialize)]
struct Folder {
    id: String,
    #[serde(rename = "displayName")]
    display_name: String,
    #[serde(rename = "totalItemCount")]
    total_item_count: u64,
}

#[derive(Deserialize)]
struct Folders {
    value: Vec<Folder>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The durable ledger: `imported ITEM USER` and `intent ITEM USER FOLDER COUNT` lines.
struct Ledger {
    path: PathBuf,
    imported: BTreeSet<(String, String)>,
    intents: Vec<(String, String, String, u64)>,
    off: bool,
}

impl Ledger {
    fn open(dir: &Path, off: bool) -> anyhow::Result<Ledger> {
        let path = dir.join("mutant-ledger.txt");
        let mut ledger = Ledger { path, imported: BTreeSet::new(), intents: Vec::new(), off };
        let text = std::fs::read_to_string(&ledger.path).unwrap_or_default();
        let mut pending: BTreeMap<(String, String), (String, u64)> = BTreeMap::new();
        for line in text.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            match f.as_slice() {
                ["imported", item, user] | ["cleared", item, user] => {
                    pending.remove(&(item.to_string(), user.to_string()));
                    if f[0] == "imported" {
                        ledger.imported.insert((item.to_string(), user.to_string()));
                    }
                }
                ["intent", item, user, folder, count] => {
                    pending.insert((item.to_string(), user.to_string()), (folder.to_string(), count.parse().unwrap_or(u64::MAX)));
                }
                _ => {} // a torn last line
            }
        }
        ledger.intents = pending.into_iter().map(|((i, u), (f, c))| (i, u, f, c)).collect();
        Ok(ledger)
    }

    fn append(&self, line: &str) -> anyhow::Result<()> {
        if self.off {
            return Ok(());
        }
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&self.path)?;
        f.write_all(format!("{line}\n").as_bytes())?;
        f.sync_data()?;
        Ok(())
    }
}

struct Conn<'a> {
    http: reqwest::Client,
    env: &'a Env,
    mutation: Mutation,
    token: std::sync::Mutex<String>,
    users: BTreeMap<String, Option<User>>,
    folders: BTreeMap<String, String>,
}

/// Attempts per call, the first included.
const ATTEMPTS: u32 = 6;
/// The longest `Retry-After` waited out; a longer one fails the run (the next run resumes).
const LONGEST_RETRY_AFTER: u64 = 60;

fn retry_after(r: &reqwest::Response) -> Option<u64> {
    r.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()
}

fn retryable(s: StatusCode) -> bool {
    s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS || s == StatusCode::REQUEST_TIMEOUT
}

impl Conn<'_> {
    /// The wait before retry `n` (1-based): what `Retry-After` asks (plus a little), else
    /// exponential backoff from 200 ms; `None` when the server asks for more than we wait.
    fn wait(&self, n: u32, asked: Option<u64>) -> Option<std::time::Duration> {
        if self.mutation == Mutation::RetryImmediately {
            return Some(std::time::Duration::ZERO);
        }
        match asked {
            Some(s) if s > LONGEST_RETRY_AFTER => None,
            Some(s) => Some(std::time::Duration::from_millis(s * 1000 + 25)),
            None => Some(std::time::Duration::from_millis(200 << (n - 1).min(8))),
        }
    }

    /// Sends a request until it is answered with something final: 5xx, 408, 429 and transport
    /// errors are retried (see [`Conn::wait`]); a vendor 401 leads to a new login and a retry.
    async fn send<B>(&self, what: &str, vendor: bool, build: B) -> anyhow::Result<reqwest::Response>
    where
        B: Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    {
        let mut relogins = 0;
        let mut n = 1;
        loop {
            let token = if vendor { self.token.lock().expect("token").clone() } else { self.env.token.clone() };
            let asked = match build(&self.http, &token).send().await {
                Ok(r) if vendor && r.status() == StatusCode::UNAUTHORIZED && relogins < 3 => {
                    relogins += 1;
                    Box::pin(self.login()).await?;
                    continue;
                }
                Ok(r) if retryable(r.status()) => {
                    let asked = retry_after(&r);
                    if n >= ATTEMPTS {
                        bail!("{what}: {} after {n} attempts", r.status());
                    }
                    asked
                }
                Ok(r) => return Ok(r),
                Err(e) if n >= ATTEMPTS => return Err(anyhow!(e).context(format!("{what} after {n} attempts"))),
                Err(_) => None,
            };
            let Some(wait) = self.wait(n, asked) else { bail!("{what}: asked to retry after {asked:?} s, longer than we wait") };
            tokio::time::sleep(wait).await;
            n += 1;
        }
    }

    async fn lookup(&mut self, address: &str) -> anyhow::Result<Option<User>> {
        let key = address.to_ascii_lowercase();
        if let Some(u) = self.users.get(&key) {
            return Ok(u.clone());
        }
        let url = format!("{}/users/{}", self.env.graph, address);
        let r = self.send("user lookup", false, |h, t| h.get(&url).bearer_auth(t)).await?;
        let user = match r.status() {
            StatusCode::OK => Some(r.json::<User>().await?),
            StatusCode::NOT_FOUND => None,
            s => bail!("user lookup {address}: {s}"),
        };
        self.users.insert(key, user.clone());
        Ok(user)
    }

    async fn folders(&self, user: &str) -> anyhow::Result<Vec<Folder>> {
        let url = format!("{}/users/{user}/mailFolders", self.env.graph);
        let r = self.send("folders", false, |h, t| h.get(&url).bearer_auth(t)).await?;
        if !r.status().is_success() {
            bail!("folders of {user}: {}", r.status());
        }
        Ok(r.json::<Folders>().await?.value)
    }

    /// The archive folder's id and current item count, creating it on first use.
    async fn folder(&mut self, user: &str, name: &str) -> anyhow::Result<(String, u64)> {
        for attempt in 0..2 {
            if let Some(f) = self.folders(user).await?.into_iter().find(|f| f.display_name.eq_ignore_ascii_case(name)) {
                self.folders.insert(user.to_string(), f.id.clone());
                return Ok((f.id, f.total_item_count));
            }
            if attempt == 0 {
                let url = format!("{}/users/{user}/mailFolders", self.env.graph);
                let body = json!({ "displayName": name });
                let r = self.send("create folder", false, |h, t| h.post(&url).bearer_auth(t).json(&body)).await?;
                if !(r.status() == StatusCode::CREATED || r.status() == StatusCode::CONFLICT) {
                    bail!("create folder for {user}: {}", r.status());
                }
            }
        }
        bail!("no folder {name} for {user}")
    }

    async fn login(&self) -> anyhow::Result<()> {
        let url = format!("{}/session", self.env.tm);
        let body = json!({"username": self.env.tm_user, "password": self.env.tm_pass});
        let r = self.send("login", false, |h, _| h.post(&url).json(&body)).await?;
        if !r.status().is_success() {
            bail!("login: {}", r.status());
        }
        *self.token.lock().expect("token") = r.json::<Value>().await?["token"].as_str().unwrap_or_default().to_string();
        Ok(())
    }

    async fn page(&self, from: &str, to: &str, cursor: Option<&str>) -> anyhow::Result<Page> {
        let mut query = vec![("from", from.to_string()), ("to", to.to_string()), ("limit", "200".to_string())];
        if let Some(c) = cursor {
            query.push(("cursor", c.to_string()));
        }
        let url = format!("{}/items", self.env.tm);
        let r = self.send("list", true, |h, t| h.get(&url).bearer_auth(t).query(&query)).await?;
        if !r.status().is_success() {
            bail!("list: {}", r.status());
        }
        Ok(r.json().await?)
    }

    /// The raw item, checked against the listing's sha256 and downloaded again when it arrives
    /// cut short (truncated or reset); `Ok(None)` when it exceeds `cap` bytes, `Err(reason)` when
    /// it never arrives whole.
    async fn raw(&self, item: &ItemRef, cap: u64) -> anyhow::Result<Result<Option<Vec<u8>>, &'static str>> {
        let url = format!("{}/items/{}/raw", self.env.tm, item.id);
        let trusting = self.mutation == Mutation::NoVerify;
        for _ in 0..3 {
            let mut r = self.send(&format!("download {}", item.id), true, |h, t| h.get(&url).bearer_auth(t)).await?;
            if r.status() == StatusCode::NOT_FOUND {
                return Ok(Err("malformed_item"));
            }
            if !r.status().is_success() {
                bail!("download {}: {}", item.id, r.status());
            }
            let mut out = Vec::new();
            let mut broken = false;
            loop {
                match r.chunk().await {
                    Ok(Some(chunk)) => {
                        if out.len() as u64 + chunk.len() as u64 > cap {
                            return Ok(Ok(None));
                        }
                        out.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(_) => {
                        broken = true;
                        break;
                    }
                }
            }
            let whole = !broken && hex::encode(sha2::Sha256::digest(&out)) == item.sha256;
            if whole || trusting {
                return Ok(Ok(Some(out)));
            }
        }
        Ok(Err("malformed_item"))
    }

    /// One import, retried behind the folder-count fence (an attempt whose answer was lost may
    /// have landed). `Ok(true)`: stored; `Ok(false)`: refused for good (`sink_rejected`).
    async fn import(&self, user: &str, folder: &str, count_before: Option<u64>, body: String) -> anyhow::Result<bool> {
        let url = format!("{}/users/{user}/mailFolders/{folder}/messages", self.env.graph);
        let mut n = 1;
        loop {
            let sent =
                self.http.post(&url).bearer_auth(&self.env.token).header("Content-Type", "text/plain").body(body.clone()).send().await;
            let asked = match sent {
                Ok(r) if r.status() == StatusCode::CREATED => return Ok(true),
                Ok(r) if retryable(r.status()) => retry_after(&r),
                Ok(_) => return Ok(false),
                Err(_) => None,
            };
            if n >= ATTEMPTS {
                bail!("import into {user}: no answer after {n} attempts");
            }
            let Some(wait) = self.wait(n, asked) else { bail!("import into {user}: asked to retry after {asked:?} s") };
            tokio::time::sleep(wait).await;
            n += 1;
            if let Some(before) = count_before {
                let now = self.folders(user).await?.into_iter().find(|f| f.id == folder).map(|f| f.total_item_count);
                if now == Some(before + 1) {
                    return Ok(true);
                }
            }
        }
    }
}

/// (display name, address) of From, To and Cc, in that order.
fn participants(raw: &[u8]) -> Vec<(String, String)> {
    let Some(msg) = mail_parser::MessageParser::default().parse_headers(raw) else { return Vec::new() };
    let mut out = Vec::new();
    for list in [msg.from(), msg.to(), msg.cc()].into_iter().flatten() {
        for a in list.iter() {
            if let Some(address) = a.address() {
                out.push((a.name().unwrap_or_default().to_string(), address.to_string()));
            }
        }
    }
    out
}

async fn run(m: Mutation) -> Result<(), Failure> {
    let env = env(m)?;
    std::fs::create_dir_all(&env.state).context("STATE_DIR")?;
    let checkpoint_path = env.state.join("mutant-checkpoint.txt");
    let result = work(m, &env, &checkpoint_path).await;
    if m == Mutation::CheckpointOnFailure && matches!(result, Err(Failure::Run(_))) {
        // The mutation: the window counts as done although the run failed half-way.
        std::fs::write(&checkpoint_path, rfc3339(env.run_at)).context("checkpoint")?;
    }
    result
}

/// One delivery waiting to be sent: item, user id, mailbox address, folder id, base64 body.
struct Delivery {
    item: String,
    user: String,
    mail: String,
    folder: String,
    count_before: u64,
    body: String,
}

async fn work(m: Mutation, env: &Env, checkpoint_path: &Path) -> Result<(), Failure> {
    let first_path = env.state.join("mutant-first-from.txt");
    let read_time = |p: &Path| -> Option<DateTime<Utc>> {
        std::fs::read_to_string(p).ok().and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok()).map(|t| t.with_timezone(&Utc))
    };
    let day_before = env.run_at - Duration::hours(24);
    if read_time(checkpoint_path).is_none() {
        // Pin the first window's start before importing anything (a killed first run resumes it).
        std::fs::write(checkpoint_path, rfc3339(day_before)).context("checkpoint")?;
        std::fs::write(&first_path, rfc3339(day_before)).context("checkpoint")?;
    }
    let from = match m {
        Mutation::IgnoreWindow => DateTime::<Utc>::UNIX_EPOCH,
        Mutation::NoCheckpoint => day_before,
        Mutation::Reimport => read_time(&first_path).unwrap_or(day_before),
        _ => read_time(checkpoint_path).unwrap_or(day_before),
    };
    let (from_s, to_s) = (rfc3339(from), rfc3339(env.run_at));
    let http = reqwest::Client::builder().build().context("HTTP client")?;
    let mut conn =
        Conn { http, env, mutation: m, token: std::sync::Mutex::new(String::new()), users: BTreeMap::new(), folders: BTreeMap::new() };
    let mut ledger = Ledger::open(&env.state, m == Mutation::Reimport)?;

    // Resolve imports a kill or a failure cut short: the folder count tells whether the message landed.
    for (item, user, folder, before) in std::mem::take(&mut ledger.intents) {
        let count = conn.folders(&user).await?.into_iter().find(|f| f.id == folder).map(|f| f.total_item_count);
        if count == Some(before + 1) {
            ledger.append(&format!("imported\t{item}\t{user}"))?;
            ledger.imported.insert((item, user));
        } else {
            ledger.append(&format!("cleared\t{item}\t{user}"))?;
        }
    }

    match conn.login().await {
        Ok(()) => {}
        Err(e) if e.to_string().contains("401") => return Err(Failure::Config(e.context("vendor credentials"))),
        Err(e) => return Err(Failure::Run(e)),
    }
    let folder_name = if m == Mutation::FolderName { "WeChat Archive" } else { FOLDER };
    let (mut items, mut imported, mut skipped) = (0u64, 0u64, 0u64);
    let mut failures: Vec<(String, Option<String>, &str)> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = conn.page(&from_s, &to_s, cursor.as_deref()).await?;
        let mut waiting: Vec<Delivery> = Vec::new();
        for item in &page.items {
            if !seen.insert(item.id.to_string()) {
                continue; // a repeated listing page
            }
            items += 1;
            let cap = if m == Mutation::Oversize { u64::MAX } else { LIMIT };
            if item.size > cap {
                failures.push((item.id.to_string(), None, "item_too_large"));
                continue;
            }
            let mut raw = match conn.raw(item, cap).await? {
                Ok(Some(raw)) => raw,
                Ok(None) => {
                    failures.push((item.id.to_string(), None, "item_too_large"));
                    continue;
                }
                Err(reason) => {
                    failures.push((item.id.to_string(), None, reason));
                    continue;
                }
            };
            if m == Mutation::SkipRecalls && item.kind == Kind::Recall {
                continue;
            }
            let mut people = participants(&raw);
            if people.is_empty() {
                failures.push((item.id.to_string(), None, "malformed_item"));
                continue;
            }
            if m == Mutation::FirstParticipant {
                people.truncate(1);
            }
            let mut targets: BTreeMap<String, User> = BTreeMap::new();
            for (name, address) in &people {
                let mapped = match MobileNumber::from_display_name(name).and_then(|mobile| env.mapping.get(&mobile)) {
                    Some(mailbox) => conn.lookup(mailbox.address.as_str()).await?,
                    None => None,
                };
                let by_email = (env.auto || m == Mutation::EmailAlways) && m != Mutation::NoEmail;
                let user = match mapped {
                    Some(u) => Some(u),
                    None if by_email => conn.lookup(address).await?,
                    None => None,
                };
                if let Some(u) = user {
                    targets.insert(u.id.clone(), u);
                }
            }
            if targets.is_empty() {
                if m != Mutation::DropSilently {
                    failures.push((item.id.to_string(), None, "user_mapping"));
                }
                continue;
            }
            if m == Mutation::Tamper {
                raw.splice(0..0, b"X-Mutant: tampered\r\n".iter().copied());
            }
            let body = STANDARD.encode(&raw);
            for user in targets.values() {
                if ledger.imported.contains(&(item.id.to_string(), user.id.clone())) {
                    skipped += 1;
                    continue;
                }
                let (folder, count) = conn.folder(&user.id, folder_name).await?;
                let d = Delivery {
                    item: item.id.to_string(),
                    user: user.id.clone(),
                    mail: user.mail.clone(),
                    folder,
                    count_before: count,
                    body: body.clone(),
                };
                if m == Mutation::FloodMailbox {
                    waiting.push(d);
                    continue;
                }
                ledger.append(&format!("intent\t{}\t{}\t{}\t{}", d.item, d.user, d.folder, d.count_before))?;
                let created = conn.import(&d.user, &d.folder, Some(d.count_before), d.body).await?;
                record(&mut ledger, &d.item, &d.user, &d.mail, created, &mut imported, &mut failures)?;
            }
        }
        // The mutation: a page's imports go out 8 at a time, whatever mailbox they are for.
        for batch in waiting.chunks(8) {
            let sent = futures_util::future::join_all(batch.iter().map(|d| conn.import(&d.user, &d.folder, None, d.body.clone()))).await;
            for (d, created) in batch.iter().zip(sent) {
                record(&mut ledger, &d.item, &d.user, &d.mail, created?, &mut imported, &mut failures)?;
            }
        }
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    if let Some(path) = &env.report
        && m != Mutation::NoReport
    {
        failures.sort();
        let counted = if m == Mutation::BadCounts { imported + 1 } else { imported };
        let report = json!({
            "run_at": rfc3339(env.run_at),
            "window": {"from": from_s, "to": to_s},
            "counts": {"items": items, "imported": counted, "skipped_duplicate": skipped, "failed": failures.len()},
            "failures": failures.iter().map(|(i, mb, r)| json!({"item_id": i, "mailbox": mb, "reason": r})).collect::<Vec<_>>(),
        });
        std::fs::write(path, serde_json::to_string_pretty(&report).context("report")? + "\n").context("REPORT_PATH")?;
    }
    std::fs::write(checkpoint_path, rfc3339(env.run_at)).context("checkpoint")?;
    Ok(())
}

/// Records an import's outcome in the ledger and the counts.
fn record(
    ledger: &mut Ledger,
    item: &str,
    user: &str,
    mail: &str,
    created: bool,
    imported: &mut u64,
    failures: &mut Vec<(String, Option<String>, &str)>,
) -> anyhow::Result<()> {
    if created {
        *imported += 1;
        ledger.append(&format!("imported\t{item}\t{user}"))?;
        ledger.imported.insert((item.to_string(), user.to_string()));
    } else {
        ledger.append(&format!("cleared\t{item}\t{user}"))?;
        failures.push((item.to_string(), Some(mail.to_string()), "sink_rejected"));
    }
    Ok(())
}
