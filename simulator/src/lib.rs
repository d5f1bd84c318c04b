//! # tm-simulator
//!
//! A simulated TeleMessage-style WeChat/WeCom archive and a simulated Microsoft 365 tenant on one
//! HTTP listener, for building and testing archive connectors without live accounts.
//!
//! Data flows one way: a [`Scenario`] (TOML) → people and deterministic traffic → items rendered as
//! RFC 5322 messages → the vendor API (`/tm/v1`); a connector imports them into the tenant
//! (`/graph/v1.0`); the control plane (`/sim`) shows what landed where, and
//! [`Running::observe`] hands the same to a judge in-process.
//!
//! The crate is four rooms: `world` (the scenario, people, traffic, rendering, the archive; no
//! HTTP), `tenant` (the store: directory, mailboxes, data directory, export; no HTTP),
//! `observe` (journal, access log, [`Observation`]) and `http` (every axum handler, serving).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use tm_simulator::{Scenario, Simulator};
//! let sim = Simulator::start(Scenario::demo(), "127.0.0.1:0".parse()?).await?;
//! println!("vendor API at {}", sim.vendor_url());
//! let seen = sim.observe();
//! println!("{} mailboxes", seen.mailboxes.len());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod http;
mod observe;
mod state;
mod tenant;
mod world;

pub use http::serve::{Running, Simulator, StartError, ThreadedSimulator};
pub use observe::Observation;
pub use observe::access_log::Logged as LoggedRequest;
pub use observe::journal::{DEFAULT_CAPACITY as DEFAULT_LOG_CAPACITY, Entry as JournalEntry};
pub use observe::observation::StoredMessage;
pub use observe::offline::{OfflineError, Recorded, RecordedBody, RecordedFolder, RecordedMailbox, RecordedMessage, RecordedTenant};
pub use state::{BuildError, Options};
pub use tenant::FOLDER_NAME;
pub use tenant::data_dir::DATABASE_FILE;
pub use tenant::export::{ExportError, Format as ExportFormat, from_data_dir as export_data_dir};
pub use tenant::views::MailboxView;
pub use world::World;
pub use world::archive::Visible;
pub use world::content::ContentType;
pub use world::generate::MAX_ITEM_BYTES;
pub use world::item::Conversation;
pub use world::scenario::{Kind, Offline, Scenario, ScenarioError, Throttle, Vendor, VendorClock};
