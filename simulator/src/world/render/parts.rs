//! The parts that follow a transcript: a contact card as `text/vcard` (vCard 3.0, RFC 2426), a
//! meeting or calendar event as `text/calendar` (iCalendar, RFC 5545, one `VEVENT`), and a
//! forwarded chat record as one `message/rfc822` part per quoted message (RFC 2046 §5.2.1), each
//! with its own `From`, `To`, `Date` and `Message-ID`: the quoted senders with their mobiles, as
//! an item's participants are written, but they are not the item's participants.

use chrono::{DateTime, Datelike, Timelike};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::details::{EVENTS, china_time, label};
use super::{Headers, MESSAGE_ID_DOMAIN, base64_lines, message_id, rfc5322_date};
use crate::world::content::ContentType;
use crate::world::corpus;
use crate::world::item::ItemSpec;
use crate::world::people::Population;
use crate::world::scenario::Person;

/// A text part in base64: its headers, a blank line, the lines.
fn text_part(content_type: &str, extra: &str, body: &str) -> Vec<u8> {
    let mut part = format!("Content-Type: {content_type}\r\n{extra}Content-Transfer-Encoding: base64\r\n\r\n").into_bytes();
    part.extend_from_slice(&base64_lines(body.as_bytes()));
    part
}

/// Escapes a vCard or iCalendar text value (RFC 2426 §5, RFC 5545 §3.3.11).
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace(',', "\\,").replace(';', "\\;").replace('\n', "\\n")
}

/// Folds a content line at 75 octets, between characters (RFC 5545 §3.1, RFC 2426 §2.6).
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

/// A contact card: name, family and given names, mobile, address, company.
pub(super) fn vcard(p: &Person) -> Vec<u8> {
    let (family, given) = match p.name.rsplit_once(' ') {
        Some((given, family)) => (family.to_string(), given.to_string()),
        None => {
            let mut chars = p.name.chars();
            let family: String = chars.next().into_iter().collect();
            (family, chars.collect())
        }
    };
    let mut card = String::from("BEGIN:VCARD\r\nVERSION:3.0\r\n");
    card.push_str(&fold(&format!("FN:{}", escape(&p.name))));
    card.push_str(&fold(&format!("N:{};{};;;", escape(&family), escape(&given))));
    if let Some(m) = &p.mobile {
        card.push_str(&format!("TEL;TYPE=CELL:{m}\r\n"));
    }
    card.push_str(&format!("EMAIL;TYPE=INTERNET:{}\r\n", p.email));
    if let Some(c) = &p.company {
        card.push_str(&fold(&format!("ORG:{}", escape(c))));
    }
    card.push_str("END:VCARD\r\n");
    text_part("text/vcard; charset=utf-8; name=\"contact.vcf\"", "Content-Disposition: attachment; filename=\"contact.vcf\"\r\n", &card)
}

/// `20261120T081500Z`.
fn ical_time(ms: i64) -> String {
    let t = DateTime::from_timestamp_millis(ms).unwrap_or_default();
    format!("{:04}{:02}{:02}T{:02}{:02}{:02}Z", t.year(), t.month(), t.day(), t.hour(), t.minute(), t.second())
}

/// A meeting or calendar event: its summary lines and its `text/calendar` part.
pub(super) fn event(item: &ItemSpec, organiser: &Person, r: &mut ChaCha8Rng) -> (String, Vec<u8>) {
    let title = EVENTS[r.random_range(0..EVENTS.len())];
    let half_hours = r.random_range(2..=144i64);
    let start = (item.captured_ms / 1_800_000 + half_hours) * 1_800_000;
    let minutes = [30i64, 60, 90][r.random_range(0..3)];
    let end = start + minutes * 60_000;
    let (name, place, _, _) = corpus::PLACES[r.random_range(0..corpus::PLACES.len())];
    let meeting = item.content == ContentType::Meeting;
    let what = if meeting { "会议" } else { "日程" };
    let mut ics =
        String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//TeleMessage Simulator//WeCom Archive//EN\r\nMETHOD:PUBLISH\r\n");
    ics.push_str("BEGIN:VEVENT\r\n");
    ics.push_str(&fold(&format!("UID:{}@{MESSAGE_ID_DOMAIN}", item.id.replace(|c: char| !c.is_ascii_graphic(), "_"))));
    ics.push_str(&format!("DTSTAMP:{}\r\nDTSTART:{}\r\nDTEND:{}\r\n", ical_time(item.captured_ms), ical_time(start), ical_time(end)));
    ics.push_str(&fold(&format!("SUMMARY:{}", escape(title))));
    ics.push_str(&fold(&format!("LOCATION:{}", escape(&format!("{name} {place}")))));
    ics.push_str(&fold(&format!("ORGANIZER;CN=\"{}\":mailto:{}", organiser.name.replace('"', "'"), organiser.email)));
    if meeting {
        ics.push_str(&fold(&format!("DESCRIPTION:{}", escape(&format!("会议号 meeting id {:09}", r.random_range(0..1_000_000_000u32))))));
    }
    ics.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    let summary = format!("[{what}] {title}\n{} – {} (UTC+8)\n{name} {place}", china_time(start), china_time(end));
    let ct = "text/calendar; charset=utf-8; method=PUBLISH; name=\"invite.ics\"";
    (summary, text_part(ct, "Content-Disposition: attachment; filename=\"invite.ics\"\r\n", &ics))
}

/// A forwarded chat record: its summary lines and one `message/rfc822` part per message. The
/// messages alternate between the quoted people (the actor when none is quoted).
pub(super) fn chatrecord(item: &ItemSpec, population: &Population, r: &mut ChaCha8Rng) -> (String, Vec<Vec<u8>>) {
    let people: Vec<u32> = if item.quoted.is_empty() { vec![item.actor] } else { item.quoted.clone() };
    let n = r.random_range(2..=5usize).max(people.len());
    let mut at = item.captured_ms - r.random_range(600_000..86_400_000);
    let mut summary = String::from("[聊天记录] 聊天记录 / Chat history");
    let mut parts = Vec::new();
    for k in 0..n {
        let (from, to) = (people[k % people.len()], people[(k + 1) % people.len()]);
        let text = corpus::CHAT_ZH[r.random_range(0..corpus::CHAT_ZH.len())];
        let sender = population.person(from);
        summary.push_str(&format!("\n{} {}: {text}", china_time(at), sender.name));
        let mut h = Headers::default();
        h.raw("Content-Type", "message/rfc822");
        h.raw("Content-Disposition", "inline");
        h.0.extend_from_slice(b"\r\n");
        h.raw("Message-ID", &message_id(&format!("{}.{}", item.id, k + 1)));
        h.raw("Date", &rfc5322_date(DateTime::from_timestamp_millis(at).unwrap_or_default()));
        h.addresses("From", std::iter::once(population.address(from)));
        h.addresses("To", std::iter::once(population.address(to)));
        h.text("Subject", &format!("{} & {}", sender.name, population.person(to).name));
        h.raw("MIME-Version", "1.0");
        h.raw("X-TELEMESSAGE-ContentType", "text");
        let mut part = h.0;
        part.extend(text_part("text/plain; charset=utf-8", "", &format!("{}: {text}\r\n", label(sender))));
        parts.push(part);
        at += r.random_range(5_000..600_000);
    }
    (summary, parts)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::world::scenario::Scenario;

    const PEOPLE: &str = "name = \"t\"\nseed = 3\nstart = \"2026-11-20T00:00:00Z\"\n\
        [[employee]]\nid = \"a\"\nname = \"王伟\"\nmobile = \"+8613810000001\"\nemail = \"a@x.cn\"\napp = \"wecom\"\n\
        [[employee]]\nid = \"b\"\nname = \"Tom Lee\"\nemail = \"b@x.cn\"\napp = \"wecom\"\n\
        [[external]]\nid = \"c\"\nname = \"陈杰\"\nmobile = \"+8613910000001\"\nemail = \"c@y.example\"\napp = \"wecom\"\ncompany = \"Partner, 伙伴\"\n\
        [[item]]\nid = \"r-1\"\nat = \"2026-11-20T01:00:00Z\"\nkind = \"chat\"\ncontent_type = \"chatrecord\"\nfrom = \"a\"\nto = [\"b\"]\nquoted = [\"c\"]\n";

    fn world() -> (Population, ItemSpec) {
        let s = Scenario::from_toml_str(PEOPLE, "t.toml").unwrap();
        let population = Population::build(&s);
        let item = crate::world::generate::items(&s, &population).unwrap().remove(0);
        (population, item)
    }

    fn decoded(part: &[u8]) -> String {
        let msg = mail_parser::MessageParser::default().parse(part).unwrap();
        String::from_utf8(msg.parts[0].contents().to_vec()).unwrap()
    }

    #[test]
    fn a_vcard_names_the_person_with_mobile_address_and_escaped_company() {
        let (population, _) = world();
        let card = decoded(&vcard(population.person(2)));
        assert!(card.starts_with("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:陈杰\r\nN:陈;杰;;;\r\n"), "{card}");
        assert!(card.contains("TEL;TYPE=CELL:+8613910000001\r\n") && card.contains("EMAIL;TYPE=INTERNET:c@y.example\r\n"));
        assert!(card.contains("ORG:Partner\\, 伙伴\r\n") && card.ends_with("END:VCARD\r\n"));
        assert!(decoded(&vcard(population.person(1))).contains("N:Lee;Tom;;;"));
    }

    #[test]
    fn an_event_is_one_vevent_ending_after_it_starts() {
        let (population, item) = world();
        let (summary, part) = event(&item, population.person(0), &mut ChaCha8Rng::seed_from_u64(1));
        let ics = decoded(&part);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") && ics.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"), "{ics}");
        let field = |name: &str| ics.lines().find_map(|l| l.strip_prefix(name)).unwrap().to_string();
        assert!(field("DTSTART:") < field("DTEND:") && field("DTSTAMP:") < field("DTSTART:"));
        assert!(ics.contains("ORGANIZER;CN=\"王伟\":mailto:a@x.cn") && summary.contains("(UTC+8)"));
    }

    #[test]
    fn a_chat_record_is_forwarded_messages_from_the_quoted_people() {
        let (population, item) = world();
        let (summary, parts) = chatrecord(&item, &population, &mut ChaCha8Rng::seed_from_u64(item.content_seed));
        assert!(parts.len() >= 2 && summary.lines().count() == parts.len() + 1);
        for part in &parts {
            let outer = mail_parser::MessageParser::default().parse(part).unwrap();
            let Some(mail_parser::PartType::Message(nested)) = outer.parts.first().map(|p| &p.body) else { panic!("not a message/rfc822") };
            let from = nested.from().and_then(|f| f.first()).and_then(|a| a.address()).unwrap();
            assert_eq!(from, "c@y.example");
            assert!(nested.date().is_some() && nested.message_id().is_some_and(|m| m.starts_with("r-1.")));
        }
    }

    quickcheck::quickcheck! {
        fn folded_lines_are_at_most_75_octets_and_unfold_to_the_line(line: String) -> bool {
            let line: String = line.chars().filter(|c| !c.is_control()).collect();
            let folded = fold(&line);
            folded.split("\r\n").all(|l| l.len() <= 75) && folded.trim_end_matches("\r\n").replace("\r\n ", "") == line
        }
    }
}
