//! The tenant's credentials: the static `GRAPH_TOKEN` (contract v1), or the OAuth 2.0
//! client-credentials grant of the Microsoft identity platform (contract v2: `GRAPH_TENANT_ID`,
//! `GRAPH_CLIENT_ID`, `GRAPH_CLIENT_SECRET`, `GRAPH_AUTHORITY`;
//! <https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow>).
//!
//! An access token is fetched on first use, kept, and fetched again before it expires (when a
//! quarter of its lifetime, at most 5 minutes, is left) or after the tenant answers 401
//! `InvalidAuthenticationToken` to it ([`Credentials::invalidate`]). Concurrent callers share one
//! token request. The secret is sent in the form body only, never logged or put in an error.

use std::time::{Duration, Instant};

use reqwest::Url;

use crate::http::HttpError;
use crate::retry::{self, RetryPolicy, Step};

/// The scope of a client-credentials request for Microsoft Graph.
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// Why no access token could be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The identity platform refused the credentials (`invalid_client`, `unauthorized_client`, …):
    /// a configuration error.
    #[error("the identity platform refused the client credentials ({error}): check {setting}")]
    Refused {
        /// The OAuth error (`invalid_client`).
        error: String,
        /// The setting most likely wrong.
        setting: &'static str,
    },
    /// The token endpoint could not be asked, after retries.
    #[error(transparent)]
    Http(#[from] HttpError),
}

struct Cached {
    token: String,
    refresh_at: Instant,
}

/// Client credentials and the token they last got.
pub struct ClientCredentials {
    http: reqwest::Client,
    token_url: Url,
    client_id: String,
    secret: String,
    policy: RetryPolicy,
    cached: tokio::sync::Mutex<Option<Cached>>,
}

/// How the connector authenticates to the tenant.
pub enum Credentials {
    /// A static bearer token (`GRAPH_TOKEN`).
    Static(String),
    /// OAuth 2.0 client credentials.
    Client(Box<ClientCredentials>),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Static(_) => f.write_str("Credentials::Static(..)"),
            Credentials::Client(c) => {
                f.debug_struct("Credentials::Client").field("token_url", &c.token_url.as_str()).finish_non_exhaustive()
            }
        }
    }
}

/// The token endpoint of a tenant: `{authority}/{tenant}/oauth2/v2.0/token`.
pub fn token_url(authority: &Url, tenant_id: &str) -> Url {
    crate::source::endpoint(authority, &[tenant_id, "oauth2", "v2.0", "token"])
}

/// When to fetch again a token that lives `lifetime`: a quarter of it, at most 5 minutes, early.
pub fn refresh_after(lifetime: Duration) -> Duration {
    lifetime - (lifetime / 4).min(Duration::from_secs(300))
}

impl Credentials {
    /// Client credentials against `token_url`.
    pub fn client(http: reqwest::Client, token_url: Url, client_id: String, secret: String, policy: RetryPolicy) -> Credentials {
        Credentials::Client(Box::new(ClientCredentials {
            http,
            token_url,
            client_id,
            secret,
            policy,
            cached: tokio::sync::Mutex::new(None),
        }))
    }

    /// Whether a 401 can be cured by fetching a new token.
    pub fn refreshes(&self) -> bool {
        matches!(self, Credentials::Client(_))
    }

    /// The bearer token to send now.
    pub async fn token(&self) -> Result<String, TokenError> {
        let c = match self {
            Credentials::Static(t) => return Ok(t.clone()),
            Credentials::Client(c) => c,
        };
        let mut cached = c.cached.lock().await;
        if let Some(k) = cached.as_ref()
            && Instant::now() < k.refresh_at
        {
            return Ok(k.token.clone());
        }
        let (token, lifetime) = c.fetch().await?;
        tracing::debug!(lifetime_s = lifetime.as_secs(), "fetched a tenant access token");
        *cached = Some(Cached { token: token.clone(), refresh_at: Instant::now() + refresh_after(lifetime) });
        Ok(token)
    }

    /// The tenant refused `stale`: the next [`Credentials::token`] fetches a new one (unless
    /// another caller already did).
    pub async fn invalidate(&self, stale: &str) {
        if let Credentials::Client(c) = self {
            let mut cached = c.cached.lock().await;
            if cached.as_ref().is_some_and(|k| k.token == stale) {
                *cached = None;
            }
        }
    }
}

impl ClientCredentials {
    async fn fetch(&self) -> Result<(String, Duration), TokenError> {
        #[derive(serde::Deserialize)]
        struct Granted {
            access_token: String,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        #[derive(serde::Deserialize)]
        struct Refusal {
            error: String,
        }
        let what = "token request";
        let form =
            [("grant_type", "client_credentials"), ("client_id", &self.client_id), ("client_secret", &self.secret), ("scope", GRAPH_SCOPE)];
        let body = form_body(&form);
        let refused = std::sync::Mutex::new(None);
        let result = retry::run(&self.policy, |_| {
            let (body, refused) = (body.clone(), &refused);
            async move {
                let sent = self
                    .http
                    .post(self.token_url.clone())
                    .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await;
                let r = match sent {
                    Ok(r) => r,
                    Err(e) => return Step::from_error(HttpError::transport(what, &e)),
                };
                let status = r.status();
                if status.is_success() {
                    return match r.json::<Granted>().await {
                        Ok(g) => Step::Done(g),
                        Err(e) => Step::Fail(HttpError::Protocol { what: what.into(), detail: format!("not a token answer: {e}") }),
                    };
                }
                if status.is_client_error() && status.as_u16() != 429 && status.as_u16() != 408 {
                    let bytes = r.bytes().await.unwrap_or_default();
                    let error = serde_json::from_slice::<Refusal>(&bytes).map_or_else(|_| format!("HTTP {status}"), |x| x.error);
                    *refused.lock().expect("not poisoned") = Some(error);
                    return Step::Fail(HttpError::Protocol { what: what.into(), detail: format!("HTTP {status}") });
                }
                Step::from_error(HttpError::from_response(what, r).await)
            }
        })
        .await;
        if let Some(error) = refused.into_inner().expect("not poisoned") {
            let setting = match error.as_str() {
                "invalid_client" => "GRAPH_CLIENT_SECRET",
                "unauthorized_client" => "GRAPH_CLIENT_ID",
                "invalid_request" | "invalid_tenant" => "GRAPH_TENANT_ID and GRAPH_AUTHORITY",
                _ => "GRAPH_TENANT_ID, GRAPH_CLIENT_ID and GRAPH_CLIENT_SECRET",
            };
            return Err(TokenError::Refused { error, setting });
        }
        let g = result?;
        Ok((g.access_token, Duration::from_secs(g.expires_in.unwrap_or(3599).max(1))))
    }
}

/// An `application/x-www-form-urlencoded` body (reqwest is built without its form feature).
fn form_body(pairs: &[(&str, &str)]) -> String {
    let mut u = Url::parse("http://x/").expect("a URL");
    u.query_pairs_mut().extend_pairs(pairs);
    u.query().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use quickcheck::quickcheck;

    use super::*;

    #[test]
    fn the_token_endpoint_is_under_the_tenant() {
        let a = Url::parse("https://127.0.0.1:8443").unwrap();
        assert_eq!(token_url(&a, "t-1").as_str(), "https://127.0.0.1:8443/t-1/oauth2/v2.0/token");
        let a = Url::parse("https://login.example/base/").unwrap();
        assert_eq!(token_url(&a, "t-1").as_str(), "https://login.example/base/t-1/oauth2/v2.0/token");
    }

    #[test]
    fn forms_encode_what_a_secret_may_hold() {
        assert_eq!(form_body(&[("client_secret", "a&b=c d+é")]), "client_secret=a%26b%3Dc+d%2B%C3%A9");
    }

    quickcheck! {
        fn a_token_is_refreshed_before_it_expires_and_not_long_before(secs: u32) -> bool {
            let lifetime = Duration::from_secs(u64::from(secs % 100_000) + 1);
            let r = refresh_after(lifetime);
            let early = lifetime - r;
            early > Duration::ZERO && early <= Duration::from_secs(300) && r >= lifetime * 3 / 4
        }
    }
}
