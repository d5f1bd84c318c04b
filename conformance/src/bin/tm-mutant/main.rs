//! `tm-mutant`: a small connector that speaks the command contract (environment variables in, run
//! report out), written independently of the reference connector, with deliberate mutations.
//!
//! Without `--mutation` (or with `--mutation none`) it honours every rule, so the suite must pass
//! it; each mutation breaks one rule on purpose, so the suite must fail exactly that rule. The
//! suite's self-tests run it through `--connector-cmd "tm-mutant --mutation NAME"`.
//!
//! It is sequential and simple: list the window, download each item (capped at the limit + 1
//! byte, checked against the listed sha256 and downloaded again when cut short or corrupt, and
//! checked to carry a Message-ID), read its participants, route them, import into `WeChat
//! Archiver`, and keep in `STATE_DIR` a checkpoint and a ledger of import intents; an import cut short by a kill, a failure or a lost answer is
//! resolved by asking the tenant for the item's `internetMessageId` in the folder (the
//! `count-fence` mutation trusts the folder's item count instead). Calls are retried with manners: `Retry-After`
//! honoured (a wait over a minute fails the run instead), exponential backoff from 200 ms
//! otherwise, 6 attempts, a new login after a vendor 401, a new access token after a tenant 401
//! (with client credentials, `GRAPH_CLIENT_ID`; else the static `GRAPH_TOKEN`).
//!
//! Split by concern: `mutation` (what can be broken), `env` (the command contract's settings),
//! `conn` (the HTTP calls with their manners), `ledger` (the state directory), `work` (one run:
//! list, download, route, import, report).

mod conn;
mod env;
mod ledger;
mod mutation;
mod work;

use anyhow::{Context, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, Utc};
use clap::{Parser, ValueEnum};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Digest as _;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tm_contract::{FOLDER_NAME as FOLDER, ItemPage as Page, ItemRef, Kind, MAX_ITEM_BYTES as LIMIT, Mapping, MobileNumber, Region};

use conn::*;
use env::*;
use ledger::*;
use mutation::*;
use work::*;

#[derive(Parser)]
#[command(name = "tm-mutant", about = "A contract-speaking test connector with deliberate mutations")]
struct Args {
    /// The rule to break.
    #[arg(long, value_enum, default_value = "none")]
    mutation: Mutation,
}

fn main() -> ExitCode {
    let args = Args::parse();
    // reqwest is built without a default TLS provider; loopback HTTP needs none, but the client
    // builder wants one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tm-mutant: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(args.mutation)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Config(e)) => {
            eprintln!("tm-mutant: configuration error: {e:#}");
            ExitCode::from(2)
        }
        Err(Failure::Run(e)) => {
            eprintln!("tm-mutant: {e:#}");
            ExitCode::from(1)
        }
    }
}
