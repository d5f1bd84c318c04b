//! `tm-conformance`: run the conformance scenarios against a connector and judge every rule.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tm_conformance::bundle::{self, Bundling};
use tm_conformance::report::{SuiteReport, to_html, to_json, to_junit, to_text};
use tm_conformance::soak::{self, SoakOptions};
use tm_conformance::{Connector, Fixtures, RunOptions, Suite, catalogue};

#[derive(Parser)]
#[command(name = "tm-conformance", version, about = "Judges a WeChat Archiver connector against the wire contract (v3), rule by rule")]
struct Cli {
    /// The fixture folder (scenarios/, mappings/, expected/); default: the repository's fixtures/.
    #[arg(long, global = true, value_name = "DIR")]
    fixtures: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run scenarios against a connector and print a verdict per rule; exit 1 if any rule fails.
    Run {
        /// Only these scenarios (repeatable; default: all).
        #[arg(long = "scenario", value_name = "NAME")]
        scenarios: Vec<String>,
        /// The connector under test, run as `sh -c CMD` with the contract's environment
        /// variables (default: the reference connector, in-process).
        #[arg(long, value_name = "CMD")]
        connector_cmd: Option<String>,
        /// Also write the verdicts as JSON.
        #[arg(long, value_name = "PATH")]
        json: Option<PathBuf>,
        /// Also write the verdicts as JUnit XML (one test case per rule per scenario).
        #[arg(long, value_name = "PATH")]
        junit: Option<PathBuf>,
        /// Also write the verdicts as one self-contained HTML page (findings, each run's requests
        /// on a time line).
        #[arg(long, value_name = "PATH", env = "TM_CONFORMANCE_HTML")]
        html: Option<PathBuf>,
        /// Longest one connector run may take, in seconds.
        #[arg(long, default_value_t = 600, value_name = "SECS")]
        run_timeout: u64,
        /// Print each scenario's digest (the snapshot body) too.
        #[arg(long)]
        print_digest: bool,
        /// Serve the simulator over HTTPS (a CA of its own, given to the connector in
        /// SSL_CERT_FILE, REQUESTS_CA_BUNDLE and NODE_EXTRA_CA_CERTS).
        #[arg(long)]
        tls: bool,
        /// Also write a certification bundle (a .tar.gz: manifest, fixtures, verdicts in every
        /// format, each run's evidence) that `verify` checks offline.
        #[arg(long, value_name = "FILE.tar.gz", env = "TM_CONFORMANCE_BUNDLE")]
        bundle: Option<PathBuf>,
        /// With --bundle: a command that prints the connector's version (run as `sh -c CMD`
        /// before the scenarios; its standard output goes in the bundle's manifest).
        #[arg(long, value_name = "CMD", env = "TM_CONFORMANCE_CONNECTOR_VERSION")]
        connector_version: Option<String>,
    },
    /// Check a certification bundle offline: every file's sha256, the fixtures against this
    /// suite's, and every scenario judged again from the recorded evidence. Exit 0 verified,
    /// 1 not verified, 2 unreadable.
    Verify {
        /// The bundle (`run --bundle`).
        #[arg(value_name = "FILE.tar.gz")]
        file: PathBuf,
    },
    /// List the rules and the scenarios.
    List,
    /// Days of generated traffic under a seeded fault plan of every kind, the connector run once
    /// a day; every rule is judged and the tenant must equal the same scenario's without faults.
    /// Exit 1 if the connector fails.
    Soak {
        /// Days of traffic (one run at the end of each).
        #[arg(long, default_value_t = 7)]
        days: u32,
        /// Generated employees.
        #[arg(long, default_value_t = 20)]
        employees: u32,
        /// The seed of the traffic and of the fault plan.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// The connector under test (as for `run`; default: the reference connector).
        #[arg(long, value_name = "CMD")]
        connector_cmd: Option<String>,
        /// Print the generated scenario (TOML) and exit without running it.
        #[arg(long)]
        print_scenario: bool,
        /// Longest one connector run may take, in seconds.
        #[arg(long, default_value_t = 600, value_name = "SECS")]
        run_timeout: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tm-conformance: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn real_main(cli: Cli) -> anyhow::Result<ExitCode> {
    let fixtures = cli.fixtures.map(Fixtures::at).unwrap_or_else(Fixtures::locate);
    match cli.command {
        Command::List => {
            list(&fixtures)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { file } => verify(&file, &fixtures),
        Command::Run { scenarios, connector_cmd, json, junit, html, run_timeout, print_digest, tls, bundle, connector_version } => {
            let connector = match connector_cmd {
                Some(cmd) => Connector::Command(cmd),
                None => Connector::Reference,
            };
            let mut suite = Suite::new(connector);
            suite.fixtures = fixtures;
            suite.options.run_timeout = Duration::from_secs(run_timeout);
            suite.options.tls = tls;
            let names: Vec<String> =
                if scenarios.is_empty() { suite.fixtures.scenarios()?.into_iter().map(|(n, _)| n).collect() } else { scenarios };
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
            let mut bundling =
                bundle.map(|p| Bundling::start(p, &suite.fixtures, &suite.connector, connector_version.as_deref())).transpose()?;
            let mut report = SuiteReport { connector: suite.connector.describe(), scenarios: Vec::new() };
            for name in &names {
                eprintln!("tm-conformance: running scenario {name} ...");
                let (exec, verdict) = runtime.block_on(suite.run(name)).with_context(|| format!("scenario {name}"))?;
                if let Some(b) = &mut bundling {
                    b.add(name, &exec, &verdict)?;
                }
                if print_digest {
                    println!("--- digest of {name} ---\n{}", verdict.digest);
                }
                report.scenarios.push(verdict);
            }
            print!("{}", to_text(&report));
            if let Some(path) = json {
                let text = serde_json::to_string_pretty(&to_json(&report)).context("JSON")?;
                std::fs::write(&path, text + "\n").with_context(|| format!("cannot write {}", path.display()))?;
            }
            html.map(|p| write_file(&p, to_html(&report))).transpose()?;
            if let Some(path) = junit {
                std::fs::write(&path, to_junit(&report)).with_context(|| format!("cannot write {}", path.display()))?;
            }
            if let Some(b) = bundling {
                let (path, digest) = b.finish(&report, serde_json::json!({"scenario": names, "run-timeout": run_timeout, "tls": tls}))?;
                eprintln!("tm-conformance: bundle {} written (manifest sha256 {digest})", path.display());
            }
            Ok(if report.failed() { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        Command::Soak { days, employees, seed, connector_cmd, print_scenario, run_timeout } => {
            let o = SoakOptions { days, employees, seed };
            if print_scenario {
                print!("{}", soak::scenario_toml(&o, true));
                return Ok(ExitCode::SUCCESS);
            }
            let connector = connector_cmd.map_or(Connector::Reference, Connector::Command);
            let options = RunOptions { run_timeout: Duration::from_secs(run_timeout), ..RunOptions::default() };
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
            eprintln!("tm-conformance: soak of {days} day(s), {employees} employees, seed {seed}: with faults, then without ...");
            let outcome = runtime.block_on(soak::run(&o, &connector, &options)).context("soak")?;
            let report = SuiteReport { connector: connector.describe(), scenarios: vec![outcome.verdict.clone()] };
            print!("{}", to_text(&report));
            println!("\nfaults injected:");
            for (kind, n) in &outcome.faults {
                println!("  {n:>5}  {kind}");
            }
            if outcome.baseline_differences.is_empty() {
                println!("\ntenant: equal to the same scenario's without faults");
            } else {
                println!(
                    "\ntenant: differs from the same scenario's without faults ({} difference(s)):",
                    outcome.baseline_differences.len()
                );
                for d in &outcome.baseline_differences {
                    println!("  {d}");
                }
            }
            Ok(if outcome.failed() { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
    }
}

/// `verify`: exit 0 verified, 1 not verified (an unreadable bundle is an error: exit 2).
fn verify(file: &std::path::Path, fixtures: &Fixtures) -> anyhow::Result<ExitCode> {
    let v = bundle::verify::verify(file, fixtures)?;
    print!("{}", v.to_text(file));
    Ok(if v.verified() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn list(fixtures: &Fixtures) -> anyhow::Result<()> {
    println!("RULES (wire contract v3)");
    for r in catalogue() {
        println!("\n{}", r.id);
        println!("  rule:      {}", r.text);
        println!("  checked:   {}", r.check);
        println!("  scenarios: {}", r.scenarios.join(", "));
    }
    println!("\nSCENARIOS ({})", fixtures.scenario_dir().display());
    for (name, scenario) in fixtures.scenarios()? {
        let runs = scenario.runs.len();
        let killed = scenario.runs.iter().filter(|r| r.kill_after_imports.is_some()).count();
        let kills = if killed > 0 { format!(", {killed} killed") } else { String::new() };
        let description = scenario.description.as_deref().unwrap_or("");
        println!("  {name:<16} {runs} run(s){kills}  {description}");
    }
    Ok(())
}

/// Writes a report file, naming it on failure.
fn write_file(path: &std::path::Path, text: String) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
