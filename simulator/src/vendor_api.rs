//! `/tm/v1`: the vendor archive API (sessions, window listings, raw downloads).

use std::collections::HashMap;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use crate::http_error::ApiError;
use crate::journal::Entry;
use crate::server::Shared;

/// Routes under `/tm/v1`.
pub fn router() -> Router<Shared> {
    Router::new().route("/session", post(login)).route("/items", get(list)).route("/items/{id}/raw", get(raw))
}

fn journal_failure(state: &Shared, op: &'static str, request: String, e: &ApiError, item_id: Option<String>) {
    state.journal.lock().expect("journal lock").push(Entry {
        seq: 0,
        api: "vendor",
        op,
        request,
        status: e.status.as_u16(),
        code: Some(e.code.to_string()),
        mailbox: None,
        folder: None,
        item_id,
    });
}

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
}

async fn login(State(state): State<Shared>, body: Bytes) -> Response {
    let result = match serde_json::from_slice::<Login>(&body) {
        Err(e) => {
            Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", format!("body must be JSON {{\"username\",\"password\"}}: {e}")))
        }
        Ok(l) => {
            let c = &state.scenario.credentials;
            // Compare both fields fully, so timing says nothing about which one is wrong.
            let ok = constant_time_eq(l.username.as_bytes(), c.vendor_username.as_bytes())
                & constant_time_eq(l.password.as_bytes(), c.vendor_password.as_bytes());
            if ok {
                let (token, expires_at) = state.sessions.lock().expect("sessions lock").issue();
                Ok(axum::Json(json!({"token": token, "expires_at": expires_at})).into_response())
            } else {
                Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "wrong username or password"))
            }
        }
    };
    result.unwrap_or_else(|e| {
        journal_failure(&state, "login", "POST /tm/v1/session".into(), &e, None);
        e.into_response()
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        diff |= (a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0xff)) as usize;
    }
    diff == 0
}

fn authorise(state: &Shared, headers: &HeaderMap) -> Result<(), ApiError> {
    let token = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    match token {
        Some(t) if state.sessions.lock().expect("sessions lock").valid(t.trim()) => Ok(()),
        Some(_) => Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", "the token is unknown or expired; log in again")),
        None => Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", "missing Authorization: Bearer <token>")),
    }
}

async fn list(State(state): State<Shared>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let result = (|| {
        authorise(&state, &headers)?;
        let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", m);
        let from = q.get("from").ok_or_else(|| bad("`from` is required".into()))?;
        let to = q.get("to").ok_or_else(|| bad("`to` is required".into()))?;
        let limit = match q.get("limit") {
            None => 100,
            Some(l) => match l.parse::<usize>() {
                Ok(n) if (1..=1000).contains(&n) => n,
                _ => return Err(bad(format!("`limit` must be an integer from 1 to 1000, not {l:?}"))),
            },
        };
        let page = state.archive.list(from, to, limit, q.get("cursor").map(String::as_str)).map_err(|e| bad(e.0))?;
        Ok(axum::Json(page).into_response())
    })();
    result.unwrap_or_else(|e| {
        journal_failure(&state, "list", "GET /tm/v1/items".into(), &e, None);
        e.into_response()
    })
}

async fn raw(State(state): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let found = authorise(&state, &headers).and_then(|()| {
        state.archive.get(&id).ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no item has id {id:?}")))
    });
    let item = match found {
        Ok(item) => item,
        Err(e) => {
            journal_failure(&state, "raw", format!("GET /tm/v1/items/{id}/raw"), &e, Some(id));
            return e.into_response();
        }
    };
    let sha = state.archive.sha256(item);
    let rendered = state.archive.render(item);
    let size = rendered.size();
    let stream = futures_util::stream::iter(rendered.chunks().map(Ok::<_, std::convert::Infallible>));
    let mut response = Body::from_stream(stream).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("message/rfc822"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    h.insert(header::ETAG, HeaderValue::from_str(&format!("\"{sha}\"")).expect("hex is a valid header"));
    response
}
