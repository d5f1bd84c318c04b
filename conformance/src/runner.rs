//! The runner: one simulator per scenario (in-process, loopback, port 0), the connector under test
//! through each scheduled run, and a record of what happened: exit, report, journal, tenant.
//!
//! The connector under test is a [`Connector`]: the reference connector in-process (a run that the
//! scenario kills is aborted once the tenant journal shows enough imports of the run), or any
//! program run through `sh -c` with the contract's environment variables (killed with SIGKILL, its
//! whole process group, at the same point).

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tm_simulator::{JournalEntry, LoggedRequest, MailboxView, Observation, Options, Running, Scenario, Simulator};

use crate::digest::Digest;

/// The connector under test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connector {
    /// The reference connector (`tm_connector::run`), in-process.
    Reference,
    /// Any program, run as `sh -c COMMAND` with the contract's environment variables.
    Command(String),
}

impl Connector {
    /// How reports name it.
    pub fn describe(&self) -> String {
        match self {
            Connector::Reference => "reference connector (tm-connector, in-process)".into(),
            Connector::Command(c) => format!("command `{c}`"),
        }
    }
}

/// Settings of the runner.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Longest a single connector run may take.
    pub run_timeout: Duration,
    /// Serve the simulator over HTTPS (its CA in `SSL_CERT_FILE` & co. for the connector).
    pub tls: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { run_timeout: Duration::from_secs(600), tls: false }
    }
}

/// How a connector run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// Exit 0.
    Completed,
    /// Killed by the suite at the scenario's kill point.
    Killed,
    /// Exit 2: configuration error.
    ConfigError(String),
    /// Any other ending: non-zero exit, signal, error.
    Failed(String),
    /// Did not finish in time (and was killed).
    TimedOut,
}

impl RunOutcome {
    /// Words for people.
    pub fn describe(&self) -> String {
        match self {
            RunOutcome::Completed => "completed".into(),
            RunOutcome::Killed => "killed as scheduled".into(),
            RunOutcome::ConfigError(m) => format!("configuration error (exit 2): {m}"),
            RunOutcome::Failed(m) => format!("failed: {m}"),
            RunOutcome::TimedOut => "timed out".into(),
        }
    }
}

/// The run report's window.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReportWindow {
    /// Start, RFC 3339.
    pub from: String,
    /// End, RFC 3339.
    pub to: String,
}

/// The run report's counts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReportCounts {
    /// Items listed in the window.
    pub items: u64,
    /// Deliveries imported.
    pub imported: u64,
    /// Deliveries skipped as already imported.
    pub skipped_duplicate: u64,
    /// Failures.
    pub failed: u64,
}

/// One failure of the run report.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReportFailure {
    /// The item.
    pub item_id: String,
    /// The mailbox, or null.
    pub mailbox: Option<String>,
    /// The reason.
    pub reason: String,
}

/// The run report (the contract's), as read back from `REPORT_PATH`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RunReport {
    /// The run's RUN_AT.
    pub run_at: String,
    /// The window.
    pub window: ReportWindow,
    /// The counts.
    pub counts: ReportCounts,
    /// The failures.
    pub failures: Vec<ReportFailure>,
}

/// What was found at `REPORT_PATH` after a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportFile {
    /// Nothing.
    Missing,
    /// A file that is no contract report.
    Invalid(String),
    /// A report.
    Parsed(RunReport),
}

/// One scheduled run and what happened.
#[derive(Debug, Clone)]
pub struct RunRecord {
    /// Position in the scenario (0-based).
    pub index: usize,
    /// RUN_AT.
    pub at: DateTime<Utc>,
    /// AUTO_MAPPING.
    pub auto_mapping: bool,
    /// The scheduled kill point.
    pub kill_after_imports: Option<u64>,
    /// How it ended.
    pub outcome: RunOutcome,
    /// The report it wrote.
    pub report: ReportFile,
    /// The bytes it wrote at `REPORT_PATH`, as written (`None`: no file).
    pub report_bytes: Option<Vec<u8>>,
    /// Its entries in the simulator journal.
    pub journal: Range<usize>,
    /// Its requests in the simulator's access log.
    pub requests: Range<usize>,
    /// (mailbox, item id) the tenant held before the run.
    pub held_before: BTreeSet<(String, String)>,
    /// Last lines of its stderr (command connectors) or its error.
    pub log_tail: String,
}

/// A scenario after all its runs.
pub struct Execution {
    /// The scenario's name.
    pub scenario: String,
    /// What was seen of the simulator after the last run (world, directory, tenant, logs).
    pub seen: Observation,
    /// The tenant before any run.
    pub initial: Vec<MailboxView>,
    /// The tenant after the runs.
    pub last: Vec<MailboxView>,
    /// The journal after the runs.
    pub journal: Vec<JournalEntry>,
    /// The access log after the runs: every vendor and tenant request, timed.
    pub requests: Vec<LoggedRequest>,
    /// The runs.
    pub runs: Vec<RunRecord>,
}

impl Execution {
    /// The digest of what happened: the tenant, and the failures every completed run reported
    /// (`None` when no run wrote a report).
    pub fn digest(&self) -> Digest {
        let tenant = Digest::of_tenant(&self.initial, &self.last);
        let mut failures: Option<std::collections::BTreeMap<String, BTreeSet<String>>> = None;
        for run in &self.runs {
            if let ReportFile::Parsed(r) = &run.report {
                let f = failures.get_or_insert_with(Default::default);
                for x in &r.failures {
                    f.entry(x.reason.clone()).or_default().insert(x.item_id.clone());
                }
            }
        }
        Digest { tenant, failures }
    }

    /// Whether the scenario has a fault plan or throttling (runs may then fail and be resumed).
    pub fn has_faults(&self) -> bool {
        !self.seen.world().scenario.faults.is_empty() || self.seen.world().scenario.throttle.is_some()
    }

    /// Whether a run ended the way the scenario allows: killed where scheduled, else completed;
    /// under a fault plan, a run that is not the last may also fail (the next run resumes).
    pub fn as_scheduled(&self, run: &RunRecord) -> bool {
        match run.kill_after_imports {
            Some(_) => run.outcome == RunOutcome::Killed,
            None => {
                run.outcome == RunOutcome::Completed
                    || (self.has_faults() && matches!(run.outcome, RunOutcome::Failed(_)) && run.index + 1 < self.runs.len())
            }
        }
    }

    /// Whether any run wrote a report.
    pub fn has_reports(&self) -> bool {
        self.runs.iter().any(|r| matches!(r.report, ReportFile::Parsed(_) | ReportFile::Invalid(_)))
    }
}

/// A scenario that could not be run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The simulator did not start.
    #[error("simulator: {0}")]
    Start(#[from] tm_simulator::StartError),
    /// The work directory.
    #[error("work directory: {0}")]
    Io(#[from] std::io::Error),
}

/// Runs a scenario's scheduled runs against a connector.
pub async fn run_scenario(scenario: Scenario, connector: &Connector, options: &RunOptions) -> Result<Execution, RunError> {
    let name = scenario.name.clone();
    let runs = scenario.runs.clone();
    // `[vendor] clock = "run_at"`: the archive's clock is each run's RUN_AT (docs/scenarios.md).
    let clock = scenario.vendor.clock;
    let loopback: SocketAddr = "127.0.0.1:0".parse().expect("a socket address");
    let work = tempfile::Builder::new().prefix("tm-conformance-").tempdir()?;
    // The judge reads every journal entry and request of the runs: none may be dropped.
    let tls_ca_file = options.tls.then(|| work.path().join("ca.pem"));
    let sim = Simulator::start_with(scenario, loopback, Options { log_capacity: usize::MAX, tls_ca_file, ..Options::default() }).await?;
    let state_dir = work.path().join("state");
    std::fs::create_dir_all(&state_dir)?;
    let initial = sim.observe().mailboxes;
    let mut records = Vec::new();
    for (index, run) in runs.iter().enumerate() {
        let held_before: BTreeSet<(String, String)> =
            Digest { tenant: Digest::of_tenant(&initial, &sim.observe().mailboxes), failures: None }.deliveries().into_keys().collect();
        let report_path = work.path().join(format!("report-{}.json", index + 1));
        let start = sim.journal_total() as usize;
        let requests_start = sim.requests_total() as usize;
        if clock == tm_simulator::VendorClock::RunAt {
            sim.set_clock(Some(run.at));
        }
        let spec = RunSpec {
            sim: &sim,
            run_at: run.at,
            auto_mapping: run.auto_mapping,
            mapping: run.mapping.as_deref().map(absolute),
            state_dir: &state_dir,
            report_path: &report_path,
            log_prefix: work.path().join(format!("run-{}", index + 1)),
            kill_after: run.kill_after_imports,
            journal_start: start,
            timeout: options.run_timeout,
        };
        let (outcome, log_tail) = match connector {
            Connector::Reference => run_reference(&spec).await,
            Connector::Command(command) => run_command(command, &spec).await,
        };
        if matches!(outcome, RunOutcome::Killed | RunOutcome::TimedOut) {
            // A killed process may leave requests the tenant has received whole but not yet
            // stored; a real scheduler starts the next run much later, so let them land first.
            quiesce(&sim).await;
        }
        let end = sim.journal_total() as usize;
        let requests_end = sim.requests_total() as usize;
        let report_bytes = std::fs::read(&report_path).ok();
        let report = parse_report(index + 1, report_bytes.as_deref());
        records.push(RunRecord {
            index,
            at: run.at,
            auto_mapping: run.auto_mapping,
            kill_after_imports: run.kill_after_imports,
            outcome,
            report,
            report_bytes,
            journal: start..end,
            requests: requests_start..requests_end,
            held_before,
            log_tail,
        });
    }
    let seen = sim.observe();
    sim.shutdown().await;
    let (last, journal, requests) = (seen.mailboxes.clone(), seen.journal.clone(), seen.requests.clone());
    Ok(Execution { scenario: name, seen, initial, last, journal, requests, runs: records })
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Waits until the journal has not grown for 300 ms (at most 10 s).
async fn quiesce(sim: &Running) {
    let started = Instant::now();
    let mut last = sim.journal_total();
    let mut stable_since = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = sim.journal_total();
        if now != last {
            last = now;
            stable_since = Instant::now();
        } else if stable_since.elapsed() >= Duration::from_millis(300) {
            return;
        }
    }
}

/// A tenant import that stored its message: answered 201, or answered 5xx after it landed (the
/// fault `store_then_status`; its journal entry names the folder the message landed in).
pub fn stored(e: &JournalEntry) -> bool {
    e.api == tm_contract::Api::Tenant && e.op == tm_contract::Op::Import && (e.status == 201 || e.folder.is_some())
}

/// What the bytes a run wrote at `REPORT_PATH` are (`None`: it wrote none); an invalid report is
/// named by its file name (`report-N.json`, N the run's number), so that verdicts name no
/// temporary folder.
pub fn parse_report(run_number: usize, bytes: Option<&[u8]>) -> ReportFile {
    match bytes {
        None => ReportFile::Missing,
        Some(bytes) => match serde_json::from_slice::<RunReport>(bytes) {
            Ok(r) => ReportFile::Parsed(r),
            Err(e) => ReportFile::Invalid(format!("report-{run_number}.json: {e}")),
        },
    }
}

struct RunSpec<'a> {
    sim: &'a Running,
    run_at: DateTime<Utc>,
    auto_mapping: bool,
    mapping: Option<PathBuf>,
    state_dir: &'a Path,
    report_path: &'a Path,
    log_prefix: PathBuf,
    kill_after: Option<u64>,
    journal_start: usize,
    timeout: Duration,
}

impl RunSpec<'_> {
    fn kill_point_reached(&self) -> bool {
        self.kill_after.is_some_and(|n| self.sim.imports_after(self.journal_start as u64) >= n)
    }

    /// Resolves when the run must be stopped: its kill point is reached, or it ran too long.
    async fn stop_point(&self) -> RunOutcome {
        let started = Instant::now();
        loop {
            if self.kill_point_reached() {
                return RunOutcome::Killed;
            }
            if started.elapsed() > self.timeout {
                return RunOutcome::TimedOut;
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

const POLL: Duration = Duration::from_millis(2);

async fn run_reference(spec: &RunSpec<'_>) -> (RunOutcome, String) {
    let credentials = spec.sim.credentials();
    let mut config = tm_connector::Config::new(
        spec.sim.vendor_url(),
        credentials.vendor_username.clone(),
        credentials.vendor_password.clone(),
        spec.sim.graph_url(),
        credentials.tenant_token.clone(),
        spec.state_dir,
    );
    config.mapping_csv = spec.mapping.clone();
    config.auto_mapping = spec.auto_mapping;
    config.run_at = spec.run_at;
    config.report_path = Some(spec.report_path.to_path_buf());
    config.ca_file = spec.sim.ca_file();
    // As in production: tokens from the identity platform with the app's client credentials.
    config.client_credentials = Some(tm_connector::ClientCredentialsConfig {
        tenant_id: credentials.tenant_id.clone(),
        client_id: credentials.client_id.clone(),
        client_secret: credentials.client_secret.clone(),
        authority: spec.sim.base_url(),
    });
    config.progress = false;
    // Polled in this task rather than spawned: the connector's future is not `Send`. Dropping it
    // (at the kill point) cancels the run the way a crash would, mid-flight.
    let run = tm_connector::run(config);
    tokio::pin!(run);
    let watch = spec.stop_point();
    tokio::select! {
        biased;
        result = &mut run => match result {
            Ok(_) => (RunOutcome::Completed, String::new()),
            Err(e) if e.is_config_error() => (RunOutcome::ConfigError(e.to_string()), e.to_string()),
            Err(e) => (RunOutcome::Failed(e.to_string()), e.to_string()),
        },
        outcome = watch => (outcome, String::new()),
    }
}

/// The contract's environment variables for one run.
pub fn contract_env(
    sim: &Running,
    run_at: DateTime<Utc>,
    auto_mapping: bool,
    mapping: Option<&Path>,
    state_dir: &Path,
    report_path: &Path,
) -> Vec<(&'static str, String)> {
    let c = sim.credentials();
    let mut env = vec![
        ("TM_URL", sim.vendor_url()),
        ("TM_USERNAME", c.vendor_username.clone()),
        ("TM_PASSWORD", c.vendor_password.clone()),
        ("GRAPH_URL", sim.graph_url()),
        ("GRAPH_TOKEN", c.tenant_token.clone()),
        ("AUTO_MAPPING", auto_mapping.to_string()),
        ("RUN_AT", tm_contract::format_report_time(run_at)),
        ("STATE_DIR", state_dir.display().to_string()),
        ("REPORT_PATH", report_path.display().to_string()),
    ];
    if let Some(m) = mapping {
        env.push(("MAPPING_CSV", m.display().to_string()));
    }
    // Contract v2: the app's client credentials and the authority, beside the static token.
    env.push(("GRAPH_TENANT_ID", c.tenant_id.clone()));
    env.push(("GRAPH_CLIENT_ID", c.client_id.clone()));
    env.push(("GRAPH_CLIENT_SECRET", c.client_secret.clone()));
    env.push(("GRAPH_AUTHORITY", sim.base_url()));
    if let Some(ca) = sim.ca_file() {
        for name in ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"] {
            env.push((name, ca.display().to_string()));
        }
    }
    env
}

/// Every variable of the contract (removed from the inherited environment first).
pub const CONTRACT_VARS: [&str; 17] = [
    "TM_URL",
    "TM_USERNAME",
    "TM_PASSWORD",
    "GRAPH_URL",
    "GRAPH_TOKEN",
    "GRAPH_TENANT_ID",
    "GRAPH_CLIENT_ID",
    "GRAPH_CLIENT_SECRET",
    "GRAPH_AUTHORITY",
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "MAPPING_CSV",
    "AUTO_MAPPING",
    "RUN_AT",
    "STATE_DIR",
    "REPORT_PATH",
];

async fn run_command(command: &str, spec: &RunSpec<'_>) -> (RunOutcome, String) {
    let stdout_path = spec.log_prefix.with_extension("stdout");
    let stderr_path = spec.log_prefix.with_extension("stderr");
    let files = std::fs::File::create(&stdout_path).and_then(|o| Ok((o, std::fs::File::create(&stderr_path)?)));
    let (stdout, stderr) = match files {
        Ok(f) => f,
        Err(e) => return (RunOutcome::Failed(format!("cannot create log files: {e}")), String::new()),
    };
    // In its own process group, so that a kill ends the shell and whatever it started.
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c").arg(command).stdin(Stdio::null()).stdout(stdout).stderr(stderr).process_group(0).kill_on_drop(true);
    for var in CONTRACT_VARS {
        cmd.env_remove(var);
    }
    for (k, v) in contract_env(spec.sim, spec.run_at, spec.auto_mapping, spec.mapping.as_deref(), spec.state_dir, spec.report_path) {
        cmd.env(k, v);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return (RunOutcome::Failed(format!("cannot start `sh -c {command}`: {e}")), String::new()),
    };
    let watch = spec.stop_point();
    let outcome = tokio::select! {
        biased;
        status = child.wait() => match status {
            Ok(status) => match status.code() {
                Some(0) => RunOutcome::Completed,
                Some(2) => RunOutcome::ConfigError(tail(&stderr_path, 1)),
                Some(code) => RunOutcome::Failed(format!("exit {code}")),
                None => RunOutcome::Failed(format!("ended by a signal ({status})")),
            },
            Err(e) => RunOutcome::Failed(format!("cannot wait for the connector: {e}")),
        },
        stop = watch => {
            kill_group(&mut child).await;
            stop
        }
    };
    (outcome, tail(&stderr_path, 20))
}

/// SIGKILL to the child's whole process group (the shell and what it started), then reaped.
async fn kill_group(child: &mut tokio::process::Child) {
    if let Some(pid) = child.id() {
        // SAFETY: killpg only sends a signal; the group id is the child's pid (process_group(0)).
        unsafe {
            libc::killpg(pid as libc::pid_t, libc::SIGKILL);
        }
    }
    let _ = child.kill().await;
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
