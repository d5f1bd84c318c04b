//! The verdicts as JUnit XML: one test suite per scenario, one test case per rule.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::SuiteReport;
use crate::judge::Verdict;
use crate::waivers::WaiverStatus;

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
                Verdict::Waived => {
                    let mut st = TestCaseStatus::skipped();
                    st.set_message(format!("waived: {}", r.waiver.as_deref().unwrap_or("")));
                    st.set_description(r.findings.join("\n"));
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
    if !report.waivers.is_empty() {
        junit.add_test_suite(waivers(report));
    }
    junit.to_string().unwrap_or_else(|e| format!("<!-- cannot serialise the JUnit report: {e} -->"))
}

/// The waivers as a test suite of their own: an unmatched or expired waiver fails, one that was
/// not checked is skipped.
fn waivers(report: &SuiteReport) -> TestSuite {
    let mut suite = TestSuite::new("waivers");
    for w in &report.waivers {
        let status = match w.status {
            WaiverStatus::Applied => TestCaseStatus::success(),
            WaiverStatus::NotChecked => {
                let mut st = TestCaseStatus::skipped();
                st.set_message(w.describe());
                st
            }
            WaiverStatus::Unmatched | WaiverStatus::Expired => {
                let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                st.set_message(w.describe());
                st.set_type(format!("waiver-{}", w.status.as_str()));
                st
            }
        };
        let mut case = TestCase::new(format!("waiver {}: {}", w.waiver.entry, w.waiver.what()), status);
        case.set_classname("tm-conformance.waivers");
        suite.add_test_case(case);
    }
    suite
}
