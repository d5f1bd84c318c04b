//! The tenant API's messages (`/graph/v1.0`): MIME import and its journal, the message resource
//! and its queries, the request cap and throttling; the identity platform's tokens; the
//! `foreign_write` fault and the access log.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::support::*;
use crate::tenant_api::{graph, user_id};

fn sample_mime(id: &str) -> Vec<u8> {
    format!("Message-ID: <{id}@test>\r\nX-TELEMESSAGE-ArchiveMessageID: {id}\r\nFrom: a <a@x.cn>\r\nTo: b <b@x.cn>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhi\r\n").into_bytes()
}

#[tokio::test]
async fn importing_mime_is_201_and_shows_up_in_the_folder_count_and_the_control_plane() {
    let sim = start(small()).await;
    let id = user_id(&sim, "wang.wei@contoso.cn").await;
    let (_, folders) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders"), None).await;
    let folder = folders["value"].as_array().unwrap().iter().find(|f| f["displayName"] == "WeChat Archiver").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mime = sample_mime("probe-1");
    // Line breaks inside the base64 are allowed.
    let mut b64 = STANDARD.encode(&mime).into_bytes();
    b64.splice(20..20, b"\r\n".iter().copied());
    let path = format!("/users/{id}/mailFolders/{folder}/messages");
    let (s, v) = graph(&sim, reqwest::Method::POST, &path, Some(("text/plain", b64.clone()))).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["internetMessageId"], "<probe-1@test>");
    assert_eq!(v["parentFolderId"], folder.as_str());
    // The same message again is stored again: the tenant does not deduplicate, the journal shows both.
    let (s, _) = graph(&sim, reqwest::Method::POST, &path, Some(("text/plain", b64))).await;
    assert_eq!(s, 201);
    let (_, folders) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders"), None).await;
    let count = folders["value"].as_array().unwrap().iter().find(|f| f["id"] == folder.as_str()).unwrap()["totalItemCount"].clone();
    assert_eq!(count, 2);
    let (_, mailboxes) = get_json(&format!("{}/mailboxes", sim.sim_url()), None).await;
    let mb = mailboxes["mailboxes"].as_array().unwrap().iter().find(|m| m["address"] == "wang.wei@contoso.cn").unwrap();
    let f = mb["folders"].as_array().unwrap().iter().find(|f| f["name"] == "WeChat Archiver").unwrap();
    assert_eq!(f["items"].as_array().unwrap().len(), 2);
    assert_eq!(f["items"][0]["id"], "probe-1");
    assert_eq!(f["items"][0]["size"], mime.len());
    let (_, journal) = get_json(&format!("{}/journal", sim.sim_url()), None).await;
    let imports: Vec<&Value> = journal["entries"].as_array().unwrap().iter().filter(|e| e["op"] == "import").collect();
    assert_eq!(imports.len(), 2);
    assert!(imports.iter().all(|e| e["item_id"] == "probe-1" && e["status"] == 201 && e["mailbox"] == "wang.wei@contoso.cn"));
    let raw = client().get(format!("{}/mailboxes/W.WANG@contoso.cn/items/probe-1/raw", sim.sim_url())).send().await.unwrap();
    assert_eq!(raw.bytes().await.unwrap().to_vec(), mime);
}

#[tokio::test]
async fn bad_base64_is_400_another_content_type_415_an_unknown_folder_404() {
    let sim = start(small()).await;
    let id = user_id(&sim, "wang.wei@contoso.cn").await;
    let path = format!("/users/{id}/mailFolders/inbox/messages");
    let mut bad = STANDARD.encode(sample_mime("x")).into_bytes();
    bad.insert(8, b'*');
    let (s, v) = graph(&sim, reqwest::Method::POST, &path, Some(("text/plain", bad))).await;
    assert_eq!((s, code(&v)), (400, "ErrorMimeContentInvalidBase64String"));
    let (s, _) = graph(&sim, reqwest::Method::POST, &path, Some(("message/rfc822", sample_mime("x")))).await;
    assert_eq!(s, 415);
    let (s, v) = graph(
        &sim,
        reqwest::Method::POST,
        &format!("/users/{id}/mailFolders/nope/messages"),
        Some(("text/plain", STANDARD.encode(sample_mime("x")).into_bytes())),
    )
    .await;
    assert_eq!((s, code(&v)), (404, "ErrorItemNotFound"));
    let (_, journal) = get_json(&format!("{}/journal", sim.sim_url()), None).await;
    let statuses: Vec<u64> =
        journal["entries"].as_array().unwrap().iter().filter(|e| e["op"] == "import").map(|e| e["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [400, 415, 404]);
}

/// Graph's 4 MB cap is the default (`permissions.rs` tests it to the byte): a body of contract
/// v1's 150 MB is refused too.
#[tokio::test]
async fn a_body_over_150_mb_is_413() {
    let sim = start(small()).await;
    let id = user_id(&sim, "wang.wei@contoso.cn").await;
    let (_, folders) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders"), None).await;
    let folder = folders["value"][0]["id"].as_str().unwrap().to_string();
    let body = vec![b'A'; 150 * 1024 * 1024 + 4];
    let (s, _) =
        graph(&sim, reqwest::Method::POST, &format!("/users/{id}/mailFolders/{folder}/messages"), Some(("text/plain", body))).await;
    assert_eq!(s, 413);
}

fn rich_mime(n: usize) -> Vec<u8> {
    format!(
        "From: \"Wang Wei\" <wang.wei@contoso.cn>\r\nTo: \"Li Na\" <li.na@contoso.cn>\r\nSubject: probe {n}\r\n\
         Date: Fri, 20 Nov 2026 08:00:0{} +0000\r\nMessage-ID: <probe-{n}@test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nhello number {n}\r\n",
        n % 10
    )
    .into_bytes()
}

/// The import answers Graph's message resource, read from the MIME; messages are listed with
/// `$filter=internetMessageId eq`, `$select`, `$top` and its links, `$count`, and each one's MIME
/// is its `$value`.
#[tokio::test]
async fn imported_messages_are_the_graph_message_resource_and_can_be_asked_for() {
    let sim = start(small()).await;
    let id = user_id(&sim, "wang.wei@contoso.cn").await;
    let (_, f) =
        graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders?$filter=displayName%20eq%20'WeChat%20Archiver'"), None).await;
    let folder = f["value"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/users/{id}/mailFolders/{folder}/messages");
    let ids = import_twelve_messages(&sim, &path, &folder).await;
    queries_find_the_twelve_messages(&sim, &id, &path, &ids).await;
    let (s, v) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/messages/{}", ids[2]), None).await;
    assert_eq!((s, v["subject"].clone()), (200, json!("probe 3")));
    let raw = client()
        .get(format!("{}/users/{id}/mailFolders/{folder}/messages/{}/$value", sim.graph_url(), ids[2]))
        .bearer_auth(&sim.credentials().tenant_token)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 200);
    assert_eq!(raw.bytes().await.unwrap().to_vec(), rich_mime(3));
    for (query, status, code_) in [
        ("?$filter=shoeSize%20eq%20'x'", 400, "BadRequest"),
        ("?$filter=subject%20in%20('x')", 400, "ErrorInvalidUrlQueryFilter"),
        ("?$select=id,shoeSize", 400, "BadRequest"),
        ("?$top=0", 400, "BadRequest"),
        ("/AAMkMnope", 404, "ErrorItemNotFound"),
    ] {
        let (s, v) = graph(&sim, reqwest::Method::GET, &format!("{path}{query}"), None).await;
        assert_eq!((s, code(&v)), (status, code_), "{query}: {v}");
    }
    // A well-known name takes imports too.
    let (s, v) = graph(
        &sim,
        reqwest::Method::POST,
        &format!("/users/{id}/mailFolders/inbox/messages"),
        Some(("text/plain", STANDARD.encode(rich_mime(99)).into_bytes())),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let (_, inbox) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders/inbox"), None).await;
    assert_eq!(
        (v["parentFolderId"].clone(), inbox["totalItemCount"].clone(), inbox["unreadItemCount"].clone()),
        (inbox["id"].clone(), json!(1), json!(0)),
        "a draft is read"
    );
}

/// Imports `rich_mime(1..=12)` at `path` (the messages of `folder`), each a 201; the first
/// answer is Graph's message resource, read from the MIME. The messages' ids, in import order.
async fn import_twelve_messages(sim: &tm_simulator::Running, path: &str, folder: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for n in 1..=12 {
        let (s, v) = graph(sim, reqwest::Method::POST, path, Some(("text/plain", STANDARD.encode(rich_mime(n)).into_bytes()))).await;
        assert_eq!(s, 201, "{v}");
        if n == 1 {
            assert_eq!(v["internetMessageId"], "<probe-1@test>");
            assert_eq!(v["subject"], "probe 1");
            assert_eq!(v["from"]["emailAddress"], json!({"name": "Wang Wei", "address": "wang.wei@contoso.cn"}));
            assert_eq!(v["toRecipients"][0]["emailAddress"]["address"], "li.na@contoso.cn");
            // A draft (Graph's MIME create): read, sent at its `Date`, created and received when
            // the tenant made it (the scenario's start).
            assert_eq!(v["sentDateTime"], "2026-11-20T08:00:01Z");
            assert_eq!(v["receivedDateTime"], v["createdDateTime"]);
            assert_eq!((v["isDraft"].clone(), v["isRead"].clone(), v["hasAttachments"].clone()), (json!(true), json!(true), json!(false)));
            assert_eq!(v["parentFolderId"], folder);
            assert_eq!(v["bodyPreview"], "hello number 1");
            assert!(v["@odata.context"].as_str().unwrap().ends_with("/messages/$entity"), "{v}");
        }
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    ids
}

/// The twelve messages of `import_twelve_messages` at `path`: found with
/// `$filter=internetMessageId eq` and shaped with `$select`; newest first, 10 a page, with
/// `$count` and the next link; counted with `/$count`; first in the mailbox-wide listing.
async fn queries_find_the_twelve_messages(sim: &tm_simulator::Running, id: &str, path: &str, ids: &[String]) {
    let (s, v) = graph(
        sim,
        reqwest::Method::GET,
        &format!("{path}?$filter=internetMessageId%20eq%20'%3Cprobe-7@test%3E'&$select=id,internetMessageId"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let found = v["value"].as_array().unwrap();
    assert_eq!((found.len(), &found[0]["id"], &found[0]["internetMessageId"]), (1, &json!(ids[6]), &json!("<probe-7@test>")));
    assert!(found[0].get("subject").is_none(), "only what was selected (and the etag): {v}");
    let (_, v) = graph(sim, reqwest::Method::GET, &format!("{path}?$filter=internetMessageId%20eq%20'%3Cnever@test%3E'"), None).await;
    assert_eq!(v["value"], json!([]));
    // Newest first, 10 a page, $count over all.
    let (_, v) = graph(sim, reqwest::Method::GET, &format!("{path}?$count=true&$select=subject"), None).await;
    assert_eq!(v["@odata.count"], 12);
    assert_eq!(v["value"].as_array().unwrap().len(), 10);
    assert_eq!(v["value"][0]["subject"], "probe 12");
    let next = v["@odata.nextLink"].as_str().unwrap().to_string();
    let v: Value = client().get(next).bearer_auth(&sim.credentials().tenant_token).send().await.unwrap().json().await.unwrap();
    let subjects: Vec<&str> = v["value"].as_array().unwrap().iter().map(|m| m["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects, ["probe 2", "probe 1"]);
    let r = client().get(format!("{}{path}/$count", sim.graph_url())).bearer_auth(&sim.credentials().tenant_token).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "12");
    let (_, v) = graph(sim, reqwest::Method::GET, &format!("/users/{id}/messages?$top=1&$select=internetMessageId"), None).await;
    assert_eq!(v["value"][0]["internetMessageId"], "<probe-12@test>", "the mailbox-wide listing");
}

/// `[tenant] max_request_bytes` (Graph's 4 MB by default): a larger import is 413, from its
/// announced length, and nothing is stored.
#[tokio::test]
async fn the_request_cap_of_the_scenario_refuses_larger_imports_with_413() {
    let text = std::fs::read_to_string(SMALL).unwrap().replace("[tenant]\n", "[tenant]\nmax_request_bytes = 4194304\n");
    let sim = start(tm_simulator::Scenario::from_toml_str(&text, "cap").unwrap()).await;
    let id = user_id(&sim, "wang.wei@contoso.cn").await;
    let path = format!("/users/{id}/mailFolders/inbox/messages");
    let mut big = rich_mime(1);
    big.extend(std::iter::repeat_n(b'x', 3 * 1024 * 1024 + 200_000));
    let (s, v) = graph(&sim, reqwest::Method::POST, &path, Some(("text/plain", STANDARD.encode(&big).into_bytes()))).await;
    assert_eq!((s, code(&v)), (413, "BadRequest"), "{v}");
    let (s, _) = graph(&sim, reqwest::Method::POST, &path, Some(("text/plain", STANDARD.encode(rich_mime(2)).into_bytes()))).await;
    assert_eq!(s, 201);
    let (_, inbox) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders/inbox"), None).await;
    assert_eq!(inbox["totalItemCount"], 1);
}

/// Graph's opt-in per-mailbox limits: requests per 10 minutes and upload volume per 5 minutes,
/// each a 429 `ApplicationThrottled` with `Retry-After`; lookups and other mailboxes go on.
#[tokio::test]
async fn rate_and_upload_limits_throttle_one_mailbox_with_retry_after() {
    let text = std::fs::read_to_string(SMALL).unwrap().replace("[tenant]\n", "[tenant]\nrequests_per_10_minutes = 3\n");
    let sim = start(tm_simulator::Scenario::from_toml_str(&text, "rate").unwrap()).await;
    let id = user_id(&sim, "wang.wei@contoso.cn").await;
    let token = sim.credentials().tenant_token.clone();
    let url = format!("{}/users/{id}/mailFolders/inbox", sim.graph_url());
    for _ in 0..3 {
        assert_eq!(client().get(&url).bearer_auth(&token).send().await.unwrap().status(), 200);
    }
    let r = client().get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=600).contains(&retry), "{retry}");
    let v: Value = r.json().await.unwrap();
    assert_eq!(code(&v), "ApplicationThrottled");
    assert_eq!(user_id(&sim, "wang.wei@contoso.cn").await, id, "a lookup is no mailbox call");
    let grace = user_id(&sim, "grace.chen@contoso.cn").await;
    let (s, _) = graph(&sim, reqwest::Method::GET, &format!("/users/{grace}/mailFolders/inbox"), None).await;
    assert_eq!(s, 200, "another mailbox is not throttled");

    let text = std::fs::read_to_string(SMALL).unwrap().replace("[tenant]\n", "[tenant]\nupload_bytes_per_5_minutes = 2000\n");
    let sim = start(tm_simulator::Scenario::from_toml_str(&text, "upload").unwrap()).await;
    let id = user_id(&sim, "wang.wei@contoso.cn").await;
    let path = format!("/users/{id}/mailFolders/inbox/messages");
    let mut statuses = Vec::new();
    for n in 0..8 {
        let (s, _) = graph(&sim, reqwest::Method::POST, &path, Some(("text/plain", STANDARD.encode(rich_mime(n)).into_bytes()))).await;
        statuses.push(s);
    }
    let first_refused = statuses.iter().position(|s| *s == 429).expect("the volume runs out");
    assert!(first_refused >= 2 && statuses[..first_refused].iter().all(|s| *s == 201), "{statuses:?}");
    let (_, j) = get_json(&format!("{}/journal", sim.sim_url()), None).await;
    let over_volume: tm_contract::FaultRecord =
        tm_contract::FaultKind::Throttled(tm_contract::Throttle::Limit("MailboxUploadVolume".into())).into();
    assert!(
        j["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["code"] == "ApplicationThrottled" && e["fault"].as_str().and_then(|f| f.parse().ok()) == Some(over_volume.clone())),
        "journalled: {j}"
    );
}

async fn token_request(sim: &tm_simulator::Running, tenant: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let r = client()
        .post(format!("{}/{tenant}/oauth2/v2.0/token", sim.base_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// The identity platform's client-credentials endpoint: a token Graph takes until it expires;
/// a wrong secret, grant, client, tenant or scope each the identity platform's error.
#[tokio::test]
async fn client_credentials_tokens_work_until_they_expire() {
    let text = std::fs::read_to_string(SMALL).unwrap().replace("[tenant]\n", "[tenant]\ntoken_lifetime_seconds = 2\n");
    let sim = start(tm_simulator::Scenario::from_toml_str(&text, "tokens").unwrap()).await;
    let c = sim.credentials().clone();
    let (tenant, client_id, secret) = (c.tenant_id.as_str(), c.client_id.as_str(), c.client_secret.as_str());
    let scope = "https://graph.microsoft.com/.default";
    let good = [("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", secret), ("scope", scope)];
    let (s, v) = token_request(&sim, tenant, &good).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["token_type"].clone(), v["expires_in"].clone()), (json!("Bearer"), json!(2)));
    let access = v["access_token"].as_str().unwrap().to_string();
    assert_eq!(access.split('.').count(), 3, "a JWT: {access}");
    let url = format!("{}/users/wang.wei@contoso.cn", sim.graph_url());
    assert_eq!(client().get(&url).bearer_auth(&access).send().await.unwrap().status(), 200);
    for (form, status, error) in [
        (
            vec![("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", "wrong"), ("scope", scope)],
            401,
            "invalid_client",
        ),
        (
            vec![("grant_type", "password"), ("client_id", client_id), ("client_secret", secret), ("scope", scope)],
            400,
            "unsupported_grant_type",
        ),
        (
            vec![("grant_type", "client_credentials"), ("client_id", "someone-else"), ("client_secret", secret), ("scope", scope)],
            400,
            "unauthorized_client",
        ),
        (
            vec![("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", secret), ("scope", "Mail.Read")],
            400,
            "invalid_scope",
        ),
        (vec![("client_id", client_id)], 400, "invalid_request"),
    ] {
        let (s, v) = token_request(&sim, tenant, &form).await;
        assert_eq!((s, v["error"].as_str().unwrap_or("")), (status, error), "{form:?}: {v}");
        assert!(v["error_description"].as_str().unwrap().starts_with("AADSTS"), "{v}");
        assert!(!v.to_string().contains(secret), "the secret is never echoed: {v}");
    }
    // A body that is no form (no Content-Type, as schemathesis sent one) is refused for its
    // missing field, as Entra refuses it, not for its media type.
    let r = client().post(format!("{}/{tenant}/oauth2/v2.0/token", sim.base_url())).send().await.unwrap();
    let (s, v): (u16, Value) = (r.status().as_u16(), r.json().await.unwrap());
    assert_eq!((s, v["error"].as_str().unwrap_or("")), (400, "invalid_request"), "{v}");
    assert!(v["error_description"].as_str().unwrap().starts_with("AADSTS900144:"), "{v}");
    let (s, v) = token_request(&sim, "another-tenant", &good).await;
    assert_eq!((s, v["error"].clone()), (400, json!("invalid_request")));
    let (s, v) = get_json(&format!("{}/{tenant}/v2.0/.well-known/openid-configuration", sim.base_url()), None).await;
    assert_eq!(s, 200);
    assert_eq!(v["token_endpoint"], format!("{}/{tenant}/oauth2/v2.0/token", sim.base_url()));
    assert!(v["authorization_endpoint"].is_string());
    // The token expires: Graph's 401 with WWW-Authenticate.
    // `exp` is rounded up to the second: at most 3 s after the answer.
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let r = client().get(&url).bearer_auth(&access).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer "), "{:?}", r.headers());
    let v: Value = r.json().await.unwrap();
    assert_eq!(code(&v), "InvalidAuthenticationToken");
    assert!(v["error"]["message"].as_str().unwrap().contains("expired"), "{v}");
    let (s, _) = get_json(&url, Some(&c.tenant_token)).await;
    assert_eq!(s, 200, "the static token keeps working");
}

/// The `foreign_write` fault: right after a folder lookup another program's message lands in
/// `WeChat Archiver` (marked `foreign` in `/sim/mailboxes`, journalled as `foreign_write`). The
/// access log names the archive item an import or a message query concerns, and logs the token
/// endpoint's requests (api `identity`).
#[tokio::test]
async fn foreign_writes_are_marked_and_the_access_log_names_items_and_token_requests() {
    let text = std::fs::read_to_string(SMALL).unwrap()
        + "\n[[fault]]\napi = \"tenant\"\nop = \"folders\"\ncount = 1\naction = \"foreign_write\"\n";
    let sim = start(tm_simulator::Scenario::from_toml_str(&text, "foreign").unwrap()).await;
    let id = user_id(&sim, "wang.wei@contoso.cn").await;
    let filter = "/mailFolders?$filter=displayName%20eq%20'WeChat%20Archiver'";
    let (s, v) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}{filter}"), None).await;
    assert_eq!(s, 200, "{v}");
    let folder = v["value"][0]["id"].as_str().expect("the scenario's folder").to_string();
    let before = v["value"][0]["totalItemCount"].as_u64().unwrap();
    let (s, v) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders/{folder}"), None).await;
    assert_eq!((s, v["totalItemCount"].as_u64()), (200, Some(before + 1)), "written after the lookup was answered: {v}");
    let mime = STANDARD.encode(sample_mime("t1")).into_bytes();
    let (s, _) =
        graph(&sim, reqwest::Method::POST, &format!("/users/{id}/mailFolders/{folder}/messages"), Some(("text/plain", mime))).await;
    assert_eq!(s, 201);
    let query = "/messages?$filter=internetMessageId%20eq%20'%3Czz@archive.telemessage.sim%3E'";
    let (s, _) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}{query}"), None).await;
    assert_eq!(s, 200);
    let c = sim.credentials().clone();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", c.client_id.as_str()),
        ("client_secret", c.client_secret.as_str()),
        ("scope", "https://graph.microsoft.com/.default"),
    ];
    assert_eq!(token_request(&sim, &c.tenant_id, &form).await.0, 200);

    let (_, m) = get_json(&format!("{}/mailboxes", sim.sim_url()), None).await;
    let mailbox = m["mailboxes"].as_array().unwrap().iter().find(|x| x["address"] == "wang.wei@contoso.cn").unwrap();
    let archive = mailbox["folders"].as_array().unwrap().iter().find(|f| f["name"] == "WeChat Archiver").unwrap();
    let items = archive["items"].as_array().unwrap();
    assert_eq!(items.len() as u64, before + 2, "{archive}");
    assert_eq!(items.iter().filter(|i| i["foreign"] == true && i["id"].is_null()).count(), 1, "{archive}");
    assert!(items.iter().any(|i| i["id"] == "t1" && i.get("foreign").is_none()), "{archive}");
    let (_, j) = get_json(&format!("{}/journal", sim.sim_url()), None).await;
    let foreign: Vec<&Value> = j["entries"].as_array().unwrap().iter().filter(|e| e["op"] == "foreign_write").collect();
    assert_eq!(foreign.len(), 1, "{j}");
    assert_eq!(foreign[0]["mailbox"], "wang.wei@contoso.cn");

    let (_, r) = get_json(&format!("{}/requests", sim.sim_url()), None).await;
    let requests = r["requests"].as_array().unwrap();
    assert!(requests.iter().any(|x| x["api"] == "tenant" && x["op"] == "import" && x["item_id"] == "t1"), "{r}");
    assert!(requests.iter().any(|x| x["api"] == "tenant" && x["item_id"] == "zz"), "a message query names its item: {r}");
    assert!(requests.iter().any(|x| x["api"] == "identity" && x["op"] == "token" && x["status"] == 200), "{r}");
}
