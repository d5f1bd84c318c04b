//! The samples of every WeCom message type (`fixtures/samples/<type>.eml`): regenerated from
//! `fixtures/samples/samples.toml` and compared byte for byte (`UPDATE_SAMPLES=1` writes them),
//! read by mail-parser and by Python's email package (no defect in any part), and seen alike.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};
use tm_simulator::{ContentType, Scenario, World};

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/samples")
}

fn samples() -> Vec<(ContentType, Vec<u8>)> {
    let scenario = Scenario::from_path(samples_dir().join("samples.toml")).expect("the samples scenario loads");
    let world = World::generate(scenario).expect("generates");
    world.archive.items().iter().map(|i| (i.spec.content, world.archive.render(i).to_vec())).collect()
}

/// Every part's content type in walk order (nested messages walked into), and every message's
/// From addresses.
fn walk(msg: &Message<'_>, parts: &mut Vec<String>, froms: &mut Vec<Vec<String>>) {
    froms.push(msg.from().map_or(Vec::new(), |f| f.iter().filter_map(|a| a.address().map(str::to_string)).collect()));
    for part in &msg.parts {
        let ct = part.content_type().map_or("text/plain".to_string(), |c| match &c.c_subtype {
            Some(s) => format!("{}/{s}", c.c_type),
            None => c.c_type.to_string(),
        });
        parts.push(ct.to_ascii_lowercase());
        if let PartType::Message(nested) = &part.body {
            walk(nested, parts, froms);
        }
    }
}

#[test]
fn every_content_type_has_a_sample_and_the_samples_are_what_the_simulator_renders() {
    let samples = samples();
    let mut seen: Vec<ContentType> = samples.iter().map(|(t, _)| *t).collect();
    seen.sort();
    let mut all = ContentType::ALL.to_vec();
    all.sort();
    assert_eq!(seen, all, "one sample of every type");
    let update = std::env::var_os("UPDATE_SAMPLES").is_some();
    for (t, bytes) in &samples {
        let path = samples_dir().join(format!("{}.eml", t.as_str()));
        if update {
            std::fs::write(&path, bytes).unwrap();
        }
        let stored = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (UPDATE_SAMPLES=1 writes it)", path.display()));
        assert!(stored == *bytes, "{} is not what the simulator renders (UPDATE_SAMPLES=1 rewrites it)", path.display());
    }
}

#[test]
fn mail_parser_and_pythons_email_read_every_sample_alike_without_defects() {
    let mut ours = BTreeMap::new();
    let mut files = Vec::new();
    for (t, bytes) in samples() {
        let msg = MessageParser::default().parse(&bytes).unwrap_or_else(|| panic!("{} does not parse", t.as_str()));
        assert_eq!(msg.header_raw("X-TELEMESSAGE-ContentType").map(str::trim), Some(t.as_str()));
        let (mut parts, mut froms) = (Vec::new(), Vec::new());
        walk(&msg, &mut parts, &mut froms);
        ours.insert(format!("{}.eml", t.as_str()), (parts, froms));
        files.push(samples_dir().join(format!("{}.eml", t.as_str())));
    }
    let out = Command::new("python3").arg(samples_dir().join("check.py")).args(&files).output().expect("python3 runs");
    assert!(out.status.success(), "Python's email package found defects: {}", String::from_utf8_lossy(&out.stderr));
    let python: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for (file, (parts, froms)) in &ours {
        let p = &python[file];
        let p_parts: Vec<String> = p["parts"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
        assert_eq!(&p_parts, parts, "{file}: the parts mail-parser and Python see");
        let p_froms: Vec<Vec<String>> = serde_json::from_value(p["from"].clone()).unwrap();
        assert_eq!(&p_froms, froms, "{file}: the From of every message");
        assert!(p["md5"].as_array().unwrap().iter().all(|ok| ok == true), "{file}: a Content-MD5 that does not match");
        assert_eq!(p["content_type"].as_str().map(|s| format!("{s}.eml")).as_deref(), Some(file.as_str()));
    }
    let media = ["image", "voice", "video", "emotion", "mixed", "file", "voip_doc_share"];
    for m in media {
        assert_eq!(python[format!("{m}.eml")]["md5"].as_array().map(Vec::len), Some(1), "{m}: its medium's Content-MD5");
    }
    assert!(ours["chatrecord.eml"].1.len() >= 3, "the item and its forwarded messages");
    assert!(ours["card.eml"].0.contains(&"text/vcard".to_string()));
    assert!(ours["meeting.eml"].0.contains(&"text/calendar".to_string()));
    assert!(ours["calendar.eml"].0.contains(&"text/calendar".to_string()));
}

/// Any generated item of any type, from any seed: it parses with mail-parser, names its type,
/// and its top-level From and To are its own participants, never the people it quotes.
#[test]
fn generated_items_of_every_type_parse_and_name_only_their_own_participants() {
    fn prop(seed: u64) -> bool {
        let mut scenario = Scenario::from_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/scenarios/multi-day.toml")).unwrap();
        scenario.seed = seed;
        let world = World::generate(scenario).unwrap();
        let population = &world.archive.population;
        let mut quoting = 0;
        for item in world.archive.items().iter().filter(|i| world.archive.size(i) < 300_000) {
            let spec = &item.spec;
            let bytes = world.archive.render(item).to_vec();
            let msg = MessageParser::default().parse(&bytes).expect("parses");
            assert_eq!(msg.header_raw("X-TELEMESSAGE-ContentType").map(str::trim), Some(spec.content.as_str()));
            assert_eq!(spec.content.kind(), spec.kind, "{}", spec.id);
            let addresses = |list: Option<&mail_parser::Address<'_>>| -> Vec<String> {
                list.map_or(Vec::new(), |l| l.iter().filter_map(|a| a.address().map(str::to_string)).collect())
            };
            let email = |i: u32| population.persons[i as usize].email.clone();
            assert_eq!(addresses(msg.from()), vec![email(spec.actor)]);
            let mut to: Vec<u32> = match spec.conversation {
                tm_simulator::Conversation::Direct(p) => vec![p],
                tm_simulator::Conversation::Group(g) => population.members(g).iter().copied().filter(|m| *m != spec.actor).collect(),
                tm_simulator::Conversation::SelfNote => vec![spec.actor],
            };
            to.sort();
            let mut got = addresses(msg.to());
            got.sort();
            let mut want: Vec<String> = to.iter().map(|i| email(*i)).collect();
            want.sort();
            assert_eq!(got, want, "{}", spec.id);
            for q in &spec.quoted {
                assert!(!got.contains(&email(*q)) && email(*q) != email(spec.actor), "{} quotes a participant", spec.id);
            }
            quoting += usize::from(!spec.quoted.is_empty());
        }
        quoting > 0
    }
    quickcheck::QuickCheck::new().tests(3).quickcheck(prop as fn(u64) -> bool);
}
