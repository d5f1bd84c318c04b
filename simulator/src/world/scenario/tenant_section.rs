//! `[tenant]`: the tenant's users (addresses unique over UPN, primary and aliases), their
//! folders, the throttle and the limits. Part of the scenario's validation (`validate.rs`).

use std::collections::{BTreeMap, BTreeSet};

use super::ScenarioError;
use super::model::*;
use super::raw::*;
use super::validate::*;

pub(super) type TenantParts = (bool, Vec<TenantUser>, Option<Throttle>, TenantLimits);

/// `[tenant]`: users' addresses unique over UPN, primary and aliases; folders; the throttle and
/// the limits.
pub(super) fn tenant(ctx: &Ctx<'_>, raw: Option<RawTenant>) -> Result<TenantParts, ScenarioError> {
    let file = ctx.file;
    let mut limits = TenantLimits::default();
    let (tenant_from_employees, raw_users, throttle) = match raw {
        Some(t) => {
            let at_least = |v: &Option<toml::Spanned<u64>>, field: &str, min: u64| -> Result<Option<u64>, ScenarioError> {
                match v {
                    Some(n) if *n.get_ref() < min => ctx.err(n.span(), format!("tenant.{field}"), format!("must be at least {min}")),
                    Some(n) => Ok(Some(*n.get_ref())),
                    None => Ok(None),
                }
            };
            if let Some(n) = at_least(&t.token_lifetime_seconds, "token_lifetime_seconds", 1)? {
                limits.token_lifetime_seconds = n;
            }
            limits.max_request_bytes = at_least(&t.max_request_bytes, "max_request_bytes", 1024)?;
            limits.requests_per_10_minutes = at_least(&t.requests_per_10_minutes, "requests_per_10_minutes", 1)?;
            limits.upload_bytes_per_5_minutes = at_least(&t.upload_bytes_per_5_minutes, "upload_bytes_per_5_minutes", 1)?;
            limits.rate_window_seconds = at_least(&t.rate_window_seconds, "rate_window_seconds", 1)?;
            if let Some(v) = &t.mime_on_folder_path {
                limits.mime_on_folder_path = match v.get_ref().as_str() {
                    "draft" => MimeOnFolderPath::Draft,
                    "refuse" => MimeOnFolderPath::Refuse,
                    other => {
                        return ctx.err(v.span(), "tenant.mime_on_folder_path", format!("is \"draft\" or \"refuse\", not {other:?}"));
                    }
                };
            }
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
        let upn = check_email(ctx, &u.upn, &at("upn"))?;
        let mail = match &u.mail {
            Some(m) => check_email(ctx, m, &at("mail"))?,
            None => upn.clone(),
        };
        let mut aliases = Vec::new();
        for (j, a) in u.aliases.iter().enumerate() {
            aliases.push(check_email(ctx, a, &at(&format!("aliases[{j}]")))?);
        }
        let mut all: BTreeSet<String> = BTreeSet::new();
        for a in std::iter::once(&upn).chain(std::iter::once(&mail)).chain(aliases.iter()) {
            all.insert(tm_contract::address_key(a));
        }
        for a in &all {
            if let Some(prev) = addresses.insert(a.clone(), i) {
                return ctx.err(u.upn.span(), at("upn"), format!("address {a} already belongs to tenant.user[{prev}]"));
            }
        }
        let (mut folders, mut hidden_folders) = (Vec::new(), Vec::new());
        let listed = u.folders.iter().map(|f| (f, "folders", false)).chain(u.hidden_folders.iter().map(|f| (f, "hidden_folders", true)));
        let mut index: BTreeMap<&str, usize> = BTreeMap::new();
        for (f, list, hidden) in listed {
            let j = index.entry(list).or_insert(0);
            let field = at(&format!("{list}[{j}]"));
            *j += 1;
            let name = check_name(ctx, f, &field)?;
            if folders.iter().chain(&hidden_folders).any(|x: &String| x.eq_ignore_ascii_case(&name))
                || crate::tenant::DEFAULT_FOLDERS.iter().any(|d| d.0.eq_ignore_ascii_case(&name))
            {
                return ctx.err(f.span(), field, format!("folder `{name}` exists twice"));
            }
            if hidden { hidden_folders.push(name) } else { folders.push(name) }
        }
        let display_name = u.display_name.clone().unwrap_or_else(|| upn.split('@').next().unwrap_or_default().to_string());
        tenant_users.push(TenantUser { upn, mail, aliases, display_name, enabled: u.enabled, mailbox: u.mailbox, folders, hidden_folders });
    }
    Ok((tenant_from_employees, tenant_users, throttle, limits))
}
