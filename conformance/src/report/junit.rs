//! The verdicts as JUnit XML: one test suite per scenario, one test case per rule.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::SuiteReport;
use crate::judge::Verdict;

/// The report as JUnit XML.
pub fn to_junit(report: &SuiteReport) -> String {
    let mut junit = Report::new("tm-conformance");
    for s in &report.scenarios {
        let mut suite = TestSuite::new(s.scenario.clone());
        for r in &s.rules {
            let status = match r.verdict {
                Verdict::Pass => TestCaseStatus::success(),
                Verdict::Skipped => {
                    let mut st = TestCaseStatus::skipped();
                    st.set_message(r.note.clone());
                    st
                }
                Verdict::Fail => {
                    let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    st.set_message(format!("{} {}: {}", r.rule.id(), r.note, r.findings.first().cloned().unwrap_or_default()));
                    st.set_type(r.rule.id());
                    st.set_description(r.findings.join("\n"));
                    st
                }
            };
            let mut case = TestCase::new(r.rule.id(), status);
            case.set_classname(format!("tm-conformance.{}", s.scenario));
            suite.add_test_case(case);
        }
        if !s.expectation_errors.is_empty() {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
            st.set_message("the snapshot and the oracle disagree");
            st.set_description(s.expectation_errors.join("\n"));
            let mut case = TestCase::new("EXPECTATION", st);
            case.set_classname(format!("tm-conformance.{}", s.scenario));
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    junit.to_string().unwrap_or_else(|e| format!("<!-- cannot serialise the JUnit report: {e} -->"))
}
