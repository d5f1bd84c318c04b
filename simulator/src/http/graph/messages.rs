//! Messages as Graph serves them: the MIME import
//! (<https://learn.microsoft.com/graph/api/user-post-messages>, base64 MIME as `text/plain`),
//! listings of a folder or of the whole mailbox (<https://learn.microsoft.com/graph/api/user-list-messages>)
//! with `$filter=internetMessageId eq '<…>'` (and `subject eq`), `$select`, `$top` (default 10,
//! at most 1000), `$skip`, `@odata.nextLink`, `$count=true` and the `/$count` segment, newest
//! first; one message, and its MIME (`/$value`, <https://learn.microsoft.com/graph/outlook-get-mime-message>).

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::Value;

use super::odata::{self, Refused};
use super::{base_url, break_answer, mailbox_user, refused, stored_nothing};
use crate::http::error::ApiError;
use crate::observe::journal::Entry;
use crate::state::Shared;
use crate::tenant::mailboxes::{Content, Message, message_id};
use crate::tenant::message_resource::{self, PREFIX_BYTES, Stored};
use crate::tenant::store::MessageBytes;
use crate::tenant::store::{Imported, StoreError};
use crate::tenant::upload::{Upload, Uploaded};
use crate::world::faults::{ActionKind, Api, Op, Request as FaultRequest};
use tm_contract::FaultRecord;

/// Largest request body the import accepts, like contract v1 (Graph's own cap is 4 MB: the
/// scenario's `[tenant] max_request_bytes` models it).
pub const MAX_IMPORT_BODY: usize = 150 * 1024 * 1024;

/// The journal's name of an import request.
const IMPORT: &str = "POST /graph/v1.0/users/{id}/mailFolders/{folder}/messages";

/// Graph's page size for messages, and its largest `$top`.
const PAGE: usize = 10;
const MAX_TOP: usize = 1000;

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

fn entity_context(user_id: &str, folder_id: &str) -> String {
    format!("https://graph.microsoft.com/v1.0/$metadata#users('{user_id}')/mailFolders('{folder_id}')/messages/$entity")
}

/// A message's `internetMessageId`: its `Message-ID`, or one Exchange would make up.
fn internet_message_id(m: &Message, state: &Shared, id: &str) -> String {
    m.internet_message_id(&state.world.archive).unwrap_or_else(|| format!("<{id}@tenant.sim>"))
}

/// Import a MIME message into a folder.
///
/// `POST /users/{user}/mailFolders/{folder}/messages` with the base64 MIME (`text/plain`): 201
/// with the message resource (<https://learn.microsoft.com/graph/api/user-post-messages>).
#[utoipa::path(post, path = "/users/{user}/mailFolders/{folder}/messages", operation_id = "messages_import", tag = crate::http::openapi::GRAPH, security(("graphToken" = [])),
    params(crate::http::openapi::path::Folder),
    request_body(content = crate::http::openapi::graph::Base64Mime, content_type = "text/plain", description = "The MIME message, base64"),
    responses((status = 201, description = "The imported message", body = crate::http::openapi::graph::Message), (status = 413, description = "The body is over the request size limit", body = tm_contract::ErrorBody), (status = 415, description = "The body is not `text/plain` (`UnsupportedMediaType`)", body = tm_contract::ErrorBody), crate::http::openapi::GraphErrors))]
pub async fn import(
    State(state): State<Shared>,
    Path((key, folder_key)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (u, _) = match mailbox_user(&state, &key) {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    let journal = |status: u16, code: Option<&str>, folder: Option<String>, item_id: Option<String>, fault: Option<FaultRecord>| {
        let mut entry = Entry::new(Api::Tenant, Op::Import, IMPORT, status).code(code).mailbox(Some(u.mail.clone())).fault(fault);
        (entry.folder, entry.item_id) = (folder, item_id);
        super::record(&state, entry);
    };
    let fail = |e: ApiError| {
        journal(e.status.as_u16(), Some(e.code), None, None, None);
        e.into_response()
    };
    let (folder, uploaded) = match receive(&state, &u.id, &folder_key, &headers, body).await {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let archive_id = header_value(&uploaded.head, "X-TELEMESSAGE-ArchiveMessageID");
    let addresses = state.tenant.directory.addresses(&u.id);
    let fault =
        state.faults.decide(FaultRequest { api: Api::Tenant, op: Op::Import, item: archive_id.as_deref(), mailbox: Some(&addresses) });
    if let Some(rule) = &fault {
        match rule.action {
            ActionKind::Status => {
                let e = crate::http::fault_answer::fault_error(rule, true);
                journal(e.status.as_u16(), Some(e.code), None, archive_id.clone(), Some(rule.record()));
                return concerning(e.into_response(), archive_id);
            }
            ActionKind::Latency => tokio::time::sleep(std::time::Duration::from_millis(rule.latency_ms.unwrap_or(0))).await,
            // Another program's message lands in the folder while this import is under way.
            ActionKind::ForeignWrite => foreign_write(&state, &u.id, &u.mail),
            _ => {}
        }
    }
    // Parsed before the store is asked: every import and listing waits for the tenant's lock.
    let parsed = message_resource::parse(&uploaded.start);
    let message = message_of(&uploaded, archive_id.clone());
    let stored = match state.tenant.import(&state.world.archive, &u.id, &folder, message, uploaded.kept) {
        Ok(x) => x,
        Err(StoreError::NoFolder) => return fail(no_folder(&folder_key)),
        Err(StoreError::DataDir(e)) => return stored_nothing(&state, Op::Import.into(), IMPORT, &u.mail, e),
    };
    let response = created(&stored, &u.id, &folder, &parsed);
    let note = fault.as_ref().filter(|f| matches!(f.action, ActionKind::Reset | ActionKind::Latency)).map(|f| f.record());
    journal(201, None, Some(stored.folder_name), archive_id.clone(), note);
    let answer = concerning(response, archive_id);
    match fault.filter(|f| f.action == ActionKind::Reset) {
        // The message is stored; the answer is lost on the way.
        Some(rule) => break_answer(answer, &rule).await,
        None => answer,
    }
}

/// The 201 of an import: the message resource.
fn created(stored: &Imported, user_id: &str, folder: &str, parsed: &message_resource::Parsed) -> Response {
    let resource =
        Stored { id: &stored.id, folder_id: folder, internet_message_id: &stored.internet_message_id, sha256: &stored.sha256_hex };
    let mut response = message_resource::resource(resource, Some(parsed));
    response.as_object_mut().expect("an object").insert("@odata.context".into(), entity_context(user_id, folder).into());
    (StatusCode::CREATED, axum::Json(response)).into_response()
}

/// The message an upload is (its content: the archive item's, kept bytes, or dropped ones).
fn message_of(uploaded: &Uploaded, archive_id: Option<String>) -> Message {
    let content = match (uploaded.archive_item, &uploaded.kept) {
        (Some(i), _) => Content::Archive(i as u32),
        (None, Some(_)) => Content::Blob,
        (None, None) => Content::Dropped,
    };
    Message::new(content, archive_id, header_value(&uploaded.head, "Message-ID"), uploaded.sha256, uploaded.size)
}

fn no_folder(key: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "ErrorItemNotFound", format!("The specified object was not found in the store. ({key})"))
}

/// An import's body received: the media type checked, the folder found (its id), Graph's
/// request cap applied (from the length announced, or as soon as the body passes it), the
/// base64 decoded, hashed and compared with the archive as it arrives (see `upload.rs`).
async fn receive(state: &Shared, user_id: &str, folder_key: &str, headers: &HeaderMap, body: Body) -> Result<(String, Uploaded), ApiError> {
    let ctype = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ctype.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("text/plain") {
        let message = format!("MIME import takes Content-Type: text/plain (base64), not {ctype:?}");
        return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "UnsupportedMediaType", message));
    }
    // The folder: an id or a well-known name.
    let folder = state.tenant.contents().mailboxes.get(user_id).and_then(|m| m.folder(folder_key)).map(|f| f.id.clone());
    let folder = folder.ok_or_else(|| no_folder(folder_key))?;
    let limit = state.world.scenario.limits.max_request_bytes.map_or(MAX_IMPORT_BODY, |l| l as usize);
    let too_large = || {
        let message = format!("The request body is larger than the maximum size allowed ({limit} bytes).");
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "RequestEntityTooLarge", message)
    };
    let announced = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let archive = &state.world.archive;
    let item_of = |head: &[u8]| header_value(head, "X-TELEMESSAGE-ArchiveMessageID").and_then(|id| archive.position(&id));
    let mut upload = Upload::new(archive, &item_of, state.options.keep_message_bodies);
    let mut stream = body.into_data_stream();
    let mut received = 0usize;
    let invalid =
        || ApiError::new(StatusCode::BAD_REQUEST, "ErrorMimeContentInvalidBase64String", "The MIME content is not a valid base64 string.");
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "ErrorInvalidRequest", "the request body could not be read to its end"))?;
        received += chunk.len();
        if received > limit {
            return Err(too_large());
        }
        upload.push(&chunk).map_err(|_| invalid())?;
    }
    state.tenant.rates.uploaded(&state.world.scenario.limits, user_id, received as u64);
    let uploaded = upload.finish().map_err(|_| invalid())?;
    Ok((folder, uploaded))
}

/// The scenario's `foreign_write` fault: another program's message lands in the mailbox's
/// `WeChat Archiver` (see [`Tenant::foreign_write`](crate::tenant::store::Tenant::foreign_write)).
/// Journalled as op `foreign_write`; `/sim/mailboxes` marks the message `foreign`.
pub(super) fn foreign_write(state: &Shared, user_id: &str, mail: &str) {
    let date = state.world.scenario.start.format("%a, %d %b %Y %H:%M:%S +0000").to_string();
    let Some(id) = state.tenant.foreign_write(&state.world.archive, user_id, mail, &date) else { return };
    let mut entry =
        Entry::new(Api::Tenant, tm_contract::Op::ForeignWrite, format!("a foreign message {id}"), 201).mailbox(Some(mail.to_string()));
    entry.folder = Some(crate::tenant::FOLDER_NAME.to_string());
    super::record(state, entry);
}

/// Tags a response with the archive item its request concerns (for the access log).
fn concerning(mut response: Response, item_id: Option<String>) -> Response {
    if let Some(id) = item_id {
        response.extensions_mut().insert(crate::http::record::Concerns(id));
    }
    response
}

/// The archive item a `Message-ID` names (`<id@archive domain>`), if it names one.
fn archive_item_of(message_id: &str) -> Option<String> {
    crate::tenant::mailboxes::local_part_at(message_id, crate::world::render::MESSAGE_ID_DOMAIN).map(str::to_string)
}

/// A `$filter` over messages: `internetMessageId eq '…'` or `subject eq '…'`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Filter {
    InternetMessageId(String),
    Subject(String),
}

fn filter(text: &str) -> Result<Filter, Refused> {
    match odata::eq_clause(text) {
        Some((p, v)) if p.eq_ignore_ascii_case("internetMessageId") => Ok(Filter::InternetMessageId(v)),
        Some((p, v)) if p.eq_ignore_ascii_case("subject") => Ok(Filter::Subject(v)),
        Some((p, _)) if !message_resource::PROPERTIES.iter().any(|x| x.eq_ignore_ascii_case(p)) => {
            Err(Refused::bad_request(format!("Could not find a property named '{p}' on type 'microsoft.graph.message'.")))
        }
        _ => Err(Refused { code: "ErrorInvalidUrlQueryFilter", message: "The query filter contains one or more invalid nodes.".into() }),
    }
}

/// The first bytes of a stored message (its properties are read from them), `None` when they
/// are not kept.
fn prefix(state: &Shared, m: &Message) -> Option<Vec<u8>> {
    match state.message_bytes(m).ok()?? {
        MessageBytes::Kept(b) => Some(b[..b.len().min(PREFIX_BYTES)].to_vec()),
        MessageBytes::Rendered(r) => {
            let mut out = Vec::new();
            for c in r.chunks() {
                out.extend_from_slice(&c[..c.len().min(PREFIX_BYTES - out.len())]);
                if out.len() >= PREFIX_BYTES {
                    break;
                }
            }
            Some(out)
        }
    }
}

/// A message as a listing shows it.
fn resource(state: &Shared, user_id: &str, folder_id: &str, m: &Message, select: Option<&[&'static str]>) -> Value {
    let id = m.id(user_id);
    let internet_id = internet_message_id(m, state, &id);
    let parsed = message_resource::needs_mime(select).then(|| prefix(state, m).map(|p| message_resource::parse(&p))).flatten();
    let stored = Stored { id: &id, folder_id, internet_message_id: &internet_id, sha256: &m.sha256_hex() };
    odata::project(message_resource::resource(stored, parsed.as_ref()), select)
}

/// The messages of one folder (`Some`) or the whole mailbox, newest first, with their folder ids.
fn messages(state: &Shared, user_id: &str, folder: Option<&str>) -> Result<Vec<(String, Message)>, ApiError> {
    let tenant = state.tenant.contents();
    let Some(m) = tenant.mailboxes.get(user_id) else { return Ok(Vec::new()) };
    let mut out: Vec<(String, Message)> = match folder {
        Some(key) => match m.folder(key) {
            Some(f) => f.messages.iter().map(|x| (f.id.clone(), x.clone())).collect(),
            None if m.is_root(key) => Vec::new(),
            None => return Err(not_found(key)),
        },
        None => m.folders.iter().flat_map(|f| f.messages.iter().map(|x| (f.id.clone(), x.clone()))).collect(),
    };
    out.sort_by_key(|(_, x)| std::cmp::Reverse(x.number));
    Ok(out)
}

fn not_found(key: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "ErrorItemNotFound", format!("The specified object was not found in the store. ({key})"))
}

/// A listing, after the query options.
fn listing(state: &Shared, headers: &HeaderMap, key: &str, folder: Option<&str>, query: &[(String, String)], count_only: bool) -> Response {
    let (u, _) = match mailbox_user(state, key) {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    let o = match odata::parse(query, &["filter", "select", "top", "skip", "count"], MAX_TOP) {
        Ok(o) => o,
        Err(r) => return refused(r),
    };
    let select = match o.select.as_deref().map(|s| odata::select(s, &message_resource::PROPERTIES, "microsoft.graph.message")).transpose() {
        Ok(s) => s,
        Err(r) => return refused(r),
    };
    let filter = match o.filter.as_deref().map(filter).transpose() {
        Ok(f) => f,
        Err(r) => return refused(r),
    };
    let all = match messages(state, &u.id, folder) {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    let found: Vec<(String, Message)> = match &filter {
        None => all,
        Some(Filter::InternetMessageId(want)) => {
            all.into_iter().filter(|(_, m)| internet_message_id(m, state, &m.id(&u.id)).eq_ignore_ascii_case(want)).collect()
        }
        Some(Filter::Subject(want)) => all
            .into_iter()
            .filter(|(_, m)| {
                prefix(state, m).and_then(|p| message_resource::parse(&p).subject).is_some_and(|s| s.eq_ignore_ascii_case(want))
            })
            .collect(),
    };
    if count_only {
        let mut r = found.len().to_string().into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        return r;
    }
    let body = page_of(state, headers, (&u.id, folder), found, (&o, select.as_deref()), query);
    let concerns = match &filter {
        Some(Filter::InternetMessageId(id)) => archive_item_of(id),
        _ => None,
    };
    concerning(axum::Json(body).into_response(), concerns)
}

/// One page of a message listing, as Graph writes it (`@odata.context`, `@odata.count` when
/// asked, `value`, `@odata.nextLink`).
fn page_of(
    state: &Shared,
    headers: &HeaderMap,
    (user_id, folder): (&str, Option<&str>),
    found: Vec<(String, Message)>,
    (o, select): (&odata::Options, Option<&[&'static str]>),
    query: &[(String, String)],
) -> Value {
    let total = found.len();
    let path = match folder {
        Some(f) => format!("/users/{}/mailFolders/{f}/messages", user_id),
        None => format!("/users/{}/messages", user_id),
    };
    let url = format!("{}{path}", base_url(state, headers));
    let (page, next) = odata::page(found, o, PAGE, &url, query);
    let mut body = serde_json::Map::new();
    let context = match folder {
        Some(f) => format!("https://graph.microsoft.com/v1.0/$metadata#users('{}')/mailFolders('{f}')/messages", user_id),
        None => format!("https://graph.microsoft.com/v1.0/$metadata#users('{}')/messages", user_id),
    };
    body.insert("@odata.context".into(), context.into());
    if o.count {
        body.insert("@odata.count".into(), total.into());
    }
    let value: Vec<Value> = page.iter().map(|(f, m)| resource(state, user_id, f, m, select)).collect();
    body.insert("value".into(), value.into());
    if let Some(n) = next {
        body.insert("@odata.nextLink".into(), n.into());
    }
    Value::Object(body)
}

type Q = Query<Vec<(String, String)>>;

/// A folder's messages, a page at a time.
///
/// `GET /users/{user}/mailFolders/{folder}/messages`.
#[utoipa::path(get, path = "/users/{user}/mailFolders/{folder}/messages", operation_id = "messages_list_in_folder", tag = crate::http::openapi::GRAPH, security(("graphToken" = [])),
    params(crate::http::openapi::path::Folder, crate::http::openapi::query::Listing),
    responses((status = 200, description = "A page of the folder's messages", body = crate::http::openapi::graph::MessageCollection), crate::http::openapi::GraphErrors))]
pub async fn list_in_folder(
    State(state): State<Shared>,
    Path((key, folder)): Path<(String, String)>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    listing(&state, &headers, &key, Some(&folder), &q, false)
}

/// A mailbox's messages, a page at a time.
///
/// `GET /users/{user}/messages`.
#[utoipa::path(get, path = "/users/{user}/messages", operation_id = "messages_list_all", tag = crate::http::openapi::GRAPH, security(("graphToken" = [])),
    params(crate::http::openapi::path::User, crate::http::openapi::query::Listing),
    responses((status = 200, description = "A page of the mailbox's messages", body = crate::http::openapi::graph::MessageCollection), crate::http::openapi::GraphErrors))]
pub async fn list_all(State(state): State<Shared>, Path(key): Path<String>, headers: HeaderMap, Query(q): Q) -> Response {
    listing(&state, &headers, &key, None, &q, false)
}

/// How many of a folder's messages match.
///
/// `GET /users/{user}/mailFolders/{folder}/messages/$count`.
#[utoipa::path(get, path = "/users/{user}/mailFolders/{folder}/messages/$count", operation_id = "messages_count_in_folder", tag = crate::http::openapi::GRAPH, security(("graphToken" = [])),
    params(crate::http::openapi::path::Folder, crate::http::openapi::query::Listing),
    responses((status = 200, description = "How many messages match", content_type = "text/plain", body = String), crate::http::openapi::GraphErrors))]
pub async fn count_in_folder(
    State(state): State<Shared>,
    Path((key, folder)): Path<(String, String)>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    listing(&state, &headers, &key, Some(&folder), &q, true)
}

/// How many of a mailbox's messages match.
///
/// `GET /users/{user}/messages/$count`.
#[utoipa::path(get, path = "/users/{user}/messages/$count", operation_id = "messages_count_all", tag = crate::http::openapi::GRAPH, security(("graphToken" = [])),
    params(crate::http::openapi::path::User, crate::http::openapi::query::Listing),
    responses((status = 200, description = "How many messages match", content_type = "text/plain", body = String), crate::http::openapi::GraphErrors))]
pub async fn count_all(State(state): State<Shared>, Path(key): Path<String>, headers: HeaderMap, Query(q): Q) -> Response {
    listing(&state, &headers, &key, None, &q, true)
}

/// The message a Graph id names (in `folder`, when given), with its folder's id.
fn find(state: &Shared, key: &str, folder: Option<&str>, message: &str) -> Result<(String, String, Message), ApiError> {
    let (u, _) = mailbox_user(state, key)?;
    let found = messages(state, &u.id, folder)?.into_iter().find(|(_, m)| message_id(&u.id, m.number) == message);
    match found {
        Some((f, m)) => Ok((u.id, f, m)),
        None => Err(not_found(message)),
    }
}

fn one_answer(state: &Shared, key: &str, folder: Option<&str>, message: &str, q: &[(String, String)]) -> Response {
    let select = match odata::parse(q, &["select"], 1)
        .and_then(|o| o.select.map(|s| odata::select(&s, &message_resource::PROPERTIES, "microsoft.graph.message")).transpose())
    {
        Ok(s) => s,
        Err(r) => return refused(r),
    };
    match find(state, key, folder, message) {
        Ok((u, f, m)) => {
            let mut v = resource(state, &u, &f, &m, select.as_deref());
            v.as_object_mut().expect("an object").insert("@odata.context".into(), entity_context(&u, &f).into());
            axum::Json(v).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// A message of a folder.
///
/// `GET /users/{user}/mailFolders/{folder}/messages/{message}`.
#[utoipa::path(get, path = "/users/{user}/mailFolders/{folder}/messages/{message}", operation_id = "messages_one_in_folder", tag = crate::http::openapi::GRAPH, security(("graphToken" = [])),
    params(crate::http::openapi::path::FolderMessage, crate::http::openapi::query::Select),
    responses((status = 200, description = "The message", body = crate::http::openapi::graph::Message), crate::http::openapi::GraphErrors))]
pub async fn one_in_folder(
    State(state): State<Shared>,
    Path((key, folder, message)): Path<(String, String, String)>,
    Query(q): Q,
) -> Response {
    one_answer(&state, &key, Some(&folder), &message, &q)
}

/// A message of a mailbox.
///
/// `GET /users/{user}/messages/{message}`.
#[utoipa::path(get, path = "/users/{user}/messages/{message}", operation_id = "messages_one", tag = crate::http::openapi::GRAPH, security(("graphToken" = [])),
    params(crate::http::openapi::path::Message, crate::http::openapi::query::Select),
    responses((status = 200, description = "The message", body = crate::http::openapi::graph::Message), crate::http::openapi::GraphErrors))]
pub async fn one(State(state): State<Shared>, Path((key, message)): Path<(String, String)>, Query(q): Q) -> Response {
    one_answer(&state, &key, None, &message, &q)
}

/// The stored MIME of a message, streamed as it was imported.
fn value_answer(state: &Shared, key: &str, folder: Option<&str>, message: &str) -> Response {
    let (_, _, m) = match find(state, key, folder, message) {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let mut r = match state.message_bytes(&m) {
        Ok(Some(MessageBytes::Kept(raw))) => raw.into_response(),
        Ok(Some(MessageBytes::Rendered(r))) => {
            let len = r.size();
            let mut resp = Body::from_stream(futures_util::stream::iter(r.chunks().map(Ok::<_, std::io::Error>))).into_response();
            resp.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            resp
        }
        Ok(None) => {
            return ApiError::new(StatusCode::NOT_FOUND, "ErrorItemNotFound", "this simulator was told not to keep message bodies")
                .into_response();
        }
        Err(e) => return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError", e.to_string()).into_response(),
    };
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    r
}

/// A folder's message as MIME, as imported.
///
/// `GET /users/{user}/mailFolders/{folder}/messages/{message}/$value`.
#[utoipa::path(get, path = "/users/{user}/mailFolders/{folder}/messages/{message}/$value", operation_id = "messages_value_in_folder", tag = crate::http::openapi::GRAPH, security(("graphToken" = [])),
    params(crate::http::openapi::path::FolderMessage),
    responses((status = 200, description = "The MIME as imported", content_type = "text/plain", body = crate::http::openapi::control::RawMessage), crate::http::openapi::GraphErrors))]
pub async fn value_in_folder(State(state): State<Shared>, Path((key, folder, message)): Path<(String, String, String)>) -> Response {
    value_answer(&state, &key, Some(&folder), &message)
}

/// A mailbox's message as MIME, as imported.
///
/// `GET /users/{user}/messages/{message}/$value`.
#[utoipa::path(get, path = "/users/{user}/messages/{message}/$value", operation_id = "messages_value", tag = crate::http::openapi::GRAPH, security(("graphToken" = [])),
    params(crate::http::openapi::path::Message),
    responses((status = 200, description = "The MIME as imported", content_type = "text/plain", body = crate::http::openapi::control::RawMessage), crate::http::openapi::GraphErrors))]
pub async fn value(State(state): State<Shared>, Path((key, message)): Path<(String, String)>) -> Response {
    value_answer(&state, &key, None, &message)
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
