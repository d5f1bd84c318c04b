//! No stricter than Graph (issue 24): the query options, headers and bodies Graph documents for
//! each offered endpoint are taken as Graph takes them (`$orderby` on folders and messages, a
//! folder `$filter` with `or`, `$top` above 1000, `$format=json`, `Prefer` headers, the scope
//! forms of the token endpoint), and what is not offered answers in Graph's words.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::support::*;
use crate::tenant_api::{graph, user_id};

/// A GET on the tenant with extra headers: status, headers and the JSON body.
async fn get_with(sim: &tm_simulator::Running, path: &str, headers: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = client().get(format!("{}{path}", sim.graph_url())).bearer_auth(&sim.credentials().tenant_token);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.unwrap();
    let (status, h) = (r.status().as_u16(), r.headers().clone());
    (status, h, r.json().await.unwrap_or(Value::Null))
}

fn field(v: &Value, name: &str) -> Vec<String> {
    v["value"].as_array().unwrap().iter().map(|x| x[name].as_str().unwrap_or("<null>").to_string()).collect()
}

/// A message with its own subject, sender and date.
fn mime(subject: &str, from: &str, date: &str, n: usize) -> Vec<u8> {
    format!(
        "From: <{from}>\r\nTo: <li.na@contoso.cn>\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <order-{n}@test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbody {n}\r\n"
    )
    .into_bytes()
}

/// Folders sort with `$orderby` (any property, `asc`/`desc`, several keys), filter with several
/// `displayName eq` joined by `or`, page up to 1000 whatever `$top` asks; `$expand` and `$search`
/// are not offered and answer OData's refusal as Graph writes it.
#[tokio::test]
async fn folders_take_orderby_or_filters_and_large_tops_as_graph() {
    let sim = start(small()).await;
    let id = user_id(&sim, "wang.wei@contoso.cn").await;
    let (s, v) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders?$orderby=displayName%20desc&$top=3"), None).await;
    assert_eq!((s, field(&v, "displayName")), (200, vec!["WeChat Archiver".into(), "Sent Items".into(), "Outbox".into()]), "{v}");
    let next = v["@odata.nextLink"].as_str().unwrap();
    assert!(next.contains("orderby"), "the link keeps the order: {next}");
    let (_, w) = get_json(next, Some(&sim.credentials().tenant_token)).await;
    assert_eq!(field(&w, "displayName"), ["Junk Email", "Inbox", "Drafts"], "{w}");
    let body = Some(("text/plain", STANDARD.encode(mime("x", "a@x.cn", "Fri, 20 Nov 2026 08:00:00 +0000", 1)).into_bytes()));
    let (s, _) = graph(&sim, reqwest::Method::POST, &format!("/users/{id}/mailFolders/drafts/messages"), body).await;
    assert_eq!(s, 201);
    let (_, v) =
        graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders?$orderby=totalItemCount%20desc,displayName&$top=2"), None)
            .await;
    assert_eq!(field(&v, "displayName"), ["Drafts", "Archive"], "{v}");
    let (s, v) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders?$filter=totalItemCount%20gt%200"), None).await;
    assert_eq!((s, field(&v, "displayName")), (200, vec!["Drafts".into()]), "{v}");
    let (s, v) = graph(
        &sim,
        reqwest::Method::GET,
        &format!("/users/{id}/mailFolders?$filter=displayName%20eq%20'inbox'%20or%20displayName%20eq%20'Sent%20Items'"),
        None,
    )
    .await;
    assert_eq!((s, field(&v, "displayName")), (200, vec!["Inbox".into(), "Sent Items".into()]), "{v}");
    let (s, v) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders?$top=5000&$format=json"), None).await;
    assert_eq!((s, v["value"].as_array().map(Vec::len)), (200, Some(9)), "{v}");
    assert!(v.get("@odata.nextLink").is_none(), "{v}");
    let (s, v) =
        graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders/msgfolderroot/childFolders?$orderby=displayName"), None).await;
    assert_eq!((s, field(&v, "displayName")[0].as_str()), (200, "Archive"), "{v}");
    let folders = format!("/users/{id}/mailFolders");
    let create = |body: &'static [u8]| graph(&sim, reqwest::Method::POST, &folders, Some(("application/json", body.to_vec())));
    let (s, v) = create(b"{\"displayName\": ").await;
    assert_eq!(
        (s, code(&v), v["error"]["message"].as_str()),
        (400, "UnableToDeserializePostBody", Some("were unable to deserialize ")),
        "{v}"
    );
    let (s, v) = create(b"{}").await;
    assert_eq!((s, code(&v)), (400, "ErrorInvalidRequest"), "no name: {v}");
    for (query, code_, says) in [
        ("$filter=displayName%20in%20('inbox')", "ErrorInvalidUrlQueryFilter", "The query filter contains one or more invalid nodes."),
        ("$expand=childFolders", "BadRequest", "Query option 'Expand' is not allowed."),
        ("$search=%22inbox%22", "BadRequest", "Query option 'Search' is not allowed."),
        ("$orderby=shoeSize", "BadRequest", "Could not find a property named 'shoeSize' on type 'microsoft.graph.mailFolder'."),
        ("$top=-1", "BadRequest", "The $top query option requires a non-negative integer value."),
        ("$count=maybe", "BadRequest", "'maybe' is not a valid count option."),
    ] {
        let (s, v) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/mailFolders?{query}"), None).await;
        assert_eq!((s, code(&v)), (400, code_), "{query}: {v}");
        assert!(v["error"]["message"].as_str().unwrap().contains(says), "{query}: {v}");
    }
}

/// Messages sort with `$orderby` on their properties (dates: a draft's `sentDateTime` is its MIME `Date`; subject, the sender's address),
/// across pages; with a `$filter`, Graph's rule holds (`InefficientFilter` otherwise); `$top` above
/// 1000 is a page of 1000; `Prefer` headers never refuse a request, and a text body preference is
/// confirmed with `Preference-Applied`.
#[tokio::test]
async fn messages_take_orderby_large_tops_and_prefer_headers_as_graph() {
    let sim = start(small()).await;
    let id = user_id(&sim, "wang.wei@contoso.cn").await;
    let path = format!("/users/{id}/mailFolders/inbox/messages");
    let messages = [
        ("banana", "c@x.cn", "Fri, 20 Nov 2026 09:00:00 +0000"),
        ("Apple", "a@x.cn", "Fri, 20 Nov 2026 07:00:00 +0000"),
        ("cherry", "b@x.cn", "Fri, 20 Nov 2026 11:00:00 +0000"),
        ("apricot", "d@x.cn", "Thu, 19 Nov 2026 23:00:00 +0000"),
    ];
    for (n, (subject, from, date)) in messages.iter().enumerate() {
        let body = Some(("text/plain", STANDARD.encode(mime(subject, from, date, n)).into_bytes()));
        let (s, v) = graph(&sim, reqwest::Method::POST, &path, body).await;
        assert_eq!(s, 201, "{v}");
    }
    let (s, v) = graph(&sim, reqwest::Method::GET, &format!("{path}?$orderby=sentDateTime%20asc&$select=subject"), None).await;
    assert_eq!((s, field(&v, "subject")), (200, vec!["apricot".into(), "Apple".into(), "banana".into(), "cherry".into()]), "{v}");
    let (_, v) = graph(&sim, reqwest::Method::GET, &format!("/users/{id}/messages?$orderby=sentDateTime%20DESC&$top=3"), None).await;
    assert_eq!(field(&v, "subject"), ["cherry", "banana", "Apple"], "{v}");
    let (_, w) = get_json(v["@odata.nextLink"].as_str().unwrap(), Some(&sim.credentials().tenant_token)).await;
    assert_eq!(field(&w, "subject"), ["apricot"], "the next page in the same order: {w}");
    let (_, v) = graph(&sim, reqwest::Method::GET, &format!("{path}?$orderby=subject"), None).await;
    assert_eq!(field(&v, "subject"), ["Apple", "apricot", "banana", "cherry"], "strings ignore case: {v}");
    let (_, v) = graph(&sim, reqwest::Method::GET, &format!("{path}?$orderby=from/emailAddress/address%20desc&$top=2000"), None).await;
    assert_eq!(field(&v, "subject"), ["apricot", "banana", "cherry", "Apple"], "{v}");
    let window = "sentDateTime%20ge%202026-11-20T08:00:00Z%20and%20sentDateTime%20lt%202026-11-20T10:00:00Z";
    let (s, v) = graph(&sim, reqwest::Method::GET, &format!("{path}?$filter={window}"), None).await;
    assert_eq!((s, field(&v, "subject")), (200, vec!["banana".into()]), "{v}");
    let (s, v) = graph(
        &sim,
        reqwest::Method::GET,
        &format!("/users/{id}/messages?$filter=sentDateTime%20ge%202026-11-20&$orderby=sentDateTime%20desc"),
        None,
    )
    .await;
    assert_eq!((s, field(&v, "subject")), (200, vec!["cherry".into(), "banana".into(), "Apple".into()]), "{v}");
    let (_, v) = graph(
        &sim,
        reqwest::Method::GET,
        &format!("{path}?$filter=from/emailAddress/address%20eq%20'C@X.cn'%20or%20isRead%20eq%20false"),
        None,
    )
    .await;
    assert_eq!(field(&v, "subject"), ["banana"], "{v}");
    let (s, v) = graph(&sim, reqwest::Method::GET, &format!("{path}?$filter=subject%20eq%20'banana'&$orderby=subject%20desc"), None).await;
    assert_eq!((s, field(&v, "subject")), (200, vec!["banana".into()]), "{v}");
    for (query, code_) in [
        ("$filter=subject%20eq%20'banana'&$orderby=receivedDateTime%20desc", "InefficientFilter"),
        ("$orderby=toRecipients", "BadRequest"),
        ("$filter=toRecipients%20eq%20'x'", "ErrorInvalidUrlQueryFilter"),
        ("$filter=startswith(subject,'b')", "ErrorInvalidUrlQueryFilter"),
        ("$orderby=subject%20sideways", "BadRequest"),
        ("$search=%22banana%22", "BadRequest"),
        ("$expand=attachments", "BadRequest"),
    ] {
        let (s, v) = graph(&sim, reqwest::Method::GET, &format!("{path}?{query}"), None).await;
        assert_eq!((s, code(&v)), (400, code_), "{query}: {v}");
    }
    let (_, v) =
        graph(&sim, reqwest::Method::GET, &format!("{path}?$filter=subject%20eq%20'banana'&$orderby=receivedDateTime"), None).await;
    assert_eq!(v["error"]["message"], "The restriction or sort order is too complex for this operation.");

    let (s, h, v) = get_with(&sim, &format!("{path}?$top=1"), &[("Prefer", "outlook.body-content-type=\"text\"")]).await;
    assert_eq!((s, v["value"][0]["body"]["contentType"].clone()), (200, json!("text")), "{v}");
    assert_eq!(h["preference-applied"], "outlook.body-content-type=\"text\"");
    let one = v["value"][0]["id"].as_str().unwrap().to_string();
    let prefer = [("Prefer", "IdType=\"ImmutableId\""), ("Prefer", "outlook.body-content-type=\"html\", odata.maxpagesize=5")];
    let (s, h, v) = get_with(&sim, &format!("/users/{id}/messages/{one}"), &prefer).await;
    assert_eq!(s, 200, "unknown or unapplied preferences are ignored, as Graph ignores them: {v}");
    assert!(h.get("preference-applied").is_none());
    let (s, _, v) = get_with(&sim, &format!("{path}?$top=1"), &[("ConsistencyLevel", "eventual")]).await;
    assert_eq!(s, 200, "an advanced-query header on mail is harmless: {v}");
}

/// The directory words its refusals as Graph's directory does (`$skip`, an unknown `$` option);
/// a path no route takes names its unknown segment, as Graph does.
#[tokio::test]
async fn the_directory_refuses_what_it_does_not_take_in_its_own_words() {
    let sim = start(small()).await;
    for (query, message) in
        [("$skip=1", "'$skip' is not supported by the service."), ("$bogus=1", "Unrecognized query argument specified: '$bogus'.")]
    {
        let (s, v) = graph(&sim, reqwest::Method::GET, &format!("/users?{query}"), None).await;
        assert_eq!((s, code(&v), v["error"]["message"].as_str().unwrap_or("")), (400, "Request_BadRequest", message), "{v}");
    }
    for (path, message) in [
        ("/no/such/path", "Resource not found for the segment 'no'."),
        ("/users/wang.wei@contoso.cn/contacts", "Resource not found for the segment 'contacts'."),
        ("/me/messages", "/me request is only valid with delegated authentication flow."),
    ] {
        let (s, v) = graph(&sim, reqwest::Method::GET, path, None).await;
        assert_eq!((s, code(&v), v["error"]["message"].as_str().unwrap_or("")), (400, "BadRequest", message), "{v}");
    }
    let (s, v) = graph(&sim, reqwest::Method::GET, "/users?$top=2&$format=json&customParameter=1", None).await;
    assert_eq!((s, v["value"].as_array().map(Vec::len)), (200, Some(2)), "{v}");
}

/// The token endpoint takes Graph's `/.default` scope in the forms the identity platform takes;
/// a request without a scope is AADSTS900144, another grant AADSTS70003, as Entra words them.
#[tokio::test]
async fn the_token_endpoint_takes_every_form_of_graphs_default_scope() {
    let sim = start(small()).await;
    let c = sim.credentials().clone();
    let url = format!("{}/{}/oauth2/v2.0/token", sim.base_url(), c.tenant_id);
    let post = |form: Vec<(&'static str, String)>| {
        let url = url.clone();
        async move {
            let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
            let r = client().post(url).header("content-type", "application/x-www-form-urlencoded").body(body).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let form = |scope: Option<&str>, grant: &str| {
        let mut f = vec![("grant_type", grant.to_string()), ("client_id", c.client_id.clone()), ("client_secret", c.client_secret.clone())];
        if let Some(s) = scope {
            f.push(("scope", s.to_string()));
        }
        f
    };
    for scope in
        ["00000003-0000-0000-c000-000000000000/.default", "https://graph.microsoft.com//.default", "HTTPS://GRAPH.microsoft.com/.default"]
    {
        let (s, v) = post(form(Some(scope), "client_credentials")).await;
        assert_eq!(s, 200, "{scope}: {v}");
        let (s, _) = get_json(&format!("{}/users?$top=1", sim.graph_url()), v["access_token"].as_str()).await;
        assert_eq!(s, 200, "{scope}");
    }
    let (s, v) = post(form(None, "client_credentials")).await;
    assert_eq!((s, v["error"].as_str().unwrap()), (400, "invalid_request"), "{v}");
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS900144: The request body must contain the following parameter: 'scope'."),
        "{v}"
    );
    let (s, v) = post(form(Some("https://graph.microsoft.com/.default"), "password")).await;
    assert_eq!((s, v["error"].as_str().unwrap()), (400, "unsupported_grant_type"), "{v}");
    assert!(
        v["error_description"].as_str().unwrap().starts_with("AADSTS70003: The app requested an unsupported grant type 'password'."),
        "{v}"
    );
}
