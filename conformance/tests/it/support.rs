//! Shared helpers.

use std::collections::BTreeSet;

use tm_conformance::{Connector, Rule, ScenarioVerdict, Suite, Verdict};

/// The rule of an ID.
pub fn rule(id: &str) -> Rule {
    Rule::from_id(id).unwrap_or_else(|| panic!("no rule {id}"))
}

/// The mutant connector, as a command.
pub fn mutant(mutation: &str) -> Connector {
    Connector::Command(format!("{} --mutation {mutation}", env!("CARGO_BIN_EXE_tm-mutant")))
}

/// Runs scenarios against a connector and returns their verdicts.
pub async fn run(connector: Connector, scenarios: &[&str]) -> Vec<ScenarioVerdict> {
    let suite = Suite::new(connector);
    let mut out = Vec::new();
    for name in scenarios {
        let (_, verdict) = suite.run(name).await.unwrap_or_else(|e| panic!("scenario {name}: {e}"));
        out.push(verdict);
    }
    out
}

/// Rules with the given verdict in any of the scenarios.
pub fn rules_with(verdicts: &[ScenarioVerdict], v: Verdict) -> BTreeSet<Rule> {
    verdicts.iter().flat_map(|s| s.rules.iter().filter(|r| r.verdict == v).map(|r| r.rule)).collect()
}

/// Every failure, explained, for assertion messages.
pub fn explain(verdicts: &[ScenarioVerdict]) -> String {
    let mut out = String::new();
    for s in verdicts {
        for r in s.rules.iter().filter(|r| r.verdict == Verdict::Fail) {
            out.push_str(&format!("{} {}:\n", s.scenario, r.rule));
            for f in r.findings.iter().take(5) {
                out.push_str(&format!("    {f}\n"));
            }
        }
        for e in &s.expectation_errors {
            out.push_str(&format!("{} EXPECTATION: {e}\n", s.scenario));
        }
    }
    out
}
