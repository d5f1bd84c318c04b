//! `tm-conformance merge`: the JSON reports of a sharded run (`run --shard K/N --json ...`, maybe
//! written on different machines) joined into the report of the whole run.
//!
//! The reports must judge the same connector with the same suite (every scenario's rules are this
//! suite's catalogue, in its order), and no scenario may be in two of them. The merged report
//! lists the scenarios by name, as a run of the whole suite does, and its summary is computed
//! again from them; so the shards of a run, merged, give the whole run's report.

use std::path::PathBuf;

use crate::report::{ReadError, SuiteReport, read_json_file};
use crate::requirements::Rule;

/// Why reports cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// No report given.
    #[error("nothing to merge: give one or more JSON reports")]
    Nothing,
    /// A report cannot be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Two reports judge different connectors.
    #[error("{path}: judges the connector {found:?}, but {first_path} judges {expected:?}: only shards of one run merge")]
    Connector {
        /// The first report.
        first_path: String,
        /// Its connector.
        expected: String,
        /// The report that differs.
        path: String,
        /// Its connector.
        found: String,
    },
    /// A report of another version of the suite (other rules, or in another order).
    #[error(
        "{path}: scenario {scenario} is judged by the rules [{found}], but this suite's are [{expected}]: merge reports of the same suite"
    )]
    Rules {
        /// The report.
        path: String,
        /// The scenario.
        scenario: String,
        /// Its rules.
        found: String,
        /// This suite's.
        expected: String,
    },
    /// A scenario in two reports.
    #[error("scenario {scenario} is in both {first} and {second}: shards must not overlap")]
    Duplicate {
        /// The scenario.
        scenario: String,
        /// The first report holding it.
        first: String,
        /// The second.
        second: String,
    },
}

/// Reads the JSON reports at `paths` and merges them.
pub fn merge_files(paths: &[PathBuf]) -> Result<SuiteReport, MergeError> {
    let reports = paths.iter().map(|p| Ok((p.display().to_string(), read_json_file(p)?))).collect::<Result<Vec<_>, MergeError>>()?;
    merge(reports)
}

/// Merges reports, each with the path it was read from (for errors).
pub fn merge(reports: Vec<(String, SuiteReport)>) -> Result<SuiteReport, MergeError> {
    let Some((first_path, first)) = reports.first() else { return Err(MergeError::Nothing) };
    let connector = first.connector.clone();
    let first_path = first_path.clone();
    let expected: Vec<&str> = Rule::all().iter().map(|r| r.id()).collect();
    // (scenario name, path of its report, its verdicts)
    let mut all = Vec::new();
    // Every shard's waivers, one after the other: `waivers::reconcile` settles them.
    let mut waivers = Vec::new();
    for (path, report) in reports {
        waivers.extend(report.waivers);
        if report.connector != connector {
            return Err(MergeError::Connector { first_path, expected: connector, path, found: report.connector });
        }
        for s in report.scenarios {
            let found: Vec<&str> = s.rules.iter().map(|r| r.rule.id()).collect();
            if found != expected {
                return Err(MergeError::Rules {
                    path,
                    scenario: s.scenario.clone(),
                    found: found.join(", "),
                    expected: expected.join(", "),
                });
            }
            all.push((s.scenario.clone(), path.clone(), s));
        }
    }
    // A stable sort: names given twice stay in the order of the files, for the error below.
    all.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(w) = all.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(MergeError::Duplicate { scenario: w[0].0.clone(), first: w[0].1.clone(), second: w[1].1.clone() });
    }
    Ok(SuiteReport { connector, scenarios: all.into_iter().map(|(_, _, s)| s).collect(), waivers })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::{RuleVerdict, ScenarioVerdict, Verdict};

    fn scenario(name: &str, verdict: Verdict) -> ScenarioVerdict {
        let rules = Rule::all()
            .iter()
            .map(|&rule| RuleVerdict { rule, verdict, note: String::new(), findings: Vec::new(), waiver: None })
            .collect();
        ScenarioVerdict::of_rules(name, rules)
    }

    fn report(names: &[&str]) -> SuiteReport {
        SuiteReport::new("c".into(), names.iter().map(|n| scenario(n, Verdict::Pass)).collect())
    }

    #[test]
    fn shards_merge_into_one_report_ordered_by_name() {
        let merged = merge(vec![("a.json".into(), report(&["c", "a"])), ("b.json".into(), report(&["b"]))]).unwrap();
        assert_eq!(merged, report(&["a", "b", "c"]));
        let with_empty = merge(vec![("a.json".into(), report(&[])), ("b.json".into(), report(&["b"]))]).unwrap();
        assert_eq!(with_empty, report(&["b"]));
    }

    #[test]
    fn a_merged_report_fails_when_a_shard_failed() {
        let mut failing = report(&["b"]);
        failing.scenarios[0] = scenario("b", Verdict::Fail);
        let merged = merge(vec![("a.json".into(), report(&["a"])), ("b.json".into(), failing)]).unwrap();
        assert!(merged.failed());
    }

    #[test]
    fn overlapping_shards_other_connectors_and_other_suites_are_refused_by_file() {
        let e = merge(vec![("one.json".into(), report(&["a", "b"])), ("two.json".into(), report(&["b"]))]).unwrap_err();
        assert_eq!(e.to_string(), "scenario b is in both one.json and two.json: shards must not overlap");
        let other = SuiteReport { connector: "d".into(), ..report(&["x"]) };
        let e = merge(vec![("one.json".into(), report(&["a"])), ("two.json".into(), other)]).unwrap_err();
        assert!(e.to_string().starts_with("two.json: judges the connector \"d\", but one.json judges \"c\""), "{e}");
        let mut old = report(&["x"]);
        old.scenarios[0].rules.pop();
        let e = merge(vec![("one.json".into(), report(&["a"])), ("old.json".into(), old)]).unwrap_err();
        assert!(e.to_string().starts_with("old.json: scenario x is judged by the rules ["), "{e}");
        assert!(matches!(merge(Vec::new()), Err(MergeError::Nothing)));
    }
}
