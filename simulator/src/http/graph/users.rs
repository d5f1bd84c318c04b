//! `GET /users` with Graph's query options (<https://learn.microsoft.com/graph/api/user-list>,
//! <https://learn.microsoft.com/graph/aad-advanced-queries>): `$filter` with `mail eq '…'`,
//! `userPrincipalName eq '…'` or `proxyAddresses/any(x:x eq 'smtp:…')` (one clause; string
//! comparison ignores case, as the directory's does), `$select` over the user resource's
//! properties, `$top` (1 to 999; 100 a page by default, `@odata.nextLink` with a `$skiptoken`),
//! `$orderby` `displayName` or `userPrincipalName`, and, with `ConsistencyLevel: eventual`,
//! `$count=true` and `$search`; `GET /users/$count` with that header.
//!
//! Unlike the path lookup, the collection shows every user of the directory, disabled ones and
//! those without a mailbox included, with `accountEnabled` saying which, as Graph does. A filter
//! the subset does not understand answers 400 `Request_UnsupportedQuery`, an unknown `$select`
//! property 400 `BadRequest`, each with Graph's wording.

use serde_json::{Map, Value, json};
use tm_contract::same_address;

use super::odata::{Refused, literal};
use crate::tenant::directory::{Directory, User};
use crate::world::scenario::TenantUser;

/// The user resource's properties this tenant knows, as `$select` names them.
pub const PROPERTIES: [&str; 14] = [
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
    "accountEnabled",
    "proxyAddresses",
    "usageLocation",
];

/// The properties Graph returns without `$select` (the first eleven).
pub const DEFAULT_PROPERTIES: usize = 11;

/// One `$filter` clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// `mail eq '…'`
    Mail(String),
    /// `userPrincipalName eq '…'`
    UserPrincipalName(String),
    /// `proxyAddresses/any(x:x eq '…')`
    ProxyAddress(String),
}

fn unsupported(what: &str) -> Refused {
    Refused {
        code: "Request_UnsupportedQuery",
        message: format!("Unsupported or invalid query filter clause specified for property '{what}' of resource 'User'."),
    }
}

/// Parses a `$filter` value.
pub fn parse_filter(text: &str) -> Result<Filter, Refused> {
    let t = text.trim();
    let (property, rest) = t.split_once(|c: char| c.is_whitespace() || c == '/').ok_or_else(|| unsupported(t))?;
    match property.to_ascii_lowercase().as_str() {
        "mail" | "userprincipalname" => {
            let rest = rest.trim_start();
            let value =
                rest.strip_prefix("eq ").or_else(|| rest.strip_prefix("EQ ")).and_then(literal).ok_or_else(|| unsupported(property))?;
            Ok(if property.eq_ignore_ascii_case("mail") { Filter::Mail(value) } else { Filter::UserPrincipalName(value) })
        }
        "proxyaddresses" if t[property.len()..].starts_with('/') => {
            // any(x:x eq '…'), the lambda variable any name.
            let any = rest.trim().strip_prefix("any(").and_then(|r| r.strip_suffix(')')).ok_or_else(|| unsupported(property))?;
            let (var, body) = any.split_once(':').ok_or_else(|| unsupported(property))?;
            let body = body.trim_start().strip_prefix(var.trim()).ok_or_else(|| unsupported(property))?;
            let value = body.trim_start().strip_prefix("eq ").and_then(literal).ok_or_else(|| unsupported(property))?;
            Ok(Filter::ProxyAddress(value))
        }
        _ => Err(unsupported(property)),
    }
}

/// Parses a `$select` value into the properties asked for (in the resource's order).
pub fn parse_select(text: &str) -> Result<Vec<&'static str>, Refused> {
    super::odata::select(text, &PROPERTIES, "microsoft.graph.user")
}

/// A user's `proxyAddresses`: `SMTP:` the primary address, `smtp:` each other one.
pub fn proxy_addresses(t: &TenantUser) -> Vec<String> {
    let mut out = vec![format!("SMTP:{}", t.mail)];
    for a in std::iter::once(&t.upn).chain(&t.aliases) {
        if !same_address(a, &t.mail) && !out.iter().any(|p| same_address(&p[5..], a)) {
            out.push(format!("smtp:{a}"));
        }
    }
    out
}

fn matches(filter: &Filter, u: &User, t: &TenantUser) -> bool {
    match filter {
        Filter::Mail(v) => same_address(&u.mail, v),
        Filter::UserPrincipalName(v) => same_address(&u.user_principal_name, v),
        Filter::ProxyAddress(v) => proxy_addresses(t).iter().any(|p| p.eq_ignore_ascii_case(v.trim())),
    }
}

/// The user resource: Graph's default property set, or the selected properties.
pub fn resource(u: &User, t: &TenantUser, select: Option<&[&'static str]>) -> Value {
    let all = json!({
        "businessPhones": [],
        "displayName": u.display_name,
        "givenName": null,
        "jobTitle": null,
        "mail": u.mail,
        "mobilePhone": null,
        "officeLocation": null,
        "preferredLanguage": null,
        "surname": null,
        "userPrincipalName": u.user_principal_name,
        "id": u.id,
        "accountEnabled": t.enabled,
        "proxyAddresses": proxy_addresses(t),
        "usageLocation": "CN",
    });
    let props: &[&str] = select.unwrap_or(&PROPERTIES[..DEFAULT_PROPERTIES]);
    let mut m = Map::new();
    for p in props {
        m.insert((*p).to_string(), all[*p].clone());
    }
    Value::Object(m)
}

/// `GET /users/{key}`: the user resource with `@odata.context`.
pub fn one(u: &User, t: &TenantUser, select: Option<&str>) -> Result<Value, Refused> {
    let select = select.map(parse_select).transpose()?;
    let mut v = resource(u, t, select.as_deref());
    let context = match &select {
        Some(p) => format!("{}#users({})/$entity", super::metadata(), p.join(",")),
        None => format!("{}#users/$entity", super::metadata()),
    };
    v.as_object_mut().expect("an object").insert("@odata.context".into(), context.into());
    Ok(v)
}

/// `$orderby`: the property and whether descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// `displayName`
    DisplayName(bool),
    /// `userPrincipalName`
    UserPrincipalName(bool),
}

fn unsortable() -> Refused {
    Refused { code: "Request_UnsupportedQuery", message: "Sorting not supported for current query.".into() }
}

/// Parses an `$orderby`: `displayName` or `userPrincipalName`, `asc` (the default) or `desc`, the
/// two the directory sorts users by without advanced query parameters
/// (<https://learn.microsoft.com/graph/aad-advanced-queries#support-for-sorting-by-properties-of-microsoft-entra-id-directory-objects>);
/// another property of the user is Graph's `Request_UnsupportedQuery`, an unknown one OData's
/// `BadRequest`.
pub fn parse_orderby(text: &str) -> Result<Order, Refused> {
    let mut words = text.split_whitespace();
    let property = words.next().ok_or_else(unsortable)?;
    let desc = match words.next().map(str::to_ascii_lowercase).as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(unsortable()),
    };
    if words.next().is_some() || property.contains(',') {
        return Err(unsortable());
    }
    if property.eq_ignore_ascii_case("displayName") {
        Ok(Order::DisplayName(desc))
    } else if property.eq_ignore_ascii_case("userPrincipalName") {
        Ok(Order::UserPrincipalName(desc))
    } else if PROPERTIES.iter().any(|p| p.eq_ignore_ascii_case(property)) {
        Err(unsortable())
    } else {
        Err(Refused::bad_request(format!("Could not find a property named '{property}' on type 'microsoft.graph.user'.")))
    }
}

/// One `$search` clause: `"property:text"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clause {
    /// `displayName:…`, matched by tokens.
    DisplayName(Vec<String>),
    /// `mail:…`, matched as `startsWith` (ignoring case).
    Mail(String),
    /// `userPrincipalName:…`, matched as `startsWith` (ignoring case).
    UserPrincipalName(String),
}

/// A `$search`: clauses joined by `OR` (outer) and `AND` (inner).
pub type Search = Vec<Vec<Clause>>;

fn bad_search(text: &str) -> Refused {
    Refused::bad_request(format!("Invalid $search value '{text}': clauses are \"property:text\" in double quotes, joined by AND or OR."))
}

/// Parses a `$search` as Graph writes it for directory objects
/// (<https://learn.microsoft.com/graph/search-query-parameter#using-search-on-directory-object-collections>):
/// `"displayName:…"`, `"mail:…"` or `"userPrincipalName:…"` clauses (`\"` and `\\` escaped),
/// joined by upper-case `AND`/`OR` outside the quotes (`AND` binding closer). Parentheses and
/// other properties are not offered here (400).
pub fn parse_search(text: &str) -> Result<Search, Refused> {
    let mut out: Search = vec![Vec::new()];
    let mut chars = text.trim().chars().peekable();
    let mut expect_clause = true;
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '"' if expect_clause => {
                let mut clause = String::new();
                loop {
                    match chars.next().ok_or_else(|| bad_search(text))? {
                        '\\' => clause.push(chars.next().ok_or_else(|| bad_search(text))?),
                        '"' => break,
                        c => clause.push(c),
                    }
                }
                out.last_mut().expect("a conjunction").push(search_clause(&clause)?);
                expect_clause = false;
            }
            'A' | 'O' if !expect_clause => {
                let word: String = std::iter::once(c).chain(std::iter::from_fn(|| chars.next_if(|c| c.is_ascii_alphabetic()))).collect();
                match word.as_str() {
                    "AND" => {}
                    "OR" => out.push(Vec::new()),
                    _ => return Err(bad_search(text)),
                }
                expect_clause = true;
            }
            _ => return Err(bad_search(text)),
        }
    }
    if expect_clause {
        return Err(bad_search(text));
    }
    Ok(out)
}

fn search_clause(clause: &str) -> Result<Clause, Refused> {
    let (property, value) = clause.split_once(':').ok_or_else(|| bad_search(clause))?;
    match property.trim().to_ascii_lowercase().as_str() {
        "displayname" => Ok(Clause::DisplayName(tokens(value))),
        "mail" => Ok(Clause::Mail(value.trim().to_lowercase())),
        "userprincipalname" => Ok(Clause::UserPrincipalName(value.trim().to_lowercase())),
        _ => Err(unsupported(property.trim())),
    }
}

/// Graph's tokens of a directory string (lower-cased): words split at spaces, at a change from
/// lower to upper case, between letters and digits, and at symbols (the symbols dropped, the
/// parts joined by symbols also as one token: `hello.world` is `hello`, `world`, `helloworld`).
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in text.split_whitespace() {
        let (mut parts, mut cur, mut prev, mut symbol) = (Vec::new(), String::new(), None::<char>, false);
        for c in word.chars() {
            let boundary = match prev {
                _ if !c.is_alphanumeric() => true,
                Some(p) => (p.is_lowercase() && c.is_uppercase()) || (p.is_numeric() != c.is_numeric()),
                None => false,
            };
            if boundary && !cur.is_empty() {
                parts.push(std::mem::take(&mut cur));
            }
            if c.is_alphanumeric() {
                cur.extend(c.to_lowercase());
                prev = Some(c);
            } else {
                symbol = true;
                prev = None;
            }
        }
        if !cur.is_empty() {
            parts.push(cur);
        }
        if symbol && parts.len() > 1 {
            out.push(parts.concat());
        }
        out.extend(parts);
    }
    out
}

/// Whether a user matches a clause: every token of the text begins a token of the display name
/// (in any order), or the address begins with the text.
fn found(clause: &Clause, u: &User) -> bool {
    match clause {
        Clause::DisplayName(want) => {
            let have = tokens(&u.display_name);
            want.iter().all(|w| have.iter().any(|h| h.starts_with(w.as_str())))
        }
        Clause::Mail(v) => u.mail.to_lowercase().starts_with(v.as_str()),
        Clause::UserPrincipalName(v) => u.user_principal_name.to_lowercase().starts_with(v.as_str()),
    }
}

/// A `GET /users` (or `/users/$count`) request: its options, and whether it carries
/// `ConsistencyLevel: eventual` (<https://learn.microsoft.com/graph/aad-advanced-queries>).
pub struct Request<'a> {
    /// The query options, read by [`super::odata::parse_directory`].
    pub options: &'a super::odata::Options,
    /// `ConsistencyLevel: eventual` was sent.
    pub eventual: bool,
}

fn search_needs_eventual() -> Refused {
    Refused {
        code: "Request_UnsupportedQuery",
        message:
            "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'"
                .into(),
    }
}

/// The users a request's `$filter`, `$search` and `$orderby` find, in order: the scenario's
/// order unless `$orderby` (ties by id, so the order is stable).
pub fn found_users<'d>(directory: &'d Directory, r: &Request) -> Result<Vec<(&'d User, &'d TenantUser)>, Refused> {
    let o = r.options;
    let filter = o.filter.as_deref().map(parse_filter).transpose()?;
    let search = o.search.as_deref().map(parse_search).transpose()?;
    let order = o.orderby.as_deref().map(parse_orderby).transpose()?;
    if search.is_some() && !r.eventual {
        return Err(search_needs_eventual());
    }
    // $filter with $orderby needs both advanced query parameters.
    if filter.is_some() && order.is_some() && !(r.eventual && o.count) {
        return Err(unsortable());
    }
    let mut users: Vec<(&User, &TenantUser)> = match &filter {
        // Every filter names an address: its one candidate is found by address, not by a scan
        // of the directory (a connector asks once per address it resolves).
        Some(f) => {
            let address = match f {
                Filter::Mail(v) | Filter::UserPrincipalName(v) => Some(v.trim()),
                Filter::ProxyAddress(v) => v.trim().get(..5).filter(|p| p.eq_ignore_ascii_case("smtp:")).map(|_| &v.trim()[5..]),
            };
            address.and_then(|a| directory.by_any_address(a)).filter(|(u, t)| matches(f, u, t)).into_iter().collect()
        }
        None => directory.all().collect(),
    };
    if let Some(s) = &search {
        users.retain(|(u, _)| s.iter().any(|all| all.iter().all(|c| found(c, u))));
    }
    if let Some(order) = order {
        let (key, desc): (fn(&User) -> String, bool) = match order {
            Order::DisplayName(d) => (|u| u.display_name.to_lowercase(), d),
            Order::UserPrincipalName(d) => (|u| u.user_principal_name.to_lowercase(), d),
        };
        users.sort_by(|a, b| {
            let by = key(a.0).cmp(&key(b.0));
            (if desc { by.reverse() } else { by }).then_with(|| a.0.id.cmp(&b.0.id))
        });
    }
    Ok(users)
}

/// Graph's default page of users (<https://learn.microsoft.com/graph/api/user-list>).
pub const PAGE: usize = 100;

/// The answer to `GET /users`: a page of the users found, `@odata.nextLink` (absolute, from
/// `url` and the request's `query`) when more follow, `@odata.count` on the first page when
/// asked for with `ConsistencyLevel: eventual` (without it Graph ignores `$count=true`).
pub fn list(directory: &Directory, r: &Request, url: &str, query: &[(String, String)]) -> Result<Value, Refused> {
    let select = r.options.select.as_deref().map(parse_select).transpose()?;
    let users = found_users(directory, r)?;
    let total = users.len();
    let (page, next) = super::odata::token_page(users, r.options, PAGE, url, query);
    let context = match &select {
        Some(p) => format!("{}#users({})", super::metadata(), p.join(",")),
        None => format!("{}#users", super::metadata()),
    };
    let mut body = Map::new();
    body.insert("@odata.context".into(), context.into());
    if r.options.count && r.eventual && r.options.skiptoken.is_none() {
        body.insert("@odata.count".into(), total.into());
    }
    if let Some(next) = next {
        body.insert("@odata.nextLink".into(), next.into());
    }
    body.insert("value".into(), page.into_iter().map(|(u, t)| resource(u, t, select.as_deref())).collect::<Vec<_>>().into());
    Ok(Value::Object(body))
}

/// The answer to `GET /users/$count`: the number of users found, which Graph gives only with
/// `ConsistencyLevel: eventual` (else 400 `Request_BadRequest`, "$count is not currently supported.").
pub fn count(directory: &Directory, r: &Request) -> Result<usize, Refused> {
    if !r.eventual {
        return Err(Refused { code: "Request_BadRequest", message: "$count is not currently supported.".into() });
    }
    Ok(found_users(directory, r)?.len())
}

/// Graph's 400 for collection options on a single user (`GET /users/{key}?$top=…`), or `None`.
pub fn not_a_collection(query: &[(String, String)]) -> Option<Refused> {
    let collection_only = ["filter", "orderby", "count", "skip", "top"];
    query.iter().any(|(k, _)| collection_only.iter().any(|c| k.trim().trim_start_matches('$').eq_ignore_ascii_case(c))).then(|| {
        Refused::bad_request(
            "The query specified in the URI is not valid. The requested resource is not a collection. Query options $filter, $orderby, $count, $skip, and $top can be applied only on collections.",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_filters_parse_as_graph_writes_them() {
        assert_eq!(parse_filter("mail eq 'a@x.cn'"), Ok(Filter::Mail("a@x.cn".into())));
        assert_eq!(parse_filter("userPrincipalName eq 'o''brien@x.cn'"), Ok(Filter::UserPrincipalName("o'brien@x.cn".into())));
        assert_eq!(parse_filter("proxyAddresses/any(x:x eq 'smtp:b@x.cn')"), Ok(Filter::ProxyAddress("smtp:b@x.cn".into())));
        assert_eq!(parse_filter("proxyAddresses/any(p: p eq 'SMTP:b@x.cn')"), Ok(Filter::ProxyAddress("SMTP:b@x.cn".into())));
        for bad in ["", "mail", "mail eq a@x.cn", "mail eq 'a", "displayName eq 'x'", "mail eq 'a' or mail eq 'b'", "proxyAddresses eq 'x'"]
        {
            let e = parse_filter(bad).unwrap_err();
            assert_eq!(e.code, "Request_UnsupportedQuery", "{bad}");
        }
    }

    #[test]
    fn select_names_known_properties_in_any_case_and_refuses_others() {
        assert_eq!(parse_select("mail, ID,mail"), Ok(vec!["mail", "id"]), "in the resource's order");
        let e = parse_select("id,shoeSize").unwrap_err();
        assert_eq!(e.code, "BadRequest");
        assert!(e.message.contains("'shoeSize'"), "{}", e.message);
    }

    #[test]
    fn tokens_split_as_graph_documents() {
        assert_eq!(tokens("hello world"), ["hello", "world"]);
        assert_eq!(tokens("HelloWorld"), ["hello", "world"]);
        assert_eq!(tokens("HELLOworld"), ["helloworld"]);
        assert_eq!(tokens("hello.world"), ["helloworld", "hello", "world"]);
        assert_eq!(tokens("hello123world"), ["hello", "123", "world"]);
        assert_eq!(tokens("李四(David Li)"), ["李四david", "李四", "david", "li"]);
    }

    #[test]
    fn search_clauses_parse_and_match_by_token_prefix() {
        let u = |name: &str| User {
            id: "1".into(),
            user_principal_name: "d.li@x.cn".into(),
            mail: "David.Li@x.cn".into(),
            display_name: name.into(),
        };
        let hit = |search: &str, name: &str| parse_search(search).unwrap().iter().any(|all| all.iter().all(|c| found(c, &u(name))));
        for q in
            ["\"displayName:李四(David Li)\"", "\"displayName:李四\"", "\"displayName:Li 李\"", "\"displayName:dav\"", "\"mail:david.\""]
        {
            assert!(hit(q, "李四(David Li)"), "{q}");
        }
        assert!(!hit("\"displayName:avid\"", "李四(David Li)"), "no contains logic");
        assert!(hit("\"displayName:nobody\" OR \"userPrincipalName:D.LI\"", "x"));
        assert!(!hit("\"displayName:nobody\" AND \"mail:david\"", "x"));
        for bad in ["displayName:x", "\"displayName:x", "\"displayName:x\" and \"mail:y\"", "(\"mail:x\")", "\"mail:x\" OR", "\"x\""] {
            assert_eq!(parse_search(bad).unwrap_err().code, "BadRequest", "{bad}");
        }
        assert_eq!(parse_search("\"jobTitle:x\"").unwrap_err().code, "Request_UnsupportedQuery");
    }

    #[test]
    fn orderby_takes_the_two_default_sort_keys() {
        assert_eq!(parse_orderby("displayName"), Ok(Order::DisplayName(false)));
        assert_eq!(parse_orderby("userprincipalname DESC"), Ok(Order::UserPrincipalName(true)));
        for (bad, code) in [
            ("mail", "Request_UnsupportedQuery"),
            ("displayName up", "Request_UnsupportedQuery"),
            ("shoeSize", "BadRequest"),
            ("", "Request_UnsupportedQuery"),
        ] {
            assert_eq!(parse_orderby(bad).unwrap_err().code, code, "{bad}");
        }
    }
}
