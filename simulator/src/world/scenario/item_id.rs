//! A scripted item's id (`[[item]] id = "…"`): opaque text, as the contract has it.

use toml::Spanned;

use super::ScenarioError;
use super::validate::Ctx;

/// The longest item id a scenario may give, in bytes (its `Message-ID`, percent-encoded, stays
/// well within a header line's 998).
const MAX_ITEM_ID_BYTES: usize = 200;

/// An item id as the contract has it (`tm_contract::ItemId`: any text but empty or holding a
/// control character, so spaces, `#`, `?`, `/`, `+`, `%` and non-ASCII letters are ids), at most
/// [`MAX_ITEM_ID_BYTES`] bytes; the error names the field and line.
pub(super) fn check(ctx: &Ctx<'_>, value: &Spanned<String>, field: &str) -> Result<String, ScenarioError> {
    let v = value.get_ref();
    match v.parse::<tm_contract::ItemId>() {
        Ok(_) if v.len() <= MAX_ITEM_ID_BYTES => Ok(v.clone()),
        Ok(_) => ctx.err(value.span(), field, format!("item id {v:?} is longer than {MAX_ITEM_ID_BYTES} bytes")),
        Err(e) => ctx.err(value.span(), field, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use crate::world::scenario::Scenario;

    fn with_item_id(id: &str) -> Result<Scenario, crate::world::scenario::ScenarioError> {
        let text = format!(
            "name = \"ids\"\nseed = 1\nstart = \"2026-11-20T00:00:00Z\"\n\
             [[employee]]\nid = \"wang\"\nname = \"王伟\"\nemail = \"wang@contoso.cn\"\napp = \"wecom\"\n\
             [[external]]\nid = \"li\"\nname = \"李娜\"\nmobile = \"+8613900001111\"\napp = \"wechat\"\n\
             [[item]]\nid = {}\nat = \"2026-11-20T01:00:00Z\"\nkind = \"chat\"\nfrom = \"wang\"\nto = [\"li\"]\n",
            toml::Value::String(id.to_owned())
        );
        Scenario::from_toml_str(&text, "ids.toml")
    }

    #[test]
    fn item_ids_are_opaque_text_without_control_characters() {
        for id in ["a b", "a#b", "a?b", "a/b", "a+b", "50%", "王伟的消息", "Ünïcödé", "S0001"] {
            assert!(with_item_id(id).is_ok(), "{id}: {:?}", with_item_id(id).err());
        }
        for (bad, says) in
            [("", "control characters"), ("a\tb", "control characters"), ("a\nb", "control"), (&"x".repeat(201), "longer than 200")]
        {
            let e = with_item_id(bad).unwrap_err().to_string();
            assert!(e.contains("ids.toml") && e.contains("item[0].id") && e.contains(says), "{bad:?}: {e}");
        }
    }
}
