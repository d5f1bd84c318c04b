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
//! Memory: items in flight also share a byte budget ([`IN_FLIGHT_BUDGET`], `budget.rs`): before its download
//! an item reserves its base64 form (4/3 of its listed size; the raw bytes are encoded as they
//! arrive and not kept, see `body.rs`) plus room for its headers, so a few large items wait
//! rather than all being buffered at once; an item larger than the whole budget takes all of it.
//! The run keeps the listed item ids (compactly, `seen.rs`) and one semaphore per mailbox;
//! the ledger keeps only what earlier runs left (see `ledger/mod.rs`).
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
//!
//! The modules, in the order of a run: `connect.rs` (clients, credentials, the checks at start),
//! `window.rs`, `recovery.rs` (what an interrupted run left), `listing.rs` (pages, bounded
//! concurrency, counts), `sequence.rs` (late arrivals: the sequence listing after the window), `item.rs` (size, download, digest, routing), `deliver.rs` (one
//! delivery, exactly once), with `budget.rs` and `seen.rs` beside them.

mod budget;
mod connect;
mod deliver;
mod item;
mod listing;
mod recovery;
mod seen;
mod sequence;
mod window;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::Semaphore;

use crate::config::{Config, MAX_PER_MAILBOX};
use crate::error::ConnectorError;
use crate::ledger::Ledger;
use crate::source::SourceClient;
use crate::state::{StateDir, StateError};
use crate::tenant::{DirectoryCache, FolderCache, TenantClient};
use budget::BUDGET_UNIT;
pub use budget::IN_FLIGHT_BUDGET;
use seen::SeenIds;
use tm_contract::{Failure, Mapping, RunReport, UserId, Window};
pub use window::window_for;

/// Deliveries in flight over all items, per `--concurrency` slot.
pub const DELIVERIES_PER_ITEM_SLOT: usize = 4;

/// Items in flight (downloaded or delivering), per `--concurrency` slot; the byte budget bounds
/// them too.
pub const ITEMS_PER_SLOT: usize = 4;

/// Graph's limit of requests in flight per mailbox.
const _: () = assert!(MAX_PER_MAILBOX <= 4);

/// Runs the connector once (see the crate docs).
pub async fn run(config: Config) -> Result<RunReport, ConnectorError> {
    let valid = config.validate()?;
    let mapping = match &config.mapping_csv {
        Some(path) => Mapping::from_path(path, valid.region)?,
        None => Mapping::empty(),
    };
    let run_at = window::truncate_to_millis(config.run_at);
    let (source, tenant) = connect::clients(&config, valid)?;
    let state = StateDir::open(&config.state_dir).map_err(|e| match e {
        StateError::Io { .. } => ConnectorError::Config(format!("STATE_DIR: {e}")),
        other => ConnectorError::State(other),
    })?;
    let checkpoint = state.checkpoint()?;
    let cursor = state.sequence()?;
    connect::check(&config, &source, &tenant).await?;

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
        after_seq = ?cursor,
        "run starting"
    );
    let progress = progress_bar(config.progress);
    let run = Run::new(&config, &mapping, &source, &tenant, &ledger, window, progress.clone());
    let outcome = match run.recover_pending().await {
        Ok(()) => run.process_window().await,
        Err(e) => Err(e),
    };
    let outcome = match outcome {
        Ok(listed) => run.process_sequence(cursor).await.map(|sequenced| (listed, sequenced)),
        Err(e) => Err(e),
    };
    progress.finish_and_clear();
    let ((mut counts, mut failures), (late, late_failures, after_seq)) = outcome?;
    counts.items += late.items;
    counts.imported += late.imported;
    counts.skipped_duplicate += late.skipped_duplicate;
    counts.failed += late.failed;
    failures.extend(late_failures);
    // FINAL: deliveries that landed as drafts (only with ALLOW_DRAFT_IMPORTS).
    counts.drafts = run.drafts.load(Ordering::Relaxed);
    let committed = Committed { checkpoint, after_seq };
    finish(&config, &state, ledger, committed, RunReport { run_at, window, counts, failures }).await
}

/// What the state held at the start and the sequence cursor the run reached.
struct Committed {
    checkpoint: Option<DateTime<Utc>>,
    after_seq: Option<u64>,
}

/// Every listed item has an outcome: the ledger is made durable, the report written, the window
/// committed and its ledger forgotten.
async fn finish(
    config: &Config,
    state: &StateDir,
    ledger: Ledger,
    Committed { checkpoint, after_seq }: Committed,
    mut report: RunReport,
) -> Result<RunReport, ConnectorError> {
    // Every outcome queued in the ledger is durable before the run reports and commits.
    ledger.flush().await?;
    report.sort();
    if let Some(path) = &config.report_path {
        crate::report::write(&report, path).map_err(|source| ConnectorError::Report { path: path.clone(), source })?;
    }
    let committed = checkpoint.map_or(report.window.to, |c| c.max(report.window.to));
    state.write_state(committed, after_seq)?;
    state.reset_ledger(ledger)?;
    let counts = report.counts;
    tracing::info!(
        items = counts.items,
        imported = counts.imported,
        skipped_duplicate = counts.skipped_duplicate,
        failed = counts.failed,
        drafts = counts.drafts,
        "run completed"
    );
    Ok(report)
}

fn progress_bar(shown: bool) -> ProgressBar {
    if !shown {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template("{spinner} {elapsed_precise} {pos} items ({per_sec}) {msg}").expect("valid template"));
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// One run's clients, state and limits, shared by the items in flight.
struct Run<'a> {
    config: &'a Config,
    mapping: &'a Mapping,
    source: &'a SourceClient,
    tenant: &'a TenantClient,
    directory: DirectoryCache<&'a TenantClient>,
    folders: FolderCache,
    ledger: &'a Ledger,
    /// Per mailbox: its deliveries in flight, at most [`MAX_PER_MAILBOX`].
    mailboxes: Mutex<HashMap<UserId, Arc<Semaphore>>>,
    /// Items being downloaded, parsed and routed (`--concurrency`).
    downloads: Semaphore,
    /// Deliveries in flight over all items.
    deliveries: Semaphore,
    /// [`IN_FLIGHT_BUDGET`] in [`BUDGET_UNIT`]s.
    budget: Semaphore,
    seen: Mutex<SeenIds>,
    stop: AtomicBool,
    /// Deliveries that landed as drafts (`counts.drafts`).
    drafts: AtomicU64,
    window: Window,
    progress: ProgressBar,
}

impl<'a> Run<'a> {
    fn new(
        config: &'a Config,
        mapping: &'a Mapping,
        source: &'a SourceClient,
        tenant: &'a TenantClient,
        ledger: &'a Ledger,
        window: Window,
        progress: ProgressBar,
    ) -> Run<'a> {
        Run {
            config,
            mapping,
            source,
            tenant,
            directory: DirectoryCache::new(tenant),
            folders: FolderCache::default(),
            ledger,
            mailboxes: Mutex::new(HashMap::new()),
            downloads: Semaphore::new(config.concurrency),
            deliveries: Semaphore::new(config.concurrency * DELIVERIES_PER_ITEM_SLOT),
            budget: Semaphore::new((IN_FLIGHT_BUDGET / BUDGET_UNIT) as usize),
            seen: Mutex::new(SeenIds::default()),
            stop: AtomicBool::new(false),
            drafts: AtomicU64::new(0),
            window,
            progress,
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
