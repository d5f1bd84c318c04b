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

/// Graph's path key is an id or a userPrincipalName (any case); another address of the user is
/// found with `$filter`, not in the path.
#[tokio::test]
async fn a_user_is_found_in_the_path_by_upn_in_any_case_or_id_never_by_alias() {
    let sim = start(small()).await;
    let id = user_id(&sim, "wang.wei@contoso.cn").await;
    let (s, v) = graph(&sim, reqwest::Method::GET, "/users/WANG.Wei@Contoso.CN", None).await;
    assert_eq!(s, 200);
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["@odata.context"], "https://graph.microsoft.com/v1.0/$metadata#users/$entity");
    assert_eq!(v["userPrincipalName"], "wang.wei@contoso.cn");
    assert_eq!(v["mail"], "wang.wei@contoso.cn");
    assert_eq!(v["displayName"], "王伟");
    assert_eq!(v["businessPhones"], json!([]), "Graph's default property set: {v}");
    assert!(v.get("accountEnabled").is_none(), "not in the default set: {v}");
    let (s, v) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}?$select=accountEnabled,mail"), None).await;
    assert_eq!((s, v["accountEnabled"].clone(), v["mail"].clone()), (200, json!(true), json!("wang.wei@contoso.cn")));
    let (s, v) = graph(&sim, reqwest::Method::GET, "/users/w.wang@contoso.cn", None).await;
    assert_eq!((s, code(&v)), (404, "Request_ResourceNotFound"), "an alias is no path key: {v}");
}

/// Disabled users and users without a mailbox exist, as in Graph; a disabled user's mailbox
/// answers mail calls, a user without one answers 404 `MailboxNotEnabledForRESTAPI`.
#[tokio::test]
async fn disabled_users_and_users_without_a_mailbox_exist_and_their_mail_calls_answer_as_graph() {
    let sim = start(small()).await;
    let (s, v) = graph(&sim, reqwest::Method::GET, "/users/former@contoso.cn?$select=id,accountEnabled", None).await;
    assert_eq!((s, v["accountEnabled"].clone()), (200, json!(false)), "{v}");
    let former = v["id"].as_str().unwrap().to_string();
    let (s, v) = graph(&sim, reqwest::Method::GET, &format!("/users/{former}/mailFolders"), None).await;
    assert_eq!(s, 200, "a disabled user's mailbox answers: {v}");
    let (s, v) = graph(&sim, reqwest::Method::GET, "/users/no.mailbox@contoso.cn", None).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = graph(&sim, reqwest::Method::GET, "/users/no.mailbox@contoso.cn/mailFolders/inbox", None).await;
    assert_eq!((s, code(&v)), (404, "MailboxNotEnabledForRESTAPI"), "{v}");
    let (s, v) = graph(&sim, reqwest::Method::GET, "/users/nobody@contoso.cn", None).await;
    assert_eq!((s, code(&v)), (404, "Request_ResourceNotFound"));
    let (s, v) = graph(&sim, reqwest::Method::GET, "/users/nobody@contoso.cn/mailFolders", None).await;
    assert_eq!((s, code(&v)), (404, "ErrorInvalidUser"));
}

fn names(v: &Value) -> Vec<String> {
    v["value"].as_array().unwrap().iter().map(|f| f["displayName"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_mailbox_starts_with_the_default_folders_plus_the_scenarios_own() {
    let sim = start(small()).await;
    let id = user_id(&sim, "grace.chen@contoso.cn").await;
    let (s, v) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders"), None).await;
    assert_eq!(s, 200);
    let defaults = ["Archive", "Conversation History", "Deleted Items", "Drafts", "Inbox", "Junk Email", "Outbox", "Sent Items"];
    assert_eq!(names(&v), defaults);
    assert_eq!(v["@odata.context"], format!("https://graph.microsoft.com/v1.0/$metadata#users('{id}')/mailFolders"));
    let id = user_id(&sim, "wang.wei@contoso.cn").await;
    let (_, v) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders"), None).await;
    let mut want: Vec<&str> = defaults.to_vec();
    want.push("WeChat Archiver");
    assert_eq!(names(&v), want);
    let (_, root) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders/msgfolderroot"), None).await;
    for f in v["value"].as_array().unwrap() {
        let keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["childFolderCount", "displayName", "id", "isHidden", "parentFolderId", "totalItemCount", "unreadItemCount"],
            "the mailFolder resource"
        );
        assert_eq!((f["totalItemCount"].clone(), f["isHidden"].clone()), (json!(0), json!(false)));
        assert_eq!(f["parentFolderId"], root["id"], "top-level folders are the root's children");
    }
    assert_eq!(root["displayName"], "Top of Information Store");
    assert_eq!(root["childFolderCount"], 9);
}

/// Folders are paged at 10 (`@odata.nextLink`, `$top`), found with `$filter=displayName eq`,
/// by well-known name, hidden ones only when asked for; bad options are Graph 400s.
#[tokio::test]
async fn folders_page_filter_and_resolve_well_known_names_as_graph() {
    let extra: Vec<String> = (1..=12).map(|i| format!("\"Project {i:02}\"")).collect();
    let text = std::fs::read_to_string(SMALL).unwrap().replace(
        "folders = [\"WeChat Archiver\"]",
        &format!("folders = [{}, \"WeChat Archiver\"]\nhidden_folders = [\"Yammer Root\"]", extra.join(", ")),
    );
    let sim = start(tm_simulator::Scenario::from_toml_str(&text, "folders").unwrap()).await;
    let id = user_id(&sim, "wang.wei@contoso.cn").await;
    let token = sim.credentials().tenant_token.clone();
    // Every page, following the links the tenant writes.
    let mut url = format!("{}/users/{id}/mailFolders", sim.graph_url());
    let mut all = Vec::new();
    let mut pages = 0;
    loop {
        let v: Value = client().get(&url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert!(v["value"].as_array().unwrap().len() <= 10, "{v}");
        all.extend(names(&v));
        pages += 1;
        match v["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!((pages, all.len()), (3, 21), "8 default + 12 + WeChat Archiver, 10 a page: {all:?}");
    assert_eq!(all.last().map(String::as_str), Some("WeChat Archiver"), "on the last page");
    assert!(!all.iter().any(|n| n == "Yammer Root"), "hidden folders are not listed by default");
    let (_, v) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders?$top=4&$count=true"), None).await;
    assert_eq!((v["value"].as_array().unwrap().len(), v["@odata.count"].clone()), (4, json!(21)));
    assert!(v["@odata.nextLink"].as_str().unwrap().contains("%24skip=4"), "{v}");
    let (_, v) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders?includeHiddenFolders=true&$top=50"), None).await;
    let hidden = v["value"].as_array().unwrap().iter().find(|f| f["displayName"] == "Yammer Root").cloned().unwrap();
    assert_eq!(hidden["isHidden"], true);
    let (s, v) =
        graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders?$filter=displayName%20eq%20'wechat%20archiver'"), None).await;
    assert_eq!((s, names(&v)), (200, vec!["WeChat Archiver".to_string()]), "{v}");
    assert!(v.get("@odata.nextLink").is_none());
    let (_, v) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders?$select=displayName&$top=1"), None).await;
    let keys: Vec<&str> = v["value"][0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["displayName", "id"]);
    for (well_known, name) in [("inbox", "Inbox"), ("ARCHIVE", "Archive"), ("sentitems", "Sent Items"), ("deleteditems", "Deleted Items")] {
        let (s, v) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders/{well_known}"), None).await;
        assert_eq!((s, v["displayName"].as_str().unwrap_or("")), (200, name), "{well_known}: {v}");
        let (_, by_id) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders/{}", v["id"].as_str().unwrap()), None).await;
        assert_eq!(by_id["displayName"], name);
    }
    let (_, children) =
        graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders/msgfolderroot/childFolders?$top=50"), None).await;
    // A child folder: under a folder that does not exist, Graph's 404 (not the 400 that says
    // nested folders are not modelled, which is for an existing folder).
    let new_folder = Some(("application/json", br#"{"displayName":"Sub"}"#.to_vec()));
    let (s, v) = graph(&sim, reqwest::Method::POST, &format!("/users/{id}/mailFolders/nope/childFolders"), new_folder.clone()).await;
    assert_eq!((s, code(&v)), (404, "ErrorItemNotFound"), "{v}");
    let (s, v) = graph(&sim, reqwest::Method::POST, &format!("/users/{id}/mailFolders/inbox/childFolders"), new_folder).await;
    assert_eq!((s, code(&v)), (400, "ErrorInvalidRequest"), "{v}");
    assert_eq!(names(&children).len(), 21);
    for (query, status, code_) in [
        ("/mailFolders/nope", 404, "ErrorItemNotFound"),
        ("/mailFolders?$filter=displayName%20ne%20'x'", 400, "ErrorInvalidUrlQueryFilter"),
        ("/mailFolders?$select=shoeSize", 400, "BadRequest"),
        ("/mailFolders?$top=abc", 400, "BadRequest"),
        ("/mailFolders?$top=0", 400, "BadRequest"),
        ("/mailFolders?$orderby=displayName", 400, "BadRequest"),
        ("/mailFolders/nope/childFolders", 404, "ErrorItemNotFound"),
    ] {
        let (s, v) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}{query}"), None).await;
        assert_eq!((s, code(&v)), (status, code_), "{query}: {v}");
    }
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
        [("/users/nobody@x.cn", Some(token.as_str()), 404), ("/no/such/path", Some(token.as_str()), 400), ("/users/x", None, 401)]
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
    let (_, v) = users("$filter=mail%20eq%20'WANG.WEI@contoso.cn'&$select=accountEnabled,proxyAddresses").await;
    let found = v["value"].as_array().unwrap();
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
    let mut ids = Vec::new();
    for n in 1..=12 {
        let (s, v) = graph(&sim, reqwest::Method::POST, &path, Some(("text/plain", STANDARD.encode(rich_mime(n)).into_bytes()))).await;
        assert_eq!(s, 201, "{v}");
        if n == 1 {
            assert_eq!(v["internetMessageId"], "<probe-1@test>");
            assert_eq!(v["subject"], "probe 1");
            assert_eq!(v["from"]["emailAddress"], json!({"name": "Wang Wei", "address": "wang.wei@contoso.cn"}));
            assert_eq!(v["toRecipients"][0]["emailAddress"]["address"], "li.na@contoso.cn");
            assert_eq!(v["receivedDateTime"], "2026-11-20T08:00:01Z");
            assert_eq!((v["isDraft"].clone(), v["isRead"].clone(), v["hasAttachments"].clone()), (json!(true), json!(false), json!(false)));
            assert_eq!(v["parentFolderId"], folder.as_str());
            assert_eq!(v["bodyPreview"], "hello number 1");
            assert!(v["@odata.context"].as_str().unwrap().ends_with("/messages/$entity"), "{v}");
        }
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    let (s, v) = graph(
        &sim,
        reqwest::Method::GET,
        &format!("{path}?$filter=internetMessageId%20eq%20'%3Cprobe-7@test%3E'&$select=id,internetMessageId"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let found = v["value"].as_array().unwrap();
    assert_eq!((found.len(), &found[0]["id"], &found[0]["internetMessageId"]), (1, &json!(ids[6]), &json!("<probe-7@test>")));
    assert!(found[0].get("subject").is_none(), "only what was selected (and the etag): {v}");
    let (_, v) = graph(&sim, reqwest::Method::GET, &format!("{path}?$filter=internetMessageId%20eq%20'%3Cnever@test%3E'"), None).await;
    assert_eq!(v["value"], json!([]));
    // Newest first, 10 a page, $count over all.
    let (_, v) = graph(&sim, reqwest::Method::GET, &format!("{path}?$count=true&$select=subject"), None).await;
    assert_eq!(v["@odata.count"], 12);
    assert_eq!(v["value"].as_array().unwrap().len(), 10);
    assert_eq!(v["value"][0]["subject"], "probe 12");
    let next = v["@odata.nextLink"].as_str().unwrap().to_string();
    let v: Value = client().get(next).bearer_auth(&sim.credentials().tenant_token).send().await.unwrap().json().await.unwrap();
    let subjects: Vec<&str> = v["value"].as_array().unwrap().iter().map(|m| m["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects, ["probe 2", "probe 1"]);
    let r = client().get(format!("{}{path}/$count", sim.graph_url())).bearer_auth(&sim.credentials().tenant_token).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "12");
    let (_, v) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/messages?$top=1&$select=internetMessageId"), None).await;
    assert_eq!(v["value"][0]["internetMessageId"], "<probe-12@test>", "the mailbox-wide listing");
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
        ("?$filter=internetMessageId%20gt%20'x'", 400, "ErrorInvalidUrlQueryFilter"),
        ("?$select=id,shoeSize", 400, "BadRequest"),
        ("?$top=1001", 400, "BadRequest"),
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
        (inbox["id"].clone(), json!(1), json!(1))
    );
}

/// `[tenant] max_request_bytes` models Graph's 4 MB request cap: a larger import is 413, from
/// its announced length, and nothing is stored.
#[tokio::test]
async fn the_request_cap_of_the_scenario_refuses_larger_imports_with_413() {
    let text = std::fs::read_to_string(SMALL).unwrap().replace("[tenant]\n", "[tenant]\nmax_request_bytes = 4194304\n");
    let sim = start(tm_simulator::Scenario::from_toml_str(&text, "cap").unwrap()).await;
    let id = user_id(&sim, "wang.wei@contoso.cn").await;
    let path = format!("/users/{id}/mailFolders/inbox/messages");
    let mut big = rich_mime(1);
    big.extend(std::iter::repeat_n(b'x', 3 * 1024 * 1024 + 200_000));
    let (s, v) = graph(&sim, reqwest::Method::POST, &path, Some(("text/plain", STANDARD.encode(&big).into_bytes()))).await;
    assert_eq!((s, code(&v)), (413, "RequestEntityTooLarge"), "{v}");
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

async fn token_request(sim: &tm_simulator::RunningSimulator, tenant: &str, form: &[(&str, &str)]) -> (u16, Value) {
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
