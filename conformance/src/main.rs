//! `tm-conformance`: run the conformance scenarios against a connector and judge every rule.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tm_conformance::report::{Outputs, SuiteReport, to_text, write_all};
use tm_conformance::shard::Shard;
use tm_conformance::soak::{self, SoakOptions};
use tm_conformance::{Connector, Fixtures, RunOptions, Suite, catalogue, merge, schedule};

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
        #[arg(long = "scenario", value_name = "NAME", env = "TM_CONFORMANCE_SCENARIO", value_delimiter = ',')]
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
        /// Scenarios run at once (0: one per CPU); the backoff scenarios still run alone. Reports
        /// list the scenarios in the same order whatever the number.
        #[arg(long, default_value_t = 1, value_name = "N", env = "TM_CONFORMANCE_JOBS")]
        jobs: usize,
        /// Only the K-th of N stable, balanced parts of the scenarios selected (for a CI matrix;
        /// `merge` joins the parts' JSON reports).
        #[arg(long, value_name = "K/N", env = "TM_CONFORMANCE_SHARD")]
        shard: Option<Shard>,
    },
    /// Join the JSON reports of a sharded run (`run --shard K/N --json ...`) into one report, as
    /// `run` writes it: text on stdout, and JSON and JUnit if asked; exit 1 if the merged report fails.
    Merge {
        /// The shards' JSON reports.
        #[arg(required = true, value_name = "REPORT.json")]
        reports: Vec<PathBuf>,
        /// Also write the merged verdicts as JSON.
        #[arg(long, value_name = "PATH", env = "TM_CONFORMANCE_JSON")]
        json: Option<PathBuf>,
        /// Also write the merged verdicts as JUnit XML.
        #[arg(long, value_name = "PATH", env = "TM_CONFORMANCE_JUNIT")]
        junit: Option<PathBuf>,
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
        Command::Run { scenarios, connector_cmd, json, junit, run_timeout, print_digest, tls, jobs, shard } => {
            let connector = match connector_cmd {
                Some(cmd) => Connector::Command(cmd),
                None => Connector::Reference,
            };
            let mut suite = Suite::new(connector);
            suite.fixtures = fixtures;
            suite.options.run_timeout = Duration::from_secs(run_timeout);
            suite.options.tls = tls;
            let mut names: Vec<String> =
                if scenarios.is_empty() { suite.fixtures.scenarios()?.into_iter().map(|(n, _)| n).collect() } else { scenarios };
            if let Some(shard) = shard {
                names = shard.select(&names);
            }
            let jobs = if jobs == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { jobs };
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
            let progress = |name: &str| eprintln!("tm-conformance: running scenario {name} ...");
            let verdicts = schedule::run_all(&suite, &names, jobs, &runtime, &progress)?;
            if print_digest {
                for verdict in &verdicts {
                    println!("--- digest of {} ---\n{}", verdict.scenario, verdict.digest);
                }
            }
            let report = SuiteReport { connector: suite.connector.describe(), scenarios: verdicts };
            print!("{}", to_text(&report));
            write_all(&report, &Outputs { json, junit })?;
            Ok(if report.failed() { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        Command::Merge { reports, json, junit } => {
            // The error names the file and says why in one sentence (no cause chain to add).
            let report = merge::merge_files(&reports).map_err(|e| anyhow::anyhow!("{e}"))?;
            print!("{}", to_text(&report));
            write_all(&report, &Outputs { json, junit })?;
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
