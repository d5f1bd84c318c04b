//! The fault plan: a scenario's deliberate misbehaviour, timed to domain events and seeded.
//!
//! Each rule matches requests by API, operation, item and mailbox, skips the first `after`
//! matches, then fires on the next `count` (0 = on every one after that), each with
//! `probability` drawn from a `ChaCha8Rng` seeded by the scenario seed and the rule's position.
//! Counting is per rule, in the order the simulator answers requests, so the same connector
//! behaviour meets the same faults. Every fault injected is journalled with the request it hit.
//!
//! Besides rules, the tenant can throttle like Graph: more than `throttle_per_mailbox` requests in
//! flight for one mailbox get 429 `TooManyRequests` with `Retry-After`.

use std::sync::Mutex;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use tm_contract::{BrokenField, FaultKind, FaultRecord, Malformation, OddRetryAfter};

/// Which API a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// `/tm/v1`.
    Vendor,
    /// `/graph/v1.0`.
    Tenant,
}

/// The operation a request performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Any operation of the API.
    Any,
    /// `POST /tm/v1/session`.
    Login,
    /// `GET /tm/v1/items`.
    List,
    /// `GET /tm/v1/items/{id}/raw`.
    Raw,
    /// `GET /users/{address}`.
    Lookup,
    /// `GET /users/{id}/mailFolders`.
    Folders,
    /// `POST /users/{id}/mailFolders`.
    CreateFolder,
    /// `POST …/messages`.
    Import,
    /// `GET …/messages` and one message (`$count`, `$value` too).
    Messages,
    /// `POST …/messages/{id}/move`.
    Move,
    /// `POST /{tenant}/oauth2/v2.0/token`.
    Token,
}

impl From<Api> for tm_contract::Api {
    fn from(api: Api) -> tm_contract::Api {
        match api {
            Api::Vendor => tm_contract::Api::Vendor,
            Api::Tenant => tm_contract::Api::Tenant,
        }
    }
}

impl From<Op> for tm_contract::Op {
    /// The journal's word for the operation.
    fn from(op: Op) -> tm_contract::Op {
        match op {
            Op::Any => tm_contract::Op::Any,
            Op::Login => tm_contract::Op::Login,
            Op::List => tm_contract::Op::List,
            Op::Raw => tm_contract::Op::Raw,
            Op::Lookup => tm_contract::Op::Lookup,
            Op::Folders => tm_contract::Op::Folders,
            Op::CreateFolder => tm_contract::Op::CreateFolder,
            Op::Import => tm_contract::Op::Import,
            Op::Messages => tm_contract::Op::Messages,
            Op::Move => tm_contract::Op::Move,
            Op::Token => tm_contract::Op::Token,
        }
    }
}

/// What a fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Answer an error status (429, 500, 503 …) instead.
    Status,
    /// Wait `latency_ms` before answering normally.
    Latency,
    /// Send the headers (with the full `Content-Length`), then reset the connection mid-body.
    /// On a tenant import the message is stored first: the answer is what gets lost.
    Reset,
    /// Send the body without `Content-Length`, cut cleanly at `at_byte` (raw downloads).
    Truncate,
    /// The caller's vendor token expires now: 401 `invalid_token` (vendor only).
    ExpireToken,
    /// A listing page starts `repeat` items before its cursor, repeating the previous page's tail.
    RepeatPage,
    /// A listing reports `size` for the matched item(s) instead of the real size.
    LieSize,
    /// A listing breaks the named item's entry so that it is no usable `ItemRef`: its `field`
    /// (`size` a string, `sha256` left out, `captured_at` no time, `id` left out); the other
    /// entries of the page stay whole.
    BreakEntry,
    /// Another program writes a message of its own into the mailbox's `WeChat Archiver` (tenant
    /// only): during an import, or right after answering any other mailbox request.
    ForeignWrite,
    /// Tenant imports only: the message is stored, then the answer is `status` (a 5xx, e.g. 503
    /// or 504): the write landed, the client sees a failure.
    StoreThenStatus,
    /// Vendor raw downloads of the named item: the listed length, other bytes (`count = 1`: the
    /// next download is whole; `0`: every one). See `integrity.rs`.
    Corrupt,
    /// The archive holds the named item as bytes that are no usable message (`variant`), and
    /// lists their size and sha256: every listing and download. See `integrity.rs`.
    Malformed,
    /// The named item is listed, but every download answers `status` (404, the default, or 410).
    Gone,
}

/// A rule's `retry_after` as written: whole seconds (`7`), fractional seconds (`1.5`) or
/// `"absent"` (no header at all); checked by [`FaultRule::check`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum RetryAfterSetting {
    /// Whole seconds.
    Whole(u64),
    /// Fractional seconds (at most three decimals).
    Fractional(f64),
    /// A word: only `absent` is one.
    Word(String),
}

/// What a `Retry-After` setting sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// Whole seconds.
    Seconds(u64),
    /// A fractional or absent header.
    Odd(OddRetryAfter),
}

impl RetryAfterSetting {
    /// The header it makes, or why it is no setting (the message for the field).
    pub fn resolve(&self) -> Result<RetryAfter, &'static str> {
        const BAD: &str = "retry_after is whole seconds, fractional seconds with up to 3 decimals (1.5), or \"absent\"";
        match self {
            RetryAfterSetting::Whole(n) => Ok(RetryAfter::Seconds(*n)),
            RetryAfterSetting::Fractional(f) => {
                if !f.is_finite() || *f < 0.0 || *f > 86_400.0 {
                    return Err("retry_after must be between 0 and 86400 seconds");
                }
                let millis = (f * 1000.0).round();
                if (f * 1000.0 - millis).abs() > 1e-6 {
                    return Err(BAD);
                }
                let millis = millis as u64;
                Ok(if millis.is_multiple_of(1000) {
                    RetryAfter::Seconds(millis / 1000)
                } else {
                    RetryAfter::Odd(OddRetryAfter::Fractional { millis })
                })
            }
            RetryAfterSetting::Word(w) if w == "absent" => Ok(RetryAfter::Odd(OddRetryAfter::Absent)),
            RetryAfterSetting::Word(_) => Err(BAD),
        }
    }
}

impl RetryAfter {
    /// The header's value, `None` when there is none.
    pub fn header_value(&self) -> Option<String> {
        match self {
            RetryAfter::Seconds(n) => Some(n.to_string()),
            RetryAfter::Odd(odd) => odd.header_value(),
        }
    }
}

/// One rule as written in a scenario (`[[fault]]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Which API.
    pub api: Api,
    /// Which operation (default any).
    #[serde(default = "any_op")]
    pub op: Op,
    /// Only requests about this item (downloads, imports of it, listings that contain it).
    #[serde(default)]
    pub item: Option<String>,
    /// Only tenant requests for this mailbox (any of its addresses, any case).
    #[serde(default)]
    pub mailbox: Option<String>,
    /// Matching requests let through before the rule fires.
    #[serde(default)]
    pub after: u64,
    /// How many times it fires (0 = every matching request after `after`).
    #[serde(default = "one")]
    pub count: u64,
    /// Chance that a candidate request is hit (seeded).
    #[serde(default = "certain")]
    pub probability: f64,
    /// What happens.
    pub action: ActionKind,
    /// `status`: the status answered.
    #[serde(default)]
    pub status: Option<u16>,
    /// `status` 429/503: the `Retry-After`: seconds (`7`, `1.5`) or `"absent"`.
    #[serde(default)]
    pub retry_after: Option<RetryAfterSetting>,
    /// `latency`: milliseconds.
    #[serde(default)]
    pub latency_ms: Option<u64>,
    /// `truncate`/`reset`: where the body stops (default: half way).
    #[serde(default)]
    pub at_byte: Option<u64>,
    /// `repeat_page`: how many items are repeated (default 3).
    #[serde(default)]
    pub repeat: Option<usize>,
    /// `lie_size`: the size reported.
    #[serde(default)]
    pub size: Option<u64>,
    /// `break_entry`: the field broken (`size`, the default; `sha256`, `captured_at`, `id`).
    #[serde(default)]
    pub field: Option<String>,
    /// `malformed`: how the item is no message (`garbage`, `no_message_id`).
    #[serde(default)]
    pub variant: Option<String>,
}

fn any_op() -> Op {
    Op::Any
}
fn one() -> u64 {
    1
}
fn certain() -> f64 {
    1.0
}

impl FaultRule {
    /// Checks the rule's own consistency; the message names the offending field.
    pub fn check(&self) -> Result<(), (String, String)> {
        let bad = |f: &str, m: &str| Err((f.to_string(), m.to_string()));
        if !(0.0..=1.0).contains(&self.probability) {
            return bad("probability", "must be between 0 and 1");
        }
        let vendor_ops = [Op::Any, Op::Login, Op::List, Op::Raw];
        let tenant_ops = [Op::Any, Op::Lookup, Op::Folders, Op::CreateFolder, Op::Import, Op::Messages, Op::Move, Op::Token];
        match self.api {
            Api::Vendor if !vendor_ops.contains(&self.op) => return bad("op", "a vendor fault takes op any, login, list or raw"),
            Api::Tenant if !tenant_ops.contains(&self.op) => {
                return bad("op", "a tenant fault takes op any, lookup, folders, create_folder, import, messages, move or token");
            }
            _ => {}
        }
        if self.mailbox.is_some() && self.api == Api::Vendor {
            return bad("mailbox", "only tenant faults concern a mailbox");
        }
        if let Some(Err(message)) = self.retry_after.as_ref().map(RetryAfterSetting::resolve) {
            return bad("retry_after", message);
        }
        match self.action {
            ActionKind::Status => match self.status {
                Some(s) if (400..=599).contains(&s) => {
                    if matches!(s, 429 | 503) && self.retry_after.is_none() {
                        return bad("retry_after", "429 and 503 carry Retry-After: give retry_after (seconds, or \"absent\")");
                    }
                }
                _ => return bad("status", "action status needs status = 400..599"),
            },
            ActionKind::StoreThenStatus => return self.check_store_then_status(),
            ActionKind::Latency if self.latency_ms.is_none() => return bad("latency_ms", "action latency needs latency_ms"),
            ActionKind::Truncate if !(self.api == Api::Vendor && self.op == Op::Raw) => {
                return bad("action", "truncate applies to vendor raw downloads");
            }
            ActionKind::ExpireToken if self.api != Api::Vendor => return bad("action", "expire_token applies to the vendor API"),
            ActionKind::ForeignWrite if self.api != Api::Tenant => return bad("action", "foreign_write applies to the tenant API"),
            ActionKind::RepeatPage | ActionKind::LieSize if !(self.api == Api::Vendor && self.op == Op::List) => {
                return bad("action", "repeat_page and lie_size apply to vendor list");
            }
            ActionKind::LieSize if self.size.is_none() => return bad("size", "action lie_size needs size"),
            ActionKind::LieSize if self.item.is_none() => return bad("item", "action lie_size names the item whose size it lies about"),
            ActionKind::BreakEntry => return self.check_break_entry(),
            ActionKind::Corrupt | ActionKind::Malformed | ActionKind::Gone => return crate::world::integrity::check(self),
            _ => {}
        }
        Ok(())
    }

    /// `break_entry`: a vendor listing, one named item, a field it can break.
    fn check_break_entry(&self) -> Result<(), (String, String)> {
        let bad = |f: &str, m: &str| Err((f.to_string(), m.to_string()));
        if !(self.api == Api::Vendor && self.op == Op::List) {
            return bad("action", "break_entry applies to vendor list (api vendor, op list)");
        }
        if self.item.is_none() {
            return bad("item", "action break_entry names the item whose listing entry it breaks");
        }
        if self.broken_field().is_none() {
            return bad("field", "break_entry breaks one of size, sha256, captured_at, id");
        }
        Ok(())
    }

    /// The field a `break_entry` rule breaks (`size` when not given; `None`: no such field).
    pub fn broken_field(&self) -> Option<BrokenField> {
        self.field.as_deref().map_or(Some(BrokenField::Size), BrokenField::from_name)
    }

    /// How a `malformed` rule's item is no message (`None`: no variant, or no such one).
    pub fn malformation(&self) -> Option<Malformation> {
        self.variant.as_deref().and_then(Malformation::from_name)
    }

    /// `store_then_status`: a tenant import answered 500..599, without `Retry-After`.
    fn check_store_then_status(&self) -> Result<(), (String, String)> {
        let bad = |f: &str, m: &str| Err((f.to_string(), m.to_string()));
        if !(self.api == Api::Tenant && self.op == Op::Import) {
            return bad("action", "store_then_status applies to tenant imports (api tenant, op import)");
        }
        if !self.status.is_some_and(|s| (500..=599).contains(&s)) {
            return bad("status", "action store_then_status needs status = 500..599 (Graph: 503 or 504)");
        }
        if self.retry_after.is_some() {
            return bad("retry_after", "store_then_status answers without Retry-After");
        }
        Ok(())
    }

    /// The `Retry-After` the rule sends (`None`: none given).
    pub fn retry_after(&self) -> Option<RetryAfter> {
        self.retry_after.as_ref().and_then(|r| r.resolve().ok())
    }

    /// What the journal records of the fault (one sentence on the wire).
    pub fn record(&self) -> FaultRecord {
        let status = self.status.unwrap_or(500);
        let kind = match self.action {
            ActionKind::Status => match self.retry_after() {
                Some(RetryAfter::Odd(retry_after)) => FaultKind::StatusOddRetryAfter { status, retry_after },
                Some(RetryAfter::Seconds(s)) => FaultKind::Status { status, retry_after: Some(s) },
                None => FaultKind::Status { status, retry_after: None },
            },
            ActionKind::StoreThenStatus => FaultKind::StoredThenStatus { status },
            ActionKind::Latency => FaultKind::Latency { ms: self.latency_ms.unwrap_or(0) },
            ActionKind::Reset => FaultKind::Reset,
            ActionKind::Truncate => FaultKind::Truncate { at_byte: self.at_byte },
            ActionKind::ExpireToken => FaultKind::ExpireToken,
            ActionKind::RepeatPage => FaultKind::RepeatPage { repeat: self.repeat.unwrap_or(3) },
            ActionKind::LieSize => FaultKind::LieSize { size: self.size.unwrap_or(0) },
            ActionKind::ForeignWrite => FaultKind::ForeignWrite,
            ActionKind::BreakEntry => FaultKind::BrokenEntry(self.broken_field().unwrap_or(BrokenField::Size)),
            ActionKind::Corrupt => FaultKind::Corrupt,
            ActionKind::Malformed => FaultKind::Malformed(self.malformation().unwrap_or(Malformation::Garbage)),
            ActionKind::Gone => FaultKind::Gone { status: self.status.unwrap_or(404) },
        };
        kind.into()
    }
}

/// A request as the fault plan sees it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// API.
    pub api: Api,
    /// Operation.
    pub op: Op,
    /// The item concerned, if any.
    pub item: Option<&'a str>,
    /// Every address of the mailbox concerned, if any.
    pub mailbox: Option<&'a [String]>,
}

struct RuleState {
    rule: FaultRule,
    matched: u64,
    fired: u64,
    rng: ChaCha8Rng,
}

/// The plan with its counters.
pub struct FaultPlan {
    rules: Mutex<Vec<RuleState>>,
    original: Vec<FaultRule>,
    seed: u64,
}

impl std::fmt::Debug for FaultPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultPlan").field("rules", &self.original).finish()
    }
}

impl FaultPlan {
    /// A plan of rules, seeded.
    pub fn new(rules: Vec<FaultRule>, seed: u64) -> FaultPlan {
        let plan = FaultPlan { rules: Mutex::new(Vec::new()), original: rules, seed };
        plan.reset();
        plan
    }

    /// Counters back to zero (with `/sim/reset`).
    pub fn reset(&self) {
        let states = self
            .original
            .iter()
            .enumerate()
            .map(|(i, r)| RuleState {
                rule: r.clone(),
                matched: 0,
                fired: 0,
                rng: ChaCha8Rng::seed_from_u64(self.seed ^ (0xfa17 + i as u64)),
            })
            .collect();
        *self.rules.lock().expect("fault lock") = states;
    }

    /// True when there are no rules.
    pub fn is_empty(&self) -> bool {
        self.original.is_empty()
    }

    /// The first rule that fires for this request, if any (every matching rule counts it).
    pub fn decide(&self, req: Request<'_>) -> Option<FaultRule> {
        let mut rules = self.rules.lock().expect("fault lock");
        let mut hit = None;
        for s in rules.iter_mut() {
            let r = &s.rule;
            if matches!(r.action, ActionKind::LieSize | ActionKind::BreakEntry | ActionKind::Malformed | ActionKind::Gone) {
                continue; // standing: see `size_lie`, `broken_entry`, `malformed` and `gone`
            }
            if r.api != req.api || (r.op != Op::Any && r.op != req.op) {
                continue;
            }
            if let Some(item) = &r.item
                && req.item != Some(item.as_str())
            {
                continue;
            }
            if let Some(mb) = &r.mailbox
                && !req.mailbox.is_some_and(|all| all.iter().any(|a| tm_contract::same_address(a, mb)))
            {
                continue;
            }
            s.matched += 1;
            if s.matched <= r.after || (r.count != 0 && s.fired >= r.count) {
                continue;
            }
            let p = r.probability;
            if p < 1.0 && !s.rng.random_bool(p) {
                continue;
            }
            if hit.is_none() {
                s.fired += 1;
                hit = Some(r.clone());
            }
        }
        hit
    }

    /// The `break_entry` rule that names an item, if any: every listing breaks its entry.
    pub fn broken_entry(&self, item: &str) -> Option<&FaultRule> {
        self.original.iter().find(|r| r.action == ActionKind::BreakEntry && r.item.as_deref() == Some(item))
    }

    /// Whether any `break_entry` rule is in the plan (a listing is re-written only then).
    pub fn breaks_entries(&self) -> bool {
        self.original.iter().any(|r| r.action == ActionKind::BreakEntry)
    }

    /// The `malformed` rule that names an item, if any: the archive holds it as bad bytes.
    pub fn malformed(&self, item: &str) -> Option<&FaultRule> {
        self.original.iter().find(|r| r.action == ActionKind::Malformed && r.item.as_deref() == Some(item))
    }

    /// The `gone` rule that names an item, if any: its downloads answer the rule's status.
    pub fn gone(&self, item: &str) -> Option<&FaultRule> {
        self.original.iter().find(|r| r.action == ActionKind::Gone && r.item.as_deref() == Some(item))
    }

    /// The size a listing reports for an item when a `lie_size` rule names it.
    pub fn size_lie(&self, item: &str) -> Option<&FaultRule> {
        self.original.iter().find(|r| r.action == ActionKind::LieSize && r.item.as_deref().is_none_or(|i| i == item))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> FaultRule {
        toml::from_str(text).unwrap()
    }

    fn vendor(op: Op, item: Option<&str>) -> Request<'_> {
        Request { api: Api::Vendor, op, item, mailbox: None }
    }

    #[test]
    fn a_rule_skips_after_then_fires_count_times() {
        let plan = FaultPlan::new(vec![rule("api='vendor'\nop='raw'\nafter=2\ncount=2\naction='status'\nstatus=500")], 1);
        let fired: Vec<bool> = (0..6).map(|_| plan.decide(vendor(Op::Raw, None)).is_some()).collect();
        assert_eq!(fired, [false, false, true, true, false, false]);
        assert!(plan.decide(vendor(Op::List, None)).is_none(), "another op does not match");
        plan.reset();
        assert!(plan.decide(vendor(Op::Raw, None)).is_none(), "reset starts counting again");
    }

    #[test]
    fn item_and_mailbox_filters_narrow_a_rule() {
        let plan = FaultPlan::new(vec![rule("api='tenant'\nop='import'\nmailbox='A@x.cn'\ncount=0\naction='status'\nstatus=500")], 1);
        let a = ["a@x.cn".to_string()];
        let b = ["b@x.cn".to_string()];
        assert!(plan.decide(Request { api: Api::Tenant, op: Op::Import, item: None, mailbox: Some(&b) }).is_none());
        assert!(plan.decide(Request { api: Api::Tenant, op: Op::Import, item: None, mailbox: Some(&a) }).is_some());
        let plan = FaultPlan::new(vec![rule("api='vendor'\nop='raw'\nitem='x'\naction='reset'")], 1);
        assert!(plan.decide(vendor(Op::Raw, Some("y"))).is_none());
        assert!(plan.decide(vendor(Op::Raw, Some("x"))).is_some());
    }

    #[test]
    fn probabilities_are_seeded() {
        let r = rule("api='vendor'\ncount=0\nprobability=0.5\naction='latency'\nlatency_ms=1");
        let run = |seed| {
            let plan = FaultPlan::new(vec![r.clone()], seed);
            (0..64).map(|_| plan.decide(vendor(Op::Raw, None)).is_some()).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        assert!(run(7).iter().any(|x| *x) && run(7).iter().any(|x| !*x));
    }

    #[test]
    fn inconsistent_rules_are_refused_naming_the_field() {
        assert_eq!(rule("api='vendor'\naction='status'\nstatus=503").check().unwrap_err().0, "retry_after");
        assert_eq!(rule("api='tenant'\nop='raw'\naction='reset'").check().unwrap_err().0, "op");
        assert_eq!(rule("api='vendor'\nop='raw'\naction='lie_size'").check().unwrap_err().0, "action");
        assert!(rule("api='vendor'\nop='raw'\naction='truncate'\nat_byte=10").check().is_ok());
        assert_eq!(rule("api='vendor'\naction='store_then_status'\nstatus=504").check().unwrap_err().0, "action");
        assert_eq!(rule("api='tenant'\nop='import'\naction='store_then_status'\nstatus=404").check().unwrap_err().0, "status");
        assert_eq!(
            rule("api='tenant'\nop='import'\naction='store_then_status'\nstatus=503\nretry_after=1").check().unwrap_err().0,
            "retry_after"
        );
        assert!(rule("api='tenant'\nop='import'\naction='store_then_status'\nstatus=504").check().is_ok());
        assert_eq!(rule("api='vendor'\nop='raw'\nitem='x'\naction='break_entry'").check().unwrap_err().0, "action");
        assert_eq!(rule("api='vendor'\nop='list'\naction='break_entry'").check().unwrap_err().0, "item");
        assert_eq!(rule("api='vendor'\nop='list'\nitem='x'\naction='break_entry'\nfield='price'").check().unwrap_err().0, "field");
        let broken = rule("api='vendor'\nop='list'\nitem='x'\naction='break_entry'");
        assert!(broken.check().is_ok());
        assert_eq!(broken.record().to_string(), "broken entry: size");
        let plan = FaultPlan::new(vec![broken, rule("api='vendor'\nop='list'\nitem='y'\naction='break_entry'\nfield='id'")], 1);
        assert_eq!(plan.broken_entry("y").and_then(FaultRule::broken_field), Some(BrokenField::Id));
        assert!(plan.broken_entry("z").is_none() && plan.decide(vendor(Op::List, Some("x"))).is_none());
    }

    #[test]
    fn retry_after_is_whole_fractional_or_absent() {
        let of = |v: &str| rule(&format!("api='tenant'\naction='status'\nstatus=429\nretry_after={v}"));
        assert_eq!(of("7").retry_after(), Some(RetryAfter::Seconds(7)));
        assert_eq!(of("2.0").retry_after(), Some(RetryAfter::Seconds(2)), "a whole float is whole seconds");
        assert_eq!(of("1.5").retry_after(), Some(RetryAfter::Odd(OddRetryAfter::Fractional { millis: 1500 })));
        assert_eq!(of("1.5").record().to_string(), "status 429 retry-after 1.5");
        assert_eq!(of("\"absent\"").retry_after(), Some(RetryAfter::Odd(OddRetryAfter::Absent)));
        assert_eq!(of("\"absent\"").record().to_string(), "status 429 retry-after absent");
        assert_eq!(of("\"absent\"").retry_after().unwrap().header_value(), None);
        assert_eq!(of("0.249").retry_after().unwrap().header_value().as_deref(), Some("0.249"));
        for bad in ["1.2345", "-1.5", "\"soon\"", "1e9"] {
            assert_eq!(of(bad).check().unwrap_err().0, "retry_after", "{bad}");
        }
    }
}
