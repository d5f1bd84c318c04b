//! What an archived item is before it is rendered: who, when, what kind, what content.

use crate::world::content::ContentType;
use crate::world::scenario::{App, CallSpec, Kind};

/// The conversation an item belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conversation {
    /// A 1:1 chat with this peer (person index).
    Direct(u32),
    /// A group chat (group index).
    Group(u32),
    /// A note to oneself (WeChat's "File Transfer").
    SelfNote,
}

/// What an attachment's bytes look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// JPEG photo.
    Jpeg,
    /// GIF sticker.
    Gif,
    /// AMR voice note.
    Amr,
    /// MP4 video.
    Mp4,
    /// PDF document.
    Pdf,
    /// Word document.
    Docx,
    /// Excel workbook.
    Xlsx,
    /// ZIP archive.
    Zip,
}

impl Media {
    /// The MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            Media::Jpeg => "image/jpeg",
            Media::Gif => "image/gif",
            Media::Amr => "audio/amr",
            Media::Mp4 => "video/mp4",
            Media::Pdf => "application/pdf",
            Media::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Media::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Media::Zip => "application/zip",
        }
    }
    /// The first bytes of such a file, so tools recognise the type.
    pub fn magic(self) -> &'static [u8] {
        match self {
            Media::Jpeg => b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",
            Media::Gif => b"GIF89a",
            Media::Amr => b"#!AMR\n",
            Media::Mp4 => b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41",
            Media::Pdf => b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n",
            Media::Docx | Media::Xlsx | Media::Zip => b"PK\x03\x04\x14\x00\x06\x00",
        }
    }
    /// The media type of a file name's extension (`None` when unknown).
    pub fn from_extension(name: &str) -> Option<Media> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "jpg" | "jpeg" => Media::Jpeg,
            "gif" => Media::Gif,
            "amr" => Media::Amr,
            "mp4" => Media::Mp4,
            "pdf" => Media::Pdf,
            "docx" => Media::Docx,
            "xlsx" => Media::Xlsx,
            "zip" => Media::Zip,
            _ => return None,
        })
    }
}

/// An attachment: its name, its type and how to derive its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// File name (may be Chinese).
    pub name: String,
    /// Type.
    pub media: Media,
    /// Byte length; `None` means "whatever makes the item exactly `ItemSpec::exact_size`".
    pub len: Option<u64>,
    /// Seed of the bytes after the magic prefix.
    pub seed: u64,
}

/// One archived event, before rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemSpec {
    /// `ItemRef.id` and `X-TELEMESSAGE-ArchiveMessageID`.
    pub id: String,
    /// Capture time, milliseconds since the epoch.
    pub captured_ms: i64,
    /// WeChat or WeCom.
    pub source: App,
    /// Kind.
    pub kind: Kind,
    /// WeCom's message type (`X-TELEMESSAGE-ContentType`), one of `kind`'s.
    pub content: ContentType,
    /// People named inside the item who are not its participants: the quoted senders and
    /// recipients of a chat record, the contact of a card (person indices). They never route it.
    pub quoted: Vec<u32>,
    /// Seed of the type's details (a link's title, a chat record's messages, a vote's options).
    pub content_seed: u64,
    /// Whether a recall in the archive recalls this item (`X-TELEMESSAGE-Status: Recalled`).
    pub recalled: bool,
    /// The actor (person index): sender, caller, recaller.
    pub actor: u32,
    /// The conversation.
    pub conversation: Conversation,
    /// The message text (chat), or a caption; the transcript is built around it.
    pub text: String,
    /// Media or file.
    pub attachment: Option<Attachment>,
    /// Call details.
    pub call: Option<CallSpec>,
    /// The recalled item's id.
    pub recalls: Option<String>,
    /// The exact raw size the item must have.
    pub exact_size: Option<u64>,
    /// The size the listing reports instead of the real one (a fault).
    pub listed_size: Option<u64>,
    /// When it reached the archive, milliseconds since the epoch (never before `captured_ms`).
    pub archived_ms: i64,
    /// The archive's sequence number: 1, 2, … in `(archived_ms, captured_ms, id)` order.
    pub seq: u64,
}
