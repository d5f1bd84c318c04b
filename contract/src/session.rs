//! The vendor login (`POST /tm/v1/session`): credentials in, a bearer token out.

use serde::{Deserialize, Serialize};

/// The login request body.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
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
pub struct Session {
    /// The bearer token for `/items`.
    pub token: String,
    /// When the token expires (RFC 3339), if the vendor says.
    #[serde(default)]
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}
