//! The error body both APIs share: `{"error":{"code","message"}}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tm_contract::ErrorBody;

use crate::world::faults::RetryAfter;

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Machine-readable code.
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
    /// `Retry-After`, for 429 and 503: whole seconds, or (a scripted fault) fractional or absent.
    pub retry_after: Option<RetryAfter>,
}

impl ApiError {
    /// An error without `Retry-After`.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), retry_after: None }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, axum::Json(ErrorBody::new(self.code, self.message))).into_response();
        if let Some(value) = self.retry_after.and_then(|r| r.header_value())
            && let Ok(value) = HeaderValue::from_str(&value)
        {
            r.headers_mut().insert(header::RETRY_AFTER, value);
        }
        r
    }
}
