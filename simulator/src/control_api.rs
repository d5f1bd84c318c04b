//! `/sim`: the control plane for tests and people (no auth; loopback only).

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::json;

use crate::http_error::ApiError;
use crate::server::Shared;

/// Routes under `/sim`.
pub fn router() -> Router<Shared> {
    Router::new()
        .route("/scenario", get(scenario))
        .route("/mailboxes", get(mailboxes))
        .route("/mailboxes/{address}/items/{id}/raw", get(imported_raw))
        .route("/journal", get(journal))
        .route("/requests", get(requests))
        .route("/reset", post(reset))
}

/// What `GET /sim/scenario` reports.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioSummary {
    /// Scenario name.
    pub name: String,
    /// Seed.
    pub seed: u64,
    /// Both services' credentials.
    pub credentials: crate::scenario::Credentials,
    /// Item counts.
    pub counts: Counts,
    /// People and groups.
    pub population: BTreeMap<&'static str, usize>,
    /// First and last capture time.
    pub span: Option<(String, String)>,
}

/// Item counts by kind and source.
#[derive(Debug, Clone, Serialize)]
pub struct Counts {
    /// All items.
    pub items: usize,
    /// By `ItemRef.kind`.
    pub by_kind: BTreeMap<&'static str, usize>,
    /// By `ItemRef.source`.
    pub by_source: BTreeMap<&'static str, usize>,
    /// Items above the 10 MB limit.
    pub over_limit: usize,
}

/// The summary of a built simulator state.
pub fn summary(state: &crate::server::State) -> ScenarioSummary {
    state.archive.size_all();
    let items = state.archive.items();
    let mut by_kind = BTreeMap::new();
    let mut by_source = BTreeMap::new();
    for i in items {
        *by_kind.entry(i.spec.kind.as_str()).or_insert(0) += 1;
        *by_source.entry(i.spec.source.source()).or_insert(0) += 1;
    }
    let p = &state.archive.population;
    let employees = p.persons.iter().filter(|x| x.employee).count();
    let population = BTreeMap::from([
        ("employees", employees),
        ("external_contacts", p.persons.len() - employees),
        ("groups", p.groups.len()),
        ("tenant_users", state.directory.len()),
        ("valid_mailboxes", state.directory.valid_users().count()),
    ]);
    ScenarioSummary {
        name: state.scenario.name.clone(),
        seed: state.scenario.seed,
        credentials: state.scenario.credentials.clone(),
        counts: Counts {
            items: items.len(),
            by_kind,
            by_source,
            over_limit: items.iter().filter(|i| state.archive.size(i) > crate::generate::SIZE_LIMIT).count(),
        },
        population,
        span: items
            .first()
            .zip(items.last())
            .map(|(a, b)| (crate::archive::format_ms(a.spec.captured_ms), crate::archive::format_ms(b.spec.captured_ms))),
    }
}

async fn scenario(State(state): State<Shared>) -> Response {
    axum::Json(summary(&state)).into_response()
}

/// One imported item in `GET /sim/mailboxes`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ItemView {
    /// ArchiveMessageID, or null.
    pub id: Option<String>,
    /// sha256 of the imported bytes.
    pub sha256: String,
    /// Size of the imported bytes.
    pub size: u64,
}

/// A folder in `GET /sim/mailboxes`.
#[derive(Debug, Clone, Serialize)]
pub struct FolderView {
    /// Name.
    pub name: String,
    /// Items, sorted.
    pub items: Vec<ItemView>,
}

/// A mailbox in `GET /sim/mailboxes`.
#[derive(Debug, Clone, Serialize)]
pub struct MailboxView {
    /// Primary address.
    pub address: String,
    /// Folders sorted by name.
    pub folders: Vec<FolderView>,
}

/// Every valid mailbox, sorted by address; folders by name; items by (id, sha256).
pub fn mailbox_views(state: &crate::server::State) -> Vec<MailboxView> {
    let tenant = state.tenant.lock().expect("tenant lock");
    let mut out: Vec<MailboxView> = tenant
        .mailboxes
        .all()
        .map(|m| {
            let mut folders: Vec<FolderView> = m
                .folders
                .iter()
                .map(|f| {
                    let mut items: Vec<ItemView> =
                        f.messages.iter().map(|x| ItemView { id: x.archive_id.clone(), sha256: x.sha256.clone(), size: x.size }).collect();
                    items.sort();
                    FolderView { name: f.name.clone(), items }
                })
                .collect();
            folders.sort_by(|a, b| a.name.cmp(&b.name));
            MailboxView { address: m.address.clone(), folders }
        })
        .collect();
    out.sort_by_key(|m| m.address.to_ascii_lowercase());
    out
}

async fn mailboxes(State(state): State<Shared>) -> Response {
    axum::Json(json!({ "mailboxes": mailbox_views(&state) })).into_response()
}

async fn imported_raw(State(state): State<Shared>, Path((address, id)): Path<(String, String)>) -> Response {
    let Some(user) = state.directory.lookup(&address) else {
        return ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no valid mailbox {address:?}")).into_response();
    };
    let tenant = state.tenant.lock().expect("tenant lock");
    let found = tenant
        .mailboxes
        .get(&user.id)
        .and_then(|m| m.folders.iter().flat_map(|f| &f.messages).find(|x| x.archive_id.as_deref() == Some(id.as_str())));
    match found {
        Some(m) => match &m.raw {
            Some(raw) => {
                let mut r = raw.clone().into_response();
                r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("message/rfc822"));
                r
            }
            None => ApiError::new(StatusCode::GONE, "not_kept", "this simulator does not keep message bodies").into_response(),
        },
        None => ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no item {id:?} in {address}")).into_response(),
    }
}

async fn journal(State(state): State<Shared>) -> Response {
    let j = state.journal.lock().expect("journal lock");
    axum::Json(json!({ "entries": j.entries() })).into_response()
}

async fn requests(State(state): State<Shared>) -> Response {
    axum::Json(json!({ "requests": state.requests.entries() })).into_response()
}

async fn reset(State(state): State<Shared>) -> Response {
    state.reset();
    axum::Json(json!({ "reset": true })).into_response()
}
