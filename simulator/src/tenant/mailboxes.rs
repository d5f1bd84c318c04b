//! Mailbox contents: top-level folders and the messages imported into them.
//!
//! What stays per delivery is metadata (ids, digest, size, where the bytes are): a message whose
//! bytes are those of an archive item refers to that item ([`Content::Archive`]) and its bytes are
//! rendered again when someone reads them; any other bytes are kept once per distinct content in
//! [`Blobs`], however many mailboxes hold them. So the tenant's memory grows with the number of
//! deliveries (tens of bytes each), not with the bytes imported.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use serde::Serialize;

use super::DEFAULT_FOLDERS;
use super::directory::Directory;
use super::quota::MailboxSettings;
use crate::world::archive::Archive;

/// A sha256 digest.
pub type Sha256 = [u8; 32];

/// A folder as Graph shows it: the mailFolder resource
/// (<https://learn.microsoft.com/graph/api/resources/mailfolder>). Folders here have no child
/// folders; drafts count as read, final messages (beta's `importMime`) as unread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FolderView {
    /// Folder id.
    pub id: String,
    /// Name.
    pub display_name: String,
    /// The parent's id (the mailbox root's for a top-level folder).
    pub parent_folder_id: String,
    /// Child folders.
    pub child_folder_count: u64,
    /// Unread messages in it.
    pub unread_item_count: u64,
    /// Messages in it.
    pub total_item_count: u64,
    /// Whether it is hidden (listed only with `includeHiddenFolders=true`).
    pub is_hidden: bool,
}

/// Where a message's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// Identical to the archive item at this position: rendered again on demand.
    Archive(u32),
    /// In the blob store, under the message's sha256.
    Blob,
    /// Not kept (the simulator was told not to keep bodies).
    Dropped,
}

/// An imported message: what stays per delivery. A message whose bytes are an archive item's
/// holds no strings (its ids are the item's): ~90 bytes.
#[derive(Debug, Clone)]
pub struct Message {
    /// Its number in the mailbox (1-based, in import order); the Graph id is derived from it.
    pub number: u32,
    /// `X-TELEMESSAGE-ArchiveMessageID` of bytes that are no archive item's, when they carry one.
    archive_id: Option<Box<str>>,
    /// `Message-ID` (brackets included) of bytes that are no archive item's, when they carry one.
    internet_message_id: Option<Box<str>>,
    /// sha256 of the raw MIME.
    pub sha256: Sha256,
    /// Raw MIME size.
    pub size: u64,
    /// Where its bytes are.
    pub content: Content,
    /// A draft (`isDraft`): what Graph's MIME create makes ("always creates a draft",
    /// <https://learn.microsoft.com/graph/api/user-post-messages>); `false` for a message in its
    /// final state (beta's `importMime`, <https://learn.microsoft.com/graph/api/mailfolder-importmime?view=graph-rest-beta>).
    pub draft: bool,
    /// When the tenant created it, epoch milliseconds (its `createdDateTime`; see
    /// `message_resource`).
    pub created_ms: i64,
}

impl Message {
    /// A message not yet numbered; the ids are dropped when the bytes are an archive item's
    /// (they are the item's).
    pub fn new(content: Content, archive_id: Option<String>, internet_message_id: Option<String>, sha256: Sha256, size: u64) -> Message {
        let (archive_id, internet_message_id) = match content {
            Content::Archive(_) => (None, None),
            _ => (archive_id.map(Into::into), internet_message_id.filter(|m| !m.is_empty()).map(Into::into)),
        };
        Message { number: 0, archive_id, internet_message_id, sha256, size, content, draft: true, created_ms: 0 }
    }
    /// The same message, a draft or final, created at `created_ms`.
    pub fn made(self, draft: bool, created_ms: i64) -> Message {
        Message { draft, created_ms, ..self }
    }
    /// The Graph message id (`AAMkM` + the user id's first 8 characters + the number).
    pub fn id(&self, user_id: &str) -> String {
        message_id(user_id, self.number)
    }
    /// The lowercase hex sha256.
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }
    /// Its `X-TELEMESSAGE-ArchiveMessageID`, if any.
    pub fn archive_id<'a>(&'a self, archive: &'a Archive) -> Option<&'a str> {
        match self.content {
            Content::Archive(i) => Some(&archive.items()[i as usize].spec.id),
            _ => self.archive_id.as_deref(),
        }
    }
    /// Its `Message-ID`, brackets included, if any.
    pub fn internet_message_id(&self, archive: &Archive) -> Option<String> {
        match self.content {
            Content::Archive(i) => Some(crate::world::render::message_id(&archive.items()[i as usize].spec.id)),
            _ => self.internet_message_id.as_deref().map(str::to_string),
        }
    }
}

/// The Graph id of message `number` of a user's mailbox.
pub fn message_id(user_id: &str, number: u32) -> String {
    format!("AAMkM{}{number:08}", &user_id[..8.min(user_id.len())])
}

/// A folder and its messages.
#[derive(Debug, Clone)]
pub struct Folder {
    /// Folder id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Its well-known name, for the default folders.
    pub well_known: Option<&'static str>,
    /// Hidden (`isHidden`).
    pub hidden: bool,
    /// Messages, in import order.
    pub messages: Vec<Message>,
}

impl Folder {
    fn new(user_id: &str, name: &str, well_known: Option<&'static str>, hidden: bool) -> Folder {
        Folder { id: folder_id(user_id, name), name: name.to_string(), well_known, hidden, messages: Vec::new() }
    }
}

/// One user's mailbox.
#[derive(Debug, Clone)]
pub struct Mailbox {
    /// Primary address.
    pub address: String,
    /// The user's userPrincipalName.
    pub upn: String,
    /// The root folder's id (`msgfolderroot`).
    pub root_id: String,
    /// Top-level folders in creation order.
    pub folders: Vec<Folder>,
    next_message: u32,
    /// Bytes of every message it holds (raw MIME sizes).
    size: u64,
}

impl Mailbox {
    /// Bytes of every message the mailbox holds (raw MIME sizes): what its quota counts.
    pub fn size_bytes(&self) -> u64 {
        self.size
    }

    /// The folder an id or a well-known name (any case) names.
    pub fn folder(&self, key: &str) -> Option<&Folder> {
        self.folders.iter().find(|f| f.id == key || f.well_known.is_some_and(|w| w.eq_ignore_ascii_case(key)))
    }

    /// Whether an id or a well-known name (any case) names the root (`msgfolderroot`).
    pub fn is_root(&self, key: &str) -> bool {
        key == self.root_id || key.eq_ignore_ascii_case(super::ROOT_WELL_KNOWN)
    }

    /// The root folder as Graph shows it.
    pub fn root_view(&self) -> FolderView {
        FolderView {
            id: self.root_id.clone(),
            display_name: super::ROOT_NAME.to_string(),
            parent_folder_id: format!("{}AAAA", self.root_id),
            child_folder_count: self.folders.len() as u64,
            unread_item_count: 0,
            total_item_count: 0,
            is_hidden: false,
        }
    }

    /// The top-level folders as `GET mailFolders` lists them: by display name (ignoring case),
    /// hidden ones only when asked for.
    pub fn listed(&self, include_hidden: bool) -> Vec<FolderView> {
        let mut v: Vec<FolderView> = self.folders.iter().filter(|f| include_hidden || !f.hidden).map(|f| view(f, &self.root_id)).collect();
        v.sort_by(|a, b| a.display_name.to_lowercase().cmp(&b.display_name.to_lowercase()).then_with(|| a.id.cmp(&b.id)));
        v
    }

    /// One folder as Graph shows it.
    pub fn view(&self, f: &Folder) -> FolderView {
        view(f, &self.root_id)
    }
}

/// Why a folder could not be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateFolderError {
    /// A folder of that name (any case) exists.
    Exists,
}

/// Bytes kept once per distinct content, counted by the messages that hold them.
#[derive(Debug, Default, Clone)]
pub struct Blobs {
    by_digest: HashMap<Sha256, (Bytes, u64)>,
    bytes: u64,
}

impl Blobs {
    /// Keeps `bytes` (once) for one more message; true when they were new.
    pub fn add(&mut self, digest: Sha256, bytes: impl FnOnce() -> Bytes) -> bool {
        match self.by_digest.get_mut(&digest) {
            Some((_, refs)) => {
                *refs += 1;
                false
            }
            None => {
                let b = bytes();
                self.bytes += b.len() as u64;
                self.by_digest.insert(digest, (b, 1));
                true
            }
        }
    }
    /// The bytes of a digest.
    pub fn get(&self, digest: &Sha256) -> Option<Bytes> {
        self.by_digest.get(digest).map(|(b, _)| b.clone())
    }
    /// Distinct contents kept.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.by_digest.len()
    }
    /// Bytes kept.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

/// Every valid user's mailbox, by user id.
#[derive(Debug, Clone)]
pub struct Mailboxes {
    by_user: BTreeMap<String, Mailbox>,
}

/// The id of a folder: derived from the user and the name, so that it is the same in every run.
pub fn folder_id(user_id: &str, name: &str) -> String {
    let h = crate::world::generate::fxhash(&format!("{user_id}/{}", name.to_lowercase()));
    format!("AAMkF{h:016x}")
}

impl Mailboxes {
    /// Fresh mailboxes for every user with one (disabled users' too, as in Exchange): the default
    /// folders, named in each mailbox's language (their ids are the same in every language:
    /// derived from the English names), plus the scenario's extra ones.
    pub fn with_settings(directory: &Directory, settings: &MailboxSettings) -> Mailboxes {
        let mut by_user = BTreeMap::new();
        for (user, t) in directory.all().filter(|(_, t)| t.mailbox) {
            let id = &user.id;
            let locale = settings.locale(id);
            let folders = DEFAULT_FOLDERS
                .iter()
                .map(|(name, well_known)| {
                    let mut folder = Folder::new(id, name, Some(*well_known), false);
                    folder.name = locale.folder_name(well_known).unwrap_or(name).to_string();
                    folder
                })
                .chain(t.folders.iter().map(|name| Folder::new(id, name, None, false)))
                .chain(t.hidden_folders.iter().map(|name| Folder::new(id, name, None, true)))
                .collect();
            let root_id = folder_id(id, super::ROOT_WELL_KNOWN);
            by_user.insert(
                user.id.clone(),
                Mailbox { address: user.mail.clone(), upn: user.user_principal_name.clone(), root_id, folders, next_message: 1, size: 0 },
            );
        }
        Mailboxes { by_user }
    }

    /// The mailbox of a user id.
    pub fn get(&self, user_id: &str) -> Option<&Mailbox> {
        self.by_user.get(user_id)
    }

    /// Every mailbox, by user id.
    pub fn all(&self) -> impl Iterator<Item = &Mailbox> {
        self.by_user.values()
    }

    /// Messages in every mailbox.
    pub fn deliveries(&self) -> u64 {
        self.all().flat_map(|m| &m.folders).map(|f| f.messages.len() as u64).sum()
    }

    /// Creates a top-level folder.
    pub fn create_folder(&mut self, user_id: &str, name: &str) -> Result<FolderView, CreateFolderError> {
        let mailbox = self.by_user.get_mut(user_id).expect("a valid user has a mailbox");
        if mailbox.folders.iter().any(|f| f.name.to_lowercase() == name.to_lowercase()) {
            return Err(CreateFolderError::Exists);
        }
        let mut id = folder_id(user_id, name);
        while mailbox.folders.iter().any(|f| f.id == id) {
            id.push('x');
        }
        let folder = Folder { id, name: name.to_string(), well_known: None, hidden: false, messages: Vec::new() };
        let v = view(&folder, &mailbox.root_id);
        mailbox.folders.push(folder);
        Ok(v)
    }

    /// Takes back a folder just created (its creation could not be stored).
    pub fn forget_folder(&mut self, user_id: &str, folder_id: &str) {
        if let Some(m) = self.by_user.get_mut(user_id) {
            m.folders.retain(|f| f.id != folder_id || !f.messages.is_empty());
        }
    }

    /// Puts back a folder read from the data directory (its id as it was).
    pub fn restore_folder(&mut self, user_id: &str, id: &str, name: &str) -> bool {
        let Some(mailbox) = self.by_user.get_mut(user_id) else { return false };
        if !mailbox.folders.iter().any(|f| f.id == id) {
            mailbox.folders.push(Folder {
                id: id.to_string(),
                name: name.to_string(),
                well_known: None,
                hidden: false,
                messages: Vec::new(),
            });
        }
        true
    }

    /// Puts back a message read from the data directory (its number as it was).
    pub fn restore_message(&mut self, user_id: &str, folder_id: &str, message: Message) -> bool {
        let Some(mailbox) = self.by_user.get_mut(user_id) else { return false };
        let Some(folder) = mailbox.folders.iter_mut().find(|f| f.id == folder_id) else { return false };
        mailbox.next_message = mailbox.next_message.max(message.number + 1);
        mailbox.size += message.size;
        folder.messages.push(message);
        true
    }

    /// The number the next message imported into a mailbox gets, and the folder's name;
    /// `None` when the folder does not exist.
    pub fn next(&self, user_id: &str, folder_id: &str) -> Option<(u32, &str)> {
        let mailbox = self.by_user.get(user_id)?;
        let folder = mailbox.folders.iter().find(|f| f.id == folder_id)?;
        Some((mailbox.next_message, &folder.name))
    }

    /// Stores a message in a folder, numbering it; `None` when the folder does not exist.
    pub fn import(&mut self, user_id: &str, folder_id: &str, mut message: Message) -> Option<(String, &Message)> {
        let mailbox = self.by_user.get_mut(user_id)?;
        let n = mailbox.next_message;
        let folder = mailbox.folders.iter_mut().find(|f| f.id == folder_id)?;
        mailbox.next_message += 1;
        mailbox.size += message.size;
        message.number = n;
        folder.messages.push(message);
        Some((folder.name.clone(), folder.messages.last().expect("just pushed")))
    }

    /// Where message `number` of a mailbox is: its folder's id and the message.
    pub fn locate(&self, user_id: &str, number: u32) -> Option<(&Folder, &Message)> {
        self.by_user.get(user_id)?.folders.iter().find_map(|f| f.messages.iter().find(|m| m.number == number).map(|m| (f, m)))
    }

    /// Moves message `number` into folder `to` (by id) under the number `new_number` (the
    /// mailbox's next, see [`Mailboxes::next`]): Graph's move makes a new item in the
    /// destination and removes the original (<https://learn.microsoft.com/graph/api/message-move>).
    /// Returns the destination's name and the moved message; `None` when either is missing.
    pub fn relocate(&mut self, user_id: &str, number: u32, to: &str, new_number: u32) -> Option<(String, &Message)> {
        let mailbox = self.by_user.get_mut(user_id)?;
        let to_index = mailbox.folders.iter().position(|f| f.id == to)?;
        let (from_index, at) =
            mailbox.folders.iter().enumerate().find_map(|(i, f)| f.messages.iter().position(|m| m.number == number).map(|p| (i, p)))?;
        let mut message = mailbox.folders[from_index].messages.remove(at);
        message.number = new_number;
        mailbox.next_message = mailbox.next_message.max(new_number + 1);
        let folder = &mut mailbox.folders[to_index];
        folder.messages.push(message);
        Some((folder.name.clone(), folder.messages.last().expect("just pushed")))
    }

    /// The first message of a mailbox with this ArchiveMessageID.
    pub fn find_archive_id(&self, user_id: &str, archive_id: &str, archive: &Archive) -> Option<&Message> {
        self.by_user.get(user_id)?.folders.iter().flat_map(|f| &f.messages).find(|m| m.archive_id(archive) == Some(archive_id))
    }
}

fn view(f: &Folder, root_id: &str) -> FolderView {
    let n = f.messages.len() as u64;
    // Drafts are read (`isRead` true, see `message_resource`); final messages arrive unread.
    let unread = f.messages.iter().filter(|m| !m.draft).count() as u64;
    FolderView {
        id: f.id.clone(),
        display_name: f.name.clone(),
        parent_folder_id: root_id.to_string(),
        child_folder_count: 0,
        unread_item_count: unread,
        total_item_count: n,
        is_hidden: f.hidden,
    }
}

/// The local part of a `Message-ID` (`<local@domain>`) whose domain is `domain` (any case).
pub fn local_part_at<'a>(message_id: &'a str, domain: &str) -> Option<&'a str> {
    let inner = message_id.trim().strip_prefix('<')?.strip_suffix('>')?;
    let (local, d) = inner.rsplit_once('@')?;
    d.eq_ignore_ascii_case(domain).then_some(local)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_keep_each_content_once_and_count_its_holders() {
        let mut b = Blobs::default();
        assert!(b.add([1; 32], || Bytes::from_static(b"abc")));
        assert!(!b.add([1; 32], || unreachable!("known content is not produced again")));
        assert!(b.add([2; 32], || Bytes::from_static(b"de")));
        assert_eq!((b.len(), b.bytes()), (2, 5));
        assert_eq!(b.get(&[1; 32]).as_deref(), Some(&b"abc"[..]));
        assert_eq!(b.by_digest[&[1; 32]].1, 2);
    }

    #[test]
    fn a_moved_message_has_the_next_number_in_its_new_folder_only() {
        let folder = |name: &str| Folder::new("u0000000", name, None, false);
        let (mut inbox, drafts) = (folder("Inbox"), folder("Drafts"));
        let mut message = Message::new(Content::Dropped, None, None, [0; 32], 3);
        message.number = 1;
        inbox.messages.push(message);
        let (inbox_id, drafts_id) = (inbox.id.clone(), drafts.id.clone());
        let mailbox = Mailbox {
            address: "a@b".into(),
            upn: "a@b".into(),
            root_id: "r".into(),
            folders: vec![inbox, drafts],
            next_message: 2,
            size: 3,
        };
        let mut m = Mailboxes { by_user: BTreeMap::from([("u0000000".to_string(), mailbox)]) };
        assert!(m.relocate("u0000000", 7, &drafts_id, 2).is_none(), "no such message");
        assert!(m.relocate("u0000000", 1, "nowhere", 2).is_none(), "no such folder");
        let (name, moved) = m.relocate("u0000000", 1, &drafts_id, 2).unwrap();
        assert_eq!((name.as_str(), moved.number, moved.size), ("Drafts", 2, 3));
        assert_eq!(m.locate("u0000000", 2).map(|(f, _)| f.id.clone()), Some(drafts_id));
        assert!(m.locate("u0000000", 1).is_none());
        assert!(m.get("u0000000").unwrap().folder(&inbox_id).unwrap().messages.is_empty());
        assert_eq!(m.next("u0000000", &inbox_id).map(|(n, _)| n), Some(3));
    }

    #[test]
    fn message_ids_are_derived_from_the_user_and_the_number() {
        assert_eq!(message_id("0123456789abcdef", 7), "AAMkM0123456700000007");
    }
}
