//! Mailbox contents: top-level folders and the messages imported into them.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::Serialize;

use super::DEFAULT_FOLDERS;
use super::directory::Directory;

/// A folder as Graph shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FolderView {
    /// Folder id.
    pub id: String,
    /// Name.
    pub display_name: String,
    /// Messages in it.
    pub total_item_count: u64,
}

/// An imported message.
#[derive(Debug, Clone)]
pub struct Message {
    /// Graph message id.
    pub id: String,
    /// `X-TELEMESSAGE-ArchiveMessageID`, when the message carries one.
    pub archive_id: Option<String>,
    /// `Message-ID`, brackets included.
    pub internet_message_id: String,
    /// sha256 of the raw MIME.
    pub sha256: String,
    /// Raw MIME size.
    pub size: u64,
    /// The raw MIME, unless the simulator was told not to keep bodies.
    pub raw: Option<Bytes>,
}

/// A folder and its messages.
#[derive(Debug, Clone)]
pub struct Folder {
    /// Folder id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Messages, in import order.
    pub messages: Vec<Message>,
}

/// One user's mailbox.
#[derive(Debug, Clone)]
pub struct Mailbox {
    /// Primary address.
    pub address: String,
    /// Top-level folders in creation order.
    pub folders: Vec<Folder>,
    next_message: u64,
}

/// Why a folder could not be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateFolderError {
    /// A folder of that name (any case) exists.
    Exists,
}

/// Every valid user's mailbox, by user id.
#[derive(Debug, Clone)]
pub struct Mailboxes {
    by_user: BTreeMap<String, Mailbox>,
}

fn folder_id(user_id: &str, name: &str) -> String {
    let h = crate::generate::fxhash(&format!("{user_id}/{}", name.to_lowercase()));
    format!("AAMkF{h:016x}")
}

impl Mailboxes {
    /// Fresh mailboxes for every valid user: the default folders plus the scenario's extra ones.
    pub fn new(directory: &Directory) -> Mailboxes {
        let mut by_user = BTreeMap::new();
        for (user, t) in directory.valid_users() {
            let folders = DEFAULT_FOLDERS
                .iter()
                .map(|s| s.to_string())
                .chain(t.folders.iter().cloned())
                .map(|name| Folder { id: folder_id(&user.id, &name), name, messages: Vec::new() })
                .collect();
            by_user.insert(user.id.clone(), Mailbox { address: user.mail.clone(), folders, next_message: 1 });
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

    /// The folders of a mailbox as Graph shows them.
    pub fn folders(&self, user_id: &str) -> Vec<FolderView> {
        self.by_user.get(user_id).map_or_else(Vec::new, |m| m.folders.iter().map(view).collect())
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
        let folder = Folder { id, name: name.to_string(), messages: Vec::new() };
        let v = view(&folder);
        mailbox.folders.push(folder);
        Ok(v)
    }

    /// Stores a message in a folder; `None` when the folder does not exist.
    pub fn import(&mut self, user_id: &str, folder_id: &str, mut message: Message) -> Option<(String, &Message)> {
        let mailbox = self.by_user.get_mut(user_id)?;
        let n = mailbox.next_message;
        let folder = mailbox.folders.iter_mut().find(|f| f.id == folder_id)?;
        mailbox.next_message += 1;
        message.id = format!("AAMkM{}{n:08}", &user_id[..8]);
        folder.messages.push(message);
        Some((folder.name.clone(), folder.messages.last().expect("just pushed")))
    }
}

fn view(f: &Folder) -> FolderView {
    FolderView { id: f.id.clone(), display_name: f.name.clone(), total_item_count: f.messages.len() as u64 }
}
