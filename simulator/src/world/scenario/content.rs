//! An `[[item]]`'s `content_type` and `quoted`: a WeCom message type of the item's kind, and the
//! people a chat record quotes or a card names (who exist and take no part in the item).

use super::raw::RawItem;
use super::validate::{Ctx, Taken};
use super::{Group, ScenarioError};
use crate::world::content::ContentType;

/// The item's participants as validated: `from`, `to`, `group`.
pub(super) type Participants<'a> = (&'a str, &'a [String], Option<&'a str>);

/// An item's content type (`None` when not given) and quoted people.
pub(super) fn item_content(
    ctx: &Ctx<'_>,
    taken: &Taken,
    i: usize,
    it: &RawItem,
    groups: &[Group],
    (from, to, group): Participants<'_>,
) -> Result<(Option<ContentType>, Vec<String>), ScenarioError> {
    let at = |f: &str| format!("item[{i}].{f}");
    let content_type = match &it.content_type {
        None => None,
        Some(v) => {
            let Some(t) = ContentType::parse(v.get_ref().trim()) else {
                let msg = format!("unknown content type `{}`; one of: {}", v.get_ref(), ContentType::names());
                return ctx.err(v.span(), at("content_type"), msg);
            };
            if t.kind() != it.kind {
                let msg = format!("content type `{}` is of kind {}, not {}", t.as_str(), t.kind().as_str(), it.kind.as_str());
                return ctx.err(v.span(), at("content_type"), msg);
            }
            Some(t)
        }
    };
    let Some(list) = &it.quoted else { return Ok((content_type, Vec::new())) };
    let t = content_type.unwrap_or(ContentType::Text);
    if !t.quotes_people() {
        return ctx.err(list.span(), at("quoted"), "`quoted` is only for content type chatrecord or card");
    }
    if list.get_ref().is_empty() || (t == ContentType::Card && list.get_ref().len() != 1) {
        return ctx.err(list.span(), at("quoted"), "a card names exactly one person, a chat record at least one");
    }
    let members: Vec<&str> =
        group.and_then(|g| groups.iter().find(|x| x.id == g)).map_or(Vec::new(), |g| g.members.iter().map(String::as_str).collect());
    let mut quoted: Vec<String> = Vec::new();
    for (j, q) in list.get_ref().iter().enumerate() {
        let field = at(&format!("quoted[{j}]"));
        let id = q.get_ref().as_str();
        if !matches!(taken.ids.get(id), Some(&"employee") | Some(&"external")) {
            return ctx.err(q.span(), field, format!("no employee or external contact has id `{id}`"));
        }
        if id == from || to.iter().any(|t| t == id) || members.contains(&id) {
            return ctx.err(q.span(), field, format!("`{id}` takes part in the item; quoted people are others"));
        }
        if quoted.iter().any(|x| x == id) {
            return ctx.err(q.span(), field, format!("`{id}` is quoted twice"));
        }
        quoted.push(id.to_string());
    }
    Ok((content_type, quoted))
}

#[cfg(test)]
mod tests {
    use super::super::Scenario;
    use super::*;

    const BASE: &str = "name = \"t\"\nseed = 1\nstart = \"2026-11-20T00:00:00Z\"\n\
        [[employee]]\nid = \"a\"\nname = \"A\"\nemail = \"a@x.cn\"\napp = \"wecom\"\n\
        [[employee]]\nid = \"b\"\nname = \"B\"\nemail = \"b@x.cn\"\napp = \"wecom\"\n\
        [[employee]]\nid = \"c\"\nname = \"C\"\nemail = \"c@x.cn\"\napp = \"wecom\"\n\
        [[item]]\nat = \"2026-11-20T01:00:00Z\"\nfrom = \"a\"\nto = [\"b\"]\n";

    fn load(item: &str) -> Result<Scenario, ScenarioError> {
        Scenario::from_toml_str(&format!("{BASE}{item}"), "t.toml")
    }

    fn refused(item: &str) -> (Option<String>, Option<usize>, String) {
        let e = load(item).unwrap_err();
        (e.field, e.line, e.message)
    }

    #[test]
    fn a_content_type_of_the_kind_and_quoted_people_who_take_no_part_are_read() {
        let s = load("kind = \"chat\"\ncontent_type = \"chatrecord\"\nquoted = [\"c\"]\n").unwrap();
        assert_eq!((s.items[0].content_type, s.items[0].quoted.clone()), (Some(ContentType::Chatrecord), vec!["c".to_string()]));
        assert_eq!(load("kind = \"chat\"\n").unwrap().items[0].content_type, None);
    }

    #[test]
    fn unknown_or_mismatched_types_and_bad_quotes_are_named_with_field_and_line() {
        let (field, line, msg) = refused("kind = \"chat\"\ncontent_type = \"transfer\"\n");
        assert_eq!((field.as_deref(), line), (Some("item[0].content_type"), Some(24)));
        assert!(msg.contains("unknown content type `transfer`") && msg.contains("chatrecord"), "{msg}");
        let (field, _, msg) = refused("kind = \"chat\"\ncontent_type = \"image\"\n");
        assert_eq!(field.as_deref(), Some("item[0].content_type"));
        assert!(msg.contains("of kind attachment, not chat"), "{msg}");
        let (field, _, msg) = refused("kind = \"chat\"\ncontent_type = \"card\"\nquoted = [\"b\"]\n");
        assert_eq!(field.as_deref(), Some("item[0].quoted[0]"));
        assert!(msg.contains("takes part"), "{msg}");
        let (field, _, _) = refused("kind = \"chat\"\ncontent_type = \"card\"\nquoted = [\"nobody\"]\n");
        assert_eq!(field.as_deref(), Some("item[0].quoted[0]"));
        let (field, _, msg) = refused("kind = \"chat\"\nquoted = [\"c\"]\n");
        assert_eq!(field.as_deref(), Some("item[0].quoted"));
        assert!(msg.contains("only for content type chatrecord or card"), "{msg}");
        let (field, _, _) = refused("kind = \"chat\"\ncontent_type = \"card\"\nquoted = [\"c\", \"a\"]\n");
        assert_eq!(field.as_deref(), Some("item[0].quoted"));
    }
}
