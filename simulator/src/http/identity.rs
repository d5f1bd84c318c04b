//! The identity platform's side of the tenant: an OAuth 2.0 client-credentials token endpoint
//! shaped like Microsoft's (<https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow>)
//! and the tenant's OpenID configuration that MSAL and azure-identity read first
//! (<https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc#find-your-apps-openid-configuration-document-uri>),
//! plus the check of a bearer token on every Graph request.
//!
//! Access tokens look like Entra's (a JWT: `aud`, `iss`, `tid`, `appid`, `roles`, `exp`), signed
//! with HMAC-SHA256 under a key derived from the scenario (clients never verify them; the tenant
//! does). Refused token requests are journalled (op `token`), granted ones are not. A token is
//! refused from its `exp` on: 401 `InvalidAuthenticationToken` with Graph's
//! `WWW-Authenticate` header. The static token of contract v1 is accepted too.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::http::error::ApiError;
use crate::observe::journal::Entry;
use crate::state::Shared;
use crate::world::faults::{ActionKind, Api, Op, Request as FaultRequest};

/// The scope a client-credentials request for Graph names.
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// Why a bearer token is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Graph's code (`InvalidAuthenticationToken`).
    pub code: &'static str,
    /// Graph's message.
    pub message: &'static str,
}

/// Routes of the identity platform, at the simulator's root (the authority is its base URL),
/// with their OpenAPI description.
pub fn api() -> utoipa_axum::router::OpenApiRouter<Shared> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(token))
        .routes(utoipa_axum::routes!(openid_configuration))
        .routes(utoipa_axum::routes!(keys))
}

/// Routes of the identity platform.
pub fn router() -> axum::Router<Shared> {
    api().split_for_parts().0
}

const TENANT: &str = "The directory (tenant) id (`GRAPH_TENANT_ID`)";

/// The signing keys: none (tokens are checked by the tenant, never by clients).
#[utoipa::path(get, path = "/{tenant}/discovery/v2.0/keys", operation_id = "identity_keys", tag = crate::http::openapi::IDENTITY,
    params(("tenant" = String, Path, description = TENANT)),
    responses((status = 200, description = "An empty key set", body = crate::http::openapi::identity::Keys)))]
async fn keys() -> Response {
    axum::Json(crate::http::openapi::identity::Keys { keys: Vec::new() }).into_response()
}

fn key(state: &Shared) -> Vec<u8> {
    let c = &state.world.scenario.credentials;
    Sha256::digest(format!("tm-simulator token key/{}/{}/{}", state.world.scenario.seed, c.client_id, c.client_secret)).to_vec()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// An access token for the scenario's app, valid at least `lifetime` seconds from `issued_ms`
/// (Unix time, milliseconds: `exp` is rounded up to the second, so a client that counts from
/// the answer never holds an expired token early).
pub fn issue(state: &Shared, issued_ms: i64, lifetime: u64) -> String {
    let issued = issued_ms.div_euclid(1000);
    let exp = (issued_ms + lifetime as i64 * 1000 + 999).div_euclid(1000);
    let c = &state.world.scenario.credentials;
    let header = json!({ "typ": "JWT", "alg": "HS256", "kid": "tm-simulator" });
    let n = state.tenant_requests.load(std::sync::atomic::Ordering::Relaxed);
    let claims = json!({
        "aud": "https://graph.microsoft.com",
        "iss": format!("https://sts.windows.net/{}/", c.tenant_id),
        "iat": issued,
        "nbf": issued,
        "exp": exp,
        "appid": c.client_id,
        "idtyp": "app",
        "roles": state.world.scenario.app.permissions,
        "tid": c.tenant_id,
        "uti": crate::http::graph::request_id(state.world.scenario.seed, n),
        "ver": "1.0",
    });
    let signing_input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let mut mac = Hmac::<Sha256>::new_from_slice(&key(state)).expect("HMAC takes any key");
    mac.update(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// Checks an `Authorization` header value: the static token, or a token this tenant issued and
/// not yet expired. Answers the token's `roles` (the static token is the scenario's app too: it
/// holds the permissions granted, `[tenant] app_permissions`).
pub fn check_bearer(state: &Shared, authorization: &str) -> Result<Vec<String>, Refusal> {
    let invalid = Refusal { code: "InvalidAuthenticationToken", message: "Access token validation failure. Invalid audience." };
    let Some(token) = authorization.strip_prefix("Bearer ").or_else(|| authorization.strip_prefix("bearer ")).map(str::trim) else {
        return Err(Refusal { code: "InvalidAuthenticationToken", message: "Access token is empty." });
    };
    let expected = state.world.scenario.credentials.tenant_token.as_bytes();
    // Compared in constant time: the static token is a secret.
    if token.len() == expected.len() && token.bytes().zip(expected).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0 {
        return Ok(state.world.scenario.app.permissions.clone());
    }
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(sig), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(Refusal { code: "InvalidAuthenticationToken", message: "IDX14100: JWT is not well formed, there are no dots (.)." });
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(&key(state)).expect("HMAC takes any key");
    mac.update(format!("{h}.{c}").as_bytes());
    let Ok(sig) = URL_SAFE_NO_PAD.decode(sig) else { return Err(invalid) };
    if mac.verify_slice(&sig).is_err() {
        return Err(Refusal { code: "InvalidAuthenticationToken", message: "Access token validation failure." });
    }
    let claims: serde_json::Value = URL_SAFE_NO_PAD.decode(c).ok().and_then(|b| serde_json::from_slice(&b).ok()).ok_or(invalid.clone())?;
    let exp = claims["exp"].as_i64().ok_or(invalid.clone())?;
    if now() >= exp {
        return Err(Refusal { code: "InvalidAuthenticationToken", message: "Lifetime validation failed, the token is expired." });
    }
    let roles = claims["roles"].as_array().map(|r| r.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect());
    Ok(roles.unwrap_or_default())
}

/// Graph's 401: the error body and `WWW-Authenticate`, as Graph sends it.
pub fn unauthorized(r: Refusal) -> Response {
    let mut resp = ApiError::new(StatusCode::UNAUTHORIZED, r.code, r.message).into_response();
    let challenge = format!(
        "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"{}",
        if r.message.contains("expired") { ", error=\"invalid_token\", error_description=\"The access token has expired\"" } else { "" }
    );
    resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_str(&challenge).expect("an ASCII header"));
    resp
}

/// The authority's base URL as the client reached it.
fn authority(state: &Shared, headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    format!("{}://{host}", state.scheme())
}

/// An identity-platform error: `error`, `error_description` with its AADSTS code, `error_codes`.
fn aad_error(state: &Shared, status: StatusCode, error: &str, code: u32, description: String) -> Response {
    let n = state.tenant_requests.load(std::sync::atomic::Ordering::Relaxed);
    let trace = crate::http::graph::request_id(state.world.scenario.seed, n);
    let timestamp = chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
    let body = crate::http::openapi::identity::AadError {
        error: error.to_string(),
        error_description: format!("AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {trace} Timestamp: {timestamp}"),
        error_codes: vec![u64::from(code)],
        timestamp,
        trace_id: trace.clone(),
        correlation_id: trace,
        error_uri: format!("https://login.microsoftonline.com/error?code={code}"),
    };
    (status, axum::Json(body)).into_response()
}

/// An access token for Graph (client credentials).
///
/// `POST /{tenant}/oauth2/v2.0/token`: the client-credentials grant, the secret in the form
/// (`client_secret_post`) or in `Authorization: Basic` (`client_secret_basic`).
#[utoipa::path(post, path = "/{tenant}/oauth2/v2.0/token", operation_id = "identity_token", tag = crate::http::openapi::IDENTITY,
    params(("tenant" = String, Path, description = TENANT)),
    request_body(content = crate::http::openapi::identity::TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "An access token", body = crate::http::openapi::identity::TokenResponse),
        (status = 400, description = "A bad request, unknown tenant or client, or wrong scope (AADSTS codes)", body = crate::http::openapi::identity::AadError),
        (status = 401, description = "No or a wrong client secret (`invalid_client`)", body = crate::http::openapi::identity::AadError),
        (status = 429, description = "A scripted fault, with `Retry-After`", body = tm_contract::ErrorBody),
        (status = 500, description = "A scripted fault", body = tm_contract::ErrorBody),
        (status = 503, description = "A scripted fault, with `Retry-After`", body = tm_contract::ErrorBody),
    ))]
async fn token(State(state): State<Shared>, Path(tenant): Path<String>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    // Read as a form whatever the Content-Type says, as Entra does: a body without its fields is
    // refused for the missing field (AADSTS900144), not for its media type.
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(a, b)| (a.to_string(), b.to_string())));
    let c = &state.world.scenario.credentials;
    let journal = |status: u16, code: Option<&str>| {
        let entry = Entry::new(Api::Tenant, Op::Token, format!("POST /{tenant}/oauth2/v2.0/token"), status).code(code);
        state.journal.lock().expect("journal lock").push(entry);
    };
    if let Some(rule) = state.faults.decide(FaultRequest { api: Api::Tenant, op: Op::Token, item: None, mailbox: None })
        && rule.action == ActionKind::Status
    {
        let e = crate::http::fault_answer::fault_error(&rule, true);
        journal(e.status.as_u16(), Some(e.code));
        return e.into_response();
    }
    if let Err(r) = check_client(&tenant, &field, basic, c) {
        journal(r.status.as_u16(), Some(r.error));
        return aad_error(&state, r.status, r.error, r.code, r.description);
    }
    let lifetime = state.world.scenario.limits.token_lifetime_seconds;
    let access_token = issue(&state, chrono::Utc::now().timestamp_millis(), lifetime);
    let granted = crate::http::openapi::identity::TokenResponse {
        token_type: "Bearer".into(),
        expires_in: lifetime,
        ext_expires_in: lifetime,
        access_token,
    };
    axum::Json(granted).into_response()
}

/// An identity-platform refusal: status, `error`, the AADSTS number and its description.
struct AadRefusal {
    status: StatusCode,
    error: &'static str,
    code: u32,
    description: String,
}

impl AadRefusal {
    fn new(status: StatusCode, error: &'static str, code: u32, description: String) -> AadRefusal {
        AadRefusal { status, error, code, description }
    }
}

/// The client-credentials request checked as Entra checks it: the tenant, the grant, the client
/// (by form fields or HTTP Basic), its secret (compared in constant time) and the scope.
fn check_client(
    tenant: &str,
    field: &dyn Fn(&str) -> Option<String>,
    basic: Option<(String, String)>,
    c: &crate::world::scenario::Credentials,
) -> Result<(), AadRefusal> {
    if !tenant.eq_ignore_ascii_case(&c.tenant_id) {
        let d = format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
        );
        return Err(AadRefusal::new(StatusCode::BAD_REQUEST, "invalid_request", 90002, d));
    }
    let Some(grant) = field("grant_type") else {
        return Err(AadRefusal::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.".into(),
        ));
    };
    if grant != "client_credentials" {
        // The identity platform's error-code table: "AADSTS70003 UnsupportedGrantType - The app
        // returned an unsupported grant type" (<https://learn.microsoft.com/entra/identity-platform/reference-error-codes>).
        let d = format!("The app requested an unsupported grant type '{grant}'.");
        return Err(AadRefusal::new(StatusCode::BAD_REQUEST, "unsupported_grant_type", 70003, d));
    }
    let (client_id, secret) = match (field("client_id"), field("client_secret"), basic) {
        (Some(id), Some(s), _) => (id, Some(s)),
        (_, _, Some((id, s))) => (id, Some(s)),
        (Some(id), None, None) => (id, None),
        (None, _, None) => {
            return Err(AadRefusal::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'client_id'.".into(),
            ));
        }
    };
    if client_id != c.client_id {
        let d = format!("Application with identifier '{client_id}' was not found in the directory '{tenant}'.");
        return Err(AadRefusal::new(StatusCode::BAD_REQUEST, "unauthorized_client", 700016, d));
    }
    let Some(secret) = secret else {
        let d = "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.".to_string();
        return Err(AadRefusal::new(StatusCode::UNAUTHORIZED, "invalid_client", 7000218, d));
    };
    let expected = c.client_secret.as_bytes();
    if !(secret.len() == expected.len() && secret.bytes().zip(expected).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0) {
        let d = format!(
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
        );
        return Err(AadRefusal::new(StatusCode::UNAUTHORIZED, "invalid_client", 7000215, d));
    }
    let Some(scope) = field("scope") else {
        return Err(AadRefusal::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.".into(),
        ));
    };
    if !scope.split_whitespace().any(is_graph_default_scope) {
        let d = format!(
            "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
        );
        return Err(AadRefusal::new(StatusCode::BAD_REQUEST, "invalid_scope", 1002012, d));
    }
    Ok(())
}

/// Whether a scope is Graph's `/.default`, in any of the forms the identity platform takes for
/// it: the application ID URI (`https://graph.microsoft.com/.default`, any case, also with the
/// doubled slash the platform accepts) or Graph's application id
/// (`00000003-0000-0000-c000-000000000000/.default`)
/// (<https://learn.microsoft.com/entra/identity-platform/scopes-oidc#the-default-scope>).
fn is_graph_default_scope(scope: &str) -> bool {
    let Some(resource) = scope.strip_suffix("/.default") else { return false };
    let resource = resource.trim_end_matches('/');
    resource.eq_ignore_ascii_case("https://graph.microsoft.com") || resource.eq_ignore_ascii_case(GRAPH_APP_ID)
}

/// Microsoft Graph's application id.
const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// The tenant's OpenID configuration.
///
/// `GET /{tenant}/v2.0/.well-known/openid-configuration`: what MSAL reads before asking for a
/// token (it needs `authorization_endpoint` and `token_endpoint`).
#[utoipa::path(get, path = "/{tenant}/v2.0/.well-known/openid-configuration", operation_id = "identity_openid_configuration", tag = crate::http::openapi::IDENTITY,
    params(("tenant" = String, Path, description = TENANT)),
    responses(
        (status = 200, description = "The configuration", body = crate::http::openapi::identity::OpenIdConfiguration),
        (status = 400, description = "Unknown tenant (`invalid_tenant`)", body = crate::http::openapi::identity::AadError),
    ))]
async fn openid_configuration(State(state): State<Shared>, Path(tenant): Path<String>, headers: HeaderMap) -> Response {
    let c = &state.world.scenario.credentials;
    if !tenant.eq_ignore_ascii_case(&c.tenant_id) {
        let d = format!("Tenant '{tenant}' not found.");
        return aad_error(&state, StatusCode::BAD_REQUEST, "invalid_tenant", 90002, d);
    }
    let a = format!("{}/{}", authority(&state, &headers), c.tenant_id);
    axum::Json(json!({
        "token_endpoint": format!("{a}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{a}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{a}/v2.0"),
        "request_uri_parameter_supported": false,
        "authorization_endpoint": format!("{a}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{a}/oauth2/v2.0/devicecode"),
        "end_session_endpoint": format!("{a}/oauth2/v2.0/logout"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "tid", "ver"],
        "tenant_region_scope": "AS",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> Shared {
        let s = crate::world::scenario::Scenario::from_toml_str("name = \"t\"\nseed = 1\nstart = \"2026-11-20T00:00:00Z\"\n", "t.toml")
            .unwrap();
        std::sync::Arc::new(crate::state::State::build(s, crate::state::Options::default()).unwrap())
    }

    #[test]
    fn graph_default_scope_is_taken_in_the_forms_the_platform_takes() {
        for ok in [
            "https://graph.microsoft.com/.default",
            "HTTPS://Graph.Microsoft.com/.default",
            "https://graph.microsoft.com//.default",
            "00000003-0000-0000-c000-000000000000/.default",
        ] {
            assert!(is_graph_default_scope(ok), "{ok}");
        }
        for bad in ["https://graph.microsoft.com", "https://graph.microsoft.com/Mail.Read", "https://outlook.office.com/.default", ""] {
            assert!(!is_graph_default_scope(bad), "{bad}");
        }
    }

    #[test]
    fn issued_tokens_pass_until_they_expire_and_forgeries_never() {
        let s = state();
        let fresh = issue(&s, now() * 1000, 60);
        let granted: Vec<String> = crate::world::scenario::access::DEFAULT_PERMISSIONS.iter().map(|p| p.to_string()).collect();
        assert_eq!(check_bearer(&s, &format!("Bearer {fresh}")), Ok(granted.clone()), "the token's roles: the permissions granted");
        let old = issue(&s, (now() - 120) * 1000, 60);
        assert!(check_bearer(&s, &format!("Bearer {old}")).unwrap_err().message.contains("expired"));
        let (signed, _) = fresh.rsplit_once('.').unwrap();
        let forged = format!("{signed}.{}", URL_SAFE_NO_PAD.encode([0u8; 32]));
        assert!(check_bearer(&s, &format!("Bearer {forged}")).is_err());
        assert_eq!(check_bearer(&s, "Bearer tenant-secret"), Ok(granted), "the static token of contract v1");
        assert!(check_bearer(&s, "").is_err());
        assert!(check_bearer(&s, "Bearer tenant-secreT").is_err());
    }
}
