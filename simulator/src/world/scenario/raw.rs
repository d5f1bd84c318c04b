//! Reading: the scenario file as written, every value spanned so that validation can name the
//! line. Parsing is strict (`deny_unknown_fields`); nothing here is checked beyond its TOML type.

use serde::Deserialize;
use toml::Spanned;

use super::model::{CallSpec, Credentials, Organisation, Traffic};
use super::{App, Kind};
use crate::world::faults::FaultRule;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScenario {
    pub(super) name: Spanned<String>,
    #[serde(default)]
    pub(super) description: Option<String>,
    pub(super) seed: u64,
    pub(super) start: Spanned<String>,
    #[serde(default)]
    pub(super) credentials: Option<Credentials>,
    #[serde(default)]
    pub(super) organisation: Option<Organisation>,
    #[serde(default)]
    pub(super) employee: Vec<RawPerson>,
    #[serde(default)]
    pub(super) external: Vec<RawPerson>,
    #[serde(default)]
    pub(super) group: Vec<RawGroup>,
    #[serde(default)]
    pub(super) tenant: Option<RawTenant>,
    #[serde(default)]
    pub(super) traffic: Option<Traffic>,
    #[serde(default)]
    pub(super) item: Vec<RawItem>,
    #[serde(default)]
    pub(super) mapping: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) run: Vec<RawRun>,
    #[serde(default)]
    pub(super) fault: Vec<Spanned<FaultRule>>,
    #[serde(default)]
    pub(super) offline: Vec<RawOffline>,
    #[serde(default)]
    pub(super) vendor: Option<RawVendor>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOffline {
    pub(super) person: Spanned<String>,
    pub(super) from: Spanned<String>,
    pub(super) hours: Spanned<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVendor {
    #[serde(default)]
    pub(super) retention_days: Option<Spanned<u32>>,
    #[serde(default)]
    pub(super) clock: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPerson {
    pub(super) id: Spanned<String>,
    pub(super) name: Spanned<String>,
    #[serde(default)]
    pub(super) mobile: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) email: Option<Spanned<String>>,
    pub(super) app: App,
    #[serde(default)]
    pub(super) company: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGroup {
    pub(super) id: Spanned<String>,
    pub(super) name: Spanned<String>,
    #[serde(default)]
    pub(super) source: Option<App>,
    pub(super) members: Spanned<Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTenant {
    #[serde(default = "yes")]
    pub(super) from_employees: bool,
    #[serde(default)]
    pub(super) user: Vec<RawUser>,
    #[serde(default)]
    pub(super) throttle_per_mailbox: Option<usize>,
    #[serde(default)]
    pub(super) throttle_retry_after: Option<u64>,
    #[serde(default)]
    pub(super) token_lifetime_seconds: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) max_request_bytes: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) requests_per_10_minutes: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) upload_bytes_per_5_minutes: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) rate_window_seconds: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) mailbox_quota_bytes: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) quota_exceeded_status: Option<Spanned<u16>>,
    #[serde(default)]
    pub(super) folder_exists_status: Option<Spanned<u16>>,
    #[serde(default)]
    pub(super) locale: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) mime_on_folder_path: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) app_permissions: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub(super) app_scope: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUser {
    pub(super) upn: Spanned<String>,
    #[serde(default)]
    pub(super) mail: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) aliases: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) display_name: Option<String>,
    #[serde(default = "yes")]
    pub(super) enabled: bool,
    #[serde(default = "yes")]
    pub(super) mailbox: bool,
    #[serde(default)]
    pub(super) folders: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) hidden_folders: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) quota_bytes: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) locale: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawItem {
    #[serde(default)]
    pub(super) id: Option<Spanned<String>>,
    pub(super) at: Spanned<String>,
    pub(super) kind: Kind,
    #[serde(default)]
    pub(super) content_type: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) quoted: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub(super) source: Option<App>,
    pub(super) from: Spanned<String>,
    #[serde(default)]
    pub(super) to: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub(super) group: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) text: Option<String>,
    #[serde(default)]
    pub(super) size: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) listed_size: Option<u64>,
    #[serde(default)]
    pub(super) attachment: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) call: Option<CallSpec>,
    #[serde(default)]
    pub(super) recalls: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) archived_at: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRun {
    pub(super) at: Spanned<String>,
    #[serde(default = "yes")]
    pub(super) auto_mapping: bool,
    #[serde(default)]
    pub(super) mapping: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) kill_after_imports: Option<u64>,
}

pub(super) fn yes() -> bool {
    true
}
