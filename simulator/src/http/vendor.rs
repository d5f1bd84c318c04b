//! `/tm/v1`: the vendor archive API (sessions, window listings, raw downloads), with the
//! scenario's faults applied (see `faults.rs`).

use std::collections::HashMap;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use tm_contract::{BrokenField, ErrorBody, FaultRecord, ItemPage};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::world::faults::{ActionKind, Api, FaultRule, Op, Request};
use tm_contract::{Session, SessionRequest};

use crate::http::error::ApiError;
use crate::http::fault_answer::{broken_body, fault_error, reset_later};
use crate::http::vendor_bytes;
use crate::observe::journal::Entry;
use crate::state::Shared;

/// Routes under `/tm/v1`, with their OpenAPI description.
pub fn api() -> OpenApiRouter<Shared> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(list)).routes(routes!(raw))
}

/// Routes under `/tm/v1`.
pub fn router() -> Router<Shared> {
    api().split_for_parts().0
}

/// Journals a vendor request (with the fault it met, if any).
pub(crate) fn journal(
    state: &Shared,
    op: Op,
    request: String,
    status: u16,
    code: Option<&str>,
    item_id: Option<String>,
    fault: Option<FaultRecord>,
) {
    state.journal.lock().expect("journal lock").push(Entry {
        seq: 0,
        api: tm_contract::Api::Vendor,
        op: op.into(),
        request,
        status,
        code: code.map(str::to_string),
        mailbox: None,
        folder: None,
        item_id,
        fault,
    });
}

fn fail(state: &Shared, op: Op, request: String, e: ApiError, item_id: Option<String>) -> Response {
    journal(state, op, request, e.status.as_u16(), Some(e.code), item_id, None);
    e.into_response()
}

/// Applies a fault that replaces the whole answer (`status`, `expire_token`), journalling it.
/// Returns `None` for faults the handler applies itself.
async fn preempt(
    state: &Shared,
    rule: &Option<FaultRule>,
    op: Op,
    request: &str,
    headers: &HeaderMap,
    item: Option<&str>,
) -> Option<Response> {
    let rule = rule.as_ref()?;
    let note = Some(rule.record());
    match rule.action {
        ActionKind::Status => {
            let e = fault_error(rule, false);
            journal(state, op, request.to_string(), e.status.as_u16(), Some(e.code), item.map(str::to_string), note);
            Some(e.into_response())
        }
        ActionKind::ExpireToken => {
            if let Some(t) = bearer(headers) {
                state.sessions.lock().expect("sessions lock").revoke(t);
            }
            let e = ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", "the token has expired; log in again");
            journal(state, op, request.to_string(), 401, Some(e.code), item.map(str::to_string), note);
            Some(e.into_response())
        }
        ActionKind::Latency => {
            journal(state, op, request.to_string(), 0, None, item.map(str::to_string), note);
            tokio::time::sleep(Duration::from_millis(rule.latency_ms.unwrap_or(0))).await;
            None
        }
        _ => None,
    }
}

/// Log in: the bearer token for `/items`.
#[utoipa::path(post, path = "/session", operation_id = "vendor_login", tag = crate::http::openapi::VENDOR, request_body = SessionRequest,
    responses(
        (status = 200, description = "A session", body = Session),
        (status = 400, description = "The body is not `{username, password}`", body = ErrorBody),
        (status = 401, description = "Wrong username or password (`invalid_credentials`)", body = ErrorBody),
        crate::http::openapi::VendorFaults,
    ))]
async fn login(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let request = "POST /tm/v1/session";
    let fault = state.faults.decide(Request { api: Api::Vendor, op: Op::Login, item: None, mailbox: None });
    if let Some(r) = preempt(&state, &fault, Op::Login, request, &headers, None).await {
        return r;
    }
    let l = match serde_json::from_slice::<SessionRequest>(&body) {
        Ok(l) => l,
        Err(e) => {
            let e =
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", format!("body must be JSON {{\"username\",\"password\"}}: {e}"));
            return fail(&state, Op::Login, request.into(), e, None);
        }
    };
    let c = &state.world.scenario.credentials;
    // Compare both fields fully, so timing says nothing about which one is wrong.
    let ok = constant_time_eq(l.username.as_bytes(), c.vendor_username.as_bytes())
        & constant_time_eq(l.password.as_bytes(), c.vendor_password.as_bytes());
    if !ok {
        return fail(
            &state,
            Op::Login,
            request.into(),
            ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "wrong username or password"),
            None,
        );
    }
    let (token, expires_at) = state.sessions.lock().expect("sessions lock").issue();
    let body = Bytes::from(serde_json::to_string(&Session { token, expires_at: Some(expires_at) }).expect("a session serialises"));
    match fault.filter(|f| f.action == ActionKind::Reset) {
        Some(f) => {
            journal(&state, Op::Login, request.into(), 200, None, None, Some(f.record()));
            let len = body.len();
            json_response(broken_body(body, f.at_byte.map_or(len / 2, |b| b as usize)), len)
        }
        None => json_response(Body::from(body.clone()), body.len()),
    }
}

fn json_response(body: Body, len: usize) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    r
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        diff |= (a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0xff)) as usize;
    }
    diff == 0
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::trim)
}

fn authorise(state: &Shared, headers: &HeaderMap) -> Result<(), ApiError> {
    match bearer(headers) {
        Some(t) if state.sessions.lock().expect("sessions lock").valid(t) => Ok(()),
        Some(_) => Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", "the token is unknown or expired; log in again")),
        None => Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", "missing Authorization: Bearer <token>")),
    }
}

/// One page of a listing: with `from` and `to`, the items captured in `[from, to)` in
/// `(captured_at, id)` order (the window listing); with `after`, the items with `seq > after` in
/// `seq` order (the sequence listing, WeCom's `GetChatData`), its first page saying which expired
/// (`expired`). Either way only the items that have reached the archive by its clock and not
/// expired.
#[utoipa::path(get, path = "/items", operation_id = "vendor_list", tag = crate::http::openapi::VENDOR, security(("vendorSession" = [])),
    params(
        ("from" = Option<String>, Query, format = DateTime, description = "Window start (RFC 3339, years 1677 to 2262), inclusive; with `to`, not with `after`"),
        ("to" = Option<String>, Query, format = DateTime, description = "Window end (RFC 3339, years 1677 to 2262), exclusive"),
        ("after" = Option<u64>, Query, minimum = 0, description = "Sequence listing: the items after this `seq` (0: from the first); not with `from`/`to`"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Items per page (default 100)"),
        ("cursor" = Option<String>, Query, description = "The previous page's `next_cursor`"),
    ),
    responses(
        (status = 200, description = "A page", body = ItemPage),
        (status = 400, description = "Missing or bad `from`, `to`, `after`, `limit` or `cursor` (`invalid_request`)", body = ErrorBody),
        (status = 401, description = "No token, or an unknown or expired one (`invalid_token`)", body = ErrorBody),
        crate::http::openapi::VendorFaults,
    ))]
async fn list(State(state): State<Shared>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let request = "GET /tm/v1/items";
    if let Err(e) = authorise(&state, &headers) {
        return fail(&state, Op::List, request.into(), e, None);
    }
    let fault = state.faults.decide(Request { api: Api::Vendor, op: Op::List, item: None, mailbox: None });
    if let Some(r) = preempt(&state, &fault, Op::List, request, &headers, None).await {
        return r;
    }
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", m);
    let limit = match q.get("limit") {
        None => 100,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => return fail(&state, Op::List, request.into(), bad(format!("`limit` must be an integer from 1 to 1000, not {l:?}")), None),
        },
    };
    let cursor = q.get("cursor").map(String::as_str);
    let rewind = match &fault {
        Some(f) if f.action == ActionKind::RepeatPage && cursor.is_some() => f.repeat.unwrap_or(3).min(limit - 1),
        _ => 0,
    };
    let mut page = match query_page(&state, &q, limit, cursor, rewind) {
        Ok(p) => p,
        Err(e) => return fail(&state, Op::List, request.into(), bad(e), None),
    };
    if rewind > 0 {
        journal(&state, Op::List, request.into(), 200, None, None, fault.as_ref().map(FaultRule::record));
    }
    for item in &mut page.items {
        if let Some(lie) = state.faults.size_lie(item.id.as_str()) {
            item.size = lie.size.unwrap_or(item.size);
            journal(&state, Op::List, request.into(), 200, None, Some(item.id.to_string()), Some(lie.record()));
        }
        vendor_bytes::describe_held(&state, item);
    }
    let body = match broken_entries(&state, &page, request) {
        Some(broken) => Bytes::from(broken),
        None => Bytes::from(serde_json::to_vec(&page).expect("a page serialises")),
    };
    match fault.filter(|f| f.action == ActionKind::Reset) {
        Some(f) => {
            journal(&state, Op::List, request.into(), 200, None, None, Some(f.record()));
            let len = body.len();
            json_response(broken_body(body, f.at_byte.map_or(len / 2, |b| b as usize)), len)
        }
        None => json_response(Body::from(body.clone()), body.len()),
    }
}

/// The page a listing query asks for (window or sequence), or why it is refused.
fn query_page(state: &Shared, q: &HashMap<String, String>, limit: usize, cursor: Option<&str>, rewind: usize) -> Result<ItemPage, String> {
    let archive = &state.world.archive;
    match (q.get("from"), q.get("to"), q.get("after")) {
        (None, None, Some(after)) => {
            // An int64 from 0, as the OpenAPI declares it (JSON clients read integers as int64).
            let after = after
                .parse::<i64>()
                .ok()
                .and_then(|a| u64::try_from(a).ok())
                .ok_or_else(|| format!("`after` must be a sequence number (an integer from 0 to 2^63 - 1), not {after:?}"))?;
            archive.list_seq(after, limit, cursor, state.visible()).map_err(|e| e.0)
        }
        (Some(from), Some(to), None) => archive.list(from, to, limit, cursor, rewind, state.visible()).map_err(|e| e.0),
        (_, _, Some(_)) => Err("`after` (the sequence listing) is not given with `from`/`to` (the window listing)".into()),
        _ => Err("`from` and `to` are required (or `after`, for the sequence listing)".into()),
    }
}

/// The page's JSON with the entries a `break_entry` fault names broken (journalled per entry),
/// or `None` when it names none of them (the page is then written as it is).
fn broken_entries(state: &Shared, page: &ItemPage, request: &str) -> Option<Vec<u8>> {
    if !state.faults.breaks_entries() {
        return None;
    }
    let rules: Vec<(usize, &FaultRule)> =
        page.items.iter().enumerate().filter_map(|(i, item)| state.faults.broken_entry(item.id.as_str()).map(|r| (i, r))).collect();
    if rules.is_empty() {
        return None;
    }
    let mut json = serde_json::to_value(page).expect("a page serialises");
    let entries = json["items"].as_array_mut().expect("a page has items");
    for (i, rule) in rules {
        let entry = entries[i].as_object_mut().expect("an entry is an object");
        match rule.broken_field().unwrap_or(BrokenField::Size) {
            BrokenField::Size => _ = entry.insert("size".into(), "large".into()),
            BrokenField::Sha256 => _ = entry.remove("sha256"),
            BrokenField::CapturedAt => _ = entry.insert("captured_at".into(), "yesterday".into()),
            BrokenField::Id => _ = entry.remove("id"),
        }
        journal(state, Op::List, request.into(), 200, None, Some(page.items[i].id.to_string()), Some(rule.record()));
    }
    Some(serde_json::to_vec(&json).expect("JSON serialises"))
}

/// An item's raw RFC 5322 bytes (its sha256 is the `ETag`).
#[utoipa::path(get, path = "/items/{id}/raw", operation_id = "vendor_raw", tag = crate::http::openapi::VENDOR, security(("vendorSession" = [])),
    params(("id" = String, Path, description = "The item id (its `X-TELEMESSAGE-ArchiveMessageID`)")),
    responses(
        (status = 200, description = "The item", content_type = "message/rfc822", body = crate::http::openapi::control::RawMessage,
            headers(("ETag" = String, description = "The item's sha256, quoted"))),
        (status = 401, description = "No token, or an unknown or expired one (`invalid_token`)", body = ErrorBody),
        (status = 404, description = "No such item (or not archived yet, by the archive's clock) (`not_found`)", body = ErrorBody),
        (status = 410, description = "The item has expired: archived more than `[vendor] retention_days` before the archive's clock (`data_expired`, WeCom's errcode 10010); or a listed item deleted from the archive since (`item_deleted`, the `gone` fault)", body = ErrorBody),
        crate::http::openapi::VendorFaults,
    ))]
async fn raw(State(state): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let request = || format!("GET /tm/v1/items/{id}/raw");
    if let Err(e) = authorise(&state, &headers) {
        return fail(&state, Op::Raw, request(), e, Some(id));
    }
    let fault = state.faults.decide(Request { api: Api::Vendor, op: Op::Raw, item: Some(&id), mailbox: None });
    if fault.is_some()
        && let Some(r) = preempt(&state, &fault, Op::Raw, &request(), &headers, Some(&id)).await
    {
        return r;
    }
    let visible = state.visible();
    let Some(item) = state.world.archive.get(&id).filter(|i| visible.arrived(i)) else {
        return fail(
            &state,
            Op::Raw,
            request(),
            ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no item has id {id:?}")),
            Some(id),
        );
    };
    if visible.expired(item) {
        let e = ApiError::new(
            StatusCode::GONE,
            "data_expired",
            format!(
                "item {id:?} (seq {}) has expired: the archive keeps {} days",
                item.spec.seq,
                state.world.scenario.vendor.retention_days.unwrap_or(0)
            ),
        );
        return fail(&state, Op::Raw, request(), e, Some(id));
    }
    if let Some(rule) = state.faults.gone(&id) {
        return vendor_bytes::gone(&state, rule, &id, request());
    }
    if vendor_bytes::serves_bad_bytes(&state, &id, fault.as_ref()) {
        return vendor_bytes::bad_bytes(&state, item, fault.as_ref(), request());
    }
    let sha = state.world.archive.sha256(item);
    let etag = HeaderValue::from_str(&format!("\"{sha}\"")).expect("hex is a valid header");
    let rendered = state.world.archive.render(item);
    if fault.is_none() {
        // The common case: the whole answer at once for a chat, call or recall (one write),
        // streamed for an attachment.
        let size = rendered.size();
        let body = match rendered.into_single() {
            Ok(bytes) => Body::from(bytes),
            Err(r) => Body::from_stream(futures_util::stream::iter(r.into_chunks().map(Ok::<_, std::io::Error>))),
        };
        let mut response = body.into_response();
        let h = response.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("message/rfc822"));
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
        h.insert(header::ETAG, etag);
        return response;
    }
    let request = request();
    let response = faulty_body(rendered, fault.as_ref(), etag);
    if let Some(f) = fault.filter(|f| matches!(f.action, ActionKind::Reset | ActionKind::Truncate)) {
        journal(&state, Op::Raw, request, 200, None, Some(id), Some(f.record()));
    }
    response
}

/// A download's answer under a fault: cut at its byte (`reset`: then the connection reset;
/// `truncate`: without a `Content-Length`), or whole after a latency fault.
fn faulty_body(rendered: crate::world::render::Rendered, fault: Option<&FaultRule>, etag: HeaderValue) -> Response {
    let size = rendered.size();
    let cut =
        fault.filter(|f| matches!(f.action, ActionKind::Reset | ActionKind::Truncate)).map(|f| f.at_byte.unwrap_or(size / 2).min(size));
    let mut sent = 0u64;
    let chunks = rendered.chunks().map_while(move |c| match cut {
        Some(cut) if sent >= cut => None,
        Some(cut) => {
            let take = (cut - sent).min(c.len() as u64) as usize;
            sent += take as u64;
            Some(c.slice(..take))
        }
        None => Some(c),
    });
    let reset = fault.is_some_and(|f| f.action == ActionKind::Reset);
    let body = futures_util::stream::iter(chunks.map(Ok::<_, std::io::Error>));
    let mut response = if reset { Body::from_stream(body.chain(reset_later())) } else { Body::from_stream(body) }.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("message/rfc822"));
    if fault.is_none_or(|f| f.action != ActionKind::Truncate) {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    }
    h.insert(header::ETAG, etag);
    response
}
