//! The MIME import paths, as Graph has them: base64 MIME as `text/plain`
//! - posted to a mailbox's messages (v1.0 and beta): a draft in `Drafts` (Graph's create
//!   "always creates a draft", <https://learn.microsoft.com/graph/api/user-post-messages>);
//! - posted to a folder's messages: a draft in that folder, or Graph's observed 400
//!   `UnableToDeserializePostBody` (the scenario's `[tenant] mime_on_folder_path`);
//! - beta's `importMime` on a folder: a message in its final state, not a draft
//!   (<https://learn.microsoft.com/graph/api/mailfolder-importmime?view=graph-rest-beta>).
//!
//! Each is received as a stream (the request cap, base64, hashing and comparing with the
//! archive as it arrives: `upload.rs`), the scenario's import faults decided once the item is
//! known, then stored and journalled alike.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use super::messages::{concerning, entity_context};
use super::{break_answer, mailbox_user, stored_nothing};
use crate::http::error::ApiError;
use crate::observe::journal::Entry;
use crate::state::Shared;
use crate::tenant::directory::User;
use crate::tenant::mailboxes::{Content, Message};
use crate::tenant::message_resource::{self, Stored};
use crate::tenant::store::{Imported, StoreError};
use crate::tenant::upload::{Upload, Uploaded};
use crate::world::faults::{ActionKind, Api, Op, Request as FaultRequest};
use crate::world::scenario::MimeOnFolderPath;
use tm_contract::FaultRecord;

/// Graph's request cap, the default of `[tenant] max_request_bytes`: "4 MB" per request
/// (<https://learn.microsoft.com/graph/api/resources/attachment>: "the total size of each REST
/// request" is limited to 4 MB; <https://learn.microsoft.com/graph/outlook-large-attachments>).
/// Microsoft does not say whether 4 MB is 4,000,000 or 4,194,304 bytes: the larger is taken, so
/// that the tenant is never stricter than Graph. Base64 leaves about 3 MB of MIME.
pub const GRAPH_MAX_REQUEST_BYTES: u64 = 4 * 1024 * 1024;

/// Graph's 413 for a request over the cap: `BadRequest` "The maximum request length supported
/// is 4MB." as Graph answers it (microsoftgraph/microsoft-graph-docs-contrib#682; the 413 of
/// <https://learn.microsoft.com/graph/errors>); a scenario's other cap is named in its place.
pub fn too_large(limit: u64) -> ApiError {
    let size = if limit.is_multiple_of(1024 * 1024) { format!("{}MB", limit / (1024 * 1024)) } else { format!("{limit} bytes") };
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "BadRequest", format!("The maximum request length supported is {size}."))
}

/// Which MIME path a request took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MimePath {
    /// `POST /users/{id}/mailFolders/{folder}/messages`: a draft in that folder.
    Folder,
    /// `POST /users/{id}/messages`: a draft in `Drafts`.
    Mailbox,
    /// `POST /users/{id}/mailFolders/{folder}/importMime` (beta): a final message.
    ImportMime,
}

impl MimePath {
    /// The journal's name of the request (in the request's Graph version).
    pub fn request(self) -> String {
        let v = super::version().segment();
        match self {
            MimePath::Folder => format!("POST /graph/{v}/users/{{id}}/mailFolders/{{folder}}/messages"),
            MimePath::Mailbox => format!("POST /graph/{v}/users/{{id}}/messages"),
            MimePath::ImportMime => format!("POST /graph/{v}/users/{{id}}/mailFolders/{{folder}}/importMime"),
        }
    }

    /// Whether what it stores is a draft.
    pub fn draft(self) -> bool {
        self != MimePath::ImportMime
    }
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

/// A MIME's `X-TELEMESSAGE-ArchiveMessageID`, read back as the item id it was written from
/// (RFC 2047 encoded words decoded: `world/header_ids.rs`).
fn archive_id_of(mime: &[u8]) -> Option<String> {
    header_value(mime, "X-TELEMESSAGE-ArchiveMessageID").map(|v| crate::world::header_ids::read_id_header(&v))
}

/// Create a draft from MIME in a folder (or refuse to, as the scenario says).
///
/// `POST /users/{user}/mailFolders/{folder}/messages` with the base64 MIME (`text/plain`): 201
/// with the message resource, a draft (<https://learn.microsoft.com/graph/api/user-post-messages>);
/// with `[tenant] mime_on_folder_path = "refuse"`, Graph's observed 400
/// `UnableToDeserializePostBody` (<https://github.com/microsoftgraph/microsoft-graph-docs/issues/16368>).
#[utoipa::path(post, path = "/users/{user}/mailFolders/{folder}/messages", operation_id = "messages_import", tag = crate::http::openapi::GRAPH, security(("graphToken" = [])),
    params(crate::http::openapi::path::Folder),
    request_body(content = crate::http::openapi::graph::Base64Mime, content_type = "text/plain", description = "The MIME message, base64"),
    responses((status = 201, description = "The draft created", body = crate::http::openapi::graph::Message), (status = 413, description = "The body is over the request size limit", body = tm_contract::ErrorBody), (status = 415, description = "The body is not `text/plain` (`UnsupportedMediaType`)", body = tm_contract::ErrorBody), crate::http::openapi::ImportFailures, crate::http::openapi::GraphErrors))]
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
    if state.world.scenario.limits.mime_on_folder_path == MimeOnFolderPath::Refuse {
        // The message Graph answers, as reported in
        // <https://github.com/microsoftgraph/microsoft-graph-docs-contrib/issues/189>.
        let e = ApiError::new(StatusCode::BAD_REQUEST, "UnableToDeserializePostBody", "were unable to deserialize ");
        let entry = Entry::new(Api::Tenant, Op::Import, MimePath::Folder.request(), 400).code(Some(e.code)).mailbox(Some(u.mail.clone()));
        super::record(&state, entry);
        return e.into_response();
    }
    store_mime(&state, &u, &folder_key, (&headers, body), MimePath::Folder).await
}

/// Create a draft from MIME in the mailbox's `Drafts`.
///
/// `POST /users/{user}/messages` with the base64 MIME (`text/plain`): 201 with the message
/// resource, a draft in `Drafts` (<https://learn.microsoft.com/graph/api/user-post-messages>,
/// "create a message in MIME format").
#[utoipa::path(post, path = "/users/{user}/messages", operation_id = "messages_create", tag = crate::http::openapi::GRAPH, security(("graphToken" = [])),
    params(crate::http::openapi::path::User),
    request_body(content = crate::http::openapi::graph::Base64Mime, content_type = "text/plain", description = "The MIME message, base64"),
    responses((status = 201, description = "The draft created in Drafts", body = crate::http::openapi::graph::Message), (status = 413, description = "The body is over the request size limit", body = tm_contract::ErrorBody), (status = 415, description = "The body is not `text/plain` (`UnsupportedMediaType`)", body = tm_contract::ErrorBody), crate::http::openapi::ImportFailures, crate::http::openapi::GraphErrors))]
pub async fn create(State(state): State<Shared>, Path(key): Path<String>, headers: HeaderMap, body: Body) -> Response {
    let (u, _) = match mailbox_user(&state, &key) {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    store_mime(&state, &u, "drafts", (&headers, body), MimePath::Mailbox).await
}

/// Import MIME into a folder as a final (non-draft) message (beta).
///
/// `POST /beta/users/{user}/mailFolders/{folder}/importMime` with the base64 MIME
/// (`text/plain`, no JSON envelope): 201 with the message resource, `isDraft` false, the full
/// MIME preserved (`$value` answers the bytes sent)
/// (<https://learn.microsoft.com/graph/api/mailfolder-importmime?view=graph-rest-beta>).
#[utoipa::path(post, path = "/users/{user}/mailFolders/{folder}/importMime", operation_id = "messages_import_mime", tag = crate::http::openapi::GRAPH, security(("graphToken" = [])),
    params(crate::http::openapi::path::Folder),
    request_body(content = crate::http::openapi::graph::Base64Mime, content_type = "text/plain", description = "The MIME message, base64"),
    responses((status = 201, description = "The message imported, not a draft", body = crate::http::openapi::graph::Message), (status = 413, description = "The body is over the request size limit", body = tm_contract::ErrorBody), (status = 415, description = "The body is not `text/plain` (`UnsupportedMediaType`)", body = tm_contract::ErrorBody), crate::http::openapi::ImportFailures, crate::http::openapi::GraphErrors))]
pub async fn import_mime(
    State(state): State<Shared>,
    Path((key, folder_key)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (u, _) = match mailbox_user(&state, &key) {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    store_mime(&state, &u, &folder_key, (&headers, body), MimePath::ImportMime).await
}

/// A MIME path's work once the user is known: the body received (streamed), the scenario's
/// import faults decided, the message stored (a draft or not, as `path` makes it), journalled
/// and answered 201.
async fn store_mime(state: &Shared, u: &User, folder_key: &str, (headers, body): (&HeaderMap, Body), path: MimePath) -> Response {
    let request = path.request();
    let journal = |status: u16, code: Option<&str>, folder: Option<String>, item_id: Option<String>, fault: Option<FaultRecord>| {
        let mut entry = Entry::new(Api::Tenant, Op::Import, request.as_str(), status).code(code).mailbox(Some(u.mail.clone())).fault(fault);
        (entry.folder, entry.item_id) = (folder, item_id);
        super::record(state, entry);
    };
    let fail = |e: ApiError| {
        journal(e.status.as_u16(), Some(e.code), None, None, None);
        e.into_response()
    };
    let (folder, uploaded) = match receive(state, &u.id, folder_key, headers, body).await {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let archive_id = archive_id_of(&uploaded.head);
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
            ActionKind::ForeignWrite => foreign_write(state, &u.id, &u.mail),
            _ => {}
        }
    }
    // Parsed before the store is asked: every import and listing waits for the tenant's lock.
    let parsed = message_resource::parse(&uploaded.start);
    let message = message_of(&uploaded, archive_id.clone()).made(path.draft(), state.tenant_now_ms());
    let stored = match state.tenant.import(&state.world.archive, &u.id, &folder, message, uploaded.kept) {
        Ok(x) => x,
        Err(StoreError::NoFolder) => return fail(no_folder(folder_key)),
        Err(StoreError::QuotaExceeded(q)) => return fail(crate::http::fault_answer::quota_exceeded(&q)),
        Err(StoreError::DataDir(e)) => return stored_nothing(state, Op::Import.into(), &request, &u.mail, e),
    };
    if let Some(rule) = fault.as_ref().filter(|f| f.action == ActionKind::StoreThenStatus) {
        // The message is stored; the client is told the import failed.
        let e = crate::http::fault_answer::fault_error(rule, true);
        journal(e.status.as_u16(), Some(e.code), Some(stored.folder_name), archive_id.clone(), Some(rule.record()));
        return concerning(e.into_response(), archive_id);
    }
    let context = match path {
        MimePath::Folder => entity_context(&u.id, &folder),
        MimePath::Mailbox | MimePath::ImportMime => super::move_message::mailbox_entity_context(&u.id),
    };
    let response = created(&stored, &folder, &parsed, context);
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
fn created(stored: &Imported, folder: &str, parsed: &message_resource::Parsed, context: String) -> Response {
    let resource = Stored {
        id: &stored.id,
        folder_id: folder,
        internet_message_id: &stored.internet_message_id,
        sha256: &stored.sha256_hex,
        draft: stored.draft,
        created_ms: stored.created_ms,
    };
    let mut response = message_resource::resource(resource, Some(parsed));
    response.as_object_mut().expect("an object").insert("@odata.context".into(), context.into());
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
/// request cap applied (`[tenant] max_request_bytes`, default [`GRAPH_MAX_REQUEST_BYTES`]; every
/// import path receives its body here) (from the length announced, or as soon as the body passes it), the
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
    let cap = state.world.scenario.limits.max_request_bytes.unwrap_or(GRAPH_MAX_REQUEST_BYTES);
    let limit = usize::try_from(cap).unwrap_or(usize::MAX);
    let too_large = || too_large(cap);
    let announced = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    let mut stream = body.into_data_stream();
    if announced.is_some_and(|n| n > limit) {
        drain(&mut stream, 0).await;
        return Err(too_large());
    }
    let archive = &state.world.archive;
    let item_of = |head: &[u8]| archive_id_of(head).and_then(|id| archive.position(&id));
    let mut upload = Upload::new(archive, &item_of, state.options.keep_message_bodies);
    let mut received = 0usize;
    let invalid =
        || ApiError::new(StatusCode::BAD_REQUEST, "ErrorMimeContentInvalidBase64String", "The MIME content is not a valid base64 string.");
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "ErrorInvalidRequest", "the request body could not be read to its end"))?;
        received += chunk.len();
        if received > limit {
            drain(&mut stream, received).await;
            return Err(too_large());
        }
        upload.push(&chunk).map_err(|_| invalid())?;
    }
    state.tenant.rates.uploaded(&state.world.scenario.limits, user_id, received as u64);
    let uploaded = upload.finish().map_err(|_| invalid())?;
    Ok((folder, uploaded))
}

/// Most a refused body is read for (then the connection is dropped).
const DRAIN_LIMIT: usize = 256 * 1024 * 1024;

/// The rest of a body refused for its size, read and dropped (up to [`DRAIN_LIMIT`] bytes in
/// all, `received` already): a client still sending it then reads the 413, as from Graph,
/// instead of a connection reset under its feet (the Python SDK's httpx raises `ReadError`).
async fn drain(stream: &mut axum::body::BodyDataStream, mut received: usize) {
    while let Some(Ok(chunk)) = stream.next().await {
        received += chunk.len();
        if received > DRAIN_LIMIT {
            break;
        }
    }
}

/// The scenario's `foreign_write` fault: another program's message lands in the mailbox's
/// `WeChat Archiver` (see [`Tenant::foreign_write`](crate::tenant::store::Tenant::foreign_write)).
/// Journalled as op `foreign_write`; `/sim/mailboxes` marks the message `foreign`.
pub(super) fn foreign_write(state: &Shared, user_id: &str, mail: &str) {
    let date = state.world.scenario.start.format("%a, %d %b %Y %H:%M:%S +0000").to_string();
    let Some(id) = state.tenant.foreign_write(&state.world.archive, user_id, mail, (&date, state.tenant_now_ms())) else { return };
    let mut entry =
        Entry::new(Api::Tenant, tm_contract::Op::ForeignWrite, format!("a foreign message {id}"), 201).mailbox(Some(mail.to_string()));
    entry.folder = Some(crate::tenant::FOLDER_NAME.to_string());
    super::record(state, entry);
}

#[cfg(test)]
mod tests {
    use super::{header_value, too_large};

    #[test]
    fn header_values_are_unfolded_and_case_insensitive() {
        let mime =
            b"Message-ID: <a@b>\r\nX-TELEMESSAGE-ArchiveMessageID:\r\n tm01\r\nSubject: x\r\n\r\nX-TELEMESSAGE-ArchiveMessageID: body\r\n";
        assert_eq!(header_value(mime, "message-id").as_deref(), Some("<a@b>"));
        assert_eq!(header_value(mime, "X-TELEMESSAGE-ArchiveMessageID").as_deref(), Some("tm01"));
        assert_eq!(header_value(mime, "From"), None);
    }

    #[test]
    fn the_413_names_graphs_cap_as_graph_does_and_another_cap_as_set() {
        assert_eq!(too_large(4 * 1024 * 1024).message, "The maximum request length supported is 4MB.");
        assert_eq!(too_large(4 * 1024 * 1024).code, "BadRequest");
        assert_eq!(too_large(100_000).message, "The maximum request length supported is 100000 bytes.");
    }
}
