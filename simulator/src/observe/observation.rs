//! An owned, read-only view of a running simulator for those who judge it (the suite, tests,
//! benchmarks): the world it generated, the tenant's directory, and — as they were when it was
//! taken — every mailbox, the journal and the access log.

use std::sync::Arc;

use super::access_log::Logged;
use super::journal::Entry;
use crate::state::State;
use crate::tenant::directory::Directory;
use crate::tenant::mailboxes::Message;
use crate::tenant::views::{MailboxView, mailbox_views};
use crate::world::World;

/// What was seen of a simulator at one moment.
#[derive(Debug, Clone)]
pub struct Observation {
    world: Arc<World>,
    tenant: Arc<crate::tenant::store::Tenant>,
    /// Every mailbox, sorted by address (as `GET /sim/mailboxes`).
    pub mailboxes: Vec<MailboxView>,
    /// The journal's entries kept in memory, oldest first.
    pub journal: Vec<Entry>,
    /// The access log's requests kept in memory, in arrival order.
    pub requests: Vec<Logged>,
}

/// One stored message with its mailbox and folder.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    /// The mailbox's primary address.
    pub mailbox: String,
    /// The folder's display name.
    pub folder: String,
    /// The message's bytes (`None` when they were not kept).
    pub bytes: Option<Vec<u8>>,
    /// The archive item it is, when its bytes are one's exactly.
    pub archive_id: Option<String>,
    /// A draft (`isDraft`), or a message in its final state.
    pub is_draft: bool,
}

impl Observation {
    pub(crate) fn of(state: Arc<State>) -> Observation {
        let mailboxes = mailbox_views(&state.tenant, &state.world.archive);
        let journal = state.journal.lock().expect("journal lock").entries().cloned().collect();
        let requests = state.requests.entries();
        Observation { world: state.world.clone(), tenant: state.tenant.clone(), mailboxes, journal, requests }
    }

    /// An observation of a world and a tenant put together elsewhere (offline, `offline.rs`).
    pub(super) fn assemble(
        world: Arc<World>,
        tenant: Arc<crate::tenant::store::Tenant>,
        journal: Vec<Entry>,
        requests: Vec<Logged>,
    ) -> Observation {
        let mailboxes = mailbox_views(&tenant, &world.archive);
        Observation { world, tenant, mailboxes, journal, requests }
    }

    /// The tenant store observed.
    pub(super) fn tenant(&self) -> &crate::tenant::store::Tenant {
        &self.tenant
    }

    /// The scenario and its archive.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The tenant's directory.
    pub fn directory(&self) -> &Directory {
        &self.tenant.directory
    }

    /// Every message stored in a folder named `folder` (every folder: `None`), with its bytes,
    /// by mailbox address then folder then arrival.
    pub fn messages(&self, folder: Option<&str>) -> Vec<StoredMessage> {
        let archive = &self.world.archive;
        let held: Vec<(String, String, Message)> = self.tenant.read(|t| {
            t.mailboxes
                .all()
                .flat_map(|m| m.folders.iter().map(move |f| (m, f)))
                .filter(|(_, f)| folder.is_none_or(|name| f.name == name))
                .flat_map(|(m, f)| f.messages.iter().map(move |x| (m.address.clone(), f.name.clone(), x.clone())))
                .collect()
        });
        let mut out: Vec<StoredMessage> = held
            .into_iter()
            .map(|(mailbox, folder, m)| StoredMessage {
                bytes: self.tenant.message_bytes(archive, &m).ok().flatten().map(|b| b.to_vec()),
                archive_id: m.archive_id(archive).map(str::to_string),
                is_draft: m.draft,
                mailbox,
                folder,
            })
            .collect();
        out.sort_by(|a, b| tm_contract::address_key(&a.mailbox).cmp(&tm_contract::address_key(&b.mailbox)).then(a.folder.cmp(&b.folder)));
        out
    }
}
