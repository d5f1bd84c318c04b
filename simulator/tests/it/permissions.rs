//! What Graph checks after the token, on a real socket: the token's `roles` are the scenario's
//! granted application permissions (`[tenant] app_permissions`), an endpoint whose permission is
//! not granted answers Graph's 403, a mailbox outside `[tenant] app_scope` answers 403 "Access
//! to OData is disabled." (users are not scoped), and the request cap is Graph's 4 MB unless the
//! scenario sets another (`[tenant] max_request_bytes`). Every refusal is journalled.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;

use crate::support::*;

/// The small scenario with these lines added to its `[tenant]`.
fn with_tenant(lines: &str) -> tm_simulator::Scenario {
    let text = std::fs::read_to_string(SMALL).unwrap().replace("[tenant]\n", &format!("[tenant]\n{lines}\n"));
    tm_simulator::Scenario::from_toml_str(&text, "permissions").unwrap()
}

/// A client-credentials access token of the scenario's app.
async fn access_token(sim: &tm_simulator::Running) -> String {
    let c = sim.credentials().clone();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", c.client_id.as_str()),
        ("client_secret", c.client_secret.as_str()),
        ("scope", "https://graph.microsoft.com/.default"),
    ];
    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let url = format!("{}/{}/oauth2/v2.0/token", sim.base_url(), c.tenant_id);
    let r = client().post(url).header("content-type", "application/x-www-form-urlencoded").body(body).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string()
}

/// The claims of a JWT.
fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// A Graph request with this bearer token: (status, body).
async fn call(sim: &tm_simulator::Running, bearer: &str, method: reqwest::Method, path: &str, body: Option<Vec<u8>>) -> (u16, Value) {
    let mut req = client().request(method, format!("{}{path}", sim.graph_url())).bearer_auth(bearer);
    if let Some(b) = body {
        req = req.header("content-type", "text/plain").body(b);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// Base64 of a small MIME message padded with `x` to `mime_len` bytes.
fn mime_b64(mime_len: usize) -> Vec<u8> {
    let mut mime = b"Message-ID: <cap@test>\r\nFrom: a <a@x.cn>\r\nTo: b <b@x.cn>\r\nSubject: cap\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n".to_vec();
    mime.resize(mime_len, b'x');
    STANDARD.encode(&mime).into_bytes()
}

/// The journal's (status, code, mailbox) of every 403 and 413.
async fn refusals(sim: &tm_simulator::Running) -> Vec<(u64, String, String)> {
    let (_, journal) = get_json(&format!("{}/journal", sim.sim_url()), None).await;
    journal["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == 403 || e["status"] == 413)
        .map(|e| (e["status"].as_u64().unwrap(), e["code"].as_str().unwrap_or("").into(), e["mailbox"].as_str().unwrap_or("").into()))
        .collect()
}

#[tokio::test]
async fn tokens_carry_exactly_the_granted_permissions_in_roles() {
    let sim = start(small()).await;
    let roles = claims(&access_token(&sim).await)["roles"].clone();
    assert_eq!(roles, serde_json::json!(["User.Read.All", "Mail.ReadWrite", "Mail-Advanced.ReadWrite.All"]), "the default grant");
    let sim = start(with_tenant("app_permissions = [\"Mail.Read\", \"User.Read.All\"]")).await;
    assert_eq!(claims(&access_token(&sim).await)["roles"], serde_json::json!(["Mail.Read", "User.Read.All"]));
}

#[tokio::test]
async fn an_endpoint_whose_permission_is_not_granted_is_graphs_403_journalled() {
    let sim = start(with_tenant("app_permissions = [\"Mail.ReadBasic.All\"]")).await;
    let jwt = access_token(&sim).await;
    let static_token = sim.credentials().tenant_token.clone();
    for bearer in [&jwt, &static_token] {
        let (s, v) = call(&sim, bearer, reqwest::Method::GET, "/users?$top=1", None).await;
        assert_eq!((s, code(&v)), (403, "Authorization_RequestDenied"), "{v}");
        assert_eq!(v["error"]["message"], "Insufficient privileges to complete the operation.");
        assert!(v["error"]["innerError"]["request-id"].is_string(), "Graph's innerError: {v}");
    }
    let (s, v) = call(&sim, &jwt, reqwest::Method::GET, "/users/wang.wei@contoso.cn", None).await;
    assert_eq!((s, code(&v)), (403, "Authorization_RequestDenied"));
    let (s, v) = call(&sim, &jwt, reqwest::Method::GET, "/users/wang.wei@contoso.cn/mailFolders", None).await;
    assert_eq!(s, 200, "folders take Mail.ReadBasic.All: {v}");
    let import = "/users/wang.wei@contoso.cn/mailFolders/inbox/messages";
    let (s, v) = call(&sim, &jwt, reqwest::Method::POST, import, Some(mime_b64(200))).await;
    assert_eq!((s, code(&v)), (403, "ErrorAccessDenied"), "{v}");
    assert_eq!(v["error"]["message"], "Access is denied. Check credentials and try again.");
    let (s, _) = call(&sim, &jwt, reqwest::Method::POST, "/users/wang.wei@contoso.cn/mailFolders", Some(b"{}".to_vec())).await;
    assert_eq!(s, 403, "creating a folder takes Mail.ReadWrite");
    let (_, inbox) = call(&sim, &jwt, reqwest::Method::GET, "/users/wang.wei@contoso.cn/mailFolders/inbox", None).await;
    assert_eq!(inbox["totalItemCount"], 0, "nothing stored");
    let mail = "wang.wei@contoso.cn".to_string();
    let denied = |code: &str, mailbox: &str| (403, code.to_string(), mailbox.to_string());
    let directory = denied("Authorization_RequestDenied", "");
    assert_eq!(
        refusals(&sim).await,
        [
            directory.clone(),
            directory,
            denied("Authorization_RequestDenied", &mail),
            denied("ErrorAccessDenied", &mail),
            denied("ErrorAccessDenied", &mail)
        ]
    );
}

#[tokio::test]
async fn a_mailbox_outside_the_app_scope_is_403_while_users_stay_listed() {
    // Wang Wei by an alias; Grace (a user from her employee entry) is out of scope.
    let sim = start(with_tenant("app_scope = [\"w.wang@contoso.cn\"]")).await;
    let token = sim.credentials().tenant_token.clone();
    let (s, _) = call(&sim, &token, reqwest::Method::GET, "/users/wang.wei@contoso.cn/mailFolders", None).await;
    assert_eq!(s, 200);
    for (method, path, body) in [
        (reqwest::Method::GET, "/users/grace.chen@contoso.cn/mailFolders", None),
        (reqwest::Method::GET, "/users/grace.chen@contoso.cn/messages", None),
        (reqwest::Method::POST, "/users/grace.chen@contoso.cn/mailFolders/inbox/messages", Some(mime_b64(200))),
    ] {
        let (s, v) = call(&sim, &token, method, path, body).await;
        assert_eq!((s, code(&v)), (403, "ErrorAccessDenied"), "{path}: {v}");
        assert_eq!(v["error"]["message"], "Access to OData is disabled.");
    }
    let (s, v) = call(&sim, &token, reqwest::Method::GET, "/users/grace.chen@contoso.cn", None).await;
    assert_eq!((s, v["mail"].as_str()), (200, Some("grace.chen@contoso.cn")), "directory calls are not scoped");
    let (s, v) = call(&sim, &token, reqwest::Method::GET, "/users?$top=999", None).await;
    assert_eq!(s, 200);
    assert!(v["value"].as_array().unwrap().iter().any(|u| u["mail"] == "grace.chen@contoso.cn"), "{v}");
    let grace = (403, "ErrorAccessDenied".to_string(), "grace.chen@contoso.cn".to_string());
    assert_eq!(refusals(&sim).await, [grace.clone(), grace.clone(), grace]);
}

#[tokio::test]
async fn an_import_over_graphs_4_mb_is_413_and_one_of_4_mb_is_taken() {
    let sim = start(small()).await;
    let token = sim.credentials().tenant_token.clone();
    let path = "/users/wang.wei@contoso.cn/mailFolders/inbox/messages";
    let exactly = mime_b64(3 * 1024 * 1024);
    assert_eq!(exactly.len(), 4 * 1024 * 1024);
    let mut over = exactly.clone();
    over.extend_from_slice(b"\r\n");
    let (s, v) = call(&sim, &token, reqwest::Method::POST, path, Some(over)).await;
    assert_eq!((s, code(&v)), (413, "BadRequest"), "{v}");
    assert_eq!(v["error"]["message"], "The maximum request length supported is 4MB.");
    let (s, v) = call(&sim, &token, reqwest::Method::POST, path, Some(exactly)).await;
    assert_eq!(s, 201, "4 MB itself is taken: {v}");
    assert_eq!(refusals(&sim).await, [(413, "BadRequest".to_string(), "wang.wei@contoso.cn".to_string())]);
}

#[tokio::test]
async fn a_scenario_sets_a_larger_cap() {
    let sim = start(with_tenant("max_request_bytes = 8388608")).await;
    let token = sim.credentials().tenant_token.clone();
    let path = "/users/wang.wei@contoso.cn/mailFolders/inbox/messages";
    let (s, v) = call(&sim, &token, reqwest::Method::POST, path, Some(mime_b64(5 * 1024 * 1024))).await;
    assert_eq!(s, 201, "about 6.7 MB of base64: {v}");
    let (s, v) = call(&sim, &token, reqwest::Method::POST, path, Some(mime_b64(7 * 1024 * 1024))).await;
    assert_eq!((s, v["error"]["message"].as_str()), (413, Some("The maximum request length supported is 8MB.")), "{v}");
}

/// The import paths of issue 24 are checked as the folder import is: beta's `importMime` needs
/// `Mail-Advanced.ReadWrite.All` (Mail.ReadWrite does not do), the MIME create and move
/// `Mail.ReadWrite`; the 4 MB cap and the app's scope hold on each of them, under either version.
#[tokio::test]
async fn every_import_path_needs_its_permission_and_keeps_the_cap_and_the_scope() {
    let lines = "app_permissions = [\"User.Read.All\", \"Mail.ReadWrite\"]\napp_scope = [\"wang.wei@contoso.cn\"]";
    let sim = start(with_tenant(lines)).await;
    let jwt = access_token(&sim).await;
    // `/graph/v1.0/../beta/…` is `/graph/beta/…` once the URL is parsed.
    let beta = |p: &str| format!("/../beta{p}");
    let wang = "/users/wang.wei@contoso.cn";
    let (s, v) = call(&sim, &jwt, reqwest::Method::POST, &beta(&format!("{wang}/mailFolders/inbox/importMime")), Some(mime_b64(200))).await;
    assert_eq!((s, code(&v)), (403, "ErrorAccessDenied"), "importMime without Mail-Advanced.ReadWrite.All: {v}");
    let (s, draft) = call(&sim, &jwt, reqwest::Method::POST, &format!("{wang}/messages"), Some(mime_b64(200))).await;
    assert_eq!((s, draft["isDraft"].as_bool()), (201, Some(true)), "{draft}");
    let moved = format!("{wang}/messages/{}/move", draft["id"].as_str().unwrap());
    let r = client().post(format!("{}{moved}", sim.graph_url())).bearer_auth(&jwt).json(&serde_json::json!({"destinationId": "inbox"}));
    assert_eq!(r.send().await.unwrap().status(), 201, "move takes Mail.ReadWrite");
    let over = mime_b64(3 * 1024 * 1024 + 3);
    for path in [format!("{wang}/messages"), beta(&format!("{wang}/messages"))] {
        let (s, v) = call(&sim, &jwt, reqwest::Method::POST, &path, Some(over.clone())).await;
        assert_eq!((s, code(&v)), (413, "BadRequest"), "{path}: {v}");
    }
    let (s, v) = call(&sim, &jwt, reqwest::Method::POST, "/users/grace.chen@contoso.cn/messages", Some(mime_b64(200))).await;
    assert_eq!((s, v["error"]["message"].as_str()), (403, Some("Access to OData is disabled.")), "{v}");
    let sim = start(small()).await;
    let jwt = access_token(&sim).await;
    let (s, v) = call(&sim, &jwt, reqwest::Method::POST, &beta(&format!("{wang}/mailFolders/inbox/importMime")), Some(mime_b64(200))).await;
    assert_eq!((s, v["isDraft"].as_bool()), (201, Some(false)), "the default grant imports final messages: {v}");
}
