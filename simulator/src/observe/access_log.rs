//! The access log: every vendor and tenant request with its timing, so that a connector's
//! manners (waits before retries, requests in flight per mailbox, re-logins) can be judged.
//! `GET /sim/requests` shows it. Times are microseconds since the simulator started; `end_us` is
//! when the answer's head was ready (a streamed body may take longer).
//!
//! Bounded like the journal: the newest [`AccessLog::capacity`] requests stay (50,000 by
//! default, `serve --log-capacity`), older ones are dropped and counted (`dropped` in
//! `GET /sim/requests`). The access log is never written to disk.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tm_contract::{Api, Op};

use crate::state::Shared;

/// What the tenant gate learnt about a request (a response extension).
#[derive(Debug, Clone)]
pub struct Tenant {
    /// The mailbox's primary address, when the path names a valid user.
    pub mailbox: Option<String>,
    /// Requests in flight for that mailbox, this one included, when it arrived.
    pub in_flight: usize,
}

/// The archive item a tenant request concerns (a response extension): the item an import
/// carried, once its body was read, or the item whose `Message-ID` a message query asks for.
/// RETRY-AFTER and BACKOFF judge a retry of such a request per item, as Graph's guidance is per
/// request. A request refused before its body was read (a throttle) names no item.
#[derive(Debug, Clone)]
pub struct Concerns(pub String);

/// One request: the contract's shape of `/sim/requests`' entries.
pub use tm_contract::RequestEntry as Logged;

/// The log.
#[derive(Debug)]
pub struct AccessLog {
    started: Instant,
    capacity: usize,
    entries: Mutex<Requests>,
}

#[derive(Debug, Default)]
struct Requests {
    kept: VecDeque<Logged>,
    total: u64,
}

impl Default for AccessLog {
    fn default() -> Self {
        AccessLog::new(crate::observe::journal::DEFAULT_CAPACITY)
    }
}

impl AccessLog {
    /// An empty log keeping at most `capacity` requests (at least one).
    pub fn new(capacity: usize) -> AccessLog {
        AccessLog { started: Instant::now(), capacity: capacity.max(1), entries: Mutex::new(Requests::default()) }
    }
    /// The requests kept, in arrival order.
    pub fn entries(&self) -> Vec<Logged> {
        let mut v: Vec<Logged> = self.entries.lock().expect("access log lock").kept.iter().cloned().collect();
        v.sort_by_key(|e| e.seq);
        v
    }
    /// The requests kept with a `seq` above `after`, in arrival order.
    pub fn entries_after(&self, after: u64) -> Vec<Logged> {
        let mut v: Vec<Logged> = self.entries.lock().expect("access log lock").kept.iter().filter(|e| e.seq > after).cloned().collect();
        v.sort_by_key(|e| e.seq);
        v
    }
    /// Requests ever logged (the last one's `seq`).
    pub fn total(&self) -> u64 {
        self.entries.lock().expect("access log lock").total
    }
    /// Requests no longer kept.
    pub fn dropped(&self) -> u64 {
        let e = self.entries.lock().expect("access log lock");
        e.total - e.kept.len() as u64
    }
    /// How many requests are kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
    /// Forgets everything.
    pub fn clear(&self) {
        let mut e = self.entries.lock().expect("access log lock");
        e.kept.clear();
        e.total = 0;
    }
    fn now_us(&self) -> u64 {
        self.started.elapsed().as_micros() as u64
    }
}

/// The API, operation and item of a request, from the route axum matched (`MatchedPath`) rather
/// than from the path again; a request no route matched is `other`.
fn classify(method: &axum::http::Method, path: &str, matched: Option<&str>) -> Option<(Api, Op, Option<String>)> {
    let api = if path.starts_with("/tm/v1") {
        Api::Vendor
    } else if path.starts_with("/graph/v1.0") {
        Api::Tenant
    } else if path.ends_with("/oauth2/v2.0/token") {
        return Some((Api::Identity, Op::Token, None));
    } else {
        return None;
    };
    let op = match matched {
        Some("/tm/v1/session") => Op::Login,
        Some("/tm/v1/items") => Op::List,
        Some("/tm/v1/items/{id}/raw") => Op::Raw,
        Some(m) if api == Api::Tenant => match crate::http::graph::op_of(method, Some(m)) {
            crate::world::faults::Op::Any => Op::Other,
            op => op.into(),
        },
        _ => Op::Other,
    };
    // The item of a download: the segment the route names `{id}`, percent-decoded.
    let item = (op == Op::Raw).then(|| path.split('/').rev().nth(1).map(decode)).flatten();
    Some((api, op, item))
}

/// A path segment, percent-decoded (`percent-encoding`; invalid UTF-8 replaced).
pub fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

/// Middleware: logs vendor and tenant requests.
pub async fn record(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let matched = request.extensions().get::<axum::extract::MatchedPath>().map(|m| m.as_str().to_owned());
    let Some((api, op, item_id)) = classify(request.method(), &path, matched.as_deref()) else { return next.run(request).await };
    let log = &state.requests;
    let seq = {
        // Reserve the arrival position now, so that the order is the order of arrival.
        let mut e = log.entries.lock().expect("access log lock");
        e.total += 1;
        let seq = e.total;
        if e.kept.len() == log.capacity {
            e.kept.pop_front();
        }
        e.kept.push_back(Logged {
            seq,
            api,
            op,
            request: format!("{} {path}", request.method()),
            item_id,
            mailbox: None,
            in_flight: None,
            status: 0,
            start_us: log.now_us(),
            end_us: 0,
        });
        seq
    };
    let response = next.run(request).await;
    let tenant = response.extensions().get::<Tenant>().cloned();
    let concerns = response.extensions().get::<Concerns>().map(|c| c.0.clone());
    let end = log.now_us();
    let mut e = log.entries.lock().expect("access log lock");
    if let Some(entry) = e.kept.iter_mut().rev().find(|x| x.seq == seq) {
        entry.status = response.status().as_u16();
        entry.end_us = end;
        if concerns.is_some() {
            entry.item_id = concerns;
        }
        if let Some(t) = tenant {
            entry.mailbox = t.mailbox;
            entry.in_flight = (t.in_flight > 0).then_some(t.in_flight);
        }
    }
    response
}
