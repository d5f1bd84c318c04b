//! `/activity`: the journal and the access log as live tables (the page script polls
//! `/sim/journal?after=` and `/sim/requests?after=`), throttles and faults highlighted, with
//! the requests in flight per mailbox. The newest rows are rendered here, so the page shows
//! something without JavaScript too.

use std::fmt::Write as _;

use axum::extract::State;
use axum::response::Response;

use super::{Section, esc, layout};
use crate::state::Shared;

/// Rows rendered with the page (the script keeps the newest 1,000).
const FIRST_ROWS: usize = 100;

/// The class a row gets: `pending`, `throttle`, `landed` (a write stored, then answered an
/// error), `fault`, `full` (a mailbox over its quota), `refused` or none (the script's
/// `classify` says the same).
pub fn row_class(status: u16, code: Option<&str>, fault: Option<&str>) -> &'static str {
    match status {
        0 => "pending",
        429 => "throttle",
        _ if code.is_some_and(|c| c.to_ascii_lowercase().contains("throttl")) => "throttle",
        _ if fault.is_some_and(|f| f.starts_with("stored, then")) => "landed",
        _ if fault.is_some() => "fault",
        _ if code.is_some_and(|c| c.contains("QuotaExceeded")) => "full",
        s if s >= 500 => "fault",
        s if s >= 400 => "refused",
        _ => "",
    }
}

pub async fn page(State(state): State<Shared>) -> Response {
    let requests = state.requests.entries();
    let journal: Vec<crate::observe::journal::Entry> = {
        let j = state.journal.lock().expect("journal lock");
        let skip = j.entries().len().saturating_sub(FIRST_ROWS);
        j.entries().skip(skip).cloned().collect()
    };
    let last_request = requests.iter().filter(|r| r.status != 0).map(|r| r.seq).max().unwrap_or(0);
    let first_pending = requests.iter().filter(|r| r.status == 0).map(|r| r.seq).min();
    let after = first_pending.map_or(last_request, |p| p - 1).min(last_request);
    let mut body = String::from(
        "<p id=\"activity-status\" class=\"count\" aria-live=\"polite\">Updates every second.</p>\
         <p class=\"legend\"><span class=\"tag throttle\">throttled</span> <span class=\"tag fault\">fault or 5xx</span> \
         <span class=\"tag landed\">stored, then answered 5xx</span> <span class=\"tag full\">mailbox full</span> \
         <span class=\"tag refused\">refused (4xx)</span> <span class=\"tag pending\">in flight</span></p>",
    );
    body.push_str(
        "<section aria-labelledby=\"inflight\"><h2 id=\"inflight\">Tenant requests per mailbox</h2><div class=\"scroll\"><table id=\"mailboxes\">\
         <thead><tr><th scope=\"col\">Mailbox</th><th scope=\"col\" class=\"num\">Requests</th><th scope=\"col\" class=\"num\">In flight (last)</th>\
         <th scope=\"col\" class=\"num\">In flight (max)</th><th scope=\"col\" class=\"num\">Throttled</th></tr></thead><tbody></tbody></table></div></section>",
    );
    let _ = write!(
        body,
        "<section aria-labelledby=\"req\"><h2 id=\"req\">Access log</h2><div class=\"scroll\"><table id=\"requests\" data-after=\"{after}\">\
         <thead><tr><th scope=\"col\" class=\"num\">#</th><th scope=\"col\">API</th><th scope=\"col\">Op</th><th scope=\"col\">Request</th>\
         <th scope=\"col\">Mailbox</th><th scope=\"col\" class=\"num\">In flight</th><th scope=\"col\" class=\"num\">Status</th><th scope=\"col\" class=\"num\">ms</th></tr></thead><tbody>"
    );
    request_rows(&mut body, &requests);
    body.push_str("</tbody></table></div></section>");
    let last_journal = journal.last().map_or(0, |e| e.seq);
    let _ = write!(
        body,
        "<section aria-labelledby=\"jr\"><h2 id=\"jr\">Journal</h2><div class=\"scroll\"><table id=\"journal\" data-after=\"{last_journal}\">\
         <thead><tr><th scope=\"col\" class=\"num\">#</th><th scope=\"col\">API</th><th scope=\"col\">Op</th><th scope=\"col\">Request</th>\
         <th scope=\"col\" class=\"num\">Status</th><th scope=\"col\">Code</th><th scope=\"col\">Mailbox</th><th scope=\"col\">Folder</th>\
         <th scope=\"col\">Item</th><th scope=\"col\">Fault</th></tr></thead><tbody>"
    );
    journal_rows(&mut body, &journal);
    body.push_str("</tbody></table></div></section>");
    layout("Activity", Section::Activity, &body)
}

/// The access log's newest rows, newest first.
fn request_rows(body: &mut String, requests: &[crate::observe::access_log::Logged]) {
    for r in requests.iter().rev().take(FIRST_ROWS) {
        let ms = if r.status == 0 { String::new() } else { format!("{:.1}", (r.end_us.saturating_sub(r.start_us)) as f64 / 1000.0) };
        let _ = write!(
            body,
            "<tr data-seq=\"{}\" class=\"{}\"><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{ms}</td></tr>",
            r.seq,
            row_class(r.status, None, None),
            r.seq,
            r.api,
            r.op,
            esc(&r.request),
            esc(r.mailbox.as_deref().unwrap_or("")),
            r.in_flight.map(|n| n.to_string()).unwrap_or_default(),
            if r.status == 0 { "…".to_string() } else { r.status.to_string() }
        );
    }
}

/// The journal's rows, newest first.
fn journal_rows(body: &mut String, journal: &[crate::observe::journal::Entry]) {
    for e in journal.iter().rev() {
        let fault = e.fault.as_ref().map(ToString::to_string);
        let _ = write!(
            body,
            "<tr data-seq=\"{}\" class=\"{}\"><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e.seq,
            row_class(e.status, e.code.as_deref(), fault.as_deref()),
            e.seq,
            e.api,
            e.op,
            esc(&e.request),
            e.status,
            esc(e.code.as_deref().unwrap_or("")),
            esc(e.mailbox.as_deref().unwrap_or("")),
            esc(e.folder.as_deref().unwrap_or("")),
            esc(e.item_id.as_deref().unwrap_or("")),
            esc(fault.as_deref().unwrap_or_default())
        );
    }
}

#[cfg(test)]
mod tests {
    use super::row_class;

    #[test]
    fn throttles_faults_and_refusals_are_told_apart() {
        assert_eq!(row_class(0, None, None), "pending");
        assert_eq!(row_class(429, Some("ApplicationThrottled"), None), "throttle");
        assert_eq!(row_class(503, Some("ServiceUnavailable"), None), "fault");
        assert_eq!(row_class(201, None, Some("latency 5 ms")), "fault");
        assert_eq!(row_class(429, None, Some("status 429 retry-after 1")), "throttle", "an injected throttle is a throttle");
        assert_eq!(row_class(404, Some("ErrorItemNotFound"), None), "refused");
        assert_eq!(row_class(504, Some("InternalServerError"), Some("stored, then status 504")), "landed");
        assert_eq!(row_class(403, Some("ErrorQuotaExceeded"), None), "full");
        assert_eq!(row_class(507, Some("QuotaExceededException"), None), "full");
        assert_eq!(row_class(201, None, None), "");
    }
}
