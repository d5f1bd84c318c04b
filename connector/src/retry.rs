//! Manners: exponential backoff with jitter, `Retry-After`, and the classification of HTTP
//! outcomes into "done", "retry" and "give up".
//!
//! - 5xx, 408 and transport errors (connect, timeout, reset, truncated body) are retried with
//!   exponential backoff and jitter, up to [`RetryPolicy::max_attempts`].
//! - 429 and 503 with `Retry-After` are retried no earlier than the server asked (the jitter is
//!   only ever added on top). A `Retry-After` longer than [`RetryPolicy::max_retry_after`] is not
//!   waited out: the call fails instead of hanging the run.
//! - Re-login on the vendor's 401 `invalid_token` is the caller's business ([`Step::RetryNow`]).
//! - Every other 4xx is final.

use std::future::Future;
use std::time::Duration;

use rand::Rng;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

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

/// Parses `Retry-After`: delay-seconds (the contract's form) or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>()
        && seconds.is_finite()
        && seconds >= 0.0
    {
        return Some(Duration::from_secs_f64(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = date.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// A failed HTTP exchange, with enough detail to decide and to explain. Never contains secrets:
/// request URLs and bodies carry none, and authorization headers are not part of it.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// No usable response: connect, timeout, reset, TLS, truncated body. The cause is said once,
    /// in words (see [`Transport`]), not as reqwest's chain of wrappers.
    #[error("{what}: {}{}", transport.cause, after(*attempts))]
    Transport {
        /// What was being done.
        what: String,
        /// What went wrong on the wire.
        transport: Transport,
        /// Attempts made (1 unless retries were exhausted).
        attempts: u32,
    },
    /// The server answered with an error status.
    #[error("{what}: HTTP {status} {code}: {message}{}", after(*attempts))]
    Status {
        /// What was being done.
        what: String,
        /// The status.
        status: StatusCode,
        /// The error code from the JSON error body (empty when there is none).
        code: String,
        /// The message from the JSON error body (or a body excerpt).
        message: String,
        /// The `Retry-After` the server sent.
        retry_after: Option<Duration>,
        /// Attempts made (1 unless retries were exhausted).
        attempts: u32,
    },
    /// The server answered 2xx with something the contract does not allow.
    #[error("{what}: unexpected response: {detail}")]
    Protocol {
        /// What was being done.
        what: String,
        /// What was wrong.
        detail: String,
    },
    /// The server asked to wait longer than the policy allows.
    #[error("{what}: the server asked to retry after {after:?}, longer than the {limit:?} allowed")]
    RetryAfterTooLong {
        /// What was being done.
        what: String,
        /// The requested wait.
        after: Duration,
        /// The policy's limit.
        limit: Duration,
    },
}

/// " (gave up after N attempts)" when retries were exhausted.
fn after(attempts: u32) -> String {
    if attempts > 1 { format!(" (gave up after {attempts} attempts)") } else { String::new() }
}

/// A transport failure, classified once from reqwest's error and its sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transport {
    /// What kind of failure.
    pub kind: TransportKind,
    /// The cause in a few words (`connection refused`, `timed out`, `TLS: invalid peer
    /// certificate: UnknownIssuer`).
    pub cause: String,
    /// The request URL, query left out (URLs carry no secrets: item ids, addresses, cursors).
    pub url: Option<String>,
}

/// The kinds of transport failure a message and a retry decision care about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// No connection could be made (refused, unreachable, DNS, TLS handshake).
    Connect,
    /// No answer in time.
    Timeout,
    /// The request could not even be built: never retried.
    Builder,
    /// Anything else (reset mid-body, truncated body, protocol error).
    Other,
}

impl Transport {
    /// Classifies a reqwest error: the deepest cause that says something (an I/O error kind, a
    /// TLS error), in words, once.
    pub fn of(e: &reqwest::Error) -> Transport {
        let url = e.url().map(|u| {
            let mut u = u.clone();
            u.set_query(None);
            u.to_string()
        });
        let mut cause = None;
        let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
        while let Some(s) = source {
            if let Some(tls) = s.downcast_ref::<rustls::Error>() {
                cause = Some(format!("TLS: {tls}"));
                break;
            }
            if let Some(mut io) = s.downcast_ref::<std::io::Error>() {
                use std::io::ErrorKind as K;
                // rustls reports through I/O errors that hold it (not as their source), nested.
                while let Some(inner) = io.get_ref() {
                    if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
                        cause = Some(format!("TLS: {tls}"));
                        break;
                    }
                    match inner.downcast_ref::<std::io::Error>() {
                        Some(nested) => io = nested,
                        None => break,
                    }
                }
                if cause.as_deref().is_some_and(|c| c.starts_with("TLS: ")) {
                    break;
                }
                let words = match io.kind() {
                    K::ConnectionRefused => Some("connection refused".to_owned()),
                    K::ConnectionReset => Some("connection reset".to_owned()),
                    K::ConnectionAborted => Some("connection aborted".to_owned()),
                    K::TimedOut => Some("timed out".to_owned()),
                    K::UnexpectedEof => Some("the connection closed early".to_owned()),
                    _ => None,
                };
                if let Some(w) = words {
                    cause = Some(w);
                    break;
                }
            }
            cause = Some(strip_os_error(&s.to_string()));
            source = s.source();
        }
        let kind = if e.is_builder() {
            TransportKind::Builder
        } else if e.is_timeout() {
            TransportKind::Timeout
        } else if e.is_connect() {
            TransportKind::Connect
        } else {
            TransportKind::Other
        };
        let cause = match (kind, cause) {
            (TransportKind::Timeout, _) => "timed out".to_owned(),
            (_, Some(c)) => c,
            (_, None) => strip_os_error(&e.to_string()),
        };
        Transport { kind, cause, url }
    }
}

/// `Connection refused (os error 111)` → `connection refused`; other texts as they are.
fn strip_os_error(text: &str) -> String {
    let t = text.split(" (os error").next().unwrap_or(text).trim();
    let mut c = t.chars();
    c.next().map_or_else(String::new, |f| f.to_lowercase().chain(c).collect())
}

impl HttpError {
    /// A transport failure of `what`.
    pub fn transport(what: &str, e: &reqwest::Error) -> HttpError {
        HttpError::Transport { what: what.to_owned(), transport: Transport::of(e), attempts: 1 }
    }

    /// The same error, noting that it is the last of `n` attempts.
    fn after_attempts(mut self, n: u32) -> HttpError {
        match &mut self {
            HttpError::Transport { attempts, .. } | HttpError::Status { attempts, .. } => *attempts = n,
            _ => {}
        }
        self
    }

    /// The transport failure, for a transport error.
    pub fn transport_failure(&self) -> Option<&Transport> {
        match self {
            HttpError::Transport { transport, .. } => Some(transport),
            _ => None,
        }
    }

    /// For a failure to connect or to get an answer in time: why, in words, with the attempts
    /// made (`connection refused (gave up after 6 attempts)`).
    pub fn unreachable(&self) -> Option<String> {
        match self {
            HttpError::Transport { transport, attempts, .. }
                if matches!(transport.kind, TransportKind::Connect | TransportKind::Timeout) =>
            {
                Some(format!("{}{}", transport.cause, after(*attempts)))
            }
            _ => None,
        }
    }

    /// The status, for a status error.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            HttpError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The JSON error code, for a status error.
    pub fn code(&self) -> Option<&str> {
        match self {
            HttpError::Status { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Reads an error response into a [`HttpError::Status`] (the body is read up to 4 KiB).
    pub async fn from_response(what: &str, response: reqwest::Response) -> HttpError {
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let body = read_capped(response, 4096).await;
        let (code, message) = match serde_json::from_slice::<tm_contract::ErrorBody>(&body) {
            Ok(b) => (b.error.code, b.error.message),
            Err(_) => (String::new(), String::from_utf8_lossy(&body).chars().take(200).collect()),
        };
        HttpError::Status { what: what.to_owned(), status, code, message, retry_after, attempts: 1 }
    }
}

async fn read_capped(mut response: reqwest::Response, cap: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < cap {
        match response.chunk().await {
            Ok(Some(chunk)) => out.extend_from_slice(&chunk[..chunk.len().min(cap - out.len())]),
            _ => break,
        }
    }
    out
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
                if status.is_server_error() || *status == StatusCode::TOO_MANY_REQUESTS || *status == StatusCode::REQUEST_TIMEOUT =>
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
    use reqwest::header::HeaderValue;

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
    fn retry_after_parses_seconds_and_dates() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static(" 7 "));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("1.5"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(1500)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn server_errors_throttling_and_timeouts_are_retried_other_client_errors_are_not() {
        for code in [500, 502, 503, 504, 429, 408] {
            assert!(matches!(Step::<()>::from_error(status(code, None)), Step::Retry(_)), "{code}");
        }
        for code in [400, 401, 403, 404, 409, 413, 415] {
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
