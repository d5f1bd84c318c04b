//! The vendor's answers under the archive's integrity faults (`world/integrity.rs`): a listing
//! entry that describes the bad bytes a `malformed` item is held as, a download of bad bytes
//! (`corrupt`, `malformed`), and a listed item's download answered 404 or 410 (`gone`). Each
//! download is journalled with its fault.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tm_contract::ItemRef;

use crate::http::error::ApiError;
use crate::http::vendor::journal;
use crate::state::Shared;
use crate::world::archive::ArchivedItem;
use crate::world::faults::{ActionKind, FaultRule, Op};
use crate::world::integrity;

/// The item's real bytes, whole.
fn real_bytes(state: &Shared, item: &ArchivedItem) -> Vec<u8> {
    let rendered = state.world.archive.render(item);
    let mut bytes = Vec::with_capacity(usize::try_from(rendered.size()).unwrap_or(0));
    for chunk in rendered.into_chunks() {
        bytes.extend_from_slice(chunk.as_ref());
    }
    bytes
}

/// The bytes the archive holds for an item: its real ones, or a `malformed` rule's.
fn held_bytes(state: &Shared, item: &ArchivedItem, malformed: Option<&FaultRule>) -> Vec<u8> {
    let real = real_bytes(state, item);
    match malformed.and_then(FaultRule::malformation) {
        Some(m) => integrity::malformed(m, &real, state.world.scenario.seed, &item.spec.id),
        None => real,
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A listing entry of a `malformed` item describes the bytes the archive holds: their size and
/// sha256 (the entry is left as it is for every other item).
pub(crate) fn describe_held(state: &Shared, entry: &mut ItemRef) {
    let Some(rule) = state.faults.malformed(entry.id.as_str()) else { return };
    let Some(item) = state.world.archive.get(entry.id.as_str()) else { return };
    let bytes = held_bytes(state, item, Some(rule));
    entry.size = bytes.len() as u64;
    entry.sha256 = sha256_hex(&bytes);
}

/// A `gone` item's download: 404 `not_found` or 410 `item_deleted`, journalled with the fault.
pub(crate) fn gone(state: &Shared, rule: &FaultRule, id: &str, request: String) -> Response {
    let e = match rule.status {
        Some(410) => ApiError::new(StatusCode::GONE, "item_deleted", format!("item {id:?} was deleted from the archive")),
        _ => ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no item has id {id:?}")),
    };
    journal(state, Op::Raw, request, e.status.as_u16(), Some(e.code), Some(id.to_string()), Some(rule.record()));
    e.into_response()
}

/// Whether a download is answered with bad bytes: the item is `malformed`, or the fault plan
/// corrupts this download.
pub(crate) fn serves_bad_bytes(state: &Shared, id: &str, fault: Option<&FaultRule>) -> bool {
    state.faults.malformed(id).is_some() || fault.is_some_and(|f| f.action == ActionKind::Corrupt)
}

/// A download of bad bytes, whole with `Content-Length`: the bytes the archive holds (a
/// `malformed` item's), corrupted when the fault plan corrupts this download. The `ETag` is the
/// listing's sha256 (the archive's index: of the held bytes), so a corrupt body does not match
/// it. Journalled once per fault applied.
pub(crate) fn bad_bytes(state: &Shared, item: &ArchivedItem, fault: Option<&FaultRule>, request: String) -> Response {
    let id = item.spec.id.as_str();
    let malformed = state.faults.malformed(id);
    let held = held_bytes(state, item, malformed);
    let etag = HeaderValue::from_str(&format!("\"{}\"", sha256_hex(&held))).expect("hex is a valid header");
    let corrupt = fault.filter(|f| f.action == ActionKind::Corrupt);
    let served = match corrupt {
        Some(_) => integrity::corrupt(&held, state.world.scenario.seed, id),
        None => held,
    };
    for rule in malformed.into_iter().chain(corrupt) {
        journal(state, Op::Raw, request.clone(), 200, None, Some(id.to_string()), Some(rule.record()));
    }
    let size = served.len();
    let mut response = Body::from(served).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("message/rfc822"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    h.insert(header::ETAG, etag);
    response
}
