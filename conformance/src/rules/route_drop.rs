//! ROUTE-DROP: the catalogue entry, what counts as exercising it, its judging (an item routed
//! nowhere is named `user_mapping` by a report), and what it explains: a copy of an item that
//! no participant routes anywhere.

use super::prelude::*;
use chrono::DateTime;

/// ROUTE-DROP.
pub(crate) const RULE: Rule = Rule::new(&RouteDrop);

const REQUIREMENT: Requirement = Requirement {
    id: "ROUTE-DROP",
    text: "An item none of whose participants routes anywhere is not imported; it is reported as failed with reason \
               `user_mapping`.",
    check: "such items are in no mailbox and a run report names them with reason user_mapping",
    scenarios: &["route-drop", "route-auto-off", "report", "realistic-day"],
};

struct RouteDrop;

impl Check for RouteDrop {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        j.count(j.expected_items().filter(|e| e.outcome == Outcome::Drop).count(), "items routed nowhere")
    }

    /// An item routed nowhere is named `user_mapping` by a report (a recall left unreported is
    /// RECALL's, a late arrival LATE's: a connector that never follows the sequence never sees
    /// it to report it).
    fn judge(&self, j: &Judging<'_>, out: &mut Findings) {
        for (id, e, item) in unreported(j) {
            let reported = j.reported.get(id).is_some_and(|x| x.contains("user_mapping"));
            if e.outcome == Outcome::Drop && !reported {
                let msg = format!("{}: routed nowhere, in no mailbox, but no report names it user_mapping", j.describe(id));
                if super::recall::concerns(item) {
                    out.add(super::recall::RULE, msg);
                } else if super::late::concerns(j, e, item) {
                    out.add(super::late::RULE, format!("{msg} (a late arrival: no run after it arrived took it)"));
                } else {
                    out.add(RULE, msg);
                }
            }
        }
    }

    fn attribution_rank(&self) -> Option<u16> {
        Some(140)
    }

    fn unexpected(&self, j: &Judging<'_>, d: &Unexpected<'_>) -> Option<String> {
        let (e, _) = d.item?;
        (e.outcome == Outcome::Drop).then(|| d.finding(j, "nowhere: none of its participants routes to a valid mailbox (user_mapping)"))
    }
}

/// The windows the completed runs' reports say they covered, `[from, to)` in ms (what no
/// completed run covered is a gap: INCREMENTAL).
pub(crate) fn covered(j: &Judging<'_>) -> Vec<(i64, i64)> {
    j.exec
        .runs
        .iter()
        .filter(|r| r.outcome == RunOutcome::Completed)
        .filter_map(|r| match &r.report {
            ReportFile::Parsed(p) => {
                let t = |s: &str| DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_millis());
                t(&p.window.from).zip(t(&p.window.to))
            }
            _ => None,
        })
        .collect()
}

/// The items a report should name: imported nowhere, in the reported window of a completed run
/// ([`covered`]), with the reasons reported for them.
pub(crate) fn unreported<'j>(j: &'j Judging<'_>) -> Vec<(&'j str, &'j crate::oracle::ItemExpectation, &'j crate::oracle::ItemFacts)> {
    let covered = covered(j);
    j.oracle
        .items
        .iter()
        .filter_map(|(id, e)| Some((id.as_str(), e, j.facts.get(id)?)))
        .filter(|(id, _, item)| !j.found.contains_key(*id) && covered.iter().any(|(f, t)| *f <= item.captured_ms && item.captured_ms < *t))
        .collect()
}
