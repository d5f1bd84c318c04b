//! The tenant as recorded evidence, and an [`Observation`] rebuilt from it offline.
//!
//! A judge reads a run through an [`Observation`]: the world, the directory, the mailboxes, the
//! journal and the access log. To judge a run again later (a certification bundle's `verify`),
//! the observation is rebuilt without a listener: the world is generated again from the
//! scenario (it is deterministic), the directory follows from the world (runs never change it),
//! and the mailboxes are put back from a [`RecordedTenant`]. A recorded message that is an
//! archive item's bytes exactly names the item (its bytes are rendered again from the world);
//! any other message keeps its sha256, and its bytes travel beside the record, so that a record
//! of a conforming run holds no message bytes at all.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::access_log::Logged;
use super::journal::Entry;
use super::observation::Observation;
use crate::tenant::directory::Directory;
use crate::tenant::mailboxes::{Content, Message, folder_id};
use crate::tenant::quota::MailboxSettings;
use crate::tenant::store::{Contents, Tenant};
use crate::world::World;

/// Every mailbox of a tenant with its folders and messages, as evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedTenant {
    /// The mailboxes, by primary address (lowercase order, as the views).
    pub mailboxes: Vec<RecordedMailbox>,
}

/// One mailbox of a [`RecordedTenant`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedMailbox {
    /// Primary address.
    pub address: String,
    /// Its folders in creation order (the default ones included, empty ones too).
    pub folders: Vec<RecordedFolder>,
}

/// One folder of a [`RecordedMailbox`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedFolder {
    /// Display name.
    pub name: String,
    /// Hidden (`isHidden`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
    /// Its messages in import order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<RecordedMessage>,
}

/// One stored message of a [`RecordedFolder`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedMessage {
    /// Its number in the mailbox (1-based, import order).
    pub number: u32,
    /// A draft, or a message in its final state.
    pub draft: bool,
    /// When the tenant created it, epoch milliseconds.
    pub created_ms: i64,
    /// What its bytes are.
    pub body: RecordedBody,
}

/// What a recorded message's bytes are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordedBody {
    /// The bytes of this archive item, exactly (rendered again from the world).
    Archive {
        /// The item's `X-TELEMESSAGE-ArchiveMessageID`.
        item: String,
    },
    /// Other bytes: kept beside the record under their sha256 (`kept`), or not kept at all.
    Other {
        /// Lowercase hex sha256 of the bytes.
        sha256: String,
        /// Their size.
        size: u64,
        /// Whether the bytes were kept (the simulator keeps them unless told not to).
        kept: bool,
        /// `X-TELEMESSAGE-ArchiveMessageID` they carry, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        archive_id: Option<String>,
        /// `Message-ID` they carry (brackets included), if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        internet_message_id: Option<String>,
    },
}

/// Why a recorded tenant cannot be put back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfflineError {
    /// A mailbox the scenario's directory does not have.
    #[error("mailbox {0}: no such mailbox in the scenario's tenant")]
    NoMailbox(String),
    /// An archive item the world does not have.
    #[error("mailbox {mailbox}, folder {folder}: message {number} names item `{item}`, which the archive does not have")]
    NoItem {
        /// The mailbox.
        mailbox: String,
        /// The folder.
        folder: String,
        /// The message's number.
        number: u32,
        /// The item named.
        item: String,
    },
    /// Kept bytes that are missing or are not what the record says.
    #[error("mailbox {mailbox}, folder {folder}: message {number}: {why}")]
    Bytes {
        /// The mailbox.
        mailbox: String,
        /// The folder.
        folder: String,
        /// The message's number.
        number: u32,
        /// What is wrong.
        why: String,
    },
}

/// A recorded tenant and the bytes of its messages that are no archive item's, by sha256.
pub type Recorded = (RecordedTenant, BTreeMap<String, Vec<u8>>);

impl Observation {
    /// The tenant as evidence: every mailbox, folder and message, and the bytes of the messages
    /// that are no archive item's (by lowercase hex sha256).
    pub fn record_tenant(&self) -> Recorded {
        let archive = &self.world().archive;
        let tenant = self.tenant();
        let mut kept = BTreeMap::new();
        let mut mailboxes: Vec<RecordedMailbox> = tenant.read(|t| {
            t.mailboxes
                .all()
                .map(|m| RecordedMailbox {
                    address: m.address.clone(),
                    folders: m
                        .folders
                        .iter()
                        .map(|f| RecordedFolder {
                            name: f.name.clone(),
                            hidden: f.hidden,
                            messages: f.messages.iter().map(|x| record(x, archive)).collect(),
                        })
                        .collect(),
                })
                .collect()
        });
        mailboxes.sort_by_key(|m| tm_contract::address_key(&m.address));
        let blobs: Vec<Message> = tenant.read(|t| {
            t.mailboxes.all().flat_map(|m| &m.folders).flat_map(|f| &f.messages).filter(|m| m.content == Content::Blob).cloned().collect()
        });
        for m in blobs {
            if let Ok(Some(bytes)) = tenant.message_bytes(archive, &m) {
                kept.insert(m.sha256_hex(), bytes.to_vec());
            }
        }
        (RecordedTenant { mailboxes }, kept)
    }

    /// An observation rebuilt offline: the world (generated again from the scenario), a tenant
    /// put back from `recorded` (with the kept bytes `kept`, by sha256), and the journal and
    /// access log as recorded. Its `mailboxes` are computed from the tenant put back.
    pub fn offline(
        world: Arc<World>,
        recorded: &RecordedTenant,
        kept: &BTreeMap<String, Vec<u8>>,
        journal: Vec<Entry>,
        requests: Vec<Logged>,
    ) -> Result<Observation, OfflineError> {
        let directory = Directory::new(&world.archive.population.users);
        let settings = MailboxSettings::new(&world.scenario.failure_modes, &directory);
        let (tenant, _) = Tenant::open_with(directory, None, &world.archive, settings).expect("a tenant without a data directory opens");
        for mailbox in &recorded.mailboxes {
            restore(&tenant, &world, mailbox, kept)?;
        }
        Ok(Observation::assemble(world, Arc::new(tenant), journal, requests))
    }
}

fn record(m: &Message, archive: &crate::world::archive::Archive) -> RecordedMessage {
    let body = match m.content {
        Content::Archive(_) => RecordedBody::Archive { item: m.archive_id(archive).unwrap_or_default().to_string() },
        Content::Blob | Content::Dropped => RecordedBody::Other {
            sha256: m.sha256_hex(),
            size: m.size,
            kept: m.content == Content::Blob,
            archive_id: m.archive_id(archive).map(str::to_string),
            internet_message_id: m.internet_message_id(archive),
        },
    };
    RecordedMessage { number: m.number, draft: m.draft, created_ms: m.created_ms, body }
}

fn restore(tenant: &Tenant, world: &World, mailbox: &RecordedMailbox, kept: &BTreeMap<String, Vec<u8>>) -> Result<(), OfflineError> {
    let Some((user, _)) = tenant.directory.by_any_address(&mailbox.address) else {
        return Err(OfflineError::NoMailbox(mailbox.address.clone()));
    };
    let user_id = user.id.clone();
    tenant.put_back(|contents| restore_into(contents, &user_id, world, mailbox, kept))
}

fn restore_into(
    contents: &mut Contents,
    user_id: &str,
    world: &World,
    mailbox: &RecordedMailbox,
    kept: &BTreeMap<String, Vec<u8>>,
) -> Result<(), OfflineError> {
    let archive = &world.archive;
    let user_id = user_id.to_string();
    if contents.mailboxes.get(&user_id).is_none() {
        return Err(OfflineError::NoMailbox(mailbox.address.clone()));
    }
    for folder in &mailbox.folders {
        let existing =
            contents.mailboxes.get(&user_id).and_then(|m| m.folders.iter().find(|f| f.name == folder.name)).map(|f| f.id.clone());
        let id = match existing {
            Some(id) => id,
            None => {
                let id = folder_id(&user_id, &folder.name);
                contents.mailboxes.restore_folder(&user_id, &id, &folder.name);
                id
            }
        };
        for m in &folder.messages {
            let at =
                |why: String| OfflineError::Bytes { mailbox: mailbox.address.clone(), folder: folder.name.clone(), number: m.number, why };
            let message = match &m.body {
                RecordedBody::Archive { item } => {
                    let Some(position) = archive.position(item) else {
                        return Err(OfflineError::NoItem {
                            mailbox: mailbox.address.clone(),
                            folder: folder.name.clone(),
                            number: m.number,
                            item: item.clone(),
                        });
                    };
                    let it = &archive.items()[position];
                    let sha256 = decode_sha256(&archive.sha256(it)).map_err(at)?;
                    Message::new(Content::Archive(position as u32), None, None, sha256, archive.size(it))
                }
                RecordedBody::Other { sha256, size, kept: was_kept, archive_id, internet_message_id } => {
                    let digest = decode_sha256(sha256).map_err(at)?;
                    let content = if *was_kept {
                        let bytes = kept.get(sha256).ok_or_else(|| at(format!("its bytes (sha256 {sha256}) are not in the record")))?;
                        let found = hex::encode(Sha256::digest(bytes));
                        if found != *sha256 || bytes.len() as u64 != *size {
                            return Err(at(format!(
                                "its bytes have sha256 {found} and {} bytes; the record says {sha256}, {size} bytes",
                                bytes.len()
                            )));
                        }
                        contents.blobs.add(digest, || bytes::Bytes::from(bytes.clone()));
                        Content::Blob
                    } else {
                        Content::Dropped
                    };
                    Message::new(content, archive_id.clone(), internet_message_id.clone(), digest, *size)
                }
            };
            let mut message = message.made(m.draft, m.created_ms);
            message.number = m.number;
            contents.mailboxes.restore_message(&user_id, &id, message);
        }
    }
    Ok(())
}

fn decode_sha256(text: &str) -> Result<[u8; 32], String> {
    let bytes = hex::decode(text).map_err(|e| format!("sha256 `{text}`: {e}"))?;
    bytes.try_into().map_err(|_| format!("sha256 `{text}`: not 32 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::scenario::Scenario;

    use crate::world::scenario::MINIMAL as SMALL;

    #[test]
    fn a_recorded_tenant_round_trips_as_json() {
        let t = RecordedTenant {
            mailboxes: vec![RecordedMailbox {
                address: "a@b.c".into(),
                folders: vec![RecordedFolder {
                    name: "WeChat Archiver".into(),
                    hidden: false,
                    messages: vec![
                        RecordedMessage { number: 1, draft: false, created_ms: 5, body: RecordedBody::Archive { item: "x-1".into() } },
                        RecordedMessage {
                            number: 2,
                            draft: true,
                            created_ms: 6,
                            body: RecordedBody::Other {
                                sha256: "00".repeat(32),
                                size: 3,
                                kept: true,
                                archive_id: None,
                                internet_message_id: Some("<a@b>".into()),
                            },
                        },
                    ],
                }],
            }],
        };
        let text = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<RecordedTenant>(&text).unwrap(), t);
    }

    #[test]
    fn an_unknown_mailbox_or_item_is_refused_by_name() {
        let world = Arc::new(World::generate(Scenario::from_toml_str(SMALL, "t.toml").unwrap()).unwrap());
        let bad = RecordedTenant { mailboxes: vec![RecordedMailbox { address: "nobody@nowhere.invalid".into(), folders: vec![] }] };
        let e = Observation::offline(world.clone(), &bad, &BTreeMap::new(), vec![], vec![]).unwrap_err();
        assert!(e.to_string().contains("nobody@nowhere.invalid"), "{e}");
        let fresh = Observation::offline(world, &RecordedTenant::default(), &BTreeMap::new(), vec![], vec![]).unwrap();
        let (recorded, kept) = fresh.record_tenant();
        assert!(kept.is_empty());
        assert!(!recorded.mailboxes.is_empty());
        assert!(recorded.mailboxes.iter().all(|m| m.folders.iter().all(|f| f.messages.is_empty())));
    }

    #[test]
    fn a_tenant_put_back_shows_what_was_recorded() {
        let world = Arc::new(World::generate(Scenario::from_toml_str(SMALL, "t.toml").unwrap()).unwrap());
        let item = world.archive.items()[0].spec.id.clone();
        let other = b"Message-ID: <x@y>\r\n\r\nhello".to_vec();
        let sha = hex::encode(Sha256::digest(&other));
        let message = |number, body| RecordedMessage { number, draft: false, created_ms: 1, body };
        let recorded = RecordedTenant {
            mailboxes: vec![RecordedMailbox {
                address: "a@contoso.cn".into(),
                folders: vec![RecordedFolder {
                    name: "WeChat Archiver".into(),
                    hidden: false,
                    messages: vec![
                        message(1, RecordedBody::Archive { item: item.clone() }),
                        message(
                            2,
                            RecordedBody::Other {
                                sha256: sha.clone(),
                                size: other.len() as u64,
                                kept: true,
                                archive_id: None,
                                internet_message_id: Some("<x@y>".into()),
                            },
                        ),
                    ],
                }],
            }],
        };
        let kept = BTreeMap::from([(sha.clone(), other.clone())]);
        let seen = Observation::offline(world.clone(), &recorded, &kept, vec![], vec![]).unwrap();
        let folder = seen.mailboxes[0].folders.iter().find(|f| f.name == "WeChat Archiver").unwrap();
        assert_eq!(folder.items.len(), 2);
        assert!(
            folder
                .items
                .iter()
                .any(|i| i.id.as_deref() == Some(item.as_str()) && i.sha256 == world.archive.sha256(&world.archive.items()[0]))
        );
        let (again, kept_again) = seen.record_tenant();
        let mailbox = again.mailboxes.iter().find(|m| m.address == "a@contoso.cn").unwrap();
        assert_eq!(
            mailbox.folders.iter().find(|f| f.name == "WeChat Archiver").unwrap().messages,
            recorded.mailboxes[0].folders[0].messages
        );
        assert_eq!(kept_again, kept);
        let wrong = BTreeMap::from([(sha, b"other bytes".to_vec())]);
        let e = Observation::offline(world, &recorded, &wrong, vec![], vec![]).unwrap_err();
        assert!(e.to_string().contains("message 2"), "{e}");
    }
}
