//! The OpenAPI 3.1 description of the simulator's APIs (`GET /openapi.json`): the vendor archive
//! (`/tm/v1`), the Graph subset (`/graph/v1.0`), the identity platform's token endpoint and the
//! control plane (`/sim`).
//!
//! Generated from the handlers: each carries a `#[utoipa::path]` annotation, and each API's
//! routes are registered through `utoipa-axum`'s [`OpenApiRouter`] from the same list that
//! serves them ([`crate::http::vendor::api`], [`crate::http::graph::api`],
//! [`crate::http::identity::api`], [`crate::http::control::api`]), so a route cannot be served
//! without being described, nor described without being served. The schemas of answers that the
//! handlers build as JSON values (Graph's resources, shaped by `$select`) are declared here.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::security::{Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityScheme};
use utoipa::openapi::{ContactBuilder, InfoBuilder, LicenseBuilder, OpenApi, OpenApiBuilder, Tag};
use utoipa_axum::router::OpenApiRouter;

use crate::state::Shared;

/// Tag of the vendor archive's operations.
pub const VENDOR: &str = "vendor";
/// Tag of the Graph subset's operations.
pub const GRAPH: &str = "graph";
/// Tag of the identity platform's operations.
pub const IDENTITY: &str = "identity";
/// Tag of the control plane's operations.
pub const CONTROL: &str = "control";

/// Security scheme of the vendor API: the bearer token `POST /tm/v1/session` answers.
pub const VENDOR_SESSION: &str = "vendorSession";
/// Security scheme of the Graph subset: an access token from the token endpoint (or the
/// scenario's static tenant token).
pub const GRAPH_TOKEN: &str = "graphToken";

/// The whole description, built once.
pub fn document() -> &'static OpenApi {
    static DOCUMENT: OnceLock<OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        OpenApiRouter::<Shared>::with_openapi(base())
            .nest("/tm/v1", crate::http::vendor::api())
            .nest("/graph/v1.0", crate::http::graph::api())
            .nest("/sim", crate::http::control::api())
            .merge(crate::http::identity::api())
            .into_openapi()
    })
}

/// The description as JSON (pretty, deterministic: paths, properties and tags in declaration order).
pub fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| document().to_pretty_json().expect("the OpenAPI document serialises"))
}

/// `GET /openapi.json`.
pub async fn serve() -> Response {
    let mut r = json().into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

fn base() -> OpenApi {
    let info = InfoBuilder::new()
        .title("tm-simulator")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "A simulated TeleMessage-style WeChat/WeCom archive (`/tm/v1`) and a simulated Microsoft 365 tenant \
             shaped as Microsoft Graph v1.0 (`/graph/v1.0`, with its identity platform's client-credentials token \
             endpoint), plus the simulator's control plane (`/sim`). Servers: the simulator's own address.",
        ))
        .license(Some(LicenseBuilder::new().name("MIT OR Apache-2.0").build()))
        .contact(Some(ContactBuilder::new().name(Some("tm-archiver-kit")).build()))
        .build();
    let mut components = utoipa::openapi::Components::new();
    components.add_security_scheme(
        VENDOR_SESSION,
        SecurityScheme::Http(
            HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("The token `POST /tm/v1/session` answers.")).build(),
        ),
    );
    components.add_security_scheme(
        GRAPH_TOKEN,
        SecurityScheme::OAuth2(OAuth2::with_description(
            [Flow::ClientCredentials(utoipa::openapi::security::ClientCredentials::new(
                "/{tenant}/oauth2/v2.0/token",
                Scopes::from_iter([(crate::http::identity::GRAPH_SCOPE, "Microsoft Graph, as the app's roles allow")]),
            ))],
            "An access token from the token endpoint (client credentials), sent as `Authorization: Bearer`; \
             the scenario's static tenant token is accepted too.",
        )),
    );
    let tag = |name: &str, description: &str| {
        let mut t = Tag::new(name);
        t.description = Some(description.to_string());
        t
    };
    OpenApiBuilder::new()
        .info(info)
        .components(Some(components))
        .tags(Some([
            tag(VENDOR, "The vendor archive: log in, list a time window, download items (`TM_URL`)."),
            tag(GRAPH, "The tenant, as Microsoft Graph v1.0 answers (`GRAPH_URL`)."),
            tag(IDENTITY, "The identity platform (`GRAPH_AUTHORITY`): client-credentials tokens."),
            tag(CONTROL, "The simulator's control plane, for tests and people (no authentication; loopback)."),
        ]))
        .build()
}

/// Graph's `@odata.context` and friends are named with dots; these are the schemas of what the
/// Graph handlers build as JSON.
pub mod graph {
    use super::*;

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
}

/// The identity platform's answers (the handlers build these; the form and the OpenID
/// configuration, which has more fields than these, are descriptions).
pub mod identity {
    use super::*;

    /// The client-credentials grant's form.
    #[derive(Serialize, ToSchema)]
    pub struct TokenRequest {
        /// `client_credentials`.
        pub grant_type: String,
        /// The application (client) id (or in `Authorization: Basic`).
        pub client_id: Option<String>,
        /// The client secret (or in `Authorization: Basic`).
        pub client_secret: Option<String>,
        /// `https://graph.microsoft.com/.default`.
        pub scope: Option<String>,
    }

    /// A granted token.
    #[derive(Serialize, ToSchema)]
    pub struct TokenResponse {
        /// `Bearer`.
        pub token_type: String,
        /// Seconds the token lasts.
        pub expires_in: u64,
        /// As `expires_in`.
        pub ext_expires_in: u64,
        /// The access token (a JWT).
        pub access_token: String,
    }

    /// A refused token request, as Microsoft Entra answers it.
    #[derive(Serialize, ToSchema)]
    pub struct AadError {
        /// `invalid_request`, `invalid_client`, `unauthorized_client`, `invalid_scope`, …
        pub error: String,
        /// `AADSTS…: …` with trace and correlation ids.
        pub error_description: String,
        /// The AADSTS codes.
        pub error_codes: Vec<u64>,
        /// When.
        pub timestamp: String,
        /// Trace id.
        pub trace_id: String,
        /// Correlation id.
        pub correlation_id: String,
        /// Where the code is explained.
        pub error_uri: String,
    }

    /// The tenant's OpenID configuration (the fields MSAL and azure-identity read, among others).
    #[derive(Serialize, ToSchema)]
    pub struct OpenIdConfiguration {
        /// The token endpoint.
        pub token_endpoint: String,
        /// The authorization endpoint (not served: the flow is client credentials).
        pub authorization_endpoint: String,
        /// The issuer.
        pub issuer: String,
        /// Keys (an empty set).
        pub jwks_uri: String,
    }

    /// The signing keys (none: tokens are checked by the tenant only).
    #[derive(Serialize, ToSchema)]
    pub struct Keys {
        /// Empty.
        pub keys: Vec<serde_json::Value>,
    }
}

/// The control plane's byte answers and options (its JSON answers are `control_api`'s types).
pub mod control {
    use super::*;

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
}

/// What every Graph operation may answer besides its success, with Graph's error body
/// (`innerError` with the request's ids).
#[allow(dead_code)] // a description only: the handlers answer `ApiError`s
#[derive(utoipa::IntoResponses)]
pub enum GraphErrors {
    /// A query option, path or body this tenant refuses (`BadRequest`, `ErrorInvalidUrlQueryFilter`, …).
    #[response(status = 400)]
    BadRequest(tm_contract::ErrorBody),
    /// No token, or an invalid or expired one (`InvalidAuthenticationToken`, with `WWW-Authenticate`).
    #[response(status = 401)]
    Unauthorized(tm_contract::ErrorBody),
    /// No such user (`ErrorInvalidUser`, `Request_ResourceNotFound`), mailbox
    /// (`MailboxNotEnabledForRESTAPI`), folder or message (`ErrorItemNotFound`).
    #[response(status = 404)]
    NotFound(tm_contract::ErrorBody),
    /// Throttled (`ApplicationThrottled` over the mailbox's concurrency or rate limits, or a
    /// scripted `TooManyRequests`), with `Retry-After`.
    #[response(status = 429)]
    TooManyRequests(tm_contract::ErrorBody),
    /// A scripted fault, or a data directory that refused a write (`InternalServerError`).
    #[response(status = 500)]
    InternalServerError(tm_contract::ErrorBody),
    /// A scripted fault (`ServiceUnavailable`), with `Retry-After`.
    #[response(status = 503)]
    ServiceUnavailable(tm_contract::ErrorBody),
}

/// What every vendor operation may answer when the scenario scripts a fault (`status` faults).
#[allow(dead_code)] // a description only: the handlers answer `ApiError`s
#[derive(utoipa::IntoResponses)]
pub enum VendorFaults {
    /// A scripted fault (`rate_limited`), with `Retry-After`.
    #[response(status = 429)]
    TooManyRequests(tm_contract::ErrorBody),
    /// A scripted fault (`internal_error`).
    #[response(status = 500)]
    InternalServerError(tm_contract::ErrorBody),
    /// A scripted fault (`unavailable`), with `Retry-After`.
    #[response(status = 503)]
    ServiceUnavailable(tm_contract::ErrorBody),
}

/// Graph's path parameters, as the operations name them.
#[allow(dead_code)] // descriptions only: the handlers read the path with axum's `Path`
pub mod path {
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
}

/// Graph's query options, as the operations take them.
#[allow(dead_code)] // descriptions only: the handlers read the options with `odata::parse`
pub mod query {
    use serde::Deserialize;
    use utoipa::IntoParams;

    /// `$select` only.
    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct Select {
        /// Comma-separated properties to answer.
        #[serde(rename = "$select")]
        pub select: Option<String>,
    }

    /// `GET /users`.
    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct Users {
        /// `mail eq '…'`, `userPrincipalName eq '…'` or `proxyAddresses/any(x:x eq 'smtp:…')`.
        #[serde(rename = "$filter")]
        pub filter: Option<String>,
        /// Comma-separated properties to answer.
        #[serde(rename = "$select")]
        pub select: Option<String>,
        /// Page size (default 100).
        #[serde(rename = "$top")]
        #[param(minimum = 1, maximum = 999)]
        pub top: Option<i32>,
        /// `displayName` or `userPrincipalName`, then `asc` or `desc`.
        #[serde(rename = "$orderby")]
        pub orderby: Option<String>,
        /// `true`: answer `@odata.count` (only with `ConsistencyLevel: eventual`).
        #[serde(rename = "$count")]
        pub count: Option<bool>,
        /// `"property:text"` clauses (`displayName`, `mail`, `userPrincipalName`) joined by `AND`/`OR`.
        #[serde(rename = "$search")]
        pub search: Option<String>,
        /// The next page's token, from `@odata.nextLink`.
        #[serde(rename = "$skiptoken")]
        pub skiptoken: Option<String>,
    }

    /// The `ConsistencyLevel` header of Graph's advanced directory queries.
    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Header)]
    pub struct Consistency {
        /// `eventual`: allow `$count` and `$search`.
        #[serde(rename = "ConsistencyLevel")]
        pub consistency_level: Option<String>,
    }

    /// Listings and counts of folders and messages.
    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct Listing {
        /// Folders: `displayName eq '…'` (any case); messages: `internetMessageId eq '…'` or
        /// `subject eq '…'`.
        #[serde(rename = "$filter")]
        pub filter: Option<String>,
        /// Comma-separated properties to answer.
        #[serde(rename = "$select")]
        pub select: Option<String>,
        /// Page size (default 10).
        #[serde(rename = "$top")]
        #[param(minimum = 1, maximum = 1000)]
        pub top: Option<i32>,
        /// Entries to skip.
        #[serde(rename = "$skip")]
        #[param(minimum = 0)]
        pub skip: Option<i32>,
        /// `true`: answer `@odata.count`.
        #[serde(rename = "$count")]
        pub count: Option<bool>,
    }
}
