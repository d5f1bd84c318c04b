//! Item ids are opaque strings (issue 25): a scenario may give ids with spaces, `#`, `?`, `/`,
//! `+`, `%` and non-ASCII letters; the vendor lists them as given, serves each at its
//! percent-encoded path, and renders valid 7-bit headers that mail parsers read back as the id.
//! The `break_entry` fault breaks one listing entry and leaves the others whole.

use serde_json::Value;
use sha2::{Digest, Sha256};
use tm_simulator::{Running, Scenario};

use crate::support::*;

/// The ids beside the small scenario's own.
pub const HOSTILE: [&str; 8] = ["a b", "hash#tag", "what?now", "slash/ed", "plus+1", "100%", "王伟的消息", "Zoë Ünïcödé"];

fn hostile_items() -> String {
    let mut t = String::new();
    for (i, id) in HOSTILE.iter().enumerate() {
        let id = toml::Value::String((*id).to_owned());
        t.push_str(&format!(
            "[[item]]\nid = {id}\nat = \"2026-11-20T05:{i:02}:00Z\"\nkind = \"chat\"\nfrom = \"wang-wei\"\nto = [\"li-na\"]\ntext = \"hi\"\n\n"
        ));
    }
    // A recall of a hostile id names it in its own header.
    t.push_str("[[item]]\nid = \"recall of a b\"\nat = \"2026-11-20T06:00:00Z\"\nkind = \"recall\"\nfrom = \"wang-wei\"\nto = [\"li-na\"]\nrecalls = \"a b\"\n\n");
    t
}

async fn sim_with(extra: &str) -> Running {
    let text = std::fs::read_to_string(SMALL).unwrap() + extra;
    start(Scenario::from_toml_str(&text, "small+hostile").unwrap_or_else(|e| panic!("{e}"))).await
}

/// The raw URL of an item, its id one percent-encoded path segment.
fn raw_url(sim: &Running, id: &str) -> reqwest::Url {
    let mut url = reqwest::Url::parse(&sim.vendor_url()).unwrap();
    url.path_segments_mut().unwrap().extend(["items", id, "raw"]);
    url
}

fn header_text<'a>(m: &'a mail_parser::Message<'a>, name: &'a str) -> Option<&'a str> {
    m.header(name).and_then(|h| h.as_text())
}

#[tokio::test]
async fn hostile_ids_are_listed_as_given_served_at_their_encoded_path_and_read_back_from_the_headers() {
    let sim = sim_with(&hostile_items()).await;
    let t = token(&sim).await;
    let listed = list_all(&sim, &t, ALL_TIME.0, ALL_TIME.1, 3).await;
    let ids: Vec<&str> = listed.iter().map(|e| e["id"].as_str().unwrap()).collect();
    for id in HOSTILE.iter().chain(&["recall of a b"]) {
        assert_eq!(ids.iter().filter(|i| *i == id).count(), 1, "{id} listed once as given: {ids:?}");
    }
    for entry in listed.iter().filter(|e| HOSTILE.contains(&e["id"].as_str().unwrap()) || e["id"] == "recall of a b") {
        let id = entry["id"].as_str().unwrap();
        let r = client().get(raw_url(&sim, id)).bearer_auth(&t).send().await.unwrap();
        assert_eq!(r.status(), 200, "{id}: {}", raw_url(&sim, id));
        let bytes = r.bytes().await.unwrap();
        assert_eq!(hex::encode(Sha256::digest(&bytes)), entry["sha256"].as_str().unwrap(), "{id}");
        let end = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        assert!(bytes[..end].is_ascii(), "{id}: the headers stay 7-bit");
        let name = |n: &str| mail_parser::HeaderName::Other(n.to_owned().into());
        let parser = mail_parser::MessageParser::new()
            .with_message_ids()
            .header_text(name("X-TELEMESSAGE-ArchiveMessageID"))
            .header_text(name("X-TELEMESSAGE-RecalledMessageID"));
        let m = parser.parse_headers(&bytes[..]).unwrap();
        assert_eq!(header_text(&m, "X-TELEMESSAGE-ArchiveMessageID"), Some(id));
        let mid = m.message_id().unwrap_or_else(|| panic!("{id}: no Message-ID"));
        assert!(mid.ends_with("@archive.telemessage.sim") && !mid.contains(' '), "{id}: {mid}");
        if id == "recall of a b" {
            assert_eq!(header_text(&m, "X-TELEMESSAGE-RecalledMessageID"), Some("a b"));
        }
    }
    // Ordinary ids are written as they always were.
    let chat = client().get(raw_url(&sim, "chat-1")).bearer_auth(&t).send().await.unwrap().text().await.unwrap();
    assert!(
        chat.contains("Message-ID: <chat-1@archive.telemessage.sim>\r\n") && chat.contains("X-TELEMESSAGE-ArchiveMessageID: chat-1\r\n")
    );
    // The path segment is decoded once: `%2F` is part of the id, not a separator.
    let r = client().get(format!("{}/items/slash%2Fed/raw", sim.vendor_url())).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = client().get(format!("{}/items/slash/ed/raw", sim.vendor_url())).bearer_auth(&t).send().await.unwrap();
    assert_ne!(r.status(), 200, "an unencoded `/` is a separator");
}

#[test]
fn a_scenario_refuses_an_empty_id_or_one_with_a_control_character_naming_the_line() {
    let base = std::fs::read_to_string(SMALL).unwrap();
    for bad in ["\"\"", "\"tab\\there\"", "\"new\\nline\""] {
        let text =
            format!("{base}[[item]]\nid = {bad}\nat = \"2026-11-20T05:00:00Z\"\nkind = \"chat\"\nfrom = \"wang-wei\"\nto = [\"li-na\"]\n");
        let e = Scenario::from_toml_str(&text, "bad.toml").unwrap_err().to_string();
        assert!(e.contains("bad.toml") && e.contains(".id") && e.contains("control characters"), "{bad}: {e}");
    }
}

#[tokio::test]
async fn a_break_entry_fault_breaks_only_the_named_entry_every_time_it_is_listed() {
    let faults = concat!(
        "[[fault]]\napi = \"vendor\"\nop = \"list\"\nitem = \"chat-1\"\naction = \"break_entry\"\n",
        "[[fault]]\napi = \"vendor\"\nop = \"list\"\nitem = \"photo-1\"\naction = \"break_entry\"\nfield = \"sha256\"\n",
    );
    let sim = sim_with(faults).await;
    let t = token(&sim).await;
    for _ in 0..2 {
        let listed = list_all(&sim, &t, ALL_TIME.0, ALL_TIME.1, 1000).await;
        let by_id = |id: &str| listed.iter().find(|e| e["id"] == id).unwrap_or_else(|| panic!("{id} listed")).clone();
        assert_eq!(by_id("chat-1")["size"], "large");
        assert!(by_id("photo-1").get("sha256").is_none());
        let whole: Vec<&Value> = listed.iter().filter(|e| e["id"] != "chat-1" && e["id"] != "photo-1").collect();
        assert!(!whole.is_empty());
        for e in whole {
            assert!(serde_json::from_value::<tm_contract::ItemRef>(e.clone()).is_ok(), "{e}");
        }
    }
    let (_, j) = get_json(&format!("{}/journal", sim.sim_url()), None).await;
    let faults: Vec<(String, String)> = j["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e.get("fault").is_some())
        .map(|e| (e["item_id"].as_str().unwrap().to_owned(), e["fault"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(faults.iter().filter(|f| f.0 == "chat-1" && f.1 == "broken entry: size").count(), 2, "{faults:?}");
    assert_eq!(faults.iter().filter(|f| f.0 == "photo-1" && f.1 == "broken entry: sha256").count(), 2, "{faults:?}");
}
