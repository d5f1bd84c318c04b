//! `/openapi.json`: the description served, every operation in it served, and the `/api` page
//! showing it. (CI also validates the document and fuzzes every operation with schemathesis:
//! compat/run.sh.)

use serde_json::Value;

use crate::support::{client, small, start};

async fn document(base: &str) -> Value {
    let r = client().get(format!("{base}/openapi.json")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    r.json().await.unwrap()
}

/// Every operation as `METHOD path (operationId): statuses`, in the document's order: the
/// surface a vendor generates a client from, reviewed as a snapshot.
fn surface(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let statuses: Vec<&str> = op["responses"].as_object().unwrap().keys().map(String::as_str).collect();
            out.push(format!(
                "{} {path} ({}) [{}]: {}",
                method.to_uppercase(),
                op["operationId"].as_str().unwrap(),
                op["tags"][0].as_str().unwrap(),
                statuses.join(" ")
            ));
        }
    }
    out
}

#[tokio::test]
async fn the_description_is_openapi_3_1_of_every_api_with_unique_operation_ids() {
    let sim = start(small()).await;
    let doc = document(&sim.base_url()).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let surface = surface(&doc);
    let ids: std::collections::BTreeSet<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|i| i.as_object().unwrap().values())
        .map(|o| o["operationId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), surface.len(), "operation ids are unique");
    for scheme in ["vendorSession", "graphToken"] {
        assert!(doc["components"]["securitySchemes"][scheme].is_object(), "{scheme} is declared");
    }
    // Every `$ref` names a schema the document has.
    let text = doc.to_string();
    for r in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = &r[..r.find('"').unwrap()];
        assert!(doc["components"]["schemas"][name].is_object(), "{name} is referenced but not declared");
    }
    insta::assert_yaml_snapshot!("openapi_surface", surface);
    sim.shutdown().await;
}

/// The router and the description come from one list per API (`utoipa-axum`); this checks the
/// other direction at the socket: a request to each described operation reaches a handler (a
/// route nobody serves answers axum's bare 404 with an empty body, or under `/graph/v1.0` Graph's
/// 400 "Resource not found for the segment").
#[tokio::test]
async fn every_described_operation_is_served() {
    let sim = start(small()).await;
    let base = sim.base_url();
    let doc = document(&base).await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, _) in item.as_object().unwrap() {
            let url = format!("{base}{}", path.replace(['{', '}'], "x"));
            let r = client().request(method.to_uppercase().parse().unwrap(), &url).bearer_auth("tenant-secret").send().await.unwrap();
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            assert!(!(status == 404 && body.is_empty()), "{method} {path}: no route answers it");
            assert!(!body.contains("Resource not found for the segment"), "{method} {path}: Graph's no-route answer");
            assert_ne!(status, 405, "{method} {path}: the method is not routed");
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked} operations");
    // And the control: a path nobody serves is recognised as such by the checks above.
    let r = client().get(format!("{base}/sim/nothing-here")).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.text().await.unwrap()), (404, String::new()));
    sim.shutdown().await;
}

#[tokio::test]
async fn the_api_page_shows_every_operation_and_schema_of_the_description() {
    let sim = start(small()).await;
    let base = sim.base_url();
    let doc = document(&base).await;
    let page = client().get(format!("{base}/api")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("href=\"/openapi.json\""), "the page links the description");
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let id = op["operationId"].as_str().unwrap();
            assert!(page.contains(&format!("id=\"op-{id}\"")), "{id} is on the page");
        }
    }
    for name in doc["components"]["schemas"].as_object().unwrap().keys() {
        assert!(page.contains(&format!("id=\"schema-{name}\"")), "schema {name} is on the page");
    }
    assert!(page.contains("<a href=\"#schema-ItemPage\">ItemPage</a>"), "answers link their schema");
    sim.shutdown().await;
}
