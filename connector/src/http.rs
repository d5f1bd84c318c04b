//! HTTP outcomes as the connector sees them: [`HttpError`] (a failed exchange, with enough
//! detail to decide and to explain), the classification of transport failures ([`Transport`],
//! [`TransportKind`]) and the parsing of `Retry-After`. What to do about an error is the retry
//! policy's business (`retry.rs`).

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

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
    pub(crate) fn after_attempts(mut self, n: u32) -> HttpError {
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

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

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
}
