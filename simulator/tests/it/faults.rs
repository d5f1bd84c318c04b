//! The fault plan: scripted misbehaviour of both APIs, journalled with the request it hit.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use tm_simulator::{Running, Scenario};

use crate::support::*;

async fn with_faults(extra: &str) -> Running {
    let text = std::fs::read_to_string(SMALL).unwrap() + extra;
    start(Scenario::from_toml_str(&text, "small+faults").unwrap()).await
}

async fn faults_journalled(sim: &Running) -> Vec<Value> {
    let (_, j) = get_json(&format!("{}/journal", sim.sim_url()), None).await;
    j["entries"].as_array().unwrap().iter().filter(|e| e.get("fault").is_some()).cloned().collect()
}

fn raw_url(sim: &Running, id: &str) -> String {
    format!("{}/items/{id}/raw", sim.vendor_url())
}

#[tokio::test]
async fn a_503_with_retry_after_hits_the_chosen_download_once() {
    let sim =
        with_faults("[[fault]]\napi = \"vendor\"\nop = \"raw\"\nitem = \"chat-1\"\naction = \"status\"\nstatus = 503\nretry_after = 7\n")
            .await;
    let t = token(&sim).await;
    let first = client().get(raw_url(&sim, "chat-1")).bearer_auth(&t).send().await.unwrap();
    assert_eq!(first.status(), 503);
    assert_eq!(first.headers()["retry-after"], "7");
    assert_eq!(code(&first.json().await.unwrap()), "unavailable");
    let other = client().get(raw_url(&sim, "call-1")).bearer_auth(&t).send().await.unwrap();
    assert_eq!(other.status(), 200, "another item is not hit");
    let second = client().get(raw_url(&sim, "chat-1")).bearer_auth(&t).send().await.unwrap();
    assert_eq!(second.status(), 200, "count = 1 by default");
    let f = faults_journalled(&sim).await;
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["item_id"], "chat-1");
    assert_eq!(f[0]["status"], 503);
    assert_eq!(f[0]["fault"], "status 503 retry-after 7");
}

#[tokio::test]
async fn a_reset_breaks_the_download_mid_body_and_a_truncation_ends_it_early_without_length() {
    let sim = with_faults(concat!(
        "[[fault]]\napi = \"vendor\"\nop = \"raw\"\nitem = \"photo-1\"\naction = \"reset\"\nat_byte = 5000\n",
        "[[fault]]\napi = \"vendor\"\nop = \"raw\"\nitem = \"file-1\"\naction = \"truncate\"\nat_byte = 1234\n",
    ))
    .await;
    let t = token(&sim).await;
    let reset = client().get(raw_url(&sim, "photo-1")).bearer_auth(&t).send().await.unwrap();
    assert_eq!(reset.status(), 200);
    assert!(reset.bytes().await.is_err(), "the body breaks off");
    let truncated = client().get(raw_url(&sim, "file-1")).bearer_auth(&t).send().await.unwrap();
    assert!(truncated.headers().get("content-length").is_none());
    assert_eq!(truncated.bytes().await.unwrap().len(), 1234);
    let whole = client().get(raw_url(&sim, "file-1")).bearer_auth(&t).send().await.unwrap();
    assert_eq!(whole.bytes().await.unwrap().len(), 65_536, "the fault fired once");
    let f = faults_journalled(&sim).await;
    let kinds: Vec<&str> = f.iter().map(|e| e["fault"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["connection reset mid-body", "body truncated at byte 1234"]);
}

#[tokio::test]
async fn a_token_expires_after_n_calls_and_a_new_login_works() {
    let sim = with_faults("[[fault]]\napi = \"vendor\"\nop = \"list\"\nafter = 2\naction = \"expire_token\"\n").await;
    let t = token(&sim).await;
    let url = format!("{}/items?from={}&to={}&limit=1", sim.vendor_url(), ALL_TIME.0, ALL_TIME.1);
    for _ in 0..2 {
        assert_eq!(get_json(&url, Some(&t)).await.0, 200);
    }
    let (s, v) = get_json(&url, Some(&t)).await;
    assert_eq!((s, code(&v)), (401, "invalid_token"));
    let (s, _) = get_json(&url, Some(&t)).await;
    assert_eq!(s, 401, "the token stays expired");
    let fresh = token(&sim).await;
    assert_eq!(get_json(&url, Some(&fresh)).await.0, 200);
}

#[tokio::test]
async fn a_repeated_page_starts_before_its_cursor_and_a_size_lie_shows_in_every_listing() {
    let sim = with_faults(concat!(
        "[[fault]]\napi = \"vendor\"\nop = \"list\"\nafter = 1\naction = \"repeat_page\"\nrepeat = 3\n",
        "[[fault]]\napi = \"vendor\"\nop = \"list\"\nitem = \"call-1\"\naction = \"lie_size\"\nsize = 10\n",
    ))
    .await;
    let t = token(&sim).await;
    let base = format!("{}/items?from={}&to={}&limit=10", sim.vendor_url(), ALL_TIME.0, ALL_TIME.1);
    let (_, p1) = get_json(&base, Some(&t)).await;
    let (_, p2) = get_json(&format!("{base}&cursor={}", p1["next_cursor"].as_str().unwrap()), Some(&t)).await;
    let ids = |p: &Value| p["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(ids(&p2)[..3], ids(&p1)[7..]);
    let all = list_all(&sim, &t, ALL_TIME.0, ALL_TIME.1, 1000).await;
    assert_eq!(all.iter().find(|r| r["id"] == "call-1").unwrap()["size"], 10);
}

#[tokio::test]
async fn the_tenant_throttles_more_than_four_requests_in_flight_for_one_mailbox() {
    // Throttling is a tenant setting; a latency fault keeps the imports in flight long enough.
    let text = std::fs::read_to_string(SMALL)
        .unwrap()
        .replace("[tenant]\n", "[tenant]\nthrottle_per_mailbox = 4\nthrottle_retry_after = 3\n")
        + "[[fault]]\napi = \"tenant\"\nop = \"import\"\nmailbox = \"wang.wei@contoso.cn\"\ncount = 0\naction = \"latency\"\nlatency_ms = 700\n";
    let sim = start(Scenario::from_toml_str(&text, "throttle").unwrap()).await;
    let tok = sim.credentials().tenant_token.clone();
    let (_, user) = get_json(&format!("{}/users/wang.wei@contoso.cn", sim.graph_url()), Some(&tok)).await;
    let id = user["id"].as_str().unwrap().to_string();
    let (_, folders) = get_json(&format!("{}/users/{id}/mailFolders", sim.graph_url()), Some(&tok)).await;
    let folder = folders["value"][0]["id"].as_str().unwrap().to_string();
    let url = format!("{}/users/{id}/mailFolders/{folder}/messages", sim.graph_url());
    let body = STANDARD.encode(b"Message-ID: <t@x>\r\nX-TELEMESSAGE-ArchiveMessageID: t\r\n\r\nhi\r\n");
    let sends = (0..6).map(|_| client().post(&url).bearer_auth(&tok).header("content-type", "text/plain").body(body.clone()).send());
    let answers = futures_util::future::join_all(sends).await;
    let mut statuses: Vec<u16> = answers.iter().map(|r| r.as_ref().unwrap().status().as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, [201, 201, 201, 201, 429, 429]);
    let throttled = answers.iter().find(|r| r.as_ref().unwrap().status() == 429).unwrap().as_ref().unwrap();
    assert_eq!(throttled.headers()["retry-after"], "3");
    // Another mailbox is not affected, and once the four finish the mailbox takes requests again.
    let (s, _) = get_json(&format!("{}/users/grace.chen@contoso.cn", sim.graph_url()), Some(&tok)).await;
    assert_eq!(s, 200);
    let again = client().post(&url).bearer_auth(&tok).header("content-type", "text/plain").body(body).send().await.unwrap();
    assert_eq!(again.status(), 201);
    let f = faults_journalled(&sim).await;
    assert_eq!(f.iter().filter(|e| e["status"] == 429 && e["code"] == "ApplicationThrottled").count(), 2);
    // The access log shows how many requests were in flight for the mailbox when each arrived.
    let (_, log) = get_json(&format!("{}/requests", sim.sim_url()), None).await;
    let imports: Vec<&Value> = log["requests"].as_array().unwrap().iter().filter(|r| r["op"] == "import").collect();
    assert_eq!(imports.len(), 7);
    assert!(imports.iter().all(|r| r["mailbox"] == "wang.wei@contoso.cn"));
    let mut admitted: Vec<u64> = imports.iter().filter(|r| r["status"] == 201).map(|r| r["in_flight"].as_u64().unwrap()).collect();
    admitted.sort();
    assert_eq!(admitted, [1, 1, 2, 3, 4], "the four concurrent ones, then the later one alone");
    assert!(imports.iter().filter(|r| r["status"] == 429).all(|r| r["in_flight"] == 5));
    assert!(imports.iter().all(|r| r["end_us"].as_u64() >= r["start_us"].as_u64()));
}

#[tokio::test]
async fn a_lost_import_answer_still_stores_the_message() {
    let text =
        std::fs::read_to_string(SMALL).unwrap() + "[[fault]]\napi = \"tenant\"\nop = \"import\"\nitem = \"lost-1\"\naction = \"reset\"\n";
    let sim = start(Scenario::from_toml_str(&text, "lost").unwrap()).await;
    let tok = sim.credentials().tenant_token.clone();
    let (_, user) = get_json(&format!("{}/users/grace.chen@contoso.cn", sim.graph_url()), Some(&tok)).await;
    let id = user["id"].as_str().unwrap().to_string();
    let (_, inbox) = get_json(&format!("{}/users/{id}/mailFolders/inbox", sim.graph_url()), Some(&tok)).await;
    let folder = inbox["id"].as_str().unwrap().to_string();
    let url = format!("{}/users/{id}/mailFolders/{folder}/messages", sim.graph_url());
    let body = STANDARD.encode(b"Message-ID: <lost-1@x>\r\nX-TELEMESSAGE-ArchiveMessageID: lost-1\r\n\r\nhi\r\n");
    let r = client().post(&url).bearer_auth(&tok).header("content-type", "text/plain").body(body).send().await.unwrap();
    assert!(r.json::<Value>().await.is_err(), "the answer breaks off");
    let (_, mailboxes) = get_json(&format!("{}/mailboxes", sim.sim_url()), None).await;
    let grace = mailboxes["mailboxes"].as_array().unwrap().iter().find(|m| m["address"] == "grace.chen@contoso.cn").unwrap().clone();
    let inbox = grace["folders"].as_array().unwrap().iter().find(|f| f["name"] == "Inbox").unwrap().clone();
    assert_eq!(inbox["items"][0]["id"], "lost-1");
}

#[tokio::test]
async fn a_500_on_one_mailbox_spares_the_others() {
    let text = std::fs::read_to_string(SMALL).unwrap()
        + "[[fault]]\napi = \"tenant\"\nop = \"folders\"\nmailbox = \"W.WANG@contoso.cn\"\ncount = 2\naction = \"status\"\nstatus = 500\n";
    let sim = start(Scenario::from_toml_str(&text, "t500").unwrap()).await;
    let tok = sim.credentials().tenant_token.clone();
    for (who, want) in
        [("wang.wei@contoso.cn", 500), ("grace.chen@contoso.cn", 200), ("wang.wei@contoso.cn", 500), ("wang.wei@contoso.cn", 200)]
    {
        let (s, v) = get_json(&format!("{}/users/{who}/mailFolders", sim.graph_url()), Some(&tok)).await;
        assert_eq!(s, want, "{who}: {v}");
        if s == 500 {
            assert_eq!(code(&v), "InternalServerError");
        }
    }
}
