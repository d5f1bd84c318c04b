//! `/api`: the three HTTP APIs this simulator serves, with where their contract is written.

use std::fmt::Write as _;

use axum::extract::State;
use axum::response::Response;

use super::{Section, esc, layout};
use crate::server::Shared;

/// (API, method, path, what it does).
const ENDPOINTS: &[(&str, &str, &str, &str)] = &[
    ("Vendor archive", "POST", "/tm/v1/session", "log in with the vendor user and password: a bearer token"),
    ("Vendor archive", "GET", "/tm/v1/items?from=&to=&limit=&cursor=", "items captured in [from, to), a page at a time"),
    ("Vendor archive", "GET", "/tm/v1/items/{id}/raw", "an item's RFC 5322 bytes (message/rfc822)"),
    ("Identity", "POST", "/{tenant}/oauth2/v2.0/token", "client credentials: an access token for the tenant"),
    ("Identity", "GET", "/{tenant}/v2.0/.well-known/openid-configuration", "the authority's metadata"),
    ("Tenant (Graph v1.0)", "GET", "/graph/v1.0/users/{user}", "a user by id or userPrincipalName"),
    ("Tenant (Graph v1.0)", "GET", "/graph/v1.0/users?$filter=", "users by mail or proxyAddresses"),
    ("Tenant (Graph v1.0)", "GET POST", "/graph/v1.0/users/{user}/mailFolders", "top-level folders; create one"),
    ("Tenant (Graph v1.0)", "GET POST", "/graph/v1.0/users/{user}/mailFolders/{folder}/childFolders", "child folders; create one"),
    (
        "Tenant (Graph v1.0)",
        "GET POST",
        "/graph/v1.0/users/{user}/mailFolders/{folder}/messages",
        "messages ($filter, $select, $top); import MIME (base64, text/plain)",
    ),
    ("Tenant (Graph v1.0)", "GET", "/graph/v1.0/users/{user}/messages/{message}/$value", "a message's MIME"),
    ("Control plane", "GET", "/sim/scenario", "the scenario: credentials, counts, population, live progress"),
    ("Control plane", "GET", "/sim/mailboxes", "every mailbox, its folders and items"),
    ("Control plane", "GET", "/sim/mailboxes/{address}/items/{id}/raw", "the bytes a mailbox holds for an item"),
    (
        "Control plane",
        "GET",
        "/sim/mailboxes/{address}/export?format=mbox|maildir&folder=",
        "a mailbox or folder as mbox or a Maildir tarball",
    ),
    ("Control plane", "GET", "/sim/journal?after=", "import attempts, folder creations, refusals, failed vendor calls"),
    ("Control plane", "GET", "/sim/requests?after=", "the access log: every vendor and tenant request, timed"),
    ("Control plane", "GET", "/sim/stats", "what the tenant and the logs hold"),
    ("Control plane", "POST", "/sim/reset", "the tenant back to its initial state"),
];

pub async fn page(State(state): State<Shared>) -> Response {
    let base = state.public.get().map(|p| p.base.clone()).unwrap_or_default();
    let c = &state.scenario.credentials;
    let mut body = format!(
        "<p>Base URL <code>{}</code>. The vendor API takes the token of <code>POST /tm/v1/session</code> \
         (user <code>{}</code>); the tenant the static token <code>{}</code> or one from the identity platform \
         (tenant <code>{}</code>, client <code>{}</code>). The control plane takes no token.</p>",
        esc(&base),
        esc(&c.vendor_username),
        esc(&c.tenant_token),
        esc(&c.tenant_id),
        esc(&c.client_id)
    );
    body.push_str("<div class=\"scroll\"><table><thead><tr><th scope=\"col\">API</th><th scope=\"col\">Method</th><th scope=\"col\">Path</th><th scope=\"col\">What</th></tr></thead><tbody>");
    for (api, method, path, what) in ENDPOINTS {
        let _ = write!(body, "<tr><td>{api}</td><td>{method}</td><td><code>{}</code></td><td>{}</td></tr>", esc(path), esc(what));
    }
    body.push_str("</tbody></table></div>");
    layout("API", Section::Api, &body)
}
