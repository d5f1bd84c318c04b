//! Scenarios: the TOML model of an organisation, its tenant, its traffic and the connector runs a
//! conformance suite schedules, with loading and validation.
//!
//! Every error names the file, the line and the field, so a scenario author can fix it without
//! reading code. Parsing is strict (`deny_unknown_fields`); semantic checks (mobiles, ids, group
//! members, item references) run after parsing on spanned values.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use toml::Spanned;

use crate::faults::FaultRule;
use tm_contract::{MobileNumber, Region};

/// The scenario used when none is given: ~200 employees over 3 days.
pub const DEMO_SCENARIO: &str = include_str!("../../fixtures/scenarios/demo.toml");

/// A scenario that failed to load: which file, where, which field, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// The scenario file (or the label given for an in-memory text).
    pub file: String,
    /// 1-based line, when the problem has a place in the file.
    pub line: Option<usize>,
    /// The field at fault, as a dotted path (`employee[3].mobile`).
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Which messaging app an account belongs to, and the kind of an archived item: the
/// contract's enums (`wechat`/`wecom`, `chat`...`recall` in scenario files as on the wire).
pub use tm_contract::{Kind, Source as App};

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

// ---------------------------------------------------------------------------------------------
// The file as written (raw, spanned) ...

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    seed: u64,
    start: Spanned<String>,
    #[serde(default)]
    credentials: Option<Credentials>,
    #[serde(default)]
    organisation: Option<Organisation>,
    #[serde(default)]
    employee: Vec<RawPerson>,
    #[serde(default)]
    external: Vec<RawPerson>,
    #[serde(default)]
    group: Vec<RawGroup>,
    #[serde(default)]
    tenant: Option<RawTenant>,
    #[serde(default)]
    traffic: Option<Traffic>,
    #[serde(default)]
    item: Vec<RawItem>,
    #[serde(default)]
    mapping: Option<Spanned<String>>,
    #[serde(default)]
    run: Vec<RawRun>,
    #[serde(default)]
    fault: Vec<Spanned<FaultRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPerson {
    id: Spanned<String>,
    name: Spanned<String>,
    #[serde(default)]
    mobile: Option<Spanned<String>>,
    #[serde(default)]
    email: Option<Spanned<String>>,
    app: App,
    #[serde(default)]
    company: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    id: Spanned<String>,
    name: Spanned<String>,
    #[serde(default)]
    source: Option<App>,
    members: Spanned<Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTenant {
    #[serde(default = "yes")]
    from_employees: bool,
    #[serde(default)]
    user: Vec<RawUser>,
    #[serde(default)]
    throttle_per_mailbox: Option<usize>,
    #[serde(default)]
    throttle_retry_after: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUser {
    upn: Spanned<String>,
    #[serde(default)]
    mail: Option<Spanned<String>>,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default = "yes")]
    mailbox: bool,
    #[serde(default)]
    folders: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    #[serde(default)]
    id: Option<Spanned<String>>,
    at: Spanned<String>,
    kind: Kind,
    #[serde(default)]
    source: Option<App>,
    from: Spanned<String>,
    #[serde(default)]
    to: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    group: Option<Spanned<String>>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    size: Option<Spanned<u64>>,
    #[serde(default)]
    listed_size: Option<u64>,
    #[serde(default)]
    attachment: Option<Spanned<String>>,
    #[serde(default)]
    call: Option<CallSpec>,
    #[serde(default)]
    recalls: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRun {
    at: Spanned<String>,
    #[serde(default = "yes")]
    auto_mapping: bool,
    #[serde(default)]
    mapping: Option<Spanned<String>>,
    #[serde(default)]
    kill_after_imports: Option<u64>,
}

fn yes() -> bool {
    true
}

// ---------------------------------------------------------------------------------------------
// ... and the validated model.

/// Credentials of both simulated services.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// Vendor archive user name (`POST /tm/v1/session`).
    #[serde(default = "default_vendor_username")]
    pub vendor_username: String,
    /// Vendor archive password.
    #[serde(default = "default_vendor_password")]
    pub vendor_password: String,
    /// The bearer token the tenant API accepts.
    #[serde(default = "default_tenant_token")]
    pub tenant_token: String,
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

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            vendor_username: default_vendor_username(),
            vendor_password: default_vendor_password(),
            tenant_token: default_tenant_token(),
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
}

/// Tenant throttling: more than `per_mailbox` requests in flight for one mailbox get 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Requests allowed in flight per mailbox (Graph: 4).
    pub per_mailbox: usize,
    /// `Retry-After` seconds of the 429.
    pub retry_after: u64,
}

impl Scenario {
    /// A fingerprint of everything that decides the generated people, tenant and items (not the
    /// name, description, credentials, runs or faults): equal fingerprints, equal archives.
    pub fn content_fingerprint(&self) -> String {
        let content = format!(
            "{:?}",
            (
                self.seed,
                self.start,
                &self.organisation,
                &self.employees,
                &self.externals,
                &self.groups,
                self.tenant_from_employees,
                &self.tenant_users,
                &self.traffic,
                &self.items,
            )
        );
        format!("{:016x}", crate::generate::fxhash(&content))
    }

    /// Reads and validates a scenario file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
        let path = path.as_ref();
        let label = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: label.clone(),
            line: None,
            field: None,
            message: format!("cannot read: {e}"),
        })?;
        let base = path.parent().map(Path::to_path_buf);
        parse(&text, &label, base.as_deref())
    }

    /// Validates a scenario held in memory; `label` names it in errors. Relative mapping paths
    /// resolve against the current directory.
    pub fn from_toml_str(text: &str, label: &str) -> Result<Scenario, ScenarioError> {
        parse(text, label, None)
    }

    /// The embedded demo scenario (the default of `tm-simulator serve`).
    pub fn demo() -> Scenario {
        parse(DEMO_SCENARIO, "fixtures/scenarios/demo.toml", None).expect("the embedded demo scenario is valid")
    }
}

struct Ctx<'a> {
    text: &'a str,
    file: &'a str,
}

impl Ctx<'_> {
    fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end].iter().filter(|b| **b == b'\n').count() + 1
    }
    fn err<T>(&self, span: std::ops::Range<usize>, field: impl Into<String>, message: impl Into<String>) -> Result<T, ScenarioError> {
        Err(ScenarioError {
            file: self.file.to_string(),
            line: Some(self.line_of(span.start)),
            field: Some(field.into()),
            message: message.into(),
        })
    }
}

fn parse_time(ctx: &Ctx<'_>, value: &Spanned<String>, field: &str) -> Result<DateTime<Utc>, ScenarioError> {
    match DateTime::parse_from_rfc3339(value.get_ref()) {
        Ok(t) => Ok(t.with_timezone(&Utc)),
        Err(e) => ctx.err(value.span(), field, format!("`{}` is not an RFC 3339 time: {e}", value.get_ref())),
    }
}

fn check_email(ctx: &Ctx<'_>, value: &Spanned<String>, field: &str) -> Result<String, ScenarioError> {
    let v = value.get_ref().trim();
    let ok = v.is_ascii()
        && v.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty()
                && d.contains('.')
                && !d.starts_with('.')
                && !d.ends_with('.')
                && !v[..].contains(char::is_whitespace)
                && !d.contains('@')
        })
        && !v.contains(['<', '>', '"', ',', ';', '(', ')', '\\', '[', ']']);
    if ok { Ok(v.to_string()) } else { ctx.err(value.span(), field, format!("`{v}` is not an ASCII email address")) }
}

fn check_id(ctx: &Ctx<'_>, value: &Spanned<String>, field: &str) -> Result<String, ScenarioError> {
    let v = value.get_ref();
    let ok = !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if ok { Ok(v.clone()) } else { ctx.err(value.span(), field, format!("`{v}` is not an id (1-64 ASCII letters, digits, `-`, `_`, `.`)")) }
}

fn check_name(ctx: &Ctx<'_>, value: &Spanned<String>, field: &str) -> Result<String, ScenarioError> {
    let v = value.get_ref().trim();
    if v.is_empty() || v.chars().any(char::is_control) || v.len() > 200 {
        ctx.err(value.span(), field, "a name must be 1-200 bytes of printable text")
    } else {
        Ok(v.to_string())
    }
}

fn parse(text: &str, file: &str, base: Option<&Path>) -> Result<Scenario, ScenarioError> {
    let ctx = Ctx { text, file };
    let raw: RawScenario = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| ctx.line_of(s.start));
        ScenarioError { file: file.to_string(), line, field: None, message: e.message().trim().to_string() }
    })?;
    let resolve = |p: &Spanned<String>| -> PathBuf {
        let path = PathBuf::from(p.get_ref());
        match base {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path,
        }
    };

    let name = check_name(&ctx, &raw.name, "name")?;
    let start = parse_time(&ctx, &raw.start, "start")?;
    if let Some(org) = &raw.organisation {
        let shares = [
            ("organisation.wecom_share", org.wecom_share),
            ("organisation.alias_share", org.alias_share),
            ("organisation.disabled_share", org.disabled_share),
            ("organisation.no_mailbox_share", org.no_mailbox_share),
            ("organisation.unknown_email_share", org.unknown_email_share),
        ];
        for (field, share) in shares {
            if !(0.0..=1.0).contains(&share) {
                return Err(plain(file, field, format!("{share} is not a share between 0 and 1")));
            }
        }
        if !(3..=200).contains(&org.max_group_size) {
            return Err(plain(file, "organisation.max_group_size", "must be between 3 and 200"));
        }
        if org.groups > 0 && org.employees + raw.employee.len() < 2 {
            return Err(plain(file, "organisation.groups", "groups need at least two employees"));
        }
    }
    if let Some(t) = &raw.traffic {
        if t.days == 0 || t.days > 366 {
            return Err(plain(file, "traffic.days", "must be between 1 and 366"));
        }
        if !(t.items_per_employee_per_day >= 0.0 && t.items_per_employee_per_day <= 10_000.0) {
            return Err(plain(file, "traffic.items_per_employee_per_day", "must be between 0 and 10000"));
        }
        for (field, share) in
            [("traffic.recall_rate", t.recall_rate), ("traffic.oversize_rate", t.oversize_rate), ("traffic.group_share", t.group_share)]
        {
            if !(0.0..=1.0).contains(&share) {
                return Err(plain(file, field, format!("{share} is not a share between 0 and 1")));
            }
        }
        let m = &t.mix;
        let weights = [m.chat, m.attachment, m.file, m.call];
        if weights.iter().any(|w| w.is_nan() || *w < 0.0) || weights.iter().sum::<f64>() <= 0.0 {
            return Err(plain(file, "traffic.mix", "weights must be non-negative and not all zero"));
        }
    }

    let mut ids: BTreeMap<String, &'static str> = BTreeMap::new();
    let mut mobiles: BTreeMap<String, String> = BTreeMap::new();
    let mut persons = |list: &[RawPerson], section: &'static str, employee: bool| -> Result<Vec<Person>, ScenarioError> {
        let mut out = Vec::new();
        for (i, p) in list.iter().enumerate() {
            let at = |f: &str| format!("{section}[{i}].{f}");
            let id = check_id(&ctx, &p.id, &at("id"))?;
            if let Some(prev) = ids.insert(id.clone(), section) {
                return ctx.err(p.id.span(), at("id"), format!("duplicate id `{id}` (already used by an {prev})"));
            }
            let name = check_name(&ctx, &p.name, &at("name"))?;
            let mobile = match &p.mobile {
                None => None,
                Some(m) => match scenario_mobile(m.get_ref()) {
                    Some(e164) => {
                        if let Some(owner) = mobiles.insert(e164.clone(), id.clone()) {
                            return ctx.err(m.span(), at("mobile"), format!("mobile {e164} is already `{owner}`'s"));
                        }
                        Some(e164)
                    }
                    None => {
                        return ctx.err(
                            m.span(),
                            at("mobile"),
                            format!("`{}` is not a phone number (a CN number, or +<country> E.164)", m.get_ref()),
                        );
                    }
                },
            };
            let email = match &p.email {
                Some(e) => check_email(&ctx, e, &at("email"))?,
                None if employee => return ctx.err(p.id.span(), at("email"), "an employee needs the email registered with the vendor"),
                None => generated_external_email(&id, p.app),
            };
            out.push(Person { id, name, mobile, email, app: p.app, employee, company: p.company.clone() });
        }
        Ok(out)
    };
    let employees = persons(&raw.employee, "employee", true)?;
    let externals = persons(&raw.external, "external", false)?;

    let mut groups = Vec::new();
    for (i, g) in raw.group.iter().enumerate() {
        let at = |f: &str| format!("group[{i}].{f}");
        let id = check_id(&ctx, &g.id, &at("id"))?;
        if let Some(prev) = ids.insert(id.clone(), "group") {
            return ctx.err(g.id.span(), at("id"), format!("duplicate id `{id}` (already used by a {prev})"));
        }
        let name = check_name(&ctx, &g.name, &at("name"))?;
        let mut members = Vec::new();
        let mut seen = BTreeSet::new();
        for (j, m) in g.members.get_ref().iter().enumerate() {
            let field = at(&format!("members[{j}]"));
            match ids.get(m.get_ref().as_str()) {
                Some(&"employee") | Some(&"external") => {}
                Some(other) => return ctx.err(m.span(), field, format!("`{}` is a {other}, not a person", m.get_ref())),
                None => return ctx.err(m.span(), field, format!("no employee or external contact has id `{}`", m.get_ref())),
            }
            if !seen.insert(m.get_ref().clone()) {
                return ctx.err(m.span(), field, format!("`{}` is listed twice", m.get_ref()));
            }
            members.push(m.get_ref().clone());
        }
        if !(3..=500).contains(&members.len()) {
            return ctx.err(g.members.span(), at("members"), format!("a group has 3 to 500 members, not {}", members.len()));
        }
        let first_employee = members.iter().find_map(|m| employees.iter().find(|e| &e.id == m));
        let Some(owner) = first_employee else {
            return ctx.err(g.members.span(), at("members"), "a group needs at least one employee (only employees are archived)");
        };
        groups.push(Group { id, name, source: g.source.unwrap_or(owner.app), members });
    }

    let (tenant_from_employees, raw_users, throttle) = match raw.tenant {
        Some(t) => {
            let throttle = match (t.throttle_per_mailbox, t.throttle_retry_after) {
                (Some(0), _) => return Err(plain(file, "tenant.throttle_per_mailbox", "must be at least 1")),
                (Some(n), r) => Some(Throttle { per_mailbox: n, retry_after: r.unwrap_or(1) }),
                (None, Some(_)) => return Err(plain(file, "tenant.throttle_retry_after", "goes with tenant.throttle_per_mailbox")),
                (None, None) => None,
            };
            (t.from_employees, t.user, throttle)
        }
        None => (true, Vec::new(), None),
    };
    let mut tenant_users = Vec::new();
    let mut addresses: BTreeMap<String, usize> = BTreeMap::new();
    for (i, u) in raw_users.iter().enumerate() {
        let at = |f: &str| format!("tenant.user[{i}].{f}");
        let upn = check_email(&ctx, &u.upn, &at("upn"))?;
        let mail = match &u.mail {
            Some(m) => check_email(&ctx, m, &at("mail"))?,
            None => upn.clone(),
        };
        let mut aliases = Vec::new();
        for (j, a) in u.aliases.iter().enumerate() {
            aliases.push(check_email(&ctx, a, &at(&format!("aliases[{j}]")))?);
        }
        let mut all: BTreeSet<String> = BTreeSet::new();
        for a in std::iter::once(&upn).chain(std::iter::once(&mail)).chain(aliases.iter()) {
            all.insert(a.to_ascii_lowercase());
        }
        for a in &all {
            if let Some(prev) = addresses.insert(a.clone(), i) {
                return ctx.err(u.upn.span(), at("upn"), format!("address {a} already belongs to tenant.user[{prev}]"));
            }
        }
        let mut folders = Vec::new();
        for (j, f) in u.folders.iter().enumerate() {
            let field = at(&format!("folders[{j}]"));
            let name = check_name(&ctx, f, &field)?;
            if folders.iter().any(|x: &String| x.eq_ignore_ascii_case(&name))
                || crate::tenant::DEFAULT_FOLDERS.iter().any(|d| d.eq_ignore_ascii_case(&name))
            {
                return ctx.err(f.span(), field, format!("folder `{name}` exists twice"));
            }
            folders.push(name);
        }
        let display_name = u.display_name.clone().unwrap_or_else(|| upn.split('@').next().unwrap_or_default().to_string());
        tenant_users.push(TenantUser { upn, mail, aliases, display_name, enabled: u.enabled, mailbox: u.mailbox, folders });
    }

    let mut items: Vec<ScriptedItem> = Vec::new();
    let mut item_ids: BTreeMap<String, usize> = BTreeMap::new();
    for (i, it) in raw.item.iter().enumerate() {
        let at = |f: &str| format!("item[{i}].{f}");
        let id = match &it.id {
            Some(v) => check_id(&ctx, v, &at("id"))?,
            None => format!("S{:04}", i + 1),
        };
        if item_ids.insert(id.clone(), i).is_some() {
            let span = it.id.as_ref().map(|v| v.span()).unwrap_or(it.at.span());
            return ctx.err(span, at("id"), format!("duplicate item id `{id}`"));
        }
        let when = parse_time(&ctx, &it.at, &at("at"))?;
        let person = |v: &Spanned<String>, field: String| -> Result<String, ScenarioError> {
            match ids.get(v.get_ref().as_str()) {
                Some(&"employee") | Some(&"external") => Ok(v.get_ref().clone()),
                _ => ctx.err(v.span(), field, format!("no employee or external contact has id `{}`", v.get_ref())),
            }
        };
        let from = person(&it.from, at("from"))?;
        let mut to = Vec::new();
        if let Some(list) = &it.to {
            for (j, t) in list.get_ref().iter().enumerate() {
                to.push(person(t, at(&format!("to[{j}]")))?);
            }
        }
        let group = match &it.group {
            None => None,
            Some(g) => {
                let Some(group) = groups.iter().find(|x| &x.id == g.get_ref()) else {
                    return ctx.err(g.span(), at("group"), format!("no group has id `{}`", g.get_ref()));
                };
                if !group.members.contains(&from) {
                    return ctx.err(it.from.span(), at("from"), format!("`{from}` is not a member of group `{}`", group.id));
                }
                if !to.is_empty() {
                    return ctx.err(g.span(), at("group"), "give either `to` or `group`, not both");
                }
                Some(group.id.clone())
            }
        };
        if group.is_none() && to.is_empty() {
            return ctx.err(it.from.span(), at("to"), "an item needs `to` (1:1) or `group`");
        }
        let participants: Vec<&String> = std::iter::once(&from).chain(to.iter()).collect();
        let group_has_employee = group.as_ref().is_some_and(|g| groups.iter().any(|x| &x.id == g));
        if !group_has_employee && !participants.iter().any(|p| employees.iter().any(|e| &&e.id == p)) {
            return ctx.err(it.from.span(), at("from"), "an item needs an employee among its participants (only employees are archived)");
        }
        if let Some(size) = &it.size {
            if !matches!(it.kind, Kind::Attachment | Kind::File) {
                return ctx.err(size.span(), at("size"), "an exact size is only for kind attachment or file");
            }
            if *size.get_ref() < 4096 || *size.get_ref() > 200 * 1024 * 1024 {
                return ctx.err(size.span(), at("size"), "size must be between 4096 bytes and 200 MiB");
            }
        }
        if it.call.is_some() != (it.kind == Kind::Call) && it.call.is_some() {
            return ctx.err(it.at.span(), at("call"), "`call` is only for kind call");
        }
        if let Some(a) = &it.attachment {
            if !matches!(it.kind, Kind::Attachment | Kind::File) {
                return ctx.err(a.span(), at("attachment"), "an attachment name is only for kind attachment or file");
            }
            let name = check_name(&ctx, a, &at("attachment"))?;
            if name.contains(['/', '\\']) || !name.contains('.') {
                return ctx.err(a.span(), at("attachment"), "a file name needs an extension and no path");
            }
        }
        let recalls = match (&it.recalls, it.kind) {
            (Some(r), Kind::Recall) => Some(r.get_ref().clone()),
            (None, Kind::Recall) => return ctx.err(it.at.span(), at("recalls"), "a recall names the item it recalls"),
            (Some(r), _) => return ctx.err(r.span(), at("recalls"), "`recalls` is only for kind recall"),
            (None, _) => None,
        };
        items.push(ScriptedItem {
            id,
            at_ms: when.timestamp_millis(),
            kind: it.kind,
            source: it.source,
            from,
            to,
            group,
            text: it.text.clone(),
            size: it.size.as_ref().map(|s| *s.get_ref()),
            listed_size: it.listed_size,
            attachment: it.attachment.as_ref().map(|a| a.get_ref().trim().to_string()),
            call: it.call,
            recalls,
        });
    }
    for (i, it) in raw.item.iter().enumerate() {
        if let Some(r) = &it.recalls {
            match item_ids.get(r.get_ref()) {
                None => return ctx.err(r.span(), format!("item[{i}].recalls"), format!("no scripted item has id `{}`", r.get_ref())),
                Some(&j) if j == i => return ctx.err(r.span(), format!("item[{i}].recalls"), "an item cannot recall itself"),
                Some(&j) if items[j].kind == Kind::Recall => {
                    return ctx.err(r.span(), format!("item[{i}].recalls"), "a recall cannot be recalled");
                }
                Some(&j) if items[j].at_ms > items[i].at_ms => {
                    return ctx.err(r.span(), format!("item[{i}].recalls"), "a recall comes after the item it recalls");
                }
                Some(_) => {}
            }
        }
    }

    let mapping = raw.mapping.as_ref().map(resolve);
    let mut runs = Vec::new();
    for (i, r) in raw.run.iter().enumerate() {
        let at = parse_time(&ctx, &r.at, &format!("run[{i}].at"))?;
        if let Some(prev) = runs.last().map(|p: &Run| p.at)
            && at < prev
        {
            return ctx.err(r.at.span(), format!("run[{i}].at"), "runs are listed in time order");
        }
        runs.push(Run {
            at,
            auto_mapping: r.auto_mapping,
            mapping: r.mapping.as_ref().map(resolve).or_else(|| mapping.clone()),
            kill_after_imports: r.kill_after_imports,
        });
    }

    let mut faults = Vec::new();
    for (i, f) in raw.fault.iter().enumerate() {
        if let Err((field, message)) = f.get_ref().check() {
            return ctx.err(f.span(), format!("fault[{i}].{field}"), message);
        }
        faults.push(f.get_ref().clone());
    }

    Ok(Scenario {
        name,
        description: raw.description,
        origin: file.to_string(),
        seed: raw.seed,
        start,
        credentials: raw.credentials.unwrap_or_default(),
        organisation: raw.organisation,
        employees,
        externals,
        groups,
        tenant_from_employees,
        tenant_users,
        traffic: raw.traffic,
        items,
        mapping,
        runs,
        faults,
        throttle,
    })
}

fn plain(file: &str, field: &str, message: impl Into<String>) -> ScenarioError {
    ScenarioError { file: file.to_string(), line: None, field: Some(field.to_string()), message: message.into() }
}

/// The address the vendor gives an external contact who registered none.
/// A scenario author's mobile in E.164: as the contract reads it ([`MobileNumber`], CN unless it
/// has a `+country` code), or, for a number that reading finds invalid, its `+digits` as written
/// (8 to 15 digits). A vendor archives whatever number an account has: such a participant simply
/// has no mobile for routing, in the connector and in the suite's oracle alike (both read it
/// through `MobileNumber`).
fn scenario_mobile(text: &str) -> Option<String> {
    if let Ok(n) = MobileNumber::parse(text, Region::CN) {
        return Some(n.to_string());
    }
    let written = text.trim().strip_prefix('+')?;
    let digits: String = written.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.')).collect();
    let e164 = (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
    e164.then(|| format!("+{digits}"))
}

pub(crate) fn generated_external_email(handle: &str, app: App) -> String {
    let local: String =
        handle.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' { c } else { '_' }).collect();
    match app {
        App::Wechat => format!("{local}@wechat.archive.example"),
        App::Wecom => format!("{local}@wecom.archive.example"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "t"
seed = 1
start = "2026-11-20T00:00:00Z"
[[employee]]
id = "a"
name = "王伟"
mobile = "138 1234 5678"
email = "a@contoso.cn"
app = "wecom"
[[external]]
id = "b"
name = "李娜"
app = "wechat"
[[item]]
at = "2026-11-20T10:00:00Z"
kind = "chat"
from = "a"
to = ["b"]
"#;

    fn err(text: &str) -> ScenarioError {
        Scenario::from_toml_str(text, "bad.toml").unwrap_err()
    }

    #[test]
    fn a_minimal_scenario_loads_with_normalised_mobiles_and_defaults() {
        let s = Scenario::from_toml_str(MINIMAL, "t.toml").unwrap();
        assert_eq!(s.employees[0].mobile.as_deref(), Some("+8613812345678"));
        assert_eq!(s.externals[0].email, "b@wechat.archive.example");
        assert_eq!(s.items[0].id, "S0001");
        assert_eq!(s.credentials, Credentials::default());
    }

    #[test]
    fn an_unknown_field_is_named_with_its_line() {
        let e = err(&MINIMAL.replace("app = \"wecom\"", "app = \"wecom\"\ncolour = \"red\""));
        assert_eq!(e.line, Some(11));
        assert!(e.message.contains("colour"), "{e}");
    }

    #[test]
    fn a_bad_mobile_is_named_with_file_line_and_field() {
        let e = err(&MINIMAL.replace("138 1234 5678", "12345"));
        assert_eq!((e.file.as_str(), e.line, e.field.as_deref()), ("bad.toml", Some(8), Some("employee[0].mobile")));
        assert!(e.to_string().starts_with("bad.toml:8: field `employee[0].mobile`"), "{e}");
    }

    #[test]
    fn a_duplicate_person_id_is_an_error() {
        let e = err(&MINIMAL.replace("id = \"b\"", "id = \"a\""));
        assert_eq!(e.field.as_deref(), Some("external[0].id"));
        assert!(e.message.contains("duplicate id `a`"), "{e}");
    }

    #[test]
    fn a_dangling_group_member_is_an_error() {
        let text = format!("{MINIMAL}\n[[group]]\nid = \"g\"\nname = \"G\"\nmembers = [\"a\", \"b\", \"ghost\"]\n");
        let e = err(&text);
        assert_eq!(e.field.as_deref(), Some("group[0].members[2]"));
        assert!(e.message.contains("ghost"), "{e}");
        assert_eq!(e.line, Some(24));
    }

    #[test]
    fn a_recall_must_name_an_existing_earlier_item() {
        let text = format!(
            "{MINIMAL}\n[[item]]\nat = \"2026-11-20T10:01:00Z\"\nkind = \"recall\"\nfrom = \"a\"\nto = [\"b\"]\nrecalls = \"nope\"\n"
        );
        let e = err(&text);
        assert_eq!(e.field.as_deref(), Some("item[1].recalls"));
        let ok = text.replace("\"nope\"", "\"S0001\"");
        assert_eq!(Scenario::from_toml_str(&ok, "t").unwrap().items[1].recalls.as_deref(), Some("S0001"));
    }

    #[test]
    fn a_fault_rule_is_checked_and_named_with_its_line() {
        let text = format!("{MINIMAL}\n[[fault]]\napi = \"vendor\"\nop = \"raw\"\naction = \"status\"\nstatus = 503\n");
        let e = err(&text);
        assert_eq!((e.field.as_deref(), e.line), (Some("fault[0].retry_after"), Some(21)), "{e}");
        let ok = Scenario::from_toml_str(&format!("{text}retry_after = 2\n"), "t").unwrap();
        assert_eq!(ok.faults.len(), 1);
        let e = err(&format!("{MINIMAL}\n[[fault]]\napi = \"vendor\"\naction = \"explode\"\n"));
        assert!(e.message.contains("explode"), "{e}");
    }

    #[test]
    fn the_demo_scenario_is_valid() {
        let demo = Scenario::demo();
        assert_eq!(demo.name, "demo");
        assert!(demo.traffic.is_some());
    }
}
