//! The identity platform's answers (the handlers build these; the form and the OpenID
//! configuration, which has more fields than these, are descriptions).

use serde::Serialize;
use utoipa::ToSchema;

/// The client-credentials grant's form.
#[derive(Serialize, ToSchema)]
pub struct TokenRequest {
    /// `client_credentials`.
    pub grant_type: String,
    /// The application (client) id (or in `Authorization: Basic`).
    pub client_id: Option<String>,
    /// The client secret (or in `Authorization: Basic`).
    pub client_secret: Option<String>,
    /// `https://graph.microsoft.com/.default`.
    pub scope: Option<String>,
}

/// A granted token.
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// `Bearer`.
    pub token_type: String,
    /// Seconds the token lasts.
    pub expires_in: u64,
    /// As `expires_in`.
    pub ext_expires_in: u64,
    /// The access token (a JWT).
    pub access_token: String,
}

/// A refused token request, as Microsoft Entra answers it.
#[derive(Serialize, ToSchema)]
pub struct AadError {
    /// `invalid_request`, `invalid_client`, `unauthorized_client`, `invalid_scope`, …
    pub error: String,
    /// `AADSTS…: …` with trace and correlation ids.
    pub error_description: String,
    /// The AADSTS codes.
    pub error_codes: Vec<u64>,
    /// When.
    pub timestamp: String,
    /// Trace id.
    pub trace_id: String,
    /// Correlation id.
    pub correlation_id: String,
    /// Where the code is explained.
    pub error_uri: String,
}

/// The tenant's OpenID configuration (the fields MSAL and azure-identity read, among others).
#[derive(Serialize, ToSchema)]
pub struct OpenIdConfiguration {
    /// The token endpoint.
    pub token_endpoint: String,
    /// The authorization endpoint (not served: the flow is client credentials).
    pub authorization_endpoint: String,
    /// The issuer.
    pub issuer: String,
    /// Keys (an empty set).
    pub jwks_uri: String,
}

/// The signing keys (none: tokens are checked by the tenant only).
#[derive(Serialize, ToSchema)]
pub struct Keys {
    /// Empty.
    pub keys: Vec<serde_json::Value>,
}
