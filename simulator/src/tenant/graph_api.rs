//! `/graph/v1.0`: a Microsoft Graph-shaped subset — user lookup, top-level mail folders, MIME
//! import. The bearer token is checked before anything else, unknown paths included.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

use super::mailboxes::{Content, CreateFolderError, Message};
use super::upload::Upload;
use crate::faults::{ActionKind, Api, Op, Request as FaultRequest};
use crate::http_error::ApiError;
use crate::journal::Entry;
use crate::server::Shared;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

/// Largest request body the import accepts, like Graph's 150 MB.
pub const MAX_IMPORT_BODY: usize = 150 * 1024 * 1024;

/// Routes under `/graph/v1.0`.
pub fn router(state: Shared) -> Router<Shared> {
    Router::new()
        .route("/users", get(list_users))
        .route("/users/{address}", get(user))
        .route("/users/{id}/mailFolders", get(folders).post(create_folder))
        .route("/users/{id}/mailFolders/{folder}/messages", axum::routing::post(import))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "UnknownResource", "no such resource in this Graph subset") })
        .layer(middleware::from_fn_with_state(state.clone(), require_token))
        .layer(middleware::from_fn_with_state(state, request_ids))
}

/// A GUID-shaped id for the `n`th tenant request of a scenario: deterministic (seed and order),
/// shaped like Graph's request ids (a version-4 UUID).
pub fn request_id(seed: u64, n: u64) -> String {
    let h = Sha256::digest(format!("request-id/{seed}/{n}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &x[0..8], &x[8..12], &x[12..16], &x[16..20], &x[20..32])
}

/// Graph's request ids on every tenant answer: `request-id` and `client-request-id` headers (the
/// client's own `client-request-id` echoed, else the request's id), and in an error body an
/// `innerError` with both and the date, as Graph answers (<https://learn.microsoft.com/graph/errors>).
async fn request_ids(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let n = state.tenant_requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let request_id = request_id(state.scenario.seed, n);
    let client_request_id = request
        .headers()
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 200)
        .map_or_else(|| request_id.clone(), str::to_owned);
    let mut response = next.run(request).await;
    if response.status().is_client_error() || response.status().is_server_error() {
        response = with_inner_error(response, &request_id, &client_request_id).await;
    }
    let headers = response.headers_mut();
    for (name, value) in [("request-id", &request_id), ("client-request-id", &client_request_id)] {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    }
    response
}

/// An error answer with Graph's `innerError` added to its JSON body (error bodies are small).
async fn with_inner_error(response: Response, request_id: &str, client_request_id: &str) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, 64 * 1024).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(mut error) = serde_json::from_slice::<tm_contract::ErrorBody>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    error.error.inner_error = Some(tm_contract::InnerError {
        date: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
        request_id: request_id.to_owned(),
        client_request_id: client_request_id.to_owned(),
    });
    let body = serde_json::to_vec(&error).expect("an error body serialises");
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

/// The operation and the user (id or address, percent-decoded) of a Graph request, from the
/// route axum matched (`MatchedPath`); the user is the segment after `users`.
fn classify(method: &axum::http::Method, matched: Option<&str>, path: &str) -> (Op, Option<String>) {
    let route = matched.map(|m| m.strip_prefix("/graph/v1.0").unwrap_or(m));
    let op = match (method.as_str(), route) {
        ("GET", Some("/users/{address}")) | ("GET", Some("/users")) => Op::Lookup,
        ("GET", Some("/users/{id}/mailFolders")) => Op::Folders,
        ("POST", Some("/users/{id}/mailFolders")) => Op::CreateFolder,
        ("POST", Some("/users/{id}/mailFolders/{folder}/messages")) => Op::Import,
        _ => return (Op::Any, None),
    };
    let user = path.split('/').skip_while(|s| *s != "users").nth(1).map(crate::access_log::decode);
    (op, user)
}

fn record(state: &Shared, entry: Entry) {
    state.journal.lock().expect("journal lock").push(entry);
}

/// Decrements a mailbox's in-flight count when the request is answered.
struct InFlight {
    state: Shared,
    user_id: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut map = self.state.in_flight.lock().expect("in-flight lock");
        if let Some(n) = map.get_mut(&self.user_id) {
            *n = n.saturating_sub(1);
        }
    }
}

/// Token check (first of all), then Graph-like throttling per mailbox, then the scenario's
/// tenant faults (imports decide theirs once the item is known, in [`import`]).
async fn require_token(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let expected = format!("Bearer {}", state.scenario.credentials.tenant_token);
    let given = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    let described = format!("{} {}", request.method(), request.uri().path());
    let matched = request.extensions().get::<axum::extract::MatchedPath>().map(|m| m.as_str().to_owned());
    let (op, user) = classify(request.method(), matched.as_deref(), request.uri().path());
    if !(given.len() == expected.len() && given.bytes().zip(expected.bytes()).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0) {
        let e = ApiError::new(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", "Access token is empty or invalid.");
        record(&state, Entry::new("tenant", Op::Any.as_str(), described, 401).code(Some(e.code)).mailbox(None).item(None).fault(None));
        return e.into_response();
    }
    let resolved = user.as_deref().and_then(|u| state.directory.resolve(u)).cloned();
    let mailbox = resolved.as_ref().map(|u| u.mail.clone());
    // Requests in flight per mailbox are always counted (the access log shows them); beyond the
    // scenario's throttle they are refused, like Graph's 4-concurrent-requests rule.
    let mut in_flight_now = 0;
    let _guard = match &resolved {
        Some(u) => {
            let mut map = state.in_flight.lock().expect("in-flight lock");
            let n = map.entry(u.id.clone()).or_insert(0);
            if let Some(t) = state.scenario.throttle
                && *n >= t.per_mailbox
            {
                let would_be = *n + 1;
                drop(map);
                let e = ApiError {
                    status: StatusCode::TOO_MANY_REQUESTS,
                    code: "TooManyRequests",
                    message: format!("more than {} concurrent requests for this mailbox", t.per_mailbox),
                    retry_after: Some(t.retry_after),
                };
                record(
                    &state,
                    Entry::new("tenant", op.as_str(), described, 429)
                        .code(Some(e.code))
                        .mailbox(mailbox.clone())
                        .fault(Some(format!("throttled: over {} in flight", t.per_mailbox))),
                );
                let mut r = e.into_response();
                r.extensions_mut().insert(crate::access_log::Tenant { mailbox, in_flight: would_be });
                return r;
            }
            *n += 1;
            in_flight_now = *n;
            Some(InFlight { state: state.clone(), user_id: u.id.clone() })
        }
        None => None,
    };
    let tag = crate::access_log::Tenant { mailbox: mailbox.clone(), in_flight: in_flight_now };
    let mut response = gate(state.clone(), request, next, op, described, resolved, mailbox).await;
    response.extensions_mut().insert(tag);
    response
}

/// The scenario's tenant faults, for every operation but imports (which decide theirs once the
/// item is known, in [`import`]).
async fn gate(
    state: Shared,
    request: Request,
    next: Next,
    op: Op,
    described: String,
    resolved: Option<super::directory::User>,
    mailbox: Option<String>,
) -> Response {
    if op == Op::Import || state.faults.is_empty() {
        return next.run(request).await;
    }
    let addresses = resolved.as_ref().map(|u| state.directory.addresses(&u.id)).unwrap_or_default();
    let fault = state.faults.decide(FaultRequest { api: Api::Tenant, op, item: None, mailbox: Some(&addresses) });
    let Some(rule) = fault else { return next.run(request).await };
    match rule.action {
        ActionKind::Status => {
            let e = crate::vendor_api::fault_error(&rule, true);
            record(
                &state,
                Entry::new("tenant", op.as_str(), described, e.status.as_u16())
                    .code(Some(e.code))
                    .mailbox(mailbox)
                    .item(None)
                    .fault(Some(rule.describe())),
            );
            e.into_response()
        }
        ActionKind::Latency => {
            record(
                &state,
                Entry::new("tenant", op.as_str(), described, 0).code(None).mailbox(mailbox).item(None).fault(Some(rule.describe())),
            );
            tokio::time::sleep(std::time::Duration::from_millis(rule.latency_ms.unwrap_or(0))).await;
            next.run(request).await
        }
        ActionKind::Reset => {
            record(
                &state,
                Entry::new("tenant", op.as_str(), described, 0).code(None).mailbox(mailbox).item(None).fault(Some(rule.describe())),
            );
            break_answer(next.run(request).await, &rule).await
        }
        _ => next.run(request).await,
    }
}

/// The answer's headers go out, then the connection breaks mid-body.
async fn break_answer(response: Response, rule: &crate::faults::FaultRule) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let cut = rule.at_byte.map_or(bytes.len() / 2, |b| b as usize);
    parts.headers.insert(header::CONTENT_LENGTH, bytes.len().into());
    Response::from_parts(parts, crate::vendor_api::broken_body(bytes, cut))
}

/// The data directory refused a write: the tenant is unchanged, the client gets a 500 it may
/// retry, and the journal says why.
fn stored_nothing(state: &Shared, op: &'static str, request: &str, mailbox: &str, e: crate::data_dir::DataDirError) -> Response {
    tracing::error!("{e}");
    let a = ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError", "the simulator could not store this change");
    record(state, Entry::new("tenant", op, request, 500).code(Some(a.code)).mailbox(Some(mailbox.to_string())).fault(Some(e.to_string())));
    a.into_response()
}

fn no_user(who: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        format!("Resource '{who}' does not exist or one of its queried reference-property objects are not present."),
    )
}

/// `GET /users?$filter=…&$select=…` (see `user_query.rs`).
async fn list_users(State(state): State<Shared>, axum::extract::Query(query): axum::extract::Query<Vec<(String, String)>>) -> Response {
    let mut filter = None;
    let mut select = None;
    for (k, v) in &query {
        match k.as_str() {
            "$filter" => filter = Some(v.as_str()),
            "$select" => select = Some(v.as_str()),
            other if other.starts_with('$') => {
                let message = format!("The query option '{other}' is not supported by this tenant on /users (only $filter and $select).");
                return ApiError::new(StatusCode::BAD_REQUEST, "BadRequest", message).into_response();
            }
            _ => {}
        }
    }
    match super::user_query::list(&state.directory, filter, select) {
        Ok(v) => axum::Json(v).into_response(),
        Err(r) => ApiError::new(StatusCode::BAD_REQUEST, r.code, r.message).into_response(),
    }
}

async fn user(State(state): State<Shared>, Path(address): Path<String>) -> Response {
    match state.directory.resolve(&address) {
        Some(u) => axum::Json(u.clone()).into_response(),
        None => no_user(&address).into_response(),
    }
}

async fn folders(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    let Some(u) = state.directory.resolve(&id) else { return no_user(&id).into_response() };
    let value = state.tenant.lock().expect("tenant lock").mailboxes.folders(&u.id);
    axum::Json(json!({ "value": value })).into_response()
}

#[derive(Deserialize)]
struct NewFolder {
    #[serde(rename = "displayName")]
    display_name: String,
}

async fn create_folder(State(state): State<Shared>, Path(id): Path<String>, body: axum::body::Bytes) -> Response {
    let Some(u) = state.directory.resolve(&id).cloned() else { return no_user(&id).into_response() };
    let name = match serde_json::from_slice::<NewFolder>(&body) {
        Ok(f) if !f.display_name.trim().is_empty() => f.display_name,
        Ok(_) => return ApiError::new(StatusCode::BAD_REQUEST, "ErrorInvalidRequest", "displayName must not be empty").into_response(),
        Err(e) => {
            return ApiError::new(StatusCode::BAD_REQUEST, "ErrorInvalidRequest", format!("body must be JSON {{\"displayName\"}}: {e}"))
                .into_response();
        }
    };
    let created = {
        let mut tenant = state.tenant.lock().expect("tenant lock");
        match tenant.mailboxes.create_folder(&u.id, &name) {
            Ok(view) => match &state.data_dir {
                Some(d) => match d.folder_created(&u.id, &view.id, &view.display_name) {
                    Ok(()) => Ok(view),
                    Err(e) => {
                        tenant.mailboxes.forget_folder(&u.id, &view.id);
                        drop(tenant);
                        return stored_nothing(&state, "create_folder", "POST /graph/v1.0/users/{id}/mailFolders", &u.mail, e);
                    }
                },
                None => Ok(view),
            },
            Err(e) => Err(e),
        }
    };
    let (status, code, response) = match created {
        Ok(view) => (201, None, (StatusCode::CREATED, axum::Json(view)).into_response()),
        Err(CreateFolderError::Exists) => {
            let e = ApiError::new(
                StatusCode::CONFLICT,
                "ErrorFolderExists",
                format!("A folder with the specified name already exists: {name}"),
            );
            (409, Some(e.code.to_string()), e.into_response())
        }
    };
    state.journal.lock().expect("journal lock").push(Entry {
        seq: 0,
        api: "tenant",
        op: "create_folder",
        request: "POST /graph/v1.0/users/{id}/mailFolders".into(),
        status,
        code,
        mailbox: Some(u.mail.clone()),
        folder: Some(name),
        item_id: None,
        fault: None,
    });
    response
}

/// The unfolded value of the first header `name` in a MIME head.
fn header_value(mime: &[u8], name: &str) -> Option<String> {
    let end = mime.windows(4).position(|w| w == b"\r\n\r\n").or_else(|| mime.windows(2).position(|w| w == b"\n\n")).unwrap_or(mime.len());
    let head = String::from_utf8_lossy(&mime[..end]);
    let mut found: Option<String> = None;
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(v) = &mut found {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if found.is_some() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.trim().eq_ignore_ascii_case(name)
        {
            found = Some(v.trim().to_string());
        }
    }
    found.map(|v| v.trim().to_string())
}

async fn import(State(state): State<Shared>, Path((id, folder)): Path<(String, String)>, headers: HeaderMap, body: Body) -> Response {
    let Some(u) = state.directory.resolve(&id).cloned() else { return no_user(&id).into_response() };
    let journal = |status: u16, code: Option<&str>, folder_name: Option<String>, item_id: Option<String>, fault: Option<String>| {
        state.journal.lock().expect("journal lock").push(Entry {
            seq: 0,
            api: "tenant",
            op: "import",
            request: "POST /graph/v1.0/users/{id}/mailFolders/{folder}/messages".into(),
            status,
            code: code.map(str::to_string),
            mailbox: Some(u.mail.clone()),
            folder: folder_name,
            item_id,
            fault,
        });
    };
    let fail = |e: ApiError| {
        journal(e.status.as_u16(), Some(e.code), None, None, None);
        e.into_response()
    };
    let ctype = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ctype.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("text/plain") {
        return fail(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            format!("MIME import takes Content-Type: text/plain (base64), not {ctype:?}"),
        ));
    }
    // Decoded, hashed and compared with the archive as it arrives (see `upload.rs`).
    let archive = &state.archive;
    let item_of = |head: &[u8]| header_value(head, "X-TELEMESSAGE-ArchiveMessageID").and_then(|id| archive.position(&id));
    let mut upload = Upload::new(archive, &item_of, state.options.keep_message_bodies);
    let mut stream = body.into_data_stream();
    let mut received = 0usize;
    let invalid =
        || ApiError::new(StatusCode::BAD_REQUEST, "ErrorMimeContentInvalidBase64String", "The MIME content is not a valid base64 string.");
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return fail(ApiError::new(StatusCode::BAD_REQUEST, "ErrorInvalidRequest", "the request body could not be read to its end"));
        };
        received += chunk.len();
        if received > MAX_IMPORT_BODY {
            return fail(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "RequestEntityTooLarge", "the request body exceeds 150 MB"));
        }
        if upload.push(&chunk).is_err() {
            return fail(invalid());
        }
    }
    let Ok(uploaded) = upload.finish() else { return fail(invalid()) };
    let archive_id = header_value(&uploaded.head, "X-TELEMESSAGE-ArchiveMessageID");
    let addresses = state.directory.addresses(&u.id);
    let fault =
        state.faults.decide(FaultRequest { api: Api::Tenant, op: Op::Import, item: archive_id.as_deref(), mailbox: Some(&addresses) });
    if let Some(rule) = &fault {
        match rule.action {
            ActionKind::Status => {
                let e = crate::vendor_api::fault_error(rule, true);
                journal(e.status.as_u16(), Some(e.code), None, archive_id, Some(rule.describe()));
                return e.into_response();
            }
            ActionKind::Latency => tokio::time::sleep(std::time::Duration::from_millis(rule.latency_ms.unwrap_or(0))).await,
            _ => {}
        }
    }
    let item = uploaded.archive_item;
    let content = match (item, &uploaded.kept) {
        (Some(i), _) => Content::Archive(i as u32),
        (None, Some(_)) => Content::Blob,
        (None, None) => Content::Dropped,
    };
    let sha256 = uploaded.sha256;
    let message = Message::new(content, archive_id.clone(), header_value(&uploaded.head, "Message-ID"), sha256, uploaded.size);
    let stored = {
        let mut tenant = state.tenant.lock().expect("tenant lock");
        let Some((number, _)) = tenant.mailboxes.next(&u.id, &folder) else {
            drop(tenant);
            return fail(ApiError::new(StatusCode::NOT_FOUND, "ErrorItemNotFound", format!("no folder {folder:?} in this mailbox")));
        };
        // Written through to the data directory before it is answered (and before memory
        // changes: a failed write leaves the tenant as it was).
        if let Some(d) = &state.data_dir {
            let mut numbered = message.clone();
            numbered.number = number;
            let item_id = item.map(|i| state.archive.items()[i].spec.id.as_str());
            let bytes = uploaded.kept.as_deref();
            if let Err(e) = d.message_imported(&state.archive, &u.id, &folder, &numbered, item_id, bytes) {
                drop(tenant);
                return stored_nothing(&state, "import", "POST /graph/v1.0/users/{id}/mailFolders/{folder}/messages", &u.mail, e);
            }
        } else if let Some(kept) = uploaded.kept.clone() {
            tenant.blobs.add(sha256, || kept);
        }
        let (folder_name, m) = tenant.mailboxes.import(&u.id, &folder, message).expect("the folder was just found");
        let id = m.id(&u.id);
        let internet_id = m.internet_message_id(&state.archive).unwrap_or_else(|| format!("<{id}@tenant.sim>"));
        (folder_name, json!({"id": id, "internetMessageId": internet_id, "parentFolderId": folder}))
    };
    let (folder_name, response) = stored;
    let note = fault.as_ref().filter(|f| matches!(f.action, ActionKind::Reset | ActionKind::Latency)).map(|f| f.describe());
    journal(201, None, Some(folder_name), archive_id, note);
    let answer = (StatusCode::CREATED, axum::Json(response)).into_response();
    match fault.filter(|f| f.action == ActionKind::Reset) {
        // The message is stored; the answer is lost on the way.
        Some(rule) => break_answer(answer, &rule).await,
        None => answer,
    }
}

#[cfg(test)]
mod tests {
    use super::header_value;

    #[test]
    fn header_values_are_unfolded_and_case_insensitive() {
        let mime =
            b"Message-ID: <a@b>\r\nX-TELEMESSAGE-ArchiveMessageID:\r\n tm01\r\nSubject: x\r\n\r\nX-TELEMESSAGE-ArchiveMessageID: body\r\n";
        assert_eq!(header_value(mime, "message-id").as_deref(), Some("<a@b>"));
        assert_eq!(header_value(mime, "X-TELEMESSAGE-ArchiveMessageID").as_deref(), Some("tm01"));
        assert_eq!(header_value(mime, "From"), None);
    }
}
