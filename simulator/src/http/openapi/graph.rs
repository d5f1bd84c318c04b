//! Graph's `@odata.context` and friends are named with dots; these are the schemas of what the
//! Graph handlers build as JSON.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

/// A user (`GET /users/{user}`): Graph's default property set, or what `$select` names.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The metadata context (on a single user).
    #[serde(rename = "@odata.context")]
    pub odata_context: Option<String>,
    /// Object id.
    pub id: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Primary SMTP address.
    pub mail: Option<String>,
    /// Sign-in name.
    pub user_principal_name: Option<String>,
    /// Whether the account can sign in (only with `$select`).
    pub account_enabled: Option<bool>,
    /// `SMTP:` primary and `smtp:` aliases (only with `$select`).
    pub proxy_addresses: Option<Vec<String>>,
    /// Always empty here.
    pub business_phones: Option<Vec<String>>,
    /// Null here.
    pub given_name: Option<String>,
    /// Null here.
    pub surname: Option<String>,
    /// Null here.
    pub job_title: Option<String>,
    /// Null here.
    pub mobile_phone: Option<String>,
    /// Null here.
    pub office_location: Option<String>,
    /// Null here.
    pub preferred_language: Option<String>,
    /// `CN` (only with `$select`).
    pub usage_location: Option<String>,
}

/// `GET /users`: the users a `$filter` finds.
#[derive(Serialize, ToSchema)]
pub struct UserCollection {
    /// The metadata context.
    #[serde(rename = "@odata.context")]
    pub odata_context: String,
    /// The users.
    pub value: Vec<User>,
}

/// A mail folder, or what `$select` names of it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MailFolder {
    /// The metadata context (on a single folder).
    #[serde(rename = "@odata.context")]
    pub odata_context: Option<String>,
    /// Folder id.
    pub id: Option<String>,
    /// Name.
    pub display_name: Option<String>,
    /// The parent's id.
    pub parent_folder_id: Option<String>,
    /// Child folders.
    pub child_folder_count: Option<u64>,
    /// Unread messages.
    pub unread_item_count: Option<u64>,
    /// Messages.
    pub total_item_count: Option<u64>,
    /// Listed only with `includeHiddenFolders=true`.
    pub is_hidden: Option<bool>,
}

/// A page of mail folders.
#[derive(Serialize, ToSchema)]
pub struct MailFolderCollection {
    /// The metadata context.
    #[serde(rename = "@odata.context")]
    pub odata_context: String,
    /// With `$count=true`: how many folders match, on every page.
    #[serde(rename = "@odata.count")]
    pub odata_count: Option<u64>,
    /// The folders of this page (10 at most, or `$top`).
    pub value: Vec<MailFolder>,
    /// The next page's absolute URL, when there is one.
    #[serde(rename = "@odata.nextLink")]
    pub odata_next_link: Option<String>,
}

/// A new folder's name (`POST …/mailFolders`, `POST …/childFolders`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewFolder {
    /// The folder's name.
    pub display_name: String,
    /// Whether it is hidden.
    pub is_hidden: Option<bool>,
}

/// A recipient.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    /// Name and address.
    pub email_address: EmailAddress,
}

/// A name and an address.
#[derive(Serialize, ToSchema)]
pub struct EmailAddress {
    /// Display name (the address when the MIME has none).
    pub name: Option<String>,
    /// SMTP address.
    pub address: Option<String>,
}

/// A message body.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemBody {
    /// `text` or `html`.
    pub content_type: Option<String>,
    /// The body.
    pub content: Option<String>,
}

/// A message, or what `$select` names of it (read from the MIME it was imported with).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The metadata context (on a single message).
    #[serde(rename = "@odata.context")]
    pub odata_context: Option<String>,
    /// Weak etag from the change key.
    #[serde(rename = "@odata.etag")]
    pub odata_etag: Option<String>,
    /// Message id.
    pub id: Option<String>,
    /// From the MIME's `Date`.
    pub created_date_time: Option<String>,
    /// As created.
    pub last_modified_date_time: Option<String>,
    /// Change key.
    pub change_key: Option<String>,
    /// Empty.
    pub categories: Option<Vec<String>>,
    /// From the MIME's `Date`.
    pub received_date_time: Option<String>,
    /// From the MIME's `Date`.
    pub sent_date_time: Option<String>,
    /// Whether the MIME has attachments.
    pub has_attachments: Option<bool>,
    /// The MIME's `Message-ID`, with angle brackets.
    pub internet_message_id: Option<String>,
    /// The MIME's subject.
    pub subject: Option<String>,
    /// The body's first characters.
    pub body_preview: Option<String>,
    /// `normal`.
    pub importance: Option<String>,
    /// The folder's id.
    pub parent_folder_id: Option<String>,
    /// Conversation id.
    pub conversation_id: Option<String>,
    /// Null.
    pub conversation_index: Option<String>,
    /// False.
    pub is_delivery_receipt_requested: Option<bool>,
    /// False.
    pub is_read_receipt_requested: Option<bool>,
    /// False for an imported MIME.
    pub is_read: Option<bool>,
    /// True for an imported MIME, as Graph sets it.
    pub is_draft: Option<bool>,
    /// Outlook on the web's link.
    pub web_link: Option<String>,
    /// `focused`.
    pub inference_classification: Option<String>,
    /// The body.
    pub body: Option<ItemBody>,
    /// The sender.
    pub sender: Option<Recipient>,
    /// The author.
    pub from: Option<Recipient>,
    /// `To`.
    pub to_recipients: Option<Vec<Recipient>>,
    /// `Cc`.
    pub cc_recipients: Option<Vec<Recipient>>,
    /// Empty.
    pub bcc_recipients: Option<Vec<Recipient>>,
    /// `Reply-To`.
    pub reply_to: Option<Vec<Recipient>>,
    /// `notFlagged`.
    pub flag: Option<BTreeMap<String, String>>,
    /// As the body.
    pub unique_body: Option<ItemBody>,
}

/// A page of messages.
#[derive(Serialize, ToSchema)]
pub struct MessageCollection {
    /// The metadata context.
    #[serde(rename = "@odata.context")]
    pub odata_context: String,
    /// With `$count=true`: how many messages match.
    #[serde(rename = "@odata.count")]
    pub odata_count: Option<u64>,
    /// The messages of this page.
    pub value: Vec<Message>,
    /// The next page's absolute URL, when there is one.
    #[serde(rename = "@odata.nextLink")]
    pub odata_next_link: Option<String>,
}

/// A MIME message, base64 (`POST …/messages` with `Content-Type: text/plain`).
#[allow(dead_code)] // a schema only: bytes go out as they are
#[derive(ToSchema)]
#[schema(value_type = String, content_encoding = "base64", content_media_type = "message/rfc822")]
pub struct Base64Mime(pub String);

/// The body of a move (`POST …/messages/{message}/move`,
/// <https://learn.microsoft.com/graph/api/message-move#request-body>).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MoveRequest {
    /// The destination folder's id, or a well-known folder name.
    pub destination_id: String,
}
