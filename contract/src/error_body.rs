//! The error body both APIs answer: `{"error":{"code":"...","message":"..."}}`.

use serde::{Deserialize, Serialize};

/// An error answer's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Machine-readable code (`invalid_token`, `ErrorItemNotFound`, ...); empty when a server
    /// sent none (read leniently: an error body is read to explain a failure, not to judge it).
    #[serde(default)]
    pub code: String,
    /// For people.
    #[serde(default)]
    pub message: String,
    /// Graph's diagnostics (the tenant only): when, and which request.
    #[serde(rename = "innerError", default, skip_serializing_if = "Option::is_none")]
    pub inner_error: Option<InnerError>,
}

/// Graph's `innerError`: the request's ids and the time of the error
/// (<https://learn.microsoft.com/graph/errors>).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InnerError {
    /// When, `YYYY-MM-DDTHH:MM:SS` (UTC), as Graph writes it.
    #[serde(default)]
    pub date: String,
    /// The service's id of the request (also the `request-id` header).
    #[serde(rename = "request-id", default)]
    pub request_id: String,
    /// The client's id of the request (its `client-request-id` header, or one made for it).
    #[serde(rename = "client-request-id", default)]
    pub client_request_id: String,
}

impl ErrorBody {
    /// A body with this code and message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> ErrorBody {
        ErrorBody { error: ErrorDetail { code: code.into(), message: message.into(), inner_error: None } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_body_shape_is_pinned_and_read_leniently() {
        insta::assert_snapshot!(
            serde_json::to_string_pretty(&ErrorBody::new("invalid_token", "the token has expired; log in again")).unwrap()
        );
        let partial: ErrorBody = serde_json::from_str(r#"{"error":{"code":"TooManyRequests"}}"#).unwrap();
        assert_eq!(partial, ErrorBody::new("TooManyRequests", ""));
        assert!(serde_json::from_str::<ErrorBody>(r#"{"message":"no error object"}"#).is_err());
    }
}
