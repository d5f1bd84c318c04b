//! One run: configuration → window → listing → per item (size check, capped download, digest
//! check, participants, directory, routing, deliveries) → report → checkpoint.
//!
//! Concurrency: at most `concurrency` items are in flight; each item does its HTTP calls one at
//! a time, so that is also the bound on requests in flight, and on memory (one item is at most
//! 10 MiB raw plus its base64 form). Folder and import calls into one mailbox are serialised
//! (the exactly-once fence in `ledger.rs` needs that; the contract allows up to 4).
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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Timelike, Utc};
use futures_util::{StreamExt, TryStreamExt, stream};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::Semaphore;

use crate::config::{Config, MAX_PER_MAILBOX};
use crate::error::ConnectorError;
use crate::ledger::{Ledger, PendingIntent, Record, StateDir};
use crate::mapping::Mapping;
use crate::participants;
use crate::report::{Counts, Failure, FailureReason, RunReport, Window};
use crate::retry::{self, HttpError, Step};
use crate::routing::{self, DirectoryAnswers, DirectoryUser, Route};
use crate::source::{Fetched, ItemRef, SourceClient, Timeouts};
use crate::tenant::{DirectoryCache, FolderCache, FolderCount, Imported, TenantClient, TenantError};

/// SIZE: the largest raw item imported, 10 MB = 10,485,760 bytes.
pub const MAX_ITEM_BYTES: u64 = 10_485_760;

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
    let http = reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .user_agent(concat!("tm-connector/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ConnectorError::Config(format!("cannot build the HTTP client: {e}")))?;
    let timeouts = Timeouts { request: config.request_timeout, transfer: config.transfer_timeout };
    let source = SourceClient::new(
        http.clone(),
        valid.tm_url,
        config.tm_username.clone(),
        config.tm_password.clone(),
        config.retry.clone(),
        timeouts,
    );
    let tenant = TenantClient::new(http, valid.graph_url, config.graph_token.clone(), config.retry.clone(), timeouts);

    let state = StateDir::open(&config.state_dir).map_err(|e| match e {
        crate::ledger::StateError::Io { .. } => ConnectorError::Config(format!("STATE_DIR: {e}")),
        other => ConnectorError::State(other),
    })?;
    let checkpoint = state.checkpoint()?;

    // Credentials are checked before anything is imported, so that they are configuration
    // errors (exit 2) rather than failures half-way.
    source.login().await.map_err(|e| match e {
        e @ crate::source::SourceError::Credentials { .. } => ConnectorError::VendorCredentials(e),
        e => ConnectorError::Source(e),
    })?;
    tenant.preflight().await.map_err(|e| match e {
        e @ crate::tenant::TenantError::Unauthorized { .. } => ConnectorError::TenantToken(e),
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
        mailbox_slots: Mutex::new(HashMap::new()),
        seen: Mutex::new(HashSet::new()),
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

    failures.sort();
    let report = RunReport { run_at, window, counts, failures };
    if let Some(path) = &config.report_path {
        report.write_to(path).map_err(|source| ConnectorError::Report { path: path.clone(), source })?;
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
        ItemOutcome { failures: vec![Failure { item_id: item.id.clone(), mailbox: None, reason }], ..ItemOutcome::default() }
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
    mailbox_slots: Mutex<HashMap<String, Arc<Semaphore>>>,
    seen: Mutex<HashSet<String>>,
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
                .buffer_unordered(self.config.concurrency)
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
        if !self.seen.lock().expect("not poisoned").insert(item.id.clone()) {
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
        let raw = match self.fetch(item).await? {
            Ok(raw) => raw,
            Err(reason) => return Ok(ItemOutcome::failed(item, reason)),
        };
        let participants = match participants::parse(&raw) {
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
        // Encoded once, shared by every delivery; the raw bytes are no longer needed.
        let encoded = Bytes::from(base64::engine::general_purpose::STANDARD.encode(&raw));
        drop(raw);

        let mut outcome = ItemOutcome::default();
        for delivery in deliveries {
            tracing::debug!(item = %item.id, mailbox = delivery.user.mailbox(), rule = ?delivery.rule, "routing");
            match self.deliver(item, &delivery.user, encoded.clone()).await? {
                Delivered::Imported => outcome.imported += 1,
                Delivered::Duplicate => outcome.skipped_duplicate += 1,
                Delivered::Rejected => outcome.failures.push(Failure {
                    item_id: item.id.clone(),
                    mailbox: Some(delivery.user.mailbox().to_owned()),
                    reason: FailureReason::SinkRejected,
                }),
            }
        }
        Ok(outcome)
    }

    /// Downloads and verifies an item (see the module docs for the digest policy).
    async fn fetch(&self, item: &ItemRef) -> Result<Result<Bytes, FailureReason>, ConnectorError> {
        let expected = item.sha256.trim().to_ascii_lowercase();
        for attempt in 1..=2 {
            match self.source.download(&item.id, item.size, MAX_ITEM_BYTES).await? {
                Fetched::TooLarge { received } => {
                    tracing::warn!(item = %item.id, listed_size = item.size, received, "item_too_large (the source misreported its size)");
                    return Ok(Err(FailureReason::ItemTooLarge));
                }
                Fetched::NotFound => {
                    tracing::warn!(item = %item.id, "listed item not found at the source: malformed_item");
                    return Ok(Err(FailureReason::MalformedItem));
                }
                Fetched::Complete { bytes, sha256 } if sha256 == expected => {
                    if bytes.len() as u64 != item.size {
                        tracing::warn!(item = %item.id, listed_size = item.size, actual = bytes.len(), "listed size differs; digest matches");
                    }
                    return Ok(Ok(bytes));
                }
                Fetched::Complete { sha256, .. } => {
                    tracing::warn!(item = %item.id, attempt, expected = %expected, actual = %sha256, "downloaded bytes do not match the listed sha256");
                }
            }
        }
        Ok(Err(FailureReason::MalformedItem))
    }

    fn mailbox_slot(&self, user_id: &str) -> Arc<Semaphore> {
        Arc::clone(
            self.mailbox_slots
                .lock()
                .expect("not poisoned")
                .entry(user_id.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(MAX_PER_MAILBOX))),
        )
    }

    /// Resolves the intents an interrupted run left, through the fence (see `ledger.rs`);
    /// runs before any import of this run, so that folder counts are not yet moved by it.
    async fn recover_pending(&self) -> Result<(), ConnectorError> {
        let pending = self.ledger.pending();
        let mut per_user: HashMap<&str, Vec<&PendingIntent>> = HashMap::new();
        for p in &pending {
            per_user.entry(p.user.as_str()).or_default().push(p);
        }
        let mut users: Vec<_> = per_user.into_iter().collect();
        users.sort_by_key(|(user, _)| *user);
        for (user, intents) in users {
            let [p] = intents.as_slice() else {
                tracing::warn!(
                    user,
                    pending = intents.len(),
                    "several interrupted imports into one mailbox: the fence cannot tell them apart"
                );
                continue;
            };
            let (Some(folder), Some(before)) = (&p.folder, p.count_before) else {
                tracing::warn!(item = %p.item, mailbox = %p.mailbox, "interrupted import without a fence");
                continue;
            };
            let landed = match self.tenant.folder_count(user, folder).await? {
                FolderCount::Count(now) if now == before + 1 => Some(true),
                FolderCount::Count(now) if now == before => Some(false),
                FolderCount::Missing => Some(false),
                FolderCount::Count(_) | FolderCount::Unknown => None,
            };
            match landed {
                Some(true) => {
                    tracing::info!(item = %p.item, mailbox = %p.mailbox, "interrupted import had landed");
                    self.ledger.append(record(p, Outcome::Imported)).await?;
                }
                Some(false) => {
                    tracing::info!(item = %p.item, mailbox = %p.mailbox, "interrupted import had not landed");
                    self.ledger.append(record(p, Outcome::Cleared)).await?;
                }
                None => {
                    tracing::warn!(item = %p.item, mailbox = %p.mailbox, "the folder changed since an interrupted import: cannot tell whether it landed");
                }
            }
        }
        Ok(())
    }

    /// One delivery, exactly once through the ledger and the fence (see `ledger.rs`).
    async fn deliver(&self, item: &ItemRef, user: &DirectoryUser, encoded: Bytes) -> Result<Delivered, ConnectorError> {
        // DEDUP: already imported by this or an earlier run of the window.
        if self.ledger.is_imported(&item.id, &user.id) {
            return Ok(Delivered::Duplicate);
        }
        // One delivery per mailbox at a time: the fence below is exact only then.
        let slot = self.mailbox_slot(&user.id);
        let _permit = slot.acquire().await.expect("never closed");
        // FOLDER: found or created once per mailbox per run.
        let folder = self.folders.ensure(self.tenant, &user.id).await?;
        if self.ledger.was_interrupted(&item.id, &user.id) {
            tracing::warn!(
                item = %item.id,
                mailbox = user.mailbox(),
                "re-importing after an interrupted attempt: if the tenant stored the first attempt, this pair now exists twice"
            );
        }
        let count_before = match self.tenant.folder_count(&user.id, &folder).await? {
            FolderCount::Count(n) => Some(n),
            FolderCount::Unknown | FolderCount::Missing => None,
        };
        let intent = PendingIntent {
            item: item.id.clone(),
            user: user.id.clone(),
            mailbox: user.mailbox().to_owned(),
            folder: Some(folder.clone()),
            count_before,
        };
        self.ledger.append(record(&intent, Outcome::Intent)).await?;

        let (tenant, folder) = (self.tenant, folder.as_str());
        let result = retry::run(&self.config.retry, |attempt| {
            let encoded = encoded.clone();
            async move {
                if attempt > 1
                    && let Some(before) = count_before
                {
                    // The previous attempt may have landed (5xx, reset, timeout): check the fence.
                    match tenant.folder_count(&user.id, folder).await {
                        Ok(FolderCount::Count(now)) if now == before + 1 => return Step::Done(None),
                        Ok(FolderCount::Count(now)) if now == before => {}
                        Ok(_) => tracing::warn!(item = %item.id, mailbox = user.mailbox(), "the folder changed during a retried import: it may land twice"),
                        Err(TenantError::Http(e)) => return Step::Retry(e),
                        Err(TenantError::Unauthorized { code }) => {
                            return Step::Fail(HttpError::Protocol {
                                what: "fence check".into(),
                                detail: format!("401 {code}"),
                            });
                        }
                    }
                }
                match tenant.import_attempt(&user.id, folder, encoded).await {
                    Step::Done(imported) => Step::Done(Some(imported)),
                    Step::Retry(e) => Step::Retry(e),
                    Step::RetryNow(e) => Step::RetryNow(e),
                    Step::Fail(e) => Step::Fail(e),
                }
            }
        })
        .await
        .map_err(TenantError::from_http)?;
        match result {
            None | Some(Imported::Created { .. }) => {
                self.ledger.append(record(&intent, Outcome::Imported)).await?;
                tracing::debug!(item = %item.id, mailbox = user.mailbox(), "imported");
                Ok(Delivered::Imported)
            }
            Some(Imported::Rejected { status, code, message }) => {
                self.ledger.append(record(&intent, Outcome::Cleared)).await?;
                tracing::warn!(item = %item.id, mailbox = user.mailbox(), status, code = %code, message = %message, "sink_rejected");
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
        Outcome::Intent => Record::Intent { item, user, mailbox, folder: p.folder.clone(), count_before: p.count_before },
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
    fn run_at_is_truncated_to_milliseconds() {
        assert_eq!(truncate_to_millis(t("2026-11-21T00:00:00.123456789Z")), t("2026-11-21T00:00:00.123Z"));
    }
}
