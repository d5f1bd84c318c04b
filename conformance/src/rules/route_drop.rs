//! ROUTE-DROP: the catalogue entry, and what counts as exercising it.

use super::prelude::*;
use chrono::DateTime;

/// ROUTE-DROP in the catalogue.
pub const REQUIREMENT: Requirement = Requirement {
    rule: Rule::RouteDrop,
    text: "An item none of whose participants routes anywhere is not imported; it is reported as failed with reason \
               `user_mapping`.",
    check: "such items are in no mailbox and a run report names them with reason user_mapping",
    scenarios: &["route-drop", "route-auto-off", "report", "realistic-day"],
};

/// What in this scenario exercises ROUTE-DROP (or why nothing does).
pub(crate) fn exercised(j: &Judging<'_>) -> Result<String, String> {
    j.count(j.expected_items().filter(|e| e.outcome == Outcome::Drop).count(), "items routed nowhere")
}

/// The items a report should name: imported nowhere, in the reported window of a completed run
/// (what no completed run covered is a gap: INCREMENTAL), with the reasons reported for them.
pub(crate) fn unreported<'j>(j: &'j Judging<'_>) -> Vec<(&'j str, &'j crate::oracle::ItemExpectation, &'j crate::oracle::ItemFacts)> {
    let covered: Vec<(i64, i64)> = j
        .exec
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
        .collect();
    j.oracle
        .items
        .iter()
        .filter_map(|(id, e)| Some((id.as_str(), e, j.facts.get(id)?)))
        .filter(|(id, _, item)| !j.found.contains_key(*id) && covered.iter().any(|(f, t)| *f <= item.captured_ms && item.captured_ms < *t))
        .collect()
}

/// ROUTE-DROP reporting: an item routed nowhere is named `user_mapping` by a report (a recall
/// left unreported is RECALL's).
pub(crate) fn judge_unreported(j: &mut Judging<'_>) {
    let mut findings = Vec::new();
    for (id, e, item) in unreported(j) {
        let reported = j.reported.get(id).is_some_and(|x| x.contains("user_mapping"));
        if e.outcome == Outcome::Drop && !reported {
            let recall = item.kind == Kind::Recall || item.recalled;
            let msg = format!("{}: routed nowhere, in no mailbox, but no report names it user_mapping", j.describe(id));
            findings.push((if recall { Rule::Recall } else { Rule::RouteDrop }, msg));
        }
    }
    for (rule, msg) in findings {
        j.add(rule, msg);
    }
}
