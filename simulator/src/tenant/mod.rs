//! The simulated Microsoft 365 tenant, shaped as Microsoft Graph v1.0: who the users are
//! ([`directory`]), what their mailboxes hold ([`mailboxes`]), the HTTP API over both
//! ([`graph_api`], with [`user_query`], [`folder_api`], [`message_api`] and the message resource in
//! [`message_resource`]; query options in [`odata`]; Graph's rate limits in [`rate`]) and the
//! identity platform's token endpoint ([`identity`]).

pub mod directory;
pub mod folder_api;
pub mod graph_api;
pub mod identity;
pub mod mailboxes;
pub mod message_api;
pub mod message_resource;
pub mod odata;
pub mod rate;
pub mod upload;
pub mod user_query;

/// Folders every mailbox starts with, and their well-known names: the top-level folders of a new
/// Exchange Online mailbox (<https://learn.microsoft.com/graph/api/resources/mailfolder>, "well-known
/// folder names").
pub const DEFAULT_FOLDERS: [(&str, &str); 8] = [
    ("Archive", "archive"),
    ("Conversation History", "conversationhistory"),
    ("Deleted Items", "deleteditems"),
    ("Drafts", "drafts"),
    ("Inbox", "inbox"),
    ("Junk Email", "junkemail"),
    ("Outbox", "outbox"),
    ("Sent Items", "sentitems"),
];

/// The well-known name of a mailbox's root, the parent of its top-level folders.
pub const ROOT_WELL_KNOWN: &str = "msgfolderroot";
/// The root's display name, as Exchange names it.
pub const ROOT_NAME: &str = "Top of Information Store";

/// The folder the connector imports into (the contract's).
pub use tm_contract::FOLDER_NAME;
