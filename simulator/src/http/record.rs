//! What the access log learns of each request at the HTTP layer: which API and operation a
//! route is, the item a download names, and — as response extensions set by the handlers — the
//! mailbox a tenant request concerns with its requests in flight, and the archive item.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tm_contract::{Api, Op};

use crate::state::Shared;

/// What the tenant gate learnt about a request (a response extension).
#[derive(Debug, Clone)]
pub struct Tenant {
    /// The mailbox's primary address, when the path names a valid user.
    pub mailbox: Option<String>,
    /// Requests in flight for that mailbox, this one included, when it arrived.
    pub in_flight: usize,
}

/// The archive item a tenant request concerns (a response extension): the item an import
/// carried, once its body was read, or the item whose `Message-ID` a message query asks for.
/// RETRY-AFTER and BACKOFF judge a retry of such a request per item, as Graph's guidance is per
/// request. A request refused before its body was read (a throttle) names no item.
#[derive(Debug, Clone)]
pub struct Concerns(pub String);

/// The API, operation and item of a request, from the route axum matched (`MatchedPath`) rather
/// than from the path again; a request no route matched is `other`.
fn classify(method: &axum::http::Method, path: &str, matched: Option<&str>) -> Option<(Api, Op, Option<String>)> {
    let api = if path.starts_with("/tm/v1") {
        Api::Vendor
    } else if path.starts_with("/graph/v1.0") || path.starts_with("/graph/beta") {
        Api::Tenant
    } else if path.ends_with("/oauth2/v2.0/token") {
        return Some((Api::Identity, Op::Token, None));
    } else {
        return None;
    };
    let op = match matched {
        Some("/tm/v1/session") => Op::Login,
        Some("/tm/v1/items") => Op::List,
        Some("/tm/v1/items/{id}/raw") => Op::Raw,
        Some(m) if api == Api::Tenant => match crate::http::graph::op_of(method, Some(m)) {
            crate::world::faults::Op::Any => Op::Other,
            op => op.into(),
        },
        _ => Op::Other,
    };
    // The item of a download: the segment the route names `{id}`, percent-decoded.
    let item = (op == Op::Raw).then(|| path.split('/').rev().nth(1).map(decode)).flatten();
    Some((api, op, item))
}

/// A path segment, percent-decoded (`percent-encoding`; invalid UTF-8 replaced).
pub fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

/// Middleware: logs vendor and tenant requests in the access log.
pub async fn record(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let matched = request.extensions().get::<axum::extract::MatchedPath>().map(|m| m.as_str().to_owned());
    let Some((api, op, item_id)) = classify(request.method(), &path, matched.as_deref()) else { return next.run(request).await };
    let seq = state.requests.arrived(api, op, format!("{} {path}", request.method()), item_id);
    let response = next.run(request).await;
    let tenant = response.extensions().get::<Tenant>().map(|t| (t.mailbox.clone(), t.in_flight));
    let concerns = response.extensions().get::<Concerns>().map(|c| c.0.clone());
    state.requests.answered(seq, response.status().as_u16(), concerns, tenant);
    response
}
