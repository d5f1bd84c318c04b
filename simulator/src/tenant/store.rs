//! The tenant as one store: the directory, every mailbox's folders and messages, the bytes of
//! imported messages that are no archive item, Graph's rate windows, and the data directory that
//! keeps them. Every change goes through a method here, and each is written to the data
//! directory before memory changes (a failed write leaves the tenant as it was): "disk first" is
//! [`Tenant::write_through`], once.

use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;

use super::data_dir::{DataDir, DataDirError, Restored};
use super::directory::Directory;
use super::mailboxes::{Blobs, Content, CreateFolderError, FolderView, Mailboxes, Message, Sha256, local_part_at};
use super::quota::{MailboxSettings, QuotaExceeded};
use super::rate::Rates;
use crate::world::archive::Archive;
use crate::world::render::Rendered;

/// The domain of the `Message-ID`s of messages another program writes (the `foreign_write` fault).
pub const FOREIGN_DOMAIN: &str = "foreign.tenant.sim";

/// Whether a `Message-ID` is one of a foreign write's.
pub fn is_foreign(internet_message_id: &str) -> bool {
    local_part_at(internet_message_id, FOREIGN_DOMAIN).is_some()
}

/// What the mailboxes hold.
#[derive(Debug)]
pub struct Contents {
    /// Mailbox contents (metadata).
    pub mailboxes: Mailboxes,
    /// Bytes of imported messages that are no archive item, once per content (without a data
    /// directory; with one they are in its database).
    pub blobs: Blobs,
}

/// The tenant store.
#[derive(Debug)]
pub struct Tenant {
    /// The directory (immutable).
    pub directory: Directory,
    contents: Mutex<Contents>,
    data_dir: Option<Arc<DataDir>>,
    /// Mailboxes' use of Graph's rate limits.
    pub rates: Rates,
    /// Each mailbox's quota and language.
    settings: MailboxSettings,
}

/// Why a change was not stored.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The folder is not (or no longer) in the mailbox.
    #[error("the folder is not in the mailbox")]
    NoFolder,
    /// The data directory could not be written.
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    /// The message would take the mailbox over its quota (nothing was stored).
    #[error(transparent)]
    QuotaExceeded(#[from] QuotaExceeded),
}

/// Why a folder was not created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// One of that name exists.
    #[error("a folder of that name exists")]
    Exists,
    /// The data directory could not be written.
    #[error(transparent)]
    DataDir(#[from] DataDirError),
}

/// Why a message was not moved.
#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    /// No such message (in that folder, when one was named).
    #[error("the message is not in the mailbox")]
    NoMessage,
    /// The destination is no folder of the mailbox.
    #[error("the destination is not a folder of the mailbox")]
    NoDestination,
    /// The data directory could not be written.
    #[error(transparent)]
    DataDir(#[from] DataDirError),
}

/// A moved message: where it is now, under its new id.
#[derive(Debug, Clone)]
pub struct Moved {
    /// The destination's id.
    pub folder_id: String,
    /// The message as it is now (its new number).
    pub message: Message,
}

/// A stored message, as its answer names it.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The folder's display name.
    pub folder_name: String,
    /// The message's Graph id.
    pub id: String,
    /// Its `internetMessageId`.
    pub internet_message_id: String,
    /// sha256 of its bytes, hex.
    pub sha256_hex: String,
    /// A draft, or final.
    pub draft: bool,
    /// When it was created, epoch milliseconds.
    pub created_ms: i64,
}

/// What a stored message's bytes are, ready to be sent.
pub enum MessageBytes {
    /// Rendered again from the archive item (streamable).
    Rendered(Rendered),
    /// Kept bytes.
    Kept(Bytes),
}

impl MessageBytes {
    /// All the bytes at once.
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            MessageBytes::Rendered(r) => r.to_vec(),
            MessageBytes::Kept(b) => b.to_vec(),
        }
    }
}

/// A message's `internetMessageId`: its `Message-ID`, or one Exchange would make up.
pub fn internet_message_id(m: &Message, archive: &Archive, id: &str) -> String {
    m.internet_message_id(archive).unwrap_or_else(|| format!("<{id}@tenant.sim>"))
}

impl Tenant {
    /// The tenant of a directory, empty mailboxes, and (with a data directory) what it holds put
    /// back; returns what was restored.
    /// Each mailbox has its quota and language (the scenario's
    /// [`FailureModes`](crate::world::scenario::FailureModes) resolved by
    /// [`MailboxSettings::new`]); the mailboxes' sizes are counted as their messages are put back.
    pub fn open_with(
        directory: Directory,
        data_dir: Option<Arc<DataDir>>,
        archive: &Archive,
        settings: MailboxSettings,
    ) -> Result<(Tenant, Restored), DataDirError> {
        let mut mailboxes = Mailboxes::with_settings(&directory, &settings);
        let restored = match &data_dir {
            Some(d) => d.restore(&mut mailboxes, archive)?,
            None => Restored::default(),
        };
        let contents = Mutex::new(Contents { mailboxes, blobs: Blobs::default() });
        Ok((Tenant { directory, contents, data_dir, rates: Rates::default(), settings }, restored))
    }

    /// The data directory, with `--data-dir`.
    pub fn data_dir(&self) -> Option<&Arc<DataDir>> {
        self.data_dir.as_ref()
    }

    fn lock(&self) -> MutexGuard<'_, Contents> {
        self.contents.lock().expect("tenant lock")
    }

    /// Read access to the mailboxes; every import and listing waits while it is held: hold it
    /// briefly (changes go through the methods below).
    pub fn contents(&self) -> impl std::ops::Deref<Target = Contents> + '_ {
        self.lock()
    }

    /// Reads the mailboxes (every import and listing waits while `f` runs: keep it short).
    pub fn read<R>(&self, f: impl FnOnce(&Contents) -> R) -> R {
        f(&self.lock())
    }

    /// Changes the mailboxes directly, past the quota and the data directory: only to put back
    /// a recorded tenant (an offline observation, `observe/offline.rs`).
    pub fn put_back<R>(&self, f: impl FnOnce(&mut Contents) -> R) -> R {
        f(&mut self.lock())
    }

    /// Stores `message` in a folder: numbered, written to the data directory (with `kept`, its
    /// bytes when they are no archive item's) before memory changes.
    fn write_through<'a>(
        &self,
        contents: &'a mut Contents,
        archive: &Archive,
        (user_id, folder_id): (&str, &str),
        mut message: Message,
        kept: Option<Bytes>,
    ) -> Result<(String, &'a Message), StoreError> {
        let Some((number, _)) = contents.mailboxes.next(user_id, folder_id) else { return Err(StoreError::NoFolder) };
        if let Some(d) = &self.data_dir {
            message.number = number;
            let item_id = match message.content {
                Content::Archive(i) => Some(archive.items()[i as usize].spec.id.as_str()),
                _ => None,
            };
            d.message_imported(archive, user_id, folder_id, &message, item_id, kept.as_deref())?;
        } else if let Some(kept) = kept {
            contents.blobs.add(message.sha256, || kept);
        }
        contents.mailboxes.import(user_id, folder_id, message).ok_or(StoreError::NoFolder)
    }

    /// Imports a message into a folder (by id or well-known name); refused, with nothing stored,
    /// when it would take the mailbox over its quota.
    pub fn import(
        &self,
        archive: &Archive,
        user_id: &str,
        folder_id: &str,
        message: Message,
        kept: Option<Bytes>,
    ) -> Result<Imported, StoreError> {
        let mut contents = self.lock();
        if let Some(mailbox) = contents.mailboxes.get(user_id) {
            self.settings.admit(user_id, mailbox, message.size)?;
        }
        let (folder_name, m) = self.write_through(&mut contents, archive, (user_id, folder_id), message, kept)?;
        let id = m.id(user_id);
        let internet_message_id = internet_message_id(m, archive, &id);
        Ok(Imported { folder_name, internet_message_id, sha256_hex: m.sha256_hex(), id, draft: m.draft, created_ms: m.created_ms })
    }

    /// Moves message `number` of a mailbox (only from folder `from`, an id or well-known name,
    /// when given) into folder `to` (an id or well-known name): it gets the mailbox's next
    /// number, hence a new id, and the old one is gone, as Graph's move has it
    /// (<https://learn.microsoft.com/graph/api/message-move>). Written to the data directory
    /// before memory changes.
    pub fn move_message(&self, user_id: &str, number: u32, from: Option<&str>, to: &str) -> Result<Moved, MoveError> {
        let mut contents = self.lock();
        let mailbox = contents.mailboxes.get(user_id).ok_or(MoveError::NoMessage)?;
        let (source, _) = contents.mailboxes.locate(user_id, number).ok_or(MoveError::NoMessage)?;
        if from.is_some_and(|key| mailbox.folder(key).is_none_or(|f| f.id != source.id)) {
            return Err(MoveError::NoMessage);
        }
        let to = mailbox.folder(to).map(|f| f.id.clone()).ok_or(MoveError::NoDestination)?;
        let (new_number, _) = contents.mailboxes.next(user_id, &to).ok_or(MoveError::NoDestination)?;
        if let Some(d) = &self.data_dir {
            d.message_moved(user_id, number, &to, new_number)?;
        }
        let (_, message) = contents.mailboxes.relocate(user_id, number, &to, new_number).ok_or(MoveError::NoMessage)?;
        Ok(Moved { message: message.clone(), folder_id: to })
    }

    /// Creates a top-level folder (written through to the data directory).
    pub fn create_folder(&self, user_id: &str, name: &str) -> Result<FolderView, CreateError> {
        let mut contents = self.lock();
        let view = contents.mailboxes.create_folder(user_id, name).map_err(|CreateFolderError::Exists| CreateError::Exists)?;
        if let Some(d) = &self.data_dir
            && let Err(e) = d.folder_created(user_id, &view.id, &view.display_name)
        {
            contents.mailboxes.forget_folder(user_id, &view.id);
            return Err(e.into());
        }
        Ok(view)
    }

    /// The scenario's `foreign_write` fault: another program (a retention tool, a second
    /// connector) writes a message of its own into the mailbox's `WeChat Archiver`, when that
    /// folder exists. Its bytes depend only on the mailbox, the message's number and `date`, so a
    /// run is repeatable. Returns the message's `Message-ID`, or `None` when nothing was written.
    pub fn foreign_write(&self, archive: &Archive, user_id: &str, mail: &str, (date, created_ms): (&str, i64)) -> Option<String> {
        use sha2::Digest as _;
        let mut contents = self.lock();
        let mailbox = contents.mailboxes.get(user_id)?;
        let folder = mailbox.folders.iter().find(|f| f.name == super::FOLDER_NAME).map(|f| f.id.clone())?;
        let (number, _) = contents.mailboxes.next(user_id, &folder)?;
        let id = format!("<note-{number}.{}@{FOREIGN_DOMAIN}>", &user_id[..8]);
        let bytes = Bytes::from(format!(
            "From: Records Team <records@{FOREIGN_DOMAIN}>\r\nTo: <{mail}>\r\nSubject: Retention notice {number}\r\nDate: {date}\r\n\
             Message-ID: {id}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
             Written into this folder by another program, not by the connector.\r\n"
        ));
        let sha256: Sha256 = sha2::Sha256::digest(&bytes).into();
        let message = Message::new(Content::Blob, None, Some(id.clone()), sha256, bytes.len() as u64).made(true, created_ms);
        match self.write_through(&mut contents, archive, (user_id, &folder), message, Some(bytes)) {
            Ok(_) => Some(id),
            Err(e) => {
                tracing::error!(mailbox = mail, error = %e, "a foreign write could not be stored in the data directory");
                None
            }
        }
    }

    /// Empties every mailbox again (and the data directory's copy): the memory they held is freed.
    pub fn reset(&self) -> Result<(), DataDirError> {
        let mut contents = self.lock();
        if let Some(d) = &self.data_dir {
            d.clear()?;
        }
        *contents = Contents { mailboxes: Mailboxes::with_settings(&self.directory, &self.settings), blobs: Blobs::default() };
        Ok(())
    }

    /// The bytes of a stored message: rendered from its archive item, or as kept; `None` when
    /// they were not kept.
    pub fn message_bytes(&self, archive: &Archive, message: &Message) -> Result<Option<MessageBytes>, DataDirError> {
        Ok(match message.content {
            Content::Archive(i) => Some(MessageBytes::Rendered(archive.render(&archive.items()[i as usize]))),
            Content::Blob => {
                let kept = match &self.data_dir {
                    Some(d) => d.blob(&message.sha256)?,
                    None => self.lock().blobs.get(&message.sha256),
                };
                kept.map(MessageBytes::Kept)
            }
            Content::Dropped => None,
        })
    }
}
