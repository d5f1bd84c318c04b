//! INTEGRITY on real sockets: a download whose bytes are not the listed ones is downloaded again
//! (a transient corruption heals: imported once, with the right bytes), then reported
//! `malformed_item` with both digests; bytes that are no message, or have no `Message-ID`, and
//! items gone since they were listed (404, 410) are `malformed_item` too, never imported; the run
//! goes on and imports the rest of the day.

use tm_connector::{FailureReason, RunReport};
use tm_contract::{Api, Op, RequestEntry};

use crate::harness::{DAY1_END, Harness, PEOPLE, ids};

/// A chat from wang-wei to zhang-min per id, an hour apart, and `faults` (vendor raw, one item).
fn body(items: &[&str], faults: &[(&str, &str)]) -> String {
    let mut text = PEOPLE.to_string();
    for (i, id) in items.iter().enumerate() {
        text.push_str(&format!(
            "[[item]]\nid = \"{id}\"\nat = \"2026-11-20T{:02}:00:00.000Z\"\nkind = \"chat\"\nfrom = \"wang-wei\"\nto = [\"zhang-min\"]\n",
            8 + i
        ));
    }
    for (item, rest) in faults {
        text.push_str(&format!("[[fault]]\napi = \"vendor\"\nop = \"raw\"\nitem = \"{item}\"\n{rest}\n"));
    }
    text
}

/// The detail of the one failure of `item`, which is `malformed_item` before routing.
fn malformed_detail(report: &RunReport, item: &str) -> String {
    let f: Vec<_> = report.failures.iter().filter(|f| f.item_id == item).collect();
    assert_eq!(f.len(), 1, "{item}: {report:#?}");
    assert_eq!((f[0].reason, f[0].mailbox.as_deref()), (FailureReason::MalformedItem, None), "{item}");
    f[0].detail.clone().unwrap_or_else(|| panic!("{item} has a detail"))
}

/// How many times the connector downloaded `item` (the simulator's access log).
async fn downloads(h: &Harness, item: &str) -> usize {
    #[derive(serde::Deserialize)]
    struct Requests {
        requests: Vec<RequestEntry>,
    }
    let url = format!("{}/requests", h.sim.sim_url());
    let all: Requests = reqwest::get(url).await.unwrap().json().await.unwrap();
    all.requests.iter().filter(|e| e.api == Api::Vendor && e.op == Op::Raw && e.item_id.as_deref() == Some(item)).count()
}

#[tokio::test]
async fn a_transient_corruption_heals_and_a_persistent_one_is_reported_with_both_digests() {
    let items = ["ok-1", "cor-once", "cor-always", "ok-2"];
    let faults = [("cor-once", "action = \"corrupt\""), ("cor-always", "action = \"corrupt\"\ncount = 0")];
    let h = Harness::start("integrity-corrupt", &body(&items, &faults)).await;
    let report = h.run(h.config(DAY1_END)).await;

    assert_eq!(report.failures.len(), 1, "{report:#?}");
    let listed = h.listing("2026-11-20T00:00:00.000Z", "2026-11-21T00:00:00.000Z").await;
    let sha = |id: &str| listed.iter().find(|r| r.id.as_str() == id).unwrap().sha256.clone();
    let detail = malformed_detail(&report, "cor-always");
    assert!(detail.contains("downloaded 2 times") && detail.contains(&sha("cor-always")), "{detail}");
    let actual = detail.split("sha256 ").nth(1).and_then(|s| s.split(' ').next()).unwrap();
    assert!(actual.len() == 64 && actual != sha("cor-always"), "the downloaded bytes' digest is named: {detail}");
    assert_eq!(downloads(&h, "cor-always").await, 2, "downloaded again once, then reported");
    assert_eq!(downloads(&h, "cor-once").await, 2, "the second download is whole");

    for address in ["wang.wei@contoso.cn", "zhang.min@contoso.cn"] {
        assert_eq!(h.archived(address).await, ids(&["cor-once", "ok-1", "ok-2"]), "{address}");
    }
    for mailbox in h.mailboxes().await {
        for item in mailbox.folders.iter().flat_map(|f| &f.items).filter(|i| i.id.as_deref() == Some("cor-once")) {
            assert_eq!(item.sha256, sha("cor-once"), "imported with the archive's bytes, in {}", mailbox.address);
        }
    }
    assert_eq!((report.counts.imported, report.counts.failed), (6, 1));
}

#[tokio::test]
async fn garbage_and_an_item_without_message_id_are_reported_never_imported() {
    let items = ["ok-1", "garbage", "no-id", "ok-2"];
    let faults =
        [("garbage", "action = \"malformed\"\nvariant = \"garbage\""), ("no-id", "action = \"malformed\"\nvariant = \"no_message_id\"")];
    let h = Harness::start("integrity-malformed", &body(&items, &faults)).await;
    let report = h.run(h.config(DAY1_END)).await;

    assert_eq!(report.failures.len(), 2, "{report:#?}");
    let garbage = malformed_detail(&report, "garbage");
    assert!(garbage.contains("not an RFC 5322 message"), "{garbage}");
    let no_id = malformed_detail(&report, "no-id");
    assert!(no_id.contains("no Message-ID"), "{no_id}");
    assert_eq!(downloads(&h, "garbage").await, 1, "the digest matched: one download");
    for address in ["wang.wei@contoso.cn", "zhang.min@contoso.cn"] {
        assert_eq!(h.archived(address).await, ids(&["ok-1", "ok-2"]), "{address}");
    }
}

#[tokio::test]
async fn items_gone_since_they_were_listed_are_reported_with_their_status() {
    let items = ["ok-1", "gone-404", "gone-410", "ok-2"];
    let faults = [("gone-404", "action = \"gone\""), ("gone-410", "action = \"gone\"\nstatus = 410")];
    let h = Harness::start("integrity-gone", &body(&items, &faults)).await;
    let report = h.run(h.config(DAY1_END)).await;

    assert_eq!(report.failures.len(), 2, "{report:#?}");
    assert!(malformed_detail(&report, "gone-404").contains("answered 404"));
    assert!(malformed_detail(&report, "gone-410").contains("answered 410"));
    assert_eq!(downloads(&h, "gone-410").await, 1, "a 410 is not retried");
    for address in ["wang.wei@contoso.cn", "zhang.min@contoso.cn"] {
        assert_eq!(h.archived(address).await, ids(&["ok-1", "ok-2"]), "{address}");
    }

    // A later run does not ask for them again: its window starts where this one ended.
    let later = h.run(h.config("2026-11-22T00:00:00Z")).await;
    assert!(later.failures.is_empty(), "{later:#?}");
    assert_eq!(downloads(&h, "gone-404").await, 1);
}
