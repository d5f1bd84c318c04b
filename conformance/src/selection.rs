//! Rule selection (`--rule ID`, repeatable): which scenarios to run and which rules to report.
//!
//! Given rules alone, the scenarios run are those their catalogue entries list
//! ([`Requirement::scenarios`](crate::Requirement)) that the fixtures hold, in the fixtures'
//! order. Given rules and `--scenario` too, the scenarios given are run (the intersection: those
//! scenarios, judged on those rules). Either way the judge judges every rule (a difference is
//! still attributed to the rule that explains it best, never pinned on a selected one), and the
//! rules not selected are then reported `skipped` with the note [`NOT_SELECTED`]: they count as
//! skipped in the summary and never fail the run, and waivers of them are not checked.

use std::collections::BTreeSet;

use crate::judge::{ScenarioVerdict, Verdict};
use crate::requirements::Rule;

/// The note of a rule not selected.
pub const NOT_SELECTED: &str = "not selected (--rule)";

/// Why a selection cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    /// No rule has this ID.
    #[error("--rule {id}: no such rule; the rules are: {}", known())]
    UnknownRule {
        /// The ID given.
        id: String,
    },
    /// None of the rule's catalogue scenarios is in the fixtures.
    #[error("--rule {rule}: none of its scenarios ({}) is in the fixtures; name some with --scenario", rule.requirement().scenarios.join(", "))]
    NoScenario {
        /// The rule.
        rule: Rule,
    },
}

fn known() -> String {
    Rule::all().iter().map(|r| r.id()).collect::<Vec<_>>().join(", ")
}

/// The rules of these IDs (exact, as reported; blank ones ignored, as an empty
/// `TM_CONFORMANCE_RULE` gives); `None` when no ID is given (every rule).
pub fn rules(ids: &[String]) -> Result<Option<BTreeSet<Rule>>, SelectionError> {
    let ids: Vec<&str> = ids.iter().map(|id| id.trim()).filter(|id| !id.is_empty()).collect();
    if ids.is_empty() {
        return Ok(None);
    }
    ids.iter()
        .map(|&id| Rule::from_id(id).ok_or_else(|| SelectionError::UnknownRule { id: id.to_string() }))
        .collect::<Result<_, _>>()
        .map(Some)
}

/// The scenarios to run: `explicit` if any are given; else, with rules selected, the fixtures'
/// scenarios (`available`, in order) that any selected rule's catalogue entry lists; else all.
pub fn scenarios(available: &[String], explicit: &[String], rules: Option<&BTreeSet<Rule>>) -> Result<Vec<String>, SelectionError> {
    if !explicit.is_empty() {
        return Ok(explicit.to_vec());
    }
    let Some(rules) = rules else { return Ok(available.to_vec()) };
    for &rule in rules {
        if !rule.requirement().scenarios.iter().any(|s| available.iter().any(|a| a == s)) {
            return Err(SelectionError::NoScenario { rule });
        }
    }
    Ok(available.iter().filter(|a| rules.iter().any(|r| r.requirement().scenarios.contains(&a.as_str()))).cloned().collect())
}

/// Reports only the selected rules: every other rule of the scenario becomes `skipped`
/// ([`NOT_SELECTED`]), without findings.
pub fn restrict(verdict: &mut ScenarioVerdict, rules: &BTreeSet<Rule>) {
    for r in verdict.rules.iter_mut().filter(|r| !rules.contains(&r.rule)) {
        r.verdict = Verdict::Skipped;
        r.note = NOT_SELECTED.to_string();
        r.findings.clear();
        r.waiver = None;
    }
}

#[cfg(test)]
mod tests {
    use quickcheck::quickcheck;

    use super::*;
    use crate::judge::RuleVerdict;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn rule(id: &str) -> Rule {
        Rule::from_id(id).unwrap()
    }

    #[test]
    fn unknown_ids_are_named_with_the_known_ones() {
        assert_eq!(rules(&[]), Ok(None));
        assert_eq!(rules(&names(&["", " "])), Ok(None));
        assert_eq!(rules(&names(&["FOLDER", "WINDOW"])), Ok(Some([rule("FOLDER"), rule("WINDOW")].into())));
        let e = rules(&names(&["FOLDER", "FOLDR"])).unwrap_err().to_string();
        assert!(e.starts_with("--rule FOLDR: no such rule") && e.contains("ROUTE-MAP, ") && e.contains("FOLDER"), "{e}");
    }

    #[test]
    fn rules_run_their_catalogue_scenarios_and_explicit_scenarios_win() {
        let available = names(&["folder", "multi-day", "realistic-day", "route-map", "window"]);
        let folder = rules(&names(&["FOLDER"])).unwrap();
        assert_eq!(scenarios(&available, &[], folder.as_ref()).unwrap(), names(&["folder", "multi-day", "realistic-day"]));
        assert_eq!(scenarios(&available, &names(&["window"]), folder.as_ref()).unwrap(), names(&["window"]));
        assert_eq!(scenarios(&available, &[], None).unwrap(), available);
        let late = rules(&names(&["LATE"])).unwrap();
        assert_eq!(scenarios(&available, &[], late.as_ref()), Err(SelectionError::NoScenario { rule: rule("LATE") }));
    }

    fn verdict(outcomes: &[u8]) -> ScenarioVerdict {
        let rules = Rule::all()
            .iter()
            .zip(outcomes.iter().cycle())
            .map(|(&rule, o)| {
                let verdict = [Verdict::Pass, Verdict::Fail, Verdict::Skipped][usize::from(*o) % 3];
                let findings = if verdict == Verdict::Fail { vec!["wrong".to_string()] } else { Vec::new() };
                RuleVerdict { rule, verdict, note: "n".into(), findings, waiver: None }
            })
            .collect();
        ScenarioVerdict::of_rules("s", rules)
    }

    quickcheck! {
        /// Selected rules keep their verdicts; the others are skipped as not selected; the
        /// scenario fails exactly when a selected rule failed.
        fn restrict_keeps_exactly_the_selected(outcomes: Vec<u8>, picks: Vec<usize>) -> bool {
            if outcomes.is_empty() {
                return true;
            }
            let all = Rule::all();
            let selected: BTreeSet<Rule> = picks.iter().map(|i| all[i % all.len()]).collect();
            let before = verdict(&outcomes);
            let mut after = before.clone();
            restrict(&mut after, &selected);
            let kept = before.rules.iter().zip(&after.rules).all(|(b, a)| {
                if selected.contains(&b.rule) { a == b } else { a.verdict == Verdict::Skipped && a.note == NOT_SELECTED && a.findings.is_empty() }
            });
            let fails = before.rules.iter().any(|r| selected.contains(&r.rule) && r.verdict == Verdict::Fail);
            kept && after.failed() == fails
        }
    }
}
