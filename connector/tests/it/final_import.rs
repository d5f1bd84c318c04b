//! FINAL: items are imported as final messages with beta `importMime`; without the app
//! permission `Mail-Advanced.ReadWrite.All` the run is a configuration error (exit 2) that names
//! it and says what drafts would mean, unless `ALLOW_DRAFT_IMPORTS=true`: then drafts (v1.0 MIME
//! create), said once in the log and counted in `counts.drafts`; where the tenant refuses MIME
//! on the folder path, created in the mailbox and moved into the folder.

use std::process::Command;

use tm_connector::ClientCredentialsConfig;
use tm_contract::Op;

use crate::harness::{DAY1_END, Harness, PEOPLE, ids};

fn chats(n: usize) -> String {
    (0..n)
        .map(|i| format!("[[item]]\nid = \"f{i:02}\"\nat = \"2026-11-20T10:{i:02}:00.000Z\"\nkind = \"chat\"\nfrom = \"wang-wei\"\nto = [\"zhang-min\"]\n"))
        .collect()
}

/// A tenant whose app lacks `Mail-Advanced.ReadWrite.All`.
const NO_ADVANCED: &str = "[tenant]\napp_permissions = [\"User.Read.All\", \"Mail.ReadWrite\"]\n";

/// Tokens from the identity platform (JWTs whose `roles` the connector reads).
fn with_client_credentials(h: &Harness, config: &mut tm_connector::Config) {
    let c = h.sim.credentials();
    config.graph_token = String::new();
    config.client_credentials = Some(ClientCredentialsConfig {
        tenant_id: c.tenant_id.clone(),
        client_id: c.client_id.clone(),
        client_secret: c.client_secret.clone(),
        authority: h.sim.base_url(),
    });
}

/// Every archived message's draft flag, per mailbox, in `WeChat Archiver`.
async fn drafts(h: &Harness) -> Vec<bool> {
    h.mailboxes()
        .await
        .into_iter()
        .flat_map(|m| m.folders)
        .filter(|f| f.name == "WeChat Archiver")
        .flat_map(|f| f.items.into_iter().map(|i| i.draft))
        .collect()
}

fn assert_names_the_permission_and_drafts(line: &str) {
    for needle in [
        "configuration error",
        "Mail-Advanced.ReadWrite.All",
        "ALLOW_DRAFT_IMPORTS=true",
        "drafts: editable, sendable messages in a compliance archive",
        "https://learn.microsoft.com/graph/api/mailfolder-importmime?view=graph-rest-beta",
        "https://learn.microsoft.com/graph/api/user-post-messages",
    ] {
        assert!(line.contains(needle), "`{needle}` missing in: {line}");
    }
}

/// FINAL: by default the connector imports with `importMime` (beta): every message is final
/// (`"draft": false` in /sim/mailboxes), no import goes to a v1.0 create path, no drafts counted.
#[tokio::test]
async fn final_items_are_imported_with_import_mime_as_final_messages() {
    let h = Harness::start("final-default", &format!("{PEOPLE}{}", chats(3))).await;
    let report = h.run(h.config(DAY1_END)).await;

    assert_eq!((report.counts.imported, report.counts.drafts), (6, 0), "{report:?}");
    assert_eq!(drafts(&h).await, vec![false; 6]);
    let imports: Vec<_> = h.journal().await.into_iter().filter(|e| e.op == Op::Import).collect();
    assert_eq!(imports.len(), 6);
    assert!(imports.iter().all(|e| e.request.starts_with("POST /graph/beta/") && e.request.ends_with("/importMime")), "{imports:?}");
}

/// FINAL: with client credentials, a token whose `roles` lack the permission stops the run at
/// its start: a configuration error (exit 2) naming it and saying what drafts would mean;
/// nothing imported, nothing committed.
#[tokio::test]
async fn final_a_token_without_the_permission_is_a_configuration_error_before_any_import() {
    let h = Harness::start("final-no-permission", &format!("{PEOPLE}{NO_ADVANCED}{}", chats(2))).await;
    let mut config = h.config(DAY1_END);
    with_client_credentials(&h, &mut config);

    let e = tm_connector::run(config).await.expect_err("the permission is missing");

    assert_eq!(e.exit_code(), 2);
    let line = tm_connector::one_line(&e);
    assert_names_the_permission_and_drafts(&line);
    assert!(line.contains("the access token's roles are [User.Read.All, Mail.ReadWrite]"), "{line}");
    assert_eq!(h.journal().await.iter().filter(|e| e.op == Op::Import || e.op == Op::CreateFolder).count(), 0);
    assert!(!h.state.path().join("checkpoint.json").exists() || h.imports_in_journal().await == 0);
}

/// FINAL at the CLI with the static token (opaque: no roles to read): the first `importMime`
/// proves the permission; its 403 (not the scope refusal) is exit 2 with the message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn final_an_opaque_token_without_the_permission_is_exit_2_at_the_first_import() {
    let h = Harness::start("final-opaque", &format!("{PEOPLE}{NO_ADVANCED}{}", chats(2))).await;
    let out = cli(&h).output().unwrap();

    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("will be proven by the first importMime"), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("tm-connector: configuration error: "), "{last}");
    assert_names_the_permission_and_drafts(last);
    assert!(last.contains("importMime answered HTTP 403 ErrorAccessDenied"), "{last}");
    assert!(h.all_archived().await.is_empty());
}

/// FINAL with `ALLOW_DRAFT_IMPORTS=true` (client credentials: known at start): drafts by v1.0
/// MIME create into the folder, said once in the log, each counted in `counts.drafts`.
#[tokio::test]
async fn final_allowed_drafts_are_imported_and_counted() {
    let h = Harness::start("final-drafts", &format!("{PEOPLE}{NO_ADVANCED}{}", chats(3))).await;
    let mut config = h.config(DAY1_END);
    with_client_credentials(&h, &mut config);
    config.allow_draft_imports = true;

    let report = h.run(config).await;

    assert_eq!((report.counts.imported, report.counts.drafts, report.counts.failed), (6, 6, 0), "{report:?}");
    assert_eq!(drafts(&h).await, vec![true; 6]);
    let imports: Vec<_> = h.journal().await.into_iter().filter(|e| e.op == Op::Import).collect();
    assert!(imports.iter().all(|e| e.request.starts_with("POST /graph/v1.0/") && e.status == 201), "{imports:?}");
    assert_eq!(imports.len(), 6, "no importMime was tried");
}

/// FINAL with drafts allowed, an opaque token and a tenant that refuses MIME on the folder path
/// (the observed 400 `UnableToDeserializePostBody`): `importMime` refused (403) → drafts; the
/// folder path refused → created in the mailbox and moved into `WeChat Archiver`. Every item
/// once in each mailbox's folder, none left in Drafts, all counted as drafts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn final_drafts_on_a_tenant_refusing_the_folder_path_are_created_then_moved() {
    let tenant = "[tenant]\napp_permissions = [\"User.Read.All\", \"Mail.ReadWrite\"]\nmime_on_folder_path = \"refuse\"\n";
    let h = Harness::start("final-move", &format!("{PEOPLE}{tenant}{}", chats(4))).await;
    let report_path = h.files.path().join("report.json");
    let out = cli(&h).env("ALLOW_DRAFT_IMPORTS", "true").env("REPORT_PATH", &report_path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr.matches("importing drafts with v1.0 MIME create").count(), 1, "said once: {stderr}");

    let report: tm_connector::RunReport = serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    assert_eq!((report.counts.imported, report.counts.drafts, report.counts.failed), (8, 8, 0), "{report:?}");
    for mailbox in ["wang.wei@contoso.cn", "zhang.min@contoso.cn"] {
        assert_eq!(h.archived(mailbox).await, ids(&["f00", "f01", "f02", "f03"]), "{mailbox}");
    }
    let in_drafts: usize = h.mailboxes().await.iter().flat_map(|m| &m.folders).filter(|f| f.name == "Drafts").map(|f| f.items.len()).sum();
    assert_eq!(in_drafts, 0, "every draft was moved into the folder");
    assert_eq!(drafts(&h).await, vec![true; 8]);
    assert_eq!(h.journal().await.iter().filter(|e| e.op == Op::Move && e.status == 201).count(), 8);
}

/// The binary, against the harness's simulator with the static (opaque) token.
fn cli(h: &Harness) -> Command {
    let c = h.sim.credentials();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tm-connector"));
    cmd.arg("run")
        .env("TM_URL", h.sim.vendor_url())
        .env("TM_USERNAME", &c.vendor_username)
        .env("TM_PASSWORD", &c.vendor_password)
        .env("GRAPH_URL", h.sim.graph_url())
        .env("GRAPH_TOKEN", &c.tenant_token)
        .env("RUN_AT", DAY1_END)
        .env("STATE_DIR", h.state.path())
        .env_remove("GRAPH_CLIENT_ID")
        .env_remove("GRAPH_BETA_URL")
        .env_remove("ALLOW_DRAFT_IMPORTS")
        .env_remove("REPORT_PATH")
        .env_remove("MAPPING_CSV")
        .env("RUST_LOG", "info");
    cmd
}
