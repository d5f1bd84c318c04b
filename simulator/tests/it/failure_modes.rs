//! The tenant's failure modes as Graph has them, on real sockets: a full mailbox, a write that
//! lands and is answered 5xx, `ErrorFolderExists` as 400, fractional and absent `Retry-After`,
//! and zh-CN folder names (docs/contract.md, "Failure modes").

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tm_simulator::{Options, Running, Scenario, Simulator};

use crate::support::*;

const WANG: &str = "wang.wei@contoso.cn";
const GRACE: &str = "grace.chen@contoso.cn";

/// small.toml with lines added to `[tenant]` and `extra` at the end.
fn scenario(tenant: &str, extra: &str) -> Scenario {
    let text = std::fs::read_to_string(SMALL).unwrap().replace("[tenant]\n", &format!("[tenant]\n{tenant}")) + extra;
    Scenario::from_toml_str(&text, "small+failure-modes").unwrap()
}

/// A user's id.
async fn user_id(sim: &Running, address: &str) -> String {
    let (_, user) = get_json(&format!("{}/users/{address}", sim.graph_url()), Some(&sim.credentials().tenant_token)).await;
    user["id"].as_str().unwrap().to_string()
}

/// A MIME message of about `pad` bytes that is no archive item.
fn mime(id: &str, pad: usize) -> Vec<u8> {
    let mut m = format!("Message-ID: <{id}@x>\r\nX-TELEMESSAGE-ArchiveMessageID: {id}\r\nSubject: {id}\r\n\r\n").into_bytes();
    m.extend(std::iter::repeat_n(b'a', pad));
    m.extend_from_slice(b"\r\n");
    m
}

/// POSTs an import into a folder (an id or a well-known name).
async fn import(sim: &Running, user: &str, folder: &str, mime: &[u8]) -> reqwest::Response {
    client()
        .post(format!("{}/users/{user}/mailFolders/{folder}/messages", sim.graph_url()))
        .bearer_auth(&sim.credentials().tenant_token)
        .header("content-type", "text/plain")
        .body(STANDARD.encode(mime))
        .send()
        .await
        .unwrap()
}

/// How many messages a mailbox's folder holds, as `/sim/mailboxes` shows it.
async fn held(sim: &Running, address: &str, folder: &str) -> usize {
    let (_, mailboxes) = get_json(&format!("{}/mailboxes", sim.sim_url()), None).await;
    let mailbox = mailboxes["mailboxes"].as_array().unwrap().iter().find(|m| m["address"] == address).unwrap().clone();
    let f = mailbox["folders"].as_array().unwrap().iter().find(|f| f["name"] == folder).cloned();
    f.map_or(0, |f| f["items"].as_array().unwrap().len())
}

/// The journal's entries.
async fn journal(sim: &Running) -> Vec<Value> {
    let (_, j) = get_json(&format!("{}/journal", sim.sim_url()), None).await;
    j["entries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_import_over_the_mailbox_quota_is_refused_403_and_nothing_is_stored_even_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let options = || Options { data_dir: Some(dir.path().to_path_buf()), ..Options::default() };
    let modes = "mailbox_quota_bytes = 6000\n";
    let sim = Simulator::start_with(scenario(modes, ""), "127.0.0.1:0".parse().unwrap(), options()).await.unwrap();
    let grace = user_id(&sim, GRACE).await;
    assert_eq!(import(&sim, &grace, "inbox", &mime("q-1", 4000)).await.status(), 201);
    let refused = import(&sim, &grace, "inbox", &mime("q-2", 4000)).await;
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(
        (code(&body), body["error"]["message"].as_str().unwrap()),
        ("ErrorQuotaExceeded", "Mailbox has exceeded maximum mailbox size.")
    );
    assert_eq!(held(&sim, GRACE, "Inbox").await, 1, "nothing stored on refusal");
    assert_eq!(import(&sim, &grace, "inbox", &mime("q-3", 1000)).await.status(), 201, "a smaller message still fits");
    let wang = user_id(&sim, WANG).await;
    assert_eq!(import(&sim, &wang, "inbox", &mime("q-4", 4000)).await.status(), 201, "each mailbox has its own quota");
    let refusals: Vec<Value> = journal(&sim).await.into_iter().filter(|e| e["status"] == 403).collect();
    assert_eq!(refusals.len(), 1);
    assert_eq!((refusals[0]["code"].as_str(), refusals[0]["mailbox"].as_str()), (Some("ErrorQuotaExceeded"), Some(GRACE)));
    sim.shutdown().await;

    // The mailbox's size is counted again from the messages the data directory holds.
    let sim = Simulator::start_with(scenario(modes, ""), "127.0.0.1:0".parse().unwrap(), options()).await.unwrap();
    assert_eq!(import(&sim, &grace, "inbox", &mime("q-5", 1000)).await.status(), 403);
    assert_eq!(held(&sim, GRACE, "Inbox").await, 2);
}

#[tokio::test]
async fn a_user_s_own_quota_and_the_507_setting_answer_as_reported() {
    let modes = "quota_exceeded_status = 507\n";
    let extra = "[[tenant.user]]\nupn = \"small.box@contoso.cn\"\nquota_bytes = 3000\n";
    let sim = start(scenario(modes, extra)).await;
    let small = user_id(&sim, "small.box@contoso.cn").await;
    let refused = import(&sim, &small, "inbox", &mime("s-1", 4000)).await;
    assert_eq!(refused.status(), 507);
    assert_eq!(code(&refused.json().await.unwrap()), "QuotaExceededException");
    let grace = user_id(&sim, GRACE).await;
    assert_eq!(import(&sim, &grace, "inbox", &mime("s-2", 4000)).await.status(), 201, "no tenant quota: unlimited");
}

#[tokio::test]
async fn a_store_then_504_fault_stores_the_import_exactly_once_and_answers_504() {
    let fault = "[[fault]]\napi = \"tenant\"\nop = \"import\"\nitem = \"landed-1\"\naction = \"store_then_status\"\nstatus = 504\n";
    let sim = start(scenario("", fault)).await;
    let grace = user_id(&sim, GRACE).await;
    let answer = import(&sim, &grace, "inbox", &mime("landed-1", 10)).await;
    assert_eq!(answer.status(), 504);
    assert!(answer.headers().get("retry-after").is_none());
    assert_eq!(held(&sim, GRACE, "Inbox").await, 1, "the write landed once");
    let entries: Vec<Value> = journal(&sim).await.into_iter().filter(|e| e["op"] == "import").collect();
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!((e["status"].as_u64(), e["fault"].as_str()), (Some(504), Some("stored, then status 504")));
    assert_eq!((e["folder"].as_str(), e["item_id"].as_str()), (Some("Inbox"), Some("landed-1")), "the journal names where it landed");
    // The fault fired once: the retry is a second message (the tenant does not deduplicate).
    assert_eq!(import(&sim, &grace, "inbox", &mime("landed-1", 10)).await.status(), 201);
    assert_eq!(held(&sim, GRACE, "Inbox").await, 2);
}

#[tokio::test]
async fn error_folder_exists_answers_400_when_the_scenario_says_so() {
    let sim = start(scenario("folder_exists_status = 400\n", "")).await;
    let wang = user_id(&sim, WANG).await;
    let r = client()
        .post(format!("{}/users/{wang}/mailFolders", sim.graph_url()))
        .bearer_auth(&sim.credentials().tenant_token)
        .json(&json!({"displayName": "wechat archiver"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(code(&r.json().await.unwrap()), "ErrorFolderExists");
    let e = journal(&sim).await.into_iter().find(|e| e["op"] == "create_folder").unwrap();
    assert_eq!((e["status"].as_u64(), e["code"].as_str()), (Some(400), Some("ErrorFolderExists")));
}

#[tokio::test]
async fn retry_after_can_be_fractional_or_absent() {
    let faults = concat!(
        "[[fault]]\napi = \"tenant\"\nop = \"import\"\nitem = \"ra-1\"\naction = \"status\"\nstatus = 503\nretry_after = 1.5\n",
        "[[fault]]\napi = \"tenant\"\nop = \"import\"\nitem = \"ra-2\"\naction = \"status\"\nstatus = 429\nretry_after = \"absent\"\n",
    );
    let sim = start(scenario("", faults)).await;
    let grace = user_id(&sim, GRACE).await;
    let fractional = import(&sim, &grace, "inbox", &mime("ra-1", 10)).await;
    assert_eq!(fractional.status(), 503);
    assert_eq!(fractional.headers()["retry-after"], "1.5");
    let absent = import(&sim, &grace, "inbox", &mime("ra-2", 10)).await;
    assert_eq!(absent.status(), 429);
    assert!(absent.headers().get("retry-after").is_none());
    let said: Vec<String> = journal(&sim).await.iter().filter_map(|e| e["fault"].as_str().map(str::to_string)).collect();
    assert_eq!(said, ["status 503 retry-after 1.5", "status 429 retry-after absent"]);
    assert_eq!(held(&sim, GRACE, "Inbox").await, 0);
}

#[tokio::test]
async fn a_zh_cn_mailbox_names_its_folders_in_chinese_and_well_known_names_still_work() {
    let extra = "[[tenant.user]]\nupn = \"english@contoso.cn\"\nlocale = \"en-US\"\n";
    let sim = start(scenario("locale = \"zh-CN\"\n", extra)).await;
    let tok = sim.credentials().tenant_token.clone();
    let grace = user_id(&sim, GRACE).await;
    let (s, inbox) = get_json(&format!("{}/users/{grace}/mailFolders/inbox", sim.graph_url()), Some(&tok)).await;
    assert_eq!((s, inbox["displayName"].as_str()), (200, Some("收件箱")));
    let (_, folders) = get_json(&format!("{}/users/{grace}/mailFolders?$top=20", sim.graph_url()), Some(&tok)).await;
    let names: Vec<&str> = folders["value"].as_array().unwrap().iter().map(|f| f["displayName"].as_str().unwrap()).collect();
    for zh in ["收件箱", "草稿", "已发送邮件", "已删除邮件", "垃圾邮件", "发件箱", "存档", "会话历史记录"] {
        assert!(names.contains(&zh), "{zh} in {names:?}");
    }
    for well_known in ["drafts", "SentItems", "deleteditems", "junkemail", "outbox", "archive", "conversationhistory"] {
        let (s, _) = get_json(&format!("{}/users/{grace}/mailFolders/{well_known}", sim.graph_url()), Some(&tok)).await;
        assert_eq!(s, 200, "{well_known}");
    }
    // Imports by well-known name land in the localized folder; its id is the English one's.
    assert_eq!(import(&sim, &grace, "inbox", &mime("zh-1", 10)).await.status(), 201);
    assert_eq!(held(&sim, GRACE, "收件箱").await, 1);
    let english = start(scenario("", "")).await;
    let (_, en_inbox) = get_json(&format!("{}/users/{grace}/mailFolders/inbox", english.graph_url()), Some(&tok)).await;
    assert_eq!((en_inbox["displayName"].as_str(), &en_inbox["id"]), (Some("Inbox"), &inbox["id"]));
    // A folder of a default folder's Chinese name exists; the user set to en-US sees English.
    let r = client()
        .post(format!("{}/users/{grace}/mailFolders", sim.graph_url()))
        .bearer_auth(&tok)
        .json(&json!({"displayName": "收件箱"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let en = user_id(&sim, "english@contoso.cn").await;
    let (_, en_inbox) = get_json(&format!("{}/users/{en}/mailFolders/inbox", sim.graph_url()), Some(&tok)).await;
    assert_eq!(en_inbox["displayName"], "Inbox");
}
