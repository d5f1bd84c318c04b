//! The OData query options the tenant's collections take, parsed as Graph reads them
//! (<https://learn.microsoft.com/graph/query-parameters>): `$filter`, `$select`, `$top`, `$skip`,
//! `$count`, `$orderby`, `$search`, `$skiptoken`, plus `includeHiddenFolders` on folders; paging
//! links (`@odata.nextLink`, with `$skip` as Graph writes them for mail folders and messages, with
//! an opaque `$skiptoken` as it writes them for the directory's users). An option a collection does not
//! take, or a value it cannot read, is a [`Refused`]: a Graph 400, never an empty body, worded as
//! the collection's service words it ([`Service`]: the directory, Outlook). `$filter` and
//! `$orderby` over Outlook resources are read in `filter.rs` and `order.rs`.

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

/// Splits a `$filter` at the logical operator `word` (`or`, `and`; any case) where it stands
/// alone outside string literals: `displayName eq 'a or b' or displayName eq 'c'` is two clauses.
pub fn split_at_word<'t>(text: &'t str, word: &str) -> Vec<&'t str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut gap) = (0, false, true);
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\'' {
            quoted = !quoted;
        } else if !quoted && gap && bytes.len() > i + word.len() && bytes[i..i + word.len()].eq_ignore_ascii_case(word.as_bytes()) {
            let after = bytes[i + word.len()];
            if after.is_ascii_whitespace() {
                out.push(text[start..i].trim());
                start = i + word.len();
                i = start;
                continue;
            }
        }
        gap = !quoted && c.is_ascii_whitespace();
        i += 1;
    }
    out.push(text[start..].trim());
    out
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

/// The service behind a collection: its refusals of an option it does not take are worded as
/// that service words them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// The directory (`/users`): 400 `Request_BadRequest` "'$skip' is not supported by the
    /// service." (a real body: <https://github.com/microsoftgraph/msgraph-metadata/issues/135>),
    /// an unknown `$` option "Unrecognized query argument specified: '…'."
    /// (<https://learn.microsoft.com/graph/known-issues>).
    Directory,
    /// Outlook (folders, messages): OData's 400 `BadRequest` "The query specified in the URI is
    /// not valid. Query option 'Expand' is not allowed. …", as Graph writes it for an option a
    /// resource does not take (real bodies: microsoft-graph-docs-contrib #2556, #8527).
    Mail,
}

impl Service {
    /// The refusal of the system query option `name` (lower case, without `$`; `key` as given)
    /// this collection does not take.
    fn not_allowed(self, name: &str, key: &str) -> Refused {
        match self {
            Service::Directory => Refused { code: "Request_BadRequest", message: format!("'${name}' is not supported by the service.") },
            Service::Mail => Refused::bad_request(format!(
                "The query specified in the URI is not valid. Query option '{}' is not allowed. To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings.",
                option_name(name).unwrap_or(key)
            )),
        }
    }

    /// The refusal of an unknown `$` option (`key` as given).
    fn unknown(self, key: &str) -> Refused {
        match self {
            Service::Directory => {
                Refused { code: "Request_BadRequest", message: format!("Unrecognized query argument specified: '{key}'.") }
            }
            Service::Mail => Refused::bad_request(format!("The query parameter '{key}' is not supported.")),
        }
    }
}

/// The system query options OData knows, lower case without `$`, with the names OData's
/// `AllowedQueryOptions` gives them (the names Graph's refusals use).
const SYSTEM_OPTIONS: [(&str, &str); 10] = [
    ("filter", "Filter"),
    ("select", "Select"),
    ("top", "Top"),
    ("skip", "Skip"),
    ("count", "Count"),
    ("orderby", "OrderBy"),
    ("expand", "Expand"),
    ("search", "Search"),
    ("format", "Format"),
    ("skiptoken", "SkipToken"),
];

/// OData's name of a system query option (`Expand` for `expand`).
fn option_name(name: &str) -> Option<&'static str> {
    SYSTEM_OPTIONS.iter().find(|(n, _)| *n == name).map(|(_, o)| *o)
}

/// OData's refusal of a `$top` or `$skip` that is not a non-negative integer (ODL's wording).
fn not_a_count(option: &str, v: &str) -> Refused {
    Refused::bad_request(format!(
        "Invalid value '{v}' for ${option} query option found. The ${option} query option requires a non-negative integer value."
    ))
}

/// Reads the query options of an Outlook collection (folders, messages); `allowed` names the `$`
/// options it takes (others are refused as Graph refuses them: [`Service::Mail`]); `max_top` is
/// its largest page: Graph documents `$top` from 1 to 1000 for messages
/// (<https://learn.microsoft.com/graph/api/user-list-messages>) and is silent above, so a larger
/// `$top` is a page of `max_top` here, never a refusal.
pub fn parse(query: &[(String, String)], allowed: &[&str], max_top: usize) -> Result<Options, Refused> {
    parse_as(query, allowed, max_top, Service::Mail)
}

/// Reads the query options of a collection of `service`; see [`parse`].
fn parse_as(query: &[(String, String)], allowed: &[&str], max_top: usize, service: Service) -> Result<Options, Refused> {
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
            o.include_hidden = boolean(v).ok_or_else(|| {
                Refused::bad_request(format!("The value '{v}' of the query parameter 'includeHiddenFolders' is not a valid Boolean."))
            })?;
            continue;
        }
        if option_name(&name).is_none() {
            if key.starts_with('$') {
                return Err(service.unknown(key));
            }
            // Unknown parameters without `$` are ignored, as Graph does.
            continue;
        }
        // `$format=json` is what Graph answers anyway (<https://learn.microsoft.com/graph/query-parameters#format-parameter>).
        if name == "format" && ["json", "application/json"].contains(&v.trim().to_ascii_lowercase().as_str()) {
            continue;
        }
        if !allowed.contains(&name.as_str()) {
            return Err(service.not_allowed(&name, key));
        }
        read_option(&mut o, &name, v, max_top)?;
    }
    Ok(o)
}

/// Reads one system query option the collection takes into `o`.
fn read_option(o: &mut Options, name: &str, v: &str, max_top: usize) -> Result<(), Refused> {
    match name {
        "filter" => o.filter = Some(v.to_string()),
        "select" => o.select = Some(v.to_string()),
        "top" => {
            // An Edm.Int32 as the description has it; above 1000 a page of `max_top`.
            let n = v.trim().parse::<i32>().ok().and_then(|n| usize::try_from(n).ok()).ok_or_else(|| not_a_count("top", v))?;
            if n == 0 {
                // Graph: "The minimum value of $top is 1" (<https://learn.microsoft.com/graph/query-parameters#top-parameter>).
                return Err(Refused::bad_request(format!(
                    "Invalid value '{v}' for $top query option found. The minimum value of $top is 1."
                )));
            }
            o.top = Some(n.min(max_top));
        }
        // An Edm.Int32, as OData reads `$skip`.
        "skip" => o.skip = v.trim().parse::<i32>().ok().and_then(|n| usize::try_from(n).ok()).ok_or_else(|| not_a_count("skip", v))?,
        // OData's wording (ODL: "'…' is not a valid count option.").
        "count" => o.count = boolean(v).ok_or_else(|| Refused::bad_request(format!("'{v}' is not a valid count option.")))?,
        "orderby" => o.orderby = Some(v.to_string()),
        "search" => o.search = Some(v.to_string()),
        "skiptoken" => o.skiptoken = Some(v.to_string()),
        _ => unreachable!("only allowed options reach here"),
    }
    Ok(())
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
    let mut o = parse_as(query, allowed, 999, Service::Directory)?;
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
        assert_eq!(parse(&q(&[("$top", "5000")]), &["top"], 1000).unwrap().top, Some(1000), "a page of the largest size");
        assert!(parse(&q(&[("$format", "json")]), &["top"], 1000).is_ok(), "what Graph answers anyway");
        for bad in
            [("$top", "x"), ("$top", "0"), ("$skip", "-1"), ("$count", "yes"), ("$orderby", "x"), ("$bogus", "1"), ("$format", "xml")]
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
    fn refusals_are_worded_as_the_service_words_them() {
        let e = parse(&q(&[("$expand", "attachments")]), &["top"], 1000).unwrap_err();
        assert_eq!(e.code, "BadRequest");
        assert!(e.message.starts_with("The query specified in the URI is not valid. Query option 'Expand' is not allowed."), "{e:?}");
        assert_eq!(
            parse(&q(&[("$top", "x")]), &["top"], 1000).unwrap_err().message,
            "Invalid value 'x' for $top query option found. The $top query option requires a non-negative integer value."
        );
        assert_eq!(parse(&q(&[("$count", "yes")]), &["count"], 1000).unwrap_err().message, "'yes' is not a valid count option.");
        let e = parse_directory(&q(&[("$skip", "5")]), &["top"]).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), ("Request_BadRequest", "'$skip' is not supported by the service."));
        let e = parse_directory(&q(&[("$bogus", "5")]), &["top"]).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), ("Request_BadRequest", "Unrecognized query argument specified: '$bogus'."));
    }

    #[test]
    fn filters_split_at_a_word_outside_literals() {
        assert_eq!(split_at_word("displayName eq 'a' or displayName eq 'b'", "or"), ["displayName eq 'a'", "displayName eq 'b'"]);
        assert_eq!(split_at_word("displayName eq 'a or b' OR x eq 'y'", "or"), ["displayName eq 'a or b'", "x eq 'y'"]);
        assert_eq!(split_at_word("subject eq 'it''s or' and isRead eq false", "or"), ["subject eq 'it''s or' and isRead eq false"]);
        assert_eq!(split_at_word("color eq 'x' or优 eq 'y'", "or"), ["color eq 'x' or优 eq 'y'"]);
        assert_eq!(split_at_word("a eq '收件箱' or b eq '草稿'", "or"), ["a eq '收件箱'", "b eq '草稿'"]);
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
        fn clauses_joined_by_or_split_back(values: Vec<String>) -> bool {
            let values: Vec<String> = values.into_iter().take(5).collect();
            let clauses: Vec<String> = values.iter().map(|v| format!("displayName eq '{}'", v.replace('\'', "''"))).collect();
            if clauses.is_empty() { return true; }
            let joined = clauses.join(" or ");
            let split = split_at_word(&joined, "or");
            split.iter().map(|c| c.strip_prefix("displayName eq ").and_then(literal)).collect::<Vec<_>>() == values.into_iter().map(Some).collect::<Vec<_>>()
        }

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
