//! [`Config`]: every setting of a run, with the contract's defaults, and its validation.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::Url;

use crate::error::ConnectorError;
use crate::retry::RetryPolicy;
use tm_contract::Region;

/// OAuth 2.0 client credentials of the tenant (contract v2).
#[derive(Clone)]
pub struct ClientCredentialsConfig {
    /// `GRAPH_TENANT_ID`.
    pub tenant_id: String,
    /// `GRAPH_CLIENT_ID`.
    pub client_id: String,
    /// `GRAPH_CLIENT_SECRET` (secret: never printed).
    pub client_secret: String,
    /// `GRAPH_AUTHORITY`: the identity platform's base URL (default `https://login.microsoftonline.com`).
    pub authority: String,
}

impl std::fmt::Debug for ClientCredentialsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentialsConfig")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("authority", &self.authority)
            .finish_non_exhaustive()
    }
}

/// Every setting of a run. Build one with [`Config::new`] and adjust the public fields.
///
/// `Debug` never shows the vendor password or the tenant token.
#[derive(Clone)]
pub struct Config {
    /// `TM_URL`: the vendor API base, path included (`http://127.0.0.1:8080/tm/v1`).
    pub tm_url: String,
    /// `TM_USERNAME`.
    pub tm_username: String,
    /// `TM_PASSWORD` (secret).
    pub tm_password: String,
    /// `GRAPH_URL`: the tenant base, path included (`http://127.0.0.1:8080/graph/v1.0`).
    pub graph_url: String,
    /// `GRAPH_TOKEN` (secret): the static tenant token; unused when client credentials are set.
    pub graph_token: String,
    /// `GRAPH_BETA_URL`: the tenant's beta base, for `importMime` (FINAL); `None` = `GRAPH_URL`
    /// with its `/v1.0` replaced by `/beta`, as graph.microsoft.com has them.
    pub graph_beta_url: Option<String>,
    /// `ALLOW_DRAFT_IMPORTS`: without `Mail-Advanced.ReadWrite.All`, import drafts (v1.0 MIME
    /// create) instead of stopping with a configuration error (default false).
    pub allow_draft_imports: bool,
    /// `GRAPH_MAX_REQUEST_BYTES`: imports larger than this (as sent, base64) are reported
    /// `sink_rejected` without being sent; `None` (the default): the tenant decides (413).
    pub max_request_bytes: Option<u64>,
    /// `GRAPH_CLIENT_ID`, `GRAPH_CLIENT_SECRET` (secret), `GRAPH_TENANT_ID`, `GRAPH_AUTHORITY`:
    /// OAuth 2.0 client credentials; when set, used instead of `GRAPH_TOKEN`.
    pub client_credentials: Option<ClientCredentialsConfig>,
    /// `MAPPING_CSV`: the custom mapping file; `None` = no mapping.
    pub mapping_csv: Option<PathBuf>,
    /// `AUTO_MAPPING`: route by email address too (default true).
    pub auto_mapping: bool,
    /// `RUN_AT`: the run's "now" (truncated to milliseconds, the listing's precision).
    pub run_at: DateTime<Utc>,
    /// `STATE_DIR`: checkpoint and ledger, kept between runs.
    pub state_dir: PathBuf,
    /// `REPORT_PATH`: where to write the run report; `None` = not written.
    pub report_path: Option<PathBuf>,
    /// `SSL_CERT_FILE`: PEM certificates of CAs trusted beside the system's (a test tenant's own CA).
    pub ca_file: Option<PathBuf>,
    /// Region for mapping numbers written without a country code (default `CN`).
    pub default_region: String,
    /// Items downloaded, checked and routed at a time (default 8); deliveries and items in flight are 4 × this.
    pub concurrency: usize,
    /// Listing page size (1..=1000, default 500).
    pub page_size: u32,
    /// Timeout of small requests (login, listing, lookups, folders).
    pub request_timeout: Duration,
    /// Timeout of downloads and imports.
    pub transfer_timeout: Duration,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Retry policy for every call.
    pub retry: RetryPolicy,
    /// Draw a progress bar on stderr.
    pub progress: bool,
}

/// The most deliveries the connector has in flight against one mailbox: Graph's limit of 4
/// concurrent requests per mailbox. Exactly-once asks the tenant (see `ledger.rs`), so deliveries
/// to one mailbox need not be serialised; a 429's `Retry-After` holds back the request it answered
/// (Graph's guidance is per request), the others go on.
pub const MAX_PER_MAILBOX: usize = 4;

impl Config {
    /// A configuration with the contract's defaults: no mapping, automatic mapping on,
    /// `RUN_AT` = now, no report file, region CN, concurrency 8.
    pub fn new(
        tm_url: impl Into<String>,
        tm_username: impl Into<String>,
        tm_password: impl Into<String>,
        graph_url: impl Into<String>,
        graph_token: impl Into<String>,
        state_dir: impl Into<PathBuf>,
    ) -> Config {
        Config {
            tm_url: tm_url.into(),
            tm_username: tm_username.into(),
            tm_password: tm_password.into(),
            graph_url: graph_url.into(),
            graph_token: graph_token.into(),
            graph_beta_url: None,
            allow_draft_imports: false,
            max_request_bytes: None,
            client_credentials: None,
            mapping_csv: None,
            auto_mapping: true,
            run_at: Utc::now(),
            state_dir: state_dir.into(),
            report_path: None,
            ca_file: None,
            default_region: "CN".to_owned(),
            concurrency: 8,
            page_size: 500,
            request_timeout: Duration::from_secs(30),
            transfer_timeout: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            progress: false,
        }
    }

    /// Checks everything that can be checked without I/O; errors are configuration errors.
    pub(crate) fn validate(&self) -> Result<Validated, ConnectorError> {
        let bad = |m: String| Err(ConnectorError::Config(m));
        let url = |name: &str, text: &str| -> Result<Url, ConnectorError> {
            let url = Url::parse(text.trim()).map_err(|e| ConnectorError::Config(format!("{name} `{text}` is not a URL: {e}")))?;
            if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() || url.host().is_none() {
                return Err(ConnectorError::Config(format!("{name} `{text}` is not an http(s) base URL")));
            }
            Ok(url)
        };
        let tm_url = url("TM_URL", &self.tm_url)?;
        let graph_url = url("GRAPH_URL", &self.graph_url)?;
        let graph_beta = match &self.graph_beta_url {
            Some(beta) => url("GRAPH_BETA_URL", beta)?,
            None => beta_of(&graph_url).ok_or_else(|| {
                ConnectorError::Config(format!(
                    "GRAPH_URL `{}` does not end in /v1.0, so the beta base (for importMime) cannot be derived from it: set GRAPH_BETA_URL",
                    self.graph_url
                ))
            })?,
        };
        if self.max_request_bytes == Some(0) {
            return bad("GRAPH_MAX_REQUEST_BYTES must be more than 0".into());
        }
        if self.tm_username.trim().is_empty() {
            return bad("TM_USERNAME is empty".into());
        }
        if self.tm_password.is_empty() {
            return bad("TM_PASSWORD is empty".into());
        }
        let authority = match &self.client_credentials {
            None if self.graph_token.trim().is_empty() => {
                return bad("GRAPH_TOKEN is empty (or give GRAPH_CLIENT_ID, GRAPH_CLIENT_SECRET and GRAPH_TENANT_ID)".into());
            }
            None => None,
            Some(c) => {
                for (name, value) in
                    [("GRAPH_CLIENT_ID", &c.client_id), ("GRAPH_CLIENT_SECRET", &c.client_secret), ("GRAPH_TENANT_ID", &c.tenant_id)]
                {
                    if value.trim().is_empty() {
                        return bad(format!(
                            "{name} is empty (client credentials need GRAPH_CLIENT_ID, GRAPH_CLIENT_SECRET and GRAPH_TENANT_ID)"
                        ));
                    }
                }
                Some(url("GRAPH_AUTHORITY", &c.authority)?)
            }
        };
        let region: Region = self.default_region.parse().map_err(|e: String| ConnectorError::Config(format!("--default-region: {e}")))?;
        if !(1..=256).contains(&self.concurrency) {
            return bad(format!("--concurrency must be 1..=256, not {}", self.concurrency));
        }
        if !(1..=1000).contains(&self.page_size) {
            return bad(format!("page size must be 1..=1000, not {}", self.page_size));
        }
        if self.state_dir.as_os_str().is_empty() {
            return bad("STATE_DIR is empty".into());
        }
        if let Some(report) = &self.report_path {
            let parent = report.parent().filter(|p| !p.as_os_str().is_empty());
            if let Some(parent) = parent
                && !parent.is_dir()
            {
                return bad(format!("REPORT_PATH {}: directory {} does not exist", report.display(), parent.display()));
            }
        }
        Ok(Validated { tm_url, graph_url, graph_beta, region, authority })
    }
}

/// The beta base of a v1.0 base: the path's last segment `v1.0` replaced by `beta`
/// (`https://graph.microsoft.com/v1.0` → `https://graph.microsoft.com/beta`,
/// <https://learn.microsoft.com/graph/versioning-and-support>); `None` for another path.
pub(crate) fn beta_of(graph_url: &Url) -> Option<Url> {
    let path = graph_url.path().trim_end_matches('/');
    let stem = path.strip_suffix("/v1.0")?;
    let mut beta = graph_url.clone();
    beta.set_path(&format!("{stem}/beta"));
    Some(beta)
}

/// The parsed parts of a valid configuration.
pub(crate) struct Validated {
    pub tm_url: Url,
    pub graph_url: Url,
    /// The beta base (`GRAPH_BETA_URL`, or derived from `GRAPH_URL`).
    pub graph_beta: Url,
    pub region: Region,
    /// With client credentials: the authority.
    pub authority: Option<Url>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("tm_url", &self.tm_url)
            .field("tm_username", &self.tm_username)
            .field("tm_password", &"<redacted>")
            .field("graph_url", &self.graph_url)
            .field("graph_token", &"<redacted>")
            .field("graph_beta_url", &self.graph_beta_url)
            .field("allow_draft_imports", &self.allow_draft_imports)
            .field("max_request_bytes", &self.max_request_bytes)
            .field("mapping_csv", &self.mapping_csv)
            .field("auto_mapping", &self.auto_mapping)
            .field("run_at", &self.run_at)
            .field("state_dir", &self.state_dir)
            .field("report_path", &self.report_path)
            .field("default_region", &self.default_region)
            .field("concurrency", &self.concurrency)
            .field("page_size", &self.page_size)
            .field("request_timeout", &self.request_timeout)
            .field("transfer_timeout", &self.transfer_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("progress", &self.progress)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::new(
            "http://127.0.0.1:1/tm/v1",
            "archiver",
            "archiver-secret",
            "http://127.0.0.1:1/graph/v1.0",
            "tenant-secret",
            "/tmp/state",
        )
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let text = format!("{:?}", config());
        assert!(!text.contains("archiver-secret") && !text.contains("tenant-secret"), "{text}");
        assert!(text.contains("<redacted>"));
    }

    #[test]
    fn a_default_config_is_valid() {
        assert!(config().validate().is_ok());
    }

    #[test]
    fn the_beta_base_is_derived_from_a_v1_base_or_given() {
        let beta = |u: &str| beta_of(&Url::parse(u).unwrap()).map(|b| b.to_string());
        assert_eq!(beta("https://graph.microsoft.com/v1.0").as_deref(), Some("https://graph.microsoft.com/beta"));
        assert_eq!(beta("http://127.0.0.1:8080/graph/v1.0/").as_deref(), Some("http://127.0.0.1:8080/graph/beta"));
        assert_eq!(beta("http://127.0.0.1:8080/graph"), None);
        let mut c = config();
        c.graph_url = "http://127.0.0.1:1/graph".into();
        c.graph_beta_url = Some("http://127.0.0.1:1/graph-beta".into());
        assert_eq!(c.validate().unwrap().graph_beta.as_str(), "http://127.0.0.1:1/graph-beta");
    }

    #[test]
    fn bad_settings_are_configuration_errors() {
        let cases: Vec<fn(&mut Config)> = vec![
            |c| c.tm_url = "not a url".into(),
            |c| c.graph_url = "ftp://x/graph".into(),
            |c| c.graph_token = " ".into(),
            |c| c.tm_username = "".into(),
            |c| c.default_region = "ZZZ".into(),
            |c| c.concurrency = 0,
            |c| c.page_size = 1001,
            |c| c.report_path = Some("/nonexistent-dir/r.json".into()),
            |c| c.graph_url = "http://127.0.0.1:1/graph".into(),
            |c| c.graph_beta_url = Some("not a url".into()),
            |c| c.max_request_bytes = Some(0),
        ];
        for (i, change) in cases.iter().enumerate() {
            let mut c = config();
            change(&mut c);
            let err = c.validate().err().unwrap_or_else(|| panic!("case {i} accepted"));
            assert!(err.is_config_error(), "case {i}: {err}");
        }
    }
}
