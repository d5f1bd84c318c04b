//! The OData query options the tenant's collections take, parsed as Graph reads them
//! (<https://learn.microsoft.com/graph/query-parameters>): `$filter`, `$select`, `$top`, `$skip`,
//! `$count`, `$orderby`, `$search`, `$skiptoken`, plus `includeHiddenFolders` on folders; paging
//! links (`@odata.nextLink`, with `$skip` as Graph writes them for mail folders and messages, with
//! an opaque `$skiptoken` as it writes them for the directory's users). An option a collection does not
//! take, or a value it cannot read, is a [`Refused`]: a Graph 400, never an empty body.

/// A query this tenant refuses, with Graph's code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// Graph's error code.
    pub code: &'static str,
    /// Graph's message.
    pub message: String,
}

impl Refused {
    /// A 400 `BadRequest` with this message.
    pub fn bad_request(message: impl Into<String>) -> Refused {
        Refused { code: "BadRequest", message: message.into() }
    }
}

/// An OData string literal (`'…'`, `''` for a quote) that is the whole of `text`.
pub fn literal(text: &str) -> Option<String> {
    let inner = text.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' && chars.next() != Some('\'') {
            return None;
        }
        out.push(c);
    }
    Some(out)
}

/// `property eq 'value'` (the property in any case, `eq` in any case): the property as written and
/// the value; `None` when `text` is not of that shape.
pub fn eq_clause(text: &str) -> Option<(&str, String)> {
    let t = text.trim();
    let (property, rest) = t.split_once(char::is_whitespace)?;
    let rest = rest.trim_start();
    let (op, value) = rest.split_once(char::is_whitespace)?;
    (op.eq_ignore_ascii_case("eq")).then_some(())?;
    Some((property, literal(value)?))
}

/// An OData boolean (`true` or `false`, any case).
fn boolean(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// The query options of one request to a collection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `$filter`, as given.
    pub filter: Option<String>,
    /// `$select`, as given.
    pub select: Option<String>,
    /// `$top`.
    pub top: Option<usize>,
    /// `$skip`.
    pub skip: usize,
    /// `$count=true`.
    pub count: bool,
    /// `includeHiddenFolders=true`.
    pub include_hidden: bool,
    /// `$orderby`, as given.
    pub orderby: Option<String>,
    /// `$search`, as given.
    pub search: Option<String>,
    /// `$skiptoken`, as given.
    pub skiptoken: Option<String>,
}

/// Reads the query options; `allowed` names the `$` options this collection takes (others are
/// refused); `max_top` bounds `$top` (Graph: 1000 for messages, and mail folders).
pub fn parse(query: &[(String, String)], allowed: &[&str], max_top: usize) -> Result<Options, Refused> {
    let mut o = Options::default();
    let mut seen: Vec<String> = Vec::new();
    for (k, v) in query {
        let key = k.trim();
        // Graph takes system query options with or without the `$` for v1.0 (case-insensitively).
        let name = key.strip_prefix('$').unwrap_or(key).to_ascii_lowercase();
        if seen.contains(&name) {
            return Err(Refused::bad_request(format!(
                "Query option '{key}' was specified more than once, but it must be specified at most once."
            )));
        }
        seen.push(name.clone());
        if name == "includehiddenfolders" && allowed.contains(&"includeHiddenFolders") {
            o.include_hidden =
                boolean(v).ok_or_else(|| Refused::bad_request(format!("Invalid includeHiddenFolders value '{v}': true or false.")))?;
            continue;
        }
        if !["filter", "select", "top", "skip", "count", "orderby", "expand", "search", "format", "skiptoken"].contains(&name.as_str()) {
            if key.starts_with('$') {
                return Err(Refused::bad_request(format!("Query option '{key}' is not allowed.")));
            }
            // Unknown parameters without `$` are ignored, as Graph does.
            continue;
        }
        if !allowed.contains(&name.as_str()) {
            return Err(Refused::bad_request(format!("The query parameter '${name}' is not supported on this resource.")));
        }
        match name.as_str() {
            "filter" => o.filter = Some(v.clone()),
            "select" => o.select = Some(v.clone()),
            "top" => {
                let n: usize = v.trim().parse().map_err(|_| Refused::bad_request(format!("Invalid $top value '{v}'.")))?;
                if n == 0 || n > max_top {
                    return Err(Refused::bad_request(format!("Invalid $top value '{v}': it must be between 1 and {max_top}.")));
                }
                o.top = Some(n);
            }
            // An Edm.Int32, as OData reads `$skip`.
            "skip" => {
                o.skip = v
                    .trim()
                    .parse::<i32>()
                    .ok()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| Refused::bad_request(format!("Invalid $skip value '{v}'.")))?
            }
            "count" => o.count = boolean(v).ok_or_else(|| Refused::bad_request(format!("Invalid $count value '{v}': true or false.")))?,
            "orderby" => o.orderby = Some(v.clone()),
            "search" => o.search = Some(v.clone()),
            "skiptoken" => o.skiptoken = Some(v.clone()),
            _ => unreachable!("only allowed options reach here"),
        }
    }
    Ok(o)
}

/// Reads the query options of a directory collection (`/users`), whose `$top` is the directory's
/// 1 to 999 (<https://learn.microsoft.com/graph/api/user-list>, <https://learn.microsoft.com/graph/paging>):
/// out of range, Graph's 400 `Request_UnsupportedQuery` "Invalid page size specified"; not a
/// non-negative integer, OData's 400 `BadRequest`. Paging is by an opaque `$skiptoken`.
pub fn parse_directory(query: &[(String, String)], allowed: &[&str]) -> Result<Options, Refused> {
    for (k, v) in query {
        let key = k.trim();
        if !key.strip_prefix('$').unwrap_or(key).eq_ignore_ascii_case("top") || !allowed.contains(&"top") {
            continue;
        }
        let Ok(n) = v.trim().parse::<u64>() else {
            return Err(Refused::bad_request(format!(
                "Invalid value '{v}' for $top query option found. The $top query option requires a non-negative integer value."
            )));
        };
        if !(1..=999).contains(&n) {
            return Err(Refused {
                code: "Request_UnsupportedQuery",
                message: format!("Invalid page size specified: '{n}'. Must be between 1 and 999 inclusive."),
            });
        }
    }
    let mut o = parse(query, allowed, 999)?;
    if let Some(t) = &o.skiptoken {
        o.skip = skiptoken_offset(t).ok_or_else(|| Refused::bad_request("Invalid Skip Token"))?;
    }
    Ok(o)
}

const TOKEN_PREFIX: &str = "RFNwdA";

/// The opaque `$skiptoken` of the page starting at `offset`.
fn skiptoken(offset: usize) -> String {
    format!("{TOKEN_PREFIX}{}", hex::encode(format!("users/{offset}")))
}

/// The offset a `$skiptoken` written by [`skiptoken`] stands for.
fn skiptoken_offset(token: &str) -> Option<usize> {
    let bytes = hex::decode(token.trim().strip_prefix(TOKEN_PREFIX)?).ok()?;
    let n = String::from_utf8(bytes).ok()?.strip_prefix("users/")?.parse::<usize>().ok()?;
    (n <= i32::MAX as usize).then_some(n)
}

/// One page of a directory collection: the items from the `$skiptoken`'s offset, `$top` (else
/// `default_top`) of them, and, when more follow, the absolute link to the next page: the
/// request's options (`query`) as given, with a new `$skiptoken`.
pub fn token_page<T>(items: Vec<T>, o: &Options, default_top: usize, url: &str, query: &[(String, String)]) -> (Vec<T>, Option<String>) {
    let top = o.top.unwrap_or(default_top);
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(o.skip).take(top).collect();
    let next = (o.skip.saturating_add(top) < total).then(|| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in query {
            if !k.trim().trim_start_matches('$').eq_ignore_ascii_case("skiptoken") {
                q.append_pair(k, v);
            }
        }
        q.append_pair("$skiptoken", &skiptoken(o.skip + top));
        format!("{url}?{}", q.finish())
    });
    (page, next)
}

/// Parses a `$select` against a resource's properties (any case): the properties asked for, in
/// the resource's order; an unknown one is Graph's 400.
pub fn select(text: &str, properties: &[&'static str], type_name: &str) -> Result<Vec<&'static str>, Refused> {
    let mut out = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let Some(p) = properties.iter().find(|p| p.eq_ignore_ascii_case(name)) else {
            return Err(Refused::bad_request(format!(
                "Parsing OData Select and Expand failed: Could not find a property named '{name}' on type '{type_name}'."
            )));
        };
        if !out.contains(p) {
            out.push(*p);
        }
    }
    out.sort_by_key(|p| properties.iter().position(|x| x == p));
    Ok(out)
}

/// Keeps only the selected properties (and `id` and the `@odata` annotations, as Graph does).
pub fn project(mut value: serde_json::Value, select: Option<&[&'static str]>) -> serde_json::Value {
    if let (Some(props), serde_json::Value::Object(m)) = (select, &mut value) {
        m.retain(|k, _| k == "id" || k.starts_with('@') || props.contains(&k.as_str()));
    }
    value
}

/// One page of a collection: the items `skip..skip+top` and, when more follow, the link to the
/// next page (`url` is the request's absolute URL without query; `query` its options, whose
/// `$top`/`$skip` are replaced).
pub fn page<T>(items: Vec<T>, o: &Options, default_top: usize, url: &str, query: &[(String, String)]) -> (Vec<T>, Option<String>) {
    let top = o.top.unwrap_or(default_top);
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(o.skip).take(top).collect();
    let next = (o.skip.saturating_add(top) < total).then(|| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in query {
            let name = k.trim().trim_start_matches('$').to_ascii_lowercase();
            if name != "top" && name != "skip" {
                q.append_pair(k, v);
            }
        }
        q.append_pair("$top", &top.to_string());
        q.append_pair("$skip", &(o.skip + top).to_string());
        format!("{url}?{}", q.finish())
    });
    (page, next)
}

#[cfg(test)]
mod tests {
    use quickcheck::quickcheck;

    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn options_are_read_as_graph_reads_them() {
        let o = parse(&q(&[("$top", "3"), ("$skip", "6"), ("$count", "true"), ("foo", "bar")]), &["top", "skip", "count"], 1000).unwrap();
        assert_eq!((o.top, o.skip, o.count), (Some(3), 6, true));
        assert_eq!(parse(&q(&[("top", "2")]), &["top"], 1000).unwrap().top, Some(2));
        for bad in [("$top", "x"), ("$top", "0"), ("$top", "1001"), ("$skip", "-1"), ("$count", "yes"), ("$orderby", "x"), ("$bogus", "1")]
        {
            let e = parse(&q(&[bad]), &["top", "skip", "count"], 1000).unwrap_err();
            assert_eq!(e.code, "BadRequest", "{bad:?}");
        }
        assert!(parse(&q(&[("includeHiddenFolders", "true")]), &["includeHiddenFolders"], 10).unwrap().include_hidden);
        assert!(!parse(&q(&[("includeHiddenFolders", "FALSE")]), &["includeHiddenFolders"], 10).unwrap().include_hidden);
        // Found by schemathesis: each was taken before.
        for bad in [
            vec![("includeHiddenFolders", "null")],
            vec![("includeHiddenFolders", "true"), ("includeHiddenFolders", "true")],
            vec![("$top", "2"), ("top", "3")],
            vec![("$skip", "2147483648")],
        ] {
            let e = parse(&q(&bad), &["top", "skip", "count", "includeHiddenFolders"], 1000).unwrap_err();
            assert_eq!(e.code, "BadRequest", "{bad:?}");
        }
        assert_eq!(parse(&q(&[("$skip", "2147483647")]), &["skip"], 1000).unwrap().skip, 2_147_483_647);
    }

    #[test]
    fn eq_clauses_read_property_and_literal() {
        assert_eq!(eq_clause("displayName eq 'WeChat Archiver'"), Some(("displayName", "WeChat Archiver".into())));
        assert_eq!(eq_clause(" internetMessageId  EQ '<a@b>' "), Some(("internetMessageId", "<a@b>".into())));
        assert_eq!(eq_clause("displayName ne 'x'"), None);
        assert_eq!(eq_clause("displayName eq x"), None);
    }

    #[test]
    fn pages_link_to_the_next_until_the_end() {
        let o = Options { top: Some(4), ..Options::default() };
        let (p, next) = page((0..10).collect(), &o, 10, "http://h/graph/v1.0/users/u/mailFolders", &q(&[("$top", "4")]));
        assert_eq!(p, vec![0, 1, 2, 3]);
        assert_eq!(next.as_deref(), Some("http://h/graph/v1.0/users/u/mailFolders?%24top=4&%24skip=4"));
        let o = Options { top: Some(4), skip: 8, ..Options::default() };
        let (p, next) = page((0..10).collect(), &o, 10, "u", &[]);
        assert_eq!((p, next), (vec![8, 9], None));
    }

    #[test]
    fn directory_options_bound_top_as_the_directory_does_and_page_by_token() {
        let all = ["top", "select", "skiptoken"];
        assert_eq!(parse_directory(&q(&[("$top", "999")]), &all).unwrap().top, Some(999));
        for (bad, code) in
            [("0", "Request_UnsupportedQuery"), ("1000", "Request_UnsupportedQuery"), ("x", "BadRequest"), ("-1", "BadRequest")]
        {
            assert_eq!(parse_directory(&q(&[("$top", bad)]), &all).unwrap_err().code, code, "{bad}");
        }
        let o = Options { top: Some(2), ..Options::default() };
        let (p, next) = token_page((0..5).collect(), &o, 100, "http://h/u", &q(&[("$top", "2"), ("$select", "id")]));
        assert_eq!(p, vec![0, 1]);
        let next = next.unwrap();
        let (_, query) = next.split_once('?').unwrap();
        let query: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let o = parse_directory(&query, &all).unwrap();
        assert_eq!((o.skip, o.top), (2, Some(2)));
        let (p, _) = token_page((0..5).collect(), &o, 100, "u", &query);
        assert_eq!(p, vec![2, 3]);
        for bad in ["", "x", "RFNwdAzz", "RFNwdA7573657273"] {
            assert_eq!(parse_directory(&q(&[("$skiptoken", bad)]), &all).unwrap_err().message, "Invalid Skip Token", "{bad}");
        }
    }

    quickcheck! {
        fn a_quoted_literal_reads_back(text: String) -> bool {
            literal(&format!("'{}'", text.replace('\'', "''"))) == Some(text)
        }

        fn paging_visits_every_item_once(n: u8, top: u8) -> bool {
            let top = usize::from(top % 12) + 1;
            let items: Vec<u8> = (0..n).collect();
            let mut seen = Vec::new();
            let mut skip = 0;
            loop {
                let o = Options { top: Some(top), skip, ..Options::default() };
                let (p, next) = page(items.clone(), &o, 10, "u", &[]);
                seen.extend(p);
                if next.is_none() { break; }
                skip += top;
            }
            seen == items
        }
    }
}
