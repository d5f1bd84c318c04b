//! Graph's path parameters, as the operations name them.
#![allow(dead_code)] // descriptions only: the handlers read the path with axum's `Path`

use serde::Deserialize;
use utoipa::IntoParams;

/// A mailbox's user.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct User {
    /// The user's id or userPrincipalName.
    pub user: String,
}

/// A folder of a mailbox.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct Folder {
    /// The user's id or userPrincipalName.
    pub user: String,
    /// A folder id, or a well-known name (`inbox`, `archive`, `msgfolderroot`, …).
    pub folder: String,
}

/// A message of a mailbox.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct Message {
    /// The user's id or userPrincipalName.
    pub user: String,
    /// A message id.
    pub message: String,
}

/// A message of a folder.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct FolderMessage {
    /// The user's id or userPrincipalName.
    pub user: String,
    /// A folder id, or a well-known name (`inbox`, `archive`, `msgfolderroot`, …).
    pub folder: String,
    /// A message id.
    pub message: String,
}
