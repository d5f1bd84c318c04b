//! The vendor login (`POST /tm/v1/session`): credentials in, a bearer token out.

use serde::{Deserialize, Serialize};

/// The login request body.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionRequest {
    /// The vendor account.
    pub username: String,
    /// Its password (never printed: `Debug` leaves it out).
    pub password: String,
}

impl std::fmt::Debug for SessionRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRequest").field("username", &self.username).finish_non_exhaustive()
    }
}

/// The login answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    /// The bearer token for `/items`.
    pub token: String,
    /// When the token expires (RFC 3339), if the vendor says.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    #[serde(default)]
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_shapes_are_pinned_and_the_password_is_never_printed() {
        let request = SessionRequest { username: "archiver".into(), password: "archiver-secret".into() };
        let session = Session { token: "tmv1.0123456789abcdef".into(), expires_at: Some("2026-11-21T01:00:00Z".parse().unwrap()) };
        insta::assert_snapshot!(format!("{}\n{}", serde_json::to_string(&request).unwrap(), serde_json::to_string(&session).unwrap()));
        assert!(!format!("{request:?}").contains("archiver-secret"));
        let without: Session = serde_json::from_str(r#"{"token":"t"}"#).unwrap();
        assert_eq!(without.expires_at, None);
    }
}
