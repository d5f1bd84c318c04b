//! What the handlers share: the generated [`World`], the [`Tenant`] store, what is observed
//! (journal, access log), the vendor's sessions and the scenario's fault plan. Private to the
//! crate: other crates see a running simulator through `Running` and its `Observation`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::http::sessions::Sessions;
use crate::observe::access_log::AccessLog;
use crate::observe::journal::Journal;
use crate::tenant::data_dir::{DataDir, DataDirError};
use crate::tenant::directory::Directory;
use crate::tenant::mailboxes::Message;
use crate::tenant::store::{MessageBytes, Tenant};
use crate::world::World;
use crate::world::archive::ArchivedItem;
use crate::world::faults::FaultPlan;
use crate::world::scenario::{Scenario, ScenarioError};

/// Options that are not part of a scenario.
#[derive(Debug, Clone)]
pub struct Options {
    /// Keep the raw bytes of imported messages that are not archive items (default); off for
    /// benchmarks. Bytes identical to an archive item are always available: they are rendered
    /// again from the item.
    pub keep_message_bodies: bool,
    /// Keep the tenant in this directory (SQLite), so that a restart finds it as it was.
    pub data_dir: Option<PathBuf>,
    /// Journal entries and access-log requests kept in memory (each); older ones are dropped
    /// and counted (and stay in the data directory's journal).
    pub log_capacity: usize,
    /// Serve HTTPS, writing the CA's PEM to this file (`serve --tls`).
    pub tls_ca_file: Option<PathBuf>,
    /// Live mode (`serve --live`): the scenario is anchored so that its last day of traffic is
    /// this time's UTC day, and an item is listed and served only once the clock has passed its
    /// capture time.
    pub live: Option<chrono::DateTime<chrono::Utc>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            keep_message_bodies: true,
            data_dir: None,
            log_capacity: crate::observe::journal::DEFAULT_CAPACITY,
            tls_ca_file: None,
            live: None,
        }
    }
}

/// Everything the handlers share.
#[derive(Debug)]
pub struct State {
    /// The scenario and its archive.
    pub world: Arc<World>,
    /// The tenant store.
    pub tenant: Arc<Tenant>,
    /// Vendor sessions.
    pub sessions: Mutex<Sessions>,
    /// The journal.
    pub journal: Mutex<Journal>,
    /// The scenario's faults.
    pub faults: FaultPlan,
    /// Every vendor and tenant request, timed.
    pub requests: AccessLog,
    /// Tenant requests in flight per user id (for throttling).
    pub in_flight: Mutex<std::collections::HashMap<String, usize>>,
    /// Tenant requests answered so far (the `request-id` of each is derived from it).
    pub tenant_requests: std::sync::atomic::AtomicU64,
    /// How the simulator is reached, once it listens.
    pub public: std::sync::OnceLock<Public>,
    /// Options.
    pub options: Options,
    /// The archive's clock when set (`PUT /sim/clock`, the suite's `RUN_AT`), epoch ms;
    /// [`NO_CLOCK`] when not set.
    pub clock_ms: std::sync::atomic::AtomicI64,
}

/// [`State::clock_ms`] when no clock is set.
pub const NO_CLOCK: i64 = i64::MIN;

/// Shared state handle.
pub type Shared = Arc<State>;

/// How clients reach a listening simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Public {
    /// `http://…` or `https://…`, no trailing slash.
    pub base: String,
    /// With TLS: the PEM file of the CA that signed the certificate.
    pub ca_file: Option<PathBuf>,
}

/// Why a simulator could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The scenario is not valid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The data directory cannot be used.
    #[error(transparent)]
    DataDir(#[from] DataDirError),
}

impl State {
    /// `https` when the simulator serves TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        match self.public.get() {
            Some(p) if p.base.starts_with("https:") => "https",
            _ => "http",
        }
    }

    /// Generates the archive and the tenant of a scenario (and, with a data directory, puts
    /// back the tenant it holds).
    pub fn build(mut scenario: Scenario, options: Options) -> Result<State, BuildError> {
        if let Some(now) = options.live {
            let shift = scenario.anchor_to(now);
            tracing::info!(start = %scenario.start, shift_days = shift.num_days(), "live: scenario anchored");
        }
        let data_dir = match &options.data_dir {
            // Opened first: a directory of another scenario is refused before any generation.
            Some(dir) => Some(Arc::new(DataDir::open(dir, &scenario)?)),
            None => None,
        };
        let world = World::generate(scenario)?;
        let directory = Directory::new(&world.archive.population.users);
        let settings = crate::tenant::quota::MailboxSettings::new(&world.scenario.failure_modes, &directory);
        let (tenant, restored) = Tenant::open_with(directory, data_dir.clone(), &world.archive, settings)?;
        let mut journal = Journal::new(options.log_capacity, data_dir.clone());
        if let Some(d) = &data_dir {
            tracing::info!(messages = restored.messages, journal = restored.journal_total, dir = %d.path().display(), "tenant restored");
            journal.restore(restored.journal, restored.journal_total);
        }
        let scenario = &world.scenario;
        Ok(State {
            faults: FaultPlan::new(scenario.faults.clone(), scenario.seed),
            in_flight: Mutex::new(std::collections::HashMap::new()),
            tenant_requests: std::sync::atomic::AtomicU64::new(0),
            requests: AccessLog::new(options.log_capacity),
            sessions: Mutex::new(Sessions::new(scenario.seed)),
            world: Arc::new(world),
            tenant: Arc::new(tenant),
            journal: Mutex::new(journal),
            public: std::sync::OnceLock::new(),
            options,
            clock_ms: std::sync::atomic::AtomicI64::new(NO_CLOCK),
        })
    }

    /// The archive's clock in epoch milliseconds: the one set (`PUT /sim/clock`), else in live
    /// mode the current time; items archived later are not there yet. `None`: every item is
    /// there.
    pub fn arrived_until_ms(&self) -> Option<i64> {
        match self.clock_ms.load(std::sync::atomic::Ordering::SeqCst) {
            NO_CLOCK => self.options.live.map(|_| chrono::Utc::now().timestamp_millis()),
            set => Some(set),
        }
    }

    /// Sets (or, with `None`, clears) the archive's clock.
    pub fn set_clock(&self, at_ms: Option<i64>) {
        self.clock_ms.store(at_ms.unwrap_or(NO_CLOCK), std::sync::atomic::Ordering::SeqCst);
    }

    /// What the archive shows now: the items archived by its clock, less those archived more
    /// than `[vendor] retention_days` before it (no clock, no retention).
    pub fn visible(&self) -> crate::world::archive::Visible {
        let until_ms = self.arrived_until_ms();
        let horizon_ms = until_ms.zip(self.world.scenario.vendor.retention_ms()).map(|(u, r)| u.saturating_sub(r));
        crate::world::archive::Visible { until_ms, horizon_ms }
    }

    /// The tenant's clock, epoch milliseconds: when a message is created (its
    /// `createdDateTime`). The scenario's start, so that every run shows the same dates; the
    /// wall clock in live mode, where Graph would send now.
    pub fn tenant_now_ms(&self) -> i64 {
        match self.options.live {
            Some(_) => chrono::Utc::now().timestamp_millis(),
            None => self.world.scenario.start.timestamp_millis(),
        }
    }

    /// Whether an item is there yet (always, without a clock); expired ones too.
    pub fn has_arrived(&self, item: &ArchivedItem) -> bool {
        self.visible().arrived(item)
    }

    /// The items that have reached the archive by its clock (all of them, without one), in
    /// listing order: what the web UI and `/sim/scenario` show and count. An item captured but
    /// not yet archived (a phone offline) is not among them; an expired one is (the page says
    /// so: it was there).
    pub fn arrived_items(&self) -> impl Iterator<Item = &ArchivedItem> {
        let items = self.world.archive.items();
        let now = self.arrived_until_ms();
        // Captured by the clock is a prefix (listing order); archived by it, a subset of that.
        let captured = now.map_or(items.len(), |now| items.partition_point(|i| i.spec.captured_ms <= now));
        items[..captured].iter().filter(move |i| now.is_none_or(|now| i.spec.archived_ms <= now))
    }

    /// Puts the tenant back as the scenario defines it and clears the journal (and the data
    /// directory's copy of both): the memory they held is freed.
    pub fn reset(&self) -> Result<(), DataDirError> {
        self.tenant.reset()?;
        self.journal.lock().expect("journal lock").clear();
        self.faults.reset();
        self.requests.clear();
        Ok(())
    }

    /// The bytes of a stored message: rendered from its archive item, or as kept; `None` when
    /// they were not kept.
    pub fn message_bytes(&self, message: &Message) -> Result<Option<MessageBytes>, DataDirError> {
        self.tenant.message_bytes(&self.world.archive, message)
    }
}
