//! The suite tests itself: the reference connector passes every rule and matches every reviewed
//! snapshot; deliberately broken connectors fail exactly the rules they break; the oracle agrees
//! with the reference connector on random small scenarios; the registry lists every rule once; the
//! CLI does what vendors read in the README; a certification bundle verifies, and a tampered one does not. One test binary, real simulators on loopback port 0.

mod bundle;
mod ci_docs;
mod cli;
mod compare;
mod html;
mod mutants;
mod oracle;
mod parallel;
mod registry;
mod scenarios;
mod soak;
mod support;
mod verdicts;
