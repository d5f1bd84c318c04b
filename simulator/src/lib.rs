//! # tm-simulator
//!
//! A simulated TeleMessage-style WeChat/WeCom archive and a simulated Microsoft 365 tenant on one
//! HTTP listener, for building and testing archive connectors without live accounts.
//!
//! Data flows one way: a [`Scenario`] (TOML) → people and deterministic traffic → items rendered as
//! RFC 5322 messages → the vendor API (`/tm/v1`); a connector imports them into the tenant
//! (`/graph/v1.0`); the control plane (`/sim`) shows what landed where.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use tm_simulator::{Scenario, Simulator};
//! let sim = Simulator::start(Scenario::demo(), "127.0.0.1:0".parse()?).await?;
//! println!("vendor API at {}", sim.vendor_url());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod http;
mod observe;
mod tenant;
mod world;

pub use http::control::{Counts, ItemView, MailboxView, ScenarioSummary, StoreStats, mailbox_views, store_stats, summary};
pub use http::openapi::{document as openapi_document, json as openapi_json};
pub use http::serve::{BuildError, MessageBytes, Options, Public, RunningSimulator, Simulator, StartError, State, ThreadedSimulator, app};
pub use http::tls::TlsError;
pub use observe::access_log::Logged as LoggedRequest;
pub use observe::journal::{DEFAULT_CAPACITY as DEFAULT_LOG_CAPACITY, Entry as JournalEntry, Journal};
pub use tenant::FOLDER_NAME;
pub use tenant::data_dir::{DATABASE_FILE, DataDir, DataDirError};
pub use tenant::export::{
    ExportError, Format as ExportFormat, Selection as ExportSelection, select as select_export, write as write_export,
};
pub use tenant::mailboxes::{Content, Message};
pub use world::archive::{Archive, ArchivedItem, ItemRef, Page, format_ms};
pub use world::faults::{ActionKind, Api as FaultApi, FaultRule, Op as FaultOp};
pub use world::generate::MAX_ITEM_BYTES;
pub use world::item::{Attachment, Conversation, ItemSpec, Media};
pub use world::people::Population;
pub use world::render::Rendered;
pub use world::scenario::{
    App, CallSpec, CallType, Credentials, Group, Kind, Person, Run, Scenario, ScenarioError, TenantLimits, TenantUser, Throttle,
};
