//! The control plane (`/sim`): scenario summary, mailboxes, journal, reset.

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn the_scenario_summary_counts_items_by_kind_and_source() {
    let sim = start(small()).await;
    let (s, v) = get_json(&format!("{}/scenario", sim.sim_url()), None).await;
    assert_eq!(s, 200);
    assert_eq!(v["name"], "small");
    assert_eq!(v["seed"], 42);
    assert_eq!(v["credentials"]["vendor_username"], "archiver");
    let by_kind = v["counts"]["by_kind"].as_object().unwrap();
    let total: u64 = by_kind.values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(total, v["counts"]["items"].as_u64().unwrap());
    for kind in ["chat", "attachment", "file", "call", "recall"] {
        assert!(by_kind[kind].as_u64().unwrap() > 0, "{kind}");
    }
    let by_source: u64 = v["counts"]["by_source"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(by_source, total);
}

#[tokio::test]
async fn mailboxes_list_every_mailbox_disabled_users_too_in_address_order_with_upns() {
    let sim = start(small()).await;
    let (_, v) = get_json(&format!("{}/mailboxes", sim.sim_url()), None).await;
    let addresses: Vec<&str> = v["mailboxes"].as_array().unwrap().iter().map(|m| m["address"].as_str().unwrap()).collect();
    let mut sorted = addresses.clone();
    sorted.sort_by_key(|a| a.to_lowercase());
    assert_eq!(addresses, sorted);
    assert!(addresses.contains(&"wang.wei@contoso.cn"));
    assert!(addresses.contains(&"former@contoso.cn"), "a disabled user keeps a mailbox, as in Exchange");
    assert!(!addresses.contains(&"no.mailbox@contoso.cn"));
    assert!(v["mailboxes"].as_array().unwrap().iter().all(|m| m["upn"].is_string()), "{v}");
}

#[tokio::test]
async fn reset_puts_the_tenant_back_and_clears_the_journal() {
    let sim = start(small()).await;
    let t = &sim.credentials().tenant_token;
    let (_, user) = get_json(&format!("{}/users/grace.chen@contoso.cn", sim.graph_url()), Some(t)).await;
    let r = client()
        .post(format!("{}/users/{}/mailFolders", sim.graph_url(), user["id"].as_str().unwrap()))
        .bearer_auth(t)
        .json(&json!({"displayName": "WeChat Archiver"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = client().post(format!("{}/reset", sim.sim_url())).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let (_, v) = get_json(&format!("{}/mailboxes", sim.sim_url()), None).await;
    let grace = v["mailboxes"].as_array().unwrap().iter().find(|m| m["address"] == "grace.chen@contoso.cn").unwrap().clone();
    assert_eq!(grace["folders"].as_array().unwrap().len(), 8, "the default folders");
    let (_, j) = get_json(&format!("{}/journal", sim.sim_url()), None).await;
    assert!(j["entries"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_access_log_times_every_vendor_and_tenant_request_and_reset_clears_it() {
    let sim = start(small()).await;
    let t = token(&sim).await;
    let _ = get_json(&format!("{}/items/chat-1/raw", sim.vendor_url()), Some(&t)).await;
    let _ = get_json(&format!("{}/users/WANG.WEI@contoso.cn", sim.graph_url()), Some(&sim.credentials().tenant_token)).await;
    let _ = get_json(&format!("{}/scenario", sim.sim_url()), None).await;
    let (_, log) = get_json(&format!("{}/requests", sim.sim_url()), None).await;
    let entries = log["requests"].as_array().unwrap();
    let ops: Vec<(&str, &str)> = entries.iter().map(|r| (r["api"].as_str().unwrap(), r["op"].as_str().unwrap())).collect();
    assert_eq!(ops, [("vendor", "login"), ("vendor", "raw"), ("tenant", "lookup")], "control-plane calls are not logged");
    assert_eq!(entries[1]["item_id"], "chat-1");
    assert_eq!(entries[2]["mailbox"], "wang.wei@contoso.cn");
    assert!(!log.to_string().contains("archiver-secret"), "no secrets");
    client().post(format!("{}/reset", sim.sim_url())).send().await.unwrap();
    let (_, log) = get_json(&format!("{}/requests", sim.sim_url()), None).await;
    assert!(log["requests"].as_array().unwrap().is_empty());
}

/// The control plane refuses a bad query the way it refuses everything: a JSON error body
/// (found by schemathesis: axum's own rejection was plain text, and 2^63 was taken).
#[tokio::test]
async fn bad_control_plane_queries_are_json_400s() {
    let sim = start(small()).await;
    let base = sim.sim_url();
    for query in [
        "/journal?after=abc",
        "/journal?after=1&after=2",
        "/journal?after=9223372036854775808",
        "/journal?after=-1",
        "/requests?after=null",
        "/requests?after=1&after=1",
        "/mailboxes/wang.wei@contoso.cn/export?format=mbox&format=maildir",
        "/mailboxes/wang.wei@contoso.cn/export?format=zip",
    ] {
        let (s, v) = get_json(&format!("{base}{query}"), None).await;
        assert_eq!((s, code(&v)), (400, "bad_request"), "{query}: {v}");
    }
    let (s, v) = get_json(&format!("{base}/journal?after=9223372036854775807"), None).await;
    assert_eq!((s, v["entries"].as_array().map(Vec::len)), (200, Some(0)), "the largest int64 is a sequence number: {v}");
    sim.shutdown().await;
}
