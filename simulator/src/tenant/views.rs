//! What `GET /sim/mailboxes` shows of the tenant, and what the suite judges: every mailbox with
//! its folders and the items imported into them, in a stable order.

use serde::Serialize;
use utoipa::ToSchema;

use super::store::{Contents, Tenant, is_foreign};
use crate::world::archive::Archive;

/// One imported item in `GET /sim/mailboxes`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
pub struct ItemView {
    /// ArchiveMessageID, or null.
    pub id: Option<String>,
    /// sha256 of the imported bytes.
    pub sha256: String,
    /// Size of the imported bytes.
    pub size: u64,
    /// Written by another program (the `foreign_write` fault), not by the connector.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub foreign: bool,
    /// A draft (Graph's MIME create makes drafts), or a message in its final state (beta's
    /// `importMime`).
    pub draft: bool,
}

/// A folder in `GET /sim/mailboxes` (fields in alphabetical order, as the JSON has always had them).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FolderView {
    /// Items, sorted.
    pub items: Vec<ItemView>,
    /// Name.
    pub name: String,
}

/// A mailbox in `GET /sim/mailboxes`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MailboxView {
    /// Primary address (`mail`).
    pub address: String,
    /// Folders sorted by name.
    pub folders: Vec<FolderView>,
    /// The user's userPrincipalName (the key of `GET /graph/v1.0/users/{upn}`).
    pub upn: String,
}

/// Every mailbox (disabled users have theirs, as in Exchange), sorted by address; folders by name; items by (id, sha256).
pub fn mailbox_views(tenant: &Tenant, archive: &Archive) -> Vec<MailboxView> {
    tenant.read(|t| views(t, archive))
}

fn views(tenant: &Contents, archive: &Archive) -> Vec<MailboxView> {
    let mut out: Vec<MailboxView> = tenant
        .mailboxes
        .all()
        .map(|m| {
            let mut folders: Vec<FolderView> = m
                .folders
                .iter()
                .map(|f| {
                    let mut items: Vec<ItemView> = f
                        .messages
                        .iter()
                        .map(|x| ItemView {
                            id: x.archive_id(archive).map(str::to_string),
                            sha256: x.sha256_hex(),
                            size: x.size,
                            foreign: x.internet_message_id(archive).is_some_and(|m| is_foreign(&m)),
                            draft: x.draft,
                        })
                        .collect();
                    items.sort();
                    FolderView { name: f.name.clone(), items }
                })
                .collect();
            folders.sort_by(|a, b| a.name.cmp(&b.name));
            MailboxView { address: m.address.clone(), folders, upn: m.upn.clone() }
        })
        .collect();
    out.sort_by_key(|m| tm_contract::address_key(&m.address));
    out
}
