//! The tenant API (`/graph/v1.0`): auth, user lookup, folders, MIME import, journal.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::support::*;

async fn graph(sim: &tm_simulator::RunningSimulator, method: reqwest::Method, path: &str, body: Option<(&str, Vec<u8>)>) -> (u16, Value) {
    let mut req = client().request(method, format!("{}{path}", sim.graph_url())).bearer_auth(&sim.credentials().tenant_token);
    if let Some((ctype, bytes)) = body {
        req = req.header("content-type", ctype).body(bytes);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn user_id(sim: &tm_simulator::RunningSimulator, address: &str) -> String {
    let (s, v) = graph(sim, reqwest::Method::GET, &format!("/users/{address}"), None).await;
    assert_eq!(s, 200, "{v}");
    v["id"].as_str().unwrap().to_string()
}

fn sample_mime(id: &str) -> Vec<u8> {
    format!("Message-ID: <{id}@test>\r\nX-TELEMESSAGE-ArchiveMessageID: {id}\r\nFrom: a <a@x.cn>\r\nTo: b <b@x.cn>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhi\r\n").into_bytes()
}

#[tokio::test]
async fn every_graph_call_without_the_right_token_is_401_before_anything_else() {
    let sim = start(small()).await;
    for path in ["/users/wang.wei@contoso.cn", "/users/nobody@x.cn", "/no/such/path", "/users/x/mailFolders"] {
        let (s, v) = get_json(&format!("{}{path}", sim.graph_url()), None).await;
        assert_eq!((s, code(&v)), (401, "InvalidAuthenticationToken"), "{path}");
        let (s, v) = get_json(&format!("{}{path}", sim.graph_url()), Some("not-the-token")).await;
        assert_eq!((s, code(&v)), (401, "InvalidAuthenticationToken"), "{path}");
    }
}

#[tokio::test]
async fn user_lookup_matches_upn_primary_and_aliases_in_any_case() {
    let sim = start(small()).await;
    let id = user_id(&sim, "wang.wei@contoso.cn").await;
    let (s, v) = graph(&sim, reqwest::Method::GET, "/users/W.WANG@Contoso.CN", None).await;
    assert_eq!(s, 200);
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["userPrincipalName"], "wang.wei@contoso.cn");
    assert_eq!(v["mail"], "wang.wei@contoso.cn");
    assert_eq!(v["displayName"], "王伟");
}

#[tokio::test]
async fn disabled_users_users_without_mailbox_and_strangers_are_404() {
    let sim = start(small()).await;
    for who in ["former@contoso.cn", "no.mailbox@contoso.cn", "nobody@contoso.cn"] {
        let (s, v) = graph(&sim, reqwest::Method::GET, &format!("/users/{who}"), None).await;
        assert_eq!((s, code(&v)), (404, "Request_ResourceNotFound"), "{who}");
    }
}

#[tokio::test]
async fn a_mailbox_starts_with_the_default_folders_plus_the_scenarios_own() {
    let sim = start(small()).await;
    let id = user_id(&sim, "grace.chen@contoso.cn").await;
    let (s, v) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders"), None).await;
    assert_eq!(s, 200);
    let names: Vec<&str> = v["value"].as_array().unwrap().iter().map(|f| f["displayName"].as_str().unwrap()).collect();
    assert_eq!(names, ["Inbox", "Sent Items", "Deleted Items", "Archive"]);
    let id = user_id(&sim, "wang.wei@contoso.cn").await;
    let (_, v) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders"), None).await;
    let names: Vec<&str> = v["value"].as_array().unwrap().iter().map(|f| f["displayName"].as_str().unwrap()).collect();
    assert_eq!(names, ["Inbox", "Sent Items", "Deleted Items", "Archive", "WeChat Archiver"]);
    assert!(v["value"].as_array().unwrap().iter().all(|f| f["totalItemCount"] == 0 && f["id"].is_string()));
}

#[tokio::test]
async fn creating_a_folder_is_201_and_a_second_one_of_the_same_name_in_any_case_is_409() {
    let sim = start(small()).await;
    let id = user_id(&sim, "grace.chen@contoso.cn").await;
    let path = format!("/users/{id}/mailFolders");
    let (s, v) = graph(
        &sim,
        reqwest::Method::POST,
        &path,
        Some(("application/json", json!({"displayName": "WeChat Archiver"}).to_string().into_bytes())),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["displayName"], "WeChat Archiver");
    assert_eq!(v["totalItemCount"], 0);
    let (s, v) = graph(
        &sim,
        reqwest::Method::POST,
        &path,
        Some(("application/json", json!({"displayName": "wechat ARCHIVER"}).to_string().into_bytes())),
    )
    .await;
    assert_eq!((s, code(&v)), (409, "ErrorFolderExists"));
    let (s, v) = graph(&sim, reqwest::Method::POST, &path, Some(("application/json", b"{}".to_vec()))).await;
    assert_eq!(s, 400, "{v}");
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
    let (_, folders) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders"), None).await;
    let folder = folders["value"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/users/{id}/mailFolders/{folder}/messages");
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

/// Graph's request ids: every tenant answer carries `request-id` and `client-request-id` (the
/// client's echoed), and an error body has `innerError` with both and the date; the vendor API's
/// errors keep their own shape.
#[tokio::test]
async fn tenant_answers_carry_request_ids_and_errors_an_inner_error() {
    let sim = start(small()).await;
    let token = sim.credentials().tenant_token.clone();
    let ok = client().get(format!("{}/users/wang.wei@contoso.cn", sim.graph_url())).bearer_auth(&token).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    let id = ok.headers()["request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "{id}");
    assert_eq!(ok.headers()["client-request-id"].to_str().unwrap(), id, "no client id given: the request's own");

    for (path, auth, status) in
        [("/users/nobody@x.cn", Some(token.as_str()), 404), ("/no/such/path", Some(token.as_str()), 404), ("/users/x", None, 401)]
    {
        let mut req = client().get(format!("{}{path}", sim.graph_url())).header("client-request-id", "my-client-id-1");
        if let Some(t) = auth {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{path}");
        let request_id = r.headers()["request-id"].to_str().unwrap().to_owned();
        assert_eq!(r.headers()["client-request-id"], "my-client-id-1", "{path}");
        assert_ne!(request_id, id, "each request has its own id");
        let v: Value = r.json().await.unwrap();
        let inner = &v["error"]["innerError"];
        assert_eq!(inner["request-id"], request_id.as_str(), "{path}: {v}");
        assert_eq!(inner["client-request-id"], "my-client-id-1", "{path}: {v}");
        let date = inner["date"].as_str().unwrap();
        assert!(chrono::NaiveDateTime::parse_from_str(date, "%Y-%m-%dT%H:%M:%S").is_ok(), "{date}");
        assert!(v["error"]["code"].as_str().is_some_and(|c| !c.is_empty()), "{v}");
    }

    let vendor =
        client().get(format!("{}/items?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z", sim.vendor_url())).send().await.unwrap();
    assert_eq!(vendor.status(), 401);
    assert!(vendor.headers().get("request-id").is_none());
    let v: Value = vendor.json().await.unwrap();
    assert!(v["error"].get("innerError").is_none(), "{v}");
}

/// `GET /users` with `$filter` (mail, userPrincipalName, proxyAddresses) and `$select`, as Graph
/// answers: every directory user, disabled ones with `accountEnabled: false`; what the subset
/// does not understand is a 400 with Graph's code, never a 5xx or an empty body.
#[tokio::test]
async fn users_are_found_with_filter_and_shaped_with_select() {
    let sim = start(small()).await;
    let users = |query: &str| {
        let url = format!("{}/users?{query}", sim.graph_url());
        let token = sim.credentials().tenant_token.clone();
        async move {
            let r = client().get(url).bearer_auth(token).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, v) = users("$filter=mail%20eq%20'WANG.WEI@contoso.cn'").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["@odata.context"], "https://graph.microsoft.com/v1.0/$metadata#users");
    let found = v["value"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{v}");
    assert_eq!(found[0]["userPrincipalName"], "wang.wei@contoso.cn");
    assert_eq!(found[0]["accountEnabled"], true);
    assert_eq!(found[0]["proxyAddresses"], json!(["SMTP:wang.wei@contoso.cn", "smtp:w.wang@contoso.cn"]));

    let (_, v) = users("$filter=proxyAddresses/any(x:x%20eq%20'smtp:w.wang@contoso.cn')&$select=id,mail").await;
    let found = v["value"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{v}");
    assert_eq!(found[0].as_object().unwrap().keys().collect::<Vec<_>>(), ["id", "mail"]);
    assert_eq!(found[0]["mail"], "wang.wei@contoso.cn");

    let (_, v) = users("$filter=userPrincipalName%20eq%20'former@contoso.cn'&$select=accountEnabled").await;
    assert_eq!(v["value"], json!([{"accountEnabled": false}]), "a disabled user is in the directory");
    let (_, v) = users("$filter=mail%20eq%20'nobody@contoso.cn'").await;
    assert_eq!(v["value"], json!([]));
    let (_, all) = users("").await;
    assert!(all["value"].as_array().unwrap().len() >= 3, "{all}");

    for (query, code) in [
        ("$filter=displayName%20eq%20'x'", "Request_UnsupportedQuery"),
        ("$filter=mail%20eq%20'a'%20or%20mail%20eq%20'b'", "Request_UnsupportedQuery"),
        ("$filter=mail%20eq", "Request_UnsupportedQuery"),
        ("$select=id,shoeSize", "BadRequest"),
        ("$top=5", "BadRequest"),
    ] {
        let (s, v) = users(query).await;
        assert_eq!((s, v["error"]["code"].as_str().unwrap_or("")), (400, code), "{query}: {v}");
        assert!(v["error"]["innerError"]["request-id"].is_string(), "{query}: {v}");
    }
}
