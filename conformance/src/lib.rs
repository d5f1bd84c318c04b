//! # tm-conformance
//!
//! The conformance suite of the wire contract (v3): it starts the simulator in-process for each
//! scenario of `fixtures/scenarios/`, runs a connector through the scenario's scheduled runs,
//! reads the tenant back, and judges every rule of the contract by its ID (ROUTE-MAP, SIZE, ...).
//!
//! Data flows one way: scenario → simulator → connector under test (`runner`) → tenant and run
//! reports → `digest` → `judge` (against the reviewed snapshot in `fixtures/expected/` and the
//! independent [`oracle`]) → [`report`] (text, JSON, JUnit). The library's surface is what the
//! `tm-conformance` binary and a CI job need: [`Suite`] over [`Fixtures`], the rules
//! ([`Rule`], their [`catalogue`]), the verdict types, [`oracle`] for tests of the oracle itself, [`report`] and
//! [`soak`], the certification [`bundle`] (`run --bundle`, `verify`), and what works on verdicts:
//! [`waivers`] (`--expect-failures`), [`selection`] (`--rule`), [`compare`] (two JSON reports); the
//! rest is private. The wire vocabulary (mapping CSV, report shape) is `tm-contract`'s.

pub mod bundle;
pub mod compare;
mod digest;
mod evidence;
mod judge;
mod manners;
pub mod merge;
pub mod oracle;
pub mod report;
mod requirements;
mod rules;
mod runner;
pub mod schedule;
pub mod selection;
pub mod shard;
pub mod soak;
mod suite;
pub mod timeline;
pub mod waivers;

pub use digest::{Digest, Snapshot};
pub use judge::{RuleVerdict, RunSummary, ScenarioVerdict, SnapshotStatus, Verdict, judge};
pub use requirements::{Requirement, Rule, catalogue};
pub use runner::{Connector, Execution, RunOptions, run_scenario};
pub use suite::{Fixtures, Suite, SuiteError};
pub use tm_simulator::Scenario;
