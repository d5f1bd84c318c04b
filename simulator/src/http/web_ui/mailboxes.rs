//! `/mailboxes`: every valid mailbox; `/mailboxes/{address}[?folder=NAME]`: its folders and
//! messages; `/mailboxes/{address}/{number}`: one message, `…/eml` its bytes.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Section, enc, esc, layout, not_found, size};
use crate::state::Shared;
use crate::tenant::mailboxes::Message;
use crate::tenant::store::MessageBytes;

pub async fn list(State(state): State<Shared>) -> Response {
    let mut rows: Vec<(String, String, usize, usize)> = {
        let tenant = state.tenant.contents();
        state
            .tenant
            .directory
            .valid_users()
            .filter_map(|(u, _)| tenant.mailboxes.get(&u.id))
            .map(|m| {
                let messages = m.folders.iter().map(|f| f.messages.len()).sum();
                (m.address.clone(), m.upn.clone(), m.folders.len(), messages)
            })
            .collect()
    };
    rows.sort_by_key(|r| tm_contract::address_key(&r.0));
    let total: usize = rows.iter().map(|r| r.3).sum();
    let mut body =
        format!("<p class=\"count\"><strong>{}</strong> valid mailboxes, <strong data-count>{total}</strong> messages</p>", rows.len());
    body.push_str("<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Address</th><th scope=\"col\">UPN</th><th scope=\"col\" class=\"num\">Folders</th><th scope=\"col\" class=\"num\">Messages</th></tr></thead><tbody>");
    for (address, upn, folders, messages) in rows {
        let _ = write!(
            body,
            "<tr><td><a href=\"/mailboxes/{}\">{}</a></td><td>{}</td><td class=\"num\">{folders}</td><td class=\"num\">{messages}</td></tr>",
            enc(&address),
            esc(&address),
            esc(&upn)
        );
    }
    body.push_str("</tbody></table></div>");
    layout("Mailboxes", Section::Mailboxes, &body)
}

#[derive(Debug, Default, Deserialize)]
pub struct FolderQuery {
    #[serde(default)]
    folder: String,
}

pub async fn mailbox(State(state): State<Shared>, Path(address): Path<String>, Query(q): Query<FolderQuery>) -> Response {
    let Some(user) = state.tenant.directory.lookup(&address) else {
        return not_found(Section::Mailboxes, &format!("No valid mailbox {address:?}."));
    };
    let (primary, folders) = {
        let tenant = state.tenant.contents();
        let Some(m) = tenant.mailboxes.get(&user.id) else { return not_found(Section::Mailboxes, &format!("No mailbox {address:?}.")) };
        let mut folders: Vec<(String, Vec<Message>)> = m.folders.iter().map(|f| (f.name.clone(), f.messages.clone())).collect();
        folders.sort_by_key(|f| f.0.to_lowercase());
        (m.address.clone(), folders)
    };
    let a = enc(&primary);
    let current = if q.folder.is_empty() {
        folders.iter().find(|f| !f.1.is_empty()).map(|f| f.0.clone()).unwrap_or_default()
    } else {
        q.folder.clone()
    };
    let mut body = format!(
        "<p class=\"actions\">Export: <a href=\"/sim/mailboxes/{a}/export?format=mbox\" download>mbox</a> · \
         <a href=\"/sim/mailboxes/{a}/export?format=maildir\" download>Maildir (tar)</a></p>\
         <div class=\"split\"><nav aria-label=\"Folders\"><ul class=\"folders\">"
    );
    for (name, messages) in &folders {
        let cur = if name.eq_ignore_ascii_case(&current) { " aria-current=\"true\"" } else { "" };
        let _ = write!(
            body,
            "<li><a href=\"/mailboxes/{a}?folder={}\"{cur}>{}</a> <span class=\"badge\">{}</span></li>",
            enc(name),
            esc(name),
            messages.len()
        );
    }
    body.push_str("</ul></nav><section>");
    match folders.iter().find(|f| f.0.eq_ignore_ascii_case(&current)) {
        None if q.folder.is_empty() => body.push_str("<p>No messages yet.</p>"),
        None => {
            let _ = write!(body, "<p class=\"error\" role=\"alert\">No folder {} in this mailbox.</p>", esc(&q.folder));
        }
        Some((name, messages)) => folder_table(&mut body, &state.world.archive, &a, name, messages),
    }
    body.push_str("</section></div>");
    layout(&format!("Mailbox {primary}"), Section::Mailboxes, &body)
}

/// One folder's messages as a table, with its export links.
fn folder_table(body: &mut String, archive: &crate::world::archive::Archive, a: &str, name: &str, messages: &[Message]) {
    let f = enc(name);
    let _ = write!(
        body,
        "<h2>{}</h2><p class=\"count\"><strong data-count>{}</strong> messages · export this folder: \
         <a href=\"/sim/mailboxes/{a}/export?format=mbox&amp;folder={f}\" download>mbox</a> · \
         <a href=\"/sim/mailboxes/{a}/export?format=maildir&amp;folder={f}\" download>Maildir (tar)</a></p>",
        esc(name),
        messages.len()
    );
    body.push_str("<div class=\"scroll\"><table class=\"items\"><thead><tr><th scope=\"col\" class=\"num\">#</th><th scope=\"col\">ArchiveMessageID</th><th scope=\"col\">Written by</th><th scope=\"col\">State</th><th scope=\"col\" class=\"num\">Size</th></tr></thead><tbody>");
    for m in messages {
        let id = m.archive_id(archive).unwrap_or("—");
        let foreign = m.internet_message_id(archive).is_some_and(|x| crate::tenant::store::is_foreign(&x));
        let _ = write!(
            body,
            "<tr><td class=\"num\"><a href=\"/mailboxes/{a}/{0}\">{0}</a></td><td>{1}</td><td>{2}</td><td>{3}</td><td class=\"num\">{4}</td></tr>",
            m.number,
            esc(id),
            if foreign { "another program" } else { "the connector" },
            if m.draft { "draft" } else { "final" },
            size(m.size)
        );
    }
    body.push_str("</tbody></table></div>");
}

/// A message of a mailbox by its number, with its folder's name.
fn find(state: &Shared, address: &str, number: &str) -> Option<(String, String, Message)> {
    let user = state.tenant.directory.lookup(address)?;
    let number: u32 = number.parse().ok()?;
    let tenant = state.tenant.contents();
    let m = tenant.mailboxes.get(&user.id)?;
    m.folders.iter().find_map(|f| f.messages.iter().find(|x| x.number == number).map(|x| (m.address.clone(), f.name.clone(), x.clone())))
}

pub async fn message(State(state): State<Shared>, Path((address, number)): Path<(String, String)>) -> Response {
    let Some((primary, folder, m)) = find(&state, &address, &number) else {
        return not_found(Section::Mailboxes, &format!("No message {number:?} in mailbox {address:?}."));
    };
    let head = match state.message_bytes(&m) {
        Ok(Some(MessageBytes::Rendered(r))) => r.into_chunks().next().unwrap_or_default(),
        Ok(Some(MessageBytes::Kept(b))) => b.slice(..b.len().min(256 * 1024)),
        Ok(None) => bytes::Bytes::new(),
        Err(e) => return not_found(Section::Mailboxes, &e.to_string()),
    };
    let (headers, text) = super::headers_and_text(&head);
    let a = enc(&primary);
    let mut body = format!(
        "<p class=\"actions\"><a class=\"button\" href=\"/mailboxes/{a}/{0}/eml\" download>Download .eml</a> \
         <a href=\"/mailboxes/{a}?folder={1}\">← {2}</a></p><dl class=\"facts\"><dt>Mailbox</dt><dd>{3}</dd><dt>Folder</dt><dd>{2}</dd>\
         <dt>State</dt><dd>{7}</dd><dt>Size</dt><dd>{4} ({5} bytes)</dd><dt>sha256</dt><dd><code>{6}</code></dd>",
        m.number,
        enc(&folder),
        esc(&folder),
        esc(&primary),
        size(m.size),
        m.size,
        m.sha256_hex(),
        if m.draft { "draft (isDraft true)" } else { "final (isDraft false)" }
    );
    if let Some(id) = m.archive_id(&state.world.archive) {
        let same = matches!(m.content, crate::tenant::mailboxes::Content::Archive(_));
        let _ = write!(
            body,
            "<dt>Archive item</dt><dd><a href=\"/traffic/{}\">{}</a>{}</dd>",
            enc(id),
            esc(id),
            if same { " (these bytes)" } else { " (other bytes than the archive's)" }
        );
    }
    body.push_str("</dl>");
    let _ = write!(body, "<h2>Text</h2><pre class=\"transcript\">{}</pre>", esc(&text));
    let _ = write!(body, "<h2>Headers</h2><div class=\"scroll\">{}</div>", super::header_table(&headers));
    layout(&format!("Message {} of {primary}", m.number), Section::Mailboxes, &body)
}

pub async fn download(State(state): State<Shared>, Path((address, number)): Path<(String, String)>) -> Response {
    let Some((primary, _, m)) = find(&state, &address, &number) else {
        return not_found(Section::Mailboxes, &format!("No message {number:?} in mailbox {address:?}."));
    };
    match state.message_bytes(&m) {
        Ok(Some(MessageBytes::Rendered(r))) => {
            let len = r.size();
            super::eml(&format!("{primary}-{}", m.number), super::body_of(r.into_chunks()), len)
        }
        Ok(Some(MessageBytes::Kept(b))) => {
            let len = b.len() as u64;
            super::eml(&format!("{primary}-{}", m.number), axum::body::Body::from(b), len)
        }
        Ok(None) => not_found(Section::Mailboxes, "This simulator does not keep message bodies (--no-keep-bodies)."),
        Err(e) => not_found(Section::Mailboxes, &e.to_string()),
    }
}
