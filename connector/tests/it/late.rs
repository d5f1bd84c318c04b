//! LATE: the sequence listing after the window, with the durable cursor: a phone offline for a
//! day has its items imported exactly once by the next run; a run that fails in the late pass
//! is finished by the next, nothing skipped, nothing twice; expired ranges are reported.

use tm_contract::{FailureReason, Op};

use crate::harness::{DAY1_END, Harness, PEOPLE};

const DAY2_END: &str = "2026-11-22T00:00:00Z";

fn chat(id: &str, at: &str, from: &str, to: &str) -> String {
    format!("[[item]]\nid = \"{id}\"\nat = \"{at}\"\nkind = \"chat\"\nfrom = \"{from}\"\nto = [\"{to}\"]\n")
}

/// Zhang Min's phone is offline from 11-20 12:00 for a day: what she sends or receives then
/// reaches the archive at 11-21 12:00, after the first run.
fn offline_day() -> String {
    let items = [
        chat("on-time", "2026-11-20T09:00:00.000Z", "wang-wei", "zhang-min"),
        chat("off-1", "2026-11-20T14:00:00.000Z", "wang-wei", "zhang-min"),
        chat("off-2", "2026-11-20T20:00:00.000Z", "zhang-min", "li-na"),
        chat("off-3", "2026-11-21T06:00:00.000Z", "wang-wei", "zhang-min"),
        chat("day-2", "2026-11-21T15:00:00.000Z", "wang-wei", "li-na"),
        chat("history", "2026-11-19T10:00:00.000Z", "wang-wei", "li-na"),
    ];
    format!("{PEOPLE}[[offline]]\nperson = \"zhang-min\"\nfrom = \"2026-11-20T12:00:00Z\"\nhours = 24\n{}", items.concat())
}

fn at(t: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    Some(t.parse().unwrap())
}

#[tokio::test]
async fn late_a_phone_offline_for_a_day_has_its_items_imported_exactly_once_by_the_next_run() {
    let h = Harness::start("offline-day", &offline_day()).await;
    h.sim.set_clock(at(DAY1_END));
    let first = h.run(h.config(DAY1_END)).await;
    assert_eq!(h.archived("zhang.min@contoso.cn").await, vec!["on-time"], "the offline phone's items are not there yet");
    assert_eq!(first.counts.items, 1, "the first run imports its window only (not `history`): {first:?}");

    h.sim.set_clock(at(DAY2_END));
    let second = h.run(h.config(DAY2_END)).await;
    assert_eq!(h.archived("zhang.min@contoso.cn").await, vec!["off-1", "off-2", "off-3", "on-time"]);
    assert_eq!(h.archived("wang.wei@contoso.cn").await, vec!["day-2", "off-1", "off-3", "on-time"]);
    assert_eq!(second.counts.items, 4, "off-1 and off-2 late, off-3 and day-2 in the window: {second:?}");

    let again = h.run(h.config(DAY2_END)).await;
    assert_eq!((again.counts.items, again.counts.imported), (0, 0), "nothing twice: {again:?}");
    assert_eq!(h.imports_in_journal().await, 8, "each (item, mailbox) imported once");
    let checkpoint = std::fs::read_to_string(h.state.path().join("checkpoint.json")).unwrap();
    assert!(checkpoint.contains(r#""version":2"#) && checkpoint.contains(r#""after_seq":6"#), "{checkpoint}");
}

#[tokio::test]
async fn late_a_run_failing_in_the_late_pass_is_finished_by_the_next_without_skip_or_duplicate() {
    // The second late item's download fails as often as the test policy tries: the run fails
    // after the first late item landed.
    let fault = "[[fault]]\napi = \"vendor\"\nop = \"raw\"\nitem = \"off-2\"\naction = \"status\"\nstatus = 500\ncount = 5\n";
    let h = Harness::start("offline-crash", &format!("{}{fault}", offline_day())).await;
    h.sim.set_clock(at(DAY1_END));
    h.run(h.config(DAY1_END)).await;
    h.sim.set_clock(at(DAY2_END));
    let failed = tm_connector::run(h.config(DAY2_END)).await;
    assert!(failed.is_err(), "the download failing for good fails the run");
    let checkpoint = std::fs::read_to_string(h.state.path().join("checkpoint.json")).unwrap();
    assert!(checkpoint.contains(r#""after_seq":2"#), "the cursor did not move: {checkpoint}");

    let report = h.run(h.config(DAY2_END)).await;
    assert_eq!(h.archived("zhang.min@contoso.cn").await, vec!["off-1", "off-2", "off-3", "on-time"]);
    assert_eq!(h.archived("wang.wei@contoso.cn").await, vec!["day-2", "off-1", "off-3", "on-time"]);
    let stored = h.journal().await.iter().filter(|e| e.op == Op::Import && e.status == 201).count();
    assert_eq!(stored, 8, "nothing imported twice");
    assert_eq!(report.counts.failed, 0, "{report:?}");
}

#[tokio::test]
async fn late_items_that_expired_before_the_next_run_are_reported_as_one_range() {
    let body = format!("{}[vendor]\nretention_days = 1\n", offline_day());
    let h = Harness::start("offline-expired", &body).await;
    h.sim.set_clock(at(DAY1_END));
    h.run(h.config(DAY1_END)).await;
    // Three days later: everything archived before 11-23 has expired.
    h.sim.set_clock(at("2026-11-24T00:00:00Z"));
    let report = h.run(h.config("2026-11-24T00:00:00Z")).await;
    let expired: Vec<_> = report.failures.iter().filter(|f| f.reason == FailureReason::SourceExpired).collect();
    assert_eq!(expired.len(), 1, "{report:?}");
    assert_eq!(expired[0].item_id, "expired:3-6");
    assert!(expired[0].detail.as_deref().unwrap_or("").contains("4 items"), "{expired:?}");
    assert_eq!(h.archived("zhang.min@contoso.cn").await, vec!["on-time"]);
}

#[tokio::test]
async fn late_arrivals_whose_listing_entries_are_broken_are_reported_by_the_run_that_meets_them() {
    // off-1's entry loses its id, off-2's its size, day-2's (captured in the second window) its
    // id: the late ones are only in the sequence listing, day-2 in the window listing too.
    let faults = ["off-1", "off-2", "day-2"]
        .iter()
        .zip(["id", "size", "id"])
        .map(|(item, field)| {
            format!("[[fault]]\napi = \"vendor\"\nop = \"list\"\nitem = \"{item}\"\naction = \"break_entry\"\nfield = \"{field}\"\n")
        })
        .collect::<String>();
    let h = Harness::start("offline-broken", &format!("{}{faults}", offline_day())).await;
    h.sim.set_clock(at(DAY1_END));
    h.run(h.config(DAY1_END)).await;
    h.sim.set_clock(at(DAY2_END));
    let report = h.run(h.config(DAY2_END)).await;

    let mut failures: Vec<(&str, FailureReason, &str)> =
        report.failures.iter().map(|f| (f.item_id.as_str(), f.reason, f.detail.as_deref().unwrap_or(""))).collect();
    failures.sort();
    assert_eq!(
        failures,
        vec![
            ("(no id: listing page 1, entry 2, seq 6)", FailureReason::MalformedItem, "listing entry: the entry has no `id`"),
            (
                "(no id: sequence listing page 1, entry 1, seq 3)",
                FailureReason::MalformedItem,
                "sequence listing entry: the entry has no `id`"
            ),
            (
                "off-2",
                FailureReason::MalformedItem,
                "sequence listing entry: `size` is not a byte count (a non-negative integer): \"large\""
            ),
        ],
        "each broken entry reported once, by the listing that holds it: {report:?}"
    );
    assert_eq!(h.archived("zhang.min@contoso.cn").await, vec!["off-3", "on-time"], "the usable items of the day are imported");
}
