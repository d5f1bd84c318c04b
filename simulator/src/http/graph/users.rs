//! `GET /users` with Graph's query options, as far as a connector needs them to find a mailbox:
//! `$filter` with `mail eq '…'`, `userPrincipalName eq '…'` or
//! `proxyAddresses/any(x:x eq 'smtp:…')` (one clause; string comparison ignores case, as the
//! directory's does), and `$select` over the user resource's properties
//! (<https://learn.microsoft.com/graph/api/user-list>, <https://learn.microsoft.com/graph/aad-advanced-queries>).
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
        Some(p) => format!("https://graph.microsoft.com/v1.0/$metadata#users({})/$entity", p.join(",")),
        None => "https://graph.microsoft.com/v1.0/$metadata#users/$entity".to_string(),
    };
    v.as_object_mut().expect("an object").insert("@odata.context".into(), context.into());
    Ok(v)
}

/// The answer to `GET /users` with these query options (values as given, already decoded).
pub fn list(directory: &Directory, filter: Option<&str>, select: Option<&str>) -> Result<Value, Refused> {
    let filter = filter.map(parse_filter).transpose()?;
    let select = select.map(parse_select).transpose()?;
    let value: Vec<Value> = match &filter {
        // Every filter names an address: its one candidate is found by address, not by a scan
        // of the directory (a connector asks once per address it resolves).
        Some(f) => {
            let address = match f {
                Filter::Mail(v) | Filter::UserPrincipalName(v) => Some(v.trim()),
                Filter::ProxyAddress(v) => v.trim().get(..5).filter(|p| p.eq_ignore_ascii_case("smtp:")).map(|_| &v.trim()[5..]),
            };
            address
                .and_then(|a| directory.by_any_address(a))
                .filter(|(u, t)| matches(f, u, t))
                .map(|(u, t)| resource(u, t, select.as_deref()))
                .into_iter()
                .collect()
        }
        None => directory.all().map(|(u, t)| resource(u, t, select.as_deref())).collect(),
    };
    Ok(json!({ "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", "value": value }))
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
}
