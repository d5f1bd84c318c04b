//! What Graph checks after the token: that its `roles` hold an application permission the
//! endpoint takes, and, for mail, that the mailbox is within the app's scope.
//!
//! Each endpoint's permissions are its reference page's "Permissions" table, Application row:
//! the least privileged permission and the higher ones the page lists. A token holding none of
//! them is refused 403 as Graph refuses it: mail endpoints (Exchange Online) `ErrorAccessDenied`
//! "Access is denied. Check credentials and try again."
//! (<https://learn.microsoft.com/graph/resolve-auth-errors>; the body as reported in
//! microsoftgraph/microsoft-graph-docs#9429 and msgraph-sdk-php#1094), directory endpoints
//! `Authorization_RequestDenied` "Insufficient privileges to complete the operation."
//! (microsoftgraph/microsoft-graph-docs-contrib#8159, #6748).
//!
//! A mail call to a mailbox outside `[tenant] app_scope` is refused 403 `ErrorAccessDenied`
//! "Access to OData is disabled." as an application access policy refuses it
//! (<https://learn.microsoft.com/graph/auth-limit-mailbox-access>, "Handling API errors"; the
//! body as reported in OfficeDev/office-js-docs-pr#2808 and microsoft/MHA#49). The policies are
//! "specific to Exchange Online resources and do not apply to other Microsoft Graph workloads":
//! `/users` and `/users/{id}` are never scoped.

use axum::http::StatusCode;

use crate::http::error::ApiError;
use crate::state::Shared;
use crate::tenant::directory::User;

/// Which Graph workload answers an endpoint (it decides the refusal's code and message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Microsoft Entra (users): `Authorization_RequestDenied`.
    Directory,
    /// Exchange Online (mail folders and messages): `ErrorAccessDenied`, and the mailbox scope.
    Mail,
}

/// The application permissions one endpoint takes (any one of them suffices).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    /// The least privileged permission first, then the higher ones.
    pub any_of: &'static [&'static str],
    /// The workload that answers.
    pub workload: Workload,
    /// The reference page whose Permissions table this is.
    pub page: &'static str,
}

/// `user-list`, `user-get`: Application `User.Read.All`; higher `User.ReadWrite.All`,
/// `Directory.Read.All`, `Directory.ReadWrite.All` (`User.ReadBasic.All` is not listed).
const USERS: &[&str] = &["User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"];

/// Folder and message reads: Application `Mail.ReadBasic.All`; higher `Mail.Read`,
/// `Mail.ReadWrite`. (`message-get` lists only `Mail.Read` as higher; `Mail.ReadWrite` "allows
/// the app to create, read, update, and delete mail" (permissions reference), so it is taken
/// there too, as Graph takes it.)
const MAIL_BASIC: &[&str] = &["Mail.ReadBasic.All", "Mail.Read", "Mail.ReadWrite"];

/// A message's MIME (`$value`): `Mail.ReadBasic.All` excludes the body and attachments
/// (<https://learn.microsoft.com/graph/permissions-reference#mailreadbasicall>), so `Mail.Read`.
const MAIL_CONTENT: &[&str] = &["Mail.Read", "Mail.ReadWrite"];

/// Creating folders and messages, moving messages: Application `Mail.ReadWrite` (no higher one).
const MAIL_WRITE: &[&str] = &["Mail.ReadWrite"];

/// The beta `importMime`: Application `Mail-Advanced.ReadWrite.All` ("Not available" higher).
const MAIL_ADVANCED: &[&str] = &["Mail-Advanced.ReadWrite.All"];

/// Every endpoint of the tenant, by method and route template (without `/graph/v1.0` or
/// `/graph/beta`), with the permissions it takes.
pub const TABLE: &[(&str, &str, Requirement)] = &[
    ("GET", "/users", req(USERS, Workload::Directory, "user-list")),
    ("GET", "/users/{user}", req(USERS, Workload::Directory, "user-get")),
    ("GET", "/users/{user}/mailFolders", req(MAIL_BASIC, Workload::Mail, "user-list-mailfolders")),
    ("POST", "/users/{user}/mailFolders", req(MAIL_WRITE, Workload::Mail, "user-post-mailfolders")),
    ("GET", "/users/{user}/mailFolders/{folder}", req(MAIL_BASIC, Workload::Mail, "mailfolder-get")),
    ("GET", "/users/{user}/mailFolders/{folder}/childFolders", req(MAIL_BASIC, Workload::Mail, "mailfolder-list-childfolders")),
    ("POST", "/users/{user}/mailFolders/{folder}/childFolders", req(MAIL_WRITE, Workload::Mail, "mailfolder-post-childfolders")),
    ("GET", "/users/{user}/mailFolders/{folder}/messages", req(MAIL_BASIC, Workload::Mail, "mailfolder-list-messages")),
    ("POST", "/users/{user}/mailFolders/{folder}/messages", req(MAIL_WRITE, Workload::Mail, "mailfolder-post-messages")),
    ("GET", "/users/{user}/mailFolders/{folder}/messages/$count", req(MAIL_BASIC, Workload::Mail, "mailfolder-list-messages")),
    ("GET", "/users/{user}/mailFolders/{folder}/messages/{message}", req(MAIL_BASIC, Workload::Mail, "message-get")),
    ("GET", "/users/{user}/mailFolders/{folder}/messages/{message}/$value", req(MAIL_CONTENT, Workload::Mail, "message-get")),
    ("POST", "/users/{user}/mailFolders/{folder}/messages/{message}/move", req(MAIL_WRITE, Workload::Mail, "message-move")),
    ("POST", "/users/{user}/mailFolders/{folder}/importMime", req(MAIL_ADVANCED, Workload::Mail, "mailfolder-importmime")),
    ("GET", "/users/{user}/messages", req(MAIL_BASIC, Workload::Mail, "user-list-messages")),
    ("POST", "/users/{user}/messages", req(MAIL_WRITE, Workload::Mail, "user-post-messages")),
    ("GET", "/users/{user}/messages/$count", req(MAIL_BASIC, Workload::Mail, "user-list-messages")),
    ("GET", "/users/{user}/messages/{message}", req(MAIL_BASIC, Workload::Mail, "message-get")),
    ("GET", "/users/{user}/messages/{message}/$value", req(MAIL_CONTENT, Workload::Mail, "message-get")),
    ("POST", "/users/{user}/messages/{message}/move", req(MAIL_WRITE, Workload::Mail, "message-move")),
];

const fn req(any_of: &'static [&'static str], workload: Workload, page: &'static str) -> Requirement {
    Requirement { any_of, workload, page }
}

/// The route template of a matched path, without its API version prefix.
pub fn route_of(matched: &str) -> &str {
    ["/graph/v1.0", "/graph/beta"].iter().find_map(|p| matched.strip_prefix(p)).unwrap_or(matched)
}

/// What an endpoint takes, by method and matched route (with or without its version prefix);
/// `None` for a route this table does not know (the fallbacks).
pub fn requirement(method: &str, matched: &str) -> Option<&'static Requirement> {
    let route = route_of(matched);
    TABLE.iter().find(|(m, r, _)| *m == method && *r == route).map(|(_, _, q)| q)
}

/// The token's roles against an endpoint's requirement: `Ok`, or Graph's 403 for the workload.
pub fn check(roles: &[String], required: &Requirement) -> Result<(), ApiError> {
    if required.any_of.iter().any(|p| roles.iter().any(|r| r == p)) {
        return Ok(());
    }
    Err(match required.workload {
        Workload::Mail => ApiError::new(StatusCode::FORBIDDEN, "ErrorAccessDenied", "Access is denied. Check credentials and try again."),
        Workload::Directory => {
            ApiError::new(StatusCode::FORBIDDEN, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        }
    })
}

/// Whether the app may reach the mailbox of the user with this id (`[tenant] app_scope`; no
/// scope: every mailbox).
pub fn in_scope(state: &Shared, user_id: &str) -> bool {
    let Some(scope) = &state.world.scenario.app.scope else { return true };
    scope.iter().any(|e| state.tenant.directory.by_any_address(&e.address).is_some_and(|(u, _)| u.id == user_id))
}

/// Graph's 403 for a request the app may not make: its token holds none of the endpoint's
/// permissions, or (mail only) the mailbox is outside its scope. `None`: go on (also for a route
/// the table does not know: the fallbacks answer those).
pub fn refusal(state: &Shared, method: &str, matched: Option<&str>, roles: &[String], user: Option<&User>) -> Option<ApiError> {
    let required = requirement(method, matched?)?;
    if let Err(e) = check(roles, required) {
        return Some(e);
    }
    let scoped_out = required.workload == Workload::Mail && user.is_some_and(|u| !in_scope(state, &u.id));
    scoped_out.then(out_of_scope)
}

/// Graph's 403 for a mailbox outside the app's scope (an application access policy).
pub fn out_of_scope() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "ErrorAccessDenied", "Access to OData is disabled.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(r: &[&str]) -> Vec<String> {
        r.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn every_route_of_the_tenant_has_its_permissions() {
        let (_, api) = super::super::api().split_for_parts();
        for (path, item) in &api.paths.paths {
            let methods = [("GET", item.get.is_some()), ("POST", item.post.is_some()), ("PATCH", item.patch.is_some())];
            for (method, _) in methods.iter().filter(|m| m.1) {
                assert!(requirement(method, path).is_some(), "{method} {path} is not in the permission table");
            }
        }
    }

    #[test]
    fn routes_are_found_under_either_version() {
        let q = requirement("POST", "/graph/beta/users/{user}/mailFolders/{folder}/importMime").unwrap();
        assert_eq!((q.any_of, q.page), (MAIL_ADVANCED, "mailfolder-importmime"));
        assert_eq!(requirement("GET", "/graph/v1.0/users").unwrap().workload, Workload::Directory);
        assert_eq!(requirement("DELETE", "/users"), None);
        for (m, r) in [
            ("POST", "/users/{user}/messages"),
            ("POST", "/users/{user}/messages/{message}/move"),
            ("POST", "/users/{user}/mailFolders/{folder}/messages/{message}/move"),
        ] {
            assert_eq!(requirement(m, r).unwrap().any_of, MAIL_WRITE, "{m} {r}");
        }
    }

    #[test]
    fn the_least_or_a_higher_permission_passes_and_none_is_graphs_403() {
        let folders = requirement("GET", "/users/{user}/mailFolders").unwrap();
        for ok in ["Mail.ReadBasic.All", "Mail.Read", "Mail.ReadWrite"] {
            assert!(check(&roles(&[ok]), folders).is_ok(), "{ok}");
        }
        let e = check(&roles(&["User.Read.All", "Mail-Advanced.ReadWrite.All"]), folders).unwrap_err();
        assert_eq!(
            (e.status, e.code, e.message.as_str()),
            (StatusCode::FORBIDDEN, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
        );
        let e = check(&roles(&["Mail.ReadWrite"]), requirement("GET", "/users").unwrap()).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), ("Authorization_RequestDenied", "Insufficient privileges to complete the operation."));
        assert!(check(&roles(&["Directory.Read.All"]), requirement("GET", "/users/{user}").unwrap()).is_ok());
        let value = requirement("GET", "/users/{user}/messages/{message}/$value").unwrap();
        assert!(check(&roles(&["Mail.ReadBasic.All"]), value).is_err(), "the basic permission excludes the body");
        let import = requirement("POST", "/users/{user}/mailFolders/{folder}/importMime").unwrap();
        assert!(check(&roles(&["Mail.ReadWrite"]), import).is_err(), "importMime takes Mail-Advanced.ReadWrite.All only");
        assert!(check(&[], requirement("POST", "/users/{user}/messages").unwrap()).is_err(), "no roles, no access");
    }

    #[test]
    fn every_permission_of_the_table_is_a_known_one_and_the_default_grant_covers_the_table() {
        let default = roles(&crate::world::scenario::access::DEFAULT_PERMISSIONS);
        for (m, r, q) in TABLE {
            for p in q.any_of {
                assert!(crate::world::scenario::access::KNOWN_PERMISSIONS.contains(p), "{p}");
            }
            assert!(check(&default, q).is_ok(), "the default grant reaches {m} {r}");
        }
    }
}
