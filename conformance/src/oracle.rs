//! The oracle: what the contract says the tenant must hold after a scenario's runs, computed from
//! the scenario, the simulator's generated people and items, its directory and the mapping files,
//! and from nothing a connector wrote.
//!
//! - Windows (WINDOW, INCREMENTAL): the first completed run at T covers `[T - 24 h, T)`; each later
//!   completed run covers `[end of the last completed run, its T)`. Runs the scenario kills are
//!   not completed: the run after one covers its window again.
//! - Arrivals (LATE), with `[vendor] clock = "run_at"` (else every item is there from the
//!   start and only the windows count): an item is there for a run at T when it was archived at
//!   or before T. It is taken by the first completed run at T whose window's end T is after its
//!   capture and that it had reached; out of scope when captured before the first window and
//!   archived by the first run (a first run imports its window only). With `[vendor]
//!   retention_days`, an item that run finds archived more than that before T has expired: it is
//!   imported nowhere, and that run reports its range of sequence numbers `source_expired`
//!   (`item_id` `expired:<first>-<last>`).
//! - Routing (ROUTE-*): per participant, the mapping first (when it names a valid user), then, with
//!   automatic mapping on, the participant's email address; an item goes once to each distinct
//!   mailbox; an item routed nowhere is dropped (`user_mapping`).
//! - Addresses (ROUTE-EMAIL, ROUTE-MAP, contract v2): an address reaches a mailbox when it is the
//!   userPrincipalName (`GET /users/{upn}`), the primary address (`$filter=mail eq`) or any other
//!   SMTP proxy address (`$filter=proxyAddresses/any(…)`) of a user whose `accountEnabled` is true
//!   and who has a mailbox (no `MailboxNotEnabledForRESTAPI`), in any case. The oracle reads the
//!   directory's users and applies that rule itself ([`Resolver`]); it does not ask the
//!   simulator's lookup.
//! - SIZE: an item over 10,485,760 bytes goes nowhere (`item_too_large`).
//! - The tenant's refusals (contract v3, "Permissions, scope and the request cap" and "Failure
//!   modes"): a delivery the tenant refuses is expected reported `sink_rejected` for its mailbox,
//!   not imported ([`Refusal`]). SCOPE: a mailbox outside `[tenant] app_scope` refuses every
//!   delivery. TENANT-LIMIT: an item whose import request (its bytes in base64, without line
//!   breaks, the smallest request a connector can send) is over `[tenant] max_request_bytes`
//!   (Graph's 4 MB by default) is refused by every mailbox. QUOTA: a mailbox with a quota takes,
//!   run by run in listing order, the items that fit (the sum of its messages' raw sizes at most
//!   the quota); the first that does not fit is refused, and so is every later delivery to it in
//!   that run (the connector does not ask a full mailbox again in the run); the next run asks
//!   again. The quota is counted from an empty mailbox (the quota scenarios seed none).
//!
//! - INTEGRITY (docs/contract.md, "Failure modes"): an item whose downloads never give its bytes
//!   as a message is `malformed_item`, imported nowhere: a `malformed` item (the archive holds bad
//!   bytes), a `gone` one (404, 410), and one a `corrupt` rule corrupts on every download from
//!   the first (`count = 0`, `after = 0`). Any other `corrupt` rule lets a download through after
//!   the first corrupt one, which a connector downloads again: that item is imported as any other.
//!
//! An item that is both too large and routed nowhere is expected as `item_too_large` (a connector
//! can tell the size from the listing before it routes); the judge accepts either reason for it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use tm_contract::format_ms;
use tm_simulator::{Conversation, FOLDER_NAME, Kind, MAX_ITEM_BYTES, Observation};

use crate::digest::Digest;

mod arrival;
mod refusals;

use arrival::Arrival;
use refusals::TenantRefusals;
pub use refusals::{GRAPH_MAX_REQUEST_BYTES, request_bytes, request_cap, unusable_items, wrapped_request_bytes};
use tm_contract::{Mapping, MappingError, MobileNumber, Region};

/// 24 hours in milliseconds.
const DAY_MS: i64 = 24 * 3_600_000;

/// How a participant reaches a mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Via {
    /// Through the mapping CSV (ROUTE-MAP).
    Mapping,
    /// Through the participant's email address (ROUTE-EMAIL).
    Email,
}

/// One archived item, as far as the rules care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFacts {
    /// ArchiveMessageID.
    pub id: String,
    /// Capture time, ms since the epoch.
    pub captured_ms: i64,
    /// When it reached the archive, ms since the epoch.
    pub archived_ms: i64,
    /// The archive's sequence number (arrival order).
    pub seq: u64,
    /// Kind.
    pub kind: Kind,
    /// Real raw size.
    pub size: u64,
    /// Size the listing reports.
    pub listed_size: u64,
    /// The actor (person index).
    pub actor: u32,
    /// Every participant (person indices), the actor first, each once.
    pub participants: Vec<u32>,
    /// People named inside the item who are not its participants (a chat record's quoted
    /// senders, a card's contact): they never route it (ROUTE-NESTED).
    pub quoted: Vec<u32>,
    /// The recalled item, for a recall.
    pub recalls: Option<String>,
    /// Whether some recall in the archive recalls this item.
    pub recalled: bool,
    /// One line for people: kind, time, who.
    pub label: String,
}

impl ItemFacts {
    /// Over the 10 MB limit.
    pub fn oversize(&self) -> bool {
        self.size > MAX_ITEM_BYTES
    }
}

/// A person, as far as routing cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonFacts {
    /// Scenario id.
    pub id: String,
    /// E.164 mobile.
    pub mobile: Option<String>,
    /// The mobile as the contract reads it (`None` when it is no valid number).
    pub mobile_number: Option<MobileNumber>,
    /// Address the vendor knows.
    pub email: String,
}

/// The archive and the population of a running simulator, read once.
#[derive(Debug, Clone)]
pub struct ArchiveFacts {
    /// Items in listing order.
    pub items: Vec<ItemFacts>,
    /// People by index.
    pub persons: Vec<PersonFacts>,
    by_id: BTreeMap<String, usize>,
    arrival: Arrival,
}

impl ArchiveFacts {
    /// Reads the archive of a simulator.
    pub fn read(seen: &Observation) -> ArchiveFacts {
        let world = seen.world();
        let population = &world.archive.population;
        let persons: Vec<PersonFacts> = population
            .persons
            .iter()
            .map(|p| PersonFacts {
                id: p.id.clone(),
                mobile: p.mobile.clone(),
                mobile_number: p.mobile.as_deref().and_then(|m| MobileNumber::parse(m, Region::CN).ok()),
                email: p.email.clone(),
            })
            .collect();
        let recalled: BTreeSet<&str> = world.archive.items().iter().filter_map(|i| i.spec.recalls.as_deref()).collect();
        let mut items = Vec::new();
        for item in world.archive.items() {
            let spec = &item.spec;
            let (others, place): (Vec<u32>, String) = match spec.conversation {
                Conversation::Direct(peer) => (vec![peer], format!("to {}", persons[peer as usize].id)),
                Conversation::Group(g) => {
                    let group = &population.groups[g as usize];
                    let members = group.members.iter().filter_map(|m| population.person_index(m)).filter(|m| *m != spec.actor);
                    (members.collect(), format!("in {}", group.id))
                }
                Conversation::SelfNote => (vec![spec.actor], "to self".to_string()),
            };
            let mut participants = vec![spec.actor];
            for o in others {
                if !participants.contains(&o) {
                    participants.push(o);
                }
            }
            let mut label = format!(
                "{} {} from {} {place}",
                spec.kind.as_str(),
                format_ms(spec.captured_ms).replace(".000Z", "Z"),
                persons[spec.actor as usize].id
            );
            if matches!(spec.kind, Kind::Attachment | Kind::File) && world.archive.size(item) >= 1_000_000 {
                label.push_str(&format!(", {} bytes", world.archive.size(item)));
            }
            if let Some(listed) = spec.listed_size {
                label.push_str(&format!(", listed as {listed}"));
            }
            if let Some(r) = &spec.recalls {
                label.push_str(&format!(", recalls {r}"));
            }
            if spec.archived_ms != spec.captured_ms {
                label.push_str(&format!(", archived {}", format_ms(spec.archived_ms).replace(".000Z", "Z")));
            }
            items.push(ItemFacts {
                id: spec.id.clone(),
                captured_ms: spec.captured_ms,
                archived_ms: spec.archived_ms,
                seq: spec.seq,
                kind: spec.kind,
                size: world.archive.size(item),
                listed_size: spec.listed_size.unwrap_or_else(|| world.archive.size(item)),
                actor: spec.actor,
                participants,
                quoted: spec.quoted.clone(),
                recalls: spec.recalls.clone(),
                recalled: recalled.contains(spec.id.as_str()),
                label,
            });
        }
        let by_id = items.iter().enumerate().map(|(i, f)| (f.id.clone(), i)).collect();
        ArchiveFacts { items, persons, by_id, arrival: Arrival::of(seen) }
    }

    /// Whether the archive lists `item` at `at_ms` (a run's RUN_AT): always without `[vendor]
    /// clock = "run_at"`; else once it was archived, until it expires.
    pub fn listed_at(&self, item: &ItemFacts, at_ms: i64) -> bool {
        let a = &self.arrival;
        !a.clock || (item.archived_ms <= at_ms && a.retention_ms.is_none_or(|r| item.archived_ms >= at_ms - r))
    }

    /// An item by id.
    pub fn get(&self, id: &str) -> Option<&ItemFacts> {
        self.by_id.get(id).map(|i| &self.items[*i])
    }

    /// Position of an item in listing order.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }
}

/// One completed run's window and settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Index of the run in the scenario (0-based).
    pub run: usize,
    /// Window start (inclusive), ms.
    pub from_ms: i64,
    /// Window end (exclusive), ms: the run's RUN_AT.
    pub to_ms: i64,
    /// AUTO_MAPPING of the run.
    pub auto_mapping: bool,
    /// The run's mapping.
    pub mapping: Mapping,
}

/// How one participant of an item routes, under the settings of the item's window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantRoute {
    /// Person index.
    pub person: u32,
    /// Where the participant routes, and how; `None` = nowhere.
    pub route: Option<(String, Via)>,
    /// The valid mailbox the participant's email address resolves to (whether or not it is used).
    pub email_mailbox: Option<String>,
    /// The mobile is in the mapping (to a valid user or not).
    pub mapped: bool,
}

/// What the contract expects of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Captured outside every completed run's window: imported nowhere, reported by no one.
    Outside,
    /// Imported once into each of these mailboxes (primary addresses).
    Deliver(BTreeSet<String>),
    /// Routed nowhere: `user_mapping`.
    Drop,
    /// Over the limit: `item_too_large` (also when it would route nowhere).
    TooLarge,
    /// Routed, but every mailbox it routes to refuses it (see [`ItemExpectation::refused`]):
    /// `sink_rejected` for each.
    Refused,
    /// Its downloads never give its bytes as a message (INTEGRITY): `malformed_item`.
    Malformed,
}

/// Why the tenant refuses a delivery (reported `sink_rejected` for its mailbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Refusal {
    /// The mailbox is outside `[tenant] app_scope` (403 `ErrorAccessDenied`): SCOPE.
    Scope,
    /// The import request is over `[tenant] max_request_bytes` (413): TENANT-LIMIT.
    RequestCap,
    /// The mailbox is full (`ErrorQuotaExceeded`, 403 or 507): QUOTA.
    Quota,
}

/// The expectation for one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemExpectation {
    /// Index into [`Expectation::windows`] of the window that holds the item.
    pub window: Option<usize>,
    /// How each participant routes (empty outside every window).
    pub participants: Vec<ParticipantRoute>,
    /// How each quoted person would route were they a participant (ROUTE-NESTED: they are not;
    /// empty outside every window).
    pub quoted: Vec<ParticipantRoute>,
    /// The outcome.
    pub outcome: Outcome,
    /// The mailbox (primary address) that refuse the delivery routed to them, and why; they are
    /// not in [`Outcome::Deliver`].
    pub refused: BTreeMap<String, Refusal>,
}

impl ItemExpectation {
    /// The participants routing to `mailbox`, with how.
    pub fn routing_to<'a>(&'a self, mailbox: &'a str) -> impl Iterator<Item = (&'a ParticipantRoute, Via)> + 'a {
        self.participants.iter().filter_map(move |p| match &p.route {
            Some((m, via)) if tm_contract::same_address(m, mailbox) => Some((p, *via)),
            _ => None,
        })
    }
}

/// Everything the contract expects of a scenario.
#[derive(Debug, Clone)]
pub struct Expectation {
    /// Completed runs' windows, in order.
    pub windows: Vec<Window>,
    /// Per item id.
    pub items: BTreeMap<String, ItemExpectation>,
    /// Items that expired before the run that would take them (LATE), by that run's window.
    pub expired: Vec<ExpiredRange>,
}

/// A range of sequence numbers a run finds expired and reports `source_expired` (LATE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredRange {
    /// Index into [`Expectation::windows`].
    pub window: usize,
    /// The first and last expired `seq`.
    pub first_seq: u64,
    /// The last.
    pub last_seq: u64,
    /// The items (ids).
    pub ids: Vec<String>,
}

impl ExpiredRange {
    /// The failure's `item_id` (contract: `expired:<first>-<last>`).
    pub fn failure_id(&self) -> String {
        format!("expired:{}-{}", self.first_seq, self.last_seq)
    }
}

/// A scenario the oracle cannot judge.
#[derive(Debug, thiserror::Error)]
pub enum OracleError {
    /// A mapping file is a configuration error.
    #[error(transparent)]
    Mapping(#[from] MappingError),
}

/// Addresses to mailboxes, by contract v2's lookup rule (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Resolver {
    /// Address key → the user's primary address.
    valid: BTreeMap<String, String>,
}

impl Resolver {
    /// The rule over the directory's users.
    pub fn new(seen: &Observation) -> Resolver {
        let mut valid = BTreeMap::new();
        for (user, t) in seen.directory().all() {
            if !(t.enabled && t.mailbox) {
                continue;
            }
            for a in std::iter::once(&t.upn).chain(std::iter::once(&user.mail)).chain(&t.aliases) {
                valid.entry(tm_contract::address_key(a)).or_insert_with(|| user.mail.clone());
            }
        }
        Resolver { valid }
    }

    /// The mailbox (primary address) `address` resolves to, if any.
    pub fn resolve(&self, address: &str) -> Option<&str> {
        self.valid.get(&tm_contract::address_key(address)).map(String::as_str)
    }
}

impl Expectation {
    /// Computes the expectation of the simulator's scenario.
    pub fn compute(seen: &Observation, facts: &ArchiveFacts) -> Result<Expectation, OracleError> {
        let resolver = Resolver::new(seen);
        let world = seen.world();
        let mut windows: Vec<Window> = Vec::new();
        for (i, run) in world.scenario.runs.iter().enumerate() {
            if run.kill_after_imports.is_some() {
                continue;
            }
            let to_ms = run.at.timestamp_millis();
            let from_ms = windows.last().map_or(to_ms - DAY_MS, |w| w.to_ms);
            let mapping = match &run.mapping {
                Some(path) => Mapping::from_path(path, Region::CN)?,
                None => Mapping::empty(),
            };
            windows.push(Window { run: i, from_ms, to_ms, auto_mapping: run.auto_mapping, mapping });
        }
        let mut items = BTreeMap::new();
        let mut tenant = TenantRefusals::new(seen, &resolver);
        let unusable = unusable_items(seen);
        let arrival = Arrival::of(seen);
        let mut expired: BTreeMap<usize, Vec<&ItemFacts>> = BTreeMap::new();
        for item in &facts.items {
            let window = match arrival.window_of(&windows, item) {
                Some((w, true)) => {
                    expired.entry(w).or_default().push(item);
                    None
                }
                other => other.map(|(w, _)| w),
            };
            let expectation = match window {
                None => ItemExpectation {
                    window: None,
                    participants: Vec::new(),
                    quoted: Vec::new(),
                    outcome: Outcome::Outside,
                    refused: BTreeMap::new(),
                },
                Some(w) => {
                    let participants: Vec<ParticipantRoute> =
                        item.participants.iter().map(|p| route(&resolver, &windows[w], *p, &facts.persons[*p as usize])).collect();
                    let mailboxes: BTreeSet<String> = participants.iter().filter_map(|p| p.route.as_ref().map(|r| r.0.clone())).collect();
                    let mut refused = BTreeMap::new();
                    let outcome = if item.oversize() {
                        Outcome::TooLarge
                    } else if unusable.contains(&item.id) {
                        Outcome::Malformed
                    } else if mailboxes.is_empty() {
                        Outcome::Drop
                    } else {
                        let accepted = tenant.admit(w, item, mailboxes, &mut refused);
                        if accepted.is_empty() { Outcome::Refused } else { Outcome::Deliver(accepted) }
                    };
                    let quoted = item.quoted.iter().map(|p| route(&resolver, &windows[w], *p, &facts.persons[*p as usize])).collect();
                    ItemExpectation { window: Some(w), participants, quoted, outcome, refused }
                }
            };
            items.insert(item.id.clone(), expectation);
        }
        let expired = expired
            .into_iter()
            .map(|(window, mut gone)| {
                gone.sort_by_key(|i| i.seq);
                let (first_seq, last_seq) = (gone.first().map_or(0, |i| i.seq), gone.last().map_or(0, |i| i.seq));
                ExpiredRange { window, first_seq, last_seq, ids: gone.iter().map(|i| i.id.clone()).collect() }
            })
            .collect();
        Ok(Expectation { windows, items, expired })
    }

    /// The expected digest: every delivery in `WeChat Archiver`, every failure by reason.
    pub fn digest(&self) -> Digest {
        let mut digest = Digest { tenant: BTreeMap::new(), failures: Some(BTreeMap::new()) };
        for (id, e) in &self.items {
            match &e.outcome {
                Outcome::Outside => {}
                Outcome::Deliver(mailboxes) => {
                    for m in mailboxes {
                        let folders = digest.tenant.entry(m.clone()).or_default();
                        folders.entry(FOLDER_NAME.to_string()).or_default().push(id.clone());
                    }
                }
                Outcome::Drop | Outcome::TooLarge | Outcome::Malformed => {
                    let reason = match e.outcome {
                        Outcome::Drop => "user_mapping",
                        Outcome::TooLarge => "item_too_large",
                        _ => "malformed_item",
                    };
                    digest.failures.as_mut().expect("set above").entry(reason.to_string()).or_default().insert(id.clone());
                }
                Outcome::Refused => {}
            }
            if !e.refused.is_empty() {
                digest.failures.as_mut().expect("set above").entry("sink_rejected".to_string()).or_default().insert(id.clone());
            }
        }
        for range in &self.expired {
            digest.failures.as_mut().expect("set above").entry("source_expired".to_string()).or_default().insert(range.failure_id());
        }
        digest.normalise();
        digest
    }

    /// The window index of the first completed run, and whether there are later ones.
    pub fn first_window(&self) -> Option<&Window> {
        self.windows.first()
    }

    /// Start of the first window, ms.
    pub fn start_ms(&self) -> Option<i64> {
        self.windows.first().map(|w| w.from_ms)
    }

    /// End of the last window, ms.
    pub fn end_ms(&self) -> Option<i64> {
        self.windows.last().map(|w| w.to_ms)
    }
}

fn route(resolver: &Resolver, window: &Window, person: u32, p: &PersonFacts) -> ParticipantRoute {
    let email_mailbox = resolver.resolve(&p.email).map(str::to_string);
    let mapped_to = p.mobile_number.as_ref().and_then(|m| window.mapping.get(m)).map(|m| m.address.as_str());
    let mapped_valid = mapped_to.and_then(|m| resolver.resolve(m)).map(str::to_string);
    let route = match (mapped_valid, &email_mailbox) {
        (Some(m), _) => Some((m, Via::Mapping)),
        (None, Some(e)) if window.auto_mapping => Some((e.clone(), Via::Email)),
        _ => None,
    };
    ParticipantRoute { person, route, email_mailbox, mapped: mapped_to.is_some() }
}

/// RFC 3339 of a millisecond instant, for messages.
pub fn at(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).map_or_else(|| ms.to_string(), |t| format_ms(t.timestamp_millis()))
}
