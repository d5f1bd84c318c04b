//! Vendor sessions: `POST /tm/v1/session` hands out bearer tokens that expire.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{Timelike, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How long a vendor token lives.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// Issued tokens and their expiry.
#[derive(Debug)]
pub struct Sessions {
    rng: ChaCha8Rng,
    tokens: HashMap<String, Instant>,
}

impl Sessions {
    /// A session store whose tokens derive from `seed`.
    pub fn new(seed: u64) -> Sessions {
        Sessions { rng: ChaCha8Rng::seed_from_u64(seed ^ 0x746f_6b65_6e73), tokens: HashMap::new() }
    }

    /// Issues a token; returns it with its expiry in RFC 3339.
    pub fn issue(&mut self) -> (String, chrono::DateTime<Utc>) {
        let token = format!("tmv1.{:016x}{:016x}", self.rng.random::<u64>(), self.rng.random::<u64>());
        self.tokens.insert(token.clone(), Instant::now() + TOKEN_LIFETIME);
        let expires = Utc::now() + chrono::Duration::from_std(TOKEN_LIFETIME).expect("an hour fits");
        // Whole seconds, as the wire has always shown it.
        (token, expires.with_nanosecond(0).unwrap_or(expires))
    }

    /// True when the token was issued and has not expired.
    pub fn valid(&self, token: &str) -> bool {
        self.tokens.get(token).is_some_and(|exp| Instant::now() < *exp)
    }

    /// Forgets a token (it expired early: a fault).
    pub fn revoke(&mut self, token: &str) {
        self.tokens.remove(token);
    }
}
