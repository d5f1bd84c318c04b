//! `/graph/v1.0` and `/graph/beta`: the tenant, shaped as Microsoft Graph is (contract v2: Graph
//! is the specification of every endpoint offered here). This module holds the routers, what
//! every request goes through (request ids, the token, Graph's per-mailbox throttling, the
//! scenario's faults) and the users; folders are in [`folders`], messages in [`messages`], the
//! MIME import paths in [`import`], moves in [`move_message`]. `/graph/beta` serves the same
//! subset as `/graph/v1.0` (its `@odata.context` and links naming beta, see [`version`]) plus
//! beta's `importMime`.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::tenant::directory::User;
use odata::Refused;

pub mod filter;
pub mod folders;
pub mod import;
pub mod messages;
pub mod move_message;
pub mod odata;
pub mod order;
pub mod permissions;
pub mod users;
use crate::http::error::ApiError;
use crate::observe::journal::Entry;
use crate::state::Shared;
use crate::world::faults::{ActionKind, Api, Op, Request as FaultRequest};
use crate::world::scenario::TenantUser;
use tm_contract::{FaultKind, Throttle};

/// The Graph version a request came in under (`/graph/v1.0` or `/graph/beta`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `v1.0`.
    V1,
    /// `beta`.
    Beta,
}

impl Version {
    /// The version's path segment.
    pub fn segment(self) -> &'static str {
        match self {
            Version::V1 => "v1.0",
            Version::Beta => "beta",
        }
    }
}

tokio::task_local! {
    /// The version of the request being answered (set by the router, see [`router`]).
    static VERSION: Version;
}

/// The Graph version of the request being answered (`v1.0` outside a request).
pub fn version() -> Version {
    VERSION.try_with(|v| *v).unwrap_or(Version::V1)
}

/// The `$metadata` URL `@odata.context` names, in the request's version.
pub fn metadata() -> String {
    format!("https://graph.microsoft.com/{}/$metadata", version().segment())
}

/// Routes under `/graph/v1.0`, with their OpenAPI description (no layers: see [`router`]).
pub fn api() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list_users))
        .routes(routes!(user))
        .routes(routes!(folders::list, folders::create))
        .routes(routes!(folders::one))
        .routes(routes!(folders::children, folders::create_child))
        .routes(routes!(messages::list_in_folder, import::import))
        .routes(routes!(messages::count_in_folder))
        .routes(routes!(messages::one_in_folder))
        .routes(routes!(messages::value_in_folder))
        .routes(routes!(messages::list_all, import::create))
        .routes(routes!(messages::count_all))
        .routes(routes!(messages::one))
        .routes(routes!(messages::value))
        .routes(routes!(move_message::move_in_folder))
        .routes(routes!(move_message::move_message))
}

/// What `/graph/beta` adds to [`api`]: `importMime`
/// (<https://learn.microsoft.com/graph/api/mailfolder-importmime?view=graph-rest-beta>).
pub fn beta_only() -> OpenApiRouter<Shared> {
    OpenApiRouter::new().routes(routes!(import::import_mime))
}

/// Routes under `/graph/v1.0`: [`api`]'s, with Graph's answers to unknown paths and methods,
/// the token check, throttling and faults, and request ids.
pub fn router(state: Shared) -> Router<Shared> {
    layered(api(), state, Version::V1)
}

/// Routes under `/graph/beta`: [`api`]'s and [`beta_only`]'s, layered as [`router`]'s.
pub fn beta_router(state: Shared) -> Router<Shared> {
    layered(api().merge(beta_only()), state, Version::Beta)
}

/// A Graph version's routes with Graph's answers to unknown paths and methods, the token
/// check, throttling and faults, request ids, and the version known to every handler.
fn layered(api: OpenApiRouter<Shared>, state: Shared, version: Version) -> Router<Shared> {
    api.split_for_parts()
        .0
        .fallback(|uri: axum::http::Uri| async move {
            let segment = unknown_segment(uri.path());
            // An app-only token on `/me`: Graph's own answer.
            let message = match segment.as_str() {
                "me" => "/me request is only valid with delegated authentication flow.".to_string(),
                s => format!("Resource not found for the segment '{s}'."),
            };
            ApiError::new(StatusCode::BAD_REQUEST, "BadRequest", message)
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "Request_BadRequest",
                "Specified HTTP method is not allowed for the request target.",
            )
        })
        .layer(middleware::from_fn_with_state(state.clone(), require_token))
        .layer(middleware::from_fn_with_state(state, request_ids))
        .layer(middleware::from_fn(move |request: Request, next: Next| VERSION.scope(version, next.run(request))))
}

/// The segment of a path no route takes, as Graph names it in "Resource not found for the segment
/// '…'." (400 `BadRequest`; real bodies name the first segment Graph cannot resolve, `beta` or
/// `alertIncidents`): the first resource segment (`users`, `mailFolders`, …, every other segment
/// after the version, the others being keys) this tenant does not know, else the last segment.
pub fn unknown_segment(path: &str) -> String {
    const KNOWN: [&str; 8] = ["users", "mailFolders", "childFolders", "messages", "$value", "$count", "move", "importMime"];
    let segments: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(crate::http::record::decode).collect();
    let after = segments.iter().position(|s| s.eq_ignore_ascii_case("v1.0") || s.eq_ignore_ascii_case("beta")).map_or(0, |i| i + 1);
    let rest = &segments[after.min(segments.len())..];
    let unknown = rest.iter().step_by(2).find(|s| !KNOWN.iter().any(|k| k.eq_ignore_ascii_case(s)));
    unknown.or(rest.last()).cloned().unwrap_or_default()
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
    let request_id = request_id(state.world.scenario.seed, n);
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

/// The operation and the user (id or UPN, percent-decoded) of a Graph request, from the route
/// axum matched (`MatchedPath`); the user is the segment after `users`.
fn classify(method: &axum::http::Method, matched: Option<&str>, path: &str) -> (Op, Option<String>) {
    let op = op_of(method, matched);
    if op == Op::Any {
        return (op, None);
    }
    let user = path.split('/').skip_while(|s| *s != "users").nth(1).map(crate::http::record::decode);
    (op, user)
}

/// The operation of a Graph request from the route axum matched (`/graph/v1.0` or
/// `/graph/beta` prefix or not); [`Op::Any`] for a route that is no operation of its own. The
/// three MIME paths (the create on a mailbox's or a folder's messages, beta's `importMime`)
/// are imports; a move is [`Op::Move`], a write of its own (no bytes are sent: it is no import,
/// and the scenario's faults decide it as they decide reads, before it is answered).
pub fn op_of(method: &axum::http::Method, matched: Option<&str>) -> Op {
    let route = matched.map(|m| m.strip_prefix("/graph/v1.0").or_else(|| m.strip_prefix("/graph/beta")).unwrap_or(m)).unwrap_or("");
    match (method.as_str(), route) {
        ("GET", "/users/{user}") | ("GET", "/users") => Op::Lookup,
        ("GET", r) if r.starts_with("/users/{user}/mailFolders") && !r.contains("/messages") => Op::Folders,
        ("POST", "/users/{user}/mailFolders") | ("POST", "/users/{user}/mailFolders/{folder}/childFolders") => Op::CreateFolder,
        ("POST", "/users/{user}/mailFolders/{folder}/messages")
        | ("POST", "/users/{user}/messages")
        | ("POST", "/users/{user}/mailFolders/{folder}/importMime") => Op::Import,
        ("POST", "/users/{user}/messages/{message}/move") | ("POST", "/users/{user}/mailFolders/{folder}/messages/{message}/move") => {
            Op::Move
        }
        ("GET", r) if r.contains("/messages") => Op::Messages,
        _ => Op::Any,
    }
}

pub(super) fn record(state: &Shared, entry: Entry) {
    state.journal.lock().expect("journal lock").push(entry);
}

/// A request refused 429 by Graph's throttling: journalled with why, tagged for the access log.
fn refuse_throttled(
    state: &Shared,
    (op, described): (Op, String),
    mailbox: Option<String>,
    e: ApiError,
    why: tm_contract::FaultRecord,
    in_flight: usize,
) -> Response {
    record(state, Entry::new(Api::Tenant, op, described, 429).code(Some(e.code)).mailbox(mailbox.clone()).fault(Some(why)));
    let mut r = e.into_response();
    r.extensions_mut().insert(crate::http::record::Tenant { mailbox, in_flight });
    r
}

/// The body length a request announces (0 when it announces none).
fn announced_length(headers: &HeaderMap) -> u64 {
    headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
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

/// Token check (first of all), then Graph's throttling per mailbox, then the scenario's tenant
/// faults (imports decide theirs once the item is known, in [`import::import`]).
async fn require_token(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let given = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    let described = format!("{} {}", request.method(), request.uri().path());
    let matched = request.extensions().get::<axum::extract::MatchedPath>().map(|m| m.as_str().to_owned());
    let (op, user) = classify(request.method(), matched.as_deref(), request.uri().path());
    let roles = match crate::http::identity::check_bearer(&state, given) {
        Ok(roles) => roles,
        Err(e) => {
            record(&state, Entry::new(Api::Tenant, Op::Any, described, 401).code(Some(e.code)).mailbox(None).item(None).fault(None));
            return crate::http::identity::unauthorized(e);
        }
    };
    let resolved = user.as_deref().and_then(|u| state.tenant.directory.by_key(u)).map(|(u, _)| u.clone());
    let mailbox = resolved.as_ref().map(|u| u.mail.clone());
    // The token's roles, then the app's mailbox scope (see `permissions.rs`).
    if let Some(e) = permissions::refusal(&state, request.method().as_str(), matched.as_deref(), &roles, resolved.as_ref()) {
        record(&state, Entry::new(Api::Tenant, op, described, 403).code(Some(e.code)).mailbox(mailbox.clone()));
        let mut r = e.into_response();
        r.extensions_mut().insert(crate::http::record::Tenant { mailbox, in_flight: 0 });
        return r;
    }
    // Mailbox calls (everything under a user but the user itself) are counted in flight per
    // mailbox (the access log shows them); beyond the scenario's throttle they are refused as
    // Graph refuses a fifth concurrent request
    // (<https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits>).
    let mut in_flight_now = 0;
    let mailbox_call = op != Op::Lookup && op != Op::Any;
    let _guard = match resolved.as_ref().filter(|_| mailbox_call) {
        Some(u) => {
            let mut map = state.in_flight.lock().expect("in-flight lock");
            let n = map.entry(u.id.clone()).or_insert(0);
            if let Some(t) = state.world.scenario.throttle
                && *n >= t.per_mailbox
            {
                let would_be = *n + 1;
                drop(map);
                let why = FaultKind::Throttled(Throttle::InFlight(t.per_mailbox)).into();
                return refuse_throttled(&state, (op, described), mailbox, throttled("MailboxConcurrency", t.retry_after), why, would_be);
            }
            *n += 1;
            in_flight_now = *n;
            drop(map);
            if let Some((limit, retry_after)) =
                state.tenant.rates.admit(&state.world.scenario.limits, &u.id, op, announced_length(request.headers()))
            {
                let why = FaultKind::Throttled(Throttle::Limit(limit.to_string())).into();
                drop(InFlight { state: state.clone(), user_id: u.id.clone() });
                return refuse_throttled(&state, (op, described), mailbox, throttled(limit, retry_after), why, in_flight_now);
            }
            Some(InFlight { state: state.clone(), user_id: u.id.clone() })
        }
        None => None,
    };
    let tag = crate::http::record::Tenant { mailbox: mailbox.clone(), in_flight: in_flight_now };
    let mut response = gate(state.clone(), request, next, op, described, resolved, mailbox).await;
    response.extensions_mut().insert(tag);
    response
}

/// Graph's 429 for a mailbox over one of its limits: `ApplicationThrottled`, with `Retry-After`.
fn throttled(limit: &str, retry_after: u64) -> ApiError {
    ApiError {
        status: StatusCode::TOO_MANY_REQUESTS,
        code: "ApplicationThrottled",
        message: format!("Application is over its {limit} limit."),
        retry_after: Some(crate::world::faults::RetryAfter::Seconds(retry_after)),
    }
}

/// The scenario's tenant faults, for every operation but imports (which decide theirs once the
/// item is known, in [`import`]).
async fn gate(
    state: Shared,
    request: Request,
    next: Next,
    op: Op,
    described: String,
    resolved: Option<crate::tenant::directory::User>,
    mailbox: Option<String>,
) -> Response {
    if op == Op::Import || state.faults.is_empty() {
        return next.run(request).await;
    }
    let addresses = resolved.as_ref().map(|u| state.tenant.directory.addresses(&u.id)).unwrap_or_default();
    let fault = state.faults.decide(FaultRequest { api: Api::Tenant, op, item: None, mailbox: Some(&addresses) });
    let Some(rule) = fault else { return next.run(request).await };
    match rule.action {
        ActionKind::Status => {
            let e = crate::http::fault_answer::fault_error(&rule, true);
            record(
                &state,
                Entry::new(Api::Tenant, op, described, e.status.as_u16())
                    .code(Some(e.code))
                    .mailbox(mailbox)
                    .item(None)
                    .fault(Some(rule.record())),
            );
            e.into_response()
        }
        ActionKind::Latency => {
            record(&state, Entry::new(Api::Tenant, op, described, 0).code(None).mailbox(mailbox).item(None).fault(Some(rule.record())));
            tokio::time::sleep(std::time::Duration::from_millis(rule.latency_ms.unwrap_or(0))).await;
            next.run(request).await
        }
        ActionKind::Reset => {
            record(&state, Entry::new(Api::Tenant, op, described, 0).code(None).mailbox(mailbox).item(None).fault(Some(rule.record())));
            break_answer(next.run(request).await, &rule).await
        }
        // Answered first: the connector's view (a folder's count, say) is already stale.
        ActionKind::ForeignWrite => {
            let response = next.run(request).await;
            if let Some(u) = &resolved {
                import::foreign_write(&state, &u.id, &u.mail);
            }
            response
        }
        _ => next.run(request).await,
    }
}

/// The answer's headers go out, then the connection breaks mid-body.
pub(super) async fn break_answer(response: Response, rule: &crate::world::faults::FaultRule) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let cut = rule.at_byte.map_or(bytes.len() / 2, |b| b as usize);
    parts.headers.insert(header::CONTENT_LENGTH, bytes.len().into());
    Response::from_parts(parts, crate::http::fault_answer::broken_body(bytes, cut))
}

/// The data directory refused a write: the tenant is unchanged, the client gets a 500 it may
/// retry, and the journal says why.
pub(super) fn stored_nothing(
    state: &Shared,
    op: tm_contract::Op,
    request: &str,
    mailbox: &str,
    e: crate::tenant::data_dir::DataDirError,
) -> Response {
    tracing::error!("{e}");
    let a = ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError", "the simulator could not store this change");
    let fault = FaultKind::StoreFailed(e.to_string()).into();
    record(state, Entry::new(Api::Tenant, op, request, 500).code(Some(a.code)).mailbox(Some(mailbox.to_string())).fault(Some(fault)));
    a.into_response()
}

/// Graph's 404 for a user that does not exist.
pub(super) fn no_user(who: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        format!("Resource '{who}' does not exist or one of its queried reference-property objects are not present."),
    )
}

/// A Graph 400 for a query this tenant refuses.
pub(super) fn refused(r: Refused) -> Response {
    ApiError::new(StatusCode::BAD_REQUEST, r.code, r.message).into_response()
}

/// The mailbox a mail call's path names: its user, or Graph's 404 (`ErrorInvalidUser` for no such
/// user, `MailboxNotEnabledForRESTAPI` for a user without a mailbox). A disabled user's mailbox
/// answers, as in Exchange Online (shared mailboxes are disabled accounts).
pub(super) fn mailbox_user(state: &Shared, key: &str) -> Result<(User, TenantUser), ApiError> {
    match state.tenant.directory.by_key(key) {
        None => Err(ApiError::new(StatusCode::NOT_FOUND, "ErrorInvalidUser", format!("The requested user '{key}' is invalid."))),
        Some((_, t)) if !t.mailbox => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "MailboxNotEnabledForRESTAPI",
            "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
        )),
        Some((u, t)) => Ok((u.clone(), t.clone())),
    }
}

/// The absolute URL of the Graph base as the client reached it, in the request's version (for
/// `@odata.nextLink`).
pub(super) fn base_url(state: &Shared, headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    format!("{}://{host}/graph/{}", state.scheme(), version().segment())
}

/// List users: find them by `mail`, `userPrincipalName` or an alias in `proxyAddresses`, page
/// through them, search, sort and count them.
///
/// `GET /users?$filter=…&$select=…&$top=…&$orderby=…&$count=…&$search=…` (see `users.rs`;
/// <https://learn.microsoft.com/graph/api/user-list>).
#[utoipa::path(get, path = "/users", operation_id = "users_list_users", tag = crate::http::openapi::GRAPH, security(("graphToken" = [])),
    params(crate::http::openapi::query::Users, crate::http::openapi::query::Consistency),
    responses((status = 200, description = "The users found", body = crate::http::openapi::graph::UserCollection), crate::http::openapi::GraphErrors))]
async fn list_users(State(state): State<Shared>, headers: HeaderMap, Query(query): Query<Vec<(String, String)>>) -> Response {
    let o = match odata::parse_directory(&query, &USERS_OPTIONS) {
        Ok(o) => o,
        Err(r) => return refused(r),
    };
    let r = users::Request { options: &o, eventual: eventual(&headers) };
    let url = format!("{}/users", base_url(&state, &headers));
    match users::list(&state.tenant.directory, &r, &url, &query) {
        Ok(v) => axum::Json(v).into_response(),
        Err(r) => refused(r),
    }
}

/// The options `GET /users` takes (<https://learn.microsoft.com/graph/api/user-list#optional-query-parameters>;
/// `$expand` is not offered here, `$skip` Graph does not take on users).
const USERS_OPTIONS: [&str; 7] = ["filter", "select", "top", "count", "orderby", "search", "skiptoken"];

/// Whether a request carries `ConsistencyLevel: eventual` (<https://learn.microsoft.com/graph/aad-advanced-queries>).
fn eventual(headers: &HeaderMap) -> bool {
    headers.get("consistencylevel").and_then(|v| v.to_str().ok()).is_some_and(|v| v.trim().eq_ignore_ascii_case("eventual"))
}

/// A user by id or userPrincipalName.
///
/// `GET /users/{id | userPrincipalName}`: any user of the directory, disabled or without a
/// mailbox included (<https://learn.microsoft.com/graph/api/user-get>); another address is 404.
/// Collection options (`$top`, `$filter`, …) are Graph's 400 for a single resource.
/// `GET /users/$count` (with `ConsistencyLevel: eventual`) answers the number of users as text.
#[utoipa::path(get, path = "/users/{user}", operation_id = "users_user", tag = crate::http::openapi::GRAPH, security(("graphToken" = [])),
    params(crate::http::openapi::path::User, crate::http::openapi::query::Select),
    responses((status = 200, description = "The user", body = crate::http::openapi::graph::User), crate::http::openapi::GraphErrors))]
async fn user(
    State(state): State<Shared>,
    Path(key): Path<String>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    if key == "$count" {
        let counted = odata::parse_directory(&query, &["filter", "search"])
            .and_then(|o| users::count(&state.tenant.directory, &users::Request { options: &o, eventual: eventual(&headers) }));
        return match counted {
            Ok(n) => ([(header::CONTENT_TYPE, "text/plain")], n.to_string()).into_response(),
            Err(r) => refused(r),
        };
    }
    if let Some(r) = users::not_a_collection(&query) {
        return refused(r);
    }
    let o = match odata::parse_directory(&query, &["select"]) {
        Ok(o) => o,
        Err(r) => return refused(r),
    };
    let Some((u, t)) = state.tenant.directory.by_key(&key) else { return no_user(&key).into_response() };
    match users::one(u, t, o.select.as_deref()) {
        Ok(v) => axum::Json(v).into_response(),
        Err(r) => refused(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Method;

    #[test]
    fn every_import_path_is_an_import_and_a_move_a_move_under_either_version() {
        for prefix in ["/graph/v1.0", "/graph/beta", ""] {
            let op = |m: &Method, route: &str| op_of(m, Some(&format!("{prefix}{route}")));
            assert_eq!(op(&Method::POST, "/users/{user}/messages"), Op::Import);
            assert_eq!(op(&Method::POST, "/users/{user}/mailFolders/{folder}/messages"), Op::Import);
            assert_eq!(op(&Method::POST, "/users/{user}/mailFolders/{folder}/importMime"), Op::Import);
            assert_eq!(op(&Method::POST, "/users/{user}/messages/{message}/move"), Op::Move);
            assert_eq!(op(&Method::POST, "/users/{user}/mailFolders/{folder}/messages/{message}/move"), Op::Move);
            assert_eq!(op(&Method::GET, "/users/{user}/messages"), Op::Messages);
            assert_eq!(op(&Method::GET, "/users/{user}/mailFolders/{folder}"), Op::Folders);
            assert_eq!(op(&Method::GET, "/users/{user}"), Op::Lookup);
        }
        assert_eq!(op_of(&Method::POST, None), Op::Any);
    }

    #[test]
    fn the_version_is_v1_outside_a_request_and_the_router_s_inside() {
        assert_eq!((version(), metadata().as_str()), (Version::V1, "https://graph.microsoft.com/v1.0/$metadata"));
        let inside = tokio_test_block(VERSION.scope(Version::Beta, async { (version(), metadata()) }));
        assert_eq!(inside, (Version::Beta, "https://graph.microsoft.com/beta/$metadata".to_string()));
    }

    fn tokio_test_block<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().build().expect("a runtime").block_on(f)
    }

    #[test]
    fn the_unknown_segment_is_the_first_resource_segment_no_route_takes() {
        for (path, segment) in [
            ("/graph/v1.0/no/such/path", "no"),
            ("/graph/v1.0/users/u/contacts", "contacts"),
            ("/graph/v1.0/users/u/mailFolders/inbox/rules", "rules"),
            ("/graph/v1.0/users/u/messages/m/attachments", "attachments"),
            ("/graph/v1.0/users/u/mailFolders/inbox/messages/m/%24value/x", "x"),
            ("/graph/v1.0/me", "me"),
            ("/graph/v1.0", ""),
        ] {
            assert_eq!(unknown_segment(path), segment, "{path}");
        }
    }
}
