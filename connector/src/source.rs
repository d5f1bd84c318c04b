//! The vendor archive client (`/tm/v1`): session login and re-login, window listing with
//! cursors, and capped downloads.
//!
//! **SIZE**: [`SourceClient::download`] never holds more than `limit` bytes of an item: a
//! `Content-Length` over the limit is rejected before the body is read, and the streamed body is
//! abandoned as soon as it would exceed the limit, so a source that misreports `size` still
//! cannot make the connector buffer more. The body is kept base64-encoded as it arrives (see
//! `body.rs`), its buffer growing by doubling but never beyond what `limit` bytes need.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use reqwest::{StatusCode, Url};
use tokio::sync::Mutex;

use crate::body::{Body, BodyBuilder};
use crate::http::HttpError;
use crate::retry::{self, RetryPolicy, Step};

pub use crate::entries::Page;
pub use tm_contract::ItemRef;
use tm_contract::{ItemId, Session, SessionRequest};

/// The result of a capped download.
#[derive(Debug)]
pub enum Fetched {
    /// The whole item: its base64 form, header block and sha256 (see `body.rs`).
    Complete(Body),
    /// The item is larger than the limit; reading stopped at `received` bytes.
    TooLarge {
        /// Bytes received before giving up (0 when `Content-Length` already said too much).
        received: u64,
    },
    /// The vendor says the item does not exist (404) or no longer does (410), though it was
    /// listed: reported `malformed_item`, the run goes on.
    NotFound {
        /// The status answered (404 or 410).
        status: u16,
    },
}

/// A vendor call that failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// `POST /session` answered 401 `invalid_credentials`: a configuration error.
    #[error("the vendor archive rejected the credentials of user `{username}` (invalid_credentials)")]
    Credentials {
        /// The username (never the password).
        username: String,
    },
    /// Any other failure, after retries.
    #[error(transparent)]
    Http(#[from] HttpError),
}

/// Timeouts for vendor and tenant calls.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Small calls (login, listing, lookups, folders).
    pub request: Duration,
    /// Transfers (downloads, imports).
    pub transfer: Duration,
}

/// The vendor archive client.
pub struct SourceClient {
    http: reqwest::Client,
    base: Url,
    username: String,
    password: String,
    session: Mutex<Option<Session>>,
    policy: RetryPolicy,
    timeouts: Timeouts,
}

impl std::fmt::Debug for SourceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceClient").field("base", &self.base.as_str()).field("username", &self.username).finish_non_exhaustive()
    }
}

/// A token is renewed this long before it expires.
const RENEW_BEFORE: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

/// `base` joined with path segments (each percent-encoded as one segment).
pub(crate) fn endpoint(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    {
        let mut path = url.path_segments_mut().expect("base URLs are validated to be http(s)");
        path.pop_if_empty();
        for s in segments {
            path.push(s);
        }
    }
    url
}

/// Formats a window bound the way the contract writes times (UTC, milliseconds).
pub fn format_time(t: DateTime<Utc>) -> String {
    tm_contract::format_time(t)
}

impl SourceClient {
    /// A client for the vendor API at `base` (path included, e.g. `http://host/tm/v1`).
    pub fn new(
        http: reqwest::Client,
        base: Url,
        username: String,
        password: String,
        policy: RetryPolicy,
        timeouts: Timeouts,
    ) -> SourceClient {
        SourceClient { http, base, username, password, session: Mutex::new(None), policy, timeouts }
    }

    /// Logs in now (at start, so that bad credentials are a configuration error before anything
    /// is imported).
    pub async fn login(&self) -> Result<(), SourceError> {
        let mut session = self.session.lock().await;
        *session = Some(self.new_session().await?);
        Ok(())
    }

    async fn new_session(&self) -> Result<Session, SourceError> {
        let url = &endpoint(&self.base, &["session"]);
        let what = "vendor login";
        let result = retry::run(&self.policy, move |_| async move {
            let sent = self
                .http
                .post(url.clone())
                .timeout(self.timeouts.request)
                .json(&SessionRequest { username: self.username.clone(), password: self.password.clone() })
                .send()
                .await;
            match sent {
                Err(e) => Step::from_error(transport(what, e)),
                Ok(r) if r.status().is_success() => match r.json::<Session>().await {
                    Ok(s) => Step::Done(s),
                    Err(e) => Step::Retry(transport(what, e)),
                },
                Ok(r) => Step::from_error(HttpError::from_response(what, r).await),
            }
        })
        .await;
        match result {
            Ok(session) => {
                tracing::debug!(expires_at = ?session.expires_at, "vendor session opened");
                Ok(session)
            }
            Err(e) if e.status() == Some(StatusCode::UNAUTHORIZED) => Err(SourceError::Credentials { username: self.username.clone() }),
            Err(e) => Err(e.into()),
        }
    }

    /// The current token, logging in first when there is none or it is about to expire.
    async fn token(&self) -> Result<String, SourceError> {
        let mut session = self.session.lock().await;
        let fresh = session.as_ref().is_some_and(|s| s.expires_at.is_none_or(|exp| exp - RENEW_BEFORE > Utc::now()));
        if !fresh {
            *session = Some(self.new_session().await?);
        }
        Ok(session.as_ref().expect("set above").token.clone())
    }

    /// Forgets `stale` (after a 401 `invalid_token`), unless another task already replaced it.
    async fn invalidate(&self, stale: &str) {
        let mut session = self.session.lock().await;
        if session.as_ref().is_some_and(|s| s.token == stale) {
            tracing::info!("vendor token rejected, logging in again");
            *session = None;
        }
    }

    /// Sends an authenticated request built by `build`, with retries and re-login; hands a 2xx
    /// response to `on_success`, which may itself ask for a retry (e.g. a truncated body).
    async fn call<T, B, S, SFut>(&self, what: &str, build: B, on_success: S) -> Result<T, SourceError>
    where
        B: Fn(&str) -> reqwest::RequestBuilder,
        S: Fn(reqwest::Response) -> SFut,
        SFut: std::future::Future<Output = Step<T>>,
    {
        // A re-login refused mid-run is reported as what it is, not as a generic HTTP failure.
        let login_failure = std::sync::Mutex::new(None);
        let (build, on_success, login_failure_ref) = (&build, &on_success, &login_failure);
        let result = retry::run(&self.policy, move |_| async move {
            let token = match self.token().await {
                Ok(t) => t,
                Err(SourceError::Http(e)) => return Step::Fail(e),
                Err(e) => {
                    let detail = e.to_string();
                    *login_failure_ref.lock().expect("not poisoned") = Some(e);
                    return Step::Fail(HttpError::Protocol { what: what.to_owned(), detail });
                }
            };
            match build(&token).send().await {
                Err(e) => Step::from_error(transport(what, e)),
                Ok(r) if r.status().is_success() => on_success(r).await,
                Ok(r) => {
                    let error = HttpError::from_response(what, r).await;
                    if error.status() == Some(StatusCode::UNAUTHORIZED) {
                        // 401 invalid_token: the session is gone (expired, revoked, server
                        // restarted); log in again and retry at once.
                        self.invalidate(&token).await;
                        Step::RetryNow(error)
                    } else {
                        Step::from_error(error)
                    }
                }
            }
        })
        .await;
        if let Some(e) = login_failure.into_inner().expect("not poisoned") {
            return Err(e);
        }
        result.map_err(SourceError::Http)
    }

    /// Lists one page of `[from, to)`, read entry by entry (`entries.rs`).
    pub async fn list_page(&self, from: DateTime<Utc>, to: DateTime<Utc>, cursor: Option<&str>, limit: u32) -> Result<Page, SourceError> {
        let (from_s, to_s) = (format_time(from), format_time(to));
        self.list("vendor listing", &[("from", from_s.as_str()), ("to", to_s.as_str())], cursor, limit).await
    }

    /// Lists one page of the sequence listing: the items after `after`, in `seq` order.
    pub async fn list_seq_page(&self, after: u64, cursor: Option<&str>, limit: u32) -> Result<Page, SourceError> {
        let after_s = after.to_string();
        self.list("vendor sequence listing", &[("after", after_s.as_str())], cursor, limit).await
    }

    /// One page of either listing (`query` says which): the page's shape strictly, its entries
    /// one by one (`entries.rs`): one broken entry is reported, not a reason to refuse the page.
    async fn list(&self, what: &'static str, query: &[(&str, &str)], cursor: Option<&str>, limit: u32) -> Result<Page, SourceError> {
        let url = endpoint(&self.base, &["items"]);
        let limit_s = limit.to_string();
        self.call(
            what,
            |token| {
                let mut query = query.to_vec();
                query.push(("limit", &limit_s));
                if let Some(c) = cursor {
                    query.push(("cursor", c));
                }
                self.http.get(url.clone()).timeout(self.timeouts.request).bearer_auth(token).query(&query)
            },
            |r| async move {
                match r.bytes().await {
                    Ok(body) => match crate::entries::parse(&body) {
                        Ok(page) => Step::Done(page),
                        Err(e) => Step::Fail(HttpError::Protocol { what: what.to_owned(), detail: e.to_string() }),
                    },
                    Err(e) => Step::Retry(transport(what, e)),
                }
            },
        )
        .await
    }

    /// Downloads one item, holding at most `limit` bytes of it (see the module docs).
    /// `size_hint` (the listed size) only sizes the initial buffer, never beyond `limit`.
    pub async fn download(&self, id: &ItemId, size_hint: u64, limit: u64) -> Result<Fetched, SourceError> {
        let url = endpoint(&self.base, &["items", id.as_str(), "raw"]);
        let what = format!("download of item {id}");
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let initial = usize::try_from(size_hint).unwrap_or(usize::MAX).min(limit);
        let result = self
            .call(
                &what,
                |token| self.http.get(url.clone()).timeout(self.timeouts.transfer).bearer_auth(token),
                |r| read_capped(&what, r, initial, limit),
            )
            .await;
        match result {
            Err(SourceError::Http(e)) if matches!(e.status(), Some(StatusCode::NOT_FOUND | StatusCode::GONE)) => {
                Ok(Fetched::NotFound { status: e.status().map_or(404, |s| s.as_u16()) })
            }
            other => other,
        }
    }
}

fn transport(what: &str, source: reqwest::Error) -> HttpError {
    HttpError::transport(what, &source)
}

/// Streams a body into a buffer that never exceeds `limit` bytes (length or capacity).
async fn read_capped(what: &str, response: reqwest::Response, initial: usize, limit: usize) -> Step<Fetched> {
    if let Some(len) = response.content_length()
        && len > limit as u64
    {
        return Step::Done(Fetched::TooLarge { received: 0 });
    }
    let mut body = BodyBuilder::new(initial, limit);
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => return Step::Retry(transport(what, e)),
        };
        if !body.push(&chunk) {
            return Step::Done(Fetched::TooLarge { received: body.len() as u64 });
        }
    }
    Step::Done(Fetched::Complete(body.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_the_base_path_and_encode_segments() {
        let base = Url::parse("http://127.0.0.1:1/tm/v1").unwrap();
        assert_eq!(endpoint(&base, &["items", "a/b c", "raw"]).as_str(), "http://127.0.0.1:1/tm/v1/items/a%2Fb%20c/raw");
        let base = Url::parse("http://127.0.0.1:1/graph/v1.0/").unwrap();
        assert_eq!(endpoint(&base, &["users", "Wang.Wei@contoso.cn"]).as_str(), "http://127.0.0.1:1/graph/v1.0/users/Wang.Wei@contoso.cn");
    }

    #[test]
    fn hostile_ids_are_one_encoded_segment() {
        let base = Url::parse("http://127.0.0.1:1/tm/v1").unwrap();
        let url = endpoint(&base, &["items", "a b#c?d/e+f%g王", "raw"]);
        assert_eq!(url.as_str(), "http://127.0.0.1:1/tm/v1/items/a%20b%23c%3Fd%2Fe+f%25g%E7%8E%8B/raw");
        assert_eq!(url.query(), None);
        assert_eq!(url.fragment(), None);
    }

    quickcheck::quickcheck! {
        /// Any item id round-trips through a URL path segment: the URL has exactly the segments
        /// built, no query or fragment, and the id's segment decodes back to the id. (Text with
        /// control characters is no item id: see the test below.)
        fn any_id_round_trips_through_a_path_segment(text: String) -> quickcheck::TestResult {
            let Ok(id) = text.parse::<ItemId>() else { return quickcheck::TestResult::discard() };
            let base = Url::parse("http://127.0.0.1:1/tm/v1").unwrap();
            let url = endpoint(&base, &["items", id.as_str(), "raw"]);
            let segments: Vec<&str> = url.path_segments().unwrap().collect();
            let back = percent_decode(segments[3]);
            quickcheck::TestResult::from_bool(segments.len() == 5 && segments[..3] == ["tm", "v1", "items"] && segments[4] == "raw"
                && url.query().is_none() && url.fragment().is_none() && back == id.as_str().as_bytes())
        }
    }

    #[test]
    fn control_characters_would_not_survive_a_url_which_is_why_item_ids_hold_none() {
        // The URL standard drops tabs and newlines from any input (WHATWG URL, "remove all ASCII
        // tab or newline"): an id holding one would download another item's path.
        let base = Url::parse("http://127.0.0.1:1/tm/v1").unwrap();
        assert_eq!(endpoint(&base, &["items", "a\tb", "raw"]).path(), "/tm/v1/items/ab/raw");
        assert!("a\tb".parse::<ItemId>().is_err());
    }

    /// `%XX` decoded, other bytes as they are (the server's reading of a path segment).
    fn percent_decode(segment: &str) -> Vec<u8> {
        let bytes = segment.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&segment[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        out
    }

    #[test]
    fn times_are_written_in_utc_with_milliseconds() {
        let t: DateTime<Utc> = "2026-11-20T08:15:30.123456Z".parse().unwrap();
        assert_eq!(format_time(t), "2026-11-20T08:15:30.123Z");
    }

    #[test]
    fn an_item_ref_parses_from_the_contract_shape() {
        let r: ItemRef = serde_json::from_str(
            r#"{"id":"c-1","captured_at":"2026-11-20T08:15:30.123Z","size":12,"sha256":"ab","source":"wechat","kind":"chat"}"#,
        )
        .unwrap();
        assert_eq!(r.id, "c-1");
        assert_eq!(r.size, 12);
    }
}
