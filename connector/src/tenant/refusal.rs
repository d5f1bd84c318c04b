//! What a tenant's refusal means, and the per-run memory of refused mailboxes.
//!
//! - **Size** (TENANT-LIMIT): 413, Graph's request cap (4 MB per request,
//!   <https://learn.microsoft.com/graph/api/resources/attachment>; "The maximum request length
//!   supported is 4MB."). Final for the item: reported, never retried. The smallest request
//!   refused is remembered, so that no larger one is sent again this run.
//! - **Scope** (SCOPE): 403 `ErrorAccessDenied` "Access to OData is disabled…", a mailbox
//!   outside the app's application access policy or RBAC scope
//!   (<https://learn.microsoft.com/graph/auth-limit-mailbox-access>, "Handling API errors").
//! - **Quota** (QUOTA): `ErrorQuotaExceeded` (403, as reported for full mailboxes) or
//!   `QuotaExceededException` (507), whatever the status; a 507 is not retried as a 5xx
//!   (`retry.rs`).
//! - **Permission**: any other 403 `ErrorAccessDenied` ("Access is denied. Check credentials and
//!   try again.", <https://learn.microsoft.com/graph/resolve-auth-errors>): the app's token lacks
//!   the endpoint's role; for `importMime` a configuration error (`import.rs`).
//!
//! Scope and quota refuse a whole mailbox: it is remembered for the run
//! ([`TenantClient::refused`]), its later deliveries are reported without a request, and the
//! other mailboxes go on. Every call that touches a mailbox (the directory's mailbox check, the
//! folder lookup and creation, the "did it land?" question, the import) hands its error to
//! [`TenantClient::note_refusal`].

use std::sync::atomic::Ordering;

use super::{TenantClient, TenantError};
use crate::http::HttpError;
use tm_contract::UserId;

/// What a refusal means (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// 413: over the tenant's request cap.
    Size,
    /// 403 "Access to OData is disabled": the mailbox is outside the app's scope.
    Scope,
    /// `ErrorQuotaExceeded` / `QuotaExceededException`: the mailbox is full.
    Quota,
    /// 403 `ErrorAccessDenied` otherwise: the token lacks the endpoint's permission.
    Permission,
    /// Any other final 4xx.
    Other,
}

/// A final refusal from the tenant (or, for size, foreseen by the connector), with what the
/// report says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// What it means.
    pub kind: RefusalKind,
    /// The HTTP status; 0 when the connector refused it without sending it.
    pub status: u16,
    /// The Graph error code.
    pub code: String,
    /// The Graph error message.
    pub message: String,
}

/// The message Exchange answers for a mailbox outside an application access policy (Graph's
/// full text goes on: ": [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.").
const OUT_OF_SCOPE: &str = "Access to OData is disabled";

impl Refusal {
    /// The refusal an answer is, by its code first (quota, folder exists: whatever the status).
    pub fn classify(status: u16, code: &str, message: &str) -> Refusal {
        let kind = match (status, code) {
            (_, "ErrorQuotaExceeded" | "QuotaExceededException") => RefusalKind::Quota,
            (403, "ErrorAccessDenied") if message.trim_start().starts_with(OUT_OF_SCOPE) => RefusalKind::Scope,
            (403, "ErrorAccessDenied") => RefusalKind::Permission,
            (413, _) => RefusalKind::Size,
            _ => RefusalKind::Other,
        };
        Refusal { kind, status, code: code.to_owned(), message: message.to_owned() }
    }

    /// The refusal a final HTTP error is; `None` for anything but a status answer.
    pub fn of_http(e: &HttpError) -> Option<Refusal> {
        match e {
            HttpError::Status { status, code, message, .. } if status.is_client_error() || status.as_u16() == 507 => {
                Some(Refusal::classify(status.as_u16(), code, message))
            }
            _ => None,
        }
    }

    /// Whether it refuses the whole mailbox (scope, quota).
    pub fn refuses_mailbox(&self) -> bool {
        matches!(self.kind, RefusalKind::Scope | RefusalKind::Quota)
    }

    /// The report's detail line for a delivery into `mailbox` of an item of `raw` bytes, `sent`
    /// bytes as sent (base64): status, code, what it means, the mailbox, and Graph's message.
    pub fn detail(&self, mailbox: &str, (raw, sent): (u64, u64)) -> String {
        let what = match self.kind {
            RefusalKind::Size => format!("the item is {raw} bytes, {sent} bytes as sent (base64), over the tenant's request cap"),
            RefusalKind::Scope => format!("the mailbox {mailbox} is outside the app's scope (application access policy)"),
            RefusalKind::Quota => format!("the mailbox {mailbox} is full (quota exceeded)"),
            RefusalKind::Permission => format!("the app lacks the permission this call to {mailbox} takes"),
            RefusalKind::Other => format!("the tenant refused the import into {mailbox}"),
        };
        if self.status == 0 {
            return format!("not sent: {what} ({})", self.message);
        }
        let quoted = if self.message.is_empty() { String::new() } else { format!(": \"{}\"", self.message) };
        format!("HTTP {} {}: {what}{quoted}", self.status, self.code)
    }
}

impl TenantClient {
    /// The refusal this run's tenant gave the mailbox of `user`, if any (SCOPE, QUOTA).
    pub fn refused(&self, user: &UserId) -> Option<Refusal> {
        self.refused.lock().expect("not poisoned").get(user).cloned()
    }

    /// Remembers a mailbox-wide refusal (the first one given stays).
    pub(super) fn remember(&self, user: &UserId, mailbox: &str, refusal: &Refusal) {
        if !refusal.refuses_mailbox() {
            return;
        }
        let mut refused = self.refused.lock().expect("not poisoned");
        if !refused.contains_key(user) {
            tracing::warn!(mailbox, status = refusal.status, code = %refusal.code, message = %refusal.message,
                "the tenant refuses this mailbox: its deliveries are reported and it is not asked again this run");
            refused.insert(user.clone(), refusal.clone());
        }
    }

    /// A call touching the mailbox of `user` failed with `e`: a mailbox-wide refusal is
    /// remembered and handed back; anything else stays the error it is.
    pub fn note_refusal(&self, user: &UserId, mailbox: &str, e: TenantError) -> Result<Refusal, TenantError> {
        match &e {
            TenantError::Http(h) => match Refusal::of_http(h).filter(Refusal::refuses_mailbox) {
                Some(r) => {
                    self.remember(user, mailbox, &r);
                    Ok(r)
                }
                None => Err(e),
            },
            _ => Err(e),
        }
    }

    /// Remembers a 413 for a request of `sent` bytes: no request as large is sent again.
    pub(super) fn remember_size_refusal(&self, sent: u64) {
        self.refused_size.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |m| (m == 0 || sent < m).then_some(sent)).ok();
    }

    /// Whether a request of `sent` bytes is known to be over the tenant's cap (a 413 this run
    /// for one no larger, or `GRAPH_MAX_REQUEST_BYTES`): the refusal to report, without asking.
    pub(super) fn known_too_large(&self, sent: u64) -> Option<Refusal> {
        let unsent = |message: String| Refusal { kind: RefusalKind::Size, status: 0, code: String::new(), message };
        if let Some(cap) = self.options.max_request_bytes.filter(|&cap| sent > cap) {
            return Some(unsent(format!("GRAPH_MAX_REQUEST_BYTES is {cap}")));
        }
        let smallest = self.refused_size.load(Ordering::SeqCst);
        (smallest != 0 && sent >= smallest)
            .then(|| unsent(format!("the tenant answered 413 to a request of {smallest} bytes earlier in this run")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_told_apart_by_code_then_status_and_message() {
        let k = |s, c, m| Refusal::classify(s, c, m).kind;
        assert_eq!(k(403, "ErrorAccessDenied", "Access to OData is disabled."), RefusalKind::Scope);
        assert_eq!(
            k(
                403,
                "ErrorAccessDenied",
                "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings."
            ),
            RefusalKind::Scope
        );
        assert_eq!(k(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."), RefusalKind::Permission);
        assert_eq!(k(403, "ErrorQuotaExceeded", "Mailbox has exceeded maximum mailbox size."), RefusalKind::Quota);
        assert_eq!(k(507, "QuotaExceededException", "Target mailbox quota exceeded."), RefusalKind::Quota);
        assert_eq!(k(413, "BadRequest", "The maximum request length supported is 4MB."), RefusalKind::Size);
        assert_eq!(k(400, "ErrorMimeContentInvalidBase64String", ""), RefusalKind::Other);
        assert!(Refusal::classify(507, "QuotaExceededException", "").refuses_mailbox());
        assert!(!Refusal::classify(413, "BadRequest", "").refuses_mailbox());
    }

    #[test]
    fn the_detail_names_status_code_mailbox_sizes_and_the_limit() {
        let size = Refusal::classify(413, "BadRequest", "The maximum request length supported is 4MB.");
        assert_eq!(
            size.detail("a@contoso.cn", (3_500_000, 4_666_668)),
            "HTTP 413 BadRequest: the item is 3500000 bytes, 4666668 bytes as sent (base64), over the tenant's request cap: \"The maximum request length supported is 4MB.\""
        );
        let scope = Refusal::classify(403, "ErrorAccessDenied", "Access to OData is disabled.");
        let d = scope.detail("a@contoso.cn", (1, 4));
        assert!(d.starts_with("HTTP 403 ErrorAccessDenied: the mailbox a@contoso.cn is outside the app's scope"), "{d}");
        let unsent = Refusal { kind: RefusalKind::Size, status: 0, code: String::new(), message: "GRAPH_MAX_REQUEST_BYTES is 100".into() };
        assert_eq!(
            unsent.detail("a@contoso.cn", (90, 120)),
            "not sent: the item is 90 bytes, 120 bytes as sent (base64), over the tenant's request cap (GRAPH_MAX_REQUEST_BYTES is 100)"
        );
        let quota = Refusal::classify(507, "QuotaExceededException", "Target mailbox quota exceeded.");
        assert!(quota.detail("a@contoso.cn", (1, 4)).contains("a@contoso.cn is full"));
    }
}
