//! Starting a simulator on port 0 and talking to it.

use std::sync::Once;

use serde_json::Value;
use tm_simulator::{Running, Scenario, Simulator};

pub const SMALL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/small.toml");

pub fn small() -> Scenario {
    Scenario::from_path(SMALL).expect("small.toml is valid")
}

pub async fn start(scenario: Scenario) -> Running {
    Simulator::start(scenario, "127.0.0.1:0".parse().unwrap()).await.expect("simulator starts")
}

pub fn client() -> reqwest::Client {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::new()
}

pub async fn token(sim: &Running) -> String {
    let c = sim.credentials();
    let r = client()
        .post(format!("{}/session", sim.vendor_url()))
        .json(&serde_json::json!({"username": c.vendor_username, "password": c.vendor_password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
}

/// GET a JSON document; returns (status, body).
pub async fn get_json(url: &str, bearer: Option<&str>) -> (u16, Value) {
    let mut req = client().get(url);
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The error code of an error body.
pub fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<none>")
}

/// Every ItemRef of a window, following cursors.
pub async fn list_all(sim: &Running, token: &str, from: &str, to: &str, limit: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{}/items?from={from}&to={to}&limit={limit}", sim.vendor_url());
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = get_json(&url, Some(token)).await;
        assert_eq!(status, 200, "{page}");
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

pub const ALL_TIME: (&str, &str) = ("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z");
