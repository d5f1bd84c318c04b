//! The tenant client (Microsoft Graph v1.0 and beta, contract v3): user resolution, the
//! `WeChat Archiver` folder, and MIME import; plus the per-run caches and memories in front of it.
//!
//! - `send.rs`: every request goes through [`TenantClient::send`], the one place a 401 is cured:
//!   with client credentials it fetches a new token and sends the request again, once per
//!   attempt; with the static token a 401 fails the run (and at start it is a configuration
//!   error, see [`TenantClient::preflight`]). [`TenantClient::call`] adds the retry policy.
//! - `directory.rs`: [`DirectoryCache`] answers each address once per run, compared
//!   case-insensitively. An address is resolved the Graph way: as a userPrincipalName in the
//!   path, else with `$filter` on `mail`, then on `proxyAddresses` (aliases, ROUTE-EMAIL); a valid
//!   user is one whose `accountEnabled` is true and whose mailbox answers (or refuses the app:
//!   a mailbox outside the app's scope belongs to a valid user, SCOPE).
//! - `folders.rs`: [`FolderCache`] finds or creates `WeChat Archiver` once per mailbox per run
//!   (FOLDER); `ErrorFolderExists` from a concurrent create, whatever its status (409, or 400 as
//!   reported), is not an error: the folder is looked up again and the existing one used.
//! - `import.rs`: single import attempts ([`TenantClient::import_attempt`]; the pipeline retries
//!   them behind the exactly-once fence, `ledger/`), by beta `importMime` (final messages, FINAL)
//!   or, when drafts are allowed, v1.0 MIME create; the permission check at start (`roles.rs`).
//! - `refusal.rs`: what a refusal means (size, scope, quota, permission) and the per-run memory
//!   of mailboxes the tenant refused (SCOPE, QUOTA): a refused mailbox is not asked again.
//!
//! A [`TenantClient`] lives for one run, so its memories (the import mode, refused mailboxes,
//! the request cap learnt from a 413) are per run.

mod directory;
mod folders;
mod import;
mod refusal;
mod roles;
mod send;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU64};

use reqwest::Url;

use crate::http::HttpError;
use crate::retry::{RetryPolicy, Step};
use crate::source::Timeouts;
use crate::token::{Credentials, TokenError};
use tm_contract::UserId;

pub use directory::DirectoryCache;
pub use folders::FolderCache;
pub use import::{ImportMode, Imported, PermissionCheck};
pub use refusal::Refusal;
/// The folder every item lands in (FOLDER).
pub use tm_contract::FOLDER_NAME;

/// The application permission beta `importMime` takes (FINAL):
/// <https://learn.microsoft.com/graph/api/mailfolder-importmime?view=graph-rest-beta>.
pub const IMPORT_PERMISSION: &str = "Mail-Advanced.ReadWrite.All";

/// A tenant call that failed.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    /// 401: the tenant token is wrong or revoked.
    #[error("the tenant rejected the token (HTTP 401 {code})")]
    Unauthorized {
        /// The Graph error code (`InvalidAuthenticationToken`).
        code: String,
    },
    /// No access token could be had: refused client credentials are a configuration error.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The app may not import final messages: its token lacks [`IMPORT_PERMISSION`] (read from
    /// its `roles`, or proven by `importMime`'s 403) and drafts are not allowed. A
    /// configuration error.
    #[error("{}", import::missing_permission_text(.evidence))]
    ImportPermission {
        /// How it was found out (`the token's roles are …`, `importMime answered HTTP 403 …`).
        evidence: String,
    },
    /// Any other failure, after retries.
    #[error(transparent)]
    Http(#[from] HttpError),
}

impl TenantError {
    /// Classifies a final HTTP error: 401 is [`TenantError::Unauthorized`].
    pub fn from_http(e: HttpError) -> TenantError {
        if e.status() == Some(reqwest::StatusCode::UNAUTHORIZED) {
            TenantError::Unauthorized { code: e.code().unwrap_or_default().to_owned() }
        } else {
            TenantError::Http(e)
        }
    }
}

/// What a run asks of the tenant client beside its address and credentials.
#[derive(Debug, Clone, Default)]
pub struct TenantOptions {
    /// The beta base (`…/beta`), for `importMime`.
    pub beta: Option<Url>,
    /// `ALLOW_DRAFT_IMPORTS`: without [`IMPORT_PERMISSION`], import drafts (v1.0 MIME create).
    pub allow_drafts: bool,
    /// `GRAPH_MAX_REQUEST_BYTES`: requests larger than this are refused before sending.
    pub max_request_bytes: Option<u64>,
}

/// The Graph-shaped tenant client of one run.
pub struct TenantClient {
    http: reqwest::Client,
    base: Url,
    credentials: Credentials,
    policy: RetryPolicy,
    timeouts: Timeouts,
    options: TenantOptions,
    /// The [`ImportMode`] in use (decided at start, changed at most once by a refusal).
    mode: AtomicU8,
    /// Mailboxes the tenant refused this run (SCOPE, QUOTA), by user id.
    refused: Mutex<HashMap<UserId, Refusal>>,
    /// The smallest request (bytes as sent) the tenant refused for size (413) this run; 0: none.
    refused_size: AtomicU64,
}

impl std::fmt::Debug for TenantClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantClient").field("base", &self.base.as_str()).finish_non_exhaustive()
    }
}

impl TenantClient {
    /// A client for the tenant API at `base` (path included, e.g. `http://host/graph/v1.0`).
    pub fn new(
        http: reqwest::Client,
        base: Url,
        credentials: Credentials,
        (policy, timeouts): (RetryPolicy, Timeouts),
        options: TenantOptions,
    ) -> TenantClient {
        TenantClient {
            http,
            base,
            credentials,
            policy,
            timeouts,
            options,
            mode: AtomicU8::new(ImportMode::ImportMime as u8),
            refused: Mutex::new(HashMap::new()),
            refused_size: AtomicU64::new(0),
        }
    }
}

/// An OData string literal: quoted, a quote doubled.
fn odata_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A 2xx answer's JSON body, or the error it is.
async fn json_or_error<T: serde::de::DeserializeOwned>(what: &str, r: reqwest::Response) -> Step<T> {
    if !r.status().is_success() {
        return Step::from_error(HttpError::from_response(what, r).await);
    }
    match r.json::<T>().await {
        Ok(v) => Step::Done(v),
        Err(e) if e.is_decode() => {
            Step::Fail(HttpError::Protocol { what: what.to_owned(), detail: format!("body is not the contract's JSON shape: {e}") })
        }
        Err(e) => Step::Retry(HttpError::transport(what, &e)),
    }
}
