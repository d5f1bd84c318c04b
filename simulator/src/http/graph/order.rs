//! `$orderby` on the tenant's Outlook collections (folders, messages), read as OData reads it
//! (<https://learn.microsoft.com/graph/query-parameters#orderby-parameter>): comma-separated keys,
//! each a property path (`receivedDateTime`, `from/emailAddress/address`) with `asc` (the
//! default) or `desc`; items are sorted by the values their resource shows, so every primitive
//! property of the resource sorts, as in Graph. Strings compare ignoring case (as Exchange sorts),
//! `null` first; ties keep the collection's own order. A `$filter` with an `$orderby` over messages
//! follows Graph's rule (the sorted properties first in the filter, in the same order), else 400
//! `InefficientFilter` (<https://learn.microsoft.com/graph/api/user-list-messages#using-filter-and-orderby-in-the-same-query>).

use std::cmp::Ordering;

use serde_json::Value;

use super::odata::Refused;

/// One `$orderby` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The property path, as the resource names it (`from/emailAddress/address`).
    pub path: Vec<&'static str>,
    /// `desc`.
    pub descending: bool,
}

/// The `$orderby` keys over a resource whose properties are `properties` and whose complex
/// properties' members are `members` (`("from", &["emailAddress"])`, `("emailAddress", &["name", "address"])`).
pub struct Sortable<'a> {
    /// The resource's properties, in its order.
    pub properties: &'a [&'static str],
    /// The complex properties' members, by property name.
    pub members: &'a [(&'static str, &'a [&'static str])],
    /// OData's name of the type (for refusals): `microsoft.graph.message`.
    pub type_name: &'a str,
}

/// OData's refusal of a sort key that is no single primitive value.
fn not_primitive() -> Refused {
    Refused::bad_request("The $orderby expression must evaluate to a single value of primitive type.")
}

/// Parses an `$orderby` against a resource: an unknown property is OData's 400 `BadRequest`
/// "Could not find a property named …", a complex or collection property (`toRecipients`, `from`)
/// OData's "must evaluate to a single value of primitive type".
pub fn parse(text: &str, s: &Sortable<'_>) -> Result<Vec<Key>, Refused> {
    let mut keys = Vec::new();
    for part in text.split(',') {
        let mut words = part.split_whitespace();
        let Some(path) = words.next() else {
            return Err(Refused::bad_request(format!("Syntax error at position {} in '{text}'.", text.len())));
        };
        let descending = match words.next().map(str::to_ascii_lowercase).as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => return Err(Refused::bad_request(format!("Syntax error: character '{other}' is not valid in '{text}'."))),
        };
        if words.next().is_some() {
            return Err(Refused::bad_request(format!("Syntax error in '{text}'.")));
        }
        keys.push(Key { path: resolve(path, s)?, descending });
    }
    Ok(keys)
}

/// A property path resolved against the resource, each segment as the resource spells it.
pub(super) fn resolve(path: &str, s: &Sortable<'_>) -> Result<Vec<&'static str>, Refused> {
    let mut out = Vec::new();
    let mut names: &[&'static str] = s.properties;
    let mut owner = s.type_name.to_string();
    for segment in path.split('/') {
        let Some(p) = names.iter().find(|p| p.eq_ignore_ascii_case(segment)) else {
            return Err(Refused::bad_request(format!("Could not find a property named '{segment}' on type '{owner}'.")));
        };
        out.push(*p);
        owner = format!("microsoft.graph.{p}");
        names = s.members.iter().find(|(n, _)| n == p).map_or(&[], |(_, m)| *m);
    }
    Ok(out)
}

/// The value a key reads from a resource (`Null` when absent).
pub(super) fn at<'v>(v: &'v Value, path: &[&str]) -> &'v Value {
    path.iter().fold(v, |v, p| v.get(p).unwrap_or(&Value::Null))
}

/// Compares two values as a sort key: `null` first, strings ignoring case, numbers and booleans
/// by value; an array or object (a complex or collection property) is refused before this.
fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Value::Number(x), Value::Number(y)) => x.as_f64().partial_cmp(&y.as_f64()).unwrap_or(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => a.to_string().cmp(&b.to_string()),
    }
}

/// Checks that the keys name primitive values of `sample` (a resource of the collection): a
/// complex or collection property is OData's refusal.
pub fn check_primitive(keys: &[Key], sample: &Value) -> Result<(), Refused> {
    match keys.iter().any(|k| matches!(at(sample, &k.path), Value::Array(_) | Value::Object(_))) {
        true => Err(not_primitive()),
        false => Ok(()),
    }
}

/// Sorts items by their resources (stable: ties keep the given order).
pub fn sort<T>(items: &mut [(T, Value)], keys: &[Key]) {
    items.sort_by(|(_, a), (_, b)| {
        keys.iter()
            .map(|k| {
                let o = compare(at(a, &k.path), at(b, &k.path));
                if k.descending { o.reverse() } else { o }
            })
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
}

/// Graph's rule for `$filter` with `$orderby` on messages: the sorted properties appear in the
/// filter, in the same order, before any other (`filtered`: the filter's properties in order);
/// else 400 `InefficientFilter` "The restriction or sort order is too complex for this operation."
pub fn check_with_filter(keys: &[Key], filtered: &[&str]) -> Result<(), Refused> {
    let sorted: Vec<String> = keys.iter().map(|k| k.path.join("/")).collect();
    let fits = sorted.len() <= filtered.len() && sorted.iter().zip(filtered).all(|(s, f)| s.eq_ignore_ascii_case(f));
    match fits {
        true => Ok(()),
        false => {
            Err(Refused { code: "InefficientFilter", message: "The restriction or sort order is too complex for this operation.".into() })
        }
    }
}

#[cfg(test)]
mod tests {
    use quickcheck::quickcheck;
    use serde_json::json;

    use super::*;

    const S: Sortable<'static> = Sortable {
        properties: &["id", "subject", "receivedDateTime", "isRead", "from", "toRecipients"],
        members: &[("from", &["emailAddress"]), ("emailAddress", &["name", "address"])],
        type_name: "microsoft.graph.message",
    };

    fn key(path: &[&'static str], descending: bool) -> Key {
        Key { path: path.to_vec(), descending }
    }

    #[test]
    fn orderby_reads_paths_directions_and_lists() {
        assert_eq!(parse("receivedDateTime", &S).unwrap(), vec![key(&["receivedDateTime"], false)]);
        assert_eq!(
            parse("from/EmailAddress/name DESC, subject asc", &S).unwrap(),
            vec![key(&["from", "emailAddress", "name"], true), key(&["subject"], false)]
        );
        let e = parse("shoeSize", &S).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            ("BadRequest", "Could not find a property named 'shoeSize' on type 'microsoft.graph.message'.")
        );
        for bad in ["subject sideways", "subject desc x", "subject,", "from/emailAddress/colour"] {
            assert_eq!(parse(bad, &S).unwrap_err().code, "BadRequest", "{bad}");
        }
        let sample = json!({"from": {"emailAddress": {"name": "a"}}, "toRecipients": []});
        assert!(check_primitive(&parse("from", &S).unwrap(), &sample).is_err());
        assert!(check_primitive(&parse("toRecipients", &S).unwrap(), &sample).is_err());
        assert!(check_primitive(&parse("from/emailAddress/name", &S).unwrap(), &sample).is_ok());
    }

    #[test]
    fn sorting_ignores_case_puts_null_first_and_keeps_ties_in_order() {
        let mut items: Vec<(u8, Value)> = vec![
            (1, json!({"subject": "b", "isRead": true})),
            (2, json!({"subject": "A", "isRead": false})),
            (3, json!({"subject": null, "isRead": true})),
            (4, json!({"subject": "a", "isRead": true})),
        ];
        sort(&mut items, &[key(&["subject"], false)]);
        assert_eq!(items.iter().map(|(n, _)| *n).collect::<Vec<_>>(), [3, 2, 4, 1]);
        sort(&mut items, &[key(&["isRead"], true), key(&["subject"], true)]);
        assert_eq!(items.iter().map(|(n, _)| *n).collect::<Vec<_>>(), [1, 4, 3, 2]);
    }

    #[test]
    fn a_filter_with_an_orderby_follows_graphs_rule() {
        let by = |t: &str| parse(t, &S).unwrap();
        assert!(check_with_filter(&by("subject"), &["subject"]).is_ok());
        assert!(check_with_filter(&by("subject desc"), &["subject", "isRead"]).is_ok());
        assert_eq!(check_with_filter(&by("receivedDateTime desc"), &["subject"]).unwrap_err().code, "InefficientFilter");
        assert_eq!(check_with_filter(&by("isRead,subject"), &["subject", "isRead"]).unwrap_err().code, "InefficientFilter");
    }

    quickcheck! {
        fn sorting_is_a_permutation_in_order(values: Vec<Option<i16>>, descending: bool) -> bool {
            let mut items: Vec<(usize, Value)> = values.iter().enumerate().map(|(i, v)| (i, json!({"n": v}))).collect();
            sort(&mut items, &[Key { path: vec!["n"], descending }]);
            let mut seen: Vec<usize> = items.iter().map(|(i, _)| *i).collect();
            seen.sort_unstable();
            let sorted = items.windows(2).all(|w| {
                let o = compare(&w[0].1["n"], &w[1].1["n"]);
                let o = if descending { o.reverse() } else { o };
                o == Ordering::Less || (o == Ordering::Equal && w[0].0 < w[1].0)
            });
            seen == (0..values.len()).collect::<Vec<_>>() && sorted
        }
    }
}
