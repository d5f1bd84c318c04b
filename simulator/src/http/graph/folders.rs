//! Mail folders as Graph serves them (<https://learn.microsoft.com/graph/api/user-list-mailfolders>,
//! <https://learn.microsoft.com/graph/api/mailfolder-get>, <https://learn.microsoft.com/graph/api/user-post-mailfolders>):
//! the top-level folders paged 10 at a time (`$top`, `$skip`, `@odata.nextLink`), sorted by name,
//! hidden ones only with `includeHiddenFolders=true`; `$filter` (`filter.rs`: `displayName eq '…'`
//! joined by `or`, names compared ignoring case, as Exchange does), `$orderby` (`order.rs`);
//! `$select`, `$count`; a folder by id or well-known name
//! (`inbox`, `archive`, `msgfolderroot`, …); the root's `childFolders`; creation with 409
//! `ErrorFolderExists`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::odata::{self, Refused};
use super::{base_url, mailbox_user, record, refused, stored_nothing};
use crate::http::error::ApiError;
use crate::observe::journal::Entry;
use crate::state::Shared;
use crate::tenant::mailboxes::FolderView;
use crate::tenant::store::CreateError;
use tm_contract::{Api, Op};

/// The mailFolder properties `$select` takes.
pub const PROPERTIES: [&str; 7] =
    ["id", "displayName", "parentFolderId", "childFolderCount", "unreadItemCount", "totalItemCount", "isHidden"];

/// The query options a folder listing takes (<https://learn.microsoft.com/graph/api/user-list-mailfolders#optional-query-parameters>:
/// "OData query parameters"; `$expand` and `$search` are not offered here).
const LISTING_OPTIONS: [&str; 7] = ["filter", "select", "top", "skip", "count", "orderby", "includeHiddenFolders"];

/// What `$filter` and `$orderby` read of a folder: any property of the mailFolder resource.
const SORTABLE: super::order::Sortable<'static> =
    super::order::Sortable { properties: &PROPERTIES, members: &[], type_name: "microsoft.graph.mailFolder" };

/// Graph's page size for mail folders.
pub const PAGE: usize = 10;

/// Graph's 404 for an item or folder that is not there (its message names no key).
fn not_found(_key: &str) -> Response {
    ApiError::new(StatusCode::NOT_FOUND, "ErrorItemNotFound", "The specified object was not found in the store.").into_response()
}

fn view_json(v: &FolderView, select: Option<&[&'static str]>) -> Value {
    odata::project(serde_json::to_value(v).expect("a folder serialises"), select)
}

/// A listing of folders (`GET mailFolders`, `GET …/childFolders`) with the query options.
fn listing(
    state: &Shared,
    headers: &HeaderMap,
    user_id: &str,
    path: &str,
    folders: Vec<FolderView>,
    query: &[(String, String)],
) -> Response {
    let o = match odata::parse(query, &LISTING_OPTIONS, 1000) {
        Ok(o) => o,
        Err(r) => return refused(r),
    };
    let select = match o.select.as_deref().map(|s| odata::select(s, &PROPERTIES, "microsoft.graph.mailFolder")).transpose() {
        Ok(s) => s,
        Err(r) => return refused(r),
    };
    // `$filter` as Graph reads it (`filter.rs`): `displayName eq 'a' or displayName eq 'b'`
    // (microsoft-graph-docs-contrib #523), `totalItemCount gt 0`, …
    let folders: Vec<FolderView> = match o.filter.as_deref().map(|t| super::filter::parse(t, &SORTABLE)).transpose() {
        Ok(Some(f)) => {
            let views: Vec<(FolderView, Value)> = folders
                .into_iter()
                .map(|x| {
                    let v = view_json(&x, None);
                    (x, v)
                })
                .collect();
            if let Some((_, sample)) = views.first()
                && let Err(r) = f.check_primitive(sample)
            {
                return refused(r);
            }
            views.into_iter().filter(|(_, v)| f.matches(v)).map(|(x, _)| x).collect()
        }
        Ok(None) => folders,
        Err(r) => return refused(r),
    };
    let folders = match sorted(folders, o.orderby.as_deref()) {
        Ok(f) => f,
        Err(r) => return refused(r),
    };
    let total = folders.len();
    let url = format!("{}{path}", base_url(state, headers));
    let (page, next) = odata::page(folders, &o, PAGE, &url, query);
    let mut body = serde_json::Map::new();
    body.insert("@odata.context".into(), format!("{}#users('{user_id}')/mailFolders", super::metadata()).into());
    if o.count {
        body.insert("@odata.count".into(), total.into());
    }
    body.insert("value".into(), page.iter().map(|f| view_json(f, select.as_deref())).collect::<Vec<_>>().into());
    if let Some(n) = next {
        body.insert("@odata.nextLink".into(), n.into());
    }
    axum::Json(Value::Object(body)).into_response()
}

/// Folders in the order `$orderby` asks for (their own order, by name, without one).
fn sorted(folders: Vec<FolderView>, orderby: Option<&str>) -> Result<Vec<FolderView>, Refused> {
    let Some(text) = orderby else { return Ok(folders) };
    let keys = super::order::parse(text, &SORTABLE)?;
    let mut items: Vec<(FolderView, Value)> = folders
        .into_iter()
        .map(|f| {
            let v = view_json(&f, None);
            (f, v)
        })
        .collect();
    super::order::sort(&mut items, &keys);
    Ok(items.into_iter().map(|(f, _)| f).collect())
}

/// A mailbox's top-level folders, 10 a page.
///
/// `GET /users/{user}/mailFolders`.
#[utoipa::path(get, path = "/users/{user}/mailFolders", operation_id = "folders_list", tag = crate::http::openapi::GRAPH, security(("graphToken" = [])),
    params(crate::http::openapi::path::User, crate::http::openapi::query::Listing, ("includeHiddenFolders" = Option<bool>, Query, description = "`true`: hidden folders too")),
    responses((status = 200, description = "A page of the top-level folders", body = crate::http::openapi::graph::MailFolderCollection), crate::http::openapi::GraphErrors))]
pub async fn list(
    State(state): State<Shared>,
    Path(key): Path<String>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let (u, _) = match mailbox_user(&state, &key) {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    let include_hidden = odata::parse(&query, &LISTING_OPTIONS, 1000).is_ok_and(|o| o.include_hidden);
    let folders = state.tenant.contents().mailboxes.get(&u.id).map(|m| m.listed(include_hidden)).unwrap_or_default();
    listing(&state, &headers, &u.id, &format!("/users/{}/mailFolders", u.id), folders, &query)
}

/// A folder by id or well-known name.
///
/// `GET /users/{user}/mailFolders/{folder}` (an id or a well-known name).
#[utoipa::path(get, path = "/users/{user}/mailFolders/{folder}", operation_id = "folders_one", tag = crate::http::openapi::GRAPH, security(("graphToken" = [])),
    params(crate::http::openapi::path::Folder, crate::http::openapi::query::Select),
    responses((status = 200, description = "The folder", body = crate::http::openapi::graph::MailFolder), crate::http::openapi::GraphErrors))]
pub async fn one(
    State(state): State<Shared>,
    Path((key, folder)): Path<(String, String)>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let (u, _) = match mailbox_user(&state, &key) {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    let select = match odata::parse(&query, &["select"], 1)
        .and_then(|o| o.select.map(|s| odata::select(&s, &PROPERTIES, "microsoft.graph.mailFolder")).transpose())
    {
        Ok(s) => s,
        Err(r) => return refused(r),
    };
    let view = {
        let tenant = state.tenant.contents();
        let Some(m) = tenant.mailboxes.get(&u.id) else { return not_found(&folder) };
        if m.is_root(&folder) {
            m.root_view()
        } else {
            match m.folder(&folder) {
                Some(f) => m.view(f),
                None => return not_found(&folder),
            }
        }
    };
    let mut v = view_json(&view, select.as_deref());
    v.as_object_mut()
        .expect("an object")
        .insert("@odata.context".into(), format!("{}#users('{}')/mailFolders/$entity", super::metadata(), u.id).into());
    axum::Json(v).into_response()
}

/// A folder's child folders.
///
/// `GET /users/{user}/mailFolders/{folder}/childFolders`: the root's are the top-level folders;
/// other folders have none here.
#[utoipa::path(get, path = "/users/{user}/mailFolders/{folder}/childFolders", operation_id = "folders_children", tag = crate::http::openapi::GRAPH, security(("graphToken" = [])),
    params(crate::http::openapi::path::Folder, crate::http::openapi::query::Listing, ("includeHiddenFolders" = Option<bool>, Query, description = "`true`: hidden folders too")),
    responses((status = 200, description = "A page of the folder's child folders", body = crate::http::openapi::graph::MailFolderCollection), crate::http::openapi::GraphErrors))]
pub async fn children(
    State(state): State<Shared>,
    Path((key, folder)): Path<(String, String)>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let (u, _) = match mailbox_user(&state, &key) {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    let include_hidden = odata::parse(&query, &LISTING_OPTIONS, 1000).is_ok_and(|o| o.include_hidden);
    let folders = {
        let tenant = state.tenant.contents();
        let Some(m) = tenant.mailboxes.get(&u.id) else { return not_found(&folder) };
        if m.is_root(&folder) {
            m.listed(include_hidden)
        } else if m.folder(&folder).is_some() {
            Vec::new()
        } else {
            return not_found(&folder);
        }
    };
    listing(&state, &headers, &u.id, &format!("/users/{}/mailFolders/{folder}/childFolders", u.id), folders, &query)
}

/// A new folder's body: Graph's `displayName` (a missing one is an empty name, refused as such)
/// and `isHidden`.
#[derive(Deserialize)]
struct NewFolder {
    #[serde(rename = "displayName", default)]
    display_name: String,
    #[serde(rename = "isHidden", default)]
    is_hidden: bool,
}

/// Create a child folder (a top-level one under the root).
///
/// `POST /users/{user}/mailFolders/{folder}/childFolders`: under the root it creates a top-level
/// folder (as `POST mailFolders` does); nested folders are not modelled (a 400 says so).
#[utoipa::path(post, path = "/users/{user}/mailFolders/{folder}/childFolders", operation_id = "folders_create_child", tag = crate::http::openapi::GRAPH, security(("graphToken" = [])),
    params(crate::http::openapi::path::Folder),
    request_body = crate::http::openapi::graph::NewFolder,
    responses((status = 201, description = "The new folder", body = crate::http::openapi::graph::MailFolder), (status = 409, description = "A folder of that name exists (`ErrorFolderExists`; with `[tenant] folder_exists_status = 400` that is a 400)", body = tm_contract::ErrorBody), crate::http::openapi::GraphErrors))]
pub async fn create_child(State(state): State<Shared>, Path((key, folder)): Path<(String, String)>, body: axum::body::Bytes) -> Response {
    // The parent: the root (`Some(Some(true))`), another folder (`Some(Some(false))`), none (`Some(None)`).
    let parent = state.tenant.directory.by_key(&key).and_then(|(u, _)| {
        let tenant = state.tenant.contents();
        tenant.mailboxes.get(&u.id).map(|m| if m.is_root(&folder) { Some(true) } else { m.folder(&folder).map(|_| false) })
    });
    match parent {
        Some(None) => not_found(&folder),
        Some(Some(false)) => {
            ApiError::new(StatusCode::BAD_REQUEST, "ErrorInvalidRequest", "this tenant models top-level folders only").into_response()
        }
        _ => create(State(state), Path(key), body).await,
    }
}

/// Create a top-level folder.
///
/// `POST /users/{user}/mailFolders` `{"displayName"}`: 201 with the folder, 409 (or, with
/// `[tenant] folder_exists_status = 400`, 400) `ErrorFolderExists` when one of that name (any
/// case, hidden ones too, the default folders in the mailbox's language) exists.
#[utoipa::path(post, path = "/users/{user}/mailFolders", operation_id = "folders_create", tag = crate::http::openapi::GRAPH, security(("graphToken" = [])),
    params(crate::http::openapi::path::User),
    request_body = crate::http::openapi::graph::NewFolder,
    responses((status = 201, description = "The new folder", body = crate::http::openapi::graph::MailFolder), (status = 409, description = "A folder of that name exists (`ErrorFolderExists`; with `[tenant] folder_exists_status = 400` that is a 400)", body = tm_contract::ErrorBody), crate::http::openapi::GraphErrors))]
pub async fn create(State(state): State<Shared>, Path(key): Path<String>, body: axum::body::Bytes) -> Response {
    let (u, _) = match mailbox_user(&state, &key) {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    let name = match serde_json::from_slice::<NewFolder>(&body) {
        Ok(f) if f.is_hidden => {
            return ApiError::new(StatusCode::BAD_REQUEST, "ErrorInvalidRequest", "this tenant does not create hidden folders")
                .into_response();
        }
        Ok(f) if !f.display_name.trim().is_empty() => f.display_name,
        Ok(_) => return ApiError::new(StatusCode::BAD_REQUEST, "ErrorInvalidRequest", "displayName must not be empty").into_response(),
        // Graph's answer to a body it cannot read (real bodies: evolution-ews's m365 client, 2024;
        // <https://github.com/microsoftgraph/microsoft-graph-docs/issues/16368>).
        Err(_) => {
            return ApiError::new(StatusCode::BAD_REQUEST, "UnableToDeserializePostBody", "were unable to deserialize ").into_response();
        }
    };
    let request = "POST /graph/v1.0/users/{user}/mailFolders";
    let created = match state.tenant.create_folder(&u.id, &name) {
        Err(CreateError::DataDir(e)) => return stored_nothing(&state, Op::CreateFolder, request, &u.mail, e),
        other => other,
    };
    let (status, code, response) = match created {
        Ok(view) => {
            let mut v = view_json(&view, None);
            v.as_object_mut()
                .expect("an object")
                .insert("@odata.context".into(), format!("{}#users('{}')/mailFolders/$entity", super::metadata(), u.id).into());
            (201, None, (StatusCode::CREATED, axum::Json(v)).into_response())
        }
        Err(_) => {
            // 409 or 400 as the scenario says (docs/contract.md, "Failure modes").
            let status = StatusCode::from_u16(state.world.scenario.failure_modes.folder_exists_status).unwrap_or(StatusCode::CONFLICT);
            let e = ApiError::new(status, "ErrorFolderExists", format!("A folder with the specified name already exists., {name}"));
            (status.as_u16(), Some(e.code), e.into_response())
        }
    };
    let mut entry = Entry::new(Api::Tenant, Op::CreateFolder, request, status).code(code).mailbox(Some(u.mail.clone()));
    entry.folder = Some(name);
    record(&state, entry);
    response
}
