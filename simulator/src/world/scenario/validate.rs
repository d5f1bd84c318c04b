//! Validation: the raw file becomes a [`Scenario`], section by section, each checked by its own
//! function; every error names the file, the line and the field.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use tm_contract::{MobileNumber, Region};
use toml::Spanned;

use super::model::*;
use super::raw::*;
use super::tenant_section::tenant;
use super::{App, Kind, ScenarioError};
use crate::world::faults::FaultRule;

/// The text being validated and its file's name, for errors that name the line.
pub(super) struct Ctx<'a> {
    text: &'a str,
    pub(super) file: &'a str,
}

impl Ctx<'_> {
    /// The 1-based line of a byte offset.
    pub(super) fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end].iter().filter(|b| **b == b'\n').count() + 1
    }
    /// An error at `span`, naming `field`.
    pub(super) fn err<T>(
        &self,
        span: std::ops::Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Result<T, ScenarioError> {
        Err(ScenarioError {
            file: self.file.to_string(),
            line: Some(self.line_of(span.start)),
            field: Some(field.into()),
            message: message.into(),
        })
    }
}

pub(super) fn parse_time(ctx: &Ctx<'_>, value: &Spanned<String>, field: &str) -> Result<DateTime<Utc>, ScenarioError> {
    match DateTime::parse_from_rfc3339(value.get_ref()) {
        Ok(t) => Ok(t.with_timezone(&Utc)),
        Err(e) => ctx.err(value.span(), field, format!("`{}` is not an RFC 3339 time: {e}", value.get_ref())),
    }
}

/// An ASCII email address, trimmed.
pub(super) fn check_email(ctx: &Ctx<'_>, value: &Spanned<String>, field: &str) -> Result<String, ScenarioError> {
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

pub(super) fn check_id(ctx: &Ctx<'_>, value: &Spanned<String>, field: &str) -> Result<String, ScenarioError> {
    let v = value.get_ref();
    let ok = !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if ok { Ok(v.clone()) } else { ctx.err(value.span(), field, format!("`{v}` is not an id (1-64 ASCII letters, digits, `-`, `_`, `.`)")) }
}

pub(super) fn check_name(ctx: &Ctx<'_>, value: &Spanned<String>, field: &str) -> Result<String, ScenarioError> {
    let v = value.get_ref().trim();
    if v.is_empty() || v.chars().any(char::is_control) || v.len() > 200 {
        ctx.err(value.span(), field, "a name must be 1-200 bytes of printable text")
    } else {
        Ok(v.to_string())
    }
}

/// Reads and validates a scenario: the file, then each section by its own function.
pub(super) fn parse(text: &str, file: &str, base: Option<&Path>) -> Result<Scenario, ScenarioError> {
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
        organisation(file, org, raw.employee.len())?;
    }
    if let Some(t) = &raw.traffic {
        traffic(file, t)?;
    }
    let mut taken = Taken::default();
    let employees = persons(&ctx, &mut taken, &raw.employee, "employee", true)?;
    let externals = persons(&ctx, &mut taken, &raw.external, "external", false)?;
    let groups = groups(&ctx, &mut taken, &raw.group, &employees)?;
    let mut items = items(&ctx, &taken, &raw.item, &groups, &employees)?;
    super::arrival::scripted_archived(&ctx, &raw.item, &mut items)?;
    let known = |id: &str| employees.iter().chain(&externals).any(|p| p.id == id);
    let (offline, vendor) = (super::arrival::offline(&ctx, &raw.offline, &known)?, super::arrival::vendor(&ctx, raw.vendor.as_ref())?);
    let failure_modes = super::failure_modes::check(&ctx, raw.tenant.as_ref())?;
    let app = match &raw.tenant {
        Some(t) => super::access::registration(&ctx, t.app_permissions.as_ref(), t.app_scope.as_deref())?,
        None => super::AppRegistration::default(),
    };
    let (tenant_from_employees, tenant_users, throttle, limits) = tenant(&ctx, raw.tenant)?;
    let mapping = raw.mapping.as_ref().map(resolve);
    let runs = runs(&ctx, &raw.run, mapping.as_ref(), &resolve)?;
    let faults = faults(&ctx, &raw.fault)?;

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
        limits,
        failure_modes,
        app,
        offline,
        vendor,
    })
}

/// `[organisation]`: shares between 0 and 1, group sizes, groups need employees.
fn organisation(file: &str, org: &Organisation, scripted_employees: usize) -> Result<(), ScenarioError> {
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
    if org.groups > 0 && org.employees + scripted_employees < 2 {
        return Err(plain(file, "organisation.groups", "groups need at least two employees"));
    }
    Ok(())
}

/// `[traffic]`: days, rates and shares in range, a usable mix.
fn traffic(file: &str, t: &Traffic) -> Result<(), ScenarioError> {
    if t.days == 0 || t.days > 366 {
        return Err(plain(file, "traffic.days", "must be between 1 and 366"));
    }
    if !(t.items_per_employee_per_day >= 0.0 && t.items_per_employee_per_day <= 10_000.0) {
        return Err(plain(file, "traffic.items_per_employee_per_day", "must be between 0 and 10000"));
    }
    for (field, share) in [
        ("traffic.recall_rate", t.recall_rate),
        ("traffic.oversize_rate", t.oversize_rate),
        ("traffic.group_share", t.group_share),
        ("traffic.late_share", t.late_share),
    ] {
        if !(0.0..=1.0).contains(&share) {
            return Err(plain(file, field, format!("{share} is not a share between 0 and 1")));
        }
    }
    let m = &t.mix;
    let weights = [m.chat, m.attachment, m.file, m.call];
    if weights.iter().any(|w| w.is_nan() || *w < 0.0) || weights.iter().sum::<f64>() <= 0.0 {
        return Err(plain(file, "traffic.mix", "weights must be non-negative and not all zero"));
    }
    Ok(())
}

/// Ids taken so far (by section) and mobiles taken (by whom): people, groups and items share one
/// id space, a mobile belongs to one person.
#[derive(Default)]
pub(super) struct Taken {
    pub(super) ids: BTreeMap<String, &'static str>,
    mobiles: BTreeMap<String, String>,
}

/// `[[employee]]` and `[[external]]`: ids, names, mobiles (E.164, unique), addresses.
fn persons(
    ctx: &Ctx<'_>,
    taken: &mut Taken,
    list: &[RawPerson],
    section: &'static str,
    employee: bool,
) -> Result<Vec<Person>, ScenarioError> {
    let mut out = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let at = |f: &str| format!("{section}[{i}].{f}");
        let id = check_id(ctx, &p.id, &at("id"))?;
        if let Some(prev) = taken.ids.insert(id.clone(), section) {
            return ctx.err(p.id.span(), at("id"), format!("duplicate id `{id}` (already used by an {prev})"));
        }
        let name = check_name(ctx, &p.name, &at("name"))?;
        let mobile = match &p.mobile {
            None => None,
            Some(m) => match scenario_mobile(m.get_ref()) {
                Some(e164) => {
                    if let Some(owner) = taken.mobiles.insert(e164.clone(), id.clone()) {
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
            Some(e) => check_email(ctx, e, &at("email"))?,
            None if employee => return ctx.err(p.id.span(), at("email"), "an employee needs the email registered with the vendor"),
            None => generated_external_email(&id, p.app),
        };
        out.push(Person { id, name, mobile, email, app: p.app, employee, company: p.company.clone() });
    }
    Ok(out)
}

/// `[[group]]`: members are people, listed once, 3 to 500, at least one employee.
fn groups(ctx: &Ctx<'_>, taken: &mut Taken, raw: &[RawGroup], employees: &[Person]) -> Result<Vec<Group>, ScenarioError> {
    let mut groups = Vec::new();
    for (i, g) in raw.iter().enumerate() {
        let at = |f: &str| format!("group[{i}].{f}");
        let id = check_id(ctx, &g.id, &at("id"))?;
        if let Some(prev) = taken.ids.insert(id.clone(), "group") {
            return ctx.err(g.id.span(), at("id"), format!("duplicate id `{id}` (already used by a {prev})"));
        }
        let name = check_name(ctx, &g.name, &at("name"))?;
        let mut members = Vec::new();
        let mut seen = BTreeSet::new();
        for (j, m) in g.members.get_ref().iter().enumerate() {
            let field = at(&format!("members[{j}]"));
            match taken.ids.get(m.get_ref().as_str()) {
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
    Ok(groups)
}

/// `[[item]]`: people and groups that exist, `to` or `group`, an employee among the participants,
/// sizes, names and calls only where they apply, recalls of earlier items.
fn items(
    ctx: &Ctx<'_>,
    taken: &Taken,
    raw: &[RawItem],
    groups: &[Group],
    employees: &[Person],
) -> Result<Vec<ScriptedItem>, ScenarioError> {
    let mut items: Vec<ScriptedItem> = Vec::new();
    let mut item_ids: BTreeMap<String, usize> = BTreeMap::new();
    for (i, it) in raw.iter().enumerate() {
        let id = item_id(ctx, i, it, &mut item_ids)?;
        let when = parse_time(ctx, &it.at, &format!("item[{i}].at"))?;
        let (from, to, group) = item_participants(ctx, taken, i, it, groups, employees)?;
        item_kind_fields(ctx, i, it)?;
        let recalls = item_recalls(ctx, i, it)?;
        let (content_type, quoted) =
            super::content::item_content(ctx, taken, i, it, groups, (from.as_str(), to.as_slice(), group.as_deref()))?;
        items.push(ScriptedItem {
            id,
            at_ms: when.timestamp_millis(),
            kind: it.kind,
            content_type,
            quoted,
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
            archived_ms: None,
        });
    }
    recall_targets(ctx, raw, &item_ids, &items)?;
    Ok(items)
}

/// An item's id, as written or `S0001`…, unique among the items; recorded in `item_ids`.
fn item_id(ctx: &Ctx<'_>, i: usize, it: &RawItem, item_ids: &mut BTreeMap<String, usize>) -> Result<String, ScenarioError> {
    let at = |f: &str| format!("item[{i}].{f}");
    let id = match &it.id {
        Some(v) => super::item_id::check(ctx, v, &at("id"))?,
        None => format!("S{:04}", i + 1),
    };
    if item_ids.insert(id.clone(), i).is_some() {
        let span = it.id.as_ref().map(|v| v.span()).unwrap_or(it.at.span());
        return ctx.err(span, at("id"), format!("duplicate item id `{id}`"));
    }
    Ok(id)
}

/// An item's `from`, `to` and `group`: people and groups that exist, `to` or `group`, an
/// employee among the participants.
fn item_participants(
    ctx: &Ctx<'_>,
    taken: &Taken,
    i: usize,
    it: &RawItem,
    groups: &[Group],
    employees: &[Person],
) -> Result<(String, Vec<String>, Option<String>), ScenarioError> {
    let at = |f: &str| format!("item[{i}].{f}");
    let person = |v: &Spanned<String>, field: String| -> Result<String, ScenarioError> {
        match taken.ids.get(v.get_ref().as_str()) {
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
    let group = item_group(ctx, i, it, groups, &from, &to)?;
    if group.is_none() && to.is_empty() {
        return ctx.err(it.from.span(), at("to"), "an item needs `to` (1:1) or `group`");
    }
    let participants: Vec<&String> = std::iter::once(&from).chain(to.iter()).collect();
    let group_has_employee = group.as_ref().is_some_and(|g| groups.iter().any(|x| &x.id == g));
    if !group_has_employee && !participants.iter().any(|p| employees.iter().any(|e| &&e.id == p)) {
        return ctx.err(it.from.span(), at("from"), "an item needs an employee among its participants (only employees are archived)");
    }
    Ok((from, to, group))
}

/// An item's `group`, if any: a group that exists, with `from` among its members, and no `to`.
fn item_group(ctx: &Ctx<'_>, i: usize, it: &RawItem, groups: &[Group], from: &str, to: &[String]) -> Result<Option<String>, ScenarioError> {
    let at = |f: &str| format!("item[{i}].{f}");
    let Some(g) = &it.group else {
        return Ok(None);
    };
    let Some(group) = groups.iter().find(|x| &x.id == g.get_ref()) else {
        return ctx.err(g.span(), at("group"), format!("no group has id `{}`", g.get_ref()));
    };
    if !group.members.iter().any(|m| m == from) {
        return ctx.err(it.from.span(), at("from"), format!("`{from}` is not a member of group `{}`", group.id));
    }
    if !to.is_empty() {
        return ctx.err(g.span(), at("group"), "give either `to` or `group`, not both");
    }
    Ok(Some(group.id.clone()))
}

/// An item's `size`, `call` and `attachment`: only for the kinds they apply to, in range.
fn item_kind_fields(ctx: &Ctx<'_>, i: usize, it: &RawItem) -> Result<(), ScenarioError> {
    let at = |f: &str| format!("item[{i}].{f}");
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
        let name = check_name(ctx, a, &at("attachment"))?;
        if name.contains(['/', '\\']) || !name.contains('.') {
            return ctx.err(a.span(), at("attachment"), "a file name needs an extension and no path");
        }
    }
    Ok(())
}

/// An item's `recalls`: given exactly when the kind is recall.
fn item_recalls(ctx: &Ctx<'_>, i: usize, it: &RawItem) -> Result<Option<String>, ScenarioError> {
    let at = |f: &str| format!("item[{i}].{f}");
    match (&it.recalls, it.kind) {
        (Some(r), Kind::Recall) => Ok(Some(r.get_ref().clone())),
        (None, Kind::Recall) => ctx.err(it.at.span(), at("recalls"), "a recall names the item it recalls"),
        (Some(r), _) => ctx.err(r.span(), at("recalls"), "`recalls` is only for kind recall"),
        (None, _) => Ok(None),
    }
}

/// Each recall's target: a scripted item, not itself, not a recall, not later than the recall.
fn recall_targets(ctx: &Ctx<'_>, raw: &[RawItem], item_ids: &BTreeMap<String, usize>, items: &[ScriptedItem]) -> Result<(), ScenarioError> {
    for (i, it) in raw.iter().enumerate() {
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
    Ok(())
}

/// `[[run]]`: times in order; each run's mapping, or the scenario's.
fn runs(
    ctx: &Ctx<'_>,
    raw: &[RawRun],
    mapping: Option<&PathBuf>,
    resolve: &dyn Fn(&Spanned<String>) -> PathBuf,
) -> Result<Vec<Run>, ScenarioError> {
    let mut runs = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        let at = parse_time(ctx, &r.at, &format!("run[{i}].at"))?;
        if let Some(prev) = runs.last().map(|p: &Run| p.at)
            && at < prev
        {
            return ctx.err(r.at.span(), format!("run[{i}].at"), "runs are listed in time order");
        }
        runs.push(Run {
            at,
            auto_mapping: r.auto_mapping,
            mapping: r.mapping.as_ref().map(resolve).or_else(|| mapping.cloned()),
            kill_after_imports: r.kill_after_imports,
        });
    }
    Ok(runs)
}

/// `[[fault]]`: each rule checked by the fault plan's own rules.
fn faults(ctx: &Ctx<'_>, raw: &[Spanned<FaultRule>]) -> Result<Vec<FaultRule>, ScenarioError> {
    let mut faults = Vec::new();
    for (i, f) in raw.iter().enumerate() {
        if let Err((field, message)) = f.get_ref().check() {
            return ctx.err(f.span(), format!("fault[{i}].{field}"), message);
        }
        faults.push(f.get_ref().clone());
    }
    Ok(faults)
}

pub(super) fn plain(file: &str, field: &str, message: impl Into<String>) -> ScenarioError {
    ScenarioError { file: file.to_string(), line: None, field: Some(field.to_string()), message: message.into() }
}

/// A scenario author's mobile in E.164: as the contract reads it ([`MobileNumber`], CN unless it
/// has a `+country` code), or, for a number that reading finds invalid, its `+digits` as written
/// (8 to 15 digits). A vendor archives whatever number an account has: such a participant simply
/// has no mobile for routing, in the connector and in the suite's oracle alike (both read it
/// through `MobileNumber`).
pub(super) fn scenario_mobile(text: &str) -> Option<String> {
    if let Ok(n) = MobileNumber::parse(text, Region::CN) {
        return Some(n.to_string());
    }
    let written = text.trim().strip_prefix('+')?;
    let digits: String = written.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.')).collect();
    let e164 = (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
    e164.then(|| format!("+{digits}"))
}

/// The address the vendor gives an external contact who registered none.
pub(crate) fn generated_external_email(handle: &str, app: App) -> String {
    let local: String =
        handle.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' { c } else { '_' }).collect();
    match app {
        App::Wechat => format!("{local}@wechat.archive.example"),
        App::Wecom => format!("{local}@wecom.archive.example"),
    }
}
