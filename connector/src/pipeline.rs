//! One run: configuration → window → listing → per item (size check, capped download, digest
//! check, participants, directory, routing, deliveries) → report → checkpoint.
//!
//! Concurrency: at most `concurrency` items are being downloaded, verified, parsed and routed at
//! a time; an item then delivers without holding that slot, so that an item waiting for a busy
//! mailbox does not hold up the next downloads. At most `concurrency × ITEMS_PER_SLOT` items are
//! in flight in all. An item's deliveries (one per distinct user) run concurrently, at most
//! `concurrency × DELIVERIES_PER_ITEM_SLOT` deliveries in flight over all items. Each mailbox
//! takes at most [`MAX_PER_MAILBOX`] deliveries at a time (see there): a delivery takes a permit of its mailbox first and only then a delivery slot, so
//! no delivery holds a slot while it waits for a mailbox.
//!
//! Memory: items in flight also share a byte budget ([`IN_FLIGHT_BUDGET`]): before its download
//! an item reserves its base64 form (4/3 of its listed size; the raw bytes are encoded as they
//! arrive and not kept, see `body.rs`) plus room for its headers, so a few large items wait
//! rather than all being buffered at once; an item larger than the whole budget takes all of it.
//! The run keeps the listed item ids (compactly, [`SeenIds`]) and one semaphore per mailbox;
//! the ledger keeps only what earlier runs left (see `ledger.rs`).
//!
//! Failure policy: per-item problems with a contract reason (`user_mapping`, `item_too_large`,
//! `malformed_item`, `sink_rejected`) are reported and the run goes on. Anything else (the vendor
//! or tenant still failing after retries, a state write failing) stops the run: no new items
//! are started, the items in flight finish, and the run fails without moving the checkpoint, so
//! the next run lists the unfinished window again and the ledger skips what is done.
//!
//! Digest policy: the downloaded bytes must match `ItemRef.sha256`. A mismatch is retried once
//! (a transfer glitch); a second mismatch reports `malformed_item` (CONTENT: never import bytes
//! that are not the source item). A size that differs from `ItemRef.size` while the digest
//! matches is only logged: the digest identifies the content. A listed item whose raw download
//! answers 404 is also `malformed_item`.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Timelike, Utc};
use futures_util::{StreamExt, TryStreamExt, stream};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::Semaphore;

use crate::body::Body;
use crate::config::{Config, MAX_PER_MAILBOX};
use crate::error::ConnectorError;
use crate::ledger::{Ledger, PendingIntent, Record, StateDir};
use crate::participants;
use crate::retry::{self, HttpError, Step};
use crate::routing::{self, DirectoryAnswers, DirectoryUser, Route};
use crate::source::{Fetched, ItemRef, SourceClient, Timeouts};
use crate::tenant::{DirectoryCache, FolderCache, FolderCount, Imported, TenantClient, TenantError};
use tm_contract::{Counts, Failure, FailureReason, Mapping, RunReport, Window};

/// SIZE: the largest raw item imported, 10 MB = 10,485,760 bytes (the contract's limit).
pub use tm_contract::MAX_ITEM_BYTES;

/// The bytes that items in flight may hold together (base64 forms and header blocks), 24 MiB.
pub const IN_FLIGHT_BUDGET: u64 = 24 * 1024 * 1024;

/// Deliveries in flight over all items, per `--concurrency` slot.
pub const DELIVERIES_PER_ITEM_SLOT: usize = 4;

/// Items in flight (downloaded or delivering), per `--concurrency` slot; the byte budget bounds
/// them too.
pub const ITEMS_PER_SLOT: usize = 4;

/// Graph's limit of requests in flight per mailbox.
const _: () = assert!(MAX_PER_MAILBOX <= 4);

/// Budget units: KiB, so that permits fit in `u32`.
const BUDGET_UNIT: u64 = 1024;

/// What an item of `size` bytes reserves from [`IN_FLIGHT_BUDGET`], in [`BUDGET_UNIT`]s: its
/// base64 form (the raw bytes are not kept, see `body.rs`), its header block (at most the item,
/// counted up to 64 KiB: a longer one is rare and bounded by `body::MAX_HEADER_BLOCK`) and
/// 16 KiB of slack for the chunks being received; never more than the whole budget.
fn budget_units(size: u64) -> u32 {
    let size = size.min(MAX_ITEM_BYTES);
    let bytes = size.div_ceil(3) * 4 + size.min(64 * 1024) + 16 * 1024;
    let units = bytes.div_ceil(BUDGET_UNIT).min(IN_FLIGHT_BUDGET / BUDGET_UNIT);
    u32::try_from(units).expect("the budget fits in u32 units")
}

/// The item ids listed so far in this run, stored compactly and compared exactly: each id's
/// bytes once in an arena (behind a 4-byte length), found through a hash table of arena offsets
/// (4 bytes a slot; the hashes are recomputed from the arena when the table grows). About 30
/// bytes per item for 20-byte ids. An id that does not fit the arena's `u32` offsets goes to a
/// small overflow set.
#[derive(Default)]
struct SeenIds {
    arena: Vec<u8>,
    index: hashbrown::HashTable<u32>,
    overflow: HashSet<Box<str>>,
    hasher: BuildHasherDefault<DefaultHasher>,
}

impl SeenIds {
    fn at(arena: &[u8], offset: u32) -> &[u8] {
        let start = offset as usize;
        let len = u32::from_le_bytes(arena[start..start + 4].try_into().expect("4 bytes")) as usize;
        &arena[start + 4..start + 4 + len]
    }

    /// `true` when `id` was not seen before (and is now).
    fn insert(&mut self, id: &str) -> bool {
        let bytes = id.as_bytes();
        let hash = self.hasher.hash_one(bytes);
        let arena = &self.arena;
        if self.index.find(hash, |&offset| Self::at(arena, offset) == bytes).is_some() {
            return false;
        }
        match (u32::try_from(self.arena.len()), u32::try_from(bytes.len())) {
            (Ok(offset), Ok(len)) if self.arena.len() + 4 + bytes.len() <= u32::MAX as usize => {
                self.arena.extend_from_slice(&len.to_le_bytes());
                self.arena.extend_from_slice(bytes);
                let (arena, hasher) = (&self.arena, &self.hasher);
                self.index.insert_unique(hash, offset, |&o| hasher.hash_one(Self::at(arena, o)));
                true
            }
            _ => self.overflow.insert(id.into()),
        }
    }
}

/// Runs the connector once (see the crate docs).
pub async fn run(config: Config) -> Result<RunReport, ConnectorError> {
    let valid = config.validate()?;
    let mapping = match &config.mapping_csv {
        Some(path) => Mapping::from_path(path, valid.region)?,
        None => Mapping::empty(),
    };
    let run_at = truncate_to_millis(config.run_at);

    // reqwest is built without a default crypto provider; the binary installs ring, and a
    // library caller that did not choose one gets ring too (a no-op when one is installed).
    let _ = rustls::crypto::ring::default_provider().install_default();
    // One connection pool per service, as in production where they are different hosts: a
    // vendor connection's read buffer grows to a few hundred KiB on large downloads, and sharing
    // the pool would spread such connections over every tenant delivery (measured: 13 MB of
    // buffers at the peak of the 5,000-employee bench day).
    let extra_roots = match &config.ca_file {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| ConnectorError::Config(format!("SSL_CERT_FILE {}: {e}", path.display())))?;
            reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| ConnectorError::Config(format!("SSL_CERT_FILE {}: not PEM certificates: {e}", path.display())))?
        }
        None => Vec::new(),
    };
    let client = |idle: usize| {
        extra_roots
            .iter()
            .fold(reqwest::Client::builder(), |b, c| b.add_root_certificate(c.clone()))
            .connect_timeout(config.connect_timeout)
            .pool_max_idle_per_host(idle)
            .user_agent(concat!("tm-connector/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConnectorError::Config(format!("cannot build the HTTP client: {e}")))
    };
    let timeouts = Timeouts { request: config.request_timeout, transfer: config.transfer_timeout };
    let source = SourceClient::new(
        client(config.concurrency + 1)?,
        valid.tm_url,
        config.tm_username.clone(),
        config.tm_password.clone(),
        config.retry.clone(),
        timeouts,
    );
    let tenant_connections = config.concurrency * (DELIVERIES_PER_ITEM_SLOT + 1);
    let credentials = match (&config.client_credentials, valid.authority) {
        (Some(c), Some(authority)) => crate::token::Credentials::client(
            client(2)?,
            crate::token::token_url(&authority, c.tenant_id.trim()),
            c.client_id.trim().to_owned(),
            c.client_secret.clone(),
            config.retry.clone(),
        ),
        _ => crate::token::Credentials::Static(config.graph_token.clone()),
    };
    let tenant = TenantClient::new(client(tenant_connections)?, valid.graph_url, credentials, config.retry.clone(), timeouts);

    let state = StateDir::open(&config.state_dir).map_err(|e| match e {
        crate::ledger::StateError::Io { .. } => ConnectorError::Config(format!("STATE_DIR: {e}")),
        other => ConnectorError::State(other),
    })?;
    let checkpoint = state.checkpoint()?;

    // Credentials are checked before anything is imported, so that they are configuration
    // errors (exit 2) rather than failures half-way.
    // A first call that cannot connect says so in one line, naming the service and its URL.
    let tm_base = config.tm_url.trim_end_matches('/').to_owned();
    let graph_base = config.graph_url.trim_end_matches('/').to_owned();
    source.login().await.map_err(|e| match e {
        e @ crate::source::SourceError::Credentials { .. } => ConnectorError::VendorCredentials(e),
        crate::source::SourceError::Http(h) if h.unreachable().is_some() => {
            ConnectorError::Unreachable { service: "the vendor archive", base: tm_base.clone(), why: h.unreachable().unwrap_or_default() }
        }
        e => ConnectorError::Source(e),
    })?;
    tenant.preflight().await.map_err(|e| match e {
        e @ crate::tenant::TenantError::Unauthorized { .. } => ConnectorError::TenantToken(e),
        e @ crate::tenant::TenantError::Token(crate::token::TokenError::Refused { .. }) => ConnectorError::ClientCredentials(e),
        crate::tenant::TenantError::Http(h) if h.unreachable().is_some() => {
            ConnectorError::Unreachable { service: "the tenant", base: graph_base.clone(), why: h.unreachable().unwrap_or_default() }
        }
        e => ConnectorError::Tenant(e),
    })?;

    let window = window_for(checkpoint, run_at);
    if checkpoint.is_none() {
        // First run: pin the window start so that a crashed first run resumes from here.
        state.write_checkpoint(window.from)?;
    }
    let ledger = state.open_ledger()?;
    let stats = ledger.stats().clone();
    tracing::info!(
        from = %window.from,
        to = %window.to,
        mapping = mapping.len(),
        auto_mapping = config.auto_mapping,
        ledger_records = stats.records,
        pending_intents = stats.pending_intents,
        "run starting"
    );

    let progress = if config.progress {
        let bar = ProgressBar::new_spinner();
        bar.set_style(ProgressStyle::with_template("{spinner} {elapsed_precise} {pos} items ({per_sec}) {msg}").expect("valid template"));
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    } else {
        ProgressBar::hidden()
    };

    let run = Run {
        config: &config,
        mapping: &mapping,
        source: &source,
        tenant: &tenant,
        directory: DirectoryCache::new(&tenant),
        folders: FolderCache::default(),
        ledger: &ledger,
        mailboxes: Mutex::new(HashMap::new()),
        downloads: Semaphore::new(config.concurrency),
        deliveries: Semaphore::new(config.concurrency * DELIVERIES_PER_ITEM_SLOT),
        budget: Semaphore::new((IN_FLIGHT_BUDGET / BUDGET_UNIT) as usize),
        seen: Mutex::new(SeenIds::default()),
        stop: AtomicBool::new(false),
        window,
        progress: progress.clone(),
    };
    let outcome = match run.recover_pending().await {
        Ok(()) => run.process_window().await,
        Err(e) => Err(e),
    };
    progress.finish_and_clear();
    let (counts, mut failures) = outcome?;
    // Every outcome queued in the ledger is durable before the run reports and commits.
    ledger.flush().await?;

    failures.sort();
    let report = RunReport { run_at, window, counts, failures };
    if let Some(path) = &config.report_path {
        crate::report::write(&report, path).map_err(|source| ConnectorError::Report { path: path.clone(), source })?;
    }
    // Every listed item has an outcome: commit the window, then forget its ledger.
    let committed = checkpoint.map_or(window.to, |c| c.max(window.to));
    state.write_checkpoint(committed)?;
    state.reset_ledger(ledger)?;
    tracing::info!(
        items = counts.items,
        imported = counts.imported,
        skipped_duplicate = counts.skipped_duplicate,
        failed = counts.failed,
        "run completed"
    );
    Ok(report)
}

/// Millisecond precision, the precision of `captured_at` and of the listing's bounds.
fn truncate_to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = t.nanosecond() % 1_000_000_000;
    t.with_nanosecond(nanos - nanos % 1_000_000).unwrap_or(t)
}

/// WINDOW / INCREMENTAL: `[RUN_AT − 24 h, RUN_AT)` on the first run, then
/// `[checkpoint, RUN_AT)` (catching up any missed days). A `RUN_AT` before the checkpoint gives an
/// empty window at `RUN_AT` (nothing is imported twice, the checkpoint never moves back).
pub fn window_for(checkpoint: Option<DateTime<Utc>>, run_at: DateTime<Utc>) -> Window {
    match checkpoint {
        None => Window { from: run_at - TimeDelta::hours(24), to: run_at },
        Some(c) if c <= run_at => Window { from: c, to: run_at },
        Some(c) => {
            tracing::warn!(checkpoint = %c, run_at = %run_at, "RUN_AT is before the checkpoint: nothing to import");
            Window { from: run_at, to: run_at }
        }
    }
}

/// What one item came to.
#[derive(Debug, Default)]
struct ItemOutcome {
    imported: u64,
    skipped_duplicate: u64,
    failures: Vec<Failure>,
}

impl ItemOutcome {
    fn failed(item: &ItemRef, reason: FailureReason) -> ItemOutcome {
        ItemOutcome { failures: vec![Failure { item_id: item.id.to_string(), mailbox: None, reason }], ..ItemOutcome::default() }
    }
}

enum Delivered {
    Imported,
    Duplicate,
    Rejected,
}

struct Run<'a> {
    config: &'a Config,
    mapping: &'a Mapping,
    source: &'a SourceClient,
    tenant: &'a TenantClient,
    directory: DirectoryCache<&'a TenantClient>,
    folders: FolderCache,
    ledger: &'a Ledger,
    /// Per mailbox (user id): its deliveries in flight, at most [`MAX_PER_MAILBOX`].
    mailboxes: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Items being downloaded, parsed and routed (`--concurrency`).
    downloads: Semaphore,
    /// Deliveries in flight over all items.
    deliveries: Semaphore,
    /// [`IN_FLIGHT_BUDGET`] in [`BUDGET_UNIT`]s.
    budget: Semaphore,
    seen: Mutex<SeenIds>,
    stop: AtomicBool,
    window: Window,
    progress: ProgressBar,
}

impl Run<'_> {
    /// Lists the window page by page and processes items with bounded concurrency.
    async fn process_window(&self) -> Result<(Counts, Vec<Failure>), ConnectorError> {
        let window = self.window;
        let source = self.source;
        let page_size = self.config.page_size;
        // `None` = listing finished; `Some(cursor)` = fetch the page at `cursor`.
        let pages = stream::try_unfold(Some(None::<String>), move |state| async move {
            let Some(cursor) = state else { return Ok(None) };
            if window.from >= window.to {
                return Ok(None);
            }
            let page = source.list_page(window.from, window.to, cursor.as_deref(), page_size).await?;
            let next = match page.next_cursor {
                Some(next) if Some(&next) == cursor.as_ref() => {
                    return Err(crate::source::SourceError::Http(HttpError::Protocol {
                        what: "vendor listing".into(),
                        detail: "next_cursor repeats the current cursor".into(),
                    }));
                }
                Some(next) => Some(Some(next)),
                None => None,
            };
            Ok(Some((stream::iter(page.items.into_iter().map(Ok)), next)))
        });
        // Boxed as `Send` here, where the lifetimes are concrete: this keeps `run`'s future `Send`
        // (rustc cannot prove it through the unfold's async block higher up).
        let items = pages.try_flatten().boxed().take_while(|_| std::future::ready(!self.stop.load(Ordering::SeqCst)));
        let mut results = std::pin::pin!(
            items
                .map(|listed| async move {
                    match listed {
                        Ok(item) => self.process_listed(item).await,
                        Err(e) => Err(ConnectorError::Source(e)),
                    }
                })
                .buffer_unordered(self.config.concurrency * ITEMS_PER_SLOT)
        );

        let mut counts = Counts::default();
        let mut failures = Vec::new();
        let mut first_error = None;
        while let Some(result) = results.next().await {
            match result {
                Ok(None) => {}
                Ok(Some(outcome)) => {
                    counts.items += 1;
                    counts.imported += outcome.imported;
                    counts.skipped_duplicate += outcome.skipped_duplicate;
                    counts.failed += outcome.failures.len() as u64;
                    failures.extend(outcome.failures);
                    self.progress.inc(1);
                    self.progress
                        .set_message(format!("imported {} skipped {} failed {}", counts.imported, counts.skipped_duplicate, counts.failed));
                }
                Err(e) => {
                    self.stop.store(true, Ordering::SeqCst);
                    if first_error.is_none() {
                        tracing::error!(error = %e, "run failing: finishing the items in flight");
                        first_error = Some(e);
                    } else {
                        tracing::error!(error = %e, "further error while stopping");
                    }
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok((counts, failures)),
        }
    }

    /// Filters listing anomalies, then processes the item. `None` = not an item of this window.
    async fn process_listed(&self, item: ItemRef) -> Result<Option<ItemOutcome>, ConnectorError> {
        if item.captured_at < self.window.from || item.captured_at >= self.window.to {
            tracing::warn!(item = %item.id, captured_at = %item.captured_at, "the listing returned an item outside the window; ignored");
            return Ok(None);
        }
        if !self.seen.lock().expect("not poisoned").insert(item.id.as_str()) {
            tracing::warn!(item = %item.id, "the listing returned an item twice; processed once");
            return Ok(None);
        }
        self.process_item(&item).await.map(Some)
    }

    async fn process_item(&self, item: &ItemRef) -> Result<ItemOutcome, ConnectorError> {
        // SIZE: decided from the listing, without downloading.
        if item.size > MAX_ITEM_BYTES {
            tracing::warn!(item = %item.id, size = item.size, "item_too_large (listed size)");
            return Ok(ItemOutcome::failed(item, FailureReason::ItemTooLarge));
        }
        // Memory: reserve the item's bytes (raw and base64) before downloading it.
        let _reserved = self.budget.acquire_many(budget_units(item.size)).await.expect("never closed");
        // A download slot until the item is routed: its deliveries then no longer hold one, so
        // that an item waiting for a busy mailbox does not keep the next items from starting.
        let download_slot = self.downloads.acquire().await.expect("never closed");
        let body = match self.fetch(item).await? {
            Ok(body) => body,
            Err(reason) => return Ok(ItemOutcome::failed(item, reason)),
        };
        // A source that understated the size: reserve the difference if it is free (waiting for it
        // while holding a reservation could deadlock); the download cap bounds the overrun.
        let _extra = match budget_units(body.len).checked_sub(budget_units(item.size)) {
            Some(more) if more > 0 => self.budget.try_acquire_many(more).ok(),
            _ => None,
        };
        let participants = match participants::parse(&body.head) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(item = %item.id, error = %e, "malformed_item");
                return Ok(ItemOutcome::failed(item, FailureReason::MalformedItem));
            }
        };
        let mut answers = DirectoryAnswers::new();
        for address in routing::lookups(&participants, self.mapping, self.config.auto_mapping) {
            let answer = self.directory.resolve(&address).await?;
            answers.insert(address, answer);
        }
        let deliveries = match routing::route(&participants, self.mapping, self.config.auto_mapping, &answers) {
            Route::Drop => {
                tracing::warn!(item = %item.id, "user_mapping: no participant routes to a valid mailbox");
                return Ok(ItemOutcome::failed(item, FailureReason::UserMapping));
            }
            Route::Deliver(d) => d,
        };
        // Encoded while it downloaded, shared by every delivery.
        let Body { encoded, head, .. } = body;
        let message_id = participants::internet_message_id(&head);
        drop(head);
        drop(download_slot);

        // ROUTE-FANOUT: the item's distinct users concurrently (each mailbox still one at a
        // time). Every delivery started is awaited, so none is cut off half-way by another's
        // error; the first error then fails the item.
        let results = futures_util::future::join_all(deliveries.iter().map(|delivery| {
            tracing::debug!(item = %item.id, mailbox = delivery.user.mailbox(), rule = ?delivery.rule, "routing");
            self.deliver(item, &delivery.user, encoded.clone(), message_id.as_deref())
        }))
        .await;
        let mut outcome = ItemOutcome::default();
        for (delivery, result) in deliveries.iter().zip(results) {
            match result? {
                Delivered::Imported => outcome.imported += 1,
                Delivered::Duplicate => outcome.skipped_duplicate += 1,
                Delivered::Rejected => outcome.failures.push(Failure {
                    item_id: item.id.to_string(),
                    mailbox: Some(delivery.user.mailbox().to_owned()),
                    reason: FailureReason::SinkRejected,
                }),
            }
        }
        Ok(outcome)
    }

    /// Downloads and verifies an item (see the module docs for the digest policy).
    async fn fetch(&self, item: &ItemRef) -> Result<Result<Body, FailureReason>, ConnectorError> {
        let expected = item.sha256.trim().to_ascii_lowercase();
        for attempt in 1..=2 {
            match self.source.download(item.id.as_str(), item.size, MAX_ITEM_BYTES).await? {
                Fetched::TooLarge { received } => {
                    tracing::warn!(item = %item.id, listed_size = item.size, received, "item_too_large (the source misreported its size)");
                    return Ok(Err(FailureReason::ItemTooLarge));
                }
                Fetched::NotFound => {
                    tracing::warn!(item = %item.id, "listed item not found at the source: malformed_item");
                    return Ok(Err(FailureReason::MalformedItem));
                }
                Fetched::Complete(body) if body.sha256 == expected => {
                    if body.len != item.size {
                        tracing::warn!(item = %item.id, listed_size = item.size, actual = body.len, "listed size differs; digest matches");
                    }
                    return Ok(Ok(body));
                }
                Fetched::Complete(body) => {
                    tracing::warn!(item = %item.id, attempt, expected = %expected, actual = %body.sha256, "downloaded bytes do not match the listed sha256");
                }
            }
        }
        Ok(Err(FailureReason::MalformedItem))
    }

    fn mailbox(&self, user_id: &str) -> Arc<Semaphore> {
        Arc::clone(
            self.mailboxes
                .lock()
                .expect("not poisoned")
                .entry(user_id.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(MAX_PER_MAILBOX))),
        )
    }

    /// Whether an interrupted or failed attempt landed: the tenant is asked for the item's
    /// `internetMessageId` in the folder. `None` when it cannot be told (no Message-ID).
    async fn landed(&self, p: &PendingIntent) -> Result<Option<bool>, TenantError> {
        let (Some(folder), Some(id)) = (&p.folder, &p.internet_message_id) else { return Ok(None) };
        Ok(Some(self.tenant.has_message(&p.user, folder, id).await?.unwrap_or(false)))
    }

    /// Resolves the intents an interrupted run left (see `ledger.rs`): the tenant is asked
    /// whether each one's message is in the folder. Intents of older ledgers without a
    /// Message-ID fall back to their count fence, one per mailbox.
    async fn recover_pending(&self) -> Result<(), ConnectorError> {
        let pending = self.ledger.pending();
        let mut fenced: HashMap<&str, Vec<&PendingIntent>> = HashMap::new();
        for p in &pending {
            let landed = match self.landed(p).await? {
                Some(landed) => Some(landed),
                None => {
                    fenced.entry(p.user.as_str()).or_default().push(p);
                    continue;
                }
            };
            self.resolve(p, landed).await?;
        }
        let mut users: Vec<_> = fenced.into_iter().collect();
        users.sort_by_key(|(user, _)| *user);
        for (user, intents) in users {
            let ([p], Some(folder), Some(before)) = (intents.as_slice(), intents[0].folder.as_ref(), intents[0].count_before) else {
                tracing::warn!(user, pending = intents.len(), "interrupted imports without a Message-ID: cannot tell whether they landed");
                continue;
            };
            let landed = match self.tenant.folder_count(user, folder).await? {
                FolderCount::Count(now) if now == before + 1 => Some(true),
                FolderCount::Count(now) if now == before => Some(false),
                FolderCount::Missing => Some(false),
                FolderCount::Count(_) | FolderCount::Unknown => None,
            };
            self.resolve(p, landed).await?;
        }
        Ok(())
    }

    async fn resolve(&self, p: &PendingIntent, landed: Option<bool>) -> Result<(), ConnectorError> {
        match landed {
            Some(true) => {
                tracing::info!(item = %p.item, mailbox = %p.mailbox, "interrupted import had landed");
                self.ledger.append(record(p, Outcome::Imported)).await?;
            }
            Some(false) => {
                tracing::info!(item = %p.item, mailbox = %p.mailbox, "interrupted import had not landed");
                self.ledger.append(record(p, Outcome::Cleared)).await?;
            }
            None => tracing::warn!(item = %p.item, mailbox = %p.mailbox, "cannot tell whether an interrupted import landed"),
        }
        Ok(())
    }

    /// One delivery, exactly once: the ledger spares the tenant a question per delivery; when an
    /// attempt's outcome is unknown (a 5xx, a lost answer, a timeout) the tenant is asked for the
    /// item's `internetMessageId` in the folder before it is sent again (see `ledger.rs`).
    async fn deliver(
        &self,
        item: &ItemRef,
        user: &DirectoryUser,
        encoded: Bytes,
        message_id: Option<&str>,
    ) -> Result<Delivered, ConnectorError> {
        // DEDUP: already imported by this or an earlier run of the window.
        if self.ledger.is_imported(item.id.as_str(), user.id.as_str()) {
            return Ok(Delivered::Duplicate);
        }
        // CONCURRENCY: a permit of the mailbox first, then a delivery slot (see the module docs).
        let mailbox = self.mailbox(user.id.as_str());
        let _permit = mailbox.acquire().await.expect("never closed");
        let _slot = self.deliveries.acquire().await.expect("never closed");
        // FOLDER: found or created once per mailbox per run.
        let (folder, _) = self.folders.ensure(self.tenant, user.id.as_str()).await?;
        let intent = PendingIntent {
            item: item.id.to_string(),
            user: user.id.to_string(),
            mailbox: user.mailbox().to_owned(),
            folder: Some(folder.clone()),
            count_before: None,
            internet_message_id: message_id.map(str::to_owned),
        };
        if self.ledger.was_interrupted(item.id.as_str(), user.id.as_str()) {
            // An earlier run's intent the start of this run could not resolve.
            if self.landed(&intent).await? == Some(true) {
                self.ledger.append(record(&intent, Outcome::Imported)).await?;
                return Ok(Delivered::Imported);
            }
        }
        if message_id.is_none() {
            tracing::warn!(item = %item.id, mailbox = user.mailbox(), "the item has no Message-ID: a retried import cannot be checked and may land twice");
        }
        self.ledger.append(record(&intent, Outcome::Intent)).await?;

        let (tenant, intent_ref, folder) = (self.tenant, &intent, folder.as_str());
        let result = retry::run(&self.config.retry, |attempt| {
            let encoded = encoded.clone();
            async move {
                if attempt > 1 {
                    // The previous attempt may have landed (5xx, reset, timeout): ask.
                    match self.landed(intent_ref).await {
                        Ok(Some(true)) => return Step::Done(None),
                        Ok(_) => {}
                        Err(TenantError::Http(e)) => return Step::Retry(e),
                        Err(e) => return Step::Fail(HttpError::Protocol { what: "message lookup".into(), detail: e.to_string() }),
                    }
                }
                tenant.import_attempt(user.id.as_str(), folder, encoded).await.map(Some)
            }
        })
        .await
        .map_err(TenantError::from_http)?;
        match result {
            None | Some(Imported::Created { .. }) => {
                // Queued, not awaited: the run flushes the ledger before its report and
                // checkpoint, and a failed write fails the run. Lost, the record costs the next
                // run one question to the tenant, never a duplicate.
                self.ledger.enqueue(record(&intent, Outcome::Imported))?;
                tracing::debug!(item = %item.id, mailbox = user.mailbox(), "imported");
                Ok(Delivered::Imported)
            }
            Some(Imported::Rejected { status, code, message }) => {
                self.ledger.append(record(&intent, Outcome::Cleared)).await?;
                tracing::warn!(item = %item.id, mailbox = user.mailbox(), size = item.size, status, code = %code, message = %message, "sink_rejected");
                Ok(Delivered::Rejected)
            }
        }
    }
}

enum Outcome {
    Intent,
    Imported,
    Cleared,
}

fn record(p: &PendingIntent, outcome: Outcome) -> Record {
    let (item, user, mailbox) = (p.item.clone(), p.user.clone(), p.mailbox.clone());
    match outcome {
        Outcome::Intent => Record::Intent {
            item,
            user,
            mailbox,
            folder: p.folder.clone(),
            count_before: p.count_before,
            internet_message_id: p.internet_message_id.clone(),
        },
        Outcome::Imported => Record::Imported { item, user, mailbox },
        Outcome::Cleared => Record::Cleared { item, user, mailbox },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn window_the_first_run_covers_the_24_hours_before_run_at() {
        let w = window_for(None, t("2026-11-21T00:00:00Z"));
        assert_eq!((w.from, w.to), (t("2026-11-20T00:00:00Z"), t("2026-11-21T00:00:00Z")));
    }

    #[test]
    fn incremental_later_runs_continue_from_the_checkpoint_catching_up_missed_days() {
        let w = window_for(Some(t("2026-11-21T00:00:00Z")), t("2026-11-23T00:00:00Z"));
        assert_eq!((w.from, w.to), (t("2026-11-21T00:00:00Z"), t("2026-11-23T00:00:00Z")));
        let w = window_for(Some(t("2026-11-21T00:00:00Z")), t("2026-11-21T00:00:00Z"));
        assert_eq!(w.from, w.to);
    }

    #[test]
    fn a_run_at_before_the_checkpoint_imports_nothing() {
        let w = window_for(Some(t("2026-11-22T00:00:00Z")), t("2026-11-21T00:00:00Z"));
        assert_eq!(w.from, w.to);
    }

    #[test]
    fn seen_ids_are_exact() {
        let mut seen = SeenIds::default();
        assert!(seen.insert("item-a"));
        assert!(!seen.insert("item-a"));
        assert!(seen.insert("item-b"));
        assert!(seen.insert(""));
        assert!(!seen.insert(""));
        assert!(seen.insert("item-a "), "ids differ by their bytes");
        // Many ids: the table grows and recomputes hashes from the arena.
        for i in 0..10_000 {
            assert!(seen.insert(&format!("tm{i:016x}")));
        }
        for i in 0..10_000 {
            assert!(!seen.insert(&format!("tm{i:016x}")));
        }
        assert!(!seen.insert("item-b"));
        assert!(seen.overflow.is_empty());
    }

    #[test]
    fn seen_ids_match_a_plain_set() {
        fn prop(ids: Vec<u8>) -> bool {
            let mut seen = SeenIds::default();
            let mut plain = HashSet::new();
            ids.iter().all(|i| {
                let id = format!("id-{}", i % 40);
                seen.insert(&id) == plain.insert(id)
            })
        }
        quickcheck::QuickCheck::new().tests(300).quickcheck(prop as fn(Vec<u8>) -> bool);
    }

    #[test]
    fn the_byte_budget_covers_base64_and_headers_and_never_exceeds_the_whole() {
        let whole = u32::try_from(IN_FLIGHT_BUDGET / BUDGET_UNIT).unwrap();
        assert!(u64::from(budget_units(30_000)) * BUDGET_UNIT >= 30_000 * 7 / 3, "small items: base64 and the whole item as headers");
        assert_eq!(budget_units(MAX_ITEM_BYTES), u32::try_from((MAX_ITEM_BYTES * 4 / 3 + 80 * 1024).div_ceil(BUDGET_UNIT)).unwrap());
        assert!(budget_units(MAX_ITEM_BYTES) <= whole);
        assert!(budget_units(u64::MAX) <= whole);
    }

    #[test]
    fn run_at_is_truncated_to_milliseconds() {
        assert_eq!(truncate_to_millis(t("2026-11-21T00:00:00.123456789Z")), t("2026-11-21T00:00:00.123Z"));
    }
}
