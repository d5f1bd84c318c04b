//! [`ConnectorError`]: why a run did not complete, split into configuration errors (exit 2,
//! nothing imported) and run failures (other non-zero exit; the next run finishes the job).

use std::path::PathBuf;

use crate::source::SourceError;
use crate::state::StateError;
use crate::tenant::TenantError;
use tm_contract::MappingError;

/// Why a run did not complete.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// A bad setting (URL, region, concurrency, ...). Configuration error.
    #[error("configuration error: {0}")]
    Config(String),
    /// The mapping CSV is unusable; names file and line. Configuration error.
    #[error("configuration error: mapping file {0}")]
    Mapping(#[from] MappingError),
    /// The vendor refused the credentials at login. Configuration error.
    #[error("configuration error: {0}")]
    VendorCredentials(#[source] SourceError),
    /// The tenant refused the token before anything was imported. Configuration error.
    #[error("configuration error: GRAPH_TOKEN: {0}")]
    TenantToken(#[source] TenantError),
    /// The identity platform refused the client credentials before anything was imported
    /// (the message names the setting, never the secret). Configuration error.
    #[error("configuration error: {0}")]
    ClientCredentials(#[source] TenantError),
    /// The app lacks `Mail-Advanced.ReadWrite.All` (FINAL) and drafts are not allowed; found
    /// at start (the token's roles) or by the first import (an opaque token). Configuration error.
    #[error("configuration error: {0}")]
    ImportPermission(#[source] TenantError),
    /// The state directory cannot be created, is locked or corrupt, or a write failed.
    #[error("state directory: {0}")]
    State(#[from] StateError),
    /// The vendor archive or the tenant cannot be reached at all (the first call to it could not
    /// connect or got no answer in time, after retries).
    #[error("cannot reach {service} at {base}: {why}")]
    Unreachable {
        /// `the vendor archive` or `the tenant`.
        service: &'static str,
        /// The base URL (`TM_URL`, `GRAPH_URL`).
        base: String,
        /// Why, in words.
        why: String,
    },
    /// The vendor archive failed (after retries).
    #[error("vendor archive: {0}")]
    Source(#[source] SourceError),
    /// The tenant failed (after retries), or revoked the token mid-run.
    #[error("tenant: {0}")]
    Tenant(#[source] TenantError),
    /// The report could not be written (the checkpoint was not advanced).
    #[error("cannot write the run report {}: {source}", path.display())]
    Report {
        /// The report path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// An error and its sources on one line, each thing said once: a source whose text the line
/// already holds (a wrapper that prints its source, as `thiserror`'s `{0}` does) is left out.
pub fn one_line(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !text.is_empty() && !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = s.source();
    }
    line
}

impl ConnectorError {
    /// Whether this is a configuration error (exit 2): the run stopped before importing
    /// anything, and only a change of settings or files can fix it.
    pub fn is_config_error(&self) -> bool {
        matches!(
            self,
            ConnectorError::Config(_)
                | ConnectorError::Mapping(_)
                | ConnectorError::VendorCredentials(_)
                | ConnectorError::TenantToken(_)
                | ConnectorError::ClientCredentials(_)
                | ConnectorError::ImportPermission(_)
        )
    }

    /// The process exit code the contract assigns: 2 for configuration errors, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        if self.is_config_error() { 2 } else { 1 }
    }
}

impl From<SourceError> for ConnectorError {
    fn from(e: SourceError) -> Self {
        ConnectorError::Source(e)
    }
}

impl From<TenantError> for ConnectorError {
    fn from(e: TenantError) -> Self {
        match e {
            e @ TenantError::ImportPermission { .. } => ConnectorError::ImportPermission(e),
            e => ConnectorError::Tenant(e),
        }
    }
}
