//! The error body both APIs answer: `{"error":{"code":"...","message":"..."}}`.

use serde::{Deserialize, Serialize};

/// An error answer's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Machine-readable code (`invalid_token`, `ErrorItemNotFound`, ...); empty when a server
    /// sent none (read leniently: an error body is read to explain a failure, not to judge it).
    #[serde(default)]
    pub code: String,
    /// For people.
    #[serde(default)]
    pub message: String,
}

impl ErrorBody {
    /// A body with this code and message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> ErrorBody {
        ErrorBody { error: ErrorDetail { code: code.into(), message: message.into() } }
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
