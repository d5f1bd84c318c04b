//! How an item's id is written in its headers: the local part of its `Message-ID` and the
//! value of `X-TELEMESSAGE-ArchiveMessageID` (and a recall's `X-TELEMESSAGE-RecalledMessageID`),
//! and how the tenant reads them back. Item ids are opaque strings (contract, "The item"): a
//! space, `#`, `?`, `/`, `+`, `%` or a non-ASCII letter is part of an id, and the item's
//! headers stay valid and 7-bit all the same; an id written as before issue 25 renders as before.

use crate::world::render::MESSAGE_ID_DOMAIN;

/// The `Message-ID` of an item, brackets included: `<{local}@archive.telemessage.sim>`, its
/// local part from [`message_id_local_part`].
pub fn message_id(item_id: &str) -> String {
    format!("<{}@{}>", message_id_local_part(item_id), MESSAGE_ID_DOMAIN)
}

/// An item id as the local part of a `Message-ID` (RFC 5322 §3.6.4 `id-left`, a `dot-atom-text`:
/// `atext` and single dots inside). Ids are opaque strings (contract, "The item"), so a byte
/// that may not stand there — a space, a non-ASCII letter's UTF-8, `"`, `(`, `@`, a leading,
/// trailing or doubled dot — is written `%XX`, and so is `%` itself, which keeps the encoding
/// one-to-one (two items never share a `Message-ID`: exactly-once asks by it). An id that is a
/// dot-atom without `%` (every generated id, every id scenarios could give before) is its own
/// local part, so those items render as they always did.
pub fn message_id_local_part(item_id: &str) -> std::borrow::Cow<'_, str> {
    let atext = |b: u8| b.is_ascii_alphanumeric() || b"!#$&'*+-/=?^_`{|}~".contains(&b);
    let bytes = item_id.as_bytes();
    let dot_ok = |i: usize| i > 0 && i + 1 < bytes.len() && bytes[i - 1] != b'.' && bytes[i + 1] != b'.';
    let literal = |i: usize| atext(bytes[i]) || (bytes[i] == b'.' && dot_ok(i));
    if (0..bytes.len()).all(literal) {
        return std::borrow::Cow::Borrowed(item_id);
    }
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if literal(i) {
            out.push(*b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The item id a `Message-ID` local part stands for (the inverse of [`message_id_local_part`]);
/// `None` when it is no such encoding (a `%` not followed by two hex digits, not UTF-8).
pub fn item_id_of_local_part(local: &str) -> Option<String> {
    if !local.contains('%') {
        return Some(local.to_owned());
    }
    let bytes = local.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = local.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// An item id as the value of an unstructured header (`X-TELEMESSAGE-ArchiveMessageID`,
/// `X-TELEMESSAGE-RecalledMessageID`): the id itself when it is plain (printable ASCII, no space
/// at either end or twice in a row, no `=?`), else RFC 2047 encoded words (UTF-8, base64,
/// folded), as every header of an item stays 7-bit. Mail parsers decode them back to the id
/// (mail-parser reading the header as text, Python's `email` with its default policy);
/// [`read_id_header`] is the tenant's reading.
pub fn id_header_value(id: &str) -> String {
    let plain = id.bytes().all(|b| (0x20..0x7f).contains(&b))
        && !id.starts_with(' ')
        && !id.ends_with(' ')
        && !id.contains("  ")
        && !id.contains("=?");
    if plain { id.to_owned() } else { crate::world::render::encoded_words(id).join("\r\n ") }
}

/// An id header's value (unfolded) back as the id: RFC 2047 encoded words decoded (by
/// mail-parser, as a connector reading the header as text would), a plain value as it is.
pub fn read_id_header(value: &str) -> String {
    if !value.contains("=?") {
        return value.to_owned();
    }
    let name = "X-Id";
    let block = format!("{name}: {value}\r\n\r\n");
    let parsed = mail_parser::MessageParser::new().header_text(mail_parser::HeaderName::Other(name.into())).parse_headers(block.as_bytes());
    parsed.and_then(|m| m.header(name).and_then(|h| h.as_text()).map(str::to_owned)).unwrap_or_else(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use quickcheck::TestResult;

    use super::*;

    const HOSTILE: [&str; 12] =
        ["a b", "a#b", "a?b", "a/b", "a+b", "50%", "王伟的消息", "Ünïcödé", " lead", "trail ", "two  spaces", "=?utf-8?q?x?="];

    #[test]
    fn ordinary_ids_are_written_as_they_always_were() {
        for id in ["tm-20261120-000001", "S0001", "size.max", "a_b", "soak-d0-trunc"] {
            assert_eq!(message_id(id), format!("<{id}@archive.telemessage.sim>"));
            assert_eq!(id_header_value(id), id);
        }
    }

    #[test]
    fn a_local_part_holds_only_atext_and_single_inner_dots() {
        assert_eq!(message_id("a b#c?d/e+f%g"), "<a%20b#c?d/e+f%25g@archive.telemessage.sim>");
        assert_eq!(message_id_local_part("王"), "%E7%8E%8B");
        assert_eq!(message_id_local_part(".a..b."), "%2Ea%2E%2Eb%2E");
        assert_eq!(message_id_local_part("a@b<c>\"d\""), "a%40b%3Cc%3E%22d%22");
    }

    #[test]
    fn mail_parser_reads_the_hostile_ids_back_from_a_rendered_head() {
        for id in HOSTILE {
            let head =
                format!("Message-ID: {}\r\nX-TELEMESSAGE-ArchiveMessageID: {}\r\nSubject: x\r\n\r\n", message_id(id), id_header_value(id));
            assert!(head.is_ascii(), "{head}");
            let name = mail_parser::HeaderName::Other("X-TELEMESSAGE-ArchiveMessageID".into());
            let m = mail_parser::MessageParser::new().with_message_ids().header_text(name).parse_headers(head.as_bytes()).unwrap();
            assert_eq!(m.header("X-TELEMESSAGE-ArchiveMessageID").and_then(|h| h.as_text()), Some(id), "{head}");
            let mid = m.message_id().unwrap_or_else(|| panic!("{head}"));
            let local = mid.strip_suffix("@archive.telemessage.sim").unwrap_or_else(|| panic!("{mid}"));
            assert_eq!(item_id_of_local_part(local).as_deref(), Some(id));
        }
    }

    quickcheck::quickcheck! {
        fn any_item_id_round_trips_through_its_headers(text: String) -> TestResult {
            let Ok(id) = text.parse::<tm_contract::ItemId>() else { return TestResult::discard() };
            let id = id.as_str();
            let value = id_header_value(id);
            let unfolded = value.replace("\r\n ", " ");
            let local = message_id_local_part(id);
            TestResult::from_bool(
                value.is_ascii() && local.is_ascii()
                    && read_id_header(&unfolded) == id
                    && item_id_of_local_part(&local).as_deref() == Some(id)
            )
        }

        fn distinct_ids_have_distinct_message_ids(a: String, b: String) -> bool {
            a == b || message_id(&a) != message_id(&b)
        }
    }
}
