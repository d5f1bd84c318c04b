//! An item's participants, read from its `From`, `To` and `Cc` headers with mail-parser.
//!
//! Each participant's display name is `<name> <E.164 mobile>` or just `<name>` (contract, "The
//! item"); the mobile is taken from the end of the display name. Order is kept (From first, then
//! To, then Cc) because routing reports are easier to read that way; routing itself does not
//! depend on the order.

use mail_parser::{Address, MessageParser};

use tm_contract::{MailboxAddress, MobileNumber};

/// Which header a participant came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The actor (`From`).
    From,
    /// A `To` participant.
    To,
    /// A `Cc` participant.
    Cc,
}

/// One participant of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    /// Which header it came from.
    pub role: Role,
    /// The decoded display name, if any.
    pub display_name: Option<String>,
    /// The email address as written, if any (any text makes a `From` usable).
    pub address: Option<String>,
    /// The same address parsed, when it is a mail address (what routing looks up).
    pub mailbox: Option<MailboxAddress>,
    /// The mobile at the end of the display name, if it is a valid E.164 number.
    pub mobile: Option<MobileNumber>,
}

impl Participant {
    /// Builds a participant, deriving the mobile from the display name.
    pub fn new(role: Role, display_name: Option<&str>, address: Option<&str>) -> Participant {
        let display_name = display_name.map(str::trim).filter(|s| !s.is_empty());
        let address = address.map(str::trim).filter(|s| !s.is_empty());
        Participant {
            role,
            mobile: display_name.and_then(MobileNumber::from_display_name),
            display_name: display_name.map(str::to_owned),
            mailbox: address.and_then(|a| MailboxAddress::parse(a).ok()),
            address: address.map(str::to_owned),
        }
    }
}

/// Why an item has no usable participants: reported as `malformed_item`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParticipantsError {
    /// mail-parser found no headers at all.
    #[error("the item is not an RFC 5322 message")]
    NotAMessage,
    /// There is no `From` with an address or a mobile.
    #[error("the item has no usable From participant")]
    NoFrom,
    /// The header block has no `Message-ID` (every archive item has one, docs/contract.md "The
    /// item"; without it an import whose answer was lost cannot be looked for, so may land twice).
    #[error("the item has no Message-ID")]
    NoMessageId,
}

/// The item's `Message-ID` (see [`internet_message_id`]), or why the item is no message that has
/// one: it is not an RFC 5322 message, or it has no `Message-ID`. Checked before routing: such an
/// item is `malformed_item`, never imported.
pub fn message_id(raw: &[u8]) -> Result<String, ParticipantsError> {
    if !starts_with_a_field(raw) {
        return Err(ParticipantsError::NotAMessage);
    }
    let message = MessageParser::default().parse_headers(raw).ok_or(ParticipantsError::NotAMessage)?;
    if message.headers().is_empty() {
        return Err(ParticipantsError::NotAMessage);
    }
    internet_message_id(raw).ok_or(ParticipantsError::NoMessageId)
}

/// Reads the participants of a raw item (headers only; the body is not parsed).
pub fn parse(raw: &[u8]) -> Result<Vec<Participant>, ParticipantsError> {
    let message = MessageParser::default().parse_headers(raw).ok_or(ParticipantsError::NotAMessage)?;
    if message.headers().is_empty() {
        return Err(ParticipantsError::NotAMessage);
    }
    let mut participants = Vec::new();
    push_all(&mut participants, Role::From, message.from());
    let from_is_usable = participants.iter().any(|p| p.address.is_some() || p.mobile.is_some());
    if !from_is_usable {
        return Err(ParticipantsError::NoFrom);
    }
    push_all(&mut participants, Role::To, message.to());
    push_all(&mut participants, Role::Cc, message.cc());
    Ok(participants)
}

/// The item's `Message-ID` with its brackets, as Graph's `internetMessageId` shows it; `None`
/// when the header block has none.
pub fn internet_message_id(raw: &[u8]) -> Option<String> {
    let message = MessageParser::default().parse_headers(raw)?;
    message.message_id().filter(|id| !id.is_empty()).map(|id| format!("<{id}>"))
}

/// Whether the bytes start with a header field: a name of printable ASCII but `:`, then `:`
/// (RFC 5322 §2.2). mail-parser finds headers in almost anything; a blob does not start so.
fn starts_with_a_field(raw: &[u8]) -> bool {
    let name = raw.iter().take_while(|b| matches!(b, 33..=57 | 59..=126)).count();
    name > 0 && raw.get(name) == Some(&b':')
}

fn push_all(out: &mut Vec<Participant>, role: Role, address: Option<&Address<'_>>) {
    let Some(address) = address else { return };
    for addr in address.iter() {
        let participant = Participant::new(role, addr.name(), addr.address());
        if participant.address.is_some() || participant.display_name.is_some() {
            out.push(participant);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ITEM: &str = "Message-ID: <c-1@tm.example>\r\n\
        Date: Fri, 20 Nov 2026 10:00:00 +0000\r\n\
        From: =?utf-8?b?546L5Lyf?= +8613812345678 <wang.wei@contoso.cn>\r\n\
        To: =?utf-8?b?5p2O5aic?= <wxid_lina@wechat.example>, Bob +12015550123 <bob@contoso.cn>\r\n\
        Cc: Carol <carol@contoso.cn>\r\n\
        MIME-Version: 1.0\r\n\
        X-TELEMESSAGE-ArchiveMessageID: c-1\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\
        \r\n\
        hello\r\n";

    #[test]
    fn an_item_is_a_message_with_a_message_id_or_it_is_malformed() {
        assert_eq!(message_id(ITEM.as_bytes()).as_deref(), Ok("<c-1@tm.example>"));
        assert_eq!(message_id(b"\x1f\x8b\x08\x00noise without a header line"), Err(ParticipantsError::NotAMessage));
        assert_eq!(message_id(b""), Err(ParticipantsError::NotAMessage));
        assert_eq!(message_id(b"Fro m: x@y.cn\r\n\r\n"), Err(ParticipantsError::NotAMessage));
        assert_eq!(message_id(b"From: a@b.cn\r\nTo: c@d.cn\r\n\r\nhi"), Err(ParticipantsError::NoMessageId));
        assert_eq!(message_id(b"From: a@b.cn\r\nMessage-ID: <>\r\n\r\nhi"), Err(ParticipantsError::NoMessageId));
    }

    #[test]
    fn from_to_and_cc_participants_are_read_in_order_with_their_mobiles() {
        let p = parse(ITEM.as_bytes()).unwrap();
        assert_eq!(p.len(), 4);
        assert_eq!(p[0].role, Role::From);
        assert_eq!(p[0].display_name.as_deref(), Some("王伟 +8613812345678"));
        assert_eq!(p[0].address.as_deref(), Some("wang.wei@contoso.cn"));
        assert_eq!(p[0].mailbox, Some("Wang.Wei@Contoso.CN".parse().unwrap()));
        assert_eq!(p[0].mobile.as_ref().map(|m| m.as_str()), Some("+8613812345678"));
        assert_eq!(p[1].role, Role::To);
        assert_eq!(p[1].display_name.as_deref(), Some("李娜"));
        assert_eq!(p[1].mobile, None);
        assert_eq!(p[2].mobile.as_ref().map(|m| m.as_str()), Some("+12015550123"));
        assert_eq!(p[3].role, Role::Cc);
        assert_eq!(p[3].address.as_deref(), Some("carol@contoso.cn"));
    }

    /// ROUTE-NESTED: a forwarded chat record's messages and a contact card name people with
    /// their mobiles and addresses; only the item's own From and To are its participants.
    #[test]
    fn route_nested_people_inside_a_chat_record_or_a_card_are_no_participants() {
        for sample in ["chatrecord", "card"] {
            let path = format!("{}/../fixtures/samples/{sample}.eml", env!("CARGO_MANIFEST_DIR"));
            let raw = std::fs::read(&path).unwrap();
            let inside = String::from_utf8_lossy(&raw);
            let full = MessageParser::default().parse(&raw).unwrap();
            let in_a_part = full.parts.iter().any(|p| String::from_utf8_lossy(p.contents()).contains("chen.jie@partner.example"));
            assert!(inside.contains("zhang.min@contoso.cn") || in_a_part, "{sample} quotes someone");
            let p = parse(&raw).unwrap();
            let addresses: Vec<&str> = p.iter().filter_map(|p| p.address.as_deref()).collect();
            assert!(
                addresses.iter().all(|a| ["wang.wei@contoso.cn", "li.na@contoso.cn", "tom.lee@acme.example"].contains(a)),
                "{sample}: {addresses:?}"
            );
            assert!(p.iter().all(|p| p.mobile.as_ref().is_none_or(|m| !["+8613810000003", "+8613910000001"].contains(&m.as_str()))));
        }
    }

    #[test]
    fn an_item_without_from_is_malformed() {
        let raw = "Message-ID: <x@y>\r\nTo: a@b.c\r\n\r\nbody\r\n";
        assert_eq!(parse(raw.as_bytes()), Err(ParticipantsError::NoFrom));
    }

    #[test]
    fn garbage_is_malformed() {
        assert!(parse(b"").is_err());
        assert!(parse(b"\x00\x01\x02 garbage without headers").is_err());
        assert!(parse("just some text\r\n\r\n".as_bytes()).is_err());
    }

    #[test]
    fn a_from_with_only_a_mobile_is_usable() {
        let raw = "From: Wang +8613812345678 <>\r\nTo: a@b.c\r\n\r\nx\r\n";
        let p = parse(raw.as_bytes()).unwrap();
        assert_eq!(p[0].mobile.as_ref().map(|m| m.as_str()), Some("+8613812345678"));
    }

    #[test]
    fn an_address_that_is_no_mail_address_still_makes_a_usable_from_but_no_mailbox() {
        let raw = "From: Daemon <MAILER-DAEMON>\r\nTo: a@b.c\r\n\r\nx\r\n";
        let p = parse(raw.as_bytes()).unwrap();
        assert_eq!(p[0].address.as_deref(), Some("MAILER-DAEMON"));
        assert_eq!(p[0].mailbox, None);
        assert_eq!(p[1].mailbox, Some("a@b.c".parse().unwrap()));
    }
}
