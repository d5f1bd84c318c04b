//! The simulated Microsoft 365 tenant: who is a valid user ([`directory`]), what their mailboxes
//! hold ([`mailboxes`]), and the Graph-shaped HTTP API over both ([`graph_api`]; its users query in
//! [`user_query`]).

pub mod directory;
pub mod graph_api;
pub mod mailboxes;
pub mod upload;
pub mod user_query;

/// Folders every mailbox starts with.
pub const DEFAULT_FOLDERS: [&str; 4] = ["Inbox", "Sent Items", "Deleted Items", "Archive"];

/// The folder the connector imports into (the contract's).
pub use tm_contract::FOLDER_NAME;
