//! The retry policy: exponential backoff with jitter, `Retry-After`, and the classification of
//! HTTP outcomes ([`HttpError`], `http.rs`) into "done", "retry" and "give up".
//!
//! - 5xx, 408 and transport errors (connect, timeout, reset, truncated body) are retried with
//!   exponential backoff and jitter, up to [`RetryPolicy::max_attempts`].
//! - 429 and 503 with `Retry-After` are retried no earlier than the server asked (the jitter is
//!   only ever added on top). A `Retry-After` longer than [`RetryPolicy::max_retry_after`] is not
//!   waited out: the call fails instead of hanging the run.
//! - Re-login on the vendor's 401 `invalid_token` is the caller's business ([`Step::RetryNow`]).
//! - Every other 4xx is final, and so is 507 Insufficient Storage: a full mailbox
//!   (`QuotaExceededException`, as Graph is reported answering a write to one,
//!   <https://github.com/microsoftgraph/microsoft-graph-docs/issues/6546>) does not empty itself
//!   between two attempts (QUOTA).

use std::future::Future;
use std::time::Duration;

use rand::Rng;
use reqwest::StatusCode;

use crate::http::{HttpError, TransportKind};

/// How often and how patiently calls are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per call, the first included (at least 1).
    pub max_attempts: u32,
    /// Backoff before the first retry; doubled per retry.
    pub base_delay: Duration,
    /// Longest backoff between two attempts (Retry-After excepted).
    pub max_delay: Duration,
    /// Longest `Retry-After` honoured; a longer one fails the call.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// The exponential backoff before retry number `retry` (1-based), with "equal jitter":
    /// uniformly in `[d/2, d]` where `d = min(base · 2^(retry-1), max_delay)`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(20);
        let full = self.base_delay.saturating_mul(1u32 << exp).min(self.max_delay);
        let half = full / 2;
        let jitter_ns = rand::rng().random_range(0..=half.as_nanos().min(u64::MAX as u128) as u64);
        half + Duration::from_nanos(jitter_ns)
    }

    /// The wait before retry number `retry`: never shorter than `retry_after` when the server
    /// sent one (jitter only added on top, at most `base_delay`), else [`Self::backoff`].
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(after) => {
                let spread = self.base_delay.as_nanos().min(u64::MAX as u128) as u64;
                after + Duration::from_nanos(rand::rng().random_range(0..=spread))
            }
            None => self.backoff(retry),
        }
    }
}

/// What one attempt of a call came to.
#[derive(Debug)]
pub enum Step<T> {
    /// Success.
    Done(T),
    /// Retry after backoff (or no earlier than the server's `Retry-After`).
    Retry(HttpError),
    /// Retry at once (after a re-login).
    RetryNow(HttpError),
    /// Final failure.
    Fail(HttpError),
}

impl<T> Step<T> {
    /// The same step with its value mapped (errors kept as they are).
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Step<U> {
        match self {
            Step::Done(v) => Step::Done(f(v)),
            Step::Retry(e) => Step::Retry(e),
            Step::RetryNow(e) => Step::RetryNow(e),
            Step::Fail(e) => Step::Fail(e),
        }
    }

    /// The step for an error response or a transport error, per the module rules.
    pub fn from_error(error: HttpError) -> Step<T> {
        match &error {
            HttpError::Transport { transport, .. } if transport.kind == TransportKind::Builder => Step::Fail(error),
            HttpError::Transport { .. } => Step::Retry(error),
            HttpError::Status { status, .. }
                if (status.is_server_error() && *status != StatusCode::INSUFFICIENT_STORAGE)
                    || *status == StatusCode::TOO_MANY_REQUESTS
                    || *status == StatusCode::REQUEST_TIMEOUT =>
            {
                Step::Retry(error)
            }
            _ => Step::Fail(error),
        }
    }
}

/// Runs `attempt` until it is done, fails, or the policy is exhausted; sleeps between attempts
/// per [`RetryPolicy::delay`].
pub async fn run<T, F, Fut>(policy: &RetryPolicy, mut attempt: F) -> Result<T, HttpError>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Step<T>>,
{
    let max = policy.max_attempts.max(1);
    let mut immediate_retries = 0;
    let mut n = 1;
    loop {
        let error = match attempt(n).await {
            Step::Done(value) => return Ok(value),
            Step::Fail(error) => return Err(error),
            Step::RetryNow(error) => {
                // Bounded separately so that a server that keeps rejecting fresh tokens ends.
                immediate_retries += 1;
                if immediate_retries > 3 {
                    return Err(error);
                }
                continue;
            }
            Step::Retry(error) => error,
        };
        if n >= max {
            return Err(error.after_attempts(n));
        }
        let asked = match &error {
            HttpError::Status { retry_after, .. } => *retry_after,
            _ => None,
        };
        if let Some(after) = asked
            && after > policy.max_retry_after
        {
            let what = match &error {
                HttpError::Status { what, .. } => what.clone(),
                _ => String::new(),
            };
            return Err(HttpError::RetryAfterTooLong { what, after, limit: policy.max_retry_after });
        }
        let wait = policy.delay(n, asked);
        tracing::debug!(attempt = n, wait_ms = wait.as_millis() as u64, error = %error, "retrying");
        tokio::time::sleep(wait).await;
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(60),
        }
    }

    fn status(code: u16, retry_after: Option<u64>) -> HttpError {
        HttpError::Status {
            what: "test".into(),
            status: StatusCode::from_u16(code).unwrap(),
            code: String::new(),
            message: String::new(),
            retry_after: retry_after.map(Duration::from_secs),
            attempts: 1,
        }
    }

    #[test]
    fn backoff_grows_exponentially_within_jitter_bounds_and_is_capped() {
        let p = policy();
        for _ in 0..200 {
            let b1 = p.backoff(1);
            assert!(b1 >= Duration::from_millis(50) && b1 <= Duration::from_millis(100), "{b1:?}");
            let b3 = p.backoff(3);
            assert!(b3 >= Duration::from_millis(200) && b3 <= Duration::from_millis(400), "{b3:?}");
            let b30 = p.backoff(30);
            assert!(b30 >= Duration::from_millis(500) && b30 <= Duration::from_millis(1000), "{b30:?}");
        }
    }

    #[test]
    fn a_retry_after_is_never_undercut() {
        let p = policy();
        for _ in 0..200 {
            let d = p.delay(1, Some(Duration::from_secs(2)));
            assert!(d >= Duration::from_secs(2) && d <= Duration::from_millis(2100), "{d:?}");
        }
    }

    #[test]
    fn server_errors_throttling_and_timeouts_are_retried_other_client_errors_are_not() {
        for code in [500, 502, 503, 504, 429, 408] {
            assert!(matches!(Step::<()>::from_error(status(code, None)), Step::Retry(_)), "{code}");
        }
        for code in [400, 401, 403, 404, 409, 413, 415, 507] {
            assert!(matches!(Step::<()>::from_error(status(code, None)), Step::Fail(_)), "{code}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn run_retries_until_success_and_waits_at_least_retry_after() {
        let p = policy();
        let start = tokio::time::Instant::now();
        let result = run(&p, |n| async move {
            match n {
                1 => Step::Retry(status(429, Some(5))),
                2 => Step::Retry(status(503, None)),
                _ => Step::Done(n),
            }
        })
        .await;
        assert_eq!(result.unwrap(), 3);
        assert!(start.elapsed() >= Duration::from_millis(5_000 + 50));
    }

    #[tokio::test(start_paused = true)]
    async fn run_gives_up_after_max_attempts_with_the_last_error() {
        let mut calls = 0;
        let result: Result<(), _> = run(&policy(), |_| {
            calls += 1;
            async { Step::Retry(status(500, None)) }
        })
        .await;
        assert_eq!(calls, 4);
        assert_eq!(result.unwrap_err().status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    }

    #[tokio::test(start_paused = true)]
    async fn run_refuses_to_wait_longer_than_the_policy_allows() {
        let result: Result<(), _> = run(&policy(), |_| async { Step::Retry(status(429, Some(3600))) }).await;
        assert!(matches!(result, Err(HttpError::RetryAfterTooLong { .. })));
    }

    #[tokio::test(start_paused = true)]
    async fn immediate_retries_are_bounded() {
        let mut calls = 0;
        let result: Result<(), _> = run(&policy(), |_| {
            calls += 1;
            async { Step::RetryNow(status(401, None)) }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls, 4);
    }
}
