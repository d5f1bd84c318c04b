//! The tenant API (`/graph/v1.0`): auth, user lookup and the directory, folders, request ids. Its
//! messages (MIME import, the message resource, caps and throttling) and tokens are in
//! `tenant_messages`.

use serde_json::{Value, json};

use crate::support::*;

pub(crate) async fn graph(sim: &tm_simulator::Running, method: reqwest::Method, path: &str, body: Option<(&str, Vec<u8>)>) -> (u16, Value) {
    let mut req = client().request(method, format!("{}{path}", sim.graph_url())).bearer_auth(&sim.credentials().tenant_token);
    if let Some((ctype, bytes)) = body {
        req = req.header("content-type", ctype).body(bytes);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn user_id(sim: &tm_simulator::Running, address: &str) -> String {
    let (s, v) = graph(sim, reqwest::Method::GET, &format!("/users/{address}"), None).await;
    assert_eq!(s, 200, "{v}");
    v["id"].as_str().unwrap().to_string()
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
        ("/mailFolders?$filter=displayName%20in%20('x')", 400, "ErrorInvalidUrlQueryFilter"),
        ("/mailFolders?$select=shoeSize", 400, "BadRequest"),
        ("/mailFolders?$top=abc", 400, "BadRequest"),
        ("/mailFolders?$top=0", 400, "BadRequest"),
        ("/mailFolders?$orderby=shoeSize", 400, "BadRequest"),
        ("/mailFolders?$expand=childFolders", 400, "BadRequest"),
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
        ("$skip=5", "Request_BadRequest"),
        ("$expand=manager", "Request_BadRequest"),
    ] {
        let (s, v) = users(query).await;
        assert_eq!((s, v["error"]["code"].as_str().unwrap_or("")), (400, code), "{query}: {v}");
        assert!(v["error"]["innerError"]["request-id"].is_string(), "{query}: {v}");
    }
}

/// A `GET` on the tenant with the token, `ConsistencyLevel: eventual` when `eventual`: status and
/// body (JSON, else the text as a JSON string).
async fn graph_get(sim: &tm_simulator::Running, url: &str, eventual: bool) -> (u16, Value) {
    let mut req = client().get(url).bearer_auth(&sim.credentials().tenant_token);
    if eventual {
        req = req.header("ConsistencyLevel", "eventual");
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// The Python SDK's first call (issue 24): `$top=1&$select=id` answers one user and a link on.
#[tokio::test]
async fn users_top_one_with_select_id_answers_one_user_and_a_next_link() {
    let sim = start(small()).await;
    let (s, v) = graph_get(&sim, &format!("{}/users?$top=1&$select=id", sim.graph_url()), false).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["@odata.context"], "https://graph.microsoft.com/v1.0/$metadata#users(id)");
    let value = v["value"].as_array().unwrap();
    assert_eq!(value.len(), 1, "{v}");
    assert_eq!(value[0].as_object().unwrap().keys().collect::<Vec<_>>(), ["id"]);
    let next = v["@odata.nextLink"].as_str().unwrap();
    assert!(next.starts_with(&format!("{}/users?", sim.graph_url())) && next.contains("%24skiptoken="), "{next}");
    let (s, w) = graph_get(&sim, next, false).await;
    assert_eq!(s, 200, "{w}");
    assert_eq!(w["value"].as_array().unwrap().len(), 1);
    assert_ne!(w["value"][0]["id"], value[0]["id"], "the next page is the next user");
    for (query, code) in [
        ("$top=0", "Request_UnsupportedQuery"),
        ("$top=1000", "Request_UnsupportedQuery"),
        ("$top=x", "BadRequest"),
        ("$skiptoken=nonsense", "BadRequest"),
    ] {
        let (s, v) = graph_get(&sim, &format!("{}/users?{query}", sim.graph_url()), false).await;
        assert_eq!((s, v["error"]["code"].as_str().unwrap_or("")), (400, code), "{query}: {v}");
    }
    let (_, v) = graph_get(&sim, &format!("{}/users?$top=1000", sim.graph_url()), false).await;
    assert_eq!(v["error"]["message"], "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.");
    // On one user, collection options are Graph's 400.
    let (s, v) = graph_get(&sim, &format!("{}/users/wang.wei@contoso.cn?$top=1&$select=id", sim.graph_url()), false).await;
    assert_eq!((s, code(&v)), (400, "BadRequest"), "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("not a collection"), "{v}");
}

/// 100 users a page by default: following `@odata.nextLink` visits every user once, in the
/// same order each time; `$orderby=displayName` sorts.
#[tokio::test]
async fn paging_through_more_than_a_page_of_users_returns_each_once_in_a_stable_order() {
    let text = std::fs::read_to_string(SMALL).unwrap().replace("employees = 12", "employees = 150");
    let sim = start(tm_simulator::Scenario::from_toml_str(&text, "many-users").unwrap()).await;
    let walk = |first: String| {
        let sim = &sim;
        async move {
            let (mut ids, mut pages, mut url) = (Vec::new(), Vec::new(), Some(first));
            while let Some(u) = url {
                let (s, v) = graph_get(sim, &u, false).await;
                assert_eq!(s, 200, "{v}");
                pages.push(v["value"].as_array().unwrap().len());
                ids.extend(v["value"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_string()));
                url = v["@odata.nextLink"].as_str().map(str::to_owned);
            }
            (ids, pages)
        }
    };
    let (ids, pages) = walk(format!("{}/users?$select=id,displayName", sim.graph_url())).await;
    assert!(ids.len() > 150, "{}", ids.len());
    assert!(pages.len() >= 2 && pages[..pages.len() - 1].iter().all(|n| *n == 100), "{pages:?}");
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "each user once");
    assert_eq!(walk(format!("{}/users?$select=id,displayName", sim.graph_url())).await.0, ids, "a stable order");
    let (n, _) = graph_get(&sim, &format!("{}/users/$count", sim.graph_url()), true).await;
    assert_eq!(n, 200);
    let (_, n) = graph_get(&sim, &format!("{}/users/$count", sim.graph_url()), true).await;
    assert_eq!(n, Value::from(ids.len()), "/$count counts them all");

    let (sorted, _) = walk(format!("{}/users?$orderby=displayName&$top=7", sim.graph_url())).await;
    assert_eq!(sorted.len(), ids.len());
    let (_, v) = graph_get(&sim, &format!("{}/users?$orderby=displayName&$top=999&$select=displayName", sim.graph_url()), false).await;
    let names: Vec<String> = v["value"].as_array().unwrap().iter().map(|x| x["displayName"].as_str().unwrap().to_lowercase()).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "sorted by displayName");
    let (s, v) = graph_get(&sim, &format!("{}/users?$orderby=mail", sim.graph_url()), false).await;
    assert_eq!((s, code(&v)), (400, "Request_UnsupportedQuery"), "{v}");
}

/// `$count` and `$search` are advanced queries: `ConsistencyLevel: eventual` needed (without it
/// Graph ignores `$count=true`, refuses `$search` and `/$count`).
#[tokio::test]
async fn count_and_search_need_consistency_level_eventual() {
    let sim = start(small()).await;
    let url = |q: &str| format!("{}/users{q}", sim.graph_url());
    let (s, all) = graph_get(&sim, &url(""), false).await;
    assert_eq!(s, 200);
    let total = all["value"].as_array().unwrap().len();
    let (s, v) = graph_get(&sim, &url("?$count=true&$top=2"), true).await;
    assert_eq!((s, v["@odata.count"].as_u64()), (200, Some(total as u64)), "{v}");
    assert_eq!(v["value"].as_array().unwrap().len(), 2);
    let (s, v) = graph_get(&sim, &url("?$count=true"), false).await;
    assert_eq!(s, 200, "{v}");
    assert!(v.get("@odata.count").is_none(), "ignored without the header, as Graph does: {v}");
    let (s, v) = graph_get(&sim, &url("/$count"), false).await;
    assert_eq!((s, code(&v)), (400, "Request_BadRequest"), "{v}");
    let (s, v) = graph_get(&sim, &url("/$count"), true).await;
    assert_eq!((s, v), (200, Value::from(total)));

    let search = "?$search=%22displayName:Grace%22%20OR%20%22mail:wang.w%22&$select=mail&$count=true";
    let (s, v) = graph_get(&sim, &url(search), true).await;
    assert_eq!(s, 200, "{v}");
    let mut mails: Vec<&str> = v["value"].as_array().unwrap().iter().map(|x| x["mail"].as_str().unwrap()).collect();
    mails.sort();
    assert_eq!(mails, ["grace.chen@contoso.cn", "wang.wei@contoso.cn"], "{v}");
    assert_eq!(v["@odata.count"], 2);
    let (s, v) = graph_get(&sim, &url("?$search=%22displayName:race%22"), true).await;
    assert_eq!((s, v["value"].clone()), (200, json!([])), "tokens, not substrings: {v}");
    let (s, v) = graph_get(&sim, &url("?$search=%22displayName:Grace%22"), false).await;
    assert_eq!((s, code(&v)), (400, "Request_UnsupportedQuery"), "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("ConsistencyLevel: eventual"), "{v}");
    let (s, v) = graph_get(&sim, &url("?$search=Grace"), true).await;
    assert_eq!((s, code(&v)), (400, "BadRequest"), "{v}");
}
