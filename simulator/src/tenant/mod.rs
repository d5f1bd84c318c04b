//! The tenant store: who the users are ([`directory`]), what their mailboxes hold
//! ([`mailboxes`], bytes of imported messages decoded and checked as they arrive in [`upload`]),
//! the message resource read from a message's first bytes ([`message_resource`]), Graph's rate
//! limits ([`rate`]), the data directory that keeps it all across restarts ([`data_dir`]) and
//! exports of a mailbox ([`export`]). Nothing here speaks HTTP: the Graph API over the store is
//! `http::graph`.

pub mod data_dir;
pub mod directory;
pub mod export;
pub mod mailboxes;
pub mod message_resource;
pub mod quota;
pub mod rate;
pub mod store;
pub mod upload;
pub mod views;

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
