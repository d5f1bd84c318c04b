//! `tm-conformance`: run the conformance scenarios against a connector and judge every rule.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tm_conformance::bundle::{self, Bundling};
use tm_conformance::report::{Outputs, SuiteReport, to_text, write_all};
use tm_conformance::shard::Shard;
use tm_conformance::soak::{self, SoakOptions};
use tm_conformance::{Connector, Fixtures, RunOptions, Suite, catalogue, compare, merge, report, schedule, selection, waivers};

#[derive(Parser)]
#[command(name = "tm-conformance", version, about = "Judges a WeChat Archiver connector against the wire contract (v3), rule by rule")]
struct Cli {
    /// The fixture folder (scenarios/, mappings/, expected/); default: the repository's fixtures/.
    #[arg(long, global = true, value_name = "DIR", env = "TM_CONFORMANCE_FIXTURES")]
    fixtures: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run scenarios against a connector and print a verdict per rule; exit 1 if any rule fails
    /// (or a waiver is unmatched or expired), 2 on a usage or input error.
    Run(RunArgs),
    /// Check a certification bundle offline: every file's sha256, the fixtures against this
    /// suite's, and every scenario judged again from the recorded evidence. Exit 0 verified,
    /// 1 not verified, 2 unreadable.
    Verify {
        /// The bundle (`run --bundle`).
        #[arg(value_name = "FILE.tar.gz")]
        file: PathBuf,
    },
    /// Compare two JSON reports (`run --json`): verdicts and findings that appeared, disappeared
    /// or changed; exit 1 on a regression.
    Compare {
        /// The earlier report.
        old: PathBuf,
        /// The later report.
        new: PathBuf,
        /// Also write the comparison as JSON.
        #[arg(long, env = "TM_CONFORMANCE_COMPARE_JSON", value_name = "PATH")]
        json: Option<PathBuf>,
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
        /// Also write the merged verdicts as HTML (without the runs' time lines: JSON reports do
        /// not hold the requests).
        #[arg(long, value_name = "PATH", env = "TM_CONFORMANCE_HTML")]
        html: Option<PathBuf>,
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

/// `run`'s flags, each also read from an environment variable (`TM_CONFORMANCE_` and its name).
#[derive(clap::Args)]
struct RunArgs {
    /// Only these scenarios (repeatable; default: all).
    #[arg(long = "scenario", value_name = "NAME", env = "TM_CONFORMANCE_SCENARIO", value_delimiter = ',')]
    scenarios: Vec<String>,
    /// The connector under test, run as `sh -c CMD` with the contract's environment
    /// variables (default: the reference connector, in-process).
    #[arg(long, value_name = "CMD", env = "TM_CONFORMANCE_CONNECTOR_CMD")]
    connector_cmd: Option<String>,
    /// Also write the verdicts as JSON.
    #[arg(long, value_name = "PATH", env = "TM_CONFORMANCE_JSON")]
    json: Option<PathBuf>,
    /// Also write the verdicts as JUnit XML (one test case per rule per scenario).
    #[arg(long, value_name = "PATH", env = "TM_CONFORMANCE_JUNIT")]
    junit: Option<PathBuf>,
    /// Also write the verdicts as one self-contained HTML page (findings, each run's requests on
    /// a time line).
    #[arg(long, value_name = "PATH", env = "TM_CONFORMANCE_HTML")]
    html: Option<PathBuf>,
    /// Longest one connector run may take, in seconds.
    #[arg(long, default_value_t = 600, value_name = "SECS", env = "TM_CONFORMANCE_RUN_TIMEOUT")]
    run_timeout: u64,
    /// Print each scenario's digest (the snapshot body) too.
    #[arg(long, env = "TM_CONFORMANCE_PRINT_DIGEST")]
    print_digest: bool,
    /// Serve the simulator over HTTPS (a CA of its own, given to the connector in
    /// SSL_CERT_FILE, REQUESTS_CA_BUNDLE and NODE_EXTRA_CA_CERTS).
    #[arg(long, env = "TM_CONFORMANCE_TLS")]
    tls: bool,
    /// Also write a certification bundle (a .tar.gz: manifest, fixtures, verdicts in every
    /// format, each run's evidence) that `verify` checks offline.
    #[arg(long, value_name = "FILE.tar.gz", env = "TM_CONFORMANCE_BUNDLE")]
    bundle: Option<PathBuf>,
    /// With --bundle: a command that prints the connector's version (run as `sh -c CMD`
    /// before the scenarios; its standard output goes in the bundle's manifest).
    #[arg(long, value_name = "CMD", env = "TM_CONFORMANCE_CONNECTOR_VERSION")]
    connector_version: Option<String>,
    /// Waivers of known failures (TOML or JSON): a waived failure is reported `waived` with
    /// its reason; a waiver that matches nothing, or has expired, fails the run.
    #[arg(long, env = "TM_CONFORMANCE_EXPECT_FAILURES", value_name = "FILE")]
    expect_failures: Option<PathBuf>,
    /// Only these rules (repeatable): run the scenarios that exercise them (or those given
    /// with --scenario) and report only them, the others skipped as not selected.
    #[arg(long = "rule", env = "TM_CONFORMANCE_RULE", value_delimiter = ',', value_name = "ID")]
    rules: Vec<String>,
    /// The day waivers' `expires` is judged against (default: today, UTC), for reproducible
    /// runs.
    #[arg(long, env = "TM_CONFORMANCE_TODAY", value_name = "YYYY-MM-DD")]
    today: Option<String>,
    /// Scenarios run at once (0: one per CPU); the backoff scenarios still run alone. Reports
    /// list the scenarios in the same order whatever the number.
    #[arg(long, default_value_t = 1, value_name = "N", env = "TM_CONFORMANCE_JOBS")]
    jobs: usize,
    /// Only the K-th of N stable, balanced parts of the scenarios selected (for a CI matrix;
    /// `merge` joins the parts' JSON reports).
    #[arg(long, value_name = "K/N", env = "TM_CONFORMANCE_SHARD")]
    shard: Option<Shard>,
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
        Command::Compare { old, new, json } => compare(&old, &new, json.as_deref()),
        Command::Run(args) => run_command(args, fixtures),
        Command::Merge { reports, json, junit, html } => {
            // The error names the file and says why in one sentence (no cause chain to add).
            let mut report = merge::merge_files(&reports).map_err(|e| anyhow::anyhow!("{e}"))?;
            // A waiver not checked in one shard and applied in another is settled here.
            let available: Vec<String> = fixtures.scenarios()?.into_iter().map(|(n, _)| n).collect();
            waivers::reconcile(&mut report, &available);
            print!("{}", to_text(&report));
            write_all(&report, &Outputs { json, junit, html })?;
            Ok(if report.failed() { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        Command::Soak { days, employees, seed, connector_cmd, print_scenario, run_timeout } => {
            soak_command(SoakOptions { days, employees, seed }, connector_cmd, print_scenario, run_timeout)
        }
    }
}

/// `run`: exit 1 if a rule fails (or a waiver is unmatched or expired).
fn run_command(a: RunArgs, fixtures: Fixtures) -> anyhow::Result<ExitCode> {
    let mut suite = Suite::new(a.connector_cmd.map_or(Connector::Reference, Connector::Command));
    suite.fixtures = fixtures;
    suite.options.run_timeout = Duration::from_secs(a.run_timeout);
    suite.options.tls = a.tls;
    let available: Vec<String> = suite.fixtures.scenarios()?.into_iter().map(|(n, _)| n).collect();
    let selected = selection::rules(&a.rules)?;
    let mut names = selection::scenarios(&available, &a.scenarios, selected.as_ref())?;
    if let Some(shard) = a.shard {
        names = shard.select(&names);
    }
    let waivers = a.expect_failures.as_ref().map(|p| waivers::WaiverFile::load(p, &available, a.today.as_deref())).transpose()?;
    let bundling = a
        .bundle
        .clone()
        .map(|p| Bundling::start(p, &suite.fixtures, &suite.connector, a.connector_version.as_deref()))
        .transpose()?
        .map(std::sync::Mutex::new);
    let bundle_error: std::sync::Mutex<Option<anyhow::Error>> = std::sync::Mutex::new(None);
    let jobs = if a.jobs == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { a.jobs };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    let started = |name: &str| eprintln!("tm-conformance: running scenario {name} ...");
    let judged = |exec: &tm_conformance::Execution, verdict: &tm_conformance::ScenarioVerdict| {
        if let Some(b) = &bundling
            && let Err(e) = b.lock().expect("bundle lock").add(&verdict.scenario, exec, verdict)
        {
            bundle_error.lock().expect("error lock").get_or_insert(anyhow::Error::new(e));
        }
    };
    let mut verdicts = schedule::run_all(&suite, &names, jobs, &runtime, &schedule::Progress { started: &started, judged: &judged })?;
    if let Some(e) = bundle_error.into_inner().expect("error lock") {
        return Err(e.context("certification bundle"));
    }
    for verdict in &mut verdicts {
        if a.print_digest {
            println!("--- digest of {} ---\n{}", verdict.scenario, verdict.digest);
        }
        if let Some(only) = &selected {
            selection::restrict(verdict, only);
        }
    }
    let mut report = SuiteReport::new(suite.connector.describe(), verdicts);
    if let Some(w) = &waivers {
        w.apply_to(&mut report, &available, selected.as_ref());
    }
    print!("{}", to_text(&report));
    write_all(&report, &Outputs { json: a.json, junit: a.junit, html: a.html })?;
    if let Some(b) = bundling {
        let b = b.into_inner().expect("bundle lock");
        let today = waivers.as_ref().map(|w| w.today.to_string());
        let options = serde_json::json!({"scenario": names, "run-timeout": a.run_timeout, "tls": a.tls, "rule": a.rules, "today": today});
        let (path, digest) = b.finish(&report, options)?;
        eprintln!("tm-conformance: bundle {} written (manifest sha256 {digest})", path.display());
    }
    Ok(if report.failed() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// `soak`: exit 1 if the connector fails.
fn soak_command(o: SoakOptions, connector_cmd: Option<String>, print_scenario: bool, run_timeout: u64) -> anyhow::Result<ExitCode> {
    let SoakOptions { days, employees, seed } = o;
    if print_scenario {
        print!("{}", soak::scenario_toml(&o, true));
        return Ok(ExitCode::SUCCESS);
    }
    let connector = connector_cmd.map_or(Connector::Reference, Connector::Command);
    let options = RunOptions { run_timeout: Duration::from_secs(run_timeout), ..RunOptions::default() };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    eprintln!("tm-conformance: soak of {days} day(s), {employees} employees, seed {seed}: with faults, then without ...");
    let outcome = runtime.block_on(soak::run(&o, &connector, &options)).context("soak")?;
    let report = SuiteReport::new(connector.describe(), vec![outcome.verdict.clone()]);
    print!("{}", to_text(&report));
    println!("\nfaults injected:");
    for (kind, n) in &outcome.faults {
        println!("  {n:>5}  {kind}");
    }
    if outcome.baseline_differences.is_empty() {
        println!("\ntenant: equal to the same scenario's without faults");
    } else {
        println!("\ntenant: differs from the same scenario's without faults ({} difference(s)):", outcome.baseline_differences.len());
        for d in &outcome.baseline_differences {
            println!("  {d}");
        }
    }
    Ok(if outcome.failed() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// `compare OLD NEW`: exit 1 on a regression, 2 (an error) when a report cannot be read.
fn compare(old: &std::path::Path, new: &std::path::Path, json: Option<&std::path::Path>) -> anyhow::Result<ExitCode> {
    let (a, b) = (report::read_json_file(old)?, report::read_json_file(new)?);
    let c = compare::compare(&a, &b, &old.display().to_string(), &new.display().to_string());
    print!("{}", c.to_text());
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&c.to_json()).context("JSON")?;
        std::fs::write(path, text + "\n").with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(if c.regressed() { ExitCode::from(1) } else { ExitCode::SUCCESS })
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// A CI service container or a job's `env:` cannot pass flags: every flag of `run` (and the
    /// global `--fixtures`) has its variable, `TM_CONFORMANCE_` and the flag's name.
    #[test]
    fn every_run_flag_has_an_environment_variable() {
        let cli = Cli::command();
        let run = cli.find_subcommand("run").expect("run");
        let flags: Vec<_> = run
            .get_arguments()
            .chain(cli.get_arguments())
            .filter(|a| a.get_long().is_some_and(|l| l != "help" && l != "version"))
            .collect();
        assert!(flags.len() >= 8);
        for arg in flags {
            let long = arg.get_long().unwrap_or_default();
            let expected = format!("TM_CONFORMANCE_{}", long.to_uppercase().replace('-', "_"));
            assert_eq!(arg.get_env().and_then(|e| e.to_str()), Some(expected.as_str()), "--{long}");
        }
    }
}
