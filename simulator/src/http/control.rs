//! `/sim`: the control plane for tests and people (no auth; loopback only).

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::error::ApiError;
use crate::state::Shared;
use crate::tenant::views::{MailboxView, mailbox_views};

/// Routes under `/sim`, with their OpenAPI description.
pub fn api() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(scenario))
        .routes(routes!(mailboxes))
        .routes(routes!(imported_raw))
        .routes(routes!(export))
        .routes(routes!(journal))
        .routes(routes!(requests))
        .routes(routes!(reset))
        .routes(routes!(stats))
        .routes(routes!(crate::http::clock::clock, crate::http::clock::set_clock))
}

/// Routes under `/sim`.
pub fn router() -> Router<Shared> {
    api().split_for_parts().0
}

/// What `GET /sim/stats` reports: what the tenant and the logs hold, and so the memory a long
/// `serve` uses beyond the archive (metadata per delivery, kept bytes, bounded logs).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StoreStats {
    /// Messages in all mailboxes.
    pub deliveries: u64,
    /// Of them, references to archive items (no bytes kept).
    pub archive_references: u64,
    /// Distinct kept contents (bytes that are no archive item), in memory or in the data directory.
    pub kept_contents: u64,
    /// Their bytes held in memory (0 with a data directory: they are in its database).
    pub kept_bytes_in_memory: u64,
    /// The journal: entries in memory, ever written, dropped from memory, the bound.
    pub journal: LogStats,
    /// The access log, likewise.
    pub requests: LogStats,
    /// The data directory, if any.
    pub data_dir: Option<String>,
}

/// A bounded log's counts.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct LogStats {
    /// Entries in memory.
    pub kept: u64,
    /// Entries ever written.
    pub total: u64,
    /// Entries no longer in memory.
    pub dropped: u64,
    /// Entries kept at most.
    pub capacity: usize,
}

/// The counts of a simulator's tenant and logs.
pub fn store_stats(state: &crate::state::State) -> StoreStats {
    let (deliveries, archive_references, kept_contents, kept_bytes_in_memory) = {
        let t = state.tenant.contents();
        let messages = || t.mailboxes.all().flat_map(|m| &m.folders).flat_map(|f| &f.messages);
        let refs = messages().filter(|m| matches!(m.content, crate::tenant::mailboxes::Content::Archive(_))).count() as u64;
        let distinct: std::collections::BTreeSet<_> =
            messages().filter(|m| m.content == crate::tenant::mailboxes::Content::Blob).map(|m| m.sha256).collect();
        (t.mailboxes.deliveries(), refs, distinct.len() as u64, t.blobs.bytes())
    };
    let journal = {
        let j = state.journal.lock().expect("journal lock");
        LogStats { kept: j.total() - j.dropped(), total: j.total(), dropped: j.dropped(), capacity: j.capacity() }
    };
    let total = state.requests.total();
    let dropped = state.requests.dropped();
    StoreStats {
        deliveries,
        archive_references,
        kept_contents,
        kept_bytes_in_memory,
        journal,
        requests: LogStats { kept: total - dropped, total, dropped, capacity: state.requests.capacity() },
        data_dir: state.tenant.data_dir().as_ref().map(|d| d.path().display().to_string()),
    }
}

/// What the tenant and the logs hold: the memory a long `serve` uses beyond the archive.
#[utoipa::path(get, path = "/stats", operation_id = "sim_stats", tag = crate::http::openapi::CONTROL, responses((status = 200, description = "The counts", body = StoreStats)))]
async fn stats(State(state): State<Shared>) -> Response {
    axum::Json(store_stats(&state)).into_response()
}

/// What `GET /sim/scenario` reports.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScenarioSummary {
    /// Scenario name.
    pub name: String,
    /// Seed.
    pub seed: u64,
    /// Both services' credentials.
    pub credentials: crate::world::scenario::Credentials,
    /// Item counts.
    pub counts: Counts,
    /// People and groups.
    pub population: BTreeMap<&'static str, usize>,
    /// First and last capture time.
    #[schema(value_type = Option<Vec<String>>)]
    pub span: Option<(String, String)>,
    /// Where the identity platform is, once the simulator listens.
    pub identity: Option<Identity>,
    /// Live mode (`serve --live`): how many items have arrived so far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<Live>,
}

/// Live mode's progress, as `/sim/scenario` shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Live {
    /// The scenario's start after anchoring (its last day of traffic is the day of `serve`).
    pub start: String,
    /// The simulator's clock.
    pub now: String,
    /// Items captured up to now (listed and served); the rest arrive as the clock passes them.
    pub arrived: usize,
}

/// The identity platform of a listening simulator, as `/sim/scenario` shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Identity {
    /// The authority (`GRAPH_AUTHORITY`): the simulator's base URL.
    pub authority: String,
    /// The token endpoint.
    pub token_endpoint: String,
    /// With `--tls`: the CA's PEM file (for `SSL_CERT_FILE`, `REQUESTS_CA_BUNDLE`, `NODE_EXTRA_CA_CERTS`).
    pub ca_file: Option<String>,
}

/// Item counts by kind and source.
#[derive(Debug, Clone, Serialize, ToSchema)]
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
pub fn summary(state: &crate::state::State) -> ScenarioSummary {
    state.world.archive.size_all();
    let items = state.world.archive.items();
    let mut by_kind = BTreeMap::new();
    let mut by_source = BTreeMap::new();
    for i in items {
        *by_kind.entry(i.spec.kind.as_str()).or_insert(0) += 1;
        *by_source.entry(i.spec.source.as_str()).or_insert(0) += 1;
    }
    let p = &state.world.archive.population;
    let employees = p.persons.iter().filter(|x| x.employee).count();
    let population = BTreeMap::from([
        ("employees", employees),
        ("external_contacts", p.persons.len() - employees),
        ("groups", p.groups.len()),
        ("tenant_users", state.tenant.directory.len()),
        ("valid_mailboxes", state.tenant.directory.valid_users().count()),
    ]);
    ScenarioSummary {
        name: state.world.scenario.name.clone(),
        seed: state.world.scenario.seed,
        credentials: state.world.scenario.credentials.clone(),
        counts: Counts {
            items: items.len(),
            by_kind,
            by_source,
            over_limit: items.iter().filter(|i| state.world.archive.size(i) > crate::world::generate::MAX_ITEM_BYTES).count(),
        },
        population,
        span: items
            .first()
            .zip(items.last())
            .map(|(a, b)| (crate::world::archive::format_ms(a.spec.captured_ms), crate::world::archive::format_ms(b.spec.captured_ms))),
        identity: state.public.get().map(|p| Identity {
            authority: p.base.clone(),
            token_endpoint: format!("{}/{}/oauth2/v2.0/token", p.base, state.world.scenario.credentials.tenant_id),
            ca_file: p.ca_file.as_ref().map(|f| f.display().to_string()),
        }),
        live: state.arrived_until_ms().map(|now| Live {
            start: crate::world::archive::format_ms(state.world.scenario.start.timestamp_millis()),
            now: crate::world::archive::format_ms(now),
            arrived: state.arrived_items().count(),
        }),
    }
}

/// The scenario: name, seed, credentials, item counts, population, span, identity platform, live progress.
#[utoipa::path(get, path = "/scenario", operation_id = "sim_scenario", tag = crate::http::openapi::CONTROL, responses((status = 200, description = "The summary", body = ScenarioSummary)))]
async fn scenario(State(state): State<Shared>) -> Response {
    axum::Json(summary(&state)).into_response()
}

/// Every mailbox with its folders and the items imported into them.
#[utoipa::path(get, path = "/mailboxes", operation_id = "sim_mailboxes", tag = crate::http::openapi::CONTROL, responses((status = 200, description = "The mailboxes", body = Mailboxes)))]
async fn mailboxes(State(state): State<Shared>) -> Response {
    // Serialised straight from the views (a `serde_json::Value` of 150,000 deliveries is ~100 MB).
    axum::Json(Mailboxes { mailboxes: mailbox_views(&state.tenant, &state.world.archive) }).into_response()
}

/// `GET /sim/mailboxes`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Mailboxes {
    /// Every mailbox, sorted by address.
    pub mailboxes: Vec<MailboxView>,
}

/// `GET /sim/journal`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Journal {
    /// Entries after `?after=`, in order.
    pub entries: Vec<crate::observe::journal::Entry>,
    /// Entries ever written.
    pub total: u64,
    /// Entries no longer in memory.
    pub dropped: u64,
}

/// `GET /sim/requests`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Requests {
    /// Requests after `?after=`, in arrival order.
    pub requests: Vec<crate::observe::access_log::Logged>,
    /// Requests no longer kept.
    pub dropped: u64,
    /// Requests ever logged.
    pub total: u64,
}

/// `POST /sim/reset`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reset {
    /// True.
    pub reset: bool,
}

/// The bytes imported into a mailbox for an archive item.
#[utoipa::path(get, path = "/mailboxes/{address}/items/{id}/raw", operation_id = "sim_imported_raw", tag = crate::http::openapi::CONTROL,
    params(("address" = String, Path, description = "A mailbox's address (any of the user's addresses, any case)"), ("id" = String, Path, description = "The item's ArchiveMessageID")),
    responses(
        (status = 200, description = "The imported bytes", content_type = "message/rfc822", body = crate::http::openapi::control::RawMessage),
        (status = 404, description = "No such mailbox, or no such item in it (`not_found`)", body = tm_contract::ErrorBody),
        (status = 410, description = "Bodies are not kept (`not_kept`)", body = tm_contract::ErrorBody),
        (status = 500, description = "The data directory failed (`data_dir`)", body = tm_contract::ErrorBody),
    ))]
async fn imported_raw(State(state): State<Shared>, Path((address, id)): Path<(String, String)>) -> Response {
    let Some(user) = state.tenant.directory.lookup(&address) else {
        return ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no valid mailbox {address:?}")).into_response();
    };
    let found = state.tenant.contents().mailboxes.find_archive_id(&user.id, &id, &state.world.archive).cloned();
    let Some(message) = found else {
        return ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no item {id:?} in {address}")).into_response();
    };
    let mut r = match state.message_bytes(&message) {
        Ok(Some(crate::tenant::store::MessageBytes::Kept(raw))) => raw.into_response(),
        Ok(Some(crate::tenant::store::MessageBytes::Rendered(r))) => {
            let len = r.size();
            let mut resp =
                axum::body::Body::from_stream(futures_util::stream::iter(r.chunks().map(Ok::<_, std::io::Error>))).into_response();
            resp.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            resp
        }
        Ok(None) => return ApiError::new(StatusCode::GONE, "not_kept", "this simulator does not keep message bodies").into_response(),
        Err(e) => return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "data_dir", e.to_string()).into_response(),
    };
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("message/rfc822"));
    r
}

/// A control-plane query string: each option at most once, else the control plane's 400 (JSON,
/// like every other refusal here; axum's own `Query` rejection is plain text).
struct Options(Vec<(String, String)>);

impl Options {
    fn one(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut given = self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
        match (given.next(), given.next()) {
            (v, None) => Ok(v),
            _ => Err(bad_request(format!("query parameter {name} is given more than once"))),
        }
    }

    /// `?after=SEQ` as a number (`None` without it).
    fn after(&self) -> Result<Option<u64>, ApiError> {
        self.one("after")?
            .map(|a| {
                // An int64 as the description says (a sequence number never comes near it).
                a.parse::<i64>()
                    .ok()
                    .and_then(|n| u64::try_from(n).ok())
                    .ok_or_else(|| bad_request(format!("query parameter after: {a:?} is not a whole number from 0 to 2^63-1")))
            })
            .transpose()
    }
}

fn bad_request(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
}

/// The journal: imports, folder creations, refusals, failed vendor calls.
///
/// The journal's entries after `?after=SEQ` (all kept ones without it), with the counts; with a
/// data directory, entries no longer in memory are read from it (at most 50,000 at a time:
/// ask again after the last one).
#[utoipa::path(get, path = "/journal", operation_id = "sim_journal", tag = crate::http::openapi::CONTROL,
    params(("after" = Option<i64>, Query, minimum = 0, description = "Only entries with a greater `seq`")),
    responses(
        (status = 200, description = "The entries", body = Journal),
        (status = 400, description = "`after` is not a whole number (`bad_request`)", body = tm_contract::ErrorBody),
        (status = 500, description = "The data directory failed (`data_dir`)", body = tm_contract::ErrorBody),
    ))]
async fn journal(State(state): State<Shared>, axum::extract::Query(q): axum::extract::Query<Vec<(String, String)>>) -> Response {
    let after = match Options(q).after() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let from_disk_asked = after.is_some();
    let after = after.unwrap_or(0);
    let (first, total, dropped) = {
        let j = state.journal.lock().expect("journal lock");
        (j.first_seq(), j.total(), j.dropped())
    };
    let from_disk = from_disk_asked && first.is_none_or(|f| after + 1 < f) && after < total;
    let entries: Vec<crate::observe::journal::Entry> = match (&state.tenant.data_dir(), from_disk) {
        (Some(d), true) => match d.journal_after(after, crate::observe::journal::DEFAULT_CAPACITY) {
            Ok(v) => v,
            Err(e) => return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "data_dir", e.to_string()).into_response(),
        },
        _ => state.journal.lock().expect("journal lock").after(after).cloned().collect(),
    };
    axum::Json(Journal { entries, total, dropped }).into_response()
}

/// The access log: every vendor and tenant request, timed.
///
/// The access log's kept requests, or with `?after=SEQ` those with a greater `seq` (a request
/// still in flight has status 0: ask again from before it).
#[utoipa::path(get, path = "/requests", operation_id = "sim_requests", tag = crate::http::openapi::CONTROL,
    params(("after" = Option<i64>, Query, minimum = 0, description = "Only requests with a greater `seq`")),
    responses(
        (status = 200, description = "The requests", body = Requests),
        (status = 400, description = "`after` is not a whole number (`bad_request`)", body = tm_contract::ErrorBody),
    ))]
async fn requests(State(state): State<Shared>, axum::extract::Query(q): axum::extract::Query<Vec<(String, String)>>) -> Response {
    let after = match Options(q).after() {
        Ok(a) => a.unwrap_or(0),
        Err(e) => return e.into_response(),
    };
    let dropped = state.requests.dropped();
    let entries = state.requests.entries_after(after);
    axum::Json(Requests { requests: entries, dropped, total: state.requests.total() }).into_response()
}

/// Empties the tenant, the journal and the access log, and re-arms the scenario's faults.
#[utoipa::path(post, path = "/reset", operation_id = "sim_reset", tag = crate::http::openapi::CONTROL,
    responses(
        (status = 200, description = "Reset", body = Reset),
        (status = 500, description = "The data directory failed (`data_dir`)", body = tm_contract::ErrorBody),
    ))]
async fn reset(State(state): State<Shared>) -> Response {
    match state.reset() {
        Ok(()) => axum::Json(Reset { reset: true }).into_response(),
        Err(e) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "data_dir", e.to_string()).into_response(),
    }
}

/// Sends what a blocking writer writes, in the order written, to an HTTP body.
struct ChannelWriter(tokio::sync::mpsc::Sender<std::io::Result<bytes::Bytes>>);

impl std::io::Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(bytes::Bytes::copy_from_slice(buf)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A mailbox or one folder as an mbox or a Maildir tarball.
///
/// `GET /sim/mailboxes/{address}/export?format=mbox|maildir&folder=NAME`: the mailbox (or one
/// folder) for a mail reader, streamed (see `export`).
#[utoipa::path(get, path = "/mailboxes/{address}/export", operation_id = "sim_export", tag = crate::http::openapi::CONTROL,
    params(("address" = String, Path, description = "A mailbox's address (any of the user's addresses, any case)"),
        ("format" = inline(Option<crate::http::openapi::control::ExportFormat>), Query, description = "`mbox` (mboxrd, the default) or `maildir` (a Maildir++ tarball)"),
        ("folder" = Option<String>, Query, description = "Only this folder (by name)")),
    responses(
        (status = 200, description = "The export, streamed", content((crate::http::openapi::control::Export = "application/mbox"), (crate::http::openapi::control::Export = "application/x-tar"))),
        (status = 400, description = "An unknown format (`bad_request`)", body = tm_contract::ErrorBody),
        (status = 404, description = "No such mailbox or folder (`not_found`)", body = tm_contract::ErrorBody),
        (status = 410, description = "Bodies are not kept (`not_kept`)", body = tm_contract::ErrorBody),
        (status = 500, description = "The export failed (`export`)", body = tm_contract::ErrorBody),
    ))]
async fn export(
    State(state): State<Shared>,
    Path(address): Path<String>,
    axum::extract::Query(q): axum::extract::Query<Vec<(String, String)>>,
) -> Response {
    use crate::tenant::export::{ExportError, Format};
    let q = Options(q);
    let (format, folder) = match (q.one("format"), q.one("folder")) {
        (Ok(format), Ok(folder)) => (format, folder),
        (Err(e), _) | (_, Err(e)) => return e.into_response(),
    };
    let format: Format = match format.unwrap_or("mbox").parse() {
        Ok(f) => f,
        Err(e) => return ApiError::new(StatusCode::BAD_REQUEST, "bad_request", format!("query parameter format: {e}")).into_response(),
    };
    let selection = match crate::tenant::export::select(
        &crate::tenant::export::Source { tenant: &state.tenant, world: &state.world },
        &address,
        folder,
    ) {
        Ok(s) => s,
        Err(e @ (ExportError::NoMailbox(_) | ExportError::NoFolder { .. })) => {
            return ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string()).into_response();
        }
        Err(e) => return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "export", e.to_string()).into_response(),
    };
    if selection.folders.iter().flat_map(|f| &f.2).any(|m| m.content == crate::tenant::mailboxes::Content::Dropped) {
        return ApiError::new(StatusCode::GONE, "not_kept", "this simulator does not keep message bodies (--no-keep-bodies)")
            .into_response();
    }
    let file_name = format.file_name(&selection.address, selection.single.then(|| selection.folders[0].0.as_str()));
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<bytes::Bytes>>(8);
    tokio::task::spawn_blocking(move || {
        let out = std::io::BufWriter::with_capacity(64 * 1024, ChannelWriter(tx.clone()));
        if let Err(e) = crate::tenant::export::write(
            &crate::tenant::export::Source { tenant: &state.tenant, world: &state.world },
            &selection,
            format,
            out,
        ) {
            tracing::warn!(error = %e, "export cut short");
            let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) });
    let mut r = axum::body::Body::from_stream(body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}
