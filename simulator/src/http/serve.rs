//! The simulator as a value: state shared by the three APIs, the router, and a running server
//! that tests start on port 0.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::http::{control as control_api, vendor as vendor_api};
use crate::observe::Observation;
use crate::state::{BuildError, Options, Public, Shared, State};
use crate::world::scenario::{Credentials, Scenario};

/// The whole HTTP surface: `/tm/v1`, `/graph/v1.0`, `/graph/beta`, `/sim`, and the web UI at `/`.
pub fn app(state: Shared) -> Router {
    Router::new()
        .nest("/tm/v1", vendor_api::router())
        .nest("/graph/v1.0", crate::http::graph::router(state.clone()))
        .nest("/graph/beta", crate::http::graph::beta_router(state.clone()))
        .nest("/sim", control_api::router())
        .route("/openapi.json", axum::routing::get(crate::http::openapi::serve))
        .merge(crate::http::web_ui::router())
        .merge(crate::http::identity::router())
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::http::record::record))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(state)
}

/// Starts simulators.
pub struct Simulator;

impl Simulator {
    /// Generates the scenario and serves it on `addr` (use port 0 for any free port).
    pub async fn start(scenario: Scenario, addr: SocketAddr) -> Result<Running, StartError> {
        Self::start_with(scenario, addr, Options::default()).await
    }

    /// As [`Simulator::start`], with options.
    pub async fn start_with(scenario: Scenario, addr: SocketAddr, options: Options) -> Result<Running, StartError> {
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
        Ok(Running { addr: local, credentials, state, shutdown: Some(tx), handle: Some(handle) })
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

    /// What can be seen of it now.
    pub fn observe(&self) -> Observation {
        Observation::of(self.state.clone())
    }

    /// Sets the vendor archive's clock (see [`Running::set_clock`]).
    pub fn set_clock(&self, at: Option<chrono::DateTime<chrono::Utc>>) {
        self.state.set_clock(at.map(|t| t.timestamp_millis()));
    }

    /// The summary `serve` prints: items, mailboxes, the data directory, the traffic's span.
    pub fn summary(&self) -> crate::http::control::ScenarioSummary {
        crate::http::control::summary(&self.state)
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
pub struct Running {
    addr: SocketAddr,
    credentials: Credentials,
    state: Shared,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

impl Running {
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
    /// What can be seen of it now: the world, the mailboxes, the journal and the access log.
    pub fn observe(&self) -> Observation {
        Observation::of(self.state.clone())
    }
    /// Journal entries so far (dropped ones included).
    pub fn journal_total(&self) -> u64 {
        self.state.journal.lock().expect("journal lock").total()
    }
    /// Successful imports journalled after entry `seq` (the suite's kill points count them).
    pub fn imports_after(&self, seq: u64) -> u64 {
        self.state
            .journal
            .lock()
            .expect("journal lock")
            .after(seq)
            .filter(|e| e.api == tm_contract::Api::Tenant && e.op == tm_contract::Op::Import && e.status == 201)
            .count() as u64
    }
    /// Requests logged so far (dropped ones included).
    pub fn requests_total(&self) -> u64 {
        self.state.requests.total()
    }
    /// Sets the vendor archive's clock (`None`: clears it), as `PUT /sim/clock` does: items
    /// archived later are not there yet, and `[vendor] retention_days` counts back from it.
    pub fn set_clock(&self, at: Option<chrono::DateTime<chrono::Utc>>) {
        self.state.set_clock(at.map(|t| t.timestamp_millis()));
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

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
