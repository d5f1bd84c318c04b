//! No single item stops a run (issue 25): item ids are opaque strings, percent-encoded in every
//! path, and a listing entry the connector cannot use is reported `malformed_item` with its id
//! and what is wrong while every other item of the day is imported.

use tm_connector::FailureReason;

use crate::harness::{DAY1_END, Harness, PEOPLE, ids};

/// Ids nothing in the contract forbids, beside ordinary ones.
const HOSTILE: [&str; 9] = ["a b", "hash#tag", "what?now", "slash/ed", "plus+1", "100%", "王伟的消息", "Zoë Ünïcödé", "it's"];
const ORDINARY: [&str; 2] = ["plain-1", "plain-2"];

fn day() -> String {
    let mut t = format!("{PEOPLE}\n");
    for (i, id) in ORDINARY.iter().chain(HOSTILE.iter()).enumerate() {
        let id = toml_string(id);
        t.push_str(&format!(
            "[[item]]\nid = {id}\nat = \"2026-11-20T08:{i:02}:00Z\"\nkind = \"chat\"\nfrom = \"wang-wei\"\nto = [\"zhang-min\"]\ntext = \"你好\"\n\n"
        ));
    }
    t
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn all_ids() -> Vec<String> {
    ids(&ORDINARY.iter().chain(HOSTILE.iter()).copied().collect::<Vec<_>>())
}

#[tokio::test]
async fn a_day_of_hostile_ids_is_imported_whole_with_no_failure() {
    // Answers lost after the import landed: the retry first asks the tenant for the item's
    // `Message-ID` (`$filter=internetMessageId eq '<…>'`, the id's quote doubled), so nothing
    // lands twice.
    let lost = concat!(
        "[[fault]]\napi = \"tenant\"\nop = \"import\"\nitem = \"it's\"\naction = \"reset\"\n",
        "[[fault]]\napi = \"tenant\"\nop = \"import\"\nitem = \"王伟的消息\"\naction = \"reset\"\n",
    );
    let h = Harness::start("hostile-ids", &format!("{}{lost}", day())).await;

    let report = h.run(h.config(DAY1_END)).await;

    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!((report.counts.items, report.counts.imported, report.counts.failed), (11, 22, 0));
    assert_eq!(h.archived("wang.wei@contoso.cn").await, all_ids());
    assert_eq!(h.archived("zhang.min@contoso.cn").await, all_ids());
    let resets = h.journal().await.into_iter().filter(|e| e.fault.is_some() && e.op == tm_contract::Op::Import).count();
    assert_eq!(resets, 2, "both answers were lost");
}

#[tokio::test]
async fn a_page_with_one_broken_entry_reports_it_and_imports_every_other_item() {
    let faults = concat!(
        "[[fault]]\napi = \"vendor\"\nop = \"list\"\nitem = \"slash/ed\"\naction = \"break_entry\"\nfield = \"size\"\n",
        "[[fault]]\napi = \"vendor\"\nop = \"list\"\nitem = \"plain-2\"\naction = \"break_entry\"\nfield = \"id\"\n",
    );
    let h = Harness::start("broken-entry", &format!("{}{faults}", day())).await;
    let mut config = h.config(DAY1_END);
    config.page_size = 4;

    let report = h.run(config).await;

    let failures: Vec<(&str, Option<&str>, FailureReason, &str)> =
        report.failures.iter().map(|f| (f.item_id.as_str(), f.mailbox.as_deref(), f.reason, f.detail.as_deref().unwrap_or(""))).collect();
    assert_eq!(
        failures,
        vec![
            ("(no id: listing page 1, entry 2, seq 2)", None, FailureReason::MalformedItem, "listing entry: the entry has no `id`"),
            (
                "slash/ed",
                None,
                FailureReason::MalformedItem,
                "listing entry: `size` is not a byte count (a non-negative integer): \"large\""
            ),
        ]
    );
    assert_eq!((report.counts.items, report.counts.imported, report.counts.failed), (11, 18, 2));
    let imported: Vec<String> = all_ids().into_iter().filter(|i| i != "slash/ed" && i != "plain-2").collect();
    assert_eq!(h.archived("zhang.min@contoso.cn").await, imported);
    assert_eq!(h.archived("wang.wei@contoso.cn").await, imported);
    // The run completed: its checkpoint moved to the window's end (exit 0, as for any run whose
    // failures are single items').
    let checkpoint = std::fs::read_to_string(h.state.path().join("checkpoint.json")).unwrap();
    assert!(checkpoint.contains("2026-11-21T00:00:00"), "{checkpoint}");
}
