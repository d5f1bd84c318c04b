//! The suite's verdicts for people (text, HTML) and machines (JSON, JUnit XML), and a JSON report read
//! back.

mod html;
mod json;
mod junit;
mod read;
mod text;
mod write;

use crate::judge::{ScenarioVerdict, Verdict};
use crate::requirements::Rule;
use crate::waivers::WaiverOutcome;

pub use html::to_html;
pub use json::to_json;
pub use junit::to_junit;
pub use read::{ReadError, from_json_str, read_json_file};
pub use text::to_text;
pub use write::{Outputs, WriteError, write_all};

/// Every scenario's verdicts for one connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteReport {
    /// The connector, described.
    pub connector: String,
    /// Per scenario, in the order run.
    pub scenarios: Vec<ScenarioVerdict>,
    /// The waivers given (`--expect-failures`) and what became of each (empty: none given).
    pub waivers: Vec<WaiverOutcome>,
}

/// One rule over all scenarios.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSummary {
    /// The rule.
    pub rule: Rule,
    /// fail if any scenario failed it; else waived if any waived it; else pass if any passed it;
    /// else skipped.
    pub verdict: Verdict,
    /// Scenarios that passed it.
    pub passed: Vec<String>,
    /// Scenarios that failed it.
    pub failed: Vec<String>,
    /// Scenarios that skipped it.
    pub skipped: Vec<String>,
    /// Scenarios whose failure of it a waiver accepts.
    pub waived: Vec<String>,
}

impl SuiteReport {
    /// A report of these scenarios, without waivers.
    pub fn new(connector: String, scenarios: Vec<ScenarioVerdict>) -> SuiteReport {
        SuiteReport { connector, scenarios, waivers: Vec::new() }
    }

    /// Per rule, over all scenarios, in catalogue order.
    pub fn summary(&self) -> Vec<RuleSummary> {
        Rule::all()
            .iter()
            .map(|&rule| {
                let with = |v: Verdict| -> Vec<String> {
                    self.scenarios.iter().filter(|s| s.verdict(rule) == v).map(|s| s.scenario.clone()).collect()
                };
                let (passed, failed, skipped) = (with(Verdict::Pass), with(Verdict::Fail), with(Verdict::Skipped));
                let waived = with(Verdict::Waived);
                let verdict = if !failed.is_empty() {
                    Verdict::Fail
                } else if !waived.is_empty() {
                    Verdict::Waived
                } else if !passed.is_empty() {
                    Verdict::Pass
                } else {
                    Verdict::Skipped
                };
                RuleSummary { rule, verdict, passed, failed, skipped, waived }
            })
            .collect()
    }

    /// Whether any rule failed anywhere (or an expectation is inconsistent), or a waiver is
    /// unmatched or expired: exit 1. Waived failures alone do not fail the run.
    pub fn failed(&self) -> bool {
        self.scenarios.iter().any(ScenarioVerdict::failed) || self.waivers.iter().any(|w| w.status.fails())
    }
}
