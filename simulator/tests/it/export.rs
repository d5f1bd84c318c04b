//! Exports: a mailbox as mbox and as a Maildir tarball, from the control plane and from
//! `tm-simulator export --data-dir`, opened with a real mail reader (Python's `mailbox`).

use std::process::Command;

use serde_json::Value;
use sha2::{Digest, Sha256};
use tm_simulator::{Options, Simulator};

use crate::store::{WANG, archive_folder, import, vendor_raw};
use crate::support::*;

const BIN: &str = env!("CARGO_BIN_EXE_tm-simulator");

/// Opens an mbox (undoing mboxrd quoting, as an mboxrd reader does) and a Maildir++ tarball
/// with Python's `mailbox` module; prints the sha256 of every message, per folder.
const READER: &str = r#"
import hashlib, json, mailbox, os, re, sys, tarfile, tempfile
mbox_path, tar_path, address = sys.argv[1:4]
unquote = lambda b: re.sub(rb'(?m)^>(>*From )', rb'\1', b)
mb = mailbox.mbox(mbox_path, create=False)
out = {"mbox": [hashlib.sha256(unquote(mb.get_bytes(k))).hexdigest() for k in mb.keys()], "maildir": {}}
with tempfile.TemporaryDirectory() as d:
    with tarfile.open(tar_path) as t:
        t.extractall(d, filter="data")
    md = mailbox.Maildir(os.path.join(d, address), factory=None, create=False)
    def digests(box):
        return [hashlib.sha256(box.get_bytes(k)).hexdigest() for k in sorted(box.keys())]
    out["maildir"][""] = digests(md)
    for name in md.list_folders():
        out["maildir"][name] = digests(md.get_folder(name))
print(json.dumps(out))
"#;

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

async fn export(sim: &tm_simulator::Running, query: &str) -> (u16, Option<String>, Vec<u8>) {
    let r = client().get(format!("{}/mailboxes/{WANG}/export?{query}", sim.sim_url())).send().await.unwrap();
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
    (r.status().as_u16(), ct, r.bytes().await.unwrap().to_vec())
}

/// A message no archive item is, with lines an mbox must quote, and no final newline.
const QUOTED: &[u8] = b"Message-ID: <q-1@elsewhere>\r\nFrom: a <a@x.cn>\r\nDate: Fri, 20 Nov 2026 10:00:00 +0800\r\nSubject: quoting\r\n\r\nFrom the start of a line\r\n>From quoted once\r\n>>From twice\r\nFrom";

fn read_with_python(dir: &std::path::Path, mbox: &[u8], tar: &[u8], address: &str) -> Value {
    std::fs::write(dir.join("x.mbox"), mbox).unwrap();
    std::fs::write(dir.join("x.tar"), tar).unwrap();
    let out = Command::new("python3")
        .args(["-c", READER])
        .arg(dir.join("x.mbox"))
        .arg(dir.join("x.tar"))
        .arg(address)
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "python's mailbox could not read the export: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn an_exported_mailbox_opens_in_pythons_mailbox_with_every_message_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let options = Options { data_dir: Some(data.clone()), ..Options::default() };
    let sim = Simulator::start_with(small(), "127.0.0.1:0".parse().unwrap(), options).await.unwrap();
    // Archive items (one with an attachment), in `WeChat Archiver`; a foreign message in the Inbox.
    let tok = token(&sim).await;
    let refs = list_all(&sim, &tok, ALL_TIME.0, ALL_TIME.1, 500).await;
    let mut ids: Vec<String> =
        refs.iter().filter(|r| r["size"].as_u64().unwrap() < 200_000).take(4).map(|r| r["id"].as_str().unwrap().to_string()).collect();
    ids.extend(
        refs.iter()
            .filter(|r| r["kind"] == "attachment" && r["size"].as_u64().unwrap() < 3_000_000)
            .take(1)
            .map(|r| r["id"].as_str().unwrap().to_string()),
    );
    assert_eq!(ids.len(), 5, "four small items and an attachment");
    let (user, folder) = archive_folder(&sim, WANG).await;
    let mut archived = Vec::new();
    for id in &ids {
        let raw = vendor_raw(&sim, id).await;
        import(&sim, &user, &folder, &raw).await;
        archived.push(sha(&raw));
    }
    import(&sim, &user, &folder, QUOTED).await;
    archived.push(sha(QUOTED));
    let inbox_mime = b"Message-ID: <in-1@elsewhere>\r\nSubject: inbox\r\n\r\nFrom here\r\n".to_vec();
    import(&sim, &user, "inbox", &inbox_mime).await;

    let (status, ct, mbox) = export(&sim, "format=mbox").await;
    assert_eq!((status, ct.as_deref()), (200, Some("application/mbox")));
    let (status, ct, tar) = export(&sim, "format=maildir").await;
    assert_eq!((status, ct.as_deref()), (200, Some("application/x-tar")));
    let read = read_with_python(dir.path(), &mbox, &tar, WANG);

    // mbox: every message once (folders one after the other).
    let mut all: Vec<String> = archived.iter().cloned().chain([sha(&inbox_mime)]).collect();
    all.sort();
    let mut in_mbox: Vec<String> = read["mbox"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    in_mbox.sort();
    // The message without a final newline gains one (as every mbox writer does); all others are exact.
    let quoted_with_newline = sha(&[QUOTED, b"\n"].concat());
    let expected: Vec<String> = {
        let mut v: Vec<String> = all.iter().map(|s| if *s == sha(QUOTED) { quoted_with_newline.clone() } else { s.clone() }).collect();
        v.sort();
        v
    };
    assert_eq!(in_mbox, expected);
    // The quoting happened: no unquoted `From ` line inside a message.
    assert!(!String::from_utf8_lossy(&mbox).contains("\r\nFrom the start"));

    // Maildir: the Inbox is the top Maildir, `WeChat Archiver` a folder, in import order, exact.
    let md = &read["maildir"];
    assert_eq!(md[""], serde_json::json!([sha(&inbox_mime)]));
    assert_eq!(md["WeChat Archiver"], serde_json::json!(archived));
    assert_eq!(md["Deleted Items"], serde_json::json!([]));

    // One folder alone, from the control plane and from the data directory: the same bytes.
    let (status, _, folder_mbox) = export(&sim, "format=mbox&folder=wechat%20archiver").await;
    assert_eq!(status, 200);
    let (_, _, folder_tar) = export(&sim, "format=maildir&folder=WeChat%20Archiver").await;
    for (format, http) in [("mbox", &folder_mbox), ("maildir", &folder_tar)] {
        let out = dir.path().join(format!("cli.{format}"));
        let o = Command::new(BIN)
            .args(["export", "--scenario", SMALL, "--data-dir"])
            .arg(&data)
            .args(["--mailbox", WANG, "--folder", "WeChat Archiver", "--format", format, "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(std::fs::read(&out).unwrap() == *http, "{format}: the CLI's export differs from the control plane's");
    }
    let read = read_with_python(dir.path(), &folder_mbox, &folder_tar, WANG);
    assert_eq!(read["maildir"][""], serde_json::json!(archived));
    assert_eq!(read["maildir"].as_object().unwrap().len(), 1, "one folder alone has no subfolders");
    assert_eq!(read["mbox"].as_array().unwrap().len(), archived.len());
    sim.shutdown().await;
}

#[tokio::test]
async fn an_export_of_what_is_not_there_names_it() {
    let sim = start(small()).await;
    let r = client().get(format!("{}/mailboxes/nobody@contoso.cn/export", sim.sim_url())).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("nobody@contoso.cn"));
    let (status, _, body) = export(&sim, "folder=Nowhere").await;
    assert_eq!(status, 404);
    let body = String::from_utf8(body).unwrap();
    assert!(body.contains("Nowhere") && body.contains("Inbox"), "{body}");
    let (status, _, body) = export(&sim, "format=pst").await;
    assert_eq!(status, 400);
    assert!(String::from_utf8(body).unwrap().contains("format"));
    sim.shutdown().await;
}

#[test]
fn the_export_command_refuses_a_directory_that_is_no_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(BIN)
        .args(["export", "--scenario", SMALL, "--data-dir"])
        .arg(dir.path())
        .args(["--mailbox", WANG, "--out"])
        .arg(dir.path().join("x.mbox"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&dir.path().display().to_string()) && err.contains("tenant.sqlite3"), "{err}");
    assert!(!dir.path().join("x.mbox").exists());
}
