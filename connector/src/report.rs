//! Writing the run report (its shape is the contract's: [`tm_contract::RunReport`]) and its
//! one-screen summary.
//!
//! **REPORT**: the report is written atomically (a temporary file in the same directory, synced,
//! then persisted over the old one by `tempfile`), so a reader never sees half a report.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use tm_contract::{FailureReason, RunReport};

/// Writes the report atomically (temporary file in the same directory, fsync, rename).
pub fn write(report: &RunReport, path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(report.to_json().as_bytes())?;
    file.write_all(b"\n")?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A one-screen summary for people (stderr).
pub fn summary(report: &RunReport) -> String {
    let t = tm_contract::format_report_time;
    let c = &report.counts;
    let mut out = String::new();
    let _ = writeln!(out, "tm-connector run at {}", t(report.run_at));
    let _ = writeln!(out, "  window     [{}, {})", t(report.window.from), t(report.window.to));
    let _ =
        writeln!(out, "  items {}   imported {}   skipped_duplicate {}   failed {}", c.items, c.imported, c.skipped_duplicate, c.failed);
    if !report.failures.is_empty() {
        let mut by_reason = std::collections::BTreeMap::<FailureReason, u64>::new();
        for f in &report.failures {
            *by_reason.entry(f.reason).or_default() += 1;
        }
        let reasons: Vec<String> = by_reason.iter().map(|(r, n)| format!("{} {n}", r.as_str())).collect();
        let _ = writeln!(out, "  failures   {}", reasons.join(", "));
        const SHOWN: usize = 10;
        for f in report.failures.iter().take(SHOWN) {
            let _ = writeln!(out, "    {:<32} {:<32} {}", f.item_id, f.mailbox.as_deref().unwrap_or("-"), f.reason.as_str());
        }
        if report.failures.len() > SHOWN {
            let _ = writeln!(out, "    ... and {} more (see the report)", report.failures.len() - SHOWN);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use tm_contract::{Counts, Failure, Window};

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
    fn the_summary_fits_a_screen() {
        let mut r = report();
        for i in 0..50 {
            r.failures.push(Failure::new(format!("x{i}"), None, FailureReason::MalformedItem));
        }
        let s = summary(&r);
        assert!(s.lines().count() <= 20, "{s}");
        assert!(s.contains("item_too_large 1"), "{s}");
        assert!(s.contains("and 43 more"), "{s}");
    }

    #[test]
    fn writing_the_report_replaces_the_file_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        std::fs::write(&path, "old").unwrap();
        write(&report(), &path).unwrap();
        let back: RunReport = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(back.counts.items, 3);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
