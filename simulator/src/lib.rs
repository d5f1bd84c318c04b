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

mod access_log;
mod archive;
mod auth;
mod control_api;
mod corpus;
mod data_dir;
mod digest;
mod export;
mod faker;
mod faults;
mod generate;
mod http_error;
mod item;
mod journal;
mod openapi;
mod people;
mod render;
mod scenario;
mod server;
mod tenant;
mod tls;
mod vendor_api;
mod web_ui;

pub use access_log::Logged as LoggedRequest;
pub use archive::{Archive, ArchivedItem, ItemRef, Page, format_ms};
pub use control_api::{Counts, ItemView, MailboxView, ScenarioSummary, StoreStats, mailbox_views, store_stats, summary};
pub use data_dir::{DATABASE_FILE, DataDir, DataDirError};
pub use export::{ExportError, Format as ExportFormat, Selection as ExportSelection, select as select_export, write as write_export};
pub use faults::{ActionKind, Api as FaultApi, FaultRule, Op as FaultOp};
pub use generate::MAX_ITEM_BYTES;
pub use item::{Attachment, Conversation, ItemSpec, Media};
pub use journal::{DEFAULT_CAPACITY as DEFAULT_LOG_CAPACITY, Entry as JournalEntry, Journal};
pub use openapi::{document as openapi_document, json as openapi_json};
pub use people::Population;
pub use render::Rendered;
pub use scenario::{
    App, CallSpec, CallType, Credentials, Group, Kind, Person, Run, Scenario, ScenarioError, TenantLimits, TenantUser, Throttle,
};
pub use server::{BuildError, MessageBytes, Options, Public, RunningSimulator, Simulator, StartError, State, ThreadedSimulator, app};
pub use tenant::FOLDER_NAME;
pub use tenant::mailboxes::{Content, Message};
pub use tls::TlsError;
