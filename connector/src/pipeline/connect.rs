//! Connecting to the two services: one HTTP client (connection pool) per service, the tenant's
//! credentials, and the checks made before anything is imported, so that refused credentials
//! and unreachable services are told apart from failures half-way.

use crate::config::{Config, Validated};
use crate::error::ConnectorError;
use crate::source::{SourceClient, SourceError, Timeouts};
use crate::tenant::{IMPORT_PERMISSION, PermissionCheck, TenantClient, TenantError, TenantOptions};
use crate::token::{Credentials, TokenError, token_url};

use super::DELIVERIES_PER_ITEM_SLOT;

/// The vendor and tenant clients of a run.
pub(super) fn clients(config: &Config, valid: Validated) -> Result<(SourceClient, TenantClient), ConnectorError> {
    // reqwest is built without a default crypto provider; the binary installs ring, and a
    // library caller that did not choose one gets ring too (a no-op when one is installed).
    let _ = rustls::crypto::ring::default_provider().install_default();
    // One connection pool per service, as in production where they are different hosts: a
    // vendor connection's read buffer grows to a few hundred KiB on large downloads, and sharing
    // the pool would spread such connections over every tenant delivery (measured: 13 MB of
    // buffers at the peak of the 5,000-employee bench day).
    let extra_roots = match &config.ca_file {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| ConnectorError::Config(format!("SSL_CERT_FILE {}: {e}", path.display())))?;
            reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| ConnectorError::Config(format!("SSL_CERT_FILE {}: not PEM certificates: {e}", path.display())))?
        }
        None => Vec::new(),
    };
    let client = |idle: usize| {
        extra_roots
            .iter()
            .fold(reqwest::Client::builder(), |b, c| b.add_root_certificate(c.clone()))
            .connect_timeout(config.connect_timeout)
            .pool_max_idle_per_host(idle)
            .user_agent(concat!("tm-connector/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConnectorError::Config(format!("cannot build the HTTP client: {e}")))
    };
    let timeouts = Timeouts { request: config.request_timeout, transfer: config.transfer_timeout };
    let source = SourceClient::new(
        client(config.concurrency + 1)?,
        valid.tm_url,
        config.tm_username.clone(),
        config.tm_password.clone(),
        config.retry.clone(),
        timeouts,
    );
    let tenant_connections = config.concurrency * (DELIVERIES_PER_ITEM_SLOT + 1);
    let credentials = match (&config.client_credentials, valid.authority) {
        (Some(c), Some(authority)) => Credentials::client(
            client(2)?,
            token_url(&authority, c.tenant_id.trim()),
            c.client_id.trim().to_owned(),
            c.client_secret.clone(),
            config.retry.clone(),
        ),
        _ => Credentials::Static(config.graph_token.clone()),
    };
    let options = TenantOptions {
        beta: Some(valid.graph_beta),
        allow_drafts: config.allow_draft_imports,
        max_request_bytes: config.max_request_bytes,
    };
    let tenant = TenantClient::new(client(tenant_connections)?, valid.graph_url, credentials, (config.retry.clone(), timeouts), options);
    Ok((source, tenant))
}

/// Checks the credentials before anything is imported, so that they are configuration errors
/// (exit 2) rather than failures half-way. A first call that cannot connect says so in one
/// line, naming the service and its URL.
pub(super) async fn check(config: &Config, source: &SourceClient, tenant: &TenantClient) -> Result<(), ConnectorError> {
    let tm_base = config.tm_url.trim_end_matches('/').to_owned();
    let graph_base = config.graph_url.trim_end_matches('/').to_owned();
    source.login().await.map_err(|e| match e {
        e @ SourceError::Credentials { .. } => ConnectorError::VendorCredentials(e),
        SourceError::Http(h) if h.unreachable().is_some() => {
            ConnectorError::Unreachable { service: "the vendor archive", base: tm_base.clone(), why: h.unreachable().unwrap_or_default() }
        }
        e => ConnectorError::Source(e),
    })?;
    tenant.preflight().await.map_err(|e| match e {
        e @ TenantError::Unauthorized { .. } => ConnectorError::TenantToken(e),
        e @ TenantError::Token(TokenError::Refused { .. }) => ConnectorError::ClientCredentials(e),
        TenantError::Http(h) if h.unreachable().is_some() => {
            ConnectorError::Unreachable { service: "the tenant", base: graph_base.clone(), why: h.unreachable().unwrap_or_default() }
        }
        e => ConnectorError::Tenant(e),
    })?;
    check_import_permission(tenant).await
}

/// FINAL: the app must hold `Mail-Advanced.ReadWrite.All` for `importMime`; read from the token's
/// `roles` (a configuration error when missing, unless drafts are allowed), or, for an opaque
/// token, left to the first import to prove. Said once in the log.
async fn check_import_permission(tenant: &TenantClient) -> Result<(), ConnectorError> {
    match tenant.check_import_permission().await {
        Ok(PermissionCheck::Holds) => {
            tracing::info!("the app holds {IMPORT_PERMISSION}: importing final messages with importMime (beta)");
        }
        Ok(PermissionCheck::DraftsAllowed { roles }) => tracing::warn!(
            roles = %roles.join(","),
            "the app lacks {IMPORT_PERMISSION} and ALLOW_DRAFT_IMPORTS=true: importing DRAFTS with v1.0 MIME create \
             (editable, sendable messages); each is counted in the report's counts.drafts"
        ),
        Ok(PermissionCheck::Unknown) => tracing::info!(
            "the tenant token is opaque (not a JWT): {IMPORT_PERMISSION} cannot be read from it and will be proven by the first importMime"
        ),
        Err(e @ TenantError::ImportPermission { .. }) => return Err(ConnectorError::ImportPermission(e)),
        Err(e @ TenantError::Token(TokenError::Refused { .. })) => return Err(ConnectorError::ClientCredentials(e)),
        Err(e) => return Err(ConnectorError::Tenant(e)),
    }
    Ok(())
}
