//! Sending one request with the current token ([`TenantClient::send`], where a 401 is cured)
//! and with the retry policy ([`TenantClient::call`]).

use std::future::Future;

use reqwest::StatusCode;

use super::{TenantClient, TenantError};
use crate::http::HttpError;
use crate::retry::{self, Step};
use crate::token::TokenError;

/// What sending one request came to ([`TenantClient::send`]).
pub(super) enum Sent {
    /// The tenant answered (a 401 only when a new token could not cure it).
    Answered(reqwest::Response),
    /// No answer: connect, timeout, reset.
    Lost(HttpError),
    /// No access token could be had.
    NoToken(TokenError),
}

impl TenantClient {
    /// Sends the request `build` makes with the current bearer token. This is the one place a
    /// 401 leads to a new token: the tenant answers 401 before doing anything, so with client
    /// credentials the stale token is dropped and the request sent once more with a new one.
    pub(super) async fn send(&self, what: &str, build: impl Fn() -> reqwest::RequestBuilder) -> Sent {
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
    pub(super) async fn call<T, B, S, SFut>(&self, what: &str, build: B, on_response: S) -> Result<T, TenantError>
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

    /// The bearer token the next request will carry (to read its `roles`).
    pub(super) async fn current_token(&self) -> Result<String, TokenError> {
        self.credentials.token().await
    }
}
