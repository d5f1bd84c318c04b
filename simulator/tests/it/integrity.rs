//! The archive's integrity faults on a real socket: a corrupt download (the listed length, other
//! bytes), a malformed item (garbage, or no `Message-ID`, that the listing describes), an item
//! listed and then gone (404, 410); each journalled (docs/contract.md, "Failure modes").

use serde_json::Value;
use sha2::{Digest, Sha256};
use tm_simulator::{Running, Scenario};

use crate::support::*;

async fn with_faults(extra: &str) -> Running {
    let text = std::fs::read_to_string(SMALL).unwrap() + extra;
    start(Scenario::from_toml_str(&text, "small+integrity").unwrap()).await
}

fn rule(item: &str, action: &str) -> String {
    format!("[[fault]]\napi = \"vendor\"\nop = \"raw\"\nitem = \"{item}\"\naction = \"{action}\"\n")
}

/// A download's status, `ETag` (unquoted) and bytes.
async fn download(sim: &Running, token: &str, id: &str) -> (u16, String, Vec<u8>) {
    let r = client().get(format!("{}/items/{id}/raw", sim.vendor_url())).bearer_auth(token).send().await.unwrap();
    let etag = r.headers().get("etag").map(|v| v.to_str().unwrap().trim_matches('"').to_string()).unwrap_or_default();
    (r.status().as_u16(), etag, r.bytes().await.unwrap().to_vec())
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The listing entry of an item.
async fn entry(sim: &Running, token: &str, id: &str) -> Value {
    let items = list_all(sim, token, ALL_TIME.0, ALL_TIME.1, 100).await;
    items.into_iter().find(|i| i["id"] == id).unwrap()
}

async fn faults_journalled(sim: &Running) -> Vec<(String, u64, String)> {
    let (_, j) = get_json(&format!("{}/journal", sim.sim_url()), None).await;
    let entries = j["entries"].as_array().unwrap().iter().filter(|e| e.get("fault").is_some_and(|f| !f.is_null()));
    entries
        .map(|e| (e["item_id"].as_str().unwrap().to_string(), e["status"].as_u64().unwrap(), e["fault"].as_str().unwrap().into()))
        .collect()
}

#[tokio::test]
async fn a_corrupt_download_has_the_listed_length_and_another_digest_then_heals() {
    let sim = with_faults(&(rule("chat-1", "corrupt") + &rule("file-1", "corrupt") + "count = 0\n")).await;
    let t = token(&sim).await;
    let listed = entry(&sim, &t, "chat-1").await;
    let (status, etag, bad) = download(&sim, &t, "chat-1").await;
    assert_eq!((status, bad.len() as u64), (200, listed["size"].as_u64().unwrap()));
    assert_eq!(etag, listed["sha256"].as_str().unwrap(), "the ETag is the archive's digest");
    assert_ne!(sha(&bad), etag, "the bytes are not");
    let (_, _, good) = download(&sim, &t, "chat-1").await;
    assert_eq!(sha(&good), etag, "count = 1: the next download is whole");
    let first = download(&sim, &t, "file-1").await.2;
    let second = download(&sim, &t, "file-1").await.2;
    assert_eq!(first, second, "count = 0: every download, the same bytes (deterministic)");
    assert_ne!(sha(&first), entry(&sim, &t, "file-1").await["sha256"].as_str().unwrap());
    let f = faults_journalled(&sim).await;
    let corrupt = ("body corrupted, same length".to_string(), 200);
    assert_eq!(f.iter().filter(|(id, s, w)| id == "chat-1" && (w.clone(), *s) == corrupt).count(), 1);
    assert_eq!(f.iter().filter(|(id, s, w)| id == "file-1" && (w.clone(), *s) == corrupt).count(), 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_malformed_item_is_listed_as_the_bad_bytes_it_is_held_as() {
    let sim = with_faults(
        &(rule("chat-1", "malformed") + "variant = \"garbage\"\n" + &rule("call-1", "malformed") + "variant = \"no_message_id\"\n"),
    )
    .await;
    let t = token(&sim).await;
    for id in ["chat-1", "call-1"] {
        let listed = entry(&sim, &t, id).await;
        let (status, etag, bytes) = download(&sim, &t, id).await;
        assert_eq!(status, 200);
        assert_eq!((sha(&bytes), bytes.len() as u64), (listed["sha256"].as_str().unwrap().to_string(), listed["size"].as_u64().unwrap()));
        assert_eq!(etag, sha(&bytes), "{id}: listing, ETag and bytes agree");
        let parsed = mail_parser::MessageParser::default().parse_headers(&bytes);
        assert!(parsed.is_none_or(|m| m.message_id().is_none()), "{id} has no Message-ID");
    }
    let garbage = download(&sim, &t, "chat-1").await.2;
    assert!(garbage.starts_with(&[0x1f, 0x8b]) && !garbage.contains(&b':'), "no header line");
    let no_id = String::from_utf8(download(&sim, &t, "call-1").await.2).unwrap();
    assert!(no_id.contains("X-TELEMESSAGE-ArchiveMessageID: call-1\r\n") && !no_id.contains("Message-ID: <"), "{no_id}");
    let f = faults_journalled(&sim).await;
    assert!(f.contains(&("chat-1".into(), 200, "malformed item: garbage".into())), "{f:?}");
    assert!(f.contains(&("call-1".into(), 200, "malformed item: no_message_id".into())), "{f:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_gone_item_stays_listed_and_its_downloads_answer_404_or_410() {
    let sim = with_faults(&(rule("chat-1", "gone") + &rule("file-1", "gone") + "status = 410\n")).await;
    let t = token(&sim).await;
    entry(&sim, &t, "chat-1").await;
    entry(&sim, &t, "file-1").await;
    for (id, status, error) in [("chat-1", 404, "not_found"), ("file-1", 410, "item_deleted")] {
        for _ in 0..2 {
            let (got, _, body) = download(&sim, &t, id).await;
            assert_eq!(got, status, "{id}: every download");
            let body: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(code(&body), error, "{body}");
            assert!(body["error"]["message"].as_str().unwrap().contains(id));
        }
    }
    let f = faults_journalled(&sim).await;
    assert_eq!(f.iter().filter(|e| **e == ("chat-1".into(), 404, "item gone: status 404".into())).count(), 2, "{f:?}");
    assert_eq!(f.iter().filter(|e| **e == ("file-1".into(), 410, "item gone: status 410".into())).count(), 2, "{f:?}");
    assert_eq!(download(&sim, &t, "call-1").await.0, 200, "other items are whole");
    sim.shutdown().await;
}

#[tokio::test]
async fn integrity_faults_are_validated_naming_the_field_and_line() {
    let base = std::fs::read_to_string(SMALL).unwrap();
    let lines = base.lines().count();
    let e = Scenario::from_toml_str(&(base.clone() + &rule("chat-1", "malformed")), "x.toml").unwrap_err();
    assert_eq!(e.field.as_deref(), Some("fault[0].variant"), "{e}");
    assert!(e.line.is_some_and(|l| l > lines), "{e}");
    let e = Scenario::from_toml_str(&(base + &rule("chat-1", "gone") + "status = 403\n"), "x.toml").unwrap_err();
    assert_eq!(e.field.as_deref(), Some("fault[0].status"), "{e}");
    assert!(e.to_string().contains("x.toml"), "{e}");
}
