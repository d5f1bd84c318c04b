//! The verdicts as one self-contained HTML page (inline CSS, no script, nothing fetched: it works
//! offline and from a certification bundle): the rules over all scenarios, then per scenario its
//! runs, each rule's verdict with its findings in words, the snapshot's differences as items with
//! where each was expected and found, and per run a time line of its requests.
//!
//! Every text is escaped (item ids and findings are hostile); the bytes depend on the report only.

mod svg;
mod words;

use std::fmt::Write as _;

use super::SuiteReport;
use crate::judge::{ScenarioVerdict, SnapshotStatus, Verdict};
use words::{difference_table, esc, finding};

/// Most findings shown per rule and scenario.
const MAX_FINDINGS: usize = 100;

const STYLE: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#d0d7de}
main{padding:8px 24px 40px;max-width:1100px}h2{font-size:17px;margin:22px 0 8px}h3{font-size:14px;margin:14px 0 6px}
table{border-collapse:collapse;background:#fff;margin:4px 0 8px}th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eaeef2;font-weight:600}td.n{text-align:right}code{font:12px ui-monospace,monospace;background:#eff1f3;padding:0 3px;border-radius:3px}
.verdict{display:inline-block;min-width:54px;text-align:center;border-radius:10px;padding:0 8px;font-weight:600;font-size:12px;background:#eaeef2;color:#57606a}
.v-pass{background:#dafbe1;color:#116329}.v-fail{background:#ffebe9;color:#a40e26}.v-skipped{background:#eaeef2;color:#57606a}.v-waived{background:#fff8c5;color:#7d4e00}
tr.fail td{background:#fff5f5}details.scenario{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin:8px 0;padding:4px 14px}
details.scenario>summary{cursor:pointer;font-weight:600;padding:4px 0}details.failing{border-color:#ff8182}
ul.findings{margin:4px 0 10px;padding-left:22px}ul.findings li{margin:2px 0}.mbx{font-weight:600;color:#0550ae}.none{color:#8c959f;font-style:italic}
.note{color:#57606a}.waiver{color:#7d4e00;margin:2px 0}.more{color:#57606a;font-style:italic}.error{color:#a40e26;font-weight:600}pre{background:#f6f8fa;padding:6px;overflow:auto}
svg.timeline{display:block;max-width:100%;height:auto;background:#fff;margin:4px 0}.lane{fill:#f6f8fa;stroke:#eaeef2}
.lane-name,.tick-label{font:11px ui-monospace,monospace;fill:#57606a}.tick{stroke:#d0d7de;stroke-dasharray:2 3}
.mark.ok{fill:#8fb8de}.mark.throttle{fill:#fb8f00}.mark.fault{fill:#cf222e}.asked{fill:none;stroke:#fb8f00;stroke-dasharray:4 2}
.waited{fill:#2da44e}.waited.early{fill:#cf222e}tr.throttle td{background:#fff1e0}tr.fault td{background:#ffebe9}.early{color:#a40e26;font-weight:600}
.legend span{margin-right:14px}.sw{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
";

/// The report as one HTML page.
pub fn to_html(report: &SuiteReport) -> String {
    let summary = report.summary();
    let count = |v: Verdict| summary.iter().filter(|r| r.verdict == v).count();
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>tm-conformance: {}</title><style>{STYLE}</style></head><body><header><h1>tm-conformance report \
         <span class=\"verdict {}\">{}</span></h1><p>connector: {} · {} scenario(s) · {} rules: {} passed, {} failed, {} waived, {} skipped</p></header><main>",
        esc(&report.connector),
        verdict_class(if report.failed() { Verdict::Fail } else { Verdict::Pass }),
        if report.failed() { "fail" } else { "pass" },
        esc(&report.connector),
        report.scenarios.len(),
        summary.len(),
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::Waived),
        count(Verdict::Skipped),
    );
    out.push_str(
        "<h2>Rules</h2><table class=\"summary\"><thead><tr><th>rule</th><th>verdict</th><th>passed</th><th>failed</th>\
         <th>skipped</th><th>failed in</th></tr></thead><tbody>",
    );
    for r in &summary {
        let failed_in: Vec<String> = r.failed.iter().map(|s| format!("<a href=\"#{}\">{}</a>", anchor(s), esc(s))).collect();
        let _ = write!(
            out,
            "<tr class=\"{}\"><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            r.verdict.as_str(),
            esc(r.rule.id()),
            badge(r.verdict),
            r.passed.len(),
            r.failed.len(),
            r.skipped.len(),
            failed_in.join(", ")
        );
    }
    out.push_str("</tbody></table>");
    waivers(&mut out, report);
    out.push_str("<h2>Scenarios</h2>");
    for s in &report.scenarios {
        scenario(&mut out, s);
    }
    out.push_str("</main></body></html>\n");
    out
}

/// The CSS class of a verdict (`v-pass`, …; a verdict added later gets its own).
fn verdict_class(v: Verdict) -> String {
    format!("v-{}", v.as_str())
}

fn badge(v: Verdict) -> String {
    format!("<span class=\"verdict {}\">{}</span>", verdict_class(v), esc(v.as_str()))
}

/// A scenario's anchor: its name with anything but letters, digits and `-` as `_`.
fn anchor(name: &str) -> String {
    let safe: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    format!("s-{safe}")
}

fn scenario(out: &mut String, s: &ScenarioVerdict) {
    let failed = s.failed();
    let failed_rules: Vec<&str> = s.failed_rules().iter().map(|r| r.id()).collect();
    let _ = write!(
        out,
        "<details class=\"scenario{}\" id=\"{}\"{}><summary>{} {} <span class=\"note\">{}</span></summary>",
        if failed { " failing" } else { "" },
        anchor(&s.scenario),
        if failed { " open" } else { "" },
        badge(if failed { Verdict::Fail } else { Verdict::Pass }),
        esc(&s.scenario),
        if failed_rules.is_empty() { String::new() } else { format!("failed: {}", esc(&failed_rules.join(", "))) }
    );
    out.push_str("<h3>Runs</h3><table class=\"runs\"><thead><tr><th>run</th><th>at</th><th>ended</th><th>report</th></tr></thead><tbody>");
    for r in &s.runs {
        let unexpected = if r.as_scheduled { "" } else { " <span class=\"error\">(unexpected)</span>" };
        let _ = write!(
            out,
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}{unexpected}</td><td>{}</td></tr>",
            r.number,
            esc(&r.run_at),
            esc(&r.outcome),
            esc(&r.report)
        );
        if !r.log_tail.is_empty() {
            let _ = write!(out, "<tr><td></td><td colspan=\"3\"><pre>{}</pre></td></tr>", esc(&r.log_tail));
        }
    }
    out.push_str("</tbody></table>");
    snapshot(out, s);
    rules(out, s);
    for t in &s.timeline {
        let _ = write!(out, "<h3>Run {} requests ({})</h3>", t.run, t.requests.len());
        if t.requests.is_empty() {
            out.push_str("<p class=\"note\">no requests</p>");
            continue;
        }
        out.push_str(
            "<p class=\"legend\"><span><i class=\"sw\" style=\"background:#8fb8de\"></i>answered</span><span><i class=\"sw\" style=\"background:#fb8f00\"></i>throttled (429)</span>\
             <span><i class=\"sw\" style=\"background:#cf222e\"></i>fault (5xx, none)</span><span><i class=\"sw\" style=\"border:1px dashed #fb8f00\"></i>Retry-After asked</span>\
             <span><i class=\"sw\" style=\"background:#2da44e\"></i>wait made (red: too short)</span></p>",
        );
        out.push_str(&svg::svg(t));
        out.push_str(&svg::tables(t));
    }
    out.push_str("</details>");
}

fn snapshot(out: &mut String, s: &ScenarioVerdict) {
    match &s.snapshot {
        SnapshotStatus::Matches => out.push_str("<p>snapshot: matches</p>"),
        SnapshotStatus::Missing(p) => {
            let _ = write!(out, "<p>snapshot: none at <code>{}</code>; judged against the oracle</p>", esc(p));
        }
        SnapshotStatus::Unreadable(e) => {
            let _ = write!(out, "<p class=\"error\">snapshot: unusable ({}); judged against the oracle</p>", esc(e));
        }
        SnapshotStatus::Differs(lines) => {
            let _ = write!(out, "<h3>Snapshot differs in {} line(s)</h3>", lines.len());
            out.push_str(&difference_table(lines));
        }
    }
    if !s.expectation_errors.is_empty() {
        out.push_str("<p class=\"error\">EXPECTATION ERROR: the snapshot and the oracle disagree (fix one of them):</p>");
        out.push_str(&difference_table(&s.expectation_errors));
    }
}

fn rules(out: &mut String, s: &ScenarioVerdict) {
    out.push_str(
        "<h3>Rules</h3><table class=\"rules\"><thead><tr><th>rule</th><th>verdict</th><th>note and findings</th></tr></thead><tbody>",
    );
    for r in &s.rules {
        let _ = write!(
            out,
            "<tr class=\"{}\"><td><code>{}</code></td><td>{}</td><td><span class=\"note\">{}</span>",
            r.verdict.as_str(),
            esc(r.rule.id()),
            badge(r.verdict),
            esc(&r.note)
        );
        if let Some(reason) = &r.waiver {
            let _ = write!(out, "<p class=\"waiver\">waived: {}</p>", esc(reason));
        }
        if !r.findings.is_empty() {
            out.push_str("<ul class=\"findings\">");
            for f in r.findings.iter().take(MAX_FINDINGS) {
                let _ = write!(out, "<li>{}</li>", finding(f));
            }
            out.push_str("</ul>");
            if r.findings.len() > MAX_FINDINGS {
                let _ = write!(out, "<p class=\"more\">… and {} more</p>", r.findings.len() - MAX_FINDINGS);
            }
        }
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table>");
}

/// The waivers given (`--expect-failures`), each with its status: applied (where), unmatched,
/// expired (both fail the run) or not checked.
fn waivers(out: &mut String, report: &SuiteReport) {
    if report.waivers.is_empty() {
        return;
    }
    out.push_str(
        "<h2>Waivers</h2><table class=\"waivers\"><thead><tr><th>rule</th><th>scenario</th><th>reason</th><th>expires</th>\
         <th>status</th><th>waived in</th></tr></thead><tbody>",
    );
    for o in &report.waivers {
        let w = &o.waiver;
        let failing = matches!(o.status, crate::waivers::WaiverStatus::Unmatched | crate::waivers::WaiverStatus::Expired);
        let _ = write!(
            out,
            "<tr class=\"{}\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if failing { "fail" } else { "waived" },
            esc(w.rule.id()),
            esc(w.scenario.as_deref().unwrap_or("every scenario")),
            esc(&w.reason),
            w.expires.map(|d| d.to_string()).unwrap_or_default(),
            esc(o.status.as_str()),
            esc(&o.waived_in.join(", "))
        );
    }
    out.push_str("</tbody></table>");
}

#[cfg(test)]
mod tests;
