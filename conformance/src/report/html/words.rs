//! Text made safe for HTML, and findings made readable: mailboxes and `quoted names` stand out, and
//! a snapshot's differing lines become a table of items with where each was expected and found.
//!
//! Every text of a report may be hostile (item ids, folder names, connector output): it is cut into
//! pieces first and each piece escaped, so no markup can come from the text itself.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Most items shown in a snapshot difference table.
const MAX_ITEMS: usize = 200;

/// `text` escaped for HTML text and quoted attribute values.
pub(super) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A finding in words, escaped, with its mailboxes (`a@b.c`) and `quoted names` marked.
pub(super) fn finding(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        // Odd parts were between backticks (an unpaired one leaves the rest as code: harmless).
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", esc(part));
        } else {
            mailboxes(part, &mut out);
        }
    }
    out
}

/// `text` escaped, its words that look like mail addresses marked.
fn mailboxes(text: &str, out: &mut String) {
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.is_empty() {
            return;
        }
        let core = word.trim_end_matches(['.', ',', ';', ':', ')']);
        let core = core.trim_start_matches('(');
        if is_address(core) {
            let at = word.find(core).unwrap_or(0);
            let (head, rest) = word.split_at(at);
            let (addr, tail) = rest.split_at(core.len());
            let _ = write!(out, "{}<span class=\"mbx\">{}</span>{}", esc(head), esc(addr), esc(tail));
        } else {
            out.push_str(&esc(word));
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_whitespace() {
            flush(&mut word, out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, out);
}

fn is_address(w: &str) -> bool {
    let Some((local, domain)) = w.split_once('@') else { return false };
    !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !domain.contains('@')
}

/// Where an item was expected and found, from a snapshot's differing lines.
#[derive(Default)]
struct Places {
    expected: Vec<String>,
    found: Vec<String>,
}

/// One differing line (`- tenant M / F / ID (in expected, not in found)`,
/// `+ failure REASON / ID (…)`) as (item, place, expected side).
fn parse_line(line: &str) -> Option<(String, String, bool)> {
    let (expected, rest) = match line.split_at_checked(2)? {
        ("- ", rest) => (true, rest),
        ("+ ", rest) => (false, rest),
        _ => return None,
    };
    let rest = rest.rsplit_once(" (in ").map_or(rest, |(head, _)| head);
    if let Some(t) = rest.strip_prefix("tenant ") {
        let (place, id) = t.rsplit_once(" / ")?;
        let place = place.strip_suffix(" (empty folder)").unwrap_or(place);
        return Some((id.to_string(), place.to_string(), expected));
    }
    let f = rest.strip_prefix("failure ")?;
    let (reason, id) = f.rsplit_once(" / ")?;
    Some((id.to_string(), format!("reported {reason}"), expected))
}

/// The snapshot's differing lines as a table (item, expected in, found in); lines of another
/// shape are listed below it as they are.
pub(super) fn difference_table(lines: &[String]) -> String {
    let mut items: BTreeMap<String, Places> = BTreeMap::new();
    let mut other = Vec::new();
    for l in lines {
        match parse_line(l) {
            Some((id, place, true)) => items.entry(id).or_default().expected.push(place),
            Some((id, place, false)) => items.entry(id).or_default().found.push(place),
            None => other.push(l),
        }
    }
    let mut out = String::new();
    if !items.is_empty() {
        out.push_str("<table class=\"diff\"><thead><tr><th>item</th><th>expected in</th><th>found in</th></tr></thead><tbody>");
        for (id, p) in items.iter().take(MAX_ITEMS) {
            let cell = |v: &[String]| {
                if v.is_empty() {
                    "<span class=\"none\">nowhere</span>".to_string()
                } else {
                    v.iter().map(|x| finding(x)).collect::<Vec<_>>().join("<br>")
                }
            };
            let _ = write!(out, "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>", esc(id), cell(&p.expected), cell(&p.found));
        }
        out.push_str("</tbody></table>");
        if items.len() > MAX_ITEMS {
            let _ = write!(out, "<p class=\"more\">… and {} more item(s)</p>", items.len() - MAX_ITEMS);
        }
    }
    if !other.is_empty() {
        out.push_str("<ul class=\"findings\">");
        for l in other.iter().take(MAX_ITEMS) {
            let _ = write!(out, "<li>{}</li>", finding(l));
        }
        out.push_str("</ul>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailboxes_and_names_are_marked_and_everything_is_escaped() {
        let f = finding("4 item(s) in he.yun@contoso.cn / `WeChat <Archive>` (ra-01): expected in `WeChat Archiver`");
        assert_eq!(
            f,
            "4 item(s) in <span class=\"mbx\">he.yun@contoso.cn</span> / <code>WeChat &lt;Archive&gt;</code> (ra-01): \
             expected in <code>WeChat Archiver</code>"
        );
        assert_eq!(finding("(a@b.cn)."), "(<span class=\"mbx\">a@b.cn</span>).");
        assert_eq!(finding("x@y <b>"), "x@y &lt;b&gt;");
    }

    #[test]
    fn differing_lines_become_items_with_where_expected_and_found() {
        let lines = [
            "- tenant lu.bin@contoso.cn / WeChat Archiver / ra-01 (in expected, not in found)",
            "+ tenant lu.bin@contoso.cn / WeChat Archive / ra-01 (in found, not in expected)",
            "+ failure oversize / ra-09 (in found, not in expected)",
            "failures: expected has reports, found has none",
        ]
        .map(String::from);
        let t = difference_table(&lines);
        assert!(t.contains("<td><code>ra-01</code></td><td><span class=\"mbx\">lu.bin@contoso.cn</span> / WeChat Archiver</td>"), "{t}");
        assert!(t.contains("/ WeChat Archive</td></tr>"), "{t}");
        assert!(t.contains("<td><code>ra-09</code></td><td><span class=\"none\">nowhere</span></td><td>reported oversize</td>"), "{t}");
        assert!(t.contains("<li>failures: expected has reports, found has none</li>"), "{t}");
    }
}
