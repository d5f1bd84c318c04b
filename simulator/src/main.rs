//! `tm-simulator`: serve a scenario, write its items to disk, or validate a scenario file.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tm_simulator::{BuildError, Options, Scenario, StartError, ThreadedSimulator, World};

#[derive(Parser)]
#[command(name = "tm-simulator", version, about = "A simulated WeChat/WeCom archive and Microsoft 365-style tenant")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the vendor API, the tenant API and the control plane.
    Serve {
        /// Scenario file (default: the embedded demo scenario).
        #[arg(long, env = "TM_SIMULATOR_SCENARIO")]
        scenario: Option<PathBuf>,
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8080", env = "TM_SIMULATOR_LISTEN")]
        listen: SocketAddr,
        /// Do not keep the bytes of imported messages that are no archive item (for benchmarks).
        #[arg(long, env = "TM_SIMULATOR_NO_KEEP_BODIES")]
        no_keep_bodies: bool,
        /// Keep the tenant (folders, messages, journal) in this directory (SQLite), so that a
        /// restart on it finds every mailbox as it was. Without it nothing touches the disk.
        #[arg(long, value_name = "DIR", env = "TM_SIMULATOR_DATA_DIR")]
        data_dir: Option<PathBuf>,
        /// Journal entries and access-log requests kept in memory, each (older ones are dropped
        /// and counted; with --data-dir the journal keeps them on disk).
        #[arg(long, value_name = "N", default_value_t = tm_simulator::DEFAULT_LOG_CAPACITY, env = "TM_SIMULATOR_LOG_CAPACITY")]
        log_capacity: usize,
        /// Serving threads (0: one per core).
        #[arg(long, value_name = "N", default_value_t = 0, env = "TM_SIMULATOR_THREADS")]
        threads: usize,
        /// Serve HTTPS with a certificate made at start, signed by a CA of its own whose PEM is
        /// written to --tls-ca-file (default: a file in the temporary directory) and printed.
        #[arg(long, env = "TM_SIMULATOR_TLS")]
        tls: bool,
        /// Where --tls writes the CA certificate (PEM).
        #[arg(long, value_name = "FILE", requires = "tls", env = "TM_SIMULATOR_TLS_CA_FILE")]
        tls_ca_file: Option<PathBuf>,
        /// Live mode: move the scenario by whole days so that its last day of traffic is today
        /// (UTC) and let items arrive in real time (an item is listed once its capture time has
        /// passed), so that a connector run without --run-at imports the last 24 hours.
        #[arg(long, env = "TM_SIMULATOR_LIVE")]
        live: bool,
    },
    /// Write a mailbox (or one folder) kept in a data directory as an mbox or a Maildir tarball.
    Export {
        /// Scenario file the data directory was written for (default: the embedded demo scenario).
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// The data directory (`serve --data-dir`); it is only read.
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
        /// The mailbox (any of its addresses).
        #[arg(long, value_name = "ADDRESS")]
        mailbox: String,
        /// Only this folder (display name, any case).
        #[arg(long, value_name = "NAME")]
        folder: Option<String>,
        /// `mbox` (mboxrd) or `maildir` (a Maildir++ tarball).
        #[arg(long, default_value = "mbox")]
        format: tm_simulator::ExportFormat,
        /// Output file (`-`: standard output).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Write every item as .eml plus index.json.
    Generate {
        /// Scenario file (default: the embedded demo scenario).
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// Output directory (created).
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a scenario; exit 2 naming file, line and field on error.
    Validate {
        /// Scenario file.
        path: PathBuf,
    },
}

// A server that allocates a little for every request, on a thread per core: mimalloc's
// thread-local heaps cost a third of glibc malloc's time here (measured with the serving bench).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn load(path: Option<&PathBuf>) -> Result<Scenario, tm_simulator::ScenarioError> {
    match path {
        Some(p) => Scenario::from_path(p),
        None => Ok(Scenario::demo()),
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { path } => validate_command(&path),
        Command::Serve { scenario, listen, no_keep_bodies, data_dir, log_capacity, threads, tls, tls_ca_file, live } => {
            // Made once the scenario has loaded (live mode takes the time of that moment).
            let options = move || Options {
                keep_message_bodies: !no_keep_bodies,
                data_dir,
                log_capacity,
                tls_ca_file: tls.then(|| {
                    tls_ca_file.unwrap_or_else(|| std::env::temp_dir().join(format!("tm-simulator-ca-{}.pem", std::process::id())))
                }),
                live: live.then(chrono::Utc::now),
            };
            serve_command(scenario.as_ref(), listen, options, threads)
        }
        Command::Export { scenario, data_dir, mailbox, folder, format, out } => {
            export_command(scenario.as_ref(), &data_dir, &mailbox, folder.as_deref(), format, &out)
        }
        Command::Generate { scenario, out } => generate_command(scenario.as_ref(), &out),
    }
}

/// A usage error (a bad scenario, a data directory that does not fit): said, exit 2.
fn usage_error(message: String) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

/// The end of a subcommand that ran: success, or the error said and exit 1.
fn finish(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `validate`: a summary of the scenario, or its error and exit 2.
fn validate_command(path: &std::path::Path) -> ExitCode {
    match Scenario::from_path(path).and_then(|s| s.check_users().map(|()| s)) {
        Ok(s) => {
            println!(
                "{}: ok (scenario {:?}, {} employees written out, {} scripted items, {} runs)",
                path.display(),
                s.name,
                s.employees.len(),
                s.items.len(),
                s.runs.len()
            );
            finish(Ok(()))
        }
        Err(e) => usage_error(e.to_string()),
    }
}

/// `serve`: until Ctrl-C or SIGTERM.
fn serve_command(scenario: Option<&PathBuf>, listen: SocketAddr, options: impl FnOnce() -> Options, threads: usize) -> ExitCode {
    let s = match load(scenario) {
        Err(e) => return usage_error(e.to_string()),
        Ok(s) => s,
    };
    match serve(s, listen, options(), threads) {
        // A data directory of another scenario is a usage error, like a bad scenario.
        Err(e) if e.downcast_ref::<StartError>().is_some_and(|e| matches!(e, StartError::Build(BuildError::DataDir(_)))) => {
            usage_error(format!("{e:#}"))
        }
        other => finish(other),
    }
}

/// `export`: a mailbox of a data directory, which must exist, to a file or standard output.
fn export_command(
    scenario: Option<&PathBuf>,
    data_dir: &std::path::Path,
    mailbox: &str,
    folder: Option<&str>,
    format: tm_simulator::ExportFormat,
    out: &std::path::Path,
) -> ExitCode {
    let s = match load(scenario) {
        Err(e) => return usage_error(e.to_string()),
        Ok(s) => s,
    };
    // Checked first: opening a data directory creates it.
    if !data_dir.join(tm_simulator::DATABASE_FILE).is_file() {
        return usage_error(format!(
            "--data-dir {}: holds no {} (not a data directory of tm-simulator serve --data-dir)",
            data_dir.display(),
            tm_simulator::DATABASE_FILE
        ));
    }
    match export(s, data_dir, mailbox, folder, format, out) {
        Err(e) if e.downcast_ref::<tm_simulator::ExportError>().is_some_and(|e| !matches!(e, tm_simulator::ExportError::Io(_))) => {
            usage_error(format!("{e:#}"))
        }
        Err(e) if e.downcast_ref::<BuildError>().is_some_and(|e| matches!(e, BuildError::DataDir(_))) => usage_error(format!("{e:#}")),
        other => finish(other),
    }
}

/// `generate`: every item of the scenario to a directory.
fn generate_command(scenario: Option<&PathBuf>, out: &std::path::Path) -> ExitCode {
    match load(scenario) {
        Err(e) => usage_error(e.to_string()),
        Ok(s) => finish(generate(s, out)),
    }
}

fn serve(scenario: Scenario, listen: SocketAddr, options: Options, threads: usize) -> anyhow::Result<()> {
    let credentials = scenario.credentials.clone();
    let data_dir = options.data_dir.clone();
    let sim = ThreadedSimulator::start(scenario, listen, options, threads)?;
    let summary = sim.summary();
    let identity = summary.identity.clone().expect("a listening simulator knows its base URL");
    let base = identity.authority.clone();
    let c = &credentials;
    println!(
        "tm-simulator: scenario {:?}, {} items, {} valid mailboxes",
        summary.name, summary.counts.items, summary.population["valid_mailboxes"]
    );
    println!("  vendor archive  TM_URL={base}/tm/v1");
    println!("                  TM_USERNAME={} TM_PASSWORD={}", c.vendor_username, c.vendor_password);
    println!("  tenant          GRAPH_URL={base}/graph/v1.0");
    println!("                  GRAPH_TOKEN={}", c.tenant_token);
    println!("  identity        GRAPH_AUTHORITY={base} GRAPH_TENANT_ID={}", c.tenant_id);
    println!("                  GRAPH_CLIENT_ID={} GRAPH_CLIENT_SECRET={}", c.client_id, c.client_secret);
    if let Some(ca) = &identity.ca_file {
        println!("  TLS CA          SSL_CERT_FILE={0} REQUESTS_CA_BUNDLE={0} NODE_EXTRA_CA_CERTS={0}", ca);
    }
    println!("  web UI          {base}/");
    println!("  control plane   {base}/sim/scenario  /mailboxes  /journal  /requests  /stats  POST /reset");
    println!("  export          {base}/sim/mailboxes/ADDRESS/export?format=mbox|maildir[&folder=NAME]");
    match &data_dir {
        Some(d) => println!("  data directory  {} (the tenant is kept there)", d.display()),
        None => println!("  data directory  none (the tenant is in memory: --data-dir DIR keeps it)"),
    }
    if let Some((first, last)) = &summary.span {
        println!("  traffic         {first} .. {last}");
    }
    if let Some(live) = &summary.live {
        println!("  live            {} items so far; the rest arrive at their capture time", live.arrived);
    }
    println!("Ctrl-C stops.");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the signal runtime")?;
    rt.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).context("waiting for SIGTERM")?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.context("waiting for Ctrl-C"),
            _ = term.recv() => Ok(()),
        }
    })?;
    sim.shutdown();
    Ok(())
}

fn export(
    scenario: Scenario,
    data_dir: &std::path::Path,
    mailbox: &str,
    folder: Option<&str>,
    format: tm_simulator::ExportFormat,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    let (written, address) = if out.as_os_str() == "-" {
        tm_simulator::export_data_dir(scenario, data_dir, (mailbox, folder), format, std::io::BufWriter::new(std::io::stdout().lock()))?
    } else {
        let file = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
        match tm_simulator::export_data_dir(scenario, data_dir, (mailbox, folder), format, std::io::BufWriter::new(file)) {
            Ok(x) => x,
            Err(e) => {
                let _ = std::fs::remove_file(out);
                // Refused before a byte was written (no such mailbox or folder, a data directory
                // that cannot be read): said as is; anything later is a write that was cut short.
                use tm_simulator::ExportError::{DataDir, NoFolder, NoMailbox, Scenario};
                return match e {
                    NoMailbox(_) | NoFolder { .. } | DataDir(_) | Scenario(_) => Err(e.into()),
                    _ => Err(e).with_context(|| format!("writing {} (removed)", out.display())),
                };
            }
        }
    };
    eprintln!("{}: {written} messages of {address} written", out.display());
    Ok(())
}

fn generate(scenario: Scenario, out: &std::path::Path) -> anyhow::Result<()> {
    let world = World::generate(scenario)?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut index = Vec::new();
    for item in world.archive.items() {
        let listed = world.archive.item_ref(item);
        let mut r = serde_json::to_value(&listed)?;
        let size = world.archive.size(item);
        if listed.size != size {
            // The listing lies about this item's size (a scripted fault): say both.
            r["size"] = size.into();
            r["listed_size"] = listed.size.into();
        }
        let path = out.join(format!("{}.eml", listed.id));
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?);
        for chunk in world.archive.render(item).chunks() {
            std::io::Write::write_all(&mut file, &chunk).with_context(|| format!("writing {}", path.display()))?;
        }
        std::io::Write::flush(&mut file)?;
        index.push(r);
    }
    let text =
        serde_json::to_string_pretty(&serde_json::json!({ "scenario": world.scenario.name, "seed": world.scenario.seed, "items": index }))?;
    std::fs::write(out.join("index.json"), text + "\n")?;
    println!("wrote {} items and index.json to {}", index.len(), out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// A CI service container cannot pass flags: every flag of `serve` has its variable,
    /// `TM_SIMULATOR_` and the flag's name.
    #[test]
    fn every_serve_flag_has_an_environment_variable() {
        let cli = Cli::command();
        let serve = cli.find_subcommand("serve").expect("serve");
        for arg in serve.get_arguments().filter(|a| a.get_long().is_some_and(|l| l != "help")) {
            let long = arg.get_long().unwrap_or_default();
            let expected = format!("TM_SIMULATOR_{}", long.to_uppercase().replace('-', "_"));
            assert_eq!(arg.get_env().and_then(|e| e.to_str()), Some(expected.as_str()), "--{long}");
        }
    }
}
