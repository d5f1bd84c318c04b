//! Robustness on real-world mail (`fixtures/corpora/real-world-eml/`, see its README): 53
//! messages written by other programs, several of them malformed on purpose, are served as
//! archived items by a fake vendor; the tenant is an in-process simulator whose directory knows
//! some of the addresses in them. Every item must get exactly one outcome: imported byte for
//! byte into the mailboxes its participants route to, or one failure before routing with reason
//! `malformed_item` or `user_mapping`. Never a crash, a hang, a run failure or a silent drop.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use tm_connector::FailureReason;

use crate::harness::{DAY1_END, Harness, assert_counts_add_up};

/// One corpus file as an archived item: the id is the file stem.
#[derive(Debug, Clone)]
struct CorpusItem {
    id: String,
    captured_at: String,
    sha256: String,
    bytes: Bytes,
}

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/corpora/real-world-eml")
}

/// Every `.eml` of the corpus, by name, captured one second apart on the window's day.
fn corpus() -> Vec<CorpusItem> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("fixtures/corpora/real-world-eml exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let bytes = Bytes::from(std::fs::read(path).unwrap());
            CorpusItem {
                id: path.file_stem().unwrap().to_string_lossy().into_owned(),
                captured_at: format!("2026-11-20T10:{:02}:{:02}.000Z", i / 60, i % 60),
                sha256: hex::encode(Sha256::digest(&bytes)),
                bytes,
            }
        })
        .collect()
}

const TOKEN: &str = "corpus-vendor-token";

struct Vendor {
    items: Vec<CorpusItem>,
    downloads: Mutex<HashMap<String, usize>>,
}

/// A minimal vendor archive (`/tm/v1`, contract shape) serving `items`; counts downloads.
struct FakeVendor {
    url: String,
    state: Arc<Vendor>,
}

impl FakeVendor {
    async fn start(items: Vec<CorpusItem>) -> FakeVendor {
        let state = Arc::new(Vendor { items, downloads: Mutex::new(HashMap::new()) });
        let app = Router::new()
            .route("/tm/v1/session", post(session))
            .route("/tm/v1/items", get(list))
            .route("/tm/v1/items/{id}/raw", get(raw))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/tm/v1", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeVendor { url, state }
    }

    fn downloads(&self) -> HashMap<String, usize> {
        self.state.downloads.lock().unwrap().clone()
    }
}

fn error(status: StatusCode, code: &str) -> Response {
    (status, axum::Json(serde_json::json!({"error": {"code": code, "message": "fake vendor"}}))).into_response()
}

fn authorised(headers: &HeaderMap) -> bool {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"))
}

async fn session() -> Response {
    axum::Json(serde_json::json!({"token": TOKEN, "expires_at": "2099-01-01T00:00:00Z"})).into_response()
}

/// Every item lies inside the connector's window, so `from`/`to` are not needed; the cursor is
/// the index of the next item.
async fn list(State(v): State<Arc<Vendor>>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if !authorised(&headers) {
        return error(StatusCode::UNAUTHORIZED, "invalid_token");
    }
    let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(100);
    let start: usize = match q.get("cursor") {
        None => 0,
        Some(c) => match c.strip_prefix('c').and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => return error(StatusCode::BAD_REQUEST, "invalid_request"),
        },
    };
    let end = (start + limit).min(v.items.len());
    let items: Vec<serde_json::Value> = v.items[start..end]
        .iter()
        .map(|i| {
            serde_json::json!({
                "id": i.id, "captured_at": i.captured_at, "size": i.bytes.len(), "sha256": i.sha256,
                "source": "wechat", "kind": "chat",
            })
        })
        .collect();
    let next = (end < v.items.len()).then(|| format!("c{end}"));
    axum::Json(serde_json::json!({"items": items, "next_cursor": next})).into_response()
}

async fn raw(State(v): State<Arc<Vendor>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !authorised(&headers) {
        return error(StatusCode::UNAUTHORIZED, "invalid_token");
    }
    let Some(item) = v.items.iter().find(|i| i.id == id) else {
        return error(StatusCode::NOT_FOUND, "not_found");
    };
    *v.downloads.lock().unwrap().entry(id).or_default() += 1;
    ([(header::CONTENT_TYPE, "message/rfc822")], item.bytes.clone()).into_response()
}

/// Directory users for some of the addresses the corpus uses (and not for others, so that both
/// ROUTE-EMAIL deliveries and ROUTE-DROP happen).
const TENANT: &str = r#"
[[tenant.user]]
upn = "test@example.org"

[[tenant.user]]
upn = "test2@example.org"

[[tenant.user]]
upn = "test@example.com"

[[tenant.user]]
upn = "a@example.com"

[[tenant.user]]
upn = "sender@example.com"

[[tenant.user]]
upn = "ned@innosoft.com"

[[tenant.user]]
upn = "vice-president@whitehouse.gov"

[[tenant.user]]
upn = "user@domain.org"

[[tenant.user]]
upn = "someone@example.com"

[[tenant.user]]
upn = "jonas.sterr@gmx.net"

[[tenant.user]]
upn = "rimap-test@example.test"
"#;

/// What each corpus file comes to with [`TENANT`]: the mailboxes it is imported into, or the
/// reason it fails before routing. In short: no `Message-ID` (every archive item has one, and
/// without it a lost import's answer cannot be looked for: INTEGRITY, issue 26), no header line
/// first, no `From` header, or a `From` with neither an address nor a mobile
/// (`From: Whomever`), is `malformed_item` (even when a `To` is a valid user, as in
/// malformed-019); a usable `From` but no participant that is a valid user is
/// `user_mapping`; otherwise one delivery per distinct valid user among From/To/Cc (only the
/// top-level headers count, not those of attached messages). The connector reads participants
/// with mail-parser, so a mail-parser upgrade may legitimately change a line here: review such a
/// change, do not just accept it.
const EXPECTED: &[(&str, Expect)] = &[
    ("malformed-000", Expect::Failed(FailureReason::MalformedItem)),
    ("malformed-001", Expect::Failed(FailureReason::MalformedItem)),
    ("malformed-002", Expect::Failed(FailureReason::MalformedItem)),
    ("malformed-003", Expect::Failed(FailureReason::MalformedItem)),
    ("malformed-004", Expect::Failed(FailureReason::MalformedItem)),
    ("malformed-005", Expect::Failed(FailureReason::MalformedItem)),
    ("malformed-006", Expect::Failed(FailureReason::MalformedItem)),
    ("malformed-007", Expect::Failed(FailureReason::MalformedItem)),
    ("malformed-008", Expect::Failed(FailureReason::MalformedItem)),
    ("malformed-009", Expect::Failed(FailureReason::MalformedItem)),
    ("malformed-010", Expect::Failed(FailureReason::MalformedItem)),
    ("malformed-011", Expect::Failed(FailureReason::MalformedItem)),
    ("malformed-012", Expect::Failed(FailureReason::MalformedItem)),
    ("malformed-013", Expect::Failed(FailureReason::MalformedItem)),
    ("malformed-014", Expect::Failed(FailureReason::MalformedItem)),
    ("malformed-015", Expect::Imported(&["test2@example.org", "test@example.org"])),
    ("malformed-016", Expect::Failed(FailureReason::MalformedItem)),
    ("malformed-017", Expect::Failed(FailureReason::MalformedItem)),
    ("malformed-018", Expect::Failed(FailureReason::MalformedItem)),
    ("malformed-019", Expect::Failed(FailureReason::MalformedItem)),
    ("malformed-020", Expect::Failed(FailureReason::MalformedItem)),
    ("malformed-021", Expect::Failed(FailureReason::MalformedItem)),
    ("malformed-022", Expect::Failed(FailureReason::MalformedItem)),
    ("rfc-000", Expect::Failed(FailureReason::MalformedItem)),
    ("rfc-001", Expect::Failed(FailureReason::MalformedItem)),
    ("rfc-002", Expect::Failed(FailureReason::MalformedItem)),
    ("rfc-003", Expect::Failed(FailureReason::MalformedItem)),
    ("rfc-004", Expect::Failed(FailureReason::MalformedItem)),
    ("rfc-005", Expect::Failed(FailureReason::MalformedItem)),
    ("rfc-006", Expect::Failed(FailureReason::MalformedItem)),
    ("rfc-007", Expect::Failed(FailureReason::MalformedItem)),
    ("rfc-008", Expect::Failed(FailureReason::MalformedItem)),
    ("rfc-009", Expect::Failed(FailureReason::MalformedItem)),
    ("thirdparty-000", Expect::Failed(FailureReason::MalformedItem)),
    ("thirdparty-001", Expect::Failed(FailureReason::MalformedItem)),
    ("thirdparty-002", Expect::Failed(FailureReason::MalformedItem)),
    ("thirdparty-003", Expect::Failed(FailureReason::MalformedItem)),
    ("thirdparty-004", Expect::Failed(FailureReason::MalformedItem)),
    ("thirdparty-005", Expect::Failed(FailureReason::MalformedItem)),
    ("thirdparty-006", Expect::Failed(FailureReason::MalformedItem)),
    ("thirdparty-007", Expect::Failed(FailureReason::MalformedItem)),
    ("thirdparty-008", Expect::Failed(FailureReason::MalformedItem)),
    ("thirdparty-009", Expect::Failed(FailureReason::MalformedItem)),
    ("thirdparty-010", Expect::Failed(FailureReason::MalformedItem)),
    ("thirdparty-011", Expect::Failed(FailureReason::UserMapping)),
    ("thirdparty-012", Expect::Failed(FailureReason::MalformedItem)),
    ("thirdparty-013", Expect::Failed(FailureReason::MalformedItem)),
    ("thirdparty-014", Expect::Failed(FailureReason::UserMapping)),
    ("thirdparty-015", Expect::Imported(&["jonas.sterr@gmx.net"])),
    ("thirdparty-016", Expect::Imported(&["test@example.com"])),
    ("thirdparty-017", Expect::Imported(&["test@example.com"])),
    ("thirdparty-018", Expect::Imported(&["test@example.com"])),
    ("thirdparty-019", Expect::Imported(&["test@example.com"])),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Imported(&'static [&'static str]),
    Failed(FailureReason),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Imported(Vec<String>),
    Failed(FailureReason),
}

/// Every real-world message gets exactly one outcome; imported ones are stored byte for byte.
#[tokio::test]
async fn every_real_world_message_gets_exactly_one_outcome_and_imports_are_byte_for_byte() {
    let items = corpus();
    assert_eq!(items.len(), 53, "fixtures/corpora/real-world-eml holds the 53 corpus files");
    let h = Harness::start("corpus", TENANT).await;
    let vendor = FakeVendor::start(items.clone()).await;
    let mut config = h.config(DAY1_END);
    config.tm_url = vendor.url.clone();
    config.tm_username = "corpus".into();
    config.tm_password = "corpus".into();
    // Several pages, so that paging over odd items is exercised too.
    config.page_size = 10;

    let report = match tm_connector::run(config).await {
        Ok(r) => r,
        Err(e) => panic!("the run must complete on real-world mail: {e}"),
    };
    assert_counts_add_up(&report);
    assert_eq!(report.counts.items, items.len() as u64, "every listed item is counted: {report:#?}");

    // Failures: only before routing, only the two reasons a message's content can cause, at most
    // one per item.
    let mut failed: BTreeMap<String, FailureReason> = BTreeMap::new();
    for f in &report.failures {
        assert_eq!(f.mailbox, None, "a delivery failed: {f:?}");
        assert!(matches!(f.reason, FailureReason::MalformedItem | FailureReason::UserMapping), "{f:?}");
        assert!(failed.insert(f.item_id.clone(), f.reason).is_none(), "two failures for {}", f.item_id);
    }

    // Imports: every message in the tenant is one corpus file's bytes, exactly. The files carry
    // no X-TELEMESSAGE-ArchiveMessageID, so messages are matched to files by their bytes (two
    // files are identical; they are told apart by counting).
    let by_bytes: HashMap<&[u8], Vec<&str>> = items.iter().fold(HashMap::new(), |mut m, i| {
        m.entry(&i.bytes[..]).or_default().push(i.id.as_str());
        m
    });
    let (stored, stored_total) = stored_by_files(&h, &by_bytes);
    assert_eq!(stored_total, report.counts.imported, "the report counts what the tenant stored");

    // Exactly one outcome per item, and the outcome table.
    let downloads = vendor.downloads();
    let mut outcomes: BTreeMap<String, Outcome> = BTreeMap::new();
    for item in &items {
        let outcome = outcome_of(item, &by_bytes, &stored, &failed);
        let n = downloads.get(&item.id).copied().unwrap_or(0);
        assert!((1..=2).contains(&n), "{} downloaded {n} times", item.id);
        outcomes.insert(item.id.clone(), outcome);
    }
    assert_outcomes_are_expected(&outcomes);
}

/// How many copies of each group of identical corpus files each mailbox holds, and in all.
fn stored_by_files<'a>(h: &Harness, by_bytes: &HashMap<&[u8], Vec<&'a str>>) -> (BTreeMap<(Vec<&'a str>, String), usize>, u64) {
    let mut stored: BTreeMap<(Vec<&str>, String), usize> = BTreeMap::new();
    let mut stored_total = 0;
    let held = h.sim.observe().messages(None);
    for m in &held {
        let (address, folder) = (&m.mailbox, &m.folder);
        assert_eq!(folder, "WeChat Archiver", "{address} got a message in {folder}");
        let raw = m.bytes.clone().expect("the simulator keeps bodies");
        let Some(ids) = by_bytes.get(&raw[..]) else {
            panic!("{address} holds a message that is no corpus file byte for byte ({} bytes)", raw.len());
        };
        *stored.entry((ids.clone(), address.to_lowercase())).or_default() += 1;
        stored_total += 1;
    }
    (stored, stored_total)
}

/// The one outcome of a corpus item: imported (into these mailboxes) or failed.
fn outcome_of(
    item: &CorpusItem,
    by_bytes: &HashMap<&[u8], Vec<&str>>,
    stored: &BTreeMap<(Vec<&str>, String), usize>,
    failed: &BTreeMap<String, FailureReason>,
) -> Outcome {
    let ids = &by_bytes[&item.bytes[..]];
    let mut mailboxes: Vec<String> = stored
        .iter()
        .filter(|((group, _), _)| group == ids)
        .flat_map(|((_, mailbox), n)| {
            // Identical files share their copies: each file accounts for its share.
            assert_eq!(n % ids.len(), 0, "{mailbox} holds {n} copies of {ids:?}");
            std::iter::repeat_n(mailbox.clone(), n / ids.len())
        })
        .collect();
    mailboxes.sort();
    let outcome = match (failed.get(&item.id), mailboxes.is_empty()) {
        (Some(reason), true) => Outcome::Failed(*reason),
        (None, false) => Outcome::Imported(mailboxes),
        (Some(reason), false) => panic!("{} failed ({reason}) and was imported into {mailboxes:?}", item.id),
        (None, true) => panic!("{} has no outcome: neither imported nor reported", item.id),
    };
    if let Outcome::Imported(m) = &outcome {
        let mut distinct = m.clone();
        distinct.dedup();
        assert_eq!(&distinct, m, "{} imported twice into one mailbox", item.id);
    }
    outcome
}

fn assert_outcomes_are_expected(outcomes: &BTreeMap<String, Outcome>) {
    let expected: BTreeMap<String, Outcome> = EXPECTED
        .iter()
        .map(|(id, e)| {
            let o = match e {
                Expect::Imported(m) => Outcome::Imported(m.iter().map(|s| s.to_string()).collect()),
                Expect::Failed(r) => Outcome::Failed(*r),
            };
            (id.to_string(), o)
        })
        .collect();
    if &expected != outcomes {
        let table: String = outcomes
            .iter()
            .map(|(id, o)| match o {
                Outcome::Imported(m) => format!("    (\"{id}\", Expect::Imported(&{m:?})),\n"),
                Outcome::Failed(r) => format!("    (\"{id}\", Expect::Failed(FailureReason::{r:?})),\n"),
            })
            .collect();
        panic!("outcomes differ from EXPECTED; observed:\n{table}");
    }
}
