//! `$filter` on the tenant's Outlook collections (folders, messages), read as Graph reads the
//! common forms (<https://learn.microsoft.com/graph/filter-query-parameter>): comparisons
//! `property op literal` with `eq`, `ne`, `gt`, `ge`, `lt`, `le`, joined by `and` (binding closer)
//! and `or`; the property a path of the resource (`receivedDateTime`,
//! `from/emailAddress/address`); the literal a quoted string (`''` for a quote), `true`, `false`,
//! `null`, a number or a date-time (`2026-11-20T08:00:00Z`, or a date). Strings compare ignoring
//! case (as Exchange compares them). Items are matched on the values their resource shows.
//!
//! Not offered: parentheses, `not`, functions (`startswith`, `contains`, `any`) and `in`: 400
//! `ErrorInvalidUrlQueryFilter` "The query filter contains one or more invalid nodes.", Graph's
//! answer to a filter node it cannot read (microsoft-graph-docs-contrib #523); an unknown property
//! is OData's 400 `BadRequest`.

use std::cmp::Ordering;

use serde_json::Value;

use super::odata::{self, Refused};
use super::order::{Sortable, at, resolve};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
}

/// A literal of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `'…'`
    Text(String),
    /// `true`, `false`
    Bool(bool),
    /// `null`
    Null,
    /// A number.
    Number(f64),
    /// A date-time (Unix seconds).
    DateTime(i64),
}

/// One comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    /// The property path, as the resource spells it.
    pub path: Vec<&'static str>,
    /// The operator.
    pub op: Op,
    /// The literal.
    pub value: Literal,
}

/// A `$filter`: clauses joined by `and` inside each group, the groups by `or`.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// The `or` groups, each a list of `and`-ed clauses.
    pub any: Vec<Vec<Clause>>,
}

/// Graph's refusal of a filter node it cannot read.
pub fn invalid() -> Refused {
    Refused { code: "ErrorInvalidUrlQueryFilter", message: "The query filter contains one or more invalid nodes.".into() }
}

/// A comparison operator by its OData name (any case).
fn op(word: &str) -> Option<Op> {
    Some(match word.to_ascii_lowercase().as_str() {
        "eq" => Op::Eq,
        "ne" => Op::Ne,
        "gt" => Op::Gt,
        "ge" => Op::Ge,
        "lt" => Op::Lt,
        "le" => Op::Le,
        _ => return None,
    })
}

/// A date-time literal: RFC 3339, or a date (its midnight, UTC).
fn date_time(text: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp());
    }
    let d = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp())
}

/// A literal of a comparison; `None` when it is none OData reads.
fn literal(text: &str) -> Option<Literal> {
    let t = text.trim();
    if t.starts_with('\'') {
        return odata::literal(t).map(Literal::Text);
    }
    match t.to_ascii_lowercase().as_str() {
        "true" => return Some(Literal::Bool(true)),
        "false" => return Some(Literal::Bool(false)),
        "null" => return Some(Literal::Null),
        _ => {}
    }
    if let Some(d) = date_time(t) {
        return Some(Literal::DateTime(d));
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite()).map(Literal::Number)
}

/// One comparison `path op literal`.
fn clause(text: &str, s: &Sortable<'_>) -> Result<Clause, Refused> {
    let t = text.trim();
    let (path, rest) = t.split_once(char::is_whitespace).ok_or_else(invalid)?;
    if path.contains('(') {
        return Err(invalid());
    }
    let (word, value) = rest.trim_start().split_once(char::is_whitespace).ok_or_else(invalid)?;
    let op = op(word).ok_or_else(invalid)?;
    let value = literal(value).ok_or_else(invalid)?;
    Ok(Clause { path: resolve(path, s)?, op, value })
}

/// Parses a `$filter` against a resource.
pub fn parse(text: &str, s: &Sortable<'_>) -> Result<Filter, Refused> {
    let any = odata::split_at_word(text, "or")
        .into_iter()
        .map(|group| odata::split_at_word(group, "and").into_iter().map(|c| clause(c, s)).collect::<Result<Vec<_>, _>>())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Filter { any })
}

impl Filter {
    /// The properties the filter names (paths joined by `/`), in the order they first appear.
    pub fn properties(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in self.any.iter().flatten() {
            let p = c.path.join("/");
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }

    /// The top-level properties the filter reads (for a `$select`-like projection).
    pub fn top_level(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for c in self.any.iter().flatten() {
            if !out.contains(&c.path[0]) {
                out.push(c.path[0]);
            }
        }
        out
    }

    /// The value of `property eq '…'` when that is the whole filter.
    pub fn only_eq(&self, property: &str) -> Option<&str> {
        match self.any.as_slice() {
            [group] => match group.as_slice() {
                [Clause { path, op: Op::Eq, value: Literal::Text(v) }] if path.join("/") == property => Some(v),
                _ => None,
            },
            _ => None,
        }
    }

    /// Refuses a filter on a complex or collection property of `sample` (a resource of the
    /// collection), as Graph refuses a node it cannot read.
    pub fn check_primitive(&self, sample: &Value) -> Result<(), Refused> {
        match self.any.iter().flatten().any(|c| matches!(at(sample, &c.path), Value::Array(_) | Value::Object(_))) {
            true => Err(invalid()),
            false => Ok(()),
        }
    }

    /// Whether a resource matches.
    pub fn matches(&self, v: &Value) -> bool {
        self.any.iter().any(|group| group.iter().all(|c| holds(c, at(v, &c.path))))
    }
}

/// Whether a comparison holds for a value (a value of another type than the literal never does).
fn holds(c: &Clause, v: &Value) -> bool {
    let ordering = match (&c.value, v) {
        (Literal::Null, Value::Null) => Some(Ordering::Equal),
        (Literal::Null, _) => return c.op == Op::Ne,
        (_, Value::Null) => return c.op == Op::Ne,
        (Literal::Text(l), Value::String(x)) => Some(x.to_lowercase().cmp(&l.to_lowercase())),
        (Literal::Bool(l), Value::Bool(x)) => Some(x.cmp(l)),
        (Literal::Number(l), Value::Number(x)) => x.as_f64().and_then(|x| x.partial_cmp(l)),
        (Literal::DateTime(l), Value::String(x)) => date_time(x).map(|x| x.cmp(l)),
        _ => None,
    };
    let Some(o) = ordering else { return false };
    match c.op {
        Op::Eq => o == Ordering::Equal,
        Op::Ne => o != Ordering::Equal,
        Op::Gt => o == Ordering::Greater,
        Op::Ge => o != Ordering::Less,
        Op::Lt => o == Ordering::Less,
        Op::Le => o != Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    use quickcheck::quickcheck;
    use serde_json::json;

    use super::*;

    const S: Sortable<'static> = Sortable {
        properties: &["id", "subject", "receivedDateTime", "isRead", "from", "toRecipients", "internetMessageId", "size"],
        members: &[("from", &["emailAddress"]), ("emailAddress", &["name", "address"])],
        type_name: "microsoft.graph.message",
    };

    fn message() -> Value {
        json!({"subject": "Hello", "receivedDateTime": "2026-11-20T08:00:00Z", "isRead": false,
            "from": {"emailAddress": {"address": "a@x.cn"}}, "toRecipients": [], "internetMessageId": "<a@b>", "size": 10})
    }

    #[test]
    fn filters_read_comparisons_joined_by_and_and_or() {
        let m = message();
        for (text, want) in [
            ("subject eq 'hello'", true),
            ("subject ne 'hello'", false),
            ("receivedDateTime ge 2026-11-20T00:00:00Z and receivedDateTime lt 2026-11-21", true),
            ("receivedDateTime gt 2026-11-20T08:00:00+00:00", false),
            ("isRead eq false and from/emailAddress/address eq 'A@x.cn'", true),
            ("isRead eq true or subject eq 'Hello'", true),
            ("isRead eq true or subject eq 'x' and size gt 1", false),
            ("size ge 10 and size le 10.0", true),
            ("subject eq null", false),
            ("subject ne null", true),
            ("isRead eq 'false'", false),
        ] {
            assert_eq!(parse(text, &S).unwrap().matches(&m), want, "{text}");
        }
        for bad in [
            "startswith(subject,'H')",
            "subject in ('a')",
            "(subject eq 'a')",
            "subject eq",
            "not isRead",
            "subject has 'x'",
            "subject eq x",
        ] {
            assert_eq!(parse(bad, &S).unwrap_err().code, "ErrorInvalidUrlQueryFilter", "{bad}");
        }
        assert_eq!(parse("shoeSize eq 'x'", &S).unwrap_err().code, "BadRequest");
        assert!(parse("toRecipients eq 'x'", &S).unwrap().check_primitive(&m).is_err());
    }

    #[test]
    fn a_filter_knows_its_properties() {
        let f = parse("subject eq 'a' and from/emailAddress/address eq 'b' or subject eq 'c'", &S).unwrap();
        assert_eq!(f.properties(), ["subject", "from/emailAddress/address"]);
        assert_eq!(f.top_level(), ["subject", "from"]);
        assert_eq!(f.only_eq("subject"), None);
        assert_eq!(parse("internetMessageId eq '<x@y>'", &S).unwrap().only_eq("internetMessageId"), Some("<x@y>"));
    }

    quickcheck! {
        fn ge_and_lt_split_every_number(x: i32, at_: i32) -> bool {
            let m = json!({"size": x});
            let ge = parse(&format!("size ge {at_}"), &S).unwrap().matches(&m);
            let lt = parse(&format!("size lt {at_}"), &S).unwrap().matches(&m);
            ge != lt && ge == (x >= at_)
        }
    }
}
