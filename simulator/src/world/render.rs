//! Rendering an item as an RFC 5322 message, the way the vendor archives it.
//!
//! Headers and the transcript are built in memory (a few KB). An attachment's bytes are derived
//! from its seed on demand and base64-encoded in chunks while streaming, so an item of any size
//! costs a constant amount of memory. MIME boundaries are derived from the item id, so the same
//! item always renders to the same bytes. Items with an exact size get it by choosing the
//! attachment length and padding the (ignored) multipart preamble with at most 5 spaces.
//!
//! Each WeCom message type ([`ContentType`](crate::world::content::ContentType)) says what it
//! says in the transcript; a card adds a `text/vcard` part, a meeting or calendar event a
//! `text/calendar` part, a chat record one `message/rfc822` part per forwarded message
//! ([`parts`]); a medium's part carries its `Content-MD5`, computed from its seed when the bytes
//! are streamed (the head's size does not depend on it).
//!
//! Hand-written on purpose, not a MIME builder crate: none we know of streams an attachment of
//! any size in constant memory, renders byte-identically from a seed, or hits an exact size.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use chrono::{DateTime, Datelike, Timelike};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::world::item::{Attachment, Conversation, ItemSpec, Media};
use crate::world::people::Population;
use crate::world::scenario::Person;

mod details;
mod md5;
mod parts;

/// The domain of generated `Message-ID`s.
pub const MESSAGE_ID_DOMAIN: &str = "archive.telemessage.sim";

/// Raw bytes per base64 line (76 characters).
const LINE_BYTES: usize = 57;
/// Base64 lines per streamed chunk (about 80 KB of output).
const LINES_PER_CHUNK: usize = 1024;

/// An item ready to stream: head, an optional streamed attachment body, tail.
#[derive(Debug, Clone)]
pub struct Rendered {
    head: Vec<u8>,
    body: Option<(Media, u64, u64)>,
    tail: Vec<u8>,
    /// Where in `head` the attachment's `Content-MD5` goes (24 placeholder bytes).
    md5_at: Option<usize>,
}

impl Rendered {
    /// The raw size in bytes.
    pub fn size(&self) -> u64 {
        self.head.len() as u64 + self.body.map_or(0, |(_, len, _)| encoded_len(len)) + self.tail.len() as u64
    }

    /// The bytes, in chunks of at most ~80 KB.
    pub fn chunks(&self) -> Chunks {
        let mut head = self.head.clone();
        self.patch_md5(&mut head);
        Chunks {
            head: Some(Bytes::from(head)),
            body: self.body.map(|(m, len, seed)| AttachmentStream::new(m, len, seed)),
            tail: Some(Bytes::from(self.tail.clone())),
        }
    }

    /// The bytes in chunks, without copying the head.
    pub fn into_chunks(mut self) -> Chunks {
        let mut head = std::mem::take(&mut self.head);
        self.patch_md5(&mut head);
        Chunks {
            head: Some(Bytes::from(head)),
            body: self.body.map(|(m, len, seed)| AttachmentStream::new(m, len, seed)),
            tail: (!self.tail.is_empty()).then(|| Bytes::from(self.tail)),
        }
    }

    /// Writes the attachment's `Content-MD5` into `head` (one pass over its seeded bytes).
    fn patch_md5(&self, head: &mut [u8]) {
        if let (Some(at), Some((media, len, seed))) = (self.md5_at, self.body) {
            let mut stream = AttachmentStream::new(media, len, seed);
            let mut sum = md5::Md5::new();
            while stream.fill_raw() {
                sum.update(&stream.raw);
            }
            head[at..at + 24].copy_from_slice(STANDARD.encode(sum.finish()).as_bytes());
        }
    }

    /// All the bytes in one piece when the item has no attachment (its head is the whole item).
    pub fn into_single(self) -> Result<Bytes, Rendered> {
        if self.body.is_none() && self.tail.is_empty() { Ok(Bytes::from(self.head)) } else { Err(self) }
    }

    /// All the bytes at once (for small items, files on disk and tests).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.size() as usize);
        for c in self.chunks() {
            v.extend_from_slice(&c);
        }
        v
    }
}

/// Iterator over the chunks of a rendered item.
pub struct Chunks {
    head: Option<Bytes>,
    body: Option<AttachmentStream>,
    tail: Option<Bytes>,
}

impl Iterator for Chunks {
    type Item = Bytes;
    fn next(&mut self) -> Option<Bytes> {
        if let Some(h) = self.head.take() {
            return Some(h);
        }
        if let Some(body) = &mut self.body {
            if let Some(c) = body.next_chunk() {
                return Some(c);
            }
            self.body = None;
        }
        self.tail.take()
    }
}

/// An attachment's bytes (magic prefix, then a ChaCha8 stream) as base64 lines.
struct AttachmentStream {
    magic: &'static [u8],
    rng: ChaCha8Rng,
    produced: u64,
    len: u64,
    /// Scratch buffers, reused from chunk to chunk.
    raw: Vec<u8>,
    encoded: Vec<u8>,
}

impl AttachmentStream {
    fn new(media: Media, len: u64, seed: u64) -> Self {
        AttachmentStream {
            magic: media.magic(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            produced: 0,
            len,
            raw: Vec::new(),
            encoded: Vec::new(),
        }
    }

    /// The next chunk's raw bytes into `raw`; false at the end.
    fn fill_raw(&mut self) -> bool {
        if self.produced >= self.len {
            return false;
        }
        let want = ((self.len - self.produced) as usize).min(LINE_BYTES * LINES_PER_CHUNK);
        let raw = &mut self.raw;
        raw.resize(want, 0);
        let mut from = 0;
        while (self.produced as usize + from) < self.magic.len() && from < want {
            raw[from] = self.magic[self.produced as usize + from];
            from += 1;
        }
        self.rng.fill_bytes(&mut raw[from..]);
        self.produced += want as u64;
        true
    }

    fn next_chunk(&mut self) -> Option<Bytes> {
        if !self.fill_raw() {
            return None;
        }
        let (raw, want) = (&self.raw, self.raw.len());
        // One SIMD pass over the chunk (`base64` encoded line by line at a third of the speed:
        // it was a third of a busy server's CPU), then the lines laid out with CRLF. A line is
        // 57 bytes, a multiple of 3, so the chunk's encoding split every 76 characters is the
        // encoding line by line.
        let encoded = &mut self.encoded;
        encoded.resize(base64_simd::STANDARD.encoded_length(want), 0);
        let encoded = base64_simd::STANDARD.encode(raw, base64_simd::Out::from_slice(encoded));
        let mut out = Vec::with_capacity(encoded.len() + 2 * encoded.len().div_ceil(76));
        for line in encoded.chunks(76) {
            out.extend_from_slice(line);
            out.extend_from_slice(b"\r\n");
        }
        Some(Bytes::from(out))
    }
}

/// Length of `n` bytes as base64 in CRLF-terminated lines of 76 characters.
pub fn encoded_len(n: u64) -> u64 {
    let chars = n.div_ceil(3) * 4;
    chars + 2 * chars.div_ceil(76)
}

pub use crate::world::header_ids::{id_header_value, message_id};

/// Whom an item is addressed to (`To:`): the peer, the group's other members, or the actor
/// for a note to self.
pub fn recipients(item: &ItemSpec, population: &Population) -> Vec<u32> {
    match item.conversation {
        Conversation::Direct(peer) => vec![peer],
        Conversation::Group(g) => population.members(g).iter().copied().filter(|i| *i != item.actor).collect(),
        Conversation::SelfNote => vec![item.actor],
    }
}

/// An item's thread: (`X-TELEMESSAGE-THREAD_ID`, `X-TELEMESSAGE-ThreadName`).
pub fn thread(item: &ItemSpec, population: &Population) -> (String, String) {
    let actor = population.person(item.actor);
    match item.conversation {
        Conversation::Group(g) => {
            let group = &population.groups[g as usize];
            (group.id.clone(), group.name.clone())
        }
        Conversation::Direct(peer) => {
            let mut pair = [actor.id.as_str(), population.person(peer).id.as_str()];
            pair.sort();
            (
                format!("t{:016x}", crate::world::generate::fxhash(&pair.join("|"))),
                format!("{} & {}", actor.name, population.person(peer).name),
            )
        }
        Conversation::SelfNote => {
            (format!("t{:016x}", crate::world::generate::fxhash(&actor.id)), format!("{} & {}", actor.name, actor.name))
        }
    }
}

/// Renders an item.
pub fn render(item: &ItemSpec, population: &Population) -> Rendered {
    let actor = population.person(item.actor);
    let others = recipients(item, population);
    // One allocation for the whole head: a large group's To: list is most of it.
    let to_len: usize = others.iter().map(|i| population.address(*i).len() + 4).sum();
    let mut h = Headers(Vec::with_capacity(2_048 + to_len));
    h.raw("Message-ID", &message_id(&item.id));
    let when = DateTime::from_timestamp_millis(item.captured_ms).unwrap_or_default();
    h.raw("Date", &rfc5322_date(when));
    h.addresses("From", std::iter::once(population.address(item.actor)));
    h.addresses("To", others.iter().map(|i| population.address(*i)));
    let (thread_id, thread_name) = thread(item, population);
    let app = item.source.header();
    let subject = match (item.kind, item.conversation) {
        (_, Conversation::Group(g)) => format!("{app} {}: {} in {}", item.kind.header(), actor.name, population.groups[g as usize].name),
        _ => format!("{app} {}: {thread_name}", item.kind.header()),
    };
    h.text("Subject", &subject);
    h.raw("MIME-Version", "1.0");
    h.raw("X-TELEMESSAGE-ArchiveMessageID", &id_header_value(&item.id));
    h.raw("X-TELEMESSAGE-ArchiveSource", app);
    h.raw("X-TELEMESSAGE-MessageType", item.kind.header());
    h.raw("X-TELEMESSAGE-THREAD_ID", &thread_id);
    h.text("X-TELEMESSAGE-ThreadName", &thread_name);
    if let Conversation::Group(g) = item.conversation {
        let group = &population.groups[g as usize];
        h.raw("X-TELEMESSAGE-GroupID", &group.id);
        h.text("X-TELEMESSAGE-GROUP_NAME", &group.name);
    }
    if let Some(call) = &item.call {
        h.raw("X-TELEMESSAGE-CallType", call.call_type.as_str());
        h.raw("X-TELEMESSAGE-CallDuration", &call.duration.to_string());
    }
    if let Some(r) = &item.recalls {
        h.raw("X-TELEMESSAGE-RecalledMessageID", &id_header_value(r));
    }
    let count = others.len();
    let others: Vec<&Person> = others.iter().take(TRANSCRIPT_PEOPLE).map(|i| population.person(*i)).collect();
    let details = details::details(item, population);
    let transcript = transcript(item, actor, &others, count, &thread_name, &details.text);
    vendor_headers(&mut h, item, actor, &thread_id, &transcript);
    let text_part = base64_lines(transcript.as_bytes());
    if item.attachment.is_none() && details.parts.is_empty() {
        h.raw("Content-Type", "text/plain; charset=utf-8");
        h.raw("Content-Transfer-Encoding", "base64");
        let mut head = h.0;
        head.extend_from_slice(b"\r\n");
        head.extend_from_slice(&text_part);
        return Rendered { head, body: None, tail: Vec::new(), md5_at: None };
    }
    multipart(item, h, &text_part, &details.parts)
}

/// The headers TeleMessage's parsers read beyond the seed's: WeCom's message type, who
/// initiated the archived event, the network, the session, the status, and the integrity of the
/// original (the sha256 of the transcript as captured, in hex).
fn vendor_headers(h: &mut Headers, item: &ItemSpec, actor: &Person, thread_id: &str, transcript: &str) {
    use sha2::Digest;
    h.raw("X-TELEMESSAGE-ContentType", item.content.as_str());
    h.raw("X-TELEMESSAGE-ArchiveInitiator", &actor.email);
    h.raw("X-TELEMESSAGE-Network", item.source.header());
    h.raw("X-TELEMESSAGE-SID", &session_id(thread_id));
    h.raw("X-TELEMESSAGE-Status", if item.recalled { "Recalled" } else { "Delivered" });
    h.raw("X-TELEMESSAGE-OriginalMesageIntegrity", &hex::encode(sha2::Sha256::digest(transcript.as_bytes())));
}

/// The archive session of a conversation (`X-TELEMESSAGE-SID`): stable, one per thread.
pub fn session_id(thread_id: &str) -> String {
    format!("sid{:016x}", crate::world::generate::fxhash(&format!("session|{thread_id}")))
}

/// A multipart item: the transcript, the type's parts, then the streamed attachment, if any.
fn multipart(item: &ItemSpec, h: Headers, text_part: &[u8], parts: &[Vec<u8>]) -> Rendered {
    let boundary = format!("=_tm_{:016x}", crate::world::generate::fxhash(&item.id));
    let mut h = h;
    h.raw("Content-Type", &format!("multipart/mixed; boundary=\"{boundary}\""));
    let mut before = h.0;
    before.extend_from_slice(b"\r\nThis is a multi-part message in MIME format.");
    let mut after = Vec::new();
    after.extend_from_slice(
        format!("\r\n\r\n--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n").as_bytes(),
    );
    after.extend_from_slice(text_part);
    for part in parts {
        after.extend_from_slice(format!("\r\n--{boundary}\r\n").as_bytes());
        after.extend_from_slice(part);
    }
    let Some(att) = &item.attachment else {
        before.extend_from_slice(&after);
        before.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        return Rendered { head: before, body: None, tail: Vec::new(), md5_at: None };
    };
    after.extend_from_slice(format!("\r\n--{boundary}\r\n").as_bytes());
    after.extend_from_slice(attachment_headers(att).as_bytes());
    after.extend_from_slice(b"Content-MD5: ");
    let md5_in_after = after.len();
    after.extend_from_slice(&[b'='; 24]);
    after.extend_from_slice(b"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
    let tail = format!("\r\n--{boundary}--\r\n").into_bytes();
    let fixed = (before.len() + after.len() + tail.len()) as u64;
    let (len, pad) = match (att.len, item.exact_size) {
        (Some(len), _) => (len.max(1), 0),
        (None, Some(target)) => fit(target.saturating_sub(fixed)),
        (None, None) => (100_000, 0),
    };
    before.extend(std::iter::repeat_n(b' ', pad as usize));
    let md5_at = Some(before.len() + md5_in_after);
    before.extend_from_slice(&after);
    Rendered { head: before, body: Some((att.media, len, att.seed)), tail, md5_at }
}

/// The largest attachment length whose encoding fits in `room`, and the padding left over.
fn fit(room: u64) -> (u64, u64) {
    let (mut lo, mut hi) = (1u64, room);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if encoded_len(mid) <= room { lo = mid } else { hi = mid - 1 }
    }
    (lo, room.saturating_sub(encoded_len(lo)))
}

/// How many recipients a transcript names before "(+N more)".
const TRANSCRIPT_PEOPLE: usize = 10;

fn transcript(item: &ItemSpec, actor: &Person, others: &[&Person], count: usize, thread: &str, content: &str) -> String {
    let when = DateTime::from_timestamp_millis(item.captured_ms + 8 * 3_600_000).unwrap_or_default();
    let mut t = String::new();
    t.push_str(&format!("{} {} — {}\r\n", item.source.header(), item.kind.header(), thread));
    t.push_str(&format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} (UTC+8)\r\n",
        when.year(),
        when.month(),
        when.day(),
        when.hour(),
        when.minute(),
        when.second()
    ));
    t.push_str(&format!("From: {}\r\n", label(actor)));
    let to: Vec<String> = others.iter().map(|p| label(p)).collect();
    let more = if count > TRANSCRIPT_PEOPLE { format!(" (+{} more)", count - TRANSCRIPT_PEOPLE) } else { String::new() };
    t.push_str(&format!("To: {}{more}\r\n\r\n", to.join(", ")));
    t.push_str(content);
    t
}

fn label(p: &Person) -> String {
    match &p.mobile {
        Some(m) => format!("{} {m}", p.name),
        None => p.name.clone(),
    }
}

fn attachment_headers(att: &Attachment) -> String {
    let mime = att.media.mime();
    if att.name.is_ascii() && !att.name.contains(['"', '\\']) {
        format!("Content-Type: {mime}; name=\"{0}\"\r\nContent-Disposition: attachment; filename=\"{0}\"\r\n", att.name)
    } else {
        let enc = rfc2231(&att.name);
        format!("Content-Type: {mime};\r\n name*=utf-8''{enc}\r\nContent-Disposition: attachment;\r\n filename*=utf-8''{enc}\r\n")
    }
}

fn rfc2231(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn base64_lines(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in data.chunks(LINE_BYTES) {
        out.extend_from_slice(STANDARD.encode(piece).as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A header block being written: folded, 7-bit, CRLF.
#[derive(Default)]
struct Headers(Vec<u8>);

impl Headers {
    fn raw(&mut self, name: &str, value: &str) {
        self.0.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }

    /// Unstructured text: as is when ASCII, else RFC 2047 encoded words, folded.
    fn text(&mut self, name: &str, value: &str) {
        if value.is_ascii() && value.len() + name.len() < 76 {
            self.raw(name, value);
        } else {
            self.raw(name, &encoded_words(value).join("\r\n "));
        }
    }

    /// An address list, one mailbox per line (entries from [`address_entry`]).
    fn addresses<'a>(&mut self, name: &str, entries: impl Iterator<Item = &'a str>) {
        self.0.extend_from_slice(name.as_bytes());
        self.0.extend_from_slice(b": ");
        for (i, e) in entries.enumerate() {
            if i > 0 {
                self.0.extend_from_slice(b",\r\n ");
            }
            self.0.extend_from_slice(e.as_bytes());
        }
        self.0.extend_from_slice(b"\r\n");
    }
}

/// `Fri, 20 Nov 2026 08:15:02 +0000`, written directly: chrono's strftime parses its pattern
/// for every call, a tenth of the time it took to render a million heads.
fn rfc5322_date(t: DateTime<chrono::Utc>) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000",
        DAYS[t.weekday().num_days_from_monday() as usize],
        t.day(),
        MONTHS[t.month0() as usize],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A person as an entry of an address list: `phrase <email>`. The population renders each
/// person once ([`Population::address`]).
pub fn address_entry(p: &Person) -> String {
    format!("{} <{}>", phrase(&label(p)), p.email)
}

/// A display name as a phrase: atoms when plain ASCII, a quoted string when ASCII with specials,
/// else one RFC 2047 encoded phrase (several encoded words when long).
fn phrase(name: &str) -> String {
    if name.is_ascii() {
        let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~ ".contains(c);
        if name.chars().all(atext) && !name.starts_with(' ') && !name.ends_with(' ') && !name.contains("  ") {
            return name.to_string();
        }
        return format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""));
    }
    encoded_words(name).join(" ")
}

/// RFC 2047 `=?utf-8?b?...?=` words of at most 75 characters, split between characters.
pub(crate) fn encoded_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in s.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(format!("=?utf-8?b?{}?=", STANDARD.encode(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() || words.is_empty() {
        words.push(format!("=?utf-8?b?{}?=", STANDARD.encode(chunk.as_bytes())));
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_rfc_5322_says_and_as_strftime_would() {
        for ms in [0i64, 1_795_000_000_123, 1_798_761_599_999, 951_782_400_000] {
            let t = DateTime::from_timestamp_millis(ms).unwrap();
            assert_eq!(rfc5322_date(t), t.format("%a, %d %b %Y %H:%M:%S +0000").to_string());
        }
    }

    quickcheck::quickcheck! {
        fn attachment_chunks_are_the_line_by_line_base64_of_the_seeded_bytes(len: u32, seed: u64) -> bool {
            let len = len as u64 % 200_000 + 1;
            let mut s = AttachmentStream::new(Media::Pdf, len, seed);
            let mut got = Vec::new();
            while let Some(c) = s.next_chunk() {
                got.extend_from_slice(&c);
            }
            let mut raw = vec![0u8; len as usize];
            let magic = Media::Pdf.magic();
            let m = magic.len().min(raw.len());
            raw[..m].copy_from_slice(&magic[..m]);
            // The stream fills each chunk after the magic from the same generator.
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let chunk = LINE_BYTES * LINES_PER_CHUNK;
            let mut at = 0;
            while at < raw.len() {
                let end = (at + chunk).min(raw.len());
                let from = if at == 0 { m } else { at };
                rng.fill_bytes(&mut raw[from..end]);
                at = end;
            }
            got == base64_lines(&raw)
        }
    }

    #[test]
    fn encoded_length_matches_the_stream() {
        for n in [1u64, 2, 3, 56, 57, 58, 114, 58_368, 58_369, 200_000] {
            let s = AttachmentStream::new(Media::Pdf, n, 7);
            let mut s = s;
            let mut total = 0u64;
            while let Some(c) = s.next_chunk() {
                total += c.len() as u64;
            }
            assert_eq!(total, encoded_len(n), "n={n}");
        }
    }

    #[test]
    fn fit_leaves_at_most_five_bytes_of_padding() {
        for room in 100..2_000u64 {
            let (n, pad) = fit(room);
            assert_eq!(encoded_len(n) + pad, room);
            assert!(pad <= 5, "room={room} pad={pad}");
        }
    }

    #[test]
    fn encoded_words_stay_within_75_characters_and_split_between_characters() {
        let long = "董事会材料准备董事会材料准备董事会材料准备董事会材料准备🚀";
        let words = encoded_words(long);
        assert!(words.len() > 1);
        let mut back = Vec::new();
        for w in &words {
            assert!(w.len() <= 75, "{w}");
            let b64 = w.trim_start_matches("=?utf-8?b?").trim_end_matches("?=");
            let bytes = STANDARD.decode(b64).unwrap();
            assert!(std::str::from_utf8(&bytes).is_ok());
            back.extend(bytes);
        }
        assert_eq!(String::from_utf8(back).unwrap(), long);
    }

    quickcheck::quickcheck! {
        fn any_room_is_filled_exactly_with_at_most_five_bytes_of_padding(room: u32) -> bool {
            let room = room as u64 + 8;
            let (n, pad) = fit(room);
            encoded_len(n) + pad == room && pad <= 5 && encoded_len(n + 1) > room
        }
    }
}
