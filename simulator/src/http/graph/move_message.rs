//! `POST …/messages/{id}/move` as Graph has it (<https://learn.microsoft.com/graph/api/message-move>):
//! the message goes to the folder `destinationId` names (an id or a well-known name); Graph
//! "creates a new copy of the message in the destination folder and removes the original", so
//! the answer (201, the message resource) carries a new id and the old one is 404 afterwards.
//! The move is written to the data directory before it is answered, and journalled as op
//! `move` (the scenario's faults decide it before it runs, as for reads: it sends no bytes).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::messages::{not_found, resource};
use super::{mailbox_user, stored_nothing};
use crate::http::error::ApiError;
use crate::observe::journal::Entry;
use crate::state::Shared;
use crate::tenant::mailboxes::message_id;
use crate::tenant::store::MoveError;
use crate::world::faults::{Api, Op};

/// `@odata.context` of a message named by the mailbox's messages (`users('…')/messages/$entity`),
/// as Graph's MIME create answers it (<https://learn.microsoft.com/graph/api/user-post-messages>).
pub(super) fn mailbox_entity_context(user_id: &str) -> String {
    format!("{}#users('{user_id}')/messages/$entity", super::metadata())
}

/// The number a message id of this user's mailbox carries (see [`message_id`]).
fn number_of(user_id: &str, id: &str) -> Option<u32> {
    let n: u32 = id.strip_prefix("AAMkM")?.strip_prefix(&user_id[..8.min(user_id.len())])?.parse().ok()?;
    (message_id(user_id, n) == id).then_some(n)
}

/// The `destinationId` of a move's JSON body, its name in any case (an OData action's
/// parameters are: the official SDKs write `DestinationId`); Graph's 400s for a body it cannot
/// read or that lacks the parameter (the OData action's wording).
fn destination(body: &[u8]) -> Result<String, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "UnableToDeserializePostBody", "were unable to deserialize "))?;
    let given = value.as_object().and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("destinationId")).map(|(_, v)| v));
    match given.and_then(|d| d.as_str()) {
        Some(d) if !d.is_empty() => Ok(d.to_string()),
        _ => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "One or more parameters of the operation 'move' are missing from the request payload. The missing parameters are: DestinationId.",
        )),
    }
}

/// Graph's answer to a destination that is no folder of the mailbox: an id of this tenant's
/// shape is 404 `ErrorItemNotFound`; anything else (a display name, say) is 400
/// `ErrorInvalidIdMalformed` (<https://learn.microsoft.com/answers/questions/933423/graph-api-for-move-command>).
fn no_destination(key: &str) -> ApiError {
    if key.starts_with("AAMkF") {
        ApiError::new(StatusCode::NOT_FOUND, "ErrorItemNotFound", format!("The specified object was not found in the store. ({key})"))
    } else {
        ApiError::new(StatusCode::BAD_REQUEST, "ErrorInvalidIdMalformed", "Id is malformed.")
    }
}

/// A move's work: the message found (in `from`, when the path names a folder), moved, answered.
fn move_answer(state: &Shared, key: &str, from: Option<&str>, message: &str, body: &[u8]) -> Response {
    let request = format!("POST /graph/{}/users/{{id}}/messages/{{message}}/move", super::version().segment());
    let (u, _) = match mailbox_user(state, key) {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    let journal = |status: u16, code: Option<&str>, folder: Option<String>, item: Option<String>| {
        let mut entry = Entry::new(Api::Tenant, Op::Move, request.as_str(), status).code(code).mailbox(Some(u.mail.clone()));
        (entry.folder, entry.item_id) = (folder, item);
        super::record(state, entry);
    };
    let fail = |e: ApiError| {
        journal(e.status.as_u16(), Some(e.code), None, None);
        e.into_response()
    };
    let to = match destination(body) {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    let Some(number) = number_of(&u.id, message) else { return fail(not_found(message)) };
    let moved = match state.tenant.move_message(&u.id, number, from, &to) {
        Ok(m) => m,
        Err(MoveError::NoMessage) => return fail(not_found(message)),
        Err(MoveError::NoDestination) => return fail(no_destination(&to)),
        Err(MoveError::DataDir(e)) => return stored_nothing(state, Op::Move.into(), &request, &u.mail, e),
    };
    let folder_name = state.tenant.read(|t| t.mailboxes.get(&u.id)?.folder(&moved.folder_id).map(|f| f.name.clone()));
    let item = moved.message.archive_id(&state.world.archive).map(str::to_string);
    journal(201, None, folder_name, item.clone());
    let mut v = resource(state, &u.id, &moved.folder_id, &moved.message, None);
    v.as_object_mut().expect("an object").insert("@odata.context".into(), mailbox_entity_context(&u.id).into());
    super::messages::concerning((StatusCode::CREATED, axum::Json(v)).into_response(), item)
}

/// Move a message of a mailbox to another folder.
///
/// `POST /users/{user}/messages/{message}/move` with `{"destinationId": "…"}`: 201 with the
/// message under its new id (<https://learn.microsoft.com/graph/api/message-move>).
#[utoipa::path(post, path = "/users/{user}/messages/{message}/move", operation_id = "messages_move", tag = crate::http::openapi::GRAPH, security(("graphToken" = [])),
    params(crate::http::openapi::path::Message),
    request_body(content = crate::http::openapi::graph::MoveRequest, content_type = "application/json", description = "The destination folder"),
    responses((status = 201, description = "The message in its new folder, under a new id", body = crate::http::openapi::graph::Message), crate::http::openapi::GraphErrors))]
pub async fn move_message(State(state): State<Shared>, Path((key, message)): Path<(String, String)>, body: Bytes) -> Response {
    move_answer(&state, &key, None, &message, &body)
}

/// Move a message of a folder to another folder.
///
/// `POST /users/{user}/mailFolders/{folder}/messages/{message}/move` with
/// `{"destinationId": "…"}`: 201 with the message under its new id; 404 when the message is not
/// in that folder (<https://learn.microsoft.com/graph/api/message-move>).
#[utoipa::path(post, path = "/users/{user}/mailFolders/{folder}/messages/{message}/move", operation_id = "messages_move_in_folder", tag = crate::http::openapi::GRAPH, security(("graphToken" = [])),
    params(crate::http::openapi::path::FolderMessage),
    request_body(content = crate::http::openapi::graph::MoveRequest, content_type = "application/json", description = "The destination folder"),
    responses((status = 201, description = "The message in its new folder, under a new id", body = crate::http::openapi::graph::Message), crate::http::openapi::GraphErrors))]
pub async fn move_in_folder(
    State(state): State<Shared>,
    Path((key, folder, message)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    move_answer(&state, &key, Some(&folder), &message, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_id_names_its_number_only_in_its_own_mailbox() {
        let id = message_id("0123456789abcdef", 42);
        assert_eq!(number_of("0123456789abcdef", &id), Some(42));
        assert_eq!(number_of("fedcba9876543210", &id), None);
        assert_eq!(number_of("0123456789abcdef", "AAMkM01234567x"), None);
        assert_eq!(number_of("0123456789abcdef", "AAMkM01234567+0000042"), None, "only the canonical spelling");
    }

    #[test]
    fn the_destination_is_read_from_the_json_body() {
        assert_eq!(destination(br#"{"destinationId":"inbox"}"#).unwrap(), "inbox");
        assert_eq!(destination(br#"{"DestinationId":"archive"}"#).unwrap(), "archive", "as the Python SDK writes it");
        assert_eq!(destination(b"not json").unwrap_err().code, "UnableToDeserializePostBody");
        assert_eq!(destination(br#"{"destination":"inbox"}"#).unwrap_err().code, "BadRequest");
        assert_eq!(no_destination("AAMkF0000").status, StatusCode::NOT_FOUND);
        assert_eq!(no_destination("Processed").code, "ErrorInvalidIdMalformed");
    }
}
