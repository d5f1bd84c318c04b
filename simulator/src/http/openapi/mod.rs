//! The OpenAPI 3.1 description of the simulator's APIs (`GET /openapi.json`): the vendor archive
//! (`/tm/v1`), the Graph subset (`/graph/v1.0`), the identity platform's token endpoint and the
//! control plane (`/sim`).
//!
//! Generated from the handlers: each carries a `#[utoipa::path]` annotation, and each API's
//! routes are registered through `utoipa-axum`'s [`OpenApiRouter`] from the same list that
//! serves them ([`crate::http::vendor::api`], [`crate::http::graph::api`],
//! [`crate::http::identity::api`], [`crate::http::control::api`]), so a route cannot be served
//! without being described, nor described without being served. The schemas of answers that the
//! handlers build as JSON values (Graph's resources, shaped by `$select`) are declared here.

use std::sync::OnceLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityScheme};
use utoipa::openapi::{ContactBuilder, InfoBuilder, LicenseBuilder, OpenApi, OpenApiBuilder, Tag};
use utoipa_axum::router::OpenApiRouter;

use crate::state::Shared;

pub mod control;
pub mod graph;
pub mod identity;
pub mod path;
pub mod query;

/// Tag of the vendor archive's operations.
pub const VENDOR: &str = "vendor";
/// Tag of the Graph subset's operations.
pub const GRAPH: &str = "graph";
/// Tag of the identity platform's operations.
pub const IDENTITY: &str = "identity";
/// Tag of the control plane's operations.
pub const CONTROL: &str = "control";

/// Security scheme of the vendor API: the bearer token `POST /tm/v1/session` answers.
pub const VENDOR_SESSION: &str = "vendorSession";
/// Security scheme of the Graph subset: an access token from the token endpoint (or the
/// scenario's static tenant token).
pub const GRAPH_TOKEN: &str = "graphToken";

/// The whole description, built once.
pub fn document() -> &'static OpenApi {
    static DOCUMENT: OnceLock<OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        OpenApiRouter::<Shared>::with_openapi(base())
            .nest("/tm/v1", crate::http::vendor::api())
            .nest("/graph/v1.0", crate::http::graph::api())
            // `/graph/beta` serves `/graph/v1.0`'s routes too; described once, under v1.0.
            .nest("/graph/beta", crate::http::graph::beta_only())
            .nest("/sim", crate::http::control::api())
            .merge(crate::http::identity::api())
            .into_openapi()
    })
}

/// The description as JSON (pretty, deterministic: paths, properties and tags in declaration order).
pub fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| document().to_pretty_json().expect("the OpenAPI document serialises"))
}

/// `GET /openapi.json`.
pub async fn serve() -> Response {
    let mut r = json().into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

fn base() -> OpenApi {
    let info = InfoBuilder::new()
        .title("tm-simulator")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "A simulated TeleMessage-style WeChat/WeCom archive (`/tm/v1`) and a simulated Microsoft 365 tenant \
             shaped as Microsoft Graph v1.0 (`/graph/v1.0`, with its identity platform's client-credentials token \
             endpoint; `/graph/beta` serves the same routes, described once under `/graph/v1.0`, plus beta's \
             `importMime`), plus the simulator's control plane (`/sim`). Servers: the simulator's own address.",
        ))
        .license(Some(LicenseBuilder::new().name("MIT OR Apache-2.0").build()))
        .contact(Some(ContactBuilder::new().name(Some("tm-archiver-kit")).build()))
        .build();
    let mut components = utoipa::openapi::Components::new();
    components.add_security_scheme(
        VENDOR_SESSION,
        SecurityScheme::Http(
            HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("The token `POST /tm/v1/session` answers.")).build(),
        ),
    );
    components.add_security_scheme(
        GRAPH_TOKEN,
        SecurityScheme::OAuth2(OAuth2::with_description(
            [Flow::ClientCredentials(utoipa::openapi::security::ClientCredentials::new(
                "/{tenant}/oauth2/v2.0/token",
                Scopes::from_iter([(crate::http::identity::GRAPH_SCOPE, "Microsoft Graph, as the app's roles allow")]),
            ))],
            "An access token from the token endpoint (client credentials), sent as `Authorization: Bearer`; \
             the scenario's static tenant token is accepted too.",
        )),
    );
    let tag = |name: &str, description: &str| {
        let mut t = Tag::new(name);
        t.description = Some(description.to_string());
        t
    };
    OpenApiBuilder::new()
        .info(info)
        .components(Some(components))
        .tags(Some([
            tag(VENDOR, "The vendor archive: log in, list a time window, download items (`TM_URL`)."),
            tag(GRAPH, "The tenant, as Microsoft Graph v1.0 answers (`GRAPH_URL`)."),
            tag(IDENTITY, "The identity platform (`GRAPH_AUTHORITY`): client-credentials tokens."),
            tag(CONTROL, "The simulator's control plane, for tests and people (no authentication; loopback)."),
        ]))
        .build()
}

/// What every Graph operation may answer besides its success, with Graph's error body
/// (`innerError` with the request's ids).
#[allow(dead_code)] // a description only: the handlers answer `ApiError`s
#[derive(utoipa::IntoResponses)]
pub enum GraphErrors {
    /// A query option, path or body this tenant refuses (`BadRequest`, `ErrorInvalidUrlQueryFilter`,
    /// …; `ErrorFolderExists` with `[tenant] folder_exists_status = 400`).
    #[response(status = 400)]
    BadRequest(tm_contract::ErrorBody),
    /// No token, or an invalid or expired one (`InvalidAuthenticationToken`, with `WWW-Authenticate`).
    #[response(status = 401)]
    Unauthorized(tm_contract::ErrorBody),
    /// The token holds none of the endpoint's application permissions (`ErrorAccessDenied`,
    /// `Authorization_RequestDenied`), or the mailbox is outside the app's scope (`ErrorAccessDenied`).
    #[response(status = 403)]
    Forbidden(tm_contract::ErrorBody),
    /// No such user (`ErrorInvalidUser`, `Request_ResourceNotFound`), mailbox
    /// (`MailboxNotEnabledForRESTAPI`), folder or message (`ErrorItemNotFound`).
    #[response(status = 404)]
    NotFound(tm_contract::ErrorBody),
    /// Throttled (`ApplicationThrottled` over the mailbox's concurrency or rate limits, or a
    /// scripted `TooManyRequests`), with `Retry-After`.
    #[response(status = 429)]
    TooManyRequests(tm_contract::ErrorBody),
    /// A scripted fault, or a data directory that refused a write (`InternalServerError`).
    #[response(status = 500)]
    InternalServerError(tm_contract::ErrorBody),
    /// A scripted fault (`ServiceUnavailable`), with `Retry-After`.
    #[response(status = 503)]
    ServiceUnavailable(tm_contract::ErrorBody),
}

/// What an import may answer besides Graph's common errors: a full mailbox, and a write that
/// landed answered with a 5xx (docs/contract.md, "Failure modes").
#[allow(dead_code)] // a description only: the handlers answer `ApiError`s
#[derive(utoipa::IntoResponses)]
pub enum ImportFailures {
    /// The mailbox is full (`ErrorQuotaExceeded`, the default status).
    #[response(status = 403)]
    QuotaExceeded(tm_contract::ErrorBody),
    /// The mailbox is full (`QuotaExceededException`, with `[tenant] quota_exceeded_status = 507`).
    #[response(status = 507)]
    InsufficientStorage(tm_contract::ErrorBody),
    /// A scripted `store_then_status` fault: the message was stored, the answer is a 504.
    #[response(status = 504)]
    GatewayTimeout(tm_contract::ErrorBody),
}

/// What every vendor operation may answer when the scenario scripts a fault (`status` faults).
#[allow(dead_code)] // a description only: the handlers answer `ApiError`s
#[derive(utoipa::IntoResponses)]
pub enum VendorFaults {
    /// A scripted fault (`rate_limited`), with `Retry-After`.
    #[response(status = 429)]
    TooManyRequests(tm_contract::ErrorBody),
    /// A scripted fault (`internal_error`).
    #[response(status = 500)]
    InternalServerError(tm_contract::ErrorBody),
    /// A scripted fault (`unavailable`), with `Retry-After`.
    #[response(status = 503)]
    ServiceUnavailable(tm_contract::ErrorBody),
}
