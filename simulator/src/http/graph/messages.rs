//! Messages as Graph serves them: listings of a folder or of the whole mailbox
//! (<https://learn.microsoft.com/graph/api/user-list-messages>) with `$filter` (`filter.rs`:
//! `internetMessageId eq '<…>'` answered without reading any MIME), `$select`, `$top` (default 10, at most 1000), `$skip`, `@odata.nextLink`,
//! `$count=true` and the `/$count` segment, newest first or in `$orderby`'s order (`order.rs`);
//! one message, and its MIME
//! (`/$value`, <https://learn.microsoft.com/graph/outlook-get-mime-message>). The import is in `import.rs`.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::odata::{self, Refused};
use super::{base_url, mailbox_user, refused};
use crate::http::error::ApiError;
use crate::state::Shared;
use crate::tenant::mailboxes::{Message, message_id};
use crate::tenant::message_resource::{self, PREFIX_BYTES, Stored};
use crate::tenant::store::MessageBytes;

/// Graph's page size for messages, and its largest `$top`.
const PAGE: usize = 10;
const MAX_TOP: usize = 1000;

pub(super) fn entity_context(user_id: &str, folder_id: &str) -> String {
    format!("{}#users('{user_id}')/mailFolders('{folder_id}')/messages/$entity", super::metadata())
}

/// A message's `internetMessageId`: its `Message-ID`, or one Exchange would make up.
pub(super) fn internet_message_id(m: &Message, state: &Shared, id: &str) -> String {
    m.internet_message_id(&state.world.archive).unwrap_or_else(|| format!("<{id}@tenant.sim>"))
}

/// Tags a response with the archive item its request concerns (for the access log).
pub(super) fn concerning(mut response: Response, item_id: Option<String>) -> Response {
    if let Some(id) = item_id {
        response.extensions_mut().insert(crate::http::record::Concerns(id));
    }
    response
}

/// The archive item a `Message-ID` names (`<id@archive domain>`, the id percent-encoded where
/// it must be: `world/header_ids.rs`), if it names one.
fn archive_item_of(message_id: &str) -> Option<String> {
    crate::tenant::mailboxes::local_part_at(message_id, crate::world::render::MESSAGE_ID_DOMAIN)
        .and_then(crate::world::header_ids::item_id_of_local_part)
}

/// The query options a message listing takes (<https://learn.microsoft.com/graph/api/user-list-messages#optional-query-parameters>;
/// `$search` and `$expand` are not offered here).
const LISTING_OPTIONS: [&str; 6] = ["filter", "select", "top", "skip", "count", "orderby"];

/// What `$filter` and `$orderby` read of a message: any primitive property of the message
/// resource, and the members of its complex ones (`from/emailAddress/address`).
const SORTABLE: super::order::Sortable<'static> = super::order::Sortable {
    properties: &message_resource::PROPERTIES,
    members: &[
        ("from", &["emailAddress"]),
        ("sender", &["emailAddress"]),
        ("emailAddress", &["name", "address"]),
        ("body", &["contentType", "content"]),
        ("uniqueBody", &["contentType", "content"]),
        ("flag", &["flagStatus"]),
    ],
    type_name: "microsoft.graph.message",
};

/// `Preference-Applied` for a `Prefer: outlook.body-content-type="text"`: bodies are text here,
/// and Graph confirms the preference it applied (<https://learn.microsoft.com/graph/api/message-get#request-headers>);
/// other preferences (`IdType`, `html`) are ignored, as Graph ignores the ones it does not apply.
pub(super) fn preference_applied(headers: &HeaderMap, mut response: Response) -> Response {
    let text = headers.get_all("prefer").iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|p| {
        p.split_once('=').is_some_and(|(k, v)| {
            k.trim().eq_ignore_ascii_case("outlook.body-content-type") && v.trim().trim_matches('"').eq_ignore_ascii_case("text")
        })
    });
    if text && response.status().is_success() {
        response.headers_mut().insert("preference-applied", HeaderValue::from_static("outlook.body-content-type=\"text\""));
    }
    response
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
pub(super) fn resource(state: &Shared, user_id: &str, folder_id: &str, m: &Message, select: Option<&[&'static str]>) -> Value {
    let id = m.id(user_id);
    let internet_id = internet_message_id(m, state, &id);
    let parsed = message_resource::needs_mime(select).then(|| prefix(state, m).map(|p| message_resource::parse(&p))).flatten();
    let stored =
        Stored { id: &id, folder_id, internet_message_id: &internet_id, sha256: &m.sha256_hex(), draft: m.draft, created_ms: m.created_ms };
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

/// Graph's 404 for an item or folder that is not there (its message names no key).
pub(super) fn not_found(_key: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "ErrorItemNotFound", "The specified object was not found in the store.")
}

/// A listing, after the query options.
fn listing(state: &Shared, headers: &HeaderMap, key: &str, folder: Option<&str>, query: &[(String, String)], count_only: bool) -> Response {
    let (u, _) = match mailbox_user(state, key) {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    let o = match odata::parse(query, &LISTING_OPTIONS, MAX_TOP) {
        Ok(o) => o,
        Err(r) => return refused(r),
    };
    let select = match o.select.as_deref().map(|s| odata::select(s, &message_resource::PROPERTIES, "microsoft.graph.message")).transpose() {
        Ok(s) => s,
        Err(r) => return refused(r),
    };
    let filter = match o.filter.as_deref().map(|t| super::filter::parse(t, &SORTABLE)).transpose() {
        Ok(f) => f,
        Err(r) => return refused(r),
    };
    let all = match messages(state, &u.id, folder) {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    let found = match filtered(state, &u.id, all, filter.as_ref()) {
        Ok(f) => f,
        Err(r) => return refused(r),
    };
    let found = match sorted(state, &u.id, found, o.orderby.as_deref(), filter.as_ref()) {
        Ok(f) => f,
        Err(r) => return refused(r),
    };
    if count_only {
        let mut r = found.len().to_string().into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        return r;
    }
    let body = page_of(state, headers, (&u.id, folder), found, (&o, select.as_deref()), query);
    let concerns = filter.as_ref().and_then(|f| f.only_eq("internetMessageId")).and_then(archive_item_of);
    concerning(preference_applied(headers, axum::Json(body).into_response()), concerns)
}

/// The messages a `$filter` keeps: by `internetMessageId` alone (the connector's question, "is
/// it there?") without reading any MIME; else by the values their resources show (the MIME read
/// only when the filter names a property read from it).
fn filtered(
    state: &Shared,
    user_id: &str,
    all: Vec<(String, Message)>,
    filter: Option<&super::filter::Filter>,
) -> Result<Vec<(String, Message)>, Refused> {
    let Some(f) = filter else { return Ok(all) };
    if let Some(want) = f.only_eq("internetMessageId") {
        return Ok(all.into_iter().filter(|(_, m)| internet_message_id(m, state, &m.id(user_id)).eq_ignore_ascii_case(want)).collect());
    }
    let read = f.top_level();
    let mut out = Vec::new();
    for (i, (folder, m)) in all.into_iter().enumerate() {
        let v = resource(state, user_id, &folder, &m, Some(read.as_slice()));
        if i == 0 {
            f.check_primitive(&v)?;
        }
        if f.matches(&v) {
            out.push((folder, m));
        }
    }
    Ok(out)
}

/// Messages in the order `$orderby` asks for (newest first without one), by the values their
/// resources show; with a `$filter` too, Graph's rule (`InefficientFilter`).
fn sorted(
    state: &Shared,
    user_id: &str,
    found: Vec<(String, Message)>,
    orderby: Option<&str>,
    filter: Option<&super::filter::Filter>,
) -> Result<Vec<(String, Message)>, Refused> {
    let Some(text) = orderby else { return Ok(found) };
    let keys = super::order::parse(text, &SORTABLE)?;
    if let Some(f) = filter {
        let filtered = f.properties();
        super::order::check_with_filter(&keys, &filtered.iter().map(String::as_str).collect::<Vec<_>>())?;
    }
    let mut items: Vec<((String, Message), Value)> = found
        .into_iter()
        .map(|(f, m)| {
            let v = resource(state, user_id, &f, &m, None);
            ((f, m), v)
        })
        .collect();
    if let Some((_, sample)) = items.first() {
        super::order::check_primitive(&keys, sample)?;
    }
    super::order::sort(&mut items, &keys);
    Ok(items.into_iter().map(|(x, _)| x).collect())
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
        Some(f) => format!("{}#users('{}')/mailFolders('{f}')/messages", super::metadata(), user_id),
        None => format!("{}#users('{}')/messages", super::metadata(), user_id),
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

fn one_answer(state: &Shared, headers: &HeaderMap, (key, folder, message): (&str, Option<&str>, &str), q: &[(String, String)]) -> Response {
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
            preference_applied(headers, axum::Json(v).into_response())
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
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    one_answer(&state, &headers, (&key, Some(&folder), &message), &q)
}

/// A message of a mailbox.
///
/// `GET /users/{user}/messages/{message}`.
#[utoipa::path(get, path = "/users/{user}/messages/{message}", operation_id = "messages_one", tag = crate::http::openapi::GRAPH, security(("graphToken" = [])),
    params(crate::http::openapi::path::Message, crate::http::openapi::query::Select),
    responses((status = 200, description = "The message", body = crate::http::openapi::graph::Message), crate::http::openapi::GraphErrors))]
pub async fn one(State(state): State<Shared>, Path((key, message)): Path<(String, String)>, headers: HeaderMap, Query(q): Q) -> Response {
    one_answer(&state, &headers, (&key, None, &message), &q)
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
