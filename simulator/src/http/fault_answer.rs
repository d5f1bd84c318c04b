//! Scripted faults as HTTP answers, for every API: the error a `status` fault answers (in the
//! vendor's words or Graph's), and bodies that break the connection part-way; and the answer of
//! the tenant's one unscripted failure, a full mailbox.

use std::time::Duration;

use axum::body::Body;
use axum::http::StatusCode;
use bytes::Bytes;
use futures_util::StreamExt;

use crate::http::error::ApiError;
use crate::tenant::quota::QuotaExceeded;
use crate::world::faults::FaultRule;

/// The error a `status` fault answers.
pub fn fault_error(rule: &FaultRule, tenant: bool) -> ApiError {
    let status = StatusCode::from_u16(rule.status.unwrap_or(500)).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let code = match (status.as_u16(), tenant) {
        (429, true) => "TooManyRequests",
        (429, false) => "rate_limited",
        (503, true) => "ServiceUnavailable",
        (503, false) => "unavailable",
        (_, true) => "InternalServerError",
        (_, false) => "internal_error",
    };
    ApiError { status, code, message: "the service failed (a scripted fault)".into(), retry_after: rule.retry_after() }
}

/// A full mailbox's answer, as Graph is reported giving it: 403 `ErrorQuotaExceeded` "Mailbox
/// has exceeded maximum mailbox size." (microsoft-graph-docs-contrib #6596, microsoft-graph-docs
/// #2927), or with `[tenant] quota_exceeded_status = 507` 507 `QuotaExceededException` "Target
/// mailbox quota exceeded." (microsoft-graph-docs #6546).
pub fn quota_exceeded(q: &QuotaExceeded) -> ApiError {
    match q.status {
        507 => ApiError::new(StatusCode::INSUFFICIENT_STORAGE, "QuotaExceededException", "Target mailbox quota exceeded."),
        _ => ApiError::new(StatusCode::FORBIDDEN, "ErrorQuotaExceeded", "Mailbox has exceeded maximum mailbox size."),
    }
}

/// A body that sends `bytes[..cut]` and then breaks the connection.
pub fn broken_body(bytes: Bytes, cut: usize) -> Body {
    let head = bytes.slice(..cut.min(bytes.len()));
    Body::from_stream(futures_util::stream::iter([Ok(head)]).chain(reset_later()))
}

/// After a pause that lets what was sent reach the client, an error that makes the server
/// abort the connection.
pub fn reset_later() -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::once(async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "scripted connection reset"))
    })
}
