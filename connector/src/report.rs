//! The run report (contract, "Run report") and its one-screen summary.
//!
//! **REPORT**: `imported + skipped_duplicate + failed` = deliveries attempted + items that failed
//! before routing; every failure names the item, the mailbox (null before routing) and a reason.
//! Failures are sorted by item id, then mailbox (null first), so that a report is deterministic.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};

/// Why an item (or one delivery of it) was not imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    /// ROUTE-DROP: no participant routes to a valid mailbox.
    UserMapping,
    /// SIZE: the raw item is over 10,485,760 bytes.
    ItemTooLarge,
    /// The item cannot be parsed, is missing at the source, or its bytes do not match its sha256.
    MalformedItem,
    /// The tenant refused the import with a final 4xx.
    SinkRejected,
}

impl FailureReason {
    /// The contract's name.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureReason::UserMapping => "user_mapping",
            FailureReason::ItemTooLarge => "item_too_large",
            FailureReason::MalformedItem => "malformed_item",
            FailureReason::SinkRejected => "sink_rejected",
        }
    }
}

/// One failure.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Failure {
    /// The item id.
    pub item_id: String,
    /// The mailbox (the user's `mail`) for a delivery failure; `None` before routing.
    pub mailbox: Option<String>,
    /// Why.
    pub reason: FailureReason,
}

/// The run's window `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Window {
    /// Inclusive start.
    #[serde(with = "rfc3339")]
    pub from: DateTime<Utc>,
    /// Exclusive end.
    #[serde(with = "rfc3339")]
    pub to: DateTime<Utc>,
}

/// The report's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    /// Distinct items listed in the window.
    pub items: u64,
    /// Deliveries imported by this run.
    pub imported: u64,
    /// Deliveries already imported earlier (ledger).
    pub skipped_duplicate: u64,
    /// Failed deliveries plus items that failed before routing.
    pub failed: u64,
}

/// The run report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunReport {
    /// The run's "now".
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
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text).map(|t| t.with_timezone(&Utc)).map_err(serde::de::Error::custom)
    }
}

impl RunReport {
    /// Sorts the failures into the report's deterministic order.
    pub fn sort(&mut self) {
        self.failures.sort();
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("serialisable")
    }

    /// Writes the report atomically (temp file in the same directory, fsync, rename).
    pub fn write_to(&self, path: &Path) -> std::io::Result<()> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = dir.join(format!(".{file_name}.tmp"));
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(self.to_json().as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    }

    /// A one-screen summary for people (stderr).
    pub fn summary(&self) -> String {
        let t = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        let c = &self.counts;
        let mut out = String::new();
        let _ = writeln!(out, "tm-connector run at {}", t(self.run_at));
        let _ = writeln!(out, "  window     [{}, {})", t(self.window.from), t(self.window.to));
        let _ = writeln!(
            out,
            "  items {}   imported {}   skipped_duplicate {}   failed {}",
            c.items, c.imported, c.skipped_duplicate, c.failed
        );
        if !self.failures.is_empty() {
            let mut by_reason = std::collections::BTreeMap::<FailureReason, u64>::new();
            for f in &self.failures {
                *by_reason.entry(f.reason).or_default() += 1;
            }
            let reasons: Vec<String> = by_reason.iter().map(|(r, n)| format!("{} {n}", r.as_str())).collect();
            let _ = writeln!(out, "  failures   {}", reasons.join(", "));
            const SHOWN: usize = 10;
            for f in self.failures.iter().take(SHOWN) {
                let _ = writeln!(out, "    {:<32} {:<32} {}", f.item_id, f.mailbox.as_deref().unwrap_or("-"), f.reason.as_str());
            }
            if self.failures.len() > SHOWN {
                let _ = writeln!(out, "    ... and {} more (see the report)", self.failures.len() - SHOWN);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> RunReport {
        RunReport {
            run_at: "2026-11-21T00:00:00Z".parse().unwrap(),
            window: Window { from: "2026-11-20T00:00:00Z".parse().unwrap(), to: "2026-11-21T00:00:00Z".parse().unwrap() },
            counts: Counts { items: 3, imported: 1, skipped_duplicate: 0, failed: 3 },
            failures: vec![
                Failure { item_id: "b".into(), mailbox: Some("z@contoso.cn".into()), reason: FailureReason::SinkRejected },
                Failure { item_id: "b".into(), mailbox: None, reason: FailureReason::UserMapping },
                Failure { item_id: "a".into(), mailbox: None, reason: FailureReason::ItemTooLarge },
            ],
        }
    }

    #[test]
    fn the_report_serialises_to_the_contract_shape_in_a_deterministic_order() {
        let mut r = report();
        r.sort();
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "run_at": "2026-11-21T00:00:00Z",
                "window": {"from": "2026-11-20T00:00:00Z", "to": "2026-11-21T00:00:00Z"},
                "counts": {"items": 3, "imported": 1, "skipped_duplicate": 0, "failed": 3},
                "failures": [
                    {"item_id": "a", "mailbox": null, "reason": "item_too_large"},
                    {"item_id": "b", "mailbox": null, "reason": "user_mapping"},
                    {"item_id": "b", "mailbox": "z@contoso.cn", "reason": "sink_rejected"},
                ]
            })
        );
        let back: RunReport = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn the_summary_fits_a_screen() {
        let mut r = report();
        for i in 0..50 {
            r.failures.push(Failure { item_id: format!("x{i}"), mailbox: None, reason: FailureReason::MalformedItem });
        }
        let s = r.summary();
        assert!(s.lines().count() <= 20, "{s}");
        assert!(s.contains("item_too_large 1"), "{s}");
        assert!(s.contains("and 43 more"), "{s}");
    }

    #[test]
    fn writing_the_report_replaces_the_file_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        std::fs::write(&path, "old").unwrap();
        report().write_to(&path).unwrap();
        let back: RunReport = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(back.counts.items, 3);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
