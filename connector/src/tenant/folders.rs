//! The `WeChat Archiver` folder of each mailbox (FOLDER): listed (`$filter=displayName eq
//! 'WeChat Archiver'`, every page followed), created when missing, once per mailbox per run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::Url;
use tokio::sync::OnceCell;

use super::{FOLDER_NAME, TenantClient, TenantError, json_or_error, odata_literal};
use crate::http::HttpError;
use crate::retry::Step;
use crate::source::endpoint;
use tm_contract::UserId;

/// Graph's code for a folder name already taken. Its status is 409 as Graph's errors page has
/// conflicts (<https://learn.microsoft.com/graph/errors>), and 400 as connector authors report
/// it (`[tenant] folder_exists_status`, docs/contract.md "Failure modes"): the code decides.
pub const FOLDER_EXISTS: &str = "ErrorFolderExists";

/// A top-level mail folder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailFolder {
    /// The folder id.
    pub id: String,
    /// The folder name.
    pub display_name: String,
}

impl TenantClient {
    /// Lists the top-level folders of a user (following `@odata.nextLink` within the base URL),
    /// those named `name` (Graph compares ignoring case) when it is given.
    pub async fn list_folders(&self, user: &UserId, name: Option<&str>) -> Result<Vec<MailFolder>, TenantError> {
        #[derive(serde::Deserialize)]
        struct List {
            value: Vec<MailFolder>,
            #[serde(rename = "@odata.nextLink", default)]
            next_link: Option<String>,
        }
        let what = "folder listing";
        let mut url = endpoint(&self.base, &["users", user.as_str(), "mailFolders"]);
        if let Some(name) = name {
            url.query_pairs_mut().append_pair("$filter", &format!("displayName eq {}", odata_literal(name)));
        }
        let mut folders = Vec::new();
        for _ in 0..100 {
            let page: List =
                self.call(what, || self.http.get(url.clone()).timeout(self.timeouts.request), |r| json_or_error(what, r)).await?;
            folders.extend(page.value);
            match page.next_link.and_then(|l| Url::parse(&l).ok()) {
                Some(next) if next.as_str().starts_with(self.base.as_str()) => url = next,
                _ => break,
            }
        }
        Ok(folders)
    }

    /// Creates a top-level folder; `Ok(None)` when it exists already (`ErrorFolderExists`,
    /// whatever the status: [`FOLDER_EXISTS`]).
    pub async fn create_folder(&self, user: &UserId, name: &str) -> Result<Option<MailFolder>, TenantError> {
        let what = "folder creation";
        let url = endpoint(&self.base, &["users", user.as_str(), "mailFolders"]);
        let body = serde_json::json!({ "displayName": name });
        self.call(
            what,
            || self.http.post(url.clone()).timeout(self.timeouts.request).json(&body),
            |r| async move {
                if r.status().is_success() {
                    return json_or_error::<MailFolder>(what, r).await.map(Some);
                }
                let error = HttpError::from_response(what, r).await;
                if error.code() == Some(FOLDER_EXISTS) {
                    return Step::Done(None);
                }
                Step::from_error(error)
            },
        )
        .await
    }
}

/// Per-run cache of each mailbox's `WeChat Archiver` folder id.
#[derive(Default)]
pub struct FolderCache {
    folders: Mutex<HashMap<UserId, Arc<OnceCell<String>>>>,
}

impl FolderCache {
    /// The folder id of `WeChat Archiver` in the mailbox of `user`: found (exact name first,
    /// then a case-insensitive match, which Exchange treats as the same folder) or created; once
    /// per mailbox per run.
    pub async fn ensure(&self, tenant: &TenantClient, user: &UserId) -> Result<String, TenantError> {
        let cell = self.folders.lock().expect("not poisoned").entry(user.clone()).or_default().clone();
        cell.get_or_try_init(|| find_or_create(tenant, user)).await.cloned()
    }
}

/// `WeChat Archiver` among listed folders: the exact name, else one differing only in case.
fn pick_folder(folders: &[MailFolder]) -> Option<&MailFolder> {
    folders
        .iter()
        .find(|f| f.display_name == FOLDER_NAME)
        .or_else(|| folders.iter().find(|f| f.display_name.eq_ignore_ascii_case(FOLDER_NAME)))
}

/// The folder's id, found or created.
async fn find_or_create(tenant: &TenantClient, user: &UserId) -> Result<String, TenantError> {
    if let Some(f) = pick_folder(&tenant.list_folders(user, Some(FOLDER_NAME)).await?) {
        if f.display_name != FOLDER_NAME {
            tracing::warn!(%user, name = %f.display_name, "using an existing folder whose name differs from `{FOLDER_NAME}` only in case");
        }
        return Ok(f.id.clone());
    }
    if let Some(created) = tenant.create_folder(user, FOLDER_NAME).await? {
        tracing::info!(%user, "created folder `{FOLDER_NAME}`");
        return Ok(created.id);
    }
    // ErrorFolderExists: someone created it concurrently (or a create whose answer was lost
    // landed); look again and use theirs.
    match pick_folder(&tenant.list_folders(user, Some(FOLDER_NAME)).await?) {
        Some(f) => Ok(f.id.clone()),
        None => Err(TenantError::Http(HttpError::Protocol {
            what: "folder creation".to_owned(),
            detail: format!("{FOLDER_EXISTS}, yet no folder `{FOLDER_NAME}` is listed"),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exact_folder_name_is_preferred_over_a_case_variant() {
        let f = |id: &str, name: &str| MailFolder { id: id.into(), display_name: name.into() };
        let folders = [f("1", "Inbox"), f("2", "wechat archiver"), f("3", "WeChat Archiver")];
        assert_eq!(pick_folder(&folders).unwrap().id, "3");
        assert_eq!(pick_folder(&folders[..2]).unwrap().id, "2");
        assert_eq!(pick_folder(&folders[..1]), None);
    }
}
