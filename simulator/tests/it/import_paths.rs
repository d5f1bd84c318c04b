//! Every import path as Graph has it (issue 24): the v1.0 MIME create on a mailbox's messages (a
//! draft in `Drafts`), on a folder's messages (a draft there, or the observed 400 with
//! `[tenant] mime_on_folder_path = "refuse"`), beta's `importMime` (a final message, its MIME
//! kept byte for byte), `/move` (a new id in the destination, the old one gone), `/graph/beta`'s
//! links, and a data directory that keeps drafts and moves across a restart (and opens a
//! directory of the previous layout).

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use serde_json::{Value, json};
use tm_simulator::{Options, Running, Scenario, Simulator};

use crate::store::{WANG, vendor_raw};
use crate::support::*;
use crate::tenant_api::user_id;

/// A MIME message no archive item is.
fn mime(n: u32) -> Vec<u8> {
    format!(
        "Message-ID: <path-{n}@test>\r\nFrom: \"Wang Wei\" <wang.wei@contoso.cn>\r\nTo: <li.na@contoso.cn>\r\nSubject: path {n}\r\n\
         Date: Fri, 20 Nov 2026 10:00:0{} +0800\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbody {n}\r\n",
        n % 10
    )
    .into_bytes()
}

/// A Graph request under `/graph/{version}`; the JSON answer (or the text, when it is none).
async fn call(sim: &Running, version: &str, method: Method, path: &str, body: Option<(&str, Vec<u8>)>) -> (u16, Value) {
    let base = sim.graph_url().replace("/v1.0", &format!("/{version}"));
    let mut req = client().request(method, format!("{base}{path}")).bearer_auth(&sim.credentials().tenant_token);
    if let Some((ctype, bytes)) = body {
        req = req.header("content-type", ctype).body(bytes);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Posts base64 MIME to `path`.
async fn post_mime(sim: &Running, version: &str, path: &str, mime: &[u8]) -> (u16, Value) {
    call(sim, version, Method::POST, path, Some(("text/plain", STANDARD.encode(mime).into_bytes()))).await
}

/// A message's `$value`.
async fn value_of(sim: &Running, user: &str, id: &str) -> (u16, Vec<u8>) {
    let r = client()
        .get(format!("{}/users/{user}/messages/{id}/$value", sim.graph_url()))
        .bearer_auth(&sim.credentials().tenant_token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
}

/// Moves a message (through a folder's path, when given).
async fn move_to(sim: &Running, user: &str, from: Option<&str>, id: &str, destination: &str) -> (u16, Value) {
    let path = match from {
        Some(f) => format!("/users/{user}/mailFolders/{f}/messages/{id}/move"),
        None => format!("/users/{user}/messages/{id}/move"),
    };
    let body = serde_json::to_vec(&json!({ "destinationId": destination })).unwrap();
    call(sim, "v1.0", Method::POST, &path, Some(("application/json", body))).await
}

/// The id of a folder (by well-known name).
async fn folder_id(sim: &Running, user: &str, name: &str) -> String {
    let (s, v) = call(sim, "v1.0", Method::GET, &format!("/users/{user}/mailFolders/{name}"), None).await;
    assert_eq!(s, 200, "{v}");
    v["id"].as_str().unwrap().to_string()
}

/// `GET /sim/mailboxes`' items of a folder of Wang Wei's mailbox.
async fn items(sim: &Running, folder: &str) -> Vec<Value> {
    let (_, mailboxes) = get_json(&format!("{}/mailboxes", sim.sim_url()), None).await;
    let mailbox = mailboxes["mailboxes"].as_array().unwrap().iter().find(|m| m["address"] == WANG).unwrap().clone();
    mailbox["folders"].as_array().unwrap().iter().find(|f| f["name"] == folder).unwrap()["items"].as_array().unwrap().clone()
}

fn with_tenant_setting(line: &str) -> Scenario {
    let text = std::fs::read_to_string(SMALL).unwrap().replace("[tenant]\n", &format!("[tenant]\n{line}\n"));
    Scenario::from_toml_str(&text, "small.toml").unwrap()
}

#[tokio::test]
async fn the_v1_mime_create_on_a_mailbox_makes_a_read_draft_in_drafts() {
    let sim = start(small()).await;
    let user = user_id(&sim, WANG).await;
    let drafts = folder_id(&sim, &user, "drafts").await;
    let (s, v) = post_mime(&sim, "v1.0", &format!("/users/{user}/messages"), &mime(1)).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!((v["isDraft"].clone(), v["isRead"].clone(), v["parentFolderId"].clone()), (json!(true), json!(true), json!(drafts)));
    assert_eq!(v["subject"], "path 1");
    assert_eq!(v["sentDateTime"], "2026-11-20T02:00:01Z", "a draft is sent at its Date");
    assert_eq!(v["createdDateTime"], "2026-11-20T00:00:00Z", "created on the tenant's clock: the scenario's start");
    assert_eq!(v["receivedDateTime"], v["createdDateTime"]);
    assert_eq!(v["@odata.context"], format!("https://graph.microsoft.com/v1.0/$metadata#users('{user}')/messages/$entity"));
    let (s, bytes) = value_of(&sim, &user, v["id"].as_str().unwrap()).await;
    assert_eq!((s, bytes), (200, mime(1)));
    assert_eq!(items(&sim, "Drafts").await[0]["draft"], true);
    let (_, journal) = get_json(&format!("{}/journal", sim.sim_url()), None).await;
    let last = journal["entries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["op"].clone(), last["request"].clone()), (json!("import"), json!("POST /graph/v1.0/users/{id}/messages")), "{last}");
    sim.shutdown().await;
}

#[tokio::test]
async fn the_folder_path_makes_a_draft_there_by_default_and_refuses_when_the_scenario_says() {
    let sim = start(small()).await;
    let user = user_id(&sim, WANG).await;
    let inbox = folder_id(&sim, &user, "inbox").await;
    let (s, v) = post_mime(&sim, "v1.0", &format!("/users/{user}/mailFolders/inbox/messages"), &mime(2)).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!((v["isDraft"].clone(), v["parentFolderId"].clone()), (json!(true), json!(inbox)));
    assert_eq!(items(&sim, "Inbox").await[0]["draft"], true);
    sim.shutdown().await;

    let sim = start(with_tenant_setting("mime_on_folder_path = \"refuse\"")).await;
    let user = user_id(&sim, WANG).await;
    let (s, v) = post_mime(&sim, "v1.0", &format!("/users/{user}/mailFolders/inbox/messages"), &mime(2)).await;
    assert_eq!((s, code(&v)), (400, "UnableToDeserializePostBody"), "{v}");
    assert_eq!(v["error"]["message"], "were unable to deserialize ");
    assert!(items(&sim, "Inbox").await.is_empty(), "nothing stored");
    // The mailbox path still creates drafts.
    let (s, _) = post_mime(&sim, "v1.0", &format!("/users/{user}/messages"), &mime(3)).await;
    assert_eq!(s, 201);
    let (_, journal) = get_json(&format!("{}/journal", sim.sim_url()), None).await;
    let refused = journal["entries"].as_array().unwrap().iter().find(|e| e["status"] == 400).unwrap().clone();
    assert_eq!((refused["op"].clone(), refused["code"].clone()), (json!("import"), json!("UnableToDeserializePostBody")));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_move_gives_the_message_a_new_id_in_the_destination_and_the_old_one_is_gone() {
    let sim = start(small()).await;
    let user = user_id(&sim, WANG).await;
    let inbox = folder_id(&sim, &user, "inbox").await;
    let (_, draft) = post_mime(&sim, "v1.0", &format!("/users/{user}/messages"), &mime(4)).await;
    let old = draft["id"].as_str().unwrap().to_string();
    // Through a folder the message is not in: 404; to no folder: Graph's 400 and 404.
    let (s, v) = move_to(&sim, &user, Some("inbox"), &old, "archive").await;
    assert_eq!((s, code(&v)), (404, "ErrorItemNotFound"), "{v}");
    let (s, v) = move_to(&sim, &user, None, &old, "Processed").await;
    assert_eq!((s, code(&v)), (400, "ErrorInvalidIdMalformed"), "{v}");
    let (s, v) = move_to(&sim, &user, None, &old, "AAMkF0000000000000000").await;
    assert_eq!((s, code(&v)), (404, "ErrorItemNotFound"), "{v}");
    let (s, v) =
        call(&sim, "v1.0", Method::POST, &format!("/users/{user}/messages/{old}/move"), Some(("application/json", b"{}".to_vec()))).await;
    assert_eq!((s, code(&v)), (400, "BadRequest"), "{v}");

    let (s, moved) = move_to(&sim, &user, Some("drafts"), &old, "inbox").await;
    assert_eq!(s, 201, "{moved}");
    let new = moved["id"].as_str().unwrap().to_string();
    assert_ne!(new, old, "a move makes a new item");
    assert_eq!((moved["parentFolderId"].clone(), moved["isDraft"].clone()), (json!(inbox), json!(true)), "still a draft");
    assert_eq!(moved["internetMessageId"], "<path-4@test>");
    let (s, v) = call(&sim, "v1.0", Method::GET, &format!("/users/{user}/messages/{old}"), None).await;
    assert_eq!((s, code(&v)), (404, "ErrorItemNotFound"), "the original is gone");
    let (s, _) = call(&sim, "v1.0", Method::GET, &format!("/users/{user}/mailFolders/inbox/messages/{new}"), None).await;
    assert_eq!(s, 200);
    let (s, bytes) = value_of(&sim, &user, &new).await;
    assert_eq!((s, bytes), (200, mime(4)));
    assert!(items(&sim, "Drafts").await.is_empty());
    assert_eq!(items(&sim, "Inbox").await.len(), 1);
    // Moved again, by the folder's id this time.
    let archive = folder_id(&sim, &user, "archive").await;
    let (s, again) = move_to(&sim, &user, Some(&inbox), &new, &archive).await;
    assert_eq!((s, again["parentFolderId"].clone()), (201, json!(archive)));
    let (_, journal) = get_json(&format!("{}/journal", sim.sim_url()), None).await;
    let moves: Vec<&Value> = journal["entries"].as_array().unwrap().iter().filter(|e| e["op"] == "move").collect();
    assert_eq!(moves.iter().map(|e| e["status"].as_u64().unwrap()).collect::<Vec<_>>(), [404, 400, 404, 400, 201, 201]);
    assert_eq!(moves[4]["folder"], "Inbox");
    sim.shutdown().await;
}

#[tokio::test]
async fn beta_import_mime_makes_a_final_message_whose_value_is_the_bytes_sent() {
    let sim = start(small()).await;
    let user = user_id(&sim, WANG).await;
    let inbox = folder_id(&sim, &user, "inbox").await;
    // Bytes of an archive item (kept by reference) and bytes of none (kept as they are).
    let refs = list_all(&sim, &token(&sim).await, ALL_TIME.0, ALL_TIME.1, 50).await;
    let small_item = refs.iter().find(|r| r["size"].as_u64().unwrap() < 1_000_000).expect("a small item");
    let id = small_item["id"].as_str().unwrap().to_string();
    for sent in [vendor_raw(&sim, &id).await, mime(5)] {
        let (s, v) = post_mime(&sim, "beta", &format!("/users/{user}/mailFolders/inbox/importMime"), &sent).await;
        assert_eq!(s, 201, "{v}");
        assert_eq!((v["isDraft"].clone(), v["isRead"].clone(), v["parentFolderId"].clone()), (json!(false), json!(false), json!(inbox)));
        assert!(v["@odata.context"].as_str().unwrap().starts_with("https://graph.microsoft.com/beta/$metadata#"), "{v}");
        let (s, bytes) = value_of(&sim, &user, v["id"].as_str().unwrap()).await;
        assert!(s == 200 && bytes == sent, "$value is the bytes sent");
    }
    let (_, v) = call(&sim, "beta", Method::GET, &format!("/users/{user}/mailFolders/inbox/messages?$top=1"), None).await;
    assert_eq!(v["value"][0]["receivedDateTime"], "2026-11-20T02:00:05Z", "a final message is received at its Date");
    assert!(items(&sim, "Inbox").await.iter().all(|i| i["draft"] == false));
    let (_, inbox_view) = call(&sim, "v1.0", Method::GET, &format!("/users/{user}/mailFolders/inbox"), None).await;
    assert_eq!(inbox_view["unreadItemCount"], 2, "final messages arrive unread");
    // Not on v1.0; not JSON; too large: the folder import's answers.
    let (s, _) = post_mime(&sim, "v1.0", &format!("/users/{user}/mailFolders/inbox/importMime"), &mime(6)).await;
    assert_eq!(s, 400, "no importMime on v1.0");
    let (s, v) = call(
        &sim,
        "beta",
        Method::POST,
        &format!("/users/{user}/mailFolders/inbox/importMime"),
        Some(("application/json", b"{}".to_vec())),
    )
    .await;
    assert_eq!((s, code(&v)), (415, "UnsupportedMediaType"));
    let (_, journal) = get_json(&format!("{}/journal", sim.sim_url()), None).await;
    let imports: Vec<&Value> = journal["entries"].as_array().unwrap().iter().filter(|e| e["op"] == "import").collect();
    assert_eq!(imports[0]["request"], "POST /graph/beta/users/{id}/mailFolders/{folder}/importMime");
    assert_eq!(imports[0]["item_id"], id.as_str(), "the journal names the item, as for the folder import");
    sim.shutdown().await;
}

#[tokio::test]
async fn beta_serves_the_v1_subset_with_links_and_contexts_naming_beta() {
    let sim = start(small()).await;
    let user = user_id(&sim, WANG).await;
    for n in 1..=12 {
        let (s, _) = post_mime(&sim, "beta", &format!("/users/{user}/messages"), &mime(n)).await;
        assert_eq!(s, 201);
    }
    let (s, page) = call(&sim, "beta", Method::GET, &format!("/users/{user}/mailFolders/drafts/messages"), None).await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["value"].as_array().unwrap().len(), 10);
    let next = page["@odata.nextLink"].as_str().unwrap();
    assert!(next.starts_with(&sim.graph_url().replace("/v1.0", "/beta")), "{next}");
    assert!(page["@odata.context"].as_str().unwrap().starts_with("https://graph.microsoft.com/beta/$metadata#users("));
    let r = client().get(next).bearer_auth(&sim.credentials().tenant_token).send().await.unwrap();
    let rest: Value = r.json().await.unwrap();
    assert_eq!(rest["value"].as_array().unwrap().len(), 2);
    // v1.0 still names v1.0; beta needs the token as v1.0 does.
    let (_, page) = call(&sim, "v1.0", Method::GET, &format!("/users/{user}/mailFolders/drafts/messages"), None).await;
    assert!(page["@odata.nextLink"].as_str().unwrap().contains("/graph/v1.0/"));
    let (s, v) = get_json(&format!("{}/users/{user}", sim.graph_url().replace("/v1.0", "/beta")), None).await;
    assert_eq!((s, code(&v)), (401, "InvalidAuthenticationToken"));
    let (s, v) = call(&sim, "beta", Method::GET, &format!("/users/{WANG}"), None).await;
    assert_eq!((s, v["@odata.context"].clone()), (200, json!("https://graph.microsoft.com/beta/$metadata#users/$entity")));
    // The access log tells beta's calls apart as v1.0's.
    let (_, requests) = get_json(&format!("{}/requests", sim.sim_url()), None).await;
    let beta_imports = requests["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["op"] == "import" && r["request"].as_str().unwrap().contains("/graph/beta/"))
        .count();
    assert_eq!(beta_imports, 12, "{requests}");
    sim.shutdown().await;
}

fn in_dir(dir: &Path) -> Options {
    Options { data_dir: Some(dir.to_path_buf()), ..Options::default() }
}

async fn start_in(dir: &Path) -> Running {
    Simulator::start_with(small(), "127.0.0.1:0".parse().unwrap(), in_dir(dir)).await.unwrap()
}

#[tokio::test]
async fn a_data_dir_keeps_drafts_final_messages_and_moves_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_in(dir.path()).await;
    let user = user_id(&sim, WANG).await;
    let (_, draft) = post_mime(&sim, "v1.0", &format!("/users/{user}/messages"), &mime(7)).await;
    let (_, last) = post_mime(&sim, "beta", &format!("/users/{user}/mailFolders/inbox/importMime"), &mime(8)).await;
    let (s, moved) = move_to(&sim, &user, None, draft["id"].as_str().unwrap(), "archive").await;
    assert_eq!(s, 201);
    sim.shutdown().await;

    let sim = start_in(dir.path()).await;
    let (s, v) = call(&sim, "v1.0", Method::GET, &format!("/users/{user}/messages/{}", draft["id"].as_str().unwrap()), None).await;
    assert_eq!(s, 404, "the moved message's old id stays gone: {v}");
    let (s, v) =
        call(&sim, "v1.0", Method::GET, &format!("/users/{user}/mailFolders/archive/messages/{}", moved["id"].as_str().unwrap()), None)
            .await;
    assert_eq!((s, v["isDraft"].clone(), v["createdDateTime"].clone()), (200, json!(true), moved["createdDateTime"].clone()), "{v}");
    let (s, v) = call(&sim, "v1.0", Method::GET, &format!("/users/{user}/messages/{}", last["id"].as_str().unwrap()), None).await;
    assert_eq!((s, v["isDraft"].clone()), (200, json!(false)));
    assert_eq!(items(&sim, "Archive").await[0]["draft"], true);
    assert_eq!(items(&sim, "Inbox").await[0]["draft"], false);
    // The next message gets a number after the moved one's: no id is given twice.
    let (_, next) = post_mime(&sim, "v1.0", &format!("/users/{user}/messages"), &mime(9)).await;
    assert!(next["id"].as_str().unwrap() > moved["id"].as_str().unwrap());
    sim.shutdown().await;
}

#[tokio::test]
async fn a_data_dir_of_the_previous_layout_opens_with_its_messages_as_drafts_and_another_layout_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_in(dir.path()).await;
    let user = user_id(&sim, WANG).await;
    let (_, draft) = post_mime(&sim, "v1.0", &format!("/users/{user}/mailFolders/inbox/messages"), &mime(1)).await;
    sim.shutdown().await;
    // Layout 1, as the previous version wrote it: no `draft` nor `created_ms`.
    let db = dir.path().join("tenant.sqlite3");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "ALTER TABLE messages DROP COLUMN draft; ALTER TABLE messages DROP COLUMN created_ms;
         UPDATE meta SET value = '1' WHERE key = 'schema';",
    )
    .unwrap();
    drop(conn);
    let sim = start_in(dir.path()).await;
    let (s, v) = call(&sim, "v1.0", Method::GET, &format!("/users/{user}/messages/{}", draft["id"].as_str().unwrap()), None).await;
    assert_eq!((s, v["isDraft"].clone(), v["createdDateTime"].clone()), (200, json!(true), json!("2026-11-20T00:00:00Z")), "{v}");
    sim.shutdown().await;
    let conn = rusqlite::Connection::open(&db).unwrap();
    let layout: String = conn.query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| r.get(0)).unwrap();
    assert_eq!(layout, "2", "brought to the current layout");
    conn.execute("UPDATE meta SET value = '9' WHERE key = 'schema'", []).unwrap();
    drop(conn);
    let e = Simulator::start_with(small(), "127.0.0.1:0".parse().unwrap(), in_dir(dir.path())).await.err().expect("layout 9 is refused");
    assert!(e.to_string().contains("database layout 9, this simulator writes layout 2"), "{e}");
}
