//! The traffic generator: a deterministic stream of WeChat and WeCom events for a population.
//!
//! One `ChaCha8Rng` per generated day, seeded from the scenario seed and the day number, draws
//! events employee by employee in index order; the result is sorted by `(captured_at, id)`.
//! The same scenario therefore always yields the same items, ids and listing.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::world::content::ContentType;
use crate::world::item::{Attachment, Conversation, ItemSpec, Media};
use crate::world::people::Population;
use crate::world::scenario::{CallSpec, CallType, Kind, Scenario, ScenarioError, Traffic};
use crate::world::{corpus, faker};

/// The import limit of a connector: 10 MB (the contract's).
pub use tm_contract::MAX_ITEM_BYTES;

/// Relative activity per hour of the day in China time (UTC+8): quiet nights, busy office hours,
/// an evening bump.
const HOURLY: [f64; 24] =
    [0.6, 0.3, 0.15, 0.1, 0.1, 0.2, 0.8, 2.0, 4.5, 7.0, 8.0, 7.5, 5.0, 5.5, 7.5, 8.0, 7.5, 6.5, 5.0, 4.5, 5.0, 4.5, 3.0, 1.5];

/// Every item of a scenario: generated traffic plus scripted items, sorted by `(captured_ms, id)`.
pub fn items(scenario: &Scenario, population: &Population) -> Result<Vec<ItemSpec>, ScenarioError> {
    let mut out = Vec::new();
    let mut ids: HashSet<String> = scenario.items.iter().map(|i| i.id.clone()).collect();
    if let Some(traffic) = &scenario.traffic {
        for day in 0..traffic.days {
            generate_day(scenario, traffic, population, day, &mut ids, &mut out);
        }
    }
    for s in &scenario.items {
        out.push(scripted(scenario, population, s)?);
    }
    out.sort_by(|a, b| (a.captured_ms, a.id.as_bytes()).cmp(&(b.captured_ms, b.id.as_bytes())));
    crate::world::arrival::arrive(scenario, population, &mut out);
    Ok(out)
}

fn scripted(scenario: &Scenario, population: &Population, s: &crate::world::scenario::ScriptedItem) -> Result<ItemSpec, ScenarioError> {
    let actor = population.person_index(&s.from).expect("validated");
    let conversation = match (&s.group, s.to.as_slice()) {
        (Some(g), _) => Conversation::Group(population.group_index(g).expect("validated")),
        (None, [one]) if one == &s.from => Conversation::SelfNote,
        (None, [one]) => Conversation::Direct(population.person_index(one).expect("validated")),
        (None, _) => {
            return Err(ScenarioError {
                file: scenario.origin.clone(),
                line: None,
                field: Some(format!("item `{}`.to", s.id)),
                message: "a 1:1 item has exactly one peer; use a group for more".into(),
            });
        }
    };
    let source = s.source.unwrap_or_else(|| match conversation {
        Conversation::Group(g) => population.groups[g as usize].source,
        Conversation::Direct(peer) => {
            let a = population.person(actor);
            if a.employee { a.app } else { population.person(peer).app }
        }
        Conversation::SelfNote => population.person(actor).app,
    });
    let mut rng = ChaCha8Rng::seed_from_u64(scenario.seed ^ fxhash(&s.id));
    let content = s.content_type.unwrap_or_else(|| ContentType::default_for(s.kind, s.attachment.as_deref()));
    let attachment = match s.kind {
        Kind::Attachment | Kind::File => {
            let name = s
                .attachment
                .clone()
                .unwrap_or_else(|| if s.kind == Kind::File { format!("{}.pdf", s.id) } else { format!("IMG_{}.jpg", s.id) });
            let media = Media::from_extension(&name).unwrap_or(if s.kind == Kind::File { Media::Zip } else { Media::Jpeg });
            let len = if s.size.is_some() { None } else { Some(rng.random_range(20_000..200_000)) };
            Some(Attachment { name, media, len, seed: rng.random() })
        }
        _ => None,
    };
    let call = match s.kind {
        Kind::Call => Some(s.call.unwrap_or(CallSpec { call_type: CallType::Voice, duration: 60 })),
        _ => None,
    };
    let text = s.text.clone().unwrap_or_else(|| match content {
        ContentType::Text => corpus::CHAT_ZH[rng.random_range(0..corpus::CHAT_ZH.len())].to_string(),
        _ => String::new(),
    });
    let content_seed = rng.random();
    let mut item = ItemSpec {
        id: s.id.clone(),
        captured_ms: s.at_ms,
        source,
        kind: s.kind,
        content,
        quoted: s.quoted.iter().map(|q| population.person_index(q).expect("validated")).collect(),
        content_seed,
        recalled: scenario.items.iter().any(|r| r.recalls.as_deref() == Some(s.id.as_str())),
        actor,
        conversation,
        text,
        attachment,
        call,
        recalls: s.recalls.clone(),
        exact_size: s.size,
        listed_size: s.listed_size,
        archived_ms: s.archived_ms.unwrap_or(s.at_ms),
        seq: 0,
    };
    if item.quoted.is_empty() && content.quotes_people() {
        item.quoted = draw_quoted(&mut rng, population, &item, if content == ContentType::Card { 1 } else { 3 });
    }
    Ok(item)
}

/// Whether person `i` takes part in `item` (its actor, its peer, a member of its group).
pub fn is_participant(item: &ItemSpec, population: &Population, i: u32) -> bool {
    item.actor == i
        || match item.conversation {
            Conversation::Direct(p) => p == i,
            Conversation::Group(g) => population.members(g).contains(&i),
            Conversation::SelfNote => false,
        }
}

/// Up to `n` distinct people, employees or external contacts, who do not take part in `item`:
/// whom a chat record quotes or a card names.
fn draw_quoted(rng: &mut ChaCha8Rng, population: &Population, item: &ItemSpec, n: usize) -> Vec<u32> {
    let mut out = Vec::new();
    let count = population.persons.len() as u32;
    for _ in 0..n * 8 {
        if out.len() == n || count == 0 {
            break;
        }
        let pick = rng.random_range(0..count);
        if !out.contains(&pick) && !is_participant(item, population, pick) {
            out.push(pick);
        }
    }
    out
}

/// A small, stable string hash (FNV-1a) for seeding per-item generators.
pub(crate) fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

struct Day<'a> {
    rng: ChaCha8Rng,
    population: &'a Population,
    traffic: &'a Traffic,
    day_start_ms: i64,
    groups_of: Vec<Vec<u32>>,
    employees: Vec<u32>,
    externals: Vec<u32>,
}

fn generate_day(
    scenario: &Scenario,
    traffic: &Traffic,
    population: &Population,
    day: u32,
    ids: &mut HashSet<String>,
    out: &mut Vec<ItemSpec>,
) {
    let day_start: DateTime<Utc> = scenario.start + Duration::days(day as i64);
    let mut groups_of = vec![Vec::new(); population.persons.len()];
    for (g, group) in population.groups.iter().enumerate() {
        for m in &group.members {
            if let Some(i) = population.person_index(m) {
                groups_of[i as usize].push(g as u32);
            }
        }
    }
    let employees: Vec<u32> = population.employees().collect();
    let externals: Vec<u32> = (0..population.persons.len() as u32).filter(|i| !population.person(*i).employee).collect();
    // Per-employee activity is a property of the person, stable across days.
    let mut activity_rng = ChaCha8Rng::seed_from_u64(scenario.seed ^ 0x6163_7469_7669_7479);
    let activity: Vec<f64> = employees.iter().map(|_| lognormal(&mut activity_rng, 0.0, 0.6)).collect();
    let mut d = Day {
        rng: ChaCha8Rng::seed_from_u64(scenario.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(day as u64 + 1)),
        population,
        traffic,
        day_start_ms: day_start.timestamp_millis(),
        groups_of,
        employees,
        externals,
    };
    for (k, &e) in d.employees.clone().iter().enumerate() {
        let mean = traffic.items_per_employee_per_day * activity[k];
        let n = poisson(&mut d.rng, mean);
        for _ in 0..n {
            let item = d.event(e, ids);
            let recalled = matches!(item.kind, Kind::Chat | Kind::Attachment | Kind::File) && d.rng.random_bool(traffic.recall_rate);
            if recalled {
                let recall = d.recall_of(&item, ids);
                let mut item = item;
                item.recalled = true;
                out.push(item);
                out.push(recall);
            } else {
                out.push(item);
            }
        }
    }
    if traffic.boundary_items && !d.employees.is_empty() {
        for (exact, media, name) in [(MAX_ITEM_BYTES, Media::Mp4, "VID_limit.mp4"), (MAX_ITEM_BYTES + 1, Media::Zip, "项目资料_完整版.zip")]
        {
            let e = d.employees[d.rng.random_range(0..d.employees.len())];
            let mut item = d.event(e, ids);
            item.kind = if media == Media::Zip { Kind::File } else { Kind::Attachment };
            item.content = if media == Media::Zip { ContentType::File } else { ContentType::Video };
            item.quoted.clear();
            item.text = String::new();
            item.call = None;
            item.attachment = Some(Attachment { name: name.to_string(), media, len: None, seed: d.rng.random() });
            item.exact_size = Some(exact);
            out.push(item);
        }
    }
}

impl Day<'_> {
    fn new_id(&mut self, ids: &mut HashSet<String>) -> String {
        loop {
            let id = format!("tm{:016x}", self.rng.random::<u64>());
            if ids.insert(id.clone()) {
                return id;
            }
        }
    }

    fn time(&mut self) -> i64 {
        let total: f64 = HOURLY.iter().sum();
        let mut x = self.rng.random_range(0.0..total);
        let mut hour_cn = 0;
        for (h, w) in HOURLY.iter().enumerate() {
            if x < *w {
                hour_cn = h;
                break;
            }
            x -= w;
        }
        // China time is UTC+8: hour h in Beijing is hour h-8 UTC of the same generated day.
        let hour_utc = (hour_cn + 24 - 8) % 24;
        self.day_start_ms + hour_utc as i64 * 3_600_000 + self.rng.random_range(0..3_600_000)
    }

    fn event(&mut self, employee: u32, ids: &mut HashSet<String>) -> ItemSpec {
        let p = self.population;
        let groups = &self.groups_of[employee as usize];
        let conversation = if !groups.is_empty() && self.rng.random_bool(self.traffic.group_share) {
            Conversation::Group(groups[self.rng.random_range(0..groups.len())])
        } else if self.rng.random_bool(0.005) {
            Conversation::SelfNote
        } else {
            let colleague = self.employees.len() > 1 && (self.externals.is_empty() || self.rng.random_bool(0.6));
            let peer = loop {
                let pick = if colleague {
                    self.employees[self.rng.random_range(0..self.employees.len())]
                } else if !self.externals.is_empty() {
                    self.externals[self.rng.random_range(0..self.externals.len())]
                } else {
                    break None;
                };
                if pick != employee {
                    break Some(pick);
                }
            };
            match peer {
                Some(peer) => Conversation::Direct(peer),
                None => Conversation::SelfNote,
            }
        };
        let (actor, conversation, source) = match conversation {
            Conversation::Group(g) => {
                let group = &p.groups[g as usize];
                let actor = if self.rng.random_bool(0.4) {
                    employee
                } else {
                    p.person_index(&group.members[self.rng.random_range(0..group.members.len())]).unwrap_or(employee)
                };
                (actor, conversation, group.source)
            }
            // The conversation names the *other* side: when the peer writes, the employee is it.
            Conversation::Direct(peer) => {
                let app = p.person(employee).app;
                if self.rng.random_bool(0.55) {
                    (employee, Conversation::Direct(peer), app)
                } else {
                    (peer, Conversation::Direct(employee), app)
                }
            }
            Conversation::SelfNote => (employee, conversation, p.person(employee).app),
        };
        let kind = self.kind();
        let kind = if kind == Kind::Call && conversation == Conversation::SelfNote { Kind::Chat } else { kind };
        let content = ContentType::draw(kind, self.rng.random());
        let (actor, conversation, content) = self.consent(actor, conversation, content);
        let captured_ms = self.time();
        let id = self.new_id(ids);
        let mut item = ItemSpec {
            id,
            captured_ms,
            source,
            kind,
            content,
            quoted: Vec::new(),
            content_seed: 0,
            recalled: false,
            actor,
            conversation,
            text: String::new(),
            attachment: None,
            call: None,
            recalls: None,
            exact_size: None,
            listed_size: None,
            archived_ms: captured_ms,
            seq: 0,
        };
        self.quote(&mut item);
        self.content(&mut item);
        item
    }

    /// A kind drawn by the traffic's mix.
    fn kind(&mut self) -> Kind {
        let m = &self.traffic.mix;
        let x = self.rng.random_range(0.0..(m.chat + m.attachment + m.file + m.call));
        if x < m.chat {
            Kind::Chat
        } else if x < m.chat + m.attachment {
            Kind::Attachment
        } else if x < m.chat + m.attachment + m.file {
            Kind::File
        } else {
            Kind::Call
        }
    }

    /// Whom a chat record (two to four people) or a card (one) quotes; a text when nobody can be.
    fn quote(&mut self, item: &mut ItemSpec) {
        if item.content.quotes_people() {
            let n = if item.content == ContentType::Card { 1 } else { self.rng.random_range(2..=4) };
            item.quoted = draw_quoted(&mut self.rng, self.population, item, n);
            if item.quoted.is_empty() {
                item.content = ContentType::Text;
            }
        }
    }

    /// A consent event (agree, disagree) is the external contact's, in a 1:1 chat with them:
    /// elsewhere the draw is a text.
    fn consent(&self, actor: u32, conversation: Conversation, content: ContentType) -> (u32, Conversation, ContentType) {
        if !matches!(content, ContentType::Agree | ContentType::Disagree) {
            return (actor, conversation, content);
        }
        let p = self.population;
        match conversation {
            Conversation::Direct(peer) if !p.person(peer).employee => (peer, Conversation::Direct(actor), content),
            Conversation::Direct(_) if !p.person(actor).employee => (actor, conversation, content),
            _ => (actor, conversation, ContentType::Text),
        }
    }

    fn content(&mut self, item: &mut ItemSpec) {
        let stamp = {
            use chrono::{Datelike, Timelike};
            let t = chrono::DateTime::from_timestamp_millis(item.captured_ms + 8 * 3_600_000).unwrap_or_default();
            format!("{:04}{:02}{:02}_{:02}{:02}{:02}", t.year(), t.month(), t.day(), t.hour(), t.minute(), t.second())
        };
        let oversize_rate = self.traffic.oversize_rate;
        let r = &mut self.rng;
        match item.content.kind() {
            Kind::Chat => {
                item.text = match item.content {
                    ContentType::Text if r.random_bool(0.82) => corpus::CHAT_ZH[r.random_range(0..corpus::CHAT_ZH.len())].to_string(),
                    ContentType::Text => faker::english_chat(r),
                    _ => String::new(),
                };
            }
            Kind::Attachment => media(r, item, &stamp, oversize_rate),
            Kind::File => {
                let (base, ext) = if r.random_bool(0.2) {
                    const EXT: [&str; 4] = ["pdf", "docx", "xlsx", "zip"];
                    (faker::file_base(r), EXT[r.random_range(0..EXT.len())])
                } else {
                    let (b, e) = corpus::FILE_NAMES[r.random_range(0..corpus::FILE_NAMES.len())];
                    (b.to_string(), e)
                };
                let media = Media::from_extension(&format!("x.{ext}")).unwrap_or(Media::Zip);
                let len = lognormal_size(r, 250_000.0, 1.0, 12_000, 8_000_000);
                let len = oversize(r, oversize_rate).unwrap_or(len);
                let name = format!("{base}.{ext}");
                item.text = format!("[文件] {name}");
                item.attachment = Some(Attachment { name, media, len: Some(len), seed: r.random() });
            }
            Kind::Call => {
                let video = item.content == ContentType::Voiptext && r.random_bool(0.3);
                let call_type = if video { CallType::Video } else { CallType::Voice };
                let duration = if r.random_bool(0.12) { 0 } else { (lognormal(r, 4.8, 1.0) as u32).clamp(3, 7_200) };
                item.call = Some(CallSpec { call_type, duration });
            }
            Kind::Recall => {}
        }
        item.content_seed = self.rng.random();
    }

    fn recall_of(&mut self, original: &ItemSpec, ids: &mut HashSet<String>) -> ItemSpec {
        let id = self.new_id(ids);
        let captured_ms = original.captured_ms + self.rng.random_range(2_000..120_000);
        ItemSpec {
            id,
            captured_ms,
            source: original.source,
            kind: Kind::Recall,
            content: ContentType::Revoke,
            quoted: Vec::new(),
            content_seed: self.rng.random(),
            recalled: false,
            actor: original.actor,
            conversation: original.conversation,
            text: String::new(),
            attachment: None,
            call: None,
            recalls: Some(original.id.clone()),
            exact_size: None,
            listed_size: None,
            archived_ms: captured_ms,
            seq: 0,
        }
    }
}

/// An item above the 10 MB limit, drawn at `rate`: its attachment's length.
fn oversize(r: &mut ChaCha8Rng, rate: f64) -> Option<u64> {
    r.random_bool(rate).then(|| r.random_range(MAX_ITEM_BYTES + 400_000..40 * 1024 * 1024))
}

/// A media item's attachment (image, voice note, video, sticker; a mixed message's image) and
/// its caption.
fn media(r: &mut ChaCha8Rng, item: &mut ItemSpec, stamp: &str, oversize_rate: f64) {
    let (media, name, len, text) = match item.content {
        ContentType::Voice => {
            let secs = r.random_range(1..=60u64);
            (Media::Amr, format!("voice_{stamp}.amr"), 6 + secs * 1_600 + r.random_range(0..400), format!("[语音] {secs}\""))
        }
        ContentType::Video => {
            let secs = r.random_range(3..180u64);
            let len = lognormal_size(r, 1_500_000.0, 0.8, 200_000, 9_000_000);
            let len = oversize(r, oversize_rate * 4.0).unwrap_or(len);
            (Media::Mp4, format!("VID_{stamp}.mp4"), len, format!("[视频] {}:{:02}", secs / 60, secs % 60))
        }
        ContentType::Emotion => {
            let label = corpus::STICKERS[r.random_range(0..corpus::STICKERS.len())];
            (Media::Gif, format!("sticker_{stamp}.gif"), r.random_range(5_000..200_000), label.to_string())
        }
        ContentType::Mixed => {
            let text = corpus::CHAT_ZH[r.random_range(0..corpus::CHAT_ZH.len())].to_string();
            (Media::Jpeg, format!("IMG_{stamp}.jpg"), lognormal_size(r, 180_000.0, 0.9, 15_000, 3_000_000), text)
        }
        _ => (Media::Jpeg, format!("IMG_{stamp}.jpg"), lognormal_size(r, 180_000.0, 0.9, 15_000, 3_000_000), "[图片]".to_string()),
    };
    item.text = text;
    item.attachment = Some(Attachment { name, media, len: Some(len), seed: r.random() });
}

pub(crate) fn lognormal(r: &mut ChaCha8Rng, mu: f64, sigma: f64) -> f64 {
    // Box-Muller.
    let u1: f64 = r.random_range(f64::EPSILON..1.0);
    let u2: f64 = r.random();
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    (mu + sigma * z).exp()
}

fn lognormal_size(r: &mut ChaCha8Rng, median: f64, sigma: f64, min: u64, max: u64) -> u64 {
    ((median * lognormal(r, 0.0, sigma)) as u64).clamp(min, max)
}

fn poisson(r: &mut ChaCha8Rng, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    if mean > 40.0 {
        let z = lognormal(r, 0.0, 1.0).ln();
        return (mean + mean.sqrt() * z).round().max(0.0) as u32;
    }
    let l = (-mean).exp();
    let mut k = 0;
    let mut p = 1.0;
    loop {
        p *= r.random::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}
