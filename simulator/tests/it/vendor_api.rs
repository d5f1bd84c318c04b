//! The vendor archive API (`/tm/v1`): sessions, listings, windows, cursors, downloads, errors.

use sha2::{Digest, Sha256};

use crate::support::*;

#[tokio::test]
async fn login_with_the_right_credentials_gives_a_token_and_an_expiry() {
    let sim = start(small()).await;
    let c = sim.credentials();
    let r = client()
        .post(format!("{}/session", sim.vendor_url()))
        .json(&serde_json::json!({"username": c.vendor_username, "password": c.vendor_password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(!v["token"].as_str().unwrap().is_empty());
    assert!(chrono::DateTime::parse_from_rfc3339(v["expires_at"].as_str().unwrap()).is_ok());
}

#[tokio::test]
async fn login_with_a_wrong_password_is_401_invalid_credentials_and_journalled_without_the_password() {
    let sim = start(small()).await;
    let r = client()
        .post(format!("{}/session", sim.vendor_url()))
        .json(&serde_json::json!({"username": "archiver", "password": "hunter2-wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(code(&r.json().await.unwrap()), "invalid_credentials");
    let (_, journal) = get_json(&format!("{}/journal", sim.sim_url()), None).await;
    let text = journal.to_string();
    assert!(text.contains("invalid_credentials") && !text.contains("hunter2"), "{text}");
}

#[tokio::test]
async fn a_login_body_that_is_not_json_is_400_invalid_request() {
    let sim = start(small()).await;
    let r = client().post(format!("{}/session", sim.vendor_url())).body("user=x").send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(code(&r.json().await.unwrap()), "invalid_request");
}

#[tokio::test]
async fn listing_without_or_with_an_unknown_token_is_401_invalid_token() {
    let sim = start(small()).await;
    let url = format!("{}/items?from={}&to={}", sim.vendor_url(), ALL_TIME.0, ALL_TIME.1);
    let (s, v) = get_json(&url, None).await;
    assert_eq!((s, code(&v)), (401, "invalid_token"));
    let (s, v) = get_json(&url, Some("tmv1.made-up")).await;
    assert_eq!((s, code(&v)), (401, "invalid_token"));
    let (s, v) = get_json(&format!("{}/items/chat-1/raw", sim.vendor_url()), None).await;
    assert_eq!((s, code(&v)), (401, "invalid_token"));
}

#[tokio::test]
async fn bad_listing_parameters_are_400_invalid_request() {
    let sim = start(small()).await;
    let t = token(&sim).await;
    let base = sim.vendor_url();
    let cases = [
        format!("{base}/items?to={}", ALL_TIME.1),
        format!("{base}/items?from={}", ALL_TIME.0),
        format!("{base}/items?from=yesterday&to={}", ALL_TIME.1),
        format!("{base}/items?from={}&to={}", ALL_TIME.1, ALL_TIME.0),
        format!("{base}/items?from={}&to={}&limit=0", ALL_TIME.0, ALL_TIME.1),
        format!("{base}/items?from={}&to={}&limit=1001", ALL_TIME.0, ALL_TIME.1),
        format!("{base}/items?from={}&to={}&limit=ten", ALL_TIME.0, ALL_TIME.1),
        format!("{base}/items?from={}&to={}&cursor=garbage", ALL_TIME.0, ALL_TIME.1),
    ];
    for url in cases {
        let (s, v) = get_json(&url, Some(&t)).await;
        assert_eq!((s, code(&v)), (400, "invalid_request"), "{url}: {v}");
        assert!(v["error"]["message"].is_string());
    }
}

#[tokio::test]
async fn a_cursor_of_another_window_is_refused() {
    let sim = start(small()).await;
    let t = token(&sim).await;
    let (_, page) = get_json(&format!("{}/items?from={}&to={}&limit=2", sim.vendor_url(), ALL_TIME.0, ALL_TIME.1), Some(&t)).await;
    let cursor = page["next_cursor"].as_str().unwrap();
    let url = format!("{}/items?from=2026-11-20T00:00:00Z&to={}&limit=2&cursor={cursor}", sim.vendor_url(), ALL_TIME.1);
    let (s, v) = get_json(&url, Some(&t)).await;
    assert_eq!((s, code(&v)), (400, "invalid_request"));
}

#[tokio::test]
async fn listings_are_ordered_by_capture_time_then_id_and_paging_does_not_change_them() {
    let sim = start(small()).await;
    let t = token(&sim).await;
    let all = list_all(&sim, &t, ALL_TIME.0, ALL_TIME.1, 1000).await;
    assert!(all.len() > 50, "{}", all.len());
    let keys: Vec<(String, String)> =
        all.iter().map(|r| (r["captured_at"].as_str().unwrap().to_string(), r["id"].as_str().unwrap().to_string())).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(list_all(&sim, &t, ALL_TIME.0, ALL_TIME.1, 7).await, all);
    let (_, first) = get_json(&format!("{}/items?from={}&to={}", sim.vendor_url(), ALL_TIME.0, ALL_TIME.1), Some(&t)).await;
    let first = first["items"].as_array().unwrap();
    assert_eq!(first.len(), 100.min(all.len()), "the default limit is 100");
    assert_eq!(first[..], all[..first.len()]);
}

#[tokio::test]
async fn the_window_includes_from_and_excludes_to() {
    let sim = start(small()).await;
    let t = token(&sim).await;
    // chat-1 is captured at 02:00:00.250.
    let at = "2026-11-20T02:00:00.250Z";
    let ids = |v: Vec<serde_json::Value>| v.iter().map(|r| r["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let from = ids(list_all(&sim, &t, at, "2026-11-20T02:00:00.251Z", 100).await);
    assert_eq!(from, vec!["chat-1"]);
    let to = ids(list_all(&sim, &t, "2026-11-20T01:00:00Z", at, 1000).await);
    assert!(!to.contains(&"chat-1".to_string()));
    assert!(list_all(&sim, &t, at, at, 10).await.is_empty(), "from == to is empty");
    // Sub-millisecond bounds: 02:00:00.2505 is after the capture instant.
    assert!(ids(list_all(&sim, &t, "2026-11-20T02:00:00.2505Z", "2026-11-20T03:00:00Z", 100).await).iter().all(|i| i != "chat-1"));
    // Offsets are honoured: 10:00:00.250+08:00 is the same instant.
    let plus = "2026-11-20T10:00:00.250%2B08:00";
    assert_eq!(ids(list_all(&sim, &t, plus, "2026-11-20T02:00:00.251Z", 100).await), vec!["chat-1"]);
}

#[tokio::test]
async fn raw_downloads_match_the_listing_size_sha256_and_etag() {
    let sim = start(small()).await;
    let t = token(&sim).await;
    let all = list_all(&sim, &t, ALL_TIME.0, ALL_TIME.1, 1000).await;
    for r in all.iter().filter(|r| r["id"] != "liar-1").step_by(5).chain(all.iter().filter(|r| r["size"].as_u64().unwrap() > 10_000_000)) {
        let id = r["id"].as_str().unwrap();
        let resp = client().get(format!("{}/items/{id}/raw", sim.vendor_url())).bearer_auth(&t).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "message/rfc822");
        assert_eq!(resp.headers()["etag"].to_str().unwrap(), format!("\"{}\"", r["sha256"].as_str().unwrap()));
        let len: u64 = resp.headers()["content-length"].to_str().unwrap().parse().unwrap();
        let body = resp.bytes().await.unwrap();
        assert_eq!(len, body.len() as u64);
        assert_eq!(body.len() as u64, r["size"].as_u64().unwrap(), "{id}");
        assert_eq!(hex::encode(Sha256::digest(&body)), r["sha256"].as_str().unwrap(), "{id}");
    }
}

#[tokio::test]
async fn an_item_can_lie_about_its_size_in_the_listing() {
    let sim = start(small()).await;
    let t = token(&sim).await;
    let all = list_all(&sim, &t, ALL_TIME.0, ALL_TIME.1, 1000).await;
    let liar = all.iter().find(|r| r["id"] == "liar-1").unwrap();
    assert_eq!(liar["size"], 1000);
    let resp = client().get(format!("{}/items/liar-1/raw", sim.vendor_url())).bearer_auth(&t).send().await.unwrap();
    assert_eq!(resp.bytes().await.unwrap().len(), 10_485_761);
}

#[tokio::test]
async fn an_unknown_item_is_404_not_found() {
    let sim = start(small()).await;
    let t = token(&sim).await;
    let (s, v) = get_json(&format!("{}/items/no-such-item/raw", sim.vendor_url()), Some(&t)).await;
    assert_eq!((s, code(&v)), (404, "not_found"));
}
