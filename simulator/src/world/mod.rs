//! The world: everything the scenario determines, and nothing else. A [`scenario`] (TOML) gives
//! [`people`] (with [`faker`] names over the [`corpus`]) and traffic ([`generate`], as
//! [`item`] specs); each item is [`render`]ed as an RFC 5322 message, indexed in the
//! [`archive`] with its [`digest`]s; the scenario's [`faults`] are a deterministic plan.
//!
//! Deterministic (the scenario's seed drives a `ChaCha8Rng`; no clock, no hash order in outputs)
//! and free of HTTP: nothing here knows axum.

pub mod archive;
pub mod corpus;
pub mod digest;
pub mod faker;
pub mod faults;
pub mod generate;
pub mod item;
pub mod people;
pub mod render;
pub mod scenario;
