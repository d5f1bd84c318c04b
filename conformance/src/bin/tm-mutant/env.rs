//! The command contract's settings (environment variables in) and how a run fails.

use super::*;

pub(crate) enum Failure {
    Config(anyhow::Error),
    Run(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Run(e)
    }
}

pub(crate) fn var(name: &str) -> Result<String, Failure> {
    std::env::var(name).map_err(|_| Failure::Config(anyhow!("{name} is not set")))
}

pub(crate) struct Env {
    pub(crate) tm: String,
    pub(crate) tm_user: String,
    pub(crate) tm_pass: String,
    pub(crate) graph: String,
    pub(crate) token: String,
    /// Client credentials, when `GRAPH_CLIENT_ID` is set: (token endpoint, client id, secret).
    pub(crate) client: Option<(String, String, String)>,
    pub(crate) mapping: Mapping,
    pub(crate) auto: bool,
    pub(crate) run_at: DateTime<Utc>,
    pub(crate) state: PathBuf,
    pub(crate) report: Option<PathBuf>,
}

pub(crate) fn env(m: Mutation) -> Result<Env, Failure> {
    let mapping = match std::env::var_os("MAPPING_CSV") {
        Some(p) if m != Mutation::IgnoreMapping => Mapping::from_path(Path::new(&p), Region::CN).map_err(|e| Failure::Config(e.into()))?,
        _ => Mapping::empty(),
    };
    let run_at = DateTime::parse_from_rfc3339(&var("RUN_AT")?).map_err(|e| Failure::Config(anyhow!("RUN_AT: {e}")))?.with_timezone(&Utc);
    Ok(Env {
        tm: var("TM_URL")?,
        tm_user: var("TM_USERNAME")?,
        tm_pass: var("TM_PASSWORD")?,
        graph: var("GRAPH_URL")?,
        token: std::env::var("GRAPH_TOKEN").unwrap_or_default(),
        client: match std::env::var("GRAPH_CLIENT_ID") {
            Ok(id) => {
                let authority = std::env::var("GRAPH_AUTHORITY").unwrap_or_else(|_| "https://login.microsoftonline.com".into());
                let tenant = var("GRAPH_TENANT_ID")?;
                let endpoint = format!("{}/{tenant}/oauth2/v2.0/token", authority.trim_end_matches('/'));
                Some((endpoint, id, var("GRAPH_CLIENT_SECRET")?))
            }
            Err(_) if std::env::var_os("GRAPH_TOKEN").is_none() => {
                return Err(Failure::Config(anyhow!("GRAPH_TOKEN or GRAPH_CLIENT_ID is not set")));
            }
            Err(_) => None,
        },
        mapping,
        auto: std::env::var("AUTO_MAPPING").map_or(true, |v| v != "false"),
        run_at,
        state: PathBuf::from(var("STATE_DIR")?),
        report: std::env::var_os("REPORT_PATH").map(PathBuf::from),
    })
}

pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    tm_contract::format_time(t)
}
