//! `/traffic`: the archive's items, searched and filtered by participant, kind, source, thread
//! and time (the URL holds the filters); `/traffic/{id}`: one item, `/traffic/{id}/eml` its bytes.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Section, enc, esc, layout, not_found, size, time};
use crate::state::Shared;
use crate::world::archive::ArchivedItem;
use crate::world::item::Conversation;
use crate::world::people::Population;
use crate::world::render::{recipients, thread};

/// Items per page.
const PAGE: usize = 100;

/// The filters, as the URL holds them.
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    /// A participant's name, mobile or address (part of it, any case).
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    /// A WeCom message type (`X-TELEMESSAGE-ContentType`).
    #[serde(default, rename = "type")]
    content: String,
    #[serde(default)]
    source: String,
    /// A thread's id or part of its name.
    #[serde(default)]
    thread: String,
    /// Captured at or after (`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`, UTC).
    #[serde(default)]
    from: String,
    /// Captured before.
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: usize,
}

/// A time a person typed, in epoch ms (UTC): a day, a minute or RFC 3339.
fn parse_time(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(d.timestamp_millis());
    }
    if let Ok(d) = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M") {
        return Some(d.and_utc().timestamp_millis());
    }
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").ok().map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp_millis())
}

/// Whether a person matches a search (name, mobile with or without spaces, address).
fn person_matches(p: &crate::world::scenario::Person, needle: &str) -> bool {
    let digits: String = needle.chars().filter(|c| c.is_ascii_digit()).collect();
    p.name.to_lowercase().contains(needle)
        || p.email.to_lowercase().contains(needle)
        || p.mobile.as_deref().is_some_and(|m| m.contains(needle) || (digits.len() >= 4 && m.contains(&digits)))
}

/// The items a set of filters selects, in listing order.
pub fn select<'a>(items: &[&'a ArchivedItem], population: &Population, f: &Filters) -> Result<Vec<&'a ArchivedItem>, String> {
    let from = match f.from.trim() {
        "" => None,
        t => Some(parse_time(t).ok_or_else(|| format!("from: {t:?} is no time (YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC)"))?),
    };
    let to = match f.to.trim() {
        "" => None,
        t => Some(parse_time(t).ok_or_else(|| format!("to: {t:?} is no time (YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC)"))?),
    };
    let needle = f.q.trim().to_lowercase();
    // Who matches, once per request: then each item is a lookup.
    let people: Vec<bool> = population.persons.iter().map(|p| needle.is_empty() || person_matches(p, &needle)).collect();
    let groups: Vec<bool> =
        (0..population.groups.len() as u32).map(|g| population.members(g).iter().any(|m| people[*m as usize])).collect();
    let thread_needle = f.thread.trim().to_lowercase();
    Ok(items
        .iter()
        .copied()
        .filter(|i| from.is_none_or(|t| i.spec.captured_ms >= t) && to.is_none_or(|t| i.spec.captured_ms < t))
        .filter(|i| f.kind.is_empty() || i.spec.kind.as_str() == f.kind)
        .filter(|i| f.content.is_empty() || i.spec.content.as_str() == f.content)
        .filter(|i| f.source.is_empty() || i.spec.source.as_str() == f.source)
        .filter(|i| {
            needle.is_empty()
                || people[i.spec.actor as usize]
                || match i.spec.conversation {
                    Conversation::Direct(p) => people[p as usize],
                    Conversation::Group(g) => groups[g as usize],
                    Conversation::SelfNote => false,
                }
        })
        .filter(|i| {
            thread_needle.is_empty() || {
                let (id, name) = thread(&i.spec, population);
                id.to_lowercase() == thread_needle || name.to_lowercase().contains(&thread_needle)
            }
        })
        .collect())
}

fn query_string(f: &Filters, page: usize) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("q", &f.q),
        ("kind", &f.kind),
        ("type", &f.content),
        ("source", &f.source),
        ("thread", &f.thread),
        ("from", &f.from),
        ("to", &f.to),
    ] {
        if !v.is_empty() {
            q.append_pair(k, v);
        }
    }
    if page > 0 {
        q.append_pair("page", &page.to_string());
    }
    q.finish()
}

fn options(name: &str, current: &str, values: &[&str]) -> String {
    let mut out = format!("<select name=\"{name}\" id=\"f-{name}\"><option value=\"\">any</option>");
    for v in values {
        let sel = if *v == current { " selected" } else { "" };
        let _ = write!(out, "<option{sel}>{v}</option>");
    }
    out.push_str("</select>");
    out
}

pub async fn list(State(state): State<Shared>, Query(f): Query<Filters>) -> Response {
    let population = &state.world.archive.population;
    let items: Vec<&ArchivedItem> = state.arrived_items().collect();
    let mut body = filter_form(&f);
    let selected = match select(&items, population, &f) {
        Ok(s) => s,
        Err(e) => {
            let _ = write!(body, "<p class=\"error\" role=\"alert\">{}</p>", esc(&e));
            let mut r = layout("Traffic", Section::Traffic, &body);
            *r.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            return r;
        }
    };
    let pages = selected.len().div_ceil(PAGE).max(1);
    let page = f.page.min(pages - 1);
    let _ = write!(
        body,
        "<p class=\"count\" aria-live=\"polite\"><strong data-count>{}</strong> items{} · page {} of {pages}</p>",
        selected.len(),
        if state.options.live.is_some() { " arrived so far" } else { "" },
        page + 1
    );
    body.push_str(
        "<div class=\"scroll\"><table class=\"items\"><thead><tr><th scope=\"col\">Captured</th><th scope=\"col\">Kind</th><th scope=\"col\">Type</th><th scope=\"col\">Source</th>\
         <th scope=\"col\">From</th><th scope=\"col\">Thread</th><th scope=\"col\" class=\"num\">Size</th></tr></thead><tbody>",
    );
    for i in selected.iter().skip(page * PAGE).take(PAGE) {
        row(&mut body, &state.world.archive, i);
    }
    body.push_str("</tbody></table></div><nav class=\"pages\" aria-label=\"Pages\">");
    if page > 0 {
        let _ = write!(body, "<a href=\"/traffic?{}\" rel=\"prev\">← Previous</a> ", esc(&query_string(&f, page - 1)));
    }
    if page + 1 < pages {
        let _ = write!(body, "<a href=\"/traffic?{}\" rel=\"next\">Next →</a>", esc(&query_string(&f, page + 1)));
    }
    body.push_str("</nav>");
    layout("Traffic", Section::Traffic, &body)
}

/// The search form, holding the filters asked for.
fn filter_form(f: &Filters) -> String {
    let kinds: Vec<&str> = super::overview::KINDS.iter().map(|k| k.0).collect();
    let types: Vec<&str> = crate::world::content::ContentType::ALL.iter().map(|t| t.as_str()).collect();
    format!(
        "<form class=\"filters\" method=\"get\" action=\"/traffic\" role=\"search\">\
         <label for=\"f-q\">Participant</label><input id=\"f-q\" name=\"q\" value=\"{}\" placeholder=\"name, mobile or address\">\
         <label for=\"f-kind\">Kind</label>{}\
         <label for=\"f-type\">Type</label>{}\
         <label for=\"f-source\">Source</label>{}\
         <label for=\"f-thread\">Thread</label><input id=\"f-thread\" name=\"thread\" value=\"{}\" placeholder=\"id or name\">\
         <label for=\"f-from\">From</label><input id=\"f-from\" name=\"from\" value=\"{}\" placeholder=\"YYYY-MM-DD[THH:MM]\">\
         <label for=\"f-to\">To</label><input id=\"f-to\" name=\"to\" value=\"{}\" placeholder=\"YYYY-MM-DD[THH:MM]\">\
         <button type=\"submit\">Search</button> <a href=\"/traffic\">Clear</a></form>",
        esc(&f.q),
        options("kind", &f.kind, &kinds),
        options("type", &f.content, &types),
        options("source", &f.source, &["wechat", "wecom"]),
        esc(&f.thread),
        esc(&f.from),
        esc(&f.to)
    )
}

/// One item's row in the traffic table.
fn row(body: &mut String, archive: &crate::world::archive::Archive, i: &crate::world::archive::ArchivedItem) {
    let population = &archive.population;
    let actor = population.person(i.spec.actor);
    let (thread_id, thread_name) = thread(&i.spec, population);
    let _ = write!(
        body,
        "<tr><td><a href=\"/traffic/{}\">{}</a></td><td>{}</td><td><a href=\"/traffic?type={}\">{}</a></td><td>{}</td><td>{}</td><td><a href=\"/traffic?thread={}\">{}</a></td><td class=\"num\">{}</td></tr>",
        enc(&i.spec.id),
        time(i.spec.captured_ms),
        i.spec.kind.as_str(),
        i.spec.content.as_str(),
        i.spec.content.as_str(),
        i.spec.source.as_str(),
        esc(&actor.name),
        enc(&thread_id),
        esc(&thread_name),
        size(archive.size(i))
    );
}

fn person_row(p: &crate::world::scenario::Person, role: &str) -> String {
    format!(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{role}</td></tr>",
        esc(&p.name),
        esc(p.mobile.as_deref().unwrap_or("—")),
        esc(&p.email),
        if p.employee { "employee" } else { "external" }
    )
}

pub async fn item(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    let Some(item) = state.world.archive.get(&id).filter(|i| state.has_arrived(i)) else {
        return not_found(Section::Traffic, &format!("No item {id:?} in the archive (yet)."));
    };
    let population = &state.world.archive.population;
    let spec = &item.spec;
    let head = state.world.archive.render(item).into_chunks().next().unwrap_or_default();
    let (headers, text) = super::headers_and_text(&head);
    let (thread_id, thread_name) = thread(spec, population);
    let mut body = format!(
        "<p class=\"actions\"><a class=\"button\" href=\"/traffic/{0}/eml\" download>Download .eml</a> \
         <a href=\"/traffic?thread={1}\">Thread: {2}</a></p>\
         <dl class=\"facts\"><dt>Id</dt><dd><code>{3}</code></dd><dt>Captured</dt><dd>{4}</dd><dt>Kind</dt><dd>{5}</dd><dt>Content type</dt><dd>{10}</dd>\
         <dt>Source</dt><dd>{6}</dd><dt>Size</dt><dd>{7} ({8} bytes)</dd><dt>sha256</dt><dd><code>{9}</code></dd>",
        enc(&spec.id),
        enc(&thread_id),
        esc(&thread_name),
        esc(&spec.id),
        time(spec.captured_ms),
        spec.kind.as_str(),
        spec.source.as_str(),
        size(state.world.archive.size(item)),
        state.world.archive.size(item),
        state.world.archive.sha256(item),
        spec.content.as_str()
    );
    for q in &spec.quoted {
        let p = population.person(*q);
        let _ = write!(body, "<dt>Quoted (not a participant)</dt><dd>{}</dd>", esc(&p.name));
    }
    if let Some(original) = &spec.recalls {
        let _ = write!(body, "<dt>Recalls</dt><dd><a href=\"/traffic/{}\">{}</a></dd>", enc(original), esc(original));
    }
    let recalled_by: Vec<&ArchivedItem> = state.arrived_items().filter(|i| i.spec.recalls.as_deref() == Some(spec.id.as_str())).collect();
    for r in recalled_by {
        let _ = write!(body, "<dt>Recalled by</dt><dd><a href=\"/traffic/{}\">{}</a></dd>", enc(&r.spec.id), esc(&r.spec.id));
    }
    if let Some(call) = &spec.call {
        let _ = write!(body, "<dt>Call</dt><dd>{} · {} s</dd>", call.call_type.as_str(), call.duration);
    }
    body.push_str("</dl>");
    body.push_str("<h2>Participants</h2><div class=\"scroll\"><table><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Mobile</th><th scope=\"col\">Address</th><th scope=\"col\">Who</th><th scope=\"col\">Role</th></tr></thead><tbody>");
    body.push_str(&person_row(population.person(spec.actor), "sender"));
    for r in recipients(spec, population).into_iter().filter(|r| *r != spec.actor) {
        body.push_str(&person_row(population.person(r), "recipient"));
    }
    body.push_str("</tbody></table></div>");
    if let Some(a) = &spec.attachment {
        let len = a.len.map(size).unwrap_or_else(|| "—".into());
        let _ = write!(
            body,
            "<h2>Attachment</h2><table><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Type</th><th scope=\"col\" class=\"num\">Size</th></tr></thead>\
             <tbody><tr><td>{}</td><td>{}</td><td class=\"num\">{len}</td></tr></tbody></table>",
            esc(&a.name),
            a.media.mime()
        );
    }
    let _ = write!(body, "<h2>Transcript</h2><pre class=\"transcript\">{}</pre>", esc(&text));
    let _ = write!(body, "<h2>Headers</h2><div class=\"scroll\">{}</div>", super::header_table(&headers));
    layout(&format!("Item {}", spec.id), Section::Traffic, &body)
}

pub async fn download(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    let Some(item) = state.world.archive.get(&id).filter(|i| state.has_arrived(i)) else {
        return not_found(Section::Traffic, &format!("No item {id:?} in the archive (yet)."));
    };
    let r = state.world.archive.render(item);
    let len = r.size();
    super::eml(&id, super::body_of(r.into_chunks()), len)
}
