//! `/`: the scenario, its population, and its items per day, kind and source as a chart.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::extract::State;
use axum::response::Response;

use super::{Section, esc, layout};
use crate::state::Shared;

/// Item kinds in the order the chart stacks them, with their colours.
pub const KINDS: [(&str, &str); 5] =
    [("chat", "#2563eb"), ("attachment", "#16a34a"), ("file", "#ca8a04"), ("call", "#9333ea"), ("recall", "#dc2626")];

pub async fn page(State(state): State<Shared>) -> Response {
    let s = crate::http::control::summary(&state);
    let mut body = String::new();
    let _ = write!(
        body,
        "<section aria-labelledby=\"scn\"><h2 id=\"scn\">Scenario</h2><dl class=\"facts\">\
         <dt>Name</dt><dd>{}</dd><dt>Seed</dt><dd>{}</dd><dt>Items</dt><dd>{}</dd><dt>Over 10 MB</dt><dd>{}</dd>",
        esc(&s.name),
        s.seed,
        s.counts.items,
        s.counts.over_limit
    );
    if let Some((first, last)) = &s.span {
        let _ = write!(body, "<dt>Traffic</dt><dd>{} … {}</dd>", esc(first), esc(last));
    }
    if let Some(live) = &s.live {
        let _ = write!(
            body,
            "<dt>Live</dt><dd><span data-live-arrived>{}</span> of {} items arrived (clock <span data-live-now>{}</span>)</dd>",
            live.arrived,
            s.counts.items,
            esc(&live.now)
        );
    }
    body.push_str("</dl></section>");

    body.push_str("<section aria-labelledby=\"pop\"><h2 id=\"pop\">Population</h2><table><thead><tr><th scope=\"col\">Who</th><th scope=\"col\" class=\"num\">Count</th></tr></thead><tbody>");
    for (k, v) in &s.population {
        let _ = write!(body, "<tr><td>{}</td><td class=\"num\">{v}</td></tr>", esc(&k.replace('_', " ")));
    }
    body.push_str("</tbody></table></section>");

    // Items per UTC day and kind.
    let mut per_day: BTreeMap<String, BTreeMap<&'static str, usize>> = BTreeMap::new();
    for i in state.world.archive.items() {
        let day = chrono::DateTime::from_timestamp_millis(i.spec.captured_ms).unwrap_or_default().format("%Y-%m-%d").to_string();
        *per_day.entry(day).or_default().entry(i.spec.kind.as_str()).or_insert(0) += 1;
    }
    body.push_str("<section aria-labelledby=\"chart\"><h2 id=\"chart\">Items per day and kind</h2>");
    body.push_str(&chart(&per_day));
    body.push_str("<ul class=\"legend\">");
    for (kind, colour) in KINDS {
        let n = s.counts.by_kind.get(kind).copied().unwrap_or(0);
        let _ = write!(
            body,
            "<li><span class=\"swatch\" style=\"background:{colour}\"></span><a href=\"/traffic?kind={kind}\">{kind}</a> {n}</li>"
        );
    }
    body.push_str("</ul>");
    body.push_str("<table><caption>By source</caption><thead><tr><th scope=\"col\">Source</th><th scope=\"col\" class=\"num\">Items</th></tr></thead><tbody>");
    for (source, n) in &s.counts.by_source {
        let _ = write!(body, "<tr><td><a href=\"/traffic?source={source}\">{source}</a></td><td class=\"num\">{n}</td></tr>");
    }
    body.push_str("</tbody></table></section>");
    layout("Overview", Section::Overview, &body)
}

/// A stacked bar per day (SVG, drawn here: no chart library to ship).
fn chart(per_day: &BTreeMap<String, BTreeMap<&'static str, usize>>) -> String {
    let max = per_day.values().map(|k| k.values().sum::<usize>()).max().unwrap_or(0).max(1);
    let (bar, gap, height) = (48.0, 24.0, 200.0);
    // At least 640 wide: a scenario of one day is one bar, not one bar the width of the page.
    let width = (per_day.len() as f64 * (bar + gap) + gap).max(640.0);
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {}\" role=\"img\" aria-label=\"Items per day, stacked by kind\">",
        height + 40.0
    );
    for (n, (day, kinds)) in per_day.iter().enumerate() {
        let x = gap + n as f64 * (bar + gap);
        let mut y = height;
        let total: usize = kinds.values().sum();
        for (kind, colour) in KINDS {
            let c = kinds.get(kind).copied().unwrap_or(0);
            if c == 0 {
                continue;
            }
            let h = c as f64 / max as f64 * (height - 20.0);
            y -= h;
            let _ = write!(
                svg,
                "<rect x=\"{x}\" y=\"{y:.1}\" width=\"{bar}\" height=\"{h:.1}\" fill=\"{colour}\"><title>{day} {kind}: {c}</title></rect>"
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" class=\"total\">{total}</text><text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x + bar / 2.0,
            y - 4.0,
            x + bar / 2.0,
            height + 20.0,
            &day[5..]
        );
    }
    svg.push_str("</svg>");
    svg
}
