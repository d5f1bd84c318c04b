//! The tenant client (Microsoft Graph v1.0, contract v2): user resolution, the `WeChat Archiver`
//! folder, and MIME import; plus the per-run caches in front of it.
//!
//! - [`DirectoryCache`] answers each address once per run, compared case-insensitively. An
//!   address is resolved the Graph way ([`TenantClient::lookup_user`]): as a userPrincipalName in
//!   the path, else with `$filter` on `mail`, then on `proxyAddresses` (aliases, ROUTE-EMAIL); a
//!   valid user is one whose `accountEnabled` is true and whose mailbox answers.
//! - [`FolderCache`] finds (`$filter=displayName eq 'WeChat Archiver'`, every page followed) or
//!   creates `WeChat Archiver` once per mailbox per run (FOLDER); a 409 `ErrorFolderExists` from
//!   a concurrent create is not an error: the folder is looked up again and the existing one used.
//! - Imports are single attempts ([`TenantClient::import_attempt`]); the pipeline retries them
//!   behind the exactly-once fence (`ledger.rs`).
//! - Tokens come from [`Credentials`]: the static `GRAPH_TOKEN`, or client credentials fetched
//!   and refreshed before expiry (`token.rs`). Every request is sent by [`TenantClient::send`],
//!   the one place a 401 is cured: with client credentials it fetches a new token and sends the
//!   request again, once per attempt; with the static token a 401 fails the run (and at start it
//!   is a configuration error, see [`TenantClient::preflight`]).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use reqwest::header::CONTENT_TYPE;
use reqwest::{StatusCode, Url};
use tokio::sync::OnceCell;

use crate::http::HttpError;
use crate::retry::{self, RetryPolicy, Step};
use crate::routing::DirectoryUser;
use crate::source::{Timeouts, endpoint};
use crate::token::{Credentials, TokenError};
use tm_contract::{MailboxAddress, UserId};

/// The folder every item lands in (FOLDER).
pub use tm_contract::FOLDER_NAME;

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
    /// Any other failure, after retries.
    #[error(transparent)]
    Http(#[from] HttpError),
}

/// A top-level mail folder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailFolder {
    /// The folder id.
    pub id: String,
    /// The folder name.
    pub display_name: String,
}

/// The answer to an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imported {
    /// 201: the message exists in the folder.
    Created {
        /// The new message's id.
        message_id: String,
        /// Its `internetMessageId`.
        internet_message_id: Option<String>,
    },
    /// A final 4xx other than auth and throttling (`sink_rejected`).
    Rejected {
        /// The status.
        status: u16,
        /// The Graph error code.
        code: String,
        /// The Graph error message.
        message: String,
    },
}

/// What sending one request came to ([`TenantClient::send`]).
enum Sent {
    /// The tenant answered (a 401 only when a new token could not cure it).
    Answered(reqwest::Response),
    /// No answer: connect, timeout, reset.
    Lost(HttpError),
    /// No access token could be had.
    NoToken(TokenError),
}

impl TenantError {
    /// Classifies a final HTTP error: 401 is [`TenantError::Unauthorized`].
    pub fn from_http(e: HttpError) -> TenantError {
        if e.status() == Some(StatusCode::UNAUTHORIZED) {
            TenantError::Unauthorized { code: e.code().unwrap_or_default().to_owned() }
        } else {
            TenantError::Http(e)
        }
    }
}

/// The Graph-shaped tenant client.
pub struct TenantClient {
    http: reqwest::Client,
    base: Url,
    credentials: Credentials,
    policy: RetryPolicy,
    timeouts: Timeouts,
}

impl std::fmt::Debug for TenantClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantClient").field("base", &self.base.as_str()).finish_non_exhaustive()
    }
}

/// Anything that can look a user up by address; [`TenantClient`] in production, fakes in tests.
pub trait UserLookup: Sync {
    /// `Some(user)` when `address` belongs to a valid user, `None` when it does not.
    fn lookup_user(&self, address: &MailboxAddress) -> impl Future<Output = Result<Option<DirectoryUser>, TenantError>> + Send;
}

impl<T: UserLookup> UserLookup for &T {
    fn lookup_user(&self, address: &MailboxAddress) -> impl Future<Output = Result<Option<DirectoryUser>, TenantError>> + Send {
        (**self).lookup_user(address)
    }
}

impl TenantClient {
    /// A client for the tenant API at `base` (path included, e.g. `http://host/graph/v1.0`).
    pub fn new(http: reqwest::Client, base: Url, credentials: Credentials, policy: RetryPolicy, timeouts: Timeouts) -> TenantClient {
        TenantClient { http, base, credentials, policy, timeouts }
    }

    /// Sends the request `build` makes with the current bearer token. This is the one place a
    /// 401 leads to a new token: the tenant answers 401 before doing anything, so with client
    /// credentials the stale token is dropped and the request sent once more with a new one.
    async fn send(&self, what: &str, build: impl Fn() -> reqwest::RequestBuilder) -> Sent {
        let mut refreshed = false;
        loop {
            let token = match self.credentials.token().await {
                Ok(t) => t,
                Err(e) => return Sent::NoToken(e),
            };
            match build().bearer_auth(&token).send().await {
                Err(e) => return Sent::Lost(HttpError::transport(what, &e)),
                Ok(r) if r.status() == StatusCode::UNAUTHORIZED && self.credentials.refreshes() && !refreshed => {
                    refreshed = true;
                    // Read (a little of) the answer so that its connection can be used again.
                    let refused = HttpError::from_response(what, r).await;
                    tracing::debug!(error = %refused, "the tenant refused the token: fetching a new one");
                    self.credentials.invalidate(&token).await;
                }
                Ok(r) => return Sent::Answered(r),
            }
        }
    }

    /// Sends a request with retries; 2xx and final errors are handed back as responses/errors.
    async fn call<T, B, S, SFut>(&self, what: &str, build: B, on_response: S) -> Result<T, TenantError>
    where
        B: Fn() -> reqwest::RequestBuilder,
        S: Fn(reqwest::Response) -> SFut,
        SFut: Future<Output = Step<T>>,
    {
        let (build, on_response) = (&build, &on_response);
        // A missing token ends the call as a value, so that it is reported as what it is.
        let result = retry::run(&self.policy, move |_| async move {
            match self.send(what, build).await {
                Sent::NoToken(e) => Step::Done(Err(e)),
                Sent::Lost(e) => Step::from_error(e),
                Sent::Answered(r) if r.status() == StatusCode::UNAUTHORIZED => Step::Fail(HttpError::from_response(what, r).await),
                Sent::Answered(r) => on_response(r).await.map(Ok),
            }
        })
        .await;
        result.map_err(TenantError::from_http)?.map_err(TenantError::Token)
    }

    /// Checks the token before anything is imported: the contract checks auth before anything
    /// else, so a lookup of a UPN that cannot exist answers 401 for a bad token and 404
    /// otherwise.
    pub async fn preflight(&self) -> Result<(), TenantError> {
        let url = endpoint(&self.base, &["users", "tm-connector-preflight@invalid.invalid"]);
        self.get_optional::<DirectoryUser>("user lookup", url).await.map(|_| ())
    }

    /// Lists the top-level folders of a user (following `@odata.nextLink` within the base URL),
    /// those named `name` (Graph compares ignoring case) when it is given.
    pub async fn list_folders(&self, user: &UserId, name: Option<&str>) -> Result<Vec<MailFolder>, TenantError> {
        #[derive(serde::Deserialize)]
        struct List {
            value: Vec<MailFolder>,
            #[serde(rename = "@odata.nextLink", default)]
            next_link: Option<String>,
        }
        let what = "folder listing";
        let mut url = endpoint(&self.base, &["users", user.as_str(), "mailFolders"]);
        if let Some(name) = name {
            url.query_pairs_mut().append_pair("$filter", &format!("displayName eq {}", odata_literal(name)));
        }
        let mut folders = Vec::new();
        for _ in 0..100 {
            let page: List =
                self.call(what, || self.http.get(url.clone()).timeout(self.timeouts.request), |r| json_or_error(what, r)).await?;
            folders.extend(page.value);
            match page.next_link.and_then(|l| Url::parse(&l).ok()) {
                Some(next) if next.as_str().starts_with(self.base.as_str()) => url = next,
                _ => break,
            }
        }
        Ok(folders)
    }

    /// Creates a top-level folder; `Ok(None)` when it exists already (409).
    pub async fn create_folder(&self, user: &UserId, name: &str) -> Result<Option<MailFolder>, TenantError> {
        let what = "folder creation";
        let url = endpoint(&self.base, &["users", user.as_str(), "mailFolders"]);
        let body = serde_json::json!({ "displayName": name });
        self.call(
            what,
            || self.http.post(url.clone()).timeout(self.timeouts.request).json(&body),
            |r| async move {
                if r.status() == StatusCode::CONFLICT {
                    return Step::Done(None);
                }
                json_or_error::<MailFolder>(what, r).await.map(Some)
            },
        )
        .await
    }

    /// Whether the folder holds a message whose `internetMessageId` is this one (Graph's
    /// `$filter`, <https://learn.microsoft.com/graph/api/user-list-messages>); `None` when the
    /// folder (or the user) is gone.
    pub async fn has_message(&self, user: &UserId, folder_id: &str, internet_message_id: &str) -> Result<Option<bool>, TenantError> {
        #[derive(serde::Deserialize)]
        struct Messages {
            value: Vec<serde_json::Value>,
        }
        let mut url = endpoint(&self.base, &["users", user.as_str(), "mailFolders", folder_id, "messages"]);
        url.query_pairs_mut()
            .append_pair("$filter", &format!("internetMessageId eq {}", odata_literal(internet_message_id)))
            .append_pair("$select", "id")
            .append_pair("$top", "1");
        let what = "message lookup";
        self.call(
            what,
            || self.http.get(url.clone()).timeout(self.timeouts.request),
            |r| async move {
                if r.status() == StatusCode::NOT_FOUND {
                    return Step::Done(None);
                }
                json_or_error::<Messages>(what, r).await.map(|m| Some(!m.value.is_empty()))
            },
        )
        .await
    }

    /// One GET whose 404 (and 400: a key the directory cannot even read) means "none".
    async fn get_optional<T: serde::de::DeserializeOwned>(&self, what: &str, url: Url) -> Result<Option<T>, TenantError> {
        self.call(
            what,
            || self.http.get(url.clone()).timeout(self.timeouts.request),
            |r| async move {
                match r.status() {
                    StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST => Step::Done(None),
                    _ => json_or_error::<T>(what, r).await.map(Some),
                }
            },
        )
        .await
    }

    /// The user whose userPrincipalName, `mail` or one of whose `proxyAddresses` is `address`,
    /// the Graph way: the path takes a UPN (or an id); other addresses need `$filter`
    /// (<https://learn.microsoft.com/graph/api/user-get>, <https://learn.microsoft.com/graph/api/user-list>).
    async fn find_user(&self, address: &MailboxAddress) -> Result<Option<DirectoryUser>, TenantError> {
        #[derive(serde::Deserialize)]
        struct Users {
            value: Vec<DirectoryUser>,
        }
        const SELECT: &str = "id,userPrincipalName,mail,displayName,accountEnabled";
        // Asked in lower case (the directory ignores case; one spelling per address per run).
        let address = address.key();
        let mut url = endpoint(&self.base, &["users", address]);
        url.query_pairs_mut().append_pair("$select", SELECT);
        if let Some(u) = self.get_optional::<DirectoryUser>("user lookup", url).await? {
            return Ok(Some(u));
        }
        let literal = odata_literal(address);
        for filter in [format!("mail eq {literal}"), format!("proxyAddresses/any(x:x eq {})", odata_literal(&format!("smtp:{address}")))] {
            let mut url = endpoint(&self.base, &["users"]);
            url.query_pairs_mut().append_pair("$filter", &filter).append_pair("$select", SELECT);
            if let Some(found) = self.get_optional::<Users>("user search", url).await? {
                // One address belongs to one user; several would be a broken directory.
                if let [u] = found.value.as_slice() {
                    return Ok(Some(u.clone()));
                }
            }
        }
        Ok(None)
    }

    /// Whether a user's mailbox answers mail calls (Graph: 404 `MailboxNotEnabledForRESTAPI`
    /// for a user without one).
    async fn has_mailbox(&self, user: &UserId) -> Result<bool, TenantError> {
        let mut url = endpoint(&self.base, &["users", user.as_str(), "mailFolders", "inbox"]);
        url.query_pairs_mut().append_pair("$select", "id");
        Ok(self.get_optional::<serde_json::Value>("mailbox check", url).await?.is_some())
    }

    /// One import attempt (base64 of the raw MIME, `Content-Type: text/plain`): 201 → `Done(
    /// Ok(Created))`; a final 4xx other than 401 → `Done(Ok(Rejected))` (`sink_rejected`); no
    /// token → `Done(Err(_))`; 401 → `Fail`; 5xx, 408, 429 and transport errors → `Retry`. The
    /// caller retries, asking the tenant before each retry (an attempt that failed in transit may
    /// have landed).
    pub async fn import_attempt(&self, user: &UserId, folder_id: &str, mime_base64: Bytes) -> Step<Result<Imported, TokenError>> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Created {
            id: String,
            #[serde(default)]
            internet_message_id: Option<String>,
        }
        let what = "import";
        let url = endpoint(&self.base, &["users", user.as_str(), "mailFolders", folder_id, "messages"]);
        let build = || {
            let request = self.http.post(url.clone()).timeout(self.timeouts.transfer);
            request.header(CONTENT_TYPE, "text/plain").body(mime_base64.clone())
        };
        let response = match self.send(what, build).await {
            Sent::Answered(r) => r,
            Sent::Lost(e) => return Step::from_error(e),
            Sent::NoToken(e) => return Step::Done(Err(e)),
        };
        if response.status().is_success() {
            // The message exists; an unreadable body does not change that.
            let created = response.json::<Created>().await.ok();
            return Step::Done(Ok(Imported::Created {
                message_id: created.as_ref().map(|c| c.id.clone()).unwrap_or_default(),
                internet_message_id: created.and_then(|c| c.internet_message_id),
            }));
        }
        let error = HttpError::from_response(what, response).await;
        if error.status() == Some(StatusCode::UNAUTHORIZED) {
            return Step::Fail(error);
        }
        match Step::from_error(error) {
            Step::Fail(HttpError::Status { status, code, message, .. }) => {
                Step::Done(Ok(Imported::Rejected { status: status.as_u16(), code, message }))
            }
            other => other.map(Ok),
        }
    }
}

impl UserLookup for TenantClient {
    /// A *valid Microsoft 365 user* (enabled, with a mailbox) with this address, found as Graph
    /// finds users ([`TenantClient::find_user`]); disabled users and users without a mailbox
    /// exist in Graph but are not valid.
    async fn lookup_user(&self, address: &MailboxAddress) -> Result<Option<DirectoryUser>, TenantError> {
        let Some(user) = self.find_user(address).await? else { return Ok(None) };
        if user.account_enabled == Some(false) {
            return Ok(None);
        }
        Ok(self.has_mailbox(&user.id).await?.then_some(user))
    }
}

/// An OData string literal: quoted, a quote doubled.
fn odata_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

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

/// Per-run cache of directory answers, keyed by address (case-insensitively, as
/// [`MailboxAddress`] compares); concurrent askers of one address share one request.
pub struct DirectoryCache<L> {
    lookup: L,
    answers: Mutex<HashMap<MailboxAddress, Arc<OnceCell<Option<DirectoryUser>>>>>,
}

impl<L: UserLookup> DirectoryCache<L> {
    /// A cache in front of `lookup`.
    pub fn new(lookup: L) -> Self {
        DirectoryCache { lookup, answers: Mutex::new(HashMap::new()) }
    }

    /// The underlying lookup.
    #[cfg(test)]
    pub fn inner(&self) -> &L {
        &self.lookup
    }

    /// The answer for one address (asked at most once per run, unless asking failed).
    pub async fn resolve(&self, address: &MailboxAddress) -> Result<Option<DirectoryUser>, TenantError> {
        let cell = self.answers.lock().expect("not poisoned").entry(address.clone()).or_default().clone();
        cell.get_or_try_init(|| self.lookup.lookup_user(address)).await.cloned()
    }
}

/// Per-run cache of each mailbox's `WeChat Archiver` folder id.
#[derive(Default)]
pub struct FolderCache {
    folders: Mutex<HashMap<UserId, Arc<OnceCell<String>>>>,
}

impl FolderCache {
    /// The folder id of `WeChat Archiver` in the mailbox of `user`: found (exact name first,
    /// then a case-insensitive match, which Exchange treats as the same folder) or created; once
    /// per mailbox per run.
    pub async fn ensure(&self, tenant: &TenantClient, user: &UserId) -> Result<String, TenantError> {
        let cell = self.folders.lock().expect("not poisoned").entry(user.clone()).or_default().clone();
        cell.get_or_try_init(|| find_or_create(tenant, user)).await.cloned()
    }
}

fn pick_folder(folders: &[MailFolder]) -> Option<&MailFolder> {
    folders
        .iter()
        .find(|f| f.display_name == FOLDER_NAME)
        .or_else(|| folders.iter().find(|f| f.display_name.eq_ignore_ascii_case(FOLDER_NAME)))
}

/// The folder's id, found or created.
async fn find_or_create(tenant: &TenantClient, user: &UserId) -> Result<String, TenantError> {
    if let Some(f) = pick_folder(&tenant.list_folders(user, Some(FOLDER_NAME)).await?) {
        if f.display_name != FOLDER_NAME {
            tracing::warn!(%user, name = %f.display_name, "using an existing folder whose name differs from `{FOLDER_NAME}` only in case");
        }
        return Ok(f.id.clone());
    }
    if let Some(created) = tenant.create_folder(user, FOLDER_NAME).await? {
        tracing::info!(%user, "created folder `{FOLDER_NAME}`");
        return Ok(created.id);
    }
    // 409 ErrorFolderExists: someone created it concurrently; look again and use theirs.
    match pick_folder(&tenant.list_folders(user, Some(FOLDER_NAME)).await?) {
        Some(f) => Ok(f.id.clone()),
        None => Err(TenantError::Http(HttpError::Protocol {
            what: "folder creation".to_owned(),
            detail: format!("409 ErrorFolderExists, yet no folder `{FOLDER_NAME}` is listed"),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A directory where `boss@…` and its alias `chief@…` are one user; counts questions.
    struct FakeDirectory {
        asked: Mutex<Vec<String>>,
        calls: AtomicUsize,
    }

    impl UserLookup for FakeDirectory {
        async fn lookup_user(&self, address: &MailboxAddress) -> Result<Option<DirectoryUser>, TenantError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.asked.lock().unwrap().push(address.key().to_owned());
            tokio::task::yield_now().await;
            Ok(match address.key() {
                "boss@contoso.cn" | "chief@contoso.cn" => Some(DirectoryUser {
                    id: "u-boss".parse().unwrap(),
                    user_principal_name: "boss@contoso.cn".into(),
                    mail: Some("boss@contoso.cn".into()),
                    display_name: None,
                    account_enabled: Some(true),
                }),
                _ => None,
            })
        }
    }

    fn fake() -> DirectoryCache<FakeDirectory> {
        DirectoryCache::new(FakeDirectory { asked: Mutex::new(vec![]), calls: AtomicUsize::new(0) })
    }

    #[tokio::test]
    async fn the_directory_is_asked_once_per_address_case_insensitively() {
        let cache = fake();
        for address in ["Boss@Contoso.cn", "boss@contoso.cn", " BOSS@CONTOSO.CN", "x@wechat.example", "X@wechat.example"] {
            cache.resolve(&address.parse().unwrap()).await.unwrap();
        }
        assert_eq!(cache.inner().calls.load(Ordering::SeqCst), 2);
        assert_eq!(*cache.inner().asked.lock().unwrap(), vec!["boss@contoso.cn", "x@wechat.example"]);
    }

    #[tokio::test]
    async fn concurrent_askers_share_one_lookup() {
        let cache = fake();
        let chief = "chief@contoso.cn".parse().unwrap();
        let answers = futures_util::future::join_all((0..10).map(|_| cache.resolve(&chief))).await;
        assert!(answers.iter().all(|a| a.as_ref().unwrap().as_ref().unwrap().id == "u-boss"));
        assert_eq!(cache.inner().calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn routing_uses_whatever_user_the_directory_returns_for_an_alias() {
        let cache = fake();
        let resolve = |a: &str| {
            let address: MailboxAddress = a.parse().unwrap();
            let cache = &cache;
            async move { cache.resolve(&address).await }
        };
        let a = resolve("chief@contoso.cn").await.unwrap().unwrap();
        let b = resolve("boss@contoso.cn").await.unwrap().unwrap();
        assert_eq!(a.id, b.id);
        assert_eq!(resolve("nobody@contoso.cn").await.unwrap(), None);
    }

    #[test]
    fn the_exact_folder_name_is_preferred_over_a_case_variant() {
        let f = |id: &str, name: &str| MailFolder { id: id.into(), display_name: name.into() };
        let folders = [f("1", "Inbox"), f("2", "wechat archiver"), f("3", "WeChat Archiver")];
        assert_eq!(pick_folder(&folders).unwrap().id, "3");
        assert_eq!(pick_folder(&folders[..2]).unwrap().id, "2");
        assert_eq!(pick_folder(&folders[..1]), None);
    }
}
