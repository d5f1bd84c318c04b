//! A run's time line as one inline SVG: a lane per API with every request a small mark (faults
//! red, throttles orange), and a lane of waits: after each answer with `Retry-After`, the wait
//! asked (an outline) and the wait made (a bar, red when too short); then tables of the notable
//! requests and the waits.
//!
//! Bounded: marks are binned to half-pixel columns per lane (the worst answer of a column wins),
//! so a day of thousands of requests draws at most a few thousand marks; tables are cut.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::words::esc;
use crate::timeline::{Mark, RunTimeline};

/// Drawing width, px.
const WIDTH: f64 = 1000.0;
/// Left margin for lane names, px.
const LEFT: f64 = 70.0;
/// Lane height, px.
const LANE: f64 = 22.0;
/// Most rows of each table.
const MAX_ROWS: usize = 100;
/// The lanes, in order (an API not listed gets a lane after them).
const APIS: [&str; 3] = ["vendor", "identity", "tenant"];

/// µs as milliseconds with one decimal.
fn ms(us: u64) -> String {
    format!("{:.1}", us as f64 / 1000.0)
}

/// A tick step (µs) giving at most ten ticks over `span`.
fn tick_step(span: u64) -> u64 {
    let steps = [1, 2, 5];
    let mut scale = 1_000u64;
    loop {
        for s in steps {
            if span / (s * scale) <= 10 {
                return s * scale;
            }
        }
        scale *= 10;
    }
}

/// The run's SVG.
pub(super) fn svg(t: &RunTimeline) -> String {
    let mut lanes: Vec<String> = APIS.iter().map(|s| s.to_string()).filter(|a| t.requests.iter().any(|r| &r.api == a)).collect();
    for r in &t.requests {
        if !lanes.contains(&r.api) {
            lanes.push(r.api.clone());
        }
    }
    let span = t.span_us().max(1);
    let plot = WIDTH - LEFT - 10.0;
    let x = |us: u64| LEFT + us as f64 / span as f64 * plot;
    let waits_lane = lanes.len();
    let height = LANE * (lanes.len() + 1) as f64 + 24.0;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"timeline\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-label=\"run {} requests\">",
        t.run
    );
    let names = lanes.iter().map(String::as_str).chain(std::iter::once("waits"));
    for (i, name) in names.enumerate() {
        let y = LANE * i as f64;
        let _ = write!(
            out,
            "<rect class=\"lane\" x=\"{LEFT}\" y=\"{y}\" width=\"{plot}\" height=\"{LANE}\"/><text class=\"lane-name\" x=\"4\" y=\"{}\">{}</text>",
            y + 15.0,
            esc(name)
        );
    }
    axis(&mut out, span, &x, height - 24.0);
    // Per lane and half-pixel column: the worst mark, its right end, and the first notable request.
    let mut columns: BTreeMap<(usize, i64), (Mark, f64, Option<usize>)> = BTreeMap::new();
    for r in &t.requests {
        let lane = lanes.iter().position(|a| a == &r.api).unwrap_or(0);
        let (x0, x1) = (x(r.offset_us), x(r.offset_us + r.duration_us));
        let c = columns.entry((lane, (x0 * 2.0).floor() as i64)).or_insert((r.mark, x1, None));
        if r.mark > c.0 {
            c.0 = r.mark;
        }
        c.1 = c.1.max(x1);
        if r.mark != Mark::Ok && c.2.is_none() {
            c.2 = Some(r.number - 1);
        }
    }
    // Ok marks first, so that faults and throttles are drawn over them.
    let mut ordered: Vec<_> = columns.into_iter().collect();
    ordered.sort_by_key(|((lane, col), (mark, _, _))| (*mark, *lane, *col));
    for ((lane, col), (mark, x1, first)) in ordered {
        let x0 = col as f64 / 2.0;
        let y = LANE * lane as f64 + 4.0;
        let w = (x1 - x0).max(if mark == Mark::Ok { 1.0 } else { 3.0 });
        let title = first.map(|i| {
            let r = &t.requests[i];
            format!("<title>#{} {} {} {}: HTTP {}</title>", r.number, esc(&r.api), esc(&r.method), esc(&r.path), r.status)
        });
        let _ = write!(
            out,
            "<rect class=\"mark {}\" x=\"{x0:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\">{}</rect>",
            mark.as_str(),
            LANE - 8.0,
            title.unwrap_or_default()
        );
    }
    waits(&mut out, t, &x, LANE * waits_lane as f64);
    out.push_str("</svg>");
    out
}

/// The waits lane at `y`: per wait, the `Retry-After` asked (an outline) and the wait made.
fn waits(out: &mut String, t: &RunTimeline, x: &dyn Fn(u64) -> f64, y: f64) {
    for w in &t.waits {
        let x0 = x(w.from_us);
        let asked = x(w.from_us + w.retry_after * 1_000_000) - x0;
        let _ = write!(
            out,
            "<rect class=\"asked\" x=\"{x0:.1}\" y=\"{}\" width=\"{asked:.1}\" height=\"{}\"><title>#{}: Retry-After {} s</title></rect>",
            y + 3.0,
            LANE - 6.0,
            w.after,
            w.retry_after
        );
        if let Some(waited) = w.waited_us {
            let class = if w.too_early() { "waited early" } else { "waited" };
            let _ = write!(
                out,
                "<rect class=\"{class}\" x=\"{x0:.1}\" y=\"{}\" width=\"{:.1}\" height=\"{}\"><title>#{}: waited {} ms</title></rect>",
                y + 7.0,
                (x(w.from_us + waited) - x0).max(1.0),
                LANE - 14.0,
                w.after,
                ms(waited)
            );
        }
    }
}

fn axis(out: &mut String, span: u64, x: &dyn Fn(u64) -> f64, y: f64) {
    let step = tick_step(span);
    let mut at = 0;
    while at <= span {
        let px = x(at);
        let label = if step >= 1_000_000 { format!("{} s", at / 1_000_000) } else { format!("{} ms", at / 1000) };
        let _ = write!(
            out,
            "<line class=\"tick\" x1=\"{px:.1}\" y1=\"0\" x2=\"{px:.1}\" y2=\"{y}\"/><text class=\"tick-label\" x=\"{px:.1}\" y=\"{}\">{label}</text>",
            y + 16.0
        );
        at += step;
    }
}

/// The notable requests (429, 5xx, unanswered) and the waits, as tables.
pub(super) fn tables(t: &RunTimeline) -> String {
    let mut out = String::new();
    let notable: Vec<_> = t.notable().collect();
    if !notable.is_empty() {
        out.push_str(
            "<table class=\"requests\"><thead><tr><th>#</th><th>at ms</th><th>took ms</th><th>api</th><th>request</th><th>status</th><th>Retry-After</th></tr></thead><tbody>",
        );
        for r in notable.iter().take(MAX_ROWS) {
            let after = r.retry_after.map_or(String::new(), |s| format!("{s} s"));
            let _ = write!(
                out,
                "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{} {}</code></td><td>{}</td><td>{after}</td></tr>",
                r.mark.as_str(),
                r.number,
                ms(r.offset_us),
                ms(r.duration_us),
                esc(&r.api),
                esc(&r.method),
                esc(&r.path),
                r.status
            );
        }
        out.push_str("</tbody></table>");
        more(&mut out, notable.len(), "request(s)");
    }
    if !t.waits.is_empty() {
        out.push_str("<table class=\"waits\"><thead><tr><th>after #</th><th>asked again</th><th>Retry-After</th><th>waited</th><th></th></tr></thead><tbody>");
        for w in t.waits.iter().take(MAX_ROWS) {
            let (waited, verdict) = match (w.waited_us, w.retry) {
                (Some(us), Some(n)) if w.too_early() => (format!("{} ms (#{n})", ms(us)), "<span class=\"early\">too early</span>"),
                (Some(us), Some(n)) => (format!("{} ms (#{n})", ms(us)), "long enough"),
                _ => (String::new(), "not asked again in the run"),
            };
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{} s</td><td>{waited}</td><td>{verdict}</td></tr>",
                w.after,
                esc(&w.target),
                w.retry_after
            );
        }
        out.push_str("</tbody></table>");
        more(&mut out, t.waits.len(), "wait(s)");
    }
    out
}

fn more(out: &mut String, n: usize, what: &str) {
    if n > MAX_ROWS {
        let _ = write!(out, "<p class=\"more\">… and {} more {what}</p>", n - MAX_ROWS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::{TimedRequest, Wait};

    fn request(number: usize, api: &str, offset_us: u64, status: u16, mark: Mark) -> TimedRequest {
        TimedRequest {
            number,
            offset_us,
            duration_us: 2_000,
            api: api.into(),
            method: "GET".into(),
            path: "/<p>".into(),
            status,
            mark,
            retry_after: (status == 429).then_some(1),
        }
    }

    #[test]
    fn many_requests_are_binned_and_the_notable_ones_drawn_and_listed() {
        let mut requests: Vec<_> = (0..10_000).map(|i| request(i + 1, "tenant", i as u64 * 100, 201, Mark::Ok)).collect();
        requests.push(request(10_001, "vendor", 5_000, 429, Mark::Throttle));
        requests.push(request(10_002, "vendor", 500_000, 503, Mark::Fault));
        let wait = Wait {
            after: 10_001,
            retry: Some(10_002),
            target: "vendor listing".into(),
            from_us: 7_000,
            waited_us: Some(493_000),
            retry_after: 1,
        };
        let t = RunTimeline { run: 1, requests, waits: vec![wait] };
        let s = svg(&t);
        let marks = s.matches("class=\"mark ").count();
        assert!(marks > 10 && marks < 2_100, "{marks} marks");
        assert_eq!(s.matches("class=\"mark throttle\"").count(), 1);
        assert_eq!(s.matches("class=\"mark fault\"").count(), 1);
        assert!(s.contains("class=\"waited early\"") && s.contains("class=\"asked\""), "{s}");
        assert!(s.contains("/&lt;p&gt;") && !s.contains("/<p>"));
        let tables = tables(&t);
        assert_eq!(tables.matches("<tr class=").count(), 2, "{tables}");
        assert!(tables.contains("too early") && tables.contains("493.0 ms (#10002)"), "{tables}");
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(tick_step(9_000), 1_000);
        assert_eq!(tick_step(15_000_000), 2_000_000);
        assert_eq!(tick_step(0), 1_000);
    }
}
