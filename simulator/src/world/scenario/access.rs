//! The app registration of a scenario: `[tenant] app_permissions`, the application permissions
//! an administrator granted the connector's app (its token's `roles`), and `[tenant] app_scope`,
//! the mailboxes an application access policy or an RBAC for Applications management scope lets
//! it reach (<https://learn.microsoft.com/graph/auth-limit-mailbox-access>,
//! <https://learn.microsoft.com/exchange/permissions-exo/application-rbac>).

use toml::Spanned;

use super::validate::{Ctx, check_email};
use super::{Scenario, ScenarioError, TenantUser};

/// The permissions granted when a scenario names none: what the reference connector needs (user
/// lookups, folders and the v1.0 MIME import, and the beta `importMime` the next connector uses).
pub const DEFAULT_PERMISSIONS: [&str; 3] = ["User.Read.All", "Mail.ReadWrite", "Mail-Advanced.ReadWrite.All"];

/// Microsoft Graph application permissions a scenario may grant: the mail, mailbox, user and
/// directory ones of the permissions reference (<https://learn.microsoft.com/graph/permissions-reference>),
/// whether or not an endpoint of this tenant needs them.
pub const KNOWN_PERMISSIONS: &[&str] = &[
    "Mail.ReadBasic",
    "Mail.ReadBasic.All",
    "Mail.Read",
    "Mail.ReadWrite",
    "Mail.Send",
    "Mail-Advanced.ReadWrite.All",
    "MailboxSettings.Read",
    "MailboxSettings.ReadWrite",
    "MailboxFolder.Read.All",
    "MailboxFolder.ReadWrite.All",
    "MailboxItem.Read.All",
    "MailboxItem.ImportExport.All",
    "User.ReadBasic.All",
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "GroupMember.Read.All",
    "Organization.Read.All",
    "Calendars.Read",
    "Calendars.ReadWrite",
    "Contacts.Read",
    "Contacts.ReadWrite",
    "Files.Read.All",
    "Files.ReadWrite.All",
    "Sites.Read.All",
    "Sites.ReadWrite.All",
];

/// The scenario's app registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRegistration {
    /// Granted application permissions, in the scenario's order (the token's `roles`).
    pub permissions: Vec<String>,
    /// The mailboxes the app may reach; `None`: every mailbox (no policy, Graph's default).
    pub scope: Option<Vec<ScopeEntry>>,
}

impl Default for AppRegistration {
    fn default() -> Self {
        AppRegistration { permissions: DEFAULT_PERMISSIONS.iter().map(|p| p.to_string()).collect(), scope: None }
    }
}

impl AppRegistration {
    /// Whether `permission` is granted.
    pub fn grants(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }
}

/// One mailbox of `[tenant] app_scope`: an address of a user (UPN, primary or alias), with the
/// line it was written on (a user it names is checked once the directory is generated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeEntry {
    /// The address as written (trimmed).
    pub address: String,
    /// Its 1-based line in the scenario file.
    pub line: usize,
}

/// `[tenant] app_permissions` (known names, each once) and `app_scope` (addresses).
pub(super) fn registration(
    ctx: &Ctx<'_>,
    permissions: Option<&Spanned<Vec<Spanned<String>>>>,
    scope: Option<&[Spanned<String>]>,
) -> Result<AppRegistration, ScenarioError> {
    let mut app = AppRegistration::default();
    if let Some(list) = permissions {
        app.permissions.clear();
        for (i, p) in list.get_ref().iter().enumerate() {
            let field = format!("tenant.app_permissions[{i}]");
            let name = p.get_ref().trim();
            if !KNOWN_PERMISSIONS.contains(&name) {
                let hint = KNOWN_PERMISSIONS.iter().find(|k| k.eq_ignore_ascii_case(name)).map_or_else(
                    || format!(" (known: {})", KNOWN_PERMISSIONS.join(", ")),
                    |k| format!(" (permission names are case-sensitive: `{k}`)"),
                );
                return ctx.err(p.span(), field, format!("`{name}` is not a Microsoft Graph application permission{hint}"));
            }
            if app.grants(name) {
                return ctx.err(p.span(), field, format!("`{name}` is listed twice"));
            }
            app.permissions.push(name.to_string());
        }
    }
    if let Some(list) = scope {
        let mut entries: Vec<ScopeEntry> = Vec::new();
        for (i, a) in list.iter().enumerate() {
            let field = format!("tenant.app_scope[{i}]");
            let address = check_email(ctx, a, &field)?;
            if entries.iter().any(|e| tm_contract::address_key(&e.address) == tm_contract::address_key(&address)) {
                return ctx.err(a.span(), field, format!("`{address}` is listed twice"));
            }
            entries.push(ScopeEntry { address, line: ctx.line_of(a.span().start) });
        }
        app.scope = Some(entries);
    }
    Ok(app)
}

impl Scenario {
    /// Checks what needs the tenant's users (written and generated): `[tenant] app_scope`.
    pub fn check_users(&self) -> Result<(), ScenarioError> {
        if self.app.scope.is_none() {
            return Ok(());
        }
        self.check_scope(&crate::world::people::Population::build(self).users)
    }

    /// Checks that every `[tenant] app_scope` entry is an address of one of the tenant's users
    /// (written or generated): the error names the file, the line and the entry.
    pub fn check_scope(&self, users: &[TenantUser]) -> Result<(), ScenarioError> {
        let Some(scope) = &self.app.scope else { return Ok(()) };
        for (i, e) in scope.iter().enumerate() {
            let key = tm_contract::address_key(&e.address);
            let known = users.iter().any(|u| {
                std::iter::once(&u.upn).chain(std::iter::once(&u.mail)).chain(&u.aliases).any(|a| tm_contract::address_key(a) == key)
            });
            if !known {
                return Err(ScenarioError {
                    file: self.origin.clone(),
                    line: Some(e.line),
                    field: Some(format!("tenant.app_scope[{i}]")),
                    message: format!("`{}` is no user of the tenant (a UPN, primary address or alias)", e.address),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
name = "t"
seed = 1
start = "2026-11-20T00:00:00Z"
[[employee]]
id = "a"
name = "王伟"
email = "wang.wei@contoso.cn"
app = "wecom"
[tenant]
"#;

    fn load(extra: &str) -> Result<Scenario, ScenarioError> {
        Scenario::from_toml_str(&format!("{BASE}{extra}"), "access.toml")
    }

    #[test]
    fn the_default_registration_is_what_the_reference_connector_needs_and_every_mailbox() {
        let s = load("").unwrap();
        assert_eq!(s.app.permissions, ["User.Read.All", "Mail.ReadWrite", "Mail-Advanced.ReadWrite.All"]);
        assert_eq!(s.app.scope, None);
    }

    #[test]
    fn granted_permissions_are_kept_in_order() {
        let s = load("app_permissions = [\"Mail.Read\", \"User.Read.All\"]\n").unwrap();
        assert_eq!(s.app.permissions, ["Mail.Read", "User.Read.All"]);
        assert!(s.app.grants("Mail.Read") && !s.app.grants("Mail.ReadWrite"));
        assert!(load("app_permissions = []\n").unwrap().app.permissions.is_empty(), "an app granted nothing");
    }

    #[test]
    fn an_unknown_or_misspelt_permission_is_named_with_file_line_and_field() {
        let e = load("app_permissions = [\"Mail.ReadWrite\",\n  \"Mail.Everything\"]\n").unwrap_err();
        assert_eq!((e.file.as_str(), e.line, e.field.as_deref()), ("access.toml", Some(12), Some("tenant.app_permissions[1]")));
        assert!(e.message.contains("`Mail.Everything` is not a Microsoft Graph application permission"), "{e}");
        let e = load("app_permissions = [\"mail.readwrite\"]\n").unwrap_err();
        assert!(e.message.contains("case-sensitive: `Mail.ReadWrite`"), "{e}");
        let e = load("app_permissions = [\"Mail.Read\", \"Mail.Read\"]\n").unwrap_err();
        assert!(e.message.contains("listed twice"), "{e}");
    }

    #[test]
    fn a_scope_entry_is_an_address_of_a_user_named_with_its_line() {
        let s = load("app_scope = [\"Wang.Wei@contoso.cn\"]\n").unwrap();
        assert_eq!(s.app.scope.as_ref().map(Vec::len), Some(1));
        let users = crate::world::people::Population::build(&s).users;
        assert_eq!(s.check_scope(&users), Ok(()), "any case");
        let s = load("app_scope = [\n  \"wang.wei@contoso.cn\",\n  \"nobody@contoso.cn\",\n]\n").unwrap();
        let e = s.check_scope(&crate::world::people::Population::build(&s).users).unwrap_err();
        assert_eq!((e.file.as_str(), e.line, e.field.as_deref()), ("access.toml", Some(13), Some("tenant.app_scope[1]")));
        assert!(e.message.contains("`nobody@contoso.cn` is no user"), "{e}");
        let e = load("app_scope = [\"not an address\"]\n").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("tenant.app_scope[0]"));
        let e = crate::world::World::generate(s).unwrap_err();
        assert_eq!(e.line, Some(13), "generation checks the scope: {e}");
    }
}
