//! The control plane's byte answers and options (its JSON answers are `control_api`'s types).

use serde::Serialize;
use utoipa::ToSchema;

/// A raw message (RFC 5322 bytes).
#[allow(dead_code)] // a schema only: bytes go out as they are
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary, content_media_type = "message/rfc822")]
pub struct RawMessage(pub Vec<u8>);

/// An export's format.
#[allow(dead_code)] // a schema only: the handler parses `export::Format`
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// mboxrd.
    Mbox,
    /// A Maildir++ tarball.
    Maildir,
}

/// An export: an mbox (`application/mbox`) or a Maildir tarball (`application/x-tar`).
#[allow(dead_code)] // a schema only: bytes go out as they are
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Export(pub Vec<u8>);
