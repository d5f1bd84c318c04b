//! The item format: every generated item parses with mail-parser and follows the contract.

use std::collections::HashSet;

use mail_parser::{MessageParser, MimeHeaders};
use tm_simulator::{Scenario, World};

use crate::support::small;

fn e164_display_name_ok(name: &str) -> bool {
    // "<name> <E.164>" or a bare name with no phone-like token.
    let tokens: Vec<&str> = name.split_whitespace().collect();
    let phone_like = |t: &str| t.starts_with('+') || (t.len() >= 7 && t.chars().all(|c| c.is_ascii_digit() || "().-".contains(c)));
    match tokens.split_last() {
        None => false,
        Some((last, rest)) if last.starts_with('+') => {
            !rest.is_empty() && last.len() >= 9 && last[1..].chars().all(|c| c.is_ascii_digit()) && !rest.iter().any(|t| phone_like(t))
        }
        Some(_) => !tokens.iter().any(|t| phone_like(t)),
    }
}

/// Checks every `every`-th item plus every call, recall and file; items over `max_size` are skipped
/// (debug builds walk bytes slowly; the small scenario covers the large ones).
fn check_items(state: &World, every: usize, max_size: u64) -> usize {
    let ids: HashSet<&str> = state.archive.items().iter().map(|i| i.spec.id.as_str()).collect();
    let mut checked = 0;
    for (n, item) in state.archive.items().iter().enumerate() {
        let r = state.archive.item_ref(item);
        let special = every == 1 || matches!(r.kind.as_str(), "recall" | "call");
        if (n % every != 0 && !special) || state.archive.size(item) > max_size {
            continue;
        }
        checked += 1;
        let rendered = state.archive.render(item);
        let bytes = rendered.to_vec();
        assert_eq!(bytes.len() as u64, state.archive.size(item), "{}", r.id);
        // CRLF only, no line over 998 octets, 7-bit headers.
        let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n").expect("a header block");
        assert!(bytes[..head_end].is_ascii(), "{}: 8-bit header bytes", r.id);
        for line in bytes.split(|b| *b == b'\n') {
            assert!(line.len() <= 999, "{}: a line of {} octets", r.id, line.len());
        }
        assert_eq!(bytes.iter().filter(|b| **b == b'\n').count(), bytes.windows(2).filter(|w| w == b"\r\n").count(), "{}: bare LF", r.id);

        let msg = MessageParser::default().parse(&bytes).unwrap_or_else(|| panic!("{} does not parse", r.id));
        let header = |name: &str| msg.header_raw(name).map(|v| v.trim().to_string());
        assert_eq!(header("X-TELEMESSAGE-ArchiveMessageID").as_deref(), Some(r.id.as_str()));
        assert_eq!(msg.message_id().unwrap(), format!("{}@archive.telemessage.sim", r.id));
        let source = if r.source.as_str() == "wechat" { "WeChat" } else { "WeCom" };
        assert_eq!(header("X-TELEMESSAGE-ArchiveSource").as_deref(), Some(source));
        let kind = format!("{}{}", r.kind.as_str()[..1].to_uppercase(), &r.kind.as_str()[1..]);
        assert_eq!(header("X-TELEMESSAGE-MessageType"), Some(kind));
        assert!(header("X-TELEMESSAGE-THREAD_ID").is_some_and(|v| !v.is_empty()));
        assert!(header("X-TELEMESSAGE-ThreadName").is_some_and(|v| !v.is_empty()));
        assert_eq!(header("MIME-Version").as_deref(), Some("1.0"));
        assert_eq!(header("X-TELEMESSAGE-GroupID").is_some(), header("X-TELEMESSAGE-GROUP_NAME").is_some());
        let date = msg.date().expect("a Date");
        assert_eq!(date.to_timestamp(), item.spec.captured_ms.div_euclid(1000), "{}", r.id);
        assert_eq!((date.tz_hour, date.tz_minute), (0, 0));

        let from: Vec<_> = msg.from().expect("From").iter().collect();
        assert_eq!(from.len(), 1, "{}: From is the one actor", r.id);
        let to: Vec<_> = msg.to().expect("To is always present").iter().collect();
        assert!(!to.is_empty());
        for a in from.iter().chain(to.iter()) {
            let name = a.name.as_deref().expect("a display name");
            assert!(e164_display_name_ok(name), "{}: display name {name:?}", r.id);
            assert!(a.address.as_deref().is_some_and(|x| x.contains('@') && x.is_ascii()));
        }
        assert!(msg.body_text(0).is_some_and(|t| !t.trim().is_empty()), "{}: a text/plain transcript", r.id);
        match r.kind.as_str() {
            "call" => {
                assert!(matches!(header("X-TELEMESSAGE-CallType").as_deref(), Some("voice" | "video")));
                assert!(header("X-TELEMESSAGE-CallDuration").unwrap().parse::<u32>().is_ok());
            }
            "recall" => {
                let target = header("X-TELEMESSAGE-RecalledMessageID").expect("a recall names its original");
                assert!(ids.contains(target.as_str()) && target != r.id.as_str(), "{}: recalls {target}", r.id);
                let original = state.archive.get(&target).unwrap();
                let gap = item.spec.captured_ms - original.spec.captured_ms;
                assert!((0..=120_000).contains(&gap), "{}: recalled {gap} ms later", r.id);
            }
            "attachment" | "file" => {
                let att = msg.attachments().next().unwrap_or_else(|| panic!("{}: an attachment", r.id));
                assert!(att.attachment_name().is_some_and(|n| n.contains('.')));
                assert!(!att.contents().is_empty());
            }
            _ => {}
        }
        if r.kind.as_str() != "call" {
            assert!(header("X-TELEMESSAGE-CallType").is_none());
        }
        if r.kind.as_str() != "recall" {
            assert!(header("X-TELEMESSAGE-RecalledMessageID").is_none());
        }
    }
    checked
}

#[test]
fn a_one_to_one_item_is_between_two_different_people_and_always_involves_an_employee() {
    for scenario in [small(), Scenario::demo()] {
        let state = World::generate(scenario).unwrap();
        let p = &state.archive.population;
        for item in state.archive.items() {
            let s = &item.spec;
            match s.conversation {
                tm_simulator::Conversation::Direct(peer) => {
                    assert_ne!(peer, s.actor, "{}: a 1:1 item sent to its own sender", s.id);
                    assert!(p.person(peer).employee || p.person(s.actor).employee, "{}: no employee", s.id);
                }
                tm_simulator::Conversation::SelfNote => assert!(p.person(s.actor).employee, "{}", s.id),
                tm_simulator::Conversation::Group(_) => {}
            }
        }
    }
}

#[test]
fn every_item_of_the_small_scenario_parses_and_follows_the_contract() {
    let state = World::generate(small()).unwrap();
    assert_eq!(check_items(&state, 1, u64::MAX), state.archive.items().len());
}

#[test]
fn a_sample_of_the_demo_scenario_parses_and_follows_the_contract() {
    let state = World::generate(Scenario::demo()).unwrap();
    assert!(check_items(&state, 25, 1_000_000) > 500);
}

#[test]
fn every_generated_day_has_one_item_of_exactly_the_limit_and_one_just_over_it() {
    let state = World::generate(Scenario::demo()).unwrap();
    for day in 0..3i64 {
        let start = state.scenario.start.timestamp_millis() + day * 86_400_000;
        let sizes: Vec<u64> = state
            .archive
            .items()
            .iter()
            .filter(|i| (start..start + 86_400_000).contains(&i.spec.captured_ms))
            .map(|i| state.archive.size(i))
            .collect();
        assert!(sizes.contains(&10_485_760), "day {day}");
        assert!(sizes.contains(&10_485_761), "day {day}");
        assert!(sizes.iter().filter(|s| **s > 10_485_761).count() > 0, "day {day}: a share above the limit");
    }
}

#[test]
fn chinese_file_names_use_rfc_2231_and_survive_parsing() {
    let state = World::generate(small()).unwrap();
    let item = state.archive.get("file-1").unwrap();
    let bytes = state.archive.render(item).to_vec();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("filename*=utf-8''"), "RFC 2231 parameter");
    assert!(!text.contains("filename=\"=?"), "no RFC 2047 in parameters");
    let msg = MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(msg.attachments().next().unwrap().attachment_name(), Some("采购合同（草案）.docx"));
    assert_eq!(bytes.len(), 65_536, "a scripted size is exact");
}
