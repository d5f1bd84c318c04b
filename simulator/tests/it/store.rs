//! What the tenant keeps: metadata per delivery, archive items by reference, other bytes once
//! per content, bounded logs, and `--data-dir` (a restart finds the tenant as it was; a directory
//! of another scenario is refused).

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tm_simulator::{Options, Running, Scenario, Simulator, StartError};

use crate::support::*;

async fn start_with(scenario: Scenario, options: Options) -> Result<Running, StartError> {
    Simulator::start_with(scenario, "127.0.0.1:0".parse().unwrap(), options).await
}

fn in_dir(dir: &Path) -> Options {
    Options { data_dir: Some(dir.to_path_buf()), ..Options::default() }
}

/// The user id of an address and the id of its `WeChat Archiver` folder (created if needed).
pub async fn archive_folder(sim: &Running, address: &str) -> (String, String) {
    let t = &sim.credentials().tenant_token;
    let (_, user) = get_json(&format!("{}/users/{address}", sim.graph_url()), Some(t)).await;
    let id = user["id"].as_str().unwrap().to_string();
    let r = client()
        .post(format!("{}/users/{id}/mailFolders", sim.graph_url()))
        .bearer_auth(t)
        .json(&json!({"displayName": "WeChat Archiver"}))
        .send()
        .await
        .unwrap();
    assert!(matches!(r.status().as_u16(), 201 | 409));
    let (_, folders) = get_json(&format!("{}/users/{id}/mailFolders", sim.graph_url()), Some(t)).await;
    let folder = folders["value"].as_array().unwrap().iter().find(|f| f["displayName"] == "WeChat Archiver").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    (id, folder)
}

pub async fn import(sim: &Running, user: &str, folder: &str, mime: &[u8]) -> Value {
    let r = client()
        .post(format!("{}/users/{user}/mailFolders/{folder}/messages", sim.graph_url()))
        .bearer_auth(&sim.credentials().tenant_token)
        .header("content-type", "text/plain")
        .body(STANDARD.encode(mime))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

pub async fn vendor_raw(sim: &Running, id: &str) -> Vec<u8> {
    let t = token(sim).await;
    let r = client().get(format!("{}/items/{id}/raw", sim.vendor_url())).bearer_auth(t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap().to_vec()
}

async fn imported_raw(sim: &Running, address: &str, id: &str) -> Vec<u8> {
    let r = client().get(format!("{}/mailboxes/{address}/items/{id}/raw", sim.sim_url())).send().await.unwrap();
    assert_eq!(r.status(), 200, "{address} {id}");
    r.bytes().await.unwrap().to_vec()
}

async fn stats(sim: &Running) -> Value {
    get_json(&format!("{}/stats", sim.sim_url()), None).await.1
}

fn foreign_mime(id: &str) -> Vec<u8> {
    format!("Message-ID: <{id}@elsewhere>\r\nX-TELEMESSAGE-ArchiveMessageID: {id}\r\nFrom: a <a@x.cn>\r\nSubject: not from the archive\r\n\r\nhello\r\n")
        .into_bytes()
}

pub const WANG: &str = "wang.wei@contoso.cn";
const GRACE: &str = "grace.chen@contoso.cn";

/// Imports into two mailboxes: an archive item as it is, the same id with other bytes, and a
/// message that is no archive item; returns nothing, the tenant holds them.
async fn import_a_mix(sim: &Running) {
    let chat = vendor_raw(sim, "chat-1").await;
    let mut altered = chat.clone();
    altered.extend_from_slice(b"\r\nappended by someone\r\n");
    for address in [WANG, GRACE] {
        let (user, folder) = archive_folder(sim, address).await;
        import(sim, &user, &folder, &chat).await;
        import(sim, &user, &folder, &altered).await;
        import(sim, &user, &folder, &foreign_mime("ext-1")).await;
    }
}

#[tokio::test]
async fn archive_items_are_kept_by_reference_and_other_bytes_once_per_content() {
    let sim = start(small()).await;
    import_a_mix(&sim).await;
    let s = stats(&sim).await;
    assert_eq!(s["deliveries"], 6);
    assert_eq!(s["archive_references"], 2, "{s}");
    assert_eq!(s["kept_contents"], 2, "the altered chat and the foreign message, once each: {s}");
    let altered_len = vendor_raw(&sim, "chat-1").await.len() + 23;
    assert_eq!(s["kept_bytes_in_memory"].as_u64().unwrap() as usize, altered_len + foreign_mime("ext-1").len());
    // Reading gives the bytes that were imported, whichever way they are kept.
    assert_eq!(imported_raw(&sim, GRACE, "chat-1").await, vendor_raw(&sim, "chat-1").await);
    assert_eq!(imported_raw(&sim, WANG, "ext-1").await, foreign_mime("ext-1"));
    let (_, boxes) = get_json(&format!("{}/mailboxes", sim.sim_url()), None).await;
    let wang = boxes["mailboxes"].as_array().unwrap().iter().find(|m| m["address"] == WANG).unwrap().clone();
    let folder = wang["folders"].as_array().unwrap().iter().find(|f| f["name"] == "WeChat Archiver").unwrap().clone();
    let sizes: Vec<u64> = folder["items"].as_array().unwrap().iter().map(|i| i["size"].as_u64().unwrap()).collect();
    assert_eq!(sizes.len(), 3);
    assert!(sizes.contains(&(altered_len as u64)));
}

#[tokio::test]
async fn reset_frees_the_kept_bytes_and_the_metadata() {
    let sim = start(small()).await;
    import_a_mix(&sim).await;
    assert!(stats(&sim).await["kept_bytes_in_memory"].as_u64().unwrap() > 0);
    client().post(format!("{}/reset", sim.sim_url())).send().await.unwrap();
    let s = stats(&sim).await;
    assert_eq!((s["deliveries"].as_u64(), s["kept_contents"].as_u64(), s["kept_bytes_in_memory"].as_u64()), (Some(0), Some(0), Some(0)));
    assert_eq!(s["journal"]["total"], 0);
}

#[tokio::test]
async fn the_journal_and_the_access_log_keep_their_newest_entries_and_count_the_dropped() {
    let sim = start_with(small(), Options { log_capacity: 4, ..Options::default() }).await.unwrap();
    import_a_mix(&sim).await; // 2 folder creations + 6 imports journalled
    let (_, j) = get_json(&format!("{}/journal", sim.sim_url()), None).await;
    let seqs: Vec<u64> = j["entries"].as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [5, 6, 7, 8]);
    assert_eq!((j["total"].as_u64(), j["dropped"].as_u64()), (Some(8), Some(4)));
    let (_, j) = get_json(&format!("{}/journal?after=6", sim.sim_url()), None).await;
    assert_eq!(j["entries"].as_array().unwrap().len(), 2);
    let (_, log) = get_json(&format!("{}/requests", sim.sim_url()), None).await;
    assert_eq!(log["requests"].as_array().unwrap().len(), 4);
    assert_eq!(log["dropped"], 10, "2 vendor requests and 6 tenant requests per mailbox, 4 kept: {log}");
    let s = stats(&sim).await;
    assert_eq!(s["journal"]["capacity"], 4);
}

#[tokio::test]
async fn a_restart_on_the_same_data_directory_finds_every_mailbox_message_and_journal_entry_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_with(small(), in_dir(dir.path())).await.unwrap();
    import_a_mix(&sim).await;
    let (_, before) = get_json(&format!("{}/mailboxes", sim.sim_url()), None).await;
    let (_, journal_before) = get_json(&format!("{}/journal", sim.sim_url()), None).await;
    let bytes_before =
        [imported_raw(&sim, WANG, "chat-1").await, imported_raw(&sim, GRACE, "ext-1").await, imported_raw(&sim, GRACE, "chat-1").await];
    assert_eq!(stats(&sim).await["kept_bytes_in_memory"], 0, "with a data directory, kept bytes are on disk");
    sim.shutdown().await;

    let sim = start_with(small(), in_dir(dir.path())).await.unwrap();
    let (_, after) = get_json(&format!("{}/mailboxes", sim.sim_url()), None).await;
    assert_eq!(after, before);
    let (_, journal_after) = get_json(&format!("{}/journal", sim.sim_url()), None).await;
    assert_eq!(journal_after, journal_before);
    let bytes_after =
        [imported_raw(&sim, WANG, "chat-1").await, imported_raw(&sim, GRACE, "ext-1").await, imported_raw(&sim, GRACE, "chat-1").await];
    assert_eq!(bytes_after, bytes_before);
    // The next import continues the numbering: no message id is handed out twice.
    let (user, folder) = archive_folder(&sim, WANG).await;
    let created = import(&sim, &user, &folder, &foreign_mime("ext-2")).await;
    assert!(created["id"].as_str().unwrap().ends_with("00000004"), "{created}");
    let (_, j) = get_json(&format!("{}/journal", sim.sim_url()), None).await;
    assert_eq!(j["total"], journal_before["total"].as_u64().unwrap() + 2, "the 409 folder creation and the import: {j}");
}

#[tokio::test]
async fn the_data_directory_keeps_the_journal_entries_memory_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_with(small(), Options { log_capacity: 3, ..in_dir(dir.path()) }).await.unwrap();
    import_a_mix(&sim).await;
    let (_, j) = get_json(&format!("{}/journal?after=0", sim.sim_url()), None).await;
    let seqs: Vec<u64> = j["entries"].as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=8).collect::<Vec<u64>>());
    assert_eq!(j["dropped"], 5);
}

#[tokio::test]
async fn reset_clears_the_data_directory_too() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_with(small(), in_dir(dir.path())).await.unwrap();
    import_a_mix(&sim).await;
    client().post(format!("{}/reset", sim.sim_url())).send().await.unwrap();
    sim.shutdown().await;
    let sim = start_with(small(), in_dir(dir.path())).await.unwrap();
    assert_eq!(stats(&sim).await["deliveries"], 0);
    assert_eq!(stats(&sim).await["journal"]["total"], 0);
}

#[tokio::test]
async fn a_data_directory_written_for_another_scenario_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_with(small(), in_dir(dir.path())).await.unwrap();
    import_a_mix(&sim).await;
    sim.shutdown().await;
    let db = dir.path().join(tm_simulator::DATABASE_FILE);
    let written = std::fs::read(&db).unwrap();

    let other_seed =
        Scenario::from_toml_str(&std::fs::read_to_string(SMALL).unwrap().replace("seed = 42", "seed = 43"), "small-43").unwrap();
    let Err(e) = start_with(other_seed, in_dir(dir.path())).await else { panic!("another seed is refused") };
    let msg = e.to_string();
    assert!(msg.contains(&dir.path().display().to_string()) && msg.contains("\"small\" (seed 42)") && msg.contains("(seed 43)"), "{msg}");

    let text = std::fs::read_to_string(SMALL).unwrap().replace("name = \"small\"", "name = \"renamed\"");
    let Err(e) = start_with(Scenario::from_toml_str(&text, "renamed").unwrap(), in_dir(dir.path())).await else {
        panic!("another name is refused")
    };
    assert!(e.to_string().contains("\"renamed\""), "{e}");

    let text = std::fs::read_to_string(SMALL).unwrap().replace("items_per_employee_per_day = 6", "items_per_employee_per_day = 7");
    let Err(e) = start_with(Scenario::from_toml_str(&text, "small").unwrap(), in_dir(dir.path())).await else {
        panic!("other traffic under the same name and seed is refused")
    };
    assert!(e.to_string().contains("other people or traffic"), "{e}");

    assert_eq!(std::fs::read(&db).unwrap(), written, "nothing was written to the refused directory");
    let sim = start_with(small(), in_dir(dir.path())).await.unwrap();
    assert_eq!(stats(&sim).await["deliveries"], 6, "the right scenario still finds its tenant");
}

#[tokio::test]
async fn a_directory_that_is_not_a_simulator_database_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(tm_simulator::DATABASE_FILE), b"this is not SQLite at all, just some text in a file").unwrap();
    let Err(e) = start_with(small(), in_dir(dir.path())).await else { panic!("garbage is refused") };
    assert!(e.to_string().contains(&dir.path().display().to_string()), "{e}");
}
