//! MIME import, one attempt at a time, and the "did it land?" question behind exactly-once.
//!
//! FINAL: by default every item is imported with beta `POST /users/{id}/mailFolders/{id}/importMime`
//! (base64 MIME as `text/plain`; 201 with the message "in a final, non-draft state",
//! <https://learn.microsoft.com/graph/api/mailfolder-importmime?view=graph-rest-beta>), which
//! takes the application permission [`IMPORT_PERMISSION`]. v1.0's MIME create
//! (<https://learn.microsoft.com/graph/api/user-post-messages>) "always creates a draft": an
//! editable, sendable message, wrong for a compliance archive; the connector uses it only with
//! `ALLOW_DRAFT_IMPORTS=true` and without the permission ([`ImportMode::FolderDraft`]), each such
//! delivery counted in the report's `counts.drafts`. Where the tenant refuses MIME on the folder
//! path (400 `UnableToDeserializePostBody`, reported since 2021:
//! <https://github.com/microsoftgraph/microsoft-graph-docs/issues/16368>) the draft is created in
//! the mailbox and moved into the folder ([`ImportMode::CreateThenMove`],
//! <https://learn.microsoft.com/graph/api/message-move>).
//!
//! The permission is checked at the start of a run from the token's `roles` (`roles.rs`); an
//! opaque token cannot be read, and the first import proves it: `importMime`'s 403
//! `ErrorAccessDenied` that is not the scope refusal is the missing permission.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;

use super::refusal::{Refusal, RefusalKind};
use super::{IMPORT_PERMISSION, TenantClient, TenantError, json_or_error, odata_literal, roles};
use crate::http::HttpError;
use crate::retry::Step;
use crate::source::endpoint;
use tm_contract::UserId;

/// How deliveries are imported this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ImportMode {
    /// Beta `importMime` into the folder: final messages (the default).
    ImportMime = 0,
    /// v1.0 MIME create on the folder's messages: drafts (`ALLOW_DRAFT_IMPORTS`).
    FolderDraft = 1,
    /// v1.0 MIME create in the mailbox, then `move` into the folder: drafts, where the tenant
    /// refuses MIME on the folder path.
    CreateThenMove = 2,
}

/// What the start of a run found about [`IMPORT_PERMISSION`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionCheck {
    /// The token's roles hold it: final messages.
    Holds,
    /// They do not, and drafts are allowed: drafts, counted.
    DraftsAllowed {
        /// The token's roles.
        roles: Vec<String>,
    },
    /// The token is opaque: the first import proves it.
    Unknown,
}

/// The answer to an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imported {
    /// 201: the message exists in the folder.
    Created {
        /// Whether it is a draft (`isDraft`, else what the path makes).
        draft: bool,
    },
    /// A final refusal (`sink_rejected`).
    Rejected(Refusal),
}

/// The configuration error's text for a missing [`IMPORT_PERMISSION`].
pub(super) fn missing_permission_text(evidence: &str) -> String {
    format!(
        "the app lacks the application permission {IMPORT_PERMISSION} ({evidence}), which beta importMime takes to import \
         final messages (https://learn.microsoft.com/graph/api/mailfolder-importmime?view=graph-rest-beta); grant it \
         (admin consent), or set ALLOW_DRAFT_IMPORTS=true to import with v1.0 MIME create, which makes drafts: editable, \
         sendable messages in a compliance archive (https://learn.microsoft.com/graph/api/user-post-messages)"
    )
}

/// The parts of a created message the connector reads.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    #[serde(default)]
    id: String,
    #[serde(default)]
    is_draft: Option<bool>,
}

impl TenantClient {
    /// The import mode in use.
    pub fn mode(&self) -> ImportMode {
        match self.mode.load(Ordering::SeqCst) {
            0 => ImportMode::ImportMime,
            1 => ImportMode::FolderDraft,
            _ => ImportMode::CreateThenMove,
        }
    }

    /// Switches from `from` to `to` (once: concurrent deliveries meet the same refusal).
    fn switch_mode(&self, from: ImportMode, to: ImportMode, why: &str) {
        if self.mode.compare_exchange(from as u8, to as u8, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
            tracing::warn!(from = ?from, to = ?to, "{why}");
        }
    }

    /// Reads [`IMPORT_PERMISSION`] from the token's `roles` at the start of a run (FINAL): held,
    /// missing (a configuration error unless drafts are allowed), or not readable.
    pub async fn check_import_permission(&self) -> Result<PermissionCheck, TenantError> {
        let token = self.current_token().await?;
        match roles::token_roles(&token) {
            Some(roles) if roles.iter().any(|r| r == IMPORT_PERMISSION) => Ok(PermissionCheck::Holds),
            Some(roles) if self.options.allow_drafts => {
                self.mode.store(ImportMode::FolderDraft as u8, Ordering::SeqCst);
                Ok(PermissionCheck::DraftsAllowed { roles })
            }
            Some(roles) => Err(TenantError::ImportPermission { evidence: format!("the access token's roles are [{}]", roles.join(", ")) }),
            None => Ok(PermissionCheck::Unknown),
        }
    }

    /// Whether the folder holds a message whose `internetMessageId` is this one (Graph's
    /// `$filter`, <https://learn.microsoft.com/graph/api/user-list-messages>); `None` when the
    /// folder (or the user) is gone.
    pub async fn has_message(&self, user: &UserId, folder_id: &str, internet_message_id: &str) -> Result<Option<bool>, TenantError> {
        #[derive(serde::Deserialize)]
        struct Messages {
            value: Vec<serde_json::Value>,
        }
        let mut url = endpoint(&self.base, &["users", user.as_str(), "mailFolders", folder_id, "messages"]);
        url.query_pairs_mut()
            .append_pair("$filter", &format!("internetMessageId eq {}", odata_literal(internet_message_id)))
            .append_pair("$select", "id")
            .append_pair("$top", "1");
        let what = "message lookup";
        self.call(
            what,
            || self.http.get(url.clone()).timeout(self.timeouts.request),
            |r| async move {
                if r.status() == StatusCode::NOT_FOUND {
                    return Step::Done(None);
                }
                json_or_error::<Messages>(what, r).await.map(|m| Some(!m.value.is_empty()))
            },
        )
        .await
    }

    /// One import attempt of `mime_base64` into `folder_id` of `user` (whose address is
    /// `mailbox`), by the run's [`ImportMode`]: 201 → `Done(Ok(Created))`; a final refusal →
    /// `Done(Ok(Rejected))` (size and mailbox refusals remembered, `refusal.rs`); the missing
    /// permission → `Done(Err(ImportPermission))`, or with drafts allowed a switch to drafts
    /// and `RetryNow`; 401 → `Fail`; 5xx (but 507), 408, 429 and transport errors → `Retry`. The
    /// caller retries, asking the tenant before each retry (an attempt that failed in transit
    /// may have landed).
    pub async fn import_attempt(
        &self,
        user: &UserId,
        mailbox: &str,
        folder_id: &str,
        mime_base64: Bytes,
    ) -> Step<Result<Imported, TenantError>> {
        let sent = mime_base64.len() as u64;
        if let Some(refusal) = self.known_too_large(sent) {
            return Step::Done(Ok(Imported::Rejected(refusal)));
        }
        let mode = self.mode();
        let (what, url) = match mode {
            ImportMode::ImportMime => ("import", endpoint(self.beta(), &["users", user.as_str(), "mailFolders", folder_id, "importMime"])),
            ImportMode::FolderDraft => {
                ("draft import", endpoint(&self.base, &["users", user.as_str(), "mailFolders", folder_id, "messages"]))
            }
            ImportMode::CreateThenMove => ("draft create", endpoint(&self.base, &["users", user.as_str(), "messages"])),
        };
        let build = || {
            let request = self.http.post(url.clone()).timeout(self.timeouts.transfer);
            request.header(CONTENT_TYPE, "text/plain").body(mime_base64.clone())
        };
        let response = match self.send(what, build).await {
            super::send::Sent::Answered(r) => r,
            super::send::Sent::Lost(e) => return Step::from_error(e),
            super::send::Sent::NoToken(e) => return Step::Done(Err(TenantError::Token(e))),
        };
        if response.status().is_success() {
            // The message exists; an unreadable body does not change that.
            let created = response.json::<Created>().await.ok();
            return self.created(user, folder_id, mode, created).await;
        }
        let error = HttpError::from_response(what, response).await;
        self.refused_import(user, mailbox, mode, sent, error)
    }

    /// A 201: final, or a draft; a draft created in the mailbox is moved into the folder.
    async fn created(
        &self,
        user: &UserId,
        folder_id: &str,
        mode: ImportMode,
        created: Option<Created>,
    ) -> Step<Result<Imported, TenantError>> {
        let draft = created.as_ref().and_then(|c| c.is_draft).unwrap_or(mode != ImportMode::ImportMime);
        if mode == ImportMode::CreateThenMove {
            let id = created.map(|c| c.id).unwrap_or_default();
            if let Err(e) = self.move_into(user, &id, folder_id).await {
                // The draft stays in Drafts; the delivery fails and is retried by a later run.
                return Step::Done(Err(e));
            }
        }
        Step::Done(Ok(Imported::Created { draft }))
    }

    /// `POST /users/{id}/messages/{id}/move` into `folder_id`, retried (a move is safe to send
    /// again: the second one answers 404 once the first landed, and then the message is there).
    async fn move_into(&self, user: &UserId, message_id: &str, folder_id: &str) -> Result<(), TenantError> {
        let what = "draft move";
        let url = endpoint(&self.base, &["users", user.as_str(), "messages", message_id, "move"]);
        let body = serde_json::json!({ "destinationId": folder_id });
        self.call(
            what,
            || self.http.post(url.clone()).timeout(self.timeouts.request).json(&body),
            |r| async move { json_or_error::<serde_json::Value>(what, r).await.map(|_| ()) },
        )
        .await
    }

    /// An import's error answer, per the rules of [`TenantClient::import_attempt`].
    fn refused_import(
        &self,
        user: &UserId,
        mailbox: &str,
        mode: ImportMode,
        sent: u64,
        error: HttpError,
    ) -> Step<Result<Imported, TenantError>> {
        if error.status() == Some(StatusCode::UNAUTHORIZED) {
            return Step::Fail(error);
        }
        let Some(refusal) = Refusal::of_http(&error).filter(|r| r.kind != RefusalKind::Other || !is_transient(&error)) else {
            return Step::from_error(error).map(Ok);
        };
        match refusal.kind {
            RefusalKind::Size => self.remember_size_refusal(sent),
            RefusalKind::Permission if mode == ImportMode::ImportMime && self.options.allow_drafts => {
                self.switch_mode(mode, ImportMode::FolderDraft, "importMime refused (no Mail-Advanced.ReadWrite.All) and ALLOW_DRAFT_IMPORTS=true: importing drafts with v1.0 MIME create, each counted in counts.drafts");
                return Step::RetryNow(error);
            }
            RefusalKind::Permission if mode == ImportMode::ImportMime => {
                let evidence = format!("importMime answered HTTP {} {}: \"{}\"", refusal.status, refusal.code, refusal.message);
                return Step::Done(Err(TenantError::ImportPermission { evidence }));
            }
            RefusalKind::Other if mode == ImportMode::FolderDraft && refusal.code == "UnableToDeserializePostBody" => {
                self.switch_mode(mode, ImportMode::CreateThenMove, "the tenant refuses MIME on the folder path (400 UnableToDeserializePostBody): creating each draft in the mailbox and moving it into the folder");
                return Step::RetryNow(error);
            }
            _ => self.remember(user, mailbox, &refusal),
        }
        Step::Done(Ok(Imported::Rejected(refusal)))
    }

    /// The beta base (validated at start: `GRAPH_BETA_URL`, or `GRAPH_URL`'s `/v1.0` → `/beta`).
    fn beta(&self) -> &reqwest::Url {
        self.options.beta.as_ref().unwrap_or(&self.base)
    }
}

/// 408, 429 and 5xx but 507: worth another attempt.
fn is_transient(e: &HttpError) -> bool {
    e.status().is_some_and(|s| (s.is_server_error() && s.as_u16() != 507) || s.as_u16() == 408 || s.as_u16() == 429)
}
