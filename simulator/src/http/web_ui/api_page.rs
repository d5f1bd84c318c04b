//! `/api`: the OpenAPI description (`/openapi.json`) as a page: every operation by API, with its
//! parameters, request body and answers, and every schema, each linkable by its anchor
//! (`#op-{operationId}`, `#schema-{Name}`). Rendered on the server from the same document the
//! JSON is (a browsable viewer such as Swagger UI would be a megabyte of script from a CDN).

use std::fmt::Write as _;

use axum::extract::State;
use axum::response::Response;
use serde_json::Value;

use super::{Section, esc, layout};
use crate::state::Shared;

pub async fn page(State(state): State<Shared>) -> Response {
    let base = state.public.get().map(|p| p.base.clone()).unwrap_or_default();
    let c = &state.world.scenario.credentials;
    let doc: Value = serde_json::from_str(crate::http::openapi::json()).expect("the OpenAPI document is JSON");
    let mut body = format!(
        "<p>Base URL <code>{}</code>. The description: <a href=\"/openapi.json\">/openapi.json</a> (OpenAPI {}, \
         generated from the handlers). The vendor API takes the token of <code>POST /tm/v1/session</code> \
         (user <code>{}</code>); the tenant the static token <code>{}</code> or one from the identity platform \
         (tenant <code>{}</code>, client <code>{}</code>). The control plane takes no token.</p>",
        esc(&base),
        esc(doc["openapi"].as_str().unwrap_or("")),
        esc(&c.vendor_username),
        esc(&c.tenant_token),
        esc(&c.tenant_id),
        esc(&c.client_id)
    );
    body.push_str(&operations(&doc));
    body.push_str(&schemas(&doc));
    layout("API", Section::Api, &body)
}

/// The operations, grouped by tag in the document's tag order.
fn operations(doc: &Value) -> String {
    let mut out = String::new();
    let empty = serde_json::Map::new();
    let paths = doc["paths"].as_object().unwrap_or(&empty);
    for tag in doc["tags"].as_array().into_iter().flatten() {
        let name = tag["name"].as_str().unwrap_or("");
        let _ = write!(
            out,
            "<section aria-labelledby=\"tag-{n}\"><h2 id=\"tag-{n}\">{n}</h2><p>{}</p>",
            prose(tag["description"].as_str().unwrap_or("")),
            n = esc(name)
        );
        out.push_str("<div class=\"scroll\"><table class=\"api\"><thead><tr><th scope=\"col\">Method</th><th scope=\"col\">Path</th><th scope=\"col\">What</th></tr></thead><tbody>");
        for (path, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                if !op["tags"].as_array().is_some_and(|t| t.iter().any(|t| t == name)) {
                    continue;
                }
                let id = op["operationId"].as_str().unwrap_or("");
                let _ = write!(
                    out,
                    "<tr id=\"op-{id}\"><td>{}</td><td><code>{}</code></td><td><details><summary>{}</summary>{}</details></td></tr>",
                    esc(&method.to_uppercase()),
                    esc(path),
                    prose(op["summary"].as_str().unwrap_or(id)),
                    operation(op),
                    id = esc(id),
                );
            }
        }
        out.push_str("</tbody></table></div></section>");
    }
    out
}

/// One operation's details: description, security, parameters, request body, answers.
fn operation(op: &Value) -> String {
    let mut out = String::new();
    if let Some(d) = op["description"].as_str() {
        let _ = write!(out, "<p>{}</p>", prose(d));
    }
    if let Some(schemes) = op["security"].as_array() {
        let names: Vec<String> = schemes.iter().flat_map(|s| s.as_object().into_iter().flatten().map(|(k, _)| esc(k))).collect();
        let _ = write!(out, "<p>Authorization: {}</p>", names.join(", "));
    }
    if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
        out.push_str("<table><thead><tr><th scope=\"col\">Parameter</th><th scope=\"col\">In</th><th scope=\"col\">Type</th><th scope=\"col\">What</th></tr></thead><tbody>");
        for p in params {
            let required = if p["required"].as_bool() == Some(true) { " (required)" } else { "" };
            let _ = write!(
                out,
                "<tr><td><code>{}</code>{required}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(p["name"].as_str().unwrap_or("")),
                esc(p["in"].as_str().unwrap_or("")),
                type_of(&p["schema"]),
                prose(p["description"].as_str().unwrap_or(""))
            );
        }
        out.push_str("</tbody></table>");
    }
    if let Some(content) = op["requestBody"]["content"].as_object() {
        let _ = write!(out, "<p>Body: {}</p>", contents(content));
    }
    out.push_str(
        "<table><thead><tr><th scope=\"col\">Status</th><th scope=\"col\">What</th><th scope=\"col\">Body</th></tr></thead><tbody>",
    );
    for (status, r) in op["responses"].as_object().into_iter().flatten() {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(status),
            prose(r["description"].as_str().unwrap_or("")),
            r["content"].as_object().map(contents).unwrap_or_default()
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// A description's text as HTML: escaped, its `code` spans (the descriptions' only markup) set as code.
fn prose(text: &str) -> String {
    let escaped = esc(text);
    let parts: Vec<&str> = escaped.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return escaped; // an odd number of backticks: no spans, as written
    }
    parts.iter().enumerate().map(|(i, p)| if i % 2 == 1 { format!("<code>{p}</code>") } else { (*p).to_string() }).collect()
}

/// Media types with their schemas.
fn contents(content: &serde_json::Map<String, Value>) -> String {
    content.iter().map(|(media, c)| format!("<code>{}</code> {}", esc(media), type_of(&c["schema"]))).collect::<Vec<_>>().join(", ")
}

/// A schema in a few words: a link to a named schema, or its type.
fn type_of(schema: &Value) -> String {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{n}\">{n}</a>", n = esc(name));
    }
    if let Some(any) = schema["oneOf"].as_array().or_else(|| schema["anyOf"].as_array()) {
        return any.iter().map(type_of).collect::<Vec<_>>().join(" | ");
    }
    let kind = match &schema["type"] {
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | "),
        _ => String::new(),
    };
    let mut out = esc(&kind);
    if kind.contains("array") {
        let _ = write!(out, " of {}", type_of(&schema["items"]));
    }
    if let Some(f) = schema["format"].as_str() {
        let _ = write!(out, " ({})", esc(f));
    }
    if let Some(e) = schema["enum"].as_array() {
        let values: Vec<String> = e.iter().map(|v| esc(&v.to_string())).collect();
        let _ = write!(out, " {}", values.join(", "));
    }
    out
}

/// Every named schema with its properties.
fn schemas(doc: &Value) -> String {
    let mut out = String::from("<section aria-labelledby=\"schemas\"><h2 id=\"schemas\">Schemas</h2>");
    for (name, s) in doc["components"]["schemas"].as_object().into_iter().flatten() {
        let _ = write!(out, "<details id=\"schema-{n}\"><summary>{n}</summary>", n = esc(name));
        if let Some(d) = s["description"].as_str() {
            let _ = write!(out, "<p>{}</p>", prose(d));
        }
        let required: Vec<&str> = s["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        match s["properties"].as_object() {
            Some(props) => {
                out.push_str("<table><thead><tr><th scope=\"col\">Property</th><th scope=\"col\">Type</th><th scope=\"col\">What</th></tr></thead><tbody>");
                for (p, ps) in props {
                    let req = if required.contains(&p.as_str()) { " (required)" } else { "" };
                    let _ = write!(
                        out,
                        "<tr><td><code>{}</code>{req}</td><td>{}</td><td>{}</td></tr>",
                        esc(p),
                        type_of(ps),
                        prose(ps["description"].as_str().unwrap_or(""))
                    );
                }
                out.push_str("</tbody></table>");
            }
            None => {
                let _ = write!(out, "<p>{}</p>", type_of(s));
            }
        }
        out.push_str("</details>");
    }
    out.push_str("</section>");
    out
}

#[cfg(test)]
mod tests {
    use super::prose;
    use quickcheck::quickcheck;

    #[test]
    fn code_spans_are_set_as_code_and_the_rest_escaped() {
        assert_eq!(prose("the `ETag` of <b>"), "the <code>ETag</code> of &lt;b&gt;");
        assert_eq!(prose("a lone ` stays"), "a lone ` stays");
    }

    quickcheck! {
        fn prose_never_lets_markup_through(text: String) -> bool {
            let html = prose(&text).replace("<code>", "").replace("</code>", "");
            !html.contains('<') && !html.contains('>')
        }
    }
}
