//! FOLDER: items land in `WeChat Archiver`, created on first use, reused after, never two.

use tm_contract::Op;

use crate::harness::{DAY1_END, Harness, PEOPLE};

fn items(day: u32, n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "[[item]]\nid = \"d{day}-{i:02}\"\nat = \"2026-11-{day}T10:{i:02}:00.000Z\"\nkind = \"chat\"\nfrom = \"li-na\"\nto = [\"wang-wei\"]\n"
            )
        })
        .collect()
}

/// FOLDER: a pre-existing `WeChat Archiver` is reused (never a second one), a missing one is
/// created once per mailbox even with many concurrent items, and later runs reuse it.
#[tokio::test]
async fn folder_is_created_once_reused_after_and_never_duplicated() {
    let h = Harness::start(
        "folder",
        &format!(
            r#"{PEOPLE}
[[tenant.user]]
upn = "boss@contoso.cn"
folders = ["WeChat Archiver"]

{}{}"#,
            items(20, 12),
            items(21, 3)
        ),
    )
    .await;
    let mut config = h.config(DAY1_END);
    config.mapping_csv = Some(h.mapping("mobile_number,mailbox\n+8613900001111,boss@contoso.cn\n"));
    config.concurrency = 8;
    let report = h.run(config.clone()).await;
    assert_eq!(report.counts.imported, 24);

    config.run_at = "2026-11-22T00:00:00Z".parse().unwrap();
    let report = h.run(config).await;
    assert_eq!(report.counts.imported, 6);

    for mailbox in h.mailboxes().await {
        let archivers: Vec<_> = mailbox.folders.iter().filter(|f| f.name.eq_ignore_ascii_case("WeChat Archiver")).collect();
        match mailbox.address.as_str() {
            "boss@contoso.cn" | "wang.wei@contoso.cn" => {
                assert_eq!(archivers.len(), 1, "{mailbox:?}");
                assert_eq!(archivers[0].name, "WeChat Archiver");
                assert_eq!(archivers[0].items.len(), 15, "{mailbox:?}");
            }
            _ => assert!(archivers.is_empty(), "{mailbox:?}"),
        }
    }
    let creations: Vec<_> = h.journal().await.into_iter().filter(|e| e.op == Op::CreateFolder).collect();
    assert_eq!(creations.len(), 1, "{creations:?}");
    assert_eq!(creations[0].mailbox.as_deref(), Some("wang.wei@contoso.cn"));
    assert_eq!(creations[0].status, 201);
}
