//! The simulator as a value: state shared by the three APIs, the router, and a running server
//! that tests start on port 0.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::archive::Archive;
use crate::auth::Sessions;
use crate::faults::FaultPlan;
use crate::journal::Journal;
use crate::scenario::{Credentials, Scenario, ScenarioError};
use crate::tenant::directory::Directory;
use crate::tenant::mailboxes::Mailboxes;
use crate::{control_api, generate, people, tenant, vendor_api};

/// Options that are not part of a scenario.
#[derive(Debug, Clone)]
pub struct Options {
    /// Keep the raw bytes of imported messages (default); off for benchmarks that import gigabytes.
    pub keep_message_bodies: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { keep_message_bodies: true }
    }
}

/// The tenant's mutable side.
#[derive(Debug)]
pub struct TenantState {
    /// Mailbox contents.
    pub mailboxes: Mailboxes,
}

/// Everything the handlers share.
#[derive(Debug)]
pub struct State {
    /// The scenario.
    pub scenario: Scenario,
    /// The vendor archive.
    pub archive: Archive,
    /// Vendor sessions.
    pub sessions: Mutex<Sessions>,
    /// The directory (immutable).
    pub directory: Directory,
    /// Mailboxes.
    pub tenant: Mutex<TenantState>,
    /// The journal.
    pub journal: Mutex<Journal>,
    /// The scenario's faults.
    pub faults: FaultPlan,
    /// Every vendor and tenant request, timed.
    pub requests: crate::access_log::AccessLog,
    /// Tenant requests in flight per user id (for throttling).
    pub in_flight: Mutex<std::collections::HashMap<String, usize>>,
    /// Options.
    pub options: Options,
}

/// Shared state handle.
pub type Shared = Arc<State>;

impl State {
    /// Generates the archive and the tenant of a scenario.
    pub fn build(scenario: Scenario, options: Options) -> Result<State, ScenarioError> {
        let t = std::time::Instant::now();
        let population = people::Population::build(&scenario);
        let people_s = t.elapsed().as_secs_f64();
        let specs = generate::items(&scenario, &population)?;
        let traffic_s = t.elapsed().as_secs_f64() - people_s;
        let directory = Directory::new(&population.users);
        let mailboxes = Mailboxes::new(&directory);
        let archive = Archive::new(population, specs);
        tracing::info!(people_s, traffic_s, total_s = t.elapsed().as_secs_f64(), items = archive.items().len(), "generated");
        Ok(State {
            faults: FaultPlan::new(scenario.faults.clone(), scenario.seed),
            in_flight: Mutex::new(std::collections::HashMap::new()),
            requests: crate::access_log::AccessLog::default(),
            sessions: Mutex::new(Sessions::new(scenario.seed)),
            scenario,
            archive,
            directory,
            tenant: Mutex::new(TenantState { mailboxes }),
            journal: Mutex::new(Journal::default()),
            options,
        })
    }

    /// Puts the tenant back as the scenario defines it and clears the journal.
    pub fn reset(&self) {
        self.tenant.lock().expect("tenant lock").mailboxes = Mailboxes::new(&self.directory);
        self.journal.lock().expect("journal lock").clear();
        self.faults.reset();
        self.requests.clear();
    }
}

/// The whole HTTP surface: `/tm/v1`, `/graph/v1.0`, `/sim`.
pub fn app(state: Shared) -> Router {
    Router::new()
        .nest("/tm/v1", vendor_api::router())
        .nest("/graph/v1.0", tenant::graph_api::router(state.clone()))
        .nest("/sim", control_api::router())
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::access_log::record))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(state)
}

/// Starts simulators.
pub struct Simulator;

impl Simulator {
    /// Generates the scenario and serves it on `addr` (use port 0 for any free port).
    pub async fn start(scenario: Scenario, addr: SocketAddr) -> Result<RunningSimulator, StartError> {
        Self::start_with(scenario, addr, Options::default()).await
    }

    /// As [`Simulator::start`], with options.
    pub async fn start_with(scenario: Scenario, addr: SocketAddr, options: Options) -> Result<RunningSimulator, StartError> {
        let credentials = scenario.credentials.clone();
        let state =
            Arc::new(tokio::task::spawn_blocking(move || State::build(scenario, options)).await.expect("generation does not panic")?);
        let listener = TcpListener::bind(addr).await.map_err(|e| StartError::Bind(addr, e))?;
        let local = listener.local_addr().map_err(|e| StartError::Bind(addr, e))?;
        let (tx, rx) = oneshot::channel::<()>();
        let router = app(state.clone());
        let handle = tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        tracing::info!(%local, "simulator listening");
        Ok(RunningSimulator { addr: local, credentials, state, shutdown: Some(tx), handle: Some(handle) })
    }
}

/// Why a simulator did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The scenario is not valid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The address could not be bound.
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, #[source] std::io::Error),
}

/// A simulator serving on a socket.
pub struct RunningSimulator {
    addr: SocketAddr,
    credentials: Credentials,
    state: Shared,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

impl RunningSimulator {
    /// The socket address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// The vendor API base (`TM_URL`).
    pub fn vendor_url(&self) -> String {
        format!("{}/tm/v1", self.base_url())
    }
    /// The tenant API base (`GRAPH_URL`).
    pub fn graph_url(&self) -> String {
        format!("{}/graph/v1.0", self.base_url())
    }
    /// The control plane base.
    pub fn sim_url(&self) -> String {
        format!("{}/sim", self.base_url())
    }
    /// Credentials of both services.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }
    /// The shared state (for in-process inspection).
    pub fn state(&self) -> &Shared {
        &self.state
    }
    /// Stops serving and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = h.await;
        }
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
