//! Integration tests of tm-simulator on a real socket (one test binary, one module per topic).

mod cli;
mod control;
mod determinism;
mod export;
mod failure_modes;
mod faults;
mod graph_options;
mod hostile_ids;
mod import_paths;
mod integrity;
mod items;
mod openapi;
mod permissions;
mod samples;
mod sequence;
mod snapshots;
mod store;
mod support;
mod tenant_api;
mod tenant_messages;
mod tls;
mod vendor_api;
