use quickcheck::quickcheck;

use super::*;
use crate::judge::{RuleVerdict, RunSummary};
use crate::requirements::Rule;
use crate::timeline::{Mark, RunTimeline, TimedRequest, Wait};

/// Tags the page itself writes; anything else after a `<` came from a text.
const OURS: &[&str] = &[
    "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "main", "table", "thead", "tbody", "tr",
    "th", "td", "span", "a", "code", "details", "summary", "ul", "li", "pre", "br", "i", "svg", "rect", "text", "line",
];

fn report(text: String) -> SuiteReport {
    let rules = Rule::all()
        .iter()
        .enumerate()
        .map(|(i, &rule)| {
            let verdict = [Verdict::Pass, Verdict::Fail, Verdict::Skipped][i % 3];
            let findings =
                if verdict == Verdict::Fail { vec![text.clone(), format!("in a@b.cn / `{text}`: expected in x@y.cn")] } else { Vec::new() };
            RuleVerdict { rule, verdict, note: text.clone(), findings, waiver: None }
        })
        .collect();
    let run = RunSummary {
        number: 1,
        run_at: text.clone(),
        outcome: text.clone(),
        as_scheduled: false,
        report: text.clone(),
        log_tail: text.clone(),
    };
    let request = |number, mark, status| TimedRequest {
        number,
        offset_us: number as u64 * 1_000,
        duration_us: 500,
        api: text.clone(),
        method: text.clone(),
        path: text.clone(),
        status,
        mark,
        retry_after: Some(1),
    };
    let wait = Wait { after: 1, retry: Some(2), target: text.clone(), from_us: 1_500, waited_us: Some(1_000), retry_after: 1 };
    let timeline = RunTimeline { run: 1, requests: vec![request(1, Mark::Throttle, 429), request(2, Mark::Ok, 200)], waits: vec![wait] };
    let scenario = ScenarioVerdict {
        scenario: text.clone(),
        runs: vec![run],
        digest: text.clone(),
        expected_digest: String::new(),
        snapshot: SnapshotStatus::Differs(vec![format!("- tenant a@b.cn / {text} / {text} (in expected, not in found)"), text.clone()]),
        expectation_errors: vec![text.clone()],
        rules,
        timeline: vec![timeline],
    };
    let missing = ScenarioVerdict { snapshot: SnapshotStatus::Missing(text.clone()), ..scenario.clone() };
    SuiteReport::new(text, vec![scenario, missing])
}

/// Every `<` of the page opens or closes one of the page's own tags.
fn only_our_tags(html: &str) -> bool {
    html.match_indices('<').all(|(i, _)| {
        let rest = html[i + 1..].trim_start_matches('/');
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '!').collect();
        OURS.iter().any(|t| t.eq_ignore_ascii_case(&name)) && !name.is_empty()
    })
}

quickcheck! {
    /// Whatever the texts (findings, item ids, names), they cannot open a tag or an attribute.
    fn no_text_injects_a_tag(text: String) -> bool {
        let hostile = format!("{text}<script>alert(1)</script><img src=x onerror=\"y\">' `<b>`");
        let html = to_html(&report(hostile));
        only_our_tags(&html) && !html.contains("onerror=\"") && !html.to_ascii_lowercase().contains("<script")
    }
}

#[test]
fn the_page_is_deterministic_and_self_contained() {
    let a = to_html(&report("ra-01".into()));
    assert_eq!(a, to_html(&report("ra-01".into())));
    assert!(a.starts_with("<!DOCTYPE html>") && a.ends_with("</html>\n"));
    for external in ["http:", "https:", "src=", "<link", "<script", "@import"] {
        assert!(!a.contains(external), "{external} in the page");
    }
}

#[test]
fn failing_scenarios_open_and_findings_show_item_and_mailboxes() {
    let mut r = report("ra-01".into());
    r.scenarios[1].rules.iter_mut().for_each(|x| {
        x.verdict = Verdict::Pass;
        x.findings.clear();
    });
    r.scenarios[1].expectation_errors.clear();
    r.scenarios[1].scenario = "passing one".into();
    let html = to_html(&r);
    assert_eq!(html.matches("<details class=\"scenario failing\" id=\"s-ra-01\" open>").count(), 1, "{html}");
    assert!(html.contains("<details class=\"scenario\" id=\"s-passing_one\">"), "{html}");
    assert!(
        html.contains("<li>in <span class=\"mbx\">a@b.cn</span> / <code>ra-01</code>: expected in <span class=\"mbx\">x@y.cn</span></li>")
    );
    assert!(html.contains(
        "<td><code>ra-01</code></td><td><span class=\"mbx\">a@b.cn</span> / ra-01</td><td><span class=\"none\">nowhere</span></td>"
    ));
    assert!(
        html.contains("<span class=\"verdict v-fail\">fail</span>") && html.contains("<span class=\"verdict v-skipped\">skipped</span>")
    );
    assert!(html.contains("class=\"mark throttle\"") && html.contains("class=\"asked\""));
}
