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
