//! What an item of each WeCom message type says: the lines of its transcript after the header
//! lines, drawn from the item's `content_seed` (a link's title, a vote's options, a red packet's
//! amount), and the parts that follow the transcript (a card's vCard, an event's iCalendar, a
//! chat record's forwarded messages; see [`super::parts`]).

use chrono::{DateTime, Datelike, Timelike};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::parts;
use crate::world::content::ContentType as T;
use crate::world::item::ItemSpec;
use crate::world::people::Population;
use crate::world::scenario::{CallType, Person};
use crate::world::{corpus, faker};

/// Mini-programs: (title, the program's name).
const WEAPPS: &[(&str, &str)] =
    &[("报销审批单", "企业报销"), ("会议室预订", "行政服务"), ("快递查询", "物流助手"), ("年会抽奖", "活动助手")];
/// To-dos.
const TODOS: &[&str] = &["周五前提交季度报表", "确认客户合同条款", "更新项目排期", "准备周会材料"];
/// Votes: (title, options).
const VOTES: &[(&str, &[&str])] = &[
    ("团建地点投票", &["杭州西湖", "苏州园林", "莫干山"]),
    ("午餐订哪家", &["川菜", "粤菜", "轻食"]),
    ("Offsite date", &["Fri 4 Dec", "Fri 11 Dec"]),
];
/// Forms: (title, questions).
const FORMS: &[(&str, &[&str])] = &[("活动报名表", &["姓名", "部门", "是否参加"]), ("设备申领", &["设备类型", "数量", "用途"])];
/// Red packet wishes.
const WISHES: &[&str] = &["恭喜发财，大吉大利", "辛苦了！", "新年快乐", "项目上线红包"];
/// Meeting and event titles.
pub(super) const EVENTS: &[&str] = &["项目周会", "季度复盘", "客户方案评审", "Weekly sync", "拜访客户", "产品培训"];
/// Online documents.
const DOCS: &[&str] = &["2026年度预算表", "客户拜访记录", "项目进度跟踪", "Q4 pipeline"];
/// Bot markdown messages.
const MARKDOWN: &[&str] = &[
    "**构建通知**\n> 项目: archive-sync\n> 状态: 成功",
    "### 今日告警\n- CPU 使用率 85%\n- 磁盘剩余 12%",
    "**审批提醒**\n您有 3 条待审批的报销单",
];
/// Bot news: (title, description).
const NEWS: &[(&str, &str)] = &[("中秋节放假通知", "办公室将于 10 月 1 日至 7 日放假"), ("安全培训上线", "请全体员工本周内完成")];
/// Video-channel posts: (channel, description).
const FEEDS: &[(&str, &str)] = &[("Contoso 官方", "产品发布会精彩回顾"), ("财经快讯", "三分钟看懂季度财报")];

/// The transcript's content lines and the parts after the transcript.
pub(crate) struct Details {
    /// Content lines, CRLF-terminated.
    pub(crate) text: String,
    /// Whole MIME parts (headers, blank line, body), in order.
    pub(crate) parts: Vec<Vec<u8>>,
}

/// The details of `item`.
pub(crate) fn details(item: &ItemSpec, population: &Population) -> Details {
    let mut r = ChaCha8Rng::seed_from_u64(item.content_seed);
    let actor = population.person(item.actor);
    let mut parts = Vec::new();
    let text = match item.content {
        T::Text | T::Markdown if !item.text.is_empty() => item.text.clone(),
        T::Text => String::new(),
        T::Markdown => pick(&mut r, MARKDOWN).to_string(),
        T::Image | T::Voice | T::Video | T::Emotion | T::Mixed | T::File | T::VoipDocShare => media(item),
        T::Voiptext | T::MeetingVoiceCall => call(item),
        T::Revoke => {
            let target = item.recalls.as_deref().unwrap_or("");
            format!("{} 撤回了一条消息 / recalled a message\nRecalled message: {target}", actor.name)
        }
        T::Agree => format!("{} 同意存档会话内容 / agreed to have this conversation archived", actor.name),
        T::Disagree => format!("{} 不同意存档会话内容 / refused to have this conversation archived", actor.name),
        T::Card => {
            let who = population.person(item.quoted.first().copied().unwrap_or(item.actor));
            parts.push(parts::vcard(who));
            let company = who.company.as_deref().map(|c| format!("\n{c}")).unwrap_or_default();
            format!("[名片] {}{company}", label(who))
        }
        T::Chatrecord => {
            let (summary, records) = parts::chatrecord(item, population, &mut r);
            parts.extend(records);
            summary
        }
        T::Meeting | T::Calendar => {
            let (summary, ics) = parts::event(item, actor, &mut r);
            parts.push(ics);
            summary
        }
        _ => chat_card(item, &mut r),
    };
    let mut text = text.replace("\r\n", "\n").replace('\n', "\r\n");
    if !item.text.is_empty() && !matches!(item.content, T::Text | T::Markdown) && !text.contains(&item.text) {
        text = format!("{}\r\n{text}", item.text.replace('\n', "\r\n"));
    }
    text.push_str("\r\n");
    Details { text, parts }
}

/// The one-part types: a link, a place, a mini-program, a to-do, a vote, a form, a red packet,
/// an online document, bot news, a video-channel post.
fn chat_card(item: &ItemSpec, r: &mut ChaCha8Rng) -> String {
    match item.content {
        T::Link => {
            let (title, url) = if r.random_bool(0.5) {
                let (t, u) = pick(r, corpus::LINKS);
                (t.to_string(), u.to_string())
            } else {
                faker::link(r)
            };
            format!("[链接] {title}\n{}\n{url}", faker::english_chat(r))
        }
        T::Location => {
            let (name, addr, lat, lon) = if r.random_bool(0.7) {
                let (n, a, lat, lon) = pick(r, corpus::PLACES);
                (n.to_string(), a.to_string(), lat, lon)
            } else {
                faker::place(r)
            };
            format!("[位置] {name}\n{addr}\n纬度 latitude {lat:.6}, 经度 longitude {lon:.6}\nhttps://maps.example.cn/?q={lat:.6},{lon:.6}")
        }
        T::Weapp => {
            let (title, name) = pick(r, WEAPPS);
            format!("[小程序] {title}\n{name}\nappid: wx{:016x}", r.random::<u64>())
        }
        T::Todo => format!("[待办] {}", pick(r, TODOS)),
        T::Vote => {
            let (title, options) = pick(r, VOTES);
            let lines: Vec<String> = options.iter().enumerate().map(|(i, o)| format!("{}. {o}", i + 1)).collect();
            format!("[投票] {title}\n{}", lines.join("\n"))
        }
        T::Collect => {
            let (title, questions) = pick(r, FORMS);
            format!("[填表] {title}\n{}", questions.iter().map(|q| format!("- {q}")).collect::<Vec<_>>().join("\n"))
        }
        T::Redpacket | T::ExternalRedpacket => {
            let count = r.random_range(1..=10u32);
            let cents = r.random_range(100..=20_000u32) * count;
            let what = if item.content == T::Redpacket { "红包" } else { "互通红包" };
            format!("[{what}] {}\n金额 amount ¥{}.{:02}, 共 {count} 个", pick(r, WISHES), cents / 100, cents % 100)
        }
        T::Docmsg => format!("[在线文档] {}\nhttps://docs.example.cn/doc/{:016x}", pick(r, DOCS), r.random::<u64>()),
        T::News => {
            let (title, description) = pick(r, NEWS);
            let n = r.random::<u32>();
            format!("[图文] {title}\n{description}\nhttps://news.example.cn/a/{n:08x}\nhttps://img.example.cn/{n:08x}.jpg")
        }
        T::Sphfeed => {
            let (channel, description) = pick(r, FEEDS);
            format!("[视频号] {channel}\n{description}\nhttps://channels.example.cn/feed/{:016x}", r.random::<u64>())
        }
        _ => item.text.clone(),
    }
}

/// A medium's or a file's line: its caption, then its name.
fn media(item: &ItemSpec) -> String {
    let name = item.attachment.as_ref().map(|a| a.name.as_str()).unwrap_or("");
    let shared = if item.content == T::VoipDocShare { "[通话中共享文档] " } else { "" };
    if item.text.is_empty() { format!("{shared}Attachment: {name}") } else { format!("{}\n{shared}Attachment: {name}", item.text) }
}

fn call(item: &ItemSpec) -> String {
    let Some(call) = item.call else { return String::new() };
    let kind = match (item.content, call.call_type) {
        (T::MeetingVoiceCall, _) => "会议语音 Meeting voice call",
        (_, CallType::Voice) => "语音通话 Voice call",
        (_, CallType::Video) => "视频通话 Video call",
    };
    if call.duration == 0 {
        format!("[{kind}] 未接通 / not answered")
    } else {
        format!("[{kind}] 通话时长 {:02}:{:02}:{:02}", call.duration / 3600, call.duration / 60 % 60, call.duration % 60)
    }
}

fn pick<T: Copy>(r: &mut ChaCha8Rng, from: &[T]) -> T {
    from[r.random_range(0..from.len())]
}

/// `name +mobile`, or the name.
pub(super) fn label(p: &Person) -> String {
    super::label(p)
}

/// `2026-11-20 16:15:02` in China time (UTC+8).
pub(super) fn china_time(ms: i64) -> String {
    let t = DateTime::from_timestamp_millis(ms + 8 * 3_600_000).unwrap_or_default();
    format!("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", t.year(), t.month(), t.day(), t.hour(), t.minute(), t.second())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::scenario::Scenario;

    #[test]
    fn every_type_says_something_and_has_its_parts() {
        let s = Scenario::from_toml_str(include_str!("../../../../fixtures/samples/samples.toml"), "samples.toml").unwrap();
        let population = Population::build(&s);
        let items = crate::world::generate::items(&s, &population).unwrap();
        assert_eq!(items.len(), T::ALL.len());
        for item in &items {
            let d = details(item, &population);
            assert!(d.text.trim().len() > 2 && d.text.ends_with("\r\n"), "{:?}: {:?}", item.content, d.text);
            assert!(!d.text.replace("\r\n", "").contains('\n'), "{:?}: bare LF", item.content);
            let parts = match item.content {
                T::Card | T::Meeting | T::Calendar => 1..=1,
                T::Chatrecord => 2..=5,
                _ => 0..=0,
            };
            assert!(parts.contains(&d.parts.len()), "{:?}: {} parts", item.content, d.parts.len());
        }
    }
}
