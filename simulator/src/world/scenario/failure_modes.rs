//! `[tenant]`'s failure modes as Graph has them, read and checked: the mailboxes' quota
//! (`mailbox_quota_bytes`, per user `quota_bytes`) and the status a full mailbox answers
//! (`quota_exceeded_status`), the status of `ErrorFolderExists` (`folder_exists_status`), and the
//! language the default folders are named in (`locale`, per user too). Every error names the
//! file, the line and the field. Sources: docs/contract.md, "Failure modes".

use std::collections::BTreeMap;

use toml::Spanned;

use super::ScenarioError;
use super::raw::{RawTenant, RawUser};
use super::validate::Ctx;
use crate::world::locale::{Locale, SUPPORTED};

/// Statuses a full mailbox is reported answering: 403 `ErrorQuotaExceeded` (the default), 507.
pub const QUOTA_STATUSES: [u16; 2] = [403, 507];
/// Statuses `ErrorFolderExists` is reported with: 409 (the default), 400.
pub const FOLDER_EXISTS_STATUSES: [u16; 2] = [409, 400];

/// How the tenant fails as Graph does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureModes {
    /// Every mailbox's quota in bytes (Exchange's `ProhibitSendReceiveQuota`); `None`: unlimited.
    pub mailbox_quota_bytes: Option<u64>,
    /// The status of an import refused for the quota: 403 (`ErrorQuotaExceeded`) or 507.
    pub quota_exceeded_status: u16,
    /// The status of `ErrorFolderExists`: 409 or 400.
    pub folder_exists_status: u16,
    /// The language of every mailbox's default folder names.
    pub locale: Locale,
    /// Per-user settings of the scenario's `[[tenant.user]]`, by UPN in lowercase.
    pub users: BTreeMap<String, UserModes>,
}

/// One user's own failure-mode settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserModes {
    /// This mailbox's quota in bytes, over the tenant's.
    pub quota_bytes: Option<u64>,
    /// This mailbox's language, over the tenant's.
    pub locale: Option<Locale>,
}

impl Default for FailureModes {
    fn default() -> Self {
        FailureModes {
            mailbox_quota_bytes: None,
            quota_exceeded_status: QUOTA_STATUSES[0],
            folder_exists_status: FOLDER_EXISTS_STATUSES[0],
            locale: Locale::EnUs,
            users: BTreeMap::new(),
        }
    }
}

impl FailureModes {
    /// The settings of the user with this UPN (any case).
    pub fn user(&self, upn: &str) -> UserModes {
        self.users.get(&upn.to_ascii_lowercase()).copied().unwrap_or_default()
    }

    /// The quota of a user's mailbox, if it has one.
    pub fn quota_of(&self, upn: &str) -> Option<u64> {
        self.user(upn).quota_bytes.or(self.mailbox_quota_bytes)
    }

    /// The language of a user's mailbox.
    pub fn locale_of(&self, upn: &str) -> Locale {
        self.user(upn).locale.unwrap_or(self.locale)
    }

    /// What the tenant's content fingerprint adds for the folders' language: `None` when every
    /// mailbox is en-US.
    pub fn locale_fingerprint(&self) -> Option<String> {
        let users: Vec<(&String, Locale)> = self.users.iter().filter_map(|(u, m)| Some((u, m.locale?))).collect();
        (self.locale != Locale::EnUs || !users.is_empty()).then(|| format!("{:?}", (self.locale, users)))
    }
}

/// Reads `[tenant]`'s failure modes (defaults without a `[tenant]`).
pub(super) fn check(ctx: &Ctx<'_>, raw: Option<&RawTenant>) -> Result<FailureModes, ScenarioError> {
    let mut modes = FailureModes::default();
    let Some(t) = raw else { return Ok(modes) };
    modes.mailbox_quota_bytes = quota(ctx, t.mailbox_quota_bytes.as_ref(), "tenant.mailbox_quota_bytes")?;
    if let Some(s) = &t.quota_exceeded_status {
        modes.quota_exceeded_status = one_of(ctx, s, "tenant.quota_exceeded_status", &QUOTA_STATUSES)?;
    }
    if let Some(s) = &t.folder_exists_status {
        modes.folder_exists_status = one_of(ctx, s, "tenant.folder_exists_status", &FOLDER_EXISTS_STATUSES)?;
    }
    if let Some(l) = &t.locale {
        modes.locale = locale(ctx, l, "tenant.locale")?;
    }
    for (i, u) in t.user.iter().enumerate() {
        let at = |f: &str| format!("tenant.user[{i}].{f}");
        let quota_bytes = quota(ctx, u.quota_bytes.as_ref(), &at("quota_bytes"))?;
        let own = u.locale.as_ref().map(|l| locale(ctx, l, &at("locale"))).transpose()?;
        no_default_folder_twice(ctx, u, own.unwrap_or(modes.locale), &at)?;
        if quota_bytes.is_some() || own.is_some() {
            modes.users.insert(u.upn.get_ref().trim().to_ascii_lowercase(), UserModes { quota_bytes, locale: own });
        }
    }
    Ok(modes)
}

/// A quota: at least one byte.
fn quota(ctx: &Ctx<'_>, v: Option<&Spanned<u64>>, field: &str) -> Result<Option<u64>, ScenarioError> {
    match v {
        Some(n) if *n.get_ref() == 0 => ctx.err(n.span(), field, "a quota is at least 1 byte (leave it out for none)"),
        Some(n) => Ok(Some(*n.get_ref())),
        None => Ok(None),
    }
}

/// A status among the ones Graph is reported answering.
fn one_of(ctx: &Ctx<'_>, v: &Spanned<u16>, field: &str, allowed: &[u16]) -> Result<u16, ScenarioError> {
    let s = *v.get_ref();
    if allowed.contains(&s) {
        return Ok(s);
    }
    let listed: Vec<String> = allowed.iter().map(u16::to_string).collect();
    ctx.err(v.span(), field, format!("{s} is not a status Graph answers here: one of {}", listed.join(", ")))
}

/// A locale the tenant offers.
fn locale(ctx: &Ctx<'_>, v: &Spanned<String>, field: &str) -> Result<Locale, ScenarioError> {
    match Locale::parse(v.get_ref()) {
        Some(l) => Ok(l),
        None => ctx.err(v.span(), field, format!("`{}` is not a locale offered: one of {}", v.get_ref(), SUPPORTED.join(", "))),
    }
}

/// A user's extra folders are none of the default ones in the mailbox's language (the English
/// names are checked with the rest of `[[tenant.user]]`).
fn no_default_folder_twice(ctx: &Ctx<'_>, u: &RawUser, locale: Locale, at: &dyn Fn(&str) -> String) -> Result<(), ScenarioError> {
    let lists = [("folders", &u.folders), ("hidden_folders", &u.hidden_folders)];
    for (list, names) in lists {
        for (j, f) in names.iter().enumerate() {
            let name = f.get_ref().trim();
            let clash =
                crate::tenant::DEFAULT_FOLDERS.iter().find(|(_, w)| locale.folder_name(w).is_some_and(|n| n.eq_ignore_ascii_case(name)));
            if let Some((_, well_known)) = clash {
                let message = format!("folder `{name}` exists twice (the {locale} name of `{well_known}`)");
                return ctx.err(f.span(), at(&format!("{list}[{j}]")), message);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::Scenario;
    use super::*;

    const BASE: &str = "name = \"t\"\nseed = 1\nstart = \"2026-03-02T09:00:00+08:00\"\n";

    fn load(tenant: &str) -> Result<Scenario, ScenarioError> {
        Scenario::from_toml_str(&format!("{BASE}[tenant]\n{tenant}"), "t.toml")
    }

    fn refused(tenant: &str) -> (Option<String>, Option<usize>, String) {
        let e = load(tenant).unwrap_err();
        (e.field, e.line, e.message)
    }

    #[test]
    fn defaults_are_graph_s_documented_or_most_reported() {
        let m = load("").unwrap().failure_modes;
        assert_eq!(m, FailureModes::default());
        assert_eq!((m.quota_exceeded_status, m.folder_exists_status, m.locale), (403, 409, Locale::EnUs));
        assert_eq!(m.locale_fingerprint(), None);
    }

    #[test]
    fn settings_are_read_with_per_user_overrides() {
        let m = load(
            "mailbox_quota_bytes = 5000\nquota_exceeded_status = 507\nfolder_exists_status = 400\nlocale = \"zh-CN\"\n\
             [[tenant.user]]\nupn = \"Big@x.cn\"\nquota_bytes = 90000\nlocale = \"en-US\"\n[[tenant.user]]\nupn = \"plain@x.cn\"\n",
        )
        .unwrap()
        .failure_modes;
        assert_eq!((m.quota_exceeded_status, m.folder_exists_status), (507, 400));
        assert_eq!((m.quota_of("big@x.cn"), m.quota_of("plain@x.cn"), m.quota_of("other@x.cn")), (Some(90000), Some(5000), Some(5000)));
        assert_eq!((m.locale_of("BIG@x.cn"), m.locale_of("plain@x.cn")), (Locale::EnUs, Locale::ZhCn));
        assert!(m.locale_fingerprint().is_some());
    }

    #[test]
    fn bad_settings_name_the_file_line_and_field() {
        let (field, line, message) = refused("locale = \"fr-FR\"\n");
        assert_eq!((field.as_deref(), line), (Some("tenant.locale"), Some(5)));
        assert!(message.contains("en-US, zh-CN"), "{message}");
        let (field, line, message) = refused("folder_exists_status = 404\n");
        assert_eq!((field.as_deref(), line), (Some("tenant.folder_exists_status"), Some(5)));
        assert!(message.contains("409, 400"), "{message}");
        assert_eq!(refused("quota_exceeded_status = 413\n").0.as_deref(), Some("tenant.quota_exceeded_status"));
        assert_eq!(refused("mailbox_quota_bytes = 0\n").0.as_deref(), Some("tenant.mailbox_quota_bytes"));
        let (field, line, _) = refused("[[tenant.user]]\nupn = \"a@x.cn\"\nquota_bytes = 0\n");
        assert_eq!((field.as_deref(), line), (Some("tenant.user[0].quota_bytes"), Some(7)));
        assert_eq!(refused("[[tenant.user]]\nupn = \"a@x.cn\"\nlocale = \"de\"\n").0.as_deref(), Some("tenant.user[0].locale"));
    }

    #[test]
    fn a_folder_named_as_a_localized_default_folder_is_refused() {
        let (field, _, message) = refused("locale = \"zh-CN\"\n[[tenant.user]]\nupn = \"a@x.cn\"\nfolders = [\"Projects\", \"收件箱\"]\n");
        assert_eq!(field.as_deref(), Some("tenant.user[0].folders[1]"));
        assert!(message.contains("`inbox`"), "{message}");
        assert!(load("[[tenant.user]]\nupn = \"a@x.cn\"\nfolders = [\"收件箱\"]\n").is_ok(), "an en-US mailbox has no 收件箱");
    }
}
