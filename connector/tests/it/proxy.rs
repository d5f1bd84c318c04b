//! A recording, fault-injecting HTTP proxy in front of the simulator: what the connector asked,
//! when, how many at once per mailbox, and scripted faults (status answers, answers after the
//! request was forwarded, delays).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone)]
pub enum Action {
    /// Answer this status (JSON error body, optional Retry-After) without forwarding.
    Status { status: u16, code: &'static str, retry_after: Option<u64> },
    /// Answer this status with Graph's own error message, without forwarding.
    Refuse { status: u16, code: &'static str, message: &'static str },
    /// Forward, then answer this status instead of the real answer (the request took effect).
    AfterForward { status: u16 },
    /// Wait, then forward.
    Delay(Duration),
    /// Forward, and stream the answer back chunked, without `Content-Length`.
    StripLength,
}

#[derive(Debug, Clone)]
pub struct Fault {
    pub method: &'static str,
    pub path_contains: String,
    pub times: usize,
    pub action: Action,
}

#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    pub method: String,
    pub path: String,
    pub status: u16,
}

struct Inner {
    upstream: String,
    client: reqwest::Client,
    faults: Mutex<Vec<Fault>>,
    seen: Mutex<Vec<Seen>>,
    /// Per mailbox (user id in the path): (in flight now, most ever in flight).
    in_flight: Mutex<HashMap<String, (usize, usize)>>,
}

pub struct Proxy {
    pub url: String,
    inner: Arc<Inner>,
}

impl Proxy {
    pub async fn start(upstream: &str, faults: Vec<Fault>) -> Proxy {
        let inner = Arc::new(Inner {
            upstream: upstream.to_owned(),
            client: reqwest::Client::new(),
            faults: Mutex::new(faults),
            seen: Mutex::new(Vec::new()),
            in_flight: Mutex::new(HashMap::new()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = Router::new().fallback(handle).with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Proxy { url, inner }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.inner.seen.lock().unwrap().clone()
    }

    /// Requests whose method matches and whose path contains `needle`.
    pub fn requests(&self, method: &str, needle: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.method == method && s.path.contains(needle)).collect()
    }

    /// The most requests ever in flight at once against one mailbox.
    pub fn max_in_flight_per_mailbox(&self) -> usize {
        self.inner.in_flight.lock().unwrap().values().map(|(_, max)| *max).max().unwrap_or(0)
    }

    /// Faults not yet used up.
    pub fn remaining_faults(&self) -> usize {
        self.inner.faults.lock().unwrap().iter().map(|f| f.times).sum()
    }
}

fn take_fault(inner: &Inner, method: &str, path: &str) -> Option<Action> {
    let mut faults = inner.faults.lock().unwrap();
    let fault = faults.iter_mut().find(|f| f.times > 0 && f.method == method && path.contains(&f.path_contains))?;
    fault.times -= 1;
    Some(fault.action.clone())
}

/// `/graph/v1.0/users/{id}/mailFolders...` (or `/graph/beta/…`, where `importMime` is) → `{id}`.
fn mailbox_of(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/graph/v1.0/users/").or_else(|| path.strip_prefix("/graph/beta/users/"))?;
    let (id, tail) = rest.split_once('/')?;
    tail.starts_with("mailFolders").then(|| id.to_owned())
}

async fn handle(State(inner): State<Arc<Inner>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let method = parts.method.to_string();
    let path = parts.uri.path().to_owned();
    let path_and_query = parts.uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();

    let mailbox = mailbox_of(&path);
    if let Some(m) = &mailbox {
        let mut map = inner.in_flight.lock().unwrap();
        let entry = map.entry(m.clone()).or_default();
        entry.0 += 1;
        entry.1 = entry.1.max(entry.0);
    }
    let action = take_fault(&inner, &method, &path);
    let response = respond(&inner, &parts, &path_and_query, body, action).await;
    if let Some(m) = &mailbox {
        inner.in_flight.lock().unwrap().get_mut(m).unwrap().0 -= 1;
    }
    inner.seen.lock().unwrap().push(Seen { at: Instant::now(), method, path, status: response.status().as_u16() });
    response
}

async fn respond(
    inner: &Inner,
    parts: &axum::http::request::Parts,
    path_and_query: &str,
    body: bytes::Bytes,
    action: Option<Action>,
) -> Response {
    match action {
        Some(Action::Status { status, code, retry_after }) => {
            let mut r = (
                StatusCode::from_u16(status).unwrap(),
                axum::Json(serde_json::json!({"error": {"code": code, "message": "injected by the test proxy"}})),
            )
                .into_response();
            if let Some(s) = retry_after {
                r.headers_mut().insert("retry-after", HeaderValue::from(s));
            }
            return r;
        }
        Some(Action::Refuse { status, code, message }) => {
            let body = serde_json::json!({"error": {"code": code, "message": message}});
            return (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response();
        }
        Some(Action::Delay(d)) => tokio::time::sleep(d).await,
        _ => {}
    }
    let mut forward = inner.client.request(parts.method.clone(), format!("{}{path_and_query}", inner.upstream)).body(body);
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            forward = forward.header(name, value);
        }
    }
    let upstream = match forward.send().await {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    if let Some(Action::AfterForward { status }) = action {
        let _ = upstream.bytes().await;
        return (
            StatusCode::from_u16(status).unwrap(),
            axum::Json(serde_json::json!({"error": {"code": "InjectedAfterForward", "message": "the request took effect"}})),
        )
            .into_response();
    }
    let status = upstream.status();
    let headers = upstream.headers().clone();
    let bytes = upstream.bytes().await.unwrap_or_default();
    let body = if matches!(action, Some(Action::StripLength)) {
        let chunks: Vec<Result<bytes::Bytes, std::io::Error>> =
            bytes.chunks(64 * 1024).map(|c| Ok(bytes::Bytes::copy_from_slice(c))).collect();
        Body::from_stream(futures_util::stream::iter(chunks))
    } else {
        Body::from(bytes)
    };
    let mut r = Response::new(body);
    *r.status_mut() = status;
    for (name, value) in &headers {
        if name != "transfer-encoding" && name != "content-length" && name != "connection" {
            r.headers_mut().insert(name, value.clone());
        }
    }
    r
}
