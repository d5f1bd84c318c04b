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

/// SIZE and ROUTE-DROP reporting: what is imported nowhere must be reported, with its reason, by
/// a completed run whose reported window holds it (what no completed run covered is a gap:
/// INCREMENTAL). A recall left unreported is RECALL's, an item over the limit SIZE's.
pub(crate) fn judge_unreported(j: &mut Judging<'_>) {
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
    for (id, e) in &j.oracle.items {
        let Some(item) = j.facts.get(id) else { continue };
        if j.found.contains_key(id) || !covered.iter().any(|(f, t)| *f <= item.captured_ms && item.captured_ms < *t) {
            continue;
        }
        let reasons = j.reported.get(id);
        let has = |r: &str| reasons.is_some_and(|x| x.contains(r));
        let routes_nowhere = e.participants.iter().all(|p| p.route.is_none());
        let recall = item.kind == Kind::Recall || item.recalled;
        match e.outcome {
            Outcome::TooLarge if !(has("item_too_large") || routes_nowhere && has("user_mapping")) => {
                let msg = format!("{}: {} bytes, in no mailbox, but no report names it item_too_large", j.describe(id), item.size);
                j.add(Rule::Size, msg);
            }
            Outcome::Drop if !has("user_mapping") => {
                let msg = format!("{}: routed nowhere, in no mailbox, but no report names it user_mapping", j.describe(id));
                j.add(if recall { Rule::Recall } else { Rule::RouteDrop }, msg);
            }
            _ => {}
        }
    }
}
