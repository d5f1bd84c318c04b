//! The web UI at `/`: what a scenario holds, its traffic, the tenant's mailboxes and the live
//! activity, for people building a connector.
//!
//! Server-rendered HTML (no framework, no build step, no CDN): every page is one request, works
//! without JavaScript, and its URL holds its filters, so it can be linked and reloaded. The one
//! script (`/ui/app.js`, a few KB) makes the activity table and the live counters update by
//! polling the control plane. Assets are compiled into the binary (`include_str!`), so the UI
//! works offline. HTML is written with `format!` and [`esc`]: a template engine would add a
//! dependency for what a dozen small functions do.

mod activity;
mod api_page;
mod mailboxes;
mod overview;
mod traffic;

use std::fmt::Write as _;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::state::Shared;

const STYLE: &str = include_str!("assets/style.css");
const SCRIPT: &str = include_str!("assets/app.js");

/// The UI's routes (merged at the root of the listener).
pub fn router() -> Router<Shared> {
    Router::new()
        .route("/", get(overview::page))
        .route("/traffic", get(traffic::list))
        .route("/traffic/{id}", get(traffic::item))
        .route("/traffic/{id}/eml", get(traffic::download))
        .route("/mailboxes", get(mailboxes::list))
        .route("/mailboxes/{address}", get(mailboxes::mailbox))
        .route("/mailboxes/{address}/{number}", get(mailboxes::message))
        .route("/mailboxes/{address}/{number}/eml", get(mailboxes::download))
        .route("/activity", get(activity::page))
        .route("/api", get(api_page::page))
        .route("/ui/style.css", get(|| async { asset("text/css; charset=utf-8", STYLE) }))
        .route("/ui/app.js", get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    r
}

/// Text made safe for HTML text and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A path segment or query value, percent-encoded.
pub fn enc(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The navigation's sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Overview,
    Traffic,
    Mailboxes,
    Activity,
    Api,
}

/// A whole page: head, navigation, the body given.
pub fn layout(title: &str, section: Section, body: &str) -> Response {
    let mut nav = String::new();
    for (s, href, label) in [
        (Section::Overview, "/", "Overview"),
        (Section::Traffic, "/traffic", "Traffic"),
        (Section::Mailboxes, "/mailboxes", "Mailboxes"),
        (Section::Activity, "/activity", "Activity"),
        (Section::Api, "/api", "API"),
    ] {
        let current = if s == section { r#" aria-current="page""# } else { "" };
        let _ = write!(nav, r#"<a href="{href}"{current}>{label}</a>"#);
    }
    let html = format!(
        r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · tm-simulator</title><link rel="stylesheet" href="/ui/style.css"><script src="/ui/app.js" defer></script></head>
<body><a class="skip" href="#main">Skip to content</a>
<header><span class="brand">tm-simulator</span><nav aria-label="Sections">{nav}</nav></header>
<main id="main" tabindex="-1"><h1>{title}</h1>
{body}
</main></body></html>"##,
        title = esc(title)
    );
    Html(html).into_response()
}

/// A page saying what was not found (404).
pub fn not_found(section: Section, what: &str) -> Response {
    let mut r = layout("Not found", section, &format!("<p class=\"error\">{}</p>", esc(what)));
    *r.status_mut() = StatusCode::NOT_FOUND;
    r
}

/// A size for people: `812 B`, `14.2 KB`, `10.0 MB`.
pub fn size(bytes: u64) -> String {
    match bytes {
        b if b < 1_000 => format!("{b} B"),
        b if b < 1_000_000 => format!("{:.1} KB", b as f64 / 1e3),
        b if b < 1_000_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b => format!("{:.2} GB", b as f64 / 1e9),
    }
}

/// A capture time for people: `2026-11-20 09:14:03 UTC`.
pub fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Headers and the first text part of a message's first bytes (mail-parser).
pub fn headers_and_text(head: &[u8]) -> (Vec<(String, String)>, String) {
    let Some(m) = mail_parser::MessageParser::default().parse(head) else { return (Vec::new(), String::new()) };
    let headers = m.headers_raw().map(|(name, value)| (name.to_string(), value.trim().replace("\r\n", "\n"))).collect();
    (headers, m.body_text(0).map(|t| t.into_owned()).unwrap_or_default())
}

/// The table of a message's headers.
pub fn header_table(headers: &[(String, String)]) -> String {
    let mut out = String::from("<table class=\"headers\"><tbody>");
    for (name, value) in headers {
        let _ = write!(out, "<tr><th scope=\"row\">{}</th><td>{}</td></tr>", esc(name), esc(value));
    }
    out.push_str("</tbody></table>");
    out
}

/// A message sent as a `.eml` download.
pub fn eml(file: &str, body: axum::body::Body, len: u64) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("message/rfc822"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    let name: String = file.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.@".contains(c) { c } else { '_' }).collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.eml\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// A stream of chunks as a body.
pub fn body_of(chunks: impl Iterator<Item = bytes::Bytes> + Send + 'static) -> axum::body::Body {
    axum::body::Body::from_stream(futures_util::stream::iter(chunks.map(Ok::<_, std::io::Error>)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::quickcheck;

    quickcheck! {
        fn escaped_text_holds_no_markup(s: String) -> bool {
            let e = esc(&s);
            !e.contains(['<', '>', '"', '\'']) && e.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&") == s
        }
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(812), "812 B");
        assert_eq!(size(14_200), "14.2 KB");
        assert_eq!(size(10_485_761), "10.5 MB");
    }
}
