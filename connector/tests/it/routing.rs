//! ROUTE-MAP, ROUTE-EMAIL, ROUTE-AUTO-OFF, ROUTE-FANOUT, ROUTE-DROP.

use crate::harness::{BOSS, DAY1_END, Harness, PEOPLE, failures, ids};
use tm_connector::FailureReason;

/// li-na writes to wang-wei (both mapped in the ROUTE-MAP tests).
const MAP_1: &str = r#"
[[item]]
id = "map-1"
at = "2026-11-20T10:00:00.000Z"
kind = "chat"
from = "li-na"
to = ["wang-wei"]
"#;

/// ROUTE-MAP: a mapped mobile routes to the mapped mailbox, and the mapping wins over the
/// participant's own email address (which is a valid user here).
#[tokio::test]
async fn route_map_mapped_mobiles_route_to_the_mapped_mailbox_and_win_over_email() {
    let h = Harness::start(
        "route-map",
        &format!(
            r#"{PEOPLE}{BOSS}{MAP_1}
[[item]]
id = "map-2"
at = "2026-11-20T11:00:00.000Z"
kind = "chat"
from = "wang-wei"
to = ["zhang-min"]
"#
        ),
    )
    .await;
    let mut config = h.config(DAY1_END);
    // Numbers written as people write them; wang-wei's maps to an alias of boss.
    config.mapping_csv =
        Some(h.mapping("\u{feff}Mobile_Number , Mailbox\n139-0000-1111,boss@contoso.cn\n\n+86 138 1234 5678,Chief@Contoso.cn\n"));

    let report = h.run(config).await;

    // li-na → boss by mapping; wang-wei → boss by mapping (not wang.wei by email).
    assert_eq!(h.archived("boss@contoso.cn").await, ids(&["map-1", "map-2"]));
    assert_eq!(h.archived("wang.wei@contoso.cn").await, Vec::<String>::new());
    assert_eq!(h.archived("zhang.min@contoso.cn").await, ids(&["map-2"]));
    assert_eq!(report.counts.imported, 3);
    assert!(report.failures.is_empty(), "{:?}", report.failures);
}

/// ROUTE-MAP: a mapping exported from a spreadsheet (BOM, every field quoted, CRLF, a blank line,
/// a third column with a quoted comma) routes exactly like the plain file.
#[tokio::test]
async fn route_map_a_spreadsheet_export_routes_like_the_plain_file() {
    let plain = "mobile_number,mailbox\n139-0000-1111,boss@contoso.cn\n+86 138 1234 5678,Chief@Contoso.cn\n";
    let export = "\u{feff}\"Mobile_Number\",\"Mailbox\",\"Name\"\r\n\"139-0000-1111\",\"boss@contoso.cn\",\"Li, Na\"\r\n\r\n\"+86 138 1234 5678\",\"Chief@Contoso.cn\",\"Wang, Wei \"\"WW\"\"\"\r\n";
    let mut tenants = Vec::new();
    for mapping in [plain, export] {
        let h = Harness::start("route-map-export", &format!(r#"{PEOPLE}{BOSS}{MAP_1}"#)).await;
        let mut config = h.config(DAY1_END);
        config.mapping_csv = Some(h.mapping(mapping));
        let report = h.run(config).await;
        assert!(report.failures.is_empty(), "{:?}", report.failures);
        tenants.push((h.archived("boss@contoso.cn").await, h.archived("wang.wei@contoso.cn").await, report.counts));
    }
    assert_eq!(tenants[0], tenants[1]);
    assert_eq!(tenants[0].0, ids(&["map-1"]));
}

/// ROUTE-EMAIL: a participant whose mapped mailbox is not a valid user (absent, disabled) falls
/// back to its email address; an address matches aliases case-insensitively (the directory's
/// answer is used).
#[tokio::test]
async fn route_email_falls_back_to_the_email_address_and_matches_aliases() {
    let h = Harness::start(
        "route-email",
        &format!(
            r#"{PEOPLE}
[[external]]
id = "chief-ext"
name = "Chief"
app = "wechat"
email = "Chief@Contoso.CN"
{BOSS}
[[tenant.user]]
upn = "disabled@contoso.cn"
enabled = false

[[item]]
id = "email-1"
at = "2026-11-20T10:00:00.000Z"
kind = "chat"
from = "wang-wei"
to = ["li-na"]

[[item]]
id = "email-2"
at = "2026-11-20T11:00:00.000Z"
kind = "chat"
from = "chief-ext"
to = ["zhang-min"]
"#
        ),
    )
    .await;
    let mut config = h.config(DAY1_END);
    config.mapping_csv = Some(h.mapping("mobile_number,mailbox\n+8613812345678,gone@contoso.cn\n+8613900001111,disabled@contoso.cn\n"));

    let report = h.run(config).await;

    assert_eq!(h.archived("wang.wei@contoso.cn").await, ids(&["email-1"]));
    assert_eq!(h.archived("boss@contoso.cn").await, ids(&["email-2"]));
    assert_eq!(h.archived("zhang.min@contoso.cn").await, ids(&["email-2"]));
    assert_eq!(report.counts.imported, 3);
    assert!(report.failures.is_empty(), "{:?}", report.failures);
}

/// ROUTE-AUTO-OFF: with automatic mapping off only the mapping routes; an item nobody is mapped
/// for is dropped even though its participants' addresses are valid users.
#[tokio::test]
async fn route_auto_off_only_the_mapping_routes() {
    let h = Harness::start(
        "route-auto-off",
        &format!(
            r#"{PEOPLE}{BOSS}
[[item]]
id = "off-1"
at = "2026-11-20T10:00:00.000Z"
kind = "chat"
from = "wang-wei"
to = ["zhang-min"]

[[item]]
id = "off-2"
at = "2026-11-20T11:00:00.000Z"
kind = "chat"
from = "li-na"
to = ["zhang-min"]
"#
        ),
    )
    .await;
    let mut config = h.config(DAY1_END);
    config.auto_mapping = false;
    config.mapping_csv = Some(h.mapping("mobile_number,mailbox\n13900001111,boss@contoso.cn\n"));

    let report = h.run(config).await;

    assert_eq!(h.archived("boss@contoso.cn").await, ids(&["off-2"]));
    assert_eq!(h.archived("zhang.min@contoso.cn").await, Vec::<String>::new());
    assert_eq!(h.archived("wang.wei@contoso.cn").await, Vec::<String>::new());
    assert_eq!(failures(&report), vec![("off-1".to_owned(), None, FailureReason::UserMapping)]);
    assert_eq!((report.counts.items, report.counts.imported, report.counts.failed), (2, 1, 1));
}

/// ROUTE-FANOUT: an item goes once into each distinct mailbox, even when two participants
/// (one by email, one by mapping) route to the same one.
#[tokio::test]
async fn route_fanout_each_distinct_mailbox_gets_the_item_exactly_once() {
    let h = Harness::start(
        "route-fanout",
        &format!(
            r#"{PEOPLE}
[[group]]
id = "team"
name = "项目组"
members = ["wang-wei", "zhang-min", "li-na"]

[[item]]
id = "fan-1"
at = "2026-11-20T10:00:00.000Z"
kind = "chat"
from = "zhang-min"
group = "team"

[[item]]
id = "fan-2"
at = "2026-11-20T11:00:00.000Z"
kind = "file"
from = "wang-wei"
to = ["li-na"]
"#
        ),
    )
    .await;
    let mut config = h.config(DAY1_END);
    config.mapping_csv = Some(h.mapping("mobile_number,mailbox\n+86 139 0000 1111,WANG.WEI@contoso.cn\n"));

    let report = h.run(config).await;

    assert_eq!(h.archived("wang.wei@contoso.cn").await, ids(&["fan-1", "fan-2"]));
    assert_eq!(h.archived("zhang.min@contoso.cn").await, ids(&["fan-1"]));
    assert_eq!(report.counts.imported, 3);
    assert_eq!(h.imports_in_journal().await, 3, "no import was even attempted twice");
}

/// ROUTE-DROP: an item none of whose participants routes anywhere is not imported and is
/// reported as `user_mapping` with a null mailbox.
#[tokio::test]
async fn route_drop_an_item_nobody_routes_is_reported_and_not_imported() {
    let h = Harness::start(
        "route-drop",
        &format!(
            r#"{PEOPLE}
[[employee]]
id = "temp"
name = "Temp Worker"
email = "temp@contoso.cn"
app = "wechat"

[tenant]
from_employees = false
{BOSS}
[[item]]
id = "drop-1"
at = "2026-11-20T10:00:00.000Z"
kind = "chat"
from = "temp"
to = ["li-na"]
"#
        ),
    )
    .await;

    let report = h.run(h.config(DAY1_END)).await;

    assert_eq!(failures(&report), vec![("drop-1".to_owned(), None, FailureReason::UserMapping)]);
    assert_eq!((report.counts.items, report.counts.imported, report.counts.failed), (1, 0, 1));
    assert!(h.all_archived().await.is_empty());
    assert_eq!(h.imports_in_journal().await, 0);
}
