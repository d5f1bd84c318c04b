//! The simulator as a value: state shared by the three APIs, the router, and a running server
//! that tests start on port 0.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use bytes::Bytes;

use crate::http::sessions::Sessions;
use crate::http::{control as control_api, vendor as vendor_api};
use crate::observe::journal::Journal;
use crate::tenant::data_dir::{DataDir, DataDirError};
use crate::tenant::directory::Directory;
use crate::tenant::mailboxes::Mailboxes;
use crate::tenant::mailboxes::{Blobs, Content, Message};
use crate::world::archive::Archive;
use crate::world::faults::FaultPlan;
use crate::world::render::Rendered;
use crate::world::scenario::{Credentials, Scenario, ScenarioError};
use crate::world::{generate, people};

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

/// The tenant's mutable side.
#[derive(Debug)]
pub struct TenantState {
    /// Mailbox contents (metadata).
    pub mailboxes: Mailboxes,
    /// Bytes of imported messages that are no archive item, once per content (without a data
    /// directory; with one they are in its database).
    pub blobs: Blobs,
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
    pub requests: crate::observe::access_log::AccessLog,
    /// Tenant requests in flight per user id (for throttling).
    pub in_flight: Mutex<std::collections::HashMap<String, usize>>,
    /// Tenant requests answered so far (the `request-id` of each is derived from it).
    pub tenant_requests: std::sync::atomic::AtomicU64,
    /// Where the tenant is kept, with `--data-dir`.
    pub data_dir: Option<Arc<DataDir>>,
    /// Mailboxes' use of Graph's rate limits.
    pub rates: crate::tenant::rate::Rates,
    /// How the simulator is reached, once it listens.
    pub public: std::sync::OnceLock<Public>,
    /// Options.
    pub options: Options,
}

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

/// Why a simulator state could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The scenario is not valid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The data directory cannot be used.
    #[error(transparent)]
    DataDir(#[from] DataDirError),
}

/// What a stored message's bytes are, ready to be sent.
pub enum MessageBytes {
    /// Rendered again from the archive item (streamable).
    Rendered(Rendered),
    /// Kept bytes.
    Kept(Bytes),
}

impl MessageBytes {
    /// All the bytes at once.
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            MessageBytes::Rendered(r) => r.to_vec(),
            MessageBytes::Kept(b) => b.to_vec(),
        }
    }
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
        let t = std::time::Instant::now();
        let population = people::Population::build(&scenario);
        let people_s = t.elapsed().as_secs_f64();
        let specs = generate::items(&scenario, &population)?;
        let traffic_s = t.elapsed().as_secs_f64() - people_s;
        let directory = Directory::new(&population.users);
        let mut mailboxes = Mailboxes::new(&directory);
        let archive = Archive::new(population, specs);
        tracing::info!(people_s, traffic_s, total_s = t.elapsed().as_secs_f64(), items = archive.items().len(), "generated");
        let mut journal = Journal::new(options.log_capacity, data_dir.clone());
        if let Some(d) = &data_dir {
            let restored = d.restore(&mut mailboxes, &archive)?;
            tracing::info!(messages = restored.messages, journal = restored.journal_total, dir = %d.path().display(), "tenant restored");
            journal.restore(restored.journal, restored.journal_total);
        }
        Ok(State {
            faults: FaultPlan::new(scenario.faults.clone(), scenario.seed),
            in_flight: Mutex::new(std::collections::HashMap::new()),
            tenant_requests: std::sync::atomic::AtomicU64::new(0),
            requests: crate::observe::access_log::AccessLog::new(options.log_capacity),
            sessions: Mutex::new(Sessions::new(scenario.seed)),
            scenario,
            archive,
            directory,
            tenant: Mutex::new(TenantState { mailboxes, blobs: Blobs::default() }),
            journal: Mutex::new(journal),
            data_dir,
            rates: Default::default(),
            public: std::sync::OnceLock::new(),
            options,
        })
    }

    /// In live mode, the current time in epoch milliseconds: items captured later are not there
    /// yet. `None`: every item is there.
    pub fn arrived_until_ms(&self) -> Option<i64> {
        self.options.live.map(|_| chrono::Utc::now().timestamp_millis())
    }

    /// Whether an item is there yet (always, outside live mode).
    pub fn has_arrived(&self, item: &crate::world::archive::ArchivedItem) -> bool {
        self.arrived_until_ms().is_none_or(|now| item.spec.captured_ms <= now)
    }

    /// The items that are there (all of them, outside live mode), in listing order.
    pub fn arrived_items(&self) -> &[crate::world::archive::ArchivedItem] {
        let items = self.archive.items();
        match self.arrived_until_ms() {
            Some(now) => &items[..items.partition_point(|i| i.spec.captured_ms <= now)],
            None => items,
        }
    }

    /// Puts the tenant back as the scenario defines it and clears the journal (and the data
    /// directory's copy of both): the memory they held is freed.
    pub fn reset(&self) -> Result<(), DataDirError> {
        let mut tenant = self.tenant.lock().expect("tenant lock");
        if let Some(d) = &self.data_dir {
            d.clear()?;
        }
        *tenant = TenantState { mailboxes: Mailboxes::new(&self.directory), blobs: Blobs::default() };
        self.journal.lock().expect("journal lock").clear();
        self.faults.reset();
        self.requests.clear();
        Ok(())
    }

    /// The bytes of a stored message: rendered from its archive item, or as kept; `None` when
    /// they were not kept.
    pub fn message_bytes(&self, message: &Message) -> Result<Option<MessageBytes>, DataDirError> {
        Ok(match message.content {
            Content::Archive(i) => Some(MessageBytes::Rendered(self.archive.render(&self.archive.items()[i as usize]))),
            Content::Blob => {
                let kept = match &self.data_dir {
                    Some(d) => d.blob(&message.sha256)?,
                    None => self.tenant.lock().expect("tenant lock").blobs.get(&message.sha256),
                };
                kept.map(MessageBytes::Kept)
            }
            Content::Dropped => None,
        })
    }
}

/// The whole HTTP surface: `/tm/v1`, `/graph/v1.0`, `/sim`, and the web UI at `/`.
pub fn app(state: Shared) -> Router {
    Router::new()
        .nest("/tm/v1", vendor_api::router())
        .nest("/graph/v1.0", crate::http::graph::router(state.clone()))
        .nest("/sim", control_api::router())
        .route("/openapi.json", axum::routing::get(crate::http::openapi::serve))
        .merge(crate::http::web_ui::router())
        .merge(crate::http::identity::router())
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::observe::access_log::record))
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
        let ca_file = options.tls_ca_file.clone();
        let state =
            Arc::new(tokio::task::spawn_blocking(move || State::build(scenario, options)).await.expect("generation does not panic")?);
        let listener = TcpListener::bind(addr).await.map_err(|e| StartError::Bind(addr, e))?;
        let local = listener.local_addr().map_err(|e| StartError::Bind(addr, e))?;
        let (tls, reached) = public(local, ca_file.as_deref())?;
        let _ = state.public.set(reached);
        let (tx, rx) = oneshot::channel::<()>();
        let router = app(state.clone());
        let handle = tokio::spawn(async move {
            let stop = async {
                let _ = rx.await;
            };
            let _ = match tls {
                Some(acceptor) => {
                    axum::serve(crate::http::tls::TlsListener { inner: listener, acceptor }, router).with_graceful_shutdown(stop).await
                }
                None => axum::serve(listener, router).with_graceful_shutdown(stop).await,
            };
        });
        tracing::info!(%local, "simulator listening");
        Ok(RunningSimulator { addr: local, credentials, state, shutdown: Some(tx), handle: Some(handle) })
    }
}

/// A simulator served by threads of its own (what `tm-simulator serve` runs): one
/// single-threaded runtime per core, each serving the connections handed to it, the way nginx
/// runs a worker per core. An acceptor thread deals new connections out in turn, so that the
/// load is even; a connection then lives on one thread, and no request pays for waking another
/// (a work-stealing runtime spent a third of its time in the kernel doing that).
pub struct ThreadedSimulator {
    addr: SocketAddr,
    state: Shared,
    stop: tokio::sync::watch::Sender<bool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

/// The connections an acceptor hands to one serving thread, as axum's [`Listener`].
struct HandedOver {
    connections: tokio::sync::mpsc::UnboundedReceiver<std::net::TcpStream>,
    local: SocketAddr,
}

impl axum::serve::Listener for HandedOver {
    type Io = tokio::net::TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Some(stream) = self.connections.recv().await else { return std::future::pending().await };
            let Ok(peer) = stream.peer_addr() else { continue };
            match tokio::net::TcpStream::from_std(stream) {
                Ok(s) => return (s, peer),
                Err(e) => tracing::warn!("a connection could not be served: {e}"),
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}

impl ThreadedSimulator {
    /// Generates the scenario (or restores its data directory) and serves it on `addr` with
    /// `threads` serving threads (0: one per core).
    pub fn start(scenario: Scenario, addr: SocketAddr, options: Options, threads: usize) -> Result<ThreadedSimulator, StartError> {
        let state = Arc::new(State::build(scenario, options)?);
        let listener = std::net::TcpListener::bind(addr).map_err(|e| StartError::Bind(addr, e))?;
        listener.set_nonblocking(true).map_err(|e| StartError::Bind(addr, e))?;
        let local = listener.local_addr().map_err(|e| StartError::Bind(addr, e))?;
        let (tls, reached) = public(local, state.options.tls_ca_file.as_deref())?;
        let _ = state.public.set(reached);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let n = if threads == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { threads };
        let spawn = |name: String, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new().name(name).spawn(f).map_err(|e| StartError::Bind(addr, e))
        };
        let runtime = || tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime starts");
        let mut handles = Vec::with_capacity(n + 1);
        let mut senders = Vec::with_capacity(n);
        for i in 0..n {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            senders.push(tx);
            let router = app(state.clone());
            let mut stopped = stopped.clone();
            let tls = tls.clone();
            handles.push(spawn(
                format!("tm-sim-{i}"),
                Box::new(move || {
                    runtime().block_on(async move {
                        let stop = async move {
                            let _ = stopped.wait_for(|s| *s).await;
                        };
                        let inner = HandedOver { connections: rx, local };
                        let _ = match tls {
                            Some(acceptor) => {
                                axum::serve(crate::http::tls::TlsListener { inner, acceptor }, router).with_graceful_shutdown(stop).await
                            }
                            None => axum::serve(inner, router).with_graceful_shutdown(stop).await,
                        };
                    })
                }),
            )?);
        }
        let mut stopped = stopped.clone();
        handles.push(spawn(
            "tm-sim-accept".into(),
            Box::new(move || {
                runtime().block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("a listening socket registers");
                    let mut next = 0;
                    loop {
                        tokio::select! {
                            _ = stopped.wait_for(|s| *s) => return,
                            accepted = listener.accept() => match accepted {
                                Ok((stream, _)) => {
                                    let _ = stream.set_nodelay(true);
                                    let Ok(stream) = stream.into_std() else { continue };
                                    let _ = senders[next % senders.len()].send(stream);
                                    next += 1;
                                }
                                // Out of file descriptors and the like: wait, as axum's own loop does.
                                Err(e) => {
                                    tracing::warn!("accept failed: {e}");
                                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                                }
                            },
                        }
                    }
                })
            }),
        )?);
        tracing::info!(%local, threads = n, "simulator listening");
        Ok(ThreadedSimulator { addr: local, state, stop, threads: handles })
    }

    /// The socket address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state.
    pub fn state(&self) -> &Shared {
        &self.state
    }

    /// Stops serving (open requests finish) and waits for the threads.
    pub fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.threads {
            let _ = t.join();
        }
    }
}

/// Why a simulator did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The scenario is not valid, or the data directory cannot be used.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The address could not be bound.
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, #[source] std::io::Error),
    /// TLS could not be set up.
    #[error(transparent)]
    Tls(#[from] crate::http::tls::TlsError),
}

/// The TLS acceptor of a simulator listening on `local` (when asked for), and how clients reach it.
fn public(local: SocketAddr, options_ca: Option<&std::path::Path>) -> Result<(Option<tokio_rustls::TlsAcceptor>, Public), StartError> {
    match options_ca {
        Some(ca) => {
            let acceptor = crate::http::tls::acceptor(local, ca)?;
            Ok((Some(acceptor), Public { base: format!("https://{local}"), ca_file: Some(ca.to_path_buf()) }))
        }
        None => Ok((None, Public { base: format!("http://{local}"), ca_file: None })),
    }
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
    /// `http://127.0.0.1:PORT` (`https://` with TLS).
    pub fn base_url(&self) -> String {
        self.state.public.get().map_or_else(|| format!("http://{}", self.addr), |p| p.base.clone())
    }
    /// With TLS: the CA's PEM file.
    pub fn ca_file(&self) -> Option<PathBuf> {
        self.state.public.get().and_then(|p| p.ca_file.clone())
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
