//! The run report a connector writes to `REPORT_PATH` (contract, "Run report").
//!
//! **REPORT**: `imported + skipped_duplicate + failed` = deliveries attempted + items that failed
//! before routing; every failure names the item, the mailbox (null before routing) and a reason.
//! [`RunReport::sort`] puts failures in the deterministic order the contract asks for: by item
//! id, then mailbox (null first).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Why an item (or one delivery of it) was not imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    /// ROUTE-DROP: no participant routes to a valid mailbox.
    UserMapping,
    /// SIZE: the raw item is over [`crate::MAX_ITEM_BYTES`].
    ItemTooLarge,
    /// The item cannot be parsed, is missing at the source, or its bytes do not match its sha256.
    MalformedItem,
    /// The tenant refused the import with a final 4xx.
    SinkRejected,
    /// LATE: items the vendor archive no longer holds (retention, WeCom's errcode 10010) expired
    /// before the connector could list them; the failure's `item_id` names the sequence range
    /// (`(expired: seq 12 to 15)`) and its `detail` the count.
    SourceExpired,
}

impl FailureReason {
    /// Every reason.
    pub const ALL: [FailureReason; 5] = [
        FailureReason::UserMapping,
        FailureReason::ItemTooLarge,
        FailureReason::MalformedItem,
        FailureReason::SinkRejected,
        FailureReason::SourceExpired,
    ];

    /// The contract's name.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureReason::UserMapping => "user_mapping",
            FailureReason::ItemTooLarge => "item_too_large",
            FailureReason::MalformedItem => "malformed_item",
            FailureReason::SinkRejected => "sink_rejected",
            FailureReason::SourceExpired => "source_expired",
        }
    }
}

impl std::fmt::Display for FailureReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One failure.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Failure {
    /// The item id.
    pub item_id: String,
    /// The mailbox (the user's `mail`) for a delivery failure; `None` before routing.
    pub mailbox: Option<String>,
    /// Why.
    pub reason: FailureReason,
    /// What a person needs to act on it, in a line (e.g. the size and the tenant's limit of a
    /// `sink_rejected` item, or the code a mailbox answered); absent when the reason says it all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Failure {
    /// A failure without detail.
    pub fn new(item_id: impl Into<String>, mailbox: Option<String>, reason: FailureReason) -> Failure {
        Failure { item_id: item_id.into(), mailbox, reason, detail: None }
    }

    /// The failure with a line of detail.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Failure {
        self.detail = Some(detail.into());
        self
    }
}

/// The run's window `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Inclusive start.
    #[serde(with = "rfc3339")]
    pub from: DateTime<Utc>,
    /// Exclusive end.
    #[serde(with = "rfc3339")]
    pub to: DateTime<Utc>,
}

/// The report's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Distinct items listed in the window.
    pub items: u64,
    /// Deliveries imported by this run.
    pub imported: u64,
    /// Deliveries already imported earlier.
    pub skipped_duplicate: u64,
    /// Failed deliveries plus items that failed before routing.
    pub failed: u64,
    /// Of `imported`, the deliveries that landed as drafts (a connector told that drafts are
    /// acceptable, without the permission for final messages); absent when none did.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub drafts: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The run report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    /// The run's "now" (`RUN_AT`).
    #[serde(with = "rfc3339")]
    pub run_at: DateTime<Utc>,
    /// The window imported.
    pub window: Window,
    /// The counts.
    pub counts: Counts,
    /// Every failure, sorted by item id then mailbox.
    pub failures: Vec<Failure>,
}

mod rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::time::format_report_time(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        crate::time::parse_time(&text).map_err(serde::de::Error::custom)
    }
}

impl RunReport {
    /// Sorts the failures into the report's deterministic order.
    pub fn sort(&mut self) {
        self.failures.sort();
    }

    /// The report as pretty JSON (what a connector writes).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }

    /// `RUN_AT` as the report writes it.
    pub fn run_at_text(&self) -> String {
        crate::time::format_report_time(self.run_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> RunReport {
        RunReport {
            run_at: "2026-11-21T00:00:00Z".parse().unwrap(),
            window: Window { from: "2026-11-20T00:00:00Z".parse().unwrap(), to: "2026-11-21T00:00:00Z".parse().unwrap() },
            counts: Counts { items: 3, imported: 1, skipped_duplicate: 0, failed: 3, drafts: 0 },
            failures: vec![
                Failure::new("b", Some("z@contoso.cn".into()), FailureReason::SinkRejected),
                Failure::new("b", None, FailureReason::UserMapping),
                Failure::new("a", None, FailureReason::ItemTooLarge),
            ],
        }
    }

    #[test]
    fn the_report_shape_is_pinned_and_its_order_deterministic() {
        let mut r = report();
        r.sort();
        insta::assert_snapshot!(r.to_json());
        let back: RunReport = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn an_unknown_reason_is_refused_naming_it() {
        let text = report().to_json().replace("sink_rejected", "gremlins");
        let e = serde_json::from_str::<RunReport>(&text).unwrap_err().to_string();
        assert!(e.contains("gremlins"), "{e}");
    }
}
