//! The sequence listing (`GET /tm/v1/items?after=`), the archive's clock (`PUT /sim/clock`) and
//! retention (410 `data_expired`, the page's `expired` range), over HTTP.

use crate::support::*;

const LATE: &str = r#"
name = "seq"
seed = 9
start = "2026-11-20T00:00:00Z"
[vendor]
retention_days = 1
[[employee]]
id = "a"
name = "王伟"
email = "a@contoso.cn"
app = "wecom"
[[external]]
id = "b"
name = "李娜"
app = "wechat"
[[offline]]
person = "b"
from = "2026-11-20T06:00:00Z"
hours = 12
[[item]]
id = "early"
at = "2026-11-20T01:00:00Z"
kind = "chat"
from = "a"
to = ["b"]
[[item]]
id = "offline"
at = "2026-11-20T07:00:00Z"
kind = "chat"
from = "b"
to = ["a"]
[[item]]
id = "scripted-late"
at = "2026-11-20T02:00:00Z"
archived_at = "2026-11-21T05:00:00Z"
kind = "chat"
from = "a"
to = ["b"]
[[item]]
id = "noon"
at = "2026-11-20T12:00:00Z"
kind = "chat"
from = "a"
to = ["a"]
"#;

async fn sim() -> tm_simulator::Running {
    start(tm_simulator::Scenario::from_toml_str(LATE, "seq.toml").unwrap()).await
}

async fn set_clock(sim: &tm_simulator::Running, at: serde_json::Value) -> (u16, serde_json::Value) {
    let r = client().put(format!("{}/clock", sim.sim_url())).json(&serde_json::json!({ "at": at })).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn ids(page: &serde_json::Value) -> Vec<(&str, u64)> {
    page["items"].as_array().unwrap().iter().map(|i| (i["id"].as_str().unwrap(), i["seq"].as_u64().unwrap())).collect()
}

#[tokio::test]
async fn the_sequence_lists_by_arrival_and_the_clock_hides_what_has_not_arrived() {
    let sim = sim().await;
    let t = token(&sim).await;
    // No clock: everything, in arrival order (the offline phone's item at 18:00, the scripted one the next day).
    let (s, all) = get_json(&format!("{}/items?after=0", sim.vendor_url()), Some(&t)).await;
    assert_eq!(s, 200, "{all}");
    assert_eq!(ids(&all), vec![("early", 1), ("noon", 2), ("offline", 3), ("scripted-late", 4)]);
    assert_eq!(all["items"][2]["archived_at"], "2026-11-20T18:00:00.000Z");
    assert_eq!(all["items"][2]["captured_at"], "2026-11-20T07:00:00.000Z");
    let (s, c) = set_clock(&sim, "2026-11-20T17:00:00Z".into()).await;
    assert_eq!((s, c["at"].as_str()), (200, Some("2026-11-20T17:00:00.000Z")));
    let (_, page) = get_json(&format!("{}/items?after=1", sim.vendor_url()), Some(&t)).await;
    assert_eq!(ids(&page), vec![("noon", 2)], "after 1, by the clock");
    // The window listing shows only what has arrived too; a download of what has not is 404.
    let (_, window) = get_json(&format!("{}/items?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z", sim.vendor_url()), Some(&t)).await;
    assert_eq!(ids(&window), vec![("early", 1), ("noon", 2)]);
    let (s, v) = get_json(&format!("{}/items/offline/raw", sim.vendor_url()), Some(&t)).await;
    assert_eq!((s, code(&v)), (404, "not_found"));
    // /sim/scenario (and the web UI) count what has reached the archive: not `offline` and
    // `scripted-late`, captured by 17:00 but archived after it.
    let (_, scenario) = get_json(&format!("{}/scenario", sim.sim_url()), None).await;
    assert_eq!(scenario["live"]["arrived"], 2, "{scenario}");
    let (s, _) = set_clock(&sim, serde_json::Value::Null).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn retention_expires_items_410_and_the_page_names_the_range_it_skipped() {
    let sim = sim().await;
    let t = token(&sim).await;
    set_clock(&sim, "2026-11-21T13:00:00Z".into()).await;
    // Horizon 2026-11-20T13:00: `early` (seq 1) and `noon` (seq 2) are gone.
    let (_, page) = get_json(&format!("{}/items?after=0&limit=1", sim.vendor_url()), Some(&t)).await;
    assert_eq!(page["expired"], serde_json::json!({"count": 2, "first_seq": 1, "last_seq": 2}));
    assert_eq!(ids(&page), vec![("offline", 3)]);
    let (_, next) =
        get_json(&format!("{}/items?after=0&limit=1&cursor={}", sim.vendor_url(), page["next_cursor"].as_str().unwrap()), Some(&t)).await;
    assert_eq!((ids(&next), next.get("expired")), (vec![("scripted-late", 4)], None));
    let (_, later) = get_json(&format!("{}/items?after=2", sim.vendor_url()), Some(&t)).await;
    assert!(later.get("expired").is_none(), "nothing expired after 2: {later}");
    let (s, v) = get_json(&format!("{}/items/early/raw", sim.vendor_url()), Some(&t)).await;
    assert_eq!((s, code(&v)), (410, "data_expired"));
}

#[tokio::test]
async fn bad_sequence_parameters_are_400_naming_them() {
    let sim = sim().await;
    let t = token(&sim).await;
    for (query, word) in [
        ("after=-1", "`after`"),
        ("after=x", "`after`"),
        ("after=9223372036854775808", "`after`"),
        ("after=1&from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z", "`after`"),
        ("after=0&cursor=zz", "`cursor`"),
    ] {
        let (s, v) = get_json(&format!("{}/items?{query}", sim.vendor_url()), Some(&t)).await;
        assert_eq!((s, code(&v)), (400, "invalid_request"), "{query}: {v}");
        assert!(v["error"]["message"].as_str().unwrap().contains(word), "{query}: {v}");
    }
    let (s, _) = set_clock(&sim, "noon".into()).await;
    assert_eq!(s, 400);
}
