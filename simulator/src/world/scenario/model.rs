//! The model: a validated scenario and its parts, as the generator and the servers use them.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::AppRegistration;
use super::raw::yes;
use super::{App, Kind};
use crate::world::faults::FaultRule;

/// Voice or video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallType {
    /// A voice call.
    Voice,
    /// A video call.
    Video,
}

impl CallType {
    /// The value of `X-TELEMESSAGE-CallType`.
    pub fn as_str(self) -> &'static str {
        match self {
            CallType::Voice => "voice",
            CallType::Video => "video",
        }
    }
}

// ... and the validated model.

/// Credentials of both simulated services.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// Vendor archive user name (`POST /tm/v1/session`).
    #[serde(default = "default_vendor_username")]
    pub vendor_username: String,
    /// Vendor archive password.
    #[serde(default = "default_vendor_password")]
    pub vendor_password: String,
    /// The static bearer token the tenant API accepts (contract v1; still accepted in v2).
    #[serde(default = "default_tenant_token")]
    pub tenant_token: String,
    /// The directory (tenant) id of the OAuth 2.0 client-credentials flow (`GRAPH_TENANT_ID`).
    #[serde(default = "default_tenant_id")]
    pub tenant_id: String,
    /// The application (client) id (`GRAPH_CLIENT_ID`).
    #[serde(default = "default_client_id")]
    pub client_id: String,
    /// The client secret (`GRAPH_CLIENT_SECRET`).
    #[serde(default = "default_client_secret")]
    pub client_secret: String,
}

fn default_vendor_username() -> String {
    "archiver".into()
}
fn default_vendor_password() -> String {
    "archiver-secret".into()
}
fn default_tenant_token() -> String {
    "tenant-secret".into()
}
fn default_tenant_id() -> String {
    "7a1c2e9b-5d34-4f0e-9c61-2b8d3e4f5a60".into()
}
fn default_client_id() -> String {
    "3f6b8c2d-1e4a-4b7c-8d9e-0a1b2c3d4e5f".into()
}
fn default_client_secret() -> String {
    "client-secret".into()
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            vendor_username: default_vendor_username(),
            vendor_password: default_vendor_password(),
            tenant_token: default_tenant_token(),
            tenant_id: default_tenant_id(),
            client_id: default_client_id(),
            client_secret: default_client_secret(),
        }
    }
}

/// Generated people: employees, external contacts, group chats.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    /// Generated employees, in addition to the `[[employee]]` entries.
    #[serde(default)]
    pub employees: usize,
    /// Email domain of generated employees.
    #[serde(default = "default_domain")]
    pub domain: String,
    /// Share of generated employees on WeCom (the rest on WeChat).
    #[serde(default = "half")]
    pub wecom_share: f64,
    /// Generated external contacts.
    #[serde(default)]
    pub external_contacts: usize,
    /// Generated group chats.
    #[serde(default)]
    pub groups: usize,
    /// Largest generated group (members), at most 200.
    #[serde(default = "default_max_group")]
    pub max_group_size: usize,
    /// Share of generated employees registered with the vendor under an alias of their mailbox.
    #[serde(default)]
    pub alias_share: f64,
    /// Share of generated employees whose Microsoft 365 account is disabled.
    #[serde(default)]
    pub disabled_share: f64,
    /// Share of generated employees with a Microsoft 365 account but no mailbox.
    #[serde(default)]
    pub no_mailbox_share: f64,
    /// Share of generated employees registered with the vendor under a private address unknown
    /// to the tenant.
    #[serde(default)]
    pub unknown_email_share: f64,
}

fn default_domain() -> String {
    "contoso.cn".into()
}
fn half() -> f64 {
    0.5
}
fn default_max_group() -> usize {
    60
}

/// The generated-traffic profile.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Traffic {
    /// Days of traffic from `start`.
    pub days: u32,
    /// Mean items each employee originates or receives per day.
    pub items_per_employee_per_day: f64,
    /// Relative weights of the kinds of generated events.
    #[serde(default)]
    pub mix: Mix,
    /// Share of messages recalled within 2 minutes.
    #[serde(default)]
    pub recall_rate: f64,
    /// Share of attachments and files above the 10 MB limit.
    #[serde(default)]
    pub oversize_rate: f64,
    /// One item of exactly 10,485,760 and one of 10,485,761 bytes in every generated day.
    #[serde(default = "yes")]
    pub boundary_items: bool,
    /// Share of conversations held in group chats.
    #[serde(default = "default_group_share")]
    pub group_share: f64,
    /// Share of generated items that reach the archive late (a phone offline): hours to ~3
    /// days after capture (see `world/arrival.rs`).
    #[serde(default)]
    pub late_share: f64,
}

fn default_group_share() -> f64 {
    0.35
}

/// Relative weights of generated event kinds (recalls are driven by `recall_rate`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mix {
    /// Text, links, locations.
    #[serde(default)]
    pub chat: f64,
    /// Images, voice notes, videos, stickers.
    #[serde(default)]
    pub attachment: f64,
    /// Documents and archives.
    #[serde(default)]
    pub file: f64,
    /// Voice and video calls.
    #[serde(default)]
    pub call: f64,
}

impl Default for Mix {
    fn default() -> Self {
        Mix { chat: 70.0, attachment: 17.0, file: 5.0, call: 8.0 }
    }
}

/// A call's type and duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallSpec {
    /// Voice or video.
    #[serde(rename = "type")]
    pub call_type: CallType,
    /// Seconds.
    pub duration: u32,
}

/// A person the archive knows: an employee or an external contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Scenario-unique id.
    pub id: String,
    /// Display name (Chinese or Latin).
    pub name: String,
    /// E.164 mobile, when known.
    pub mobile: Option<String>,
    /// The email address the vendor knows this person by.
    pub email: String,
    /// Which app.
    pub app: App,
    /// Employees of the organisation are archived; external contacts are not.
    pub employee: bool,
    /// Company of a WeCom external contact.
    pub company: Option<String>,
}

/// A group chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Scenario-unique id (also the thread id).
    pub id: String,
    /// Display name.
    pub name: String,
    /// WeChat or WeCom group.
    pub source: App,
    /// Member ids, in the scenario's order.
    pub members: Vec<String>,
}

/// A tenant directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantUser {
    /// userPrincipalName.
    pub upn: String,
    /// Primary SMTP address.
    pub mail: String,
    /// Further SMTP addresses.
    pub aliases: Vec<String>,
    /// Display name.
    pub display_name: String,
    /// Account enabled.
    pub enabled: bool,
    /// Has an Exchange mailbox.
    pub mailbox: bool,
    /// Extra top-level folders that exist before any run.
    pub folders: Vec<String>,
    /// Extra hidden top-level folders (`isHidden`; listed only with `includeHiddenFolders=true`).
    pub hidden_folders: Vec<String>,
}

/// An item a scenario writes out exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptedItem {
    /// Its id (given, or `S0001`-style by position).
    pub id: String,
    /// Capture time, milliseconds since the epoch.
    pub at_ms: i64,
    /// Kind.
    pub kind: Kind,
    /// WeCom's message type, when given (`content_type`; else the kind's usual one).
    pub content_type: Option<crate::world::content::ContentType>,
    /// Whom a chat record quotes or a card names (`quoted`, person ids; none of the item's
    /// participants). Empty: drawn from the population.
    pub quoted: Vec<String>,
    /// Source app, when given (else the group's or the archived employee's).
    pub source: Option<App>,
    /// The actor.
    pub from: String,
    /// The other participants of a 1:1 conversation (empty with `group`).
    pub to: Vec<String>,
    /// The group conversation, if any.
    pub group: Option<String>,
    /// The transcript text, if given.
    pub text: Option<String>,
    /// Exact raw size, for attachments and files.
    pub size: Option<u64>,
    /// A size the listing reports instead of the real one (a fault).
    pub listed_size: Option<u64>,
    /// Attachment file name.
    pub attachment: Option<String>,
    /// Call details.
    pub call: Option<CallSpec>,
    /// The recalled item's id.
    pub recalls: Option<String>,
    /// When it reaches the archive (`archived_at`), if not when it is captured.
    pub archived_ms: Option<i64>,
}

/// A connector run the scenario schedules (used by the conformance suite).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The run's "now" (`RUN_AT`).
    pub at: DateTime<Utc>,
    /// `AUTO_MAPPING`.
    pub auto_mapping: bool,
    /// The mapping CSV for this run, resolved against the scenario's folder.
    pub mapping: Option<PathBuf>,
    /// Kill the connector once this many imports of the run have been journalled.
    pub kill_after_imports: Option<u64>,
}

/// A loaded, validated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// Where it was read from (or the label of an in-memory text).
    pub origin: String,
    /// The seed of everything generated.
    pub seed: u64,
    /// First instant of traffic.
    pub start: DateTime<Utc>,
    /// Service credentials.
    pub credentials: Credentials,
    /// Generated-people profile.
    pub organisation: Option<Organisation>,
    /// Employees written out in the scenario.
    pub employees: Vec<Person>,
    /// External contacts written out in the scenario.
    pub externals: Vec<Person>,
    /// Groups written out in the scenario.
    pub groups: Vec<Group>,
    /// Add a valid user for every employee.
    pub tenant_from_employees: bool,
    /// Tenant users written out in the scenario.
    pub tenant_users: Vec<TenantUser>,
    /// Generated-traffic profile.
    pub traffic: Option<Traffic>,
    /// Scripted items.
    pub items: Vec<ScriptedItem>,
    /// The scenario-wide mapping CSV, resolved against the scenario's folder.
    pub mapping: Option<PathBuf>,
    /// Scheduled connector runs.
    pub runs: Vec<Run>,
    /// Deliberate misbehaviour of either API.
    pub faults: Vec<FaultRule>,
    /// Graph-like throttling of the tenant.
    pub throttle: Option<Throttle>,
    /// The tenant's other Graph limits and the token lifetime.
    pub limits: TenantLimits,
    /// How the tenant fails as Graph does: quotas, statuses where Graph varies, folder names'
    /// language.
    pub failure_modes: super::failure_modes::FailureModes,
    /// The app registration: its granted application permissions and the mailboxes it may reach.
    pub app: AppRegistration,
    /// Phones offline for a while (`[[offline]]`): their items arrive late.
    pub offline: Vec<super::Offline>,
    /// The archive's retention and clock (`[vendor]`).
    pub vendor: super::Vendor,
}

/// `[tenant]` settings beyond users: token lifetime and Graph's opt-in limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantLimits {
    /// Lifetime of a client-credentials access token, seconds (Graph: 3599 or so).
    pub token_lifetime_seconds: u64,
    /// Largest request body, bytes; `None`: Graph's 4 MB
    /// ([`GRAPH_MAX_REQUEST_BYTES`](crate::http::graph::import::GRAPH_MAX_REQUEST_BYTES)).
    pub max_request_bytes: Option<u64>,
    /// Requests per mailbox per 10 minutes (Graph's 10,000); `None`: unlimited.
    pub requests_per_10_minutes: Option<u64>,
    /// Upload bytes per mailbox per 5 minutes (Graph's 150 MB); `None`: unlimited.
    pub upload_bytes_per_5_minutes: Option<u64>,
    /// Both rate windows shortened to this many seconds (Graph: 600 and 300), so that a test
    /// sees a window end; as Dev Proxy's `resetTimeWindowSeconds`. `None`: Graph's windows.
    pub rate_window_seconds: Option<u64>,
    /// What a MIME create posted to a folder's messages does (`[tenant] mime_on_folder_path`).
    pub mime_on_folder_path: MimeOnFolderPath,
}

/// What `POST /users/{id}/mailFolders/{id}/messages` with a MIME body does. Graph documents
/// that a MIME create makes a draft (<https://learn.microsoft.com/graph/api/user-post-messages>),
/// and lists the folder path among the create's paths; users report the folder path refusing
/// MIME with 400 `UnableToDeserializePostBody`
/// (<https://github.com/microsoftgraph/microsoft-graph-docs/issues/16368>). Both can be played.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MimeOnFolderPath {
    /// `"draft"` (the default, as documented): a draft in that folder.
    #[default]
    Draft,
    /// `"refuse"` (as observed): 400 `UnableToDeserializePostBody`.
    Refuse,
}

impl Default for TenantLimits {
    fn default() -> Self {
        TenantLimits {
            token_lifetime_seconds: 3599,
            max_request_bytes: None,
            requests_per_10_minutes: None,
            upload_bytes_per_5_minutes: None,
            rate_window_seconds: None,
            mime_on_folder_path: MimeOnFolderPath::Draft,
        }
    }
}

/// Tenant throttling: more than `per_mailbox` requests in flight for one mailbox get 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Requests allowed in flight per mailbox (Graph: 4).
    pub per_mailbox: usize,
    /// `Retry-After` seconds of the 429.
    pub retry_after: u64,
}
