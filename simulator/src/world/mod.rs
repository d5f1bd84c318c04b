//! The world: everything the scenario determines, and nothing else. A [`scenario`] (TOML) gives
//! [`people`] (with [`faker`] names over the [`corpus`]) and traffic ([`generate`], as
//! [`item`] specs); each item is [`render`]ed as an RFC 5322 message (its id written in its
//! headers by [`header_ids`]), indexed in the
//! [`archive`] with its [`digest`]s; the scenario's [`faults`] are a deterministic plan (the archive's own failures:
//! [`integrity`]), and
//! [`locale`] names the mailboxes' default folders in the scenario's language.
//!
//! Deterministic (the scenario's seed drives a `ChaCha8Rng`; no clock, no hash order in outputs)
//! and free of HTTP.

pub mod archive;
pub mod arrival;
pub mod content;
pub mod corpus;
pub mod digest;
pub mod faker;
pub mod faults;
pub mod generate;
pub mod header_ids;
pub mod integrity;
pub mod item;
pub mod locale;
pub mod people;
pub mod render;
pub mod scenario;
pub mod sequence;

use archive::Archive;
use scenario::{Scenario, ScenarioError};

/// A scenario's world, generated: the scenario (anchored, in live mode) and its archive of
/// rendered items. Immutable once generated.
#[derive(Debug)]
pub struct World {
    /// The scenario.
    pub scenario: Scenario,
    /// The vendor archive: its people and items.
    pub archive: Archive,
}

impl World {
    /// Generates the people and traffic of a scenario.
    pub fn generate(scenario: Scenario) -> Result<World, ScenarioError> {
        let t = std::time::Instant::now();
        let population = people::Population::build(&scenario);
        scenario.check_scope(&population.users)?;
        let people_s = t.elapsed().as_secs_f64();
        let specs = generate::items(&scenario, &population)?;
        let traffic_s = t.elapsed().as_secs_f64() - people_s;
        let archive = Archive::new(population, specs);
        tracing::info!(people_s, traffic_s, total_s = t.elapsed().as_secs_f64(), items = archive.items().len(), "generated");
        Ok(World { scenario, archive })
    }
}
