//! Snapshots people review: the small scenario's listing and one rendered item of each kind.
//! Boundaries are derived from the item id, so the rendered bytes are stable.

use mail_parser::MessageParser;
use tm_simulator::World;

use crate::support::small;

#[test]
fn the_listing_of_the_small_scenario() {
    let state = World::generate(small()).unwrap();
    let listing: Vec<_> = state.archive.items().iter().map(|i| state.archive.item_ref(i)).collect();
    insta::assert_yaml_snapshot!("small_listing", listing);
}

/// The item as text: head and tail in full, a large attachment body summarised, and the decoded
/// transcript (the body itself is base64).
fn readable(state: &World, id: &str) -> String {
    let item = state.archive.get(id).unwrap();
    let chunks: Vec<_> = state.archive.render(item).chunks().collect();
    let mut out = String::new();
    let (first, rest) = chunks.split_first().unwrap();
    out.push_str(&String::from_utf8_lossy(first));
    if rest.len() > 1 {
        let (last, middle) = rest.split_last().unwrap();
        let body: usize = middle.iter().map(|c| c.len()).sum();
        let first_line = String::from_utf8_lossy(&middle[0][..78]);
        out.push_str(&first_line);
        out.push_str(&format!("[... {body} bytes of base64 in all ...]\r\n"));
        out.push_str(&String::from_utf8_lossy(last));
    }
    let bytes = state.archive.render(item).to_vec();
    let msg = MessageParser::default().parse(&bytes).unwrap();
    format!("{}\n===== decoded transcript =====\n{}", out.replace("\r\n", "\n"), msg.body_text(0).unwrap().replace("\r\n", "\n"))
}

#[test]
fn one_rendered_item_of_each_kind() {
    let state = World::generate(small()).unwrap();
    for (kind, id) in [("chat", "chat-1"), ("recall", "recall-1"), ("attachment", "photo-1"), ("file", "file-1"), ("call", "call-1")] {
        insta::assert_snapshot!(format!("item_{kind}"), readable(&state, id));
    }
}
