//! Routing, pure: participants + mapping + directory answers → the mailboxes an item goes to,
//! or a drop.
//!
//! Per participant, in order (contract, "Rules"):
//! - **ROUTE-MAP**: the display name ends in a mobile, the mapping has that number, and the mapped
//!   address is a valid user in the directory → that user. The mapping wins over the email address.
//! - **ROUTE-EMAIL**: otherwise, when automatic mapping is on and the participant's email address
//!   is a valid user → that user.
//! - **ROUTE-AUTO-OFF**: with automatic mapping off only the mapping routes.
//! - **ROUTE-FANOUT**: the item goes once into each distinct user (deduplicated by user `id`, so
//!   two addresses or aliases of one user are one delivery).
//! - **ROUTE-DROP**: no participant routes anywhere → [`Route::Drop`] (`user_mapping`).
//!
//! No I/O happens here: the pipeline asks [`lookups`] which addresses need a directory answer,
//! resolves them (cached per run, case-insensitively), and passes the answers to [`route`].
//! Addresses are [`MailboxAddress`]es, compared case-insensitively everywhere; a participant's
//! address that is not one (no `@`, whitespace) cannot be a user and is not asked about. Aliases
//! are the directory's business: whatever user the directory returns for an address is the
//! user.

use std::collections::{BTreeSet, HashMap, HashSet};

use tm_contract::{MailboxAddress, Mapping, UserId};

use crate::participants::Participant;

/// A valid Microsoft 365 user as the tenant directory returned it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryUser {
    /// The immutable user id; the key for folders, imports and the ledger.
    pub id: UserId,
    /// The user principal name.
    #[serde(default)]
    pub user_principal_name: String,
    /// The primary SMTP address (may be absent in Graph; then the UPN is used).
    #[serde(default)]
    pub mail: Option<String>,
    /// The display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `accountEnabled` (asked for with `$select`); `None` when the tenant did not say.
    #[serde(default)]
    pub account_enabled: Option<bool>,
}

impl DirectoryUser {
    /// The address reported for this mailbox: `mail`, or the UPN when `mail` is empty.
    pub fn mailbox(&self) -> &str {
        match self.mail.as_deref() {
            Some(mail) if !mail.is_empty() => mail,
            _ => &self.user_principal_name,
        }
    }
}

/// Directory answers by address: `Some(user)` for a valid user, `None` for "not a valid user".
/// An address that is absent is treated as `None`.
pub type DirectoryAnswers = HashMap<MailboxAddress, Option<DirectoryUser>>;

/// Which rule routed a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteRule {
    /// ROUTE-MAP: through the mapping file.
    Map,
    /// ROUTE-EMAIL: through the participant's email address.
    Email,
}

/// One mailbox an item goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The target user.
    pub user: DirectoryUser,
    /// The rule of the first participant that routed there.
    pub rule: RouteRule,
}

/// The routing decision for one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Deliver into each of these distinct users (never empty, in participant order).
    Deliver(Vec<Target>),
    /// ROUTE-DROP: no participant routes anywhere.
    Drop,
}

/// The addresses whose directory answers [`route`] needs (each once, ignoring case).
pub fn lookups(participants: &[Participant], mapping: &Mapping, auto_mapping: bool) -> BTreeSet<MailboxAddress> {
    let mut addresses = BTreeSet::new();
    for p in participants {
        if let Some(mapped) = p.mobile.as_ref().and_then(|m| mapping.get(m)) {
            addresses.insert(mapped.address.clone());
        }
        if auto_mapping && let Some(address) = &p.mailbox {
            addresses.insert(address.clone());
        }
    }
    addresses
}

/// The user one participant routes to, and by which rule.
pub fn route_participant<'a>(
    participant: &Participant,
    mapping: &Mapping,
    auto_mapping: bool,
    answers: &'a DirectoryAnswers,
) -> Option<(&'a DirectoryUser, RouteRule)> {
    let answer = |address: &MailboxAddress| answers.get(address).and_then(Option::as_ref);
    // ROUTE-MAP: the mapping wins over the email address when its mailbox is a valid user.
    if let Some(user) = participant.mobile.as_ref().and_then(|m| mapping.get(m)).and_then(|mapped| answer(&mapped.address)) {
        return Some((user, RouteRule::Map));
    }
    // ROUTE-EMAIL / ROUTE-AUTO-OFF: the email address only routes with automatic mapping on.
    if auto_mapping && let Some(user) = participant.mailbox.as_ref().and_then(answer) {
        return Some((user, RouteRule::Email));
    }
    None
}

/// Routes an item: each distinct user once (ROUTE-FANOUT), or [`Route::Drop`] (ROUTE-DROP).
pub fn route(participants: &[Participant], mapping: &Mapping, auto_mapping: bool, answers: &DirectoryAnswers) -> Route {
    let mut seen = HashSet::new();
    let mut targets = Vec::new();
    for p in participants {
        if let Some((user, rule)) = route_participant(p, mapping, auto_mapping, answers)
            && seen.insert(&user.id)
        {
            targets.push(Target { user: user.clone(), rule });
        }
    }
    if targets.is_empty() { Route::Drop } else { Route::Deliver(targets) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::participants::Role;
    use quickcheck::{Arbitrary, Gen, QuickCheck};
    use tm_contract::{MobileNumber, Region};

    fn user(id: &str, mail: &str) -> DirectoryUser {
        DirectoryUser {
            id: id.parse().unwrap(),
            user_principal_name: mail.into(),
            mail: Some(mail.into()),
            display_name: None,
            account_enabled: Some(true),
        }
    }

    fn participant(name: &str, address: Option<&str>) -> Participant {
        Participant::new(Role::To, Some(name), address)
    }

    fn mapping(entries: &[(&str, &str)]) -> Mapping {
        let mut m = Mapping::empty();
        for (number, mailbox) in entries {
            m.insert(MobileNumber::parse(number, Region::CN).unwrap(), mailbox.parse().unwrap());
        }
        m
    }

    fn answers(entries: &[(&str, Option<DirectoryUser>)]) -> DirectoryAnswers {
        entries.iter().map(|(a, u)| (a.parse().unwrap(), u.clone())).collect()
    }

    fn keys(addresses: BTreeSet<MailboxAddress>) -> Vec<String> {
        addresses.into_iter().map(|a| a.key().to_owned()).collect()
    }

    fn ids(route: &Route) -> Vec<(&str, RouteRule)> {
        match route {
            Route::Deliver(d) => d.iter().map(|d| (d.user.id.as_str(), d.rule)).collect(),
            Route::Drop => vec![],
        }
    }

    #[test]
    fn route_map_the_mapping_wins_over_the_email_address() {
        let p = [participant("王伟 +8613812345678", Some("wang.wei@contoso.cn"))];
        let m = mapping(&[("138 1234 5678", "boss@contoso.cn")]);
        let a = answers(&[
            ("boss@contoso.cn", Some(user("u-boss", "boss@contoso.cn"))),
            ("wang.wei@contoso.cn", Some(user("u-wang", "wang.wei@contoso.cn"))),
        ]);
        assert_eq!(ids(&route(&p, &m, true, &a)), vec![("u-boss", RouteRule::Map)]);
        assert_eq!(keys(lookups(&p, &m, true)), vec!["boss@contoso.cn", "wang.wei@contoso.cn"]);
    }

    #[test]
    fn route_email_is_the_fallback_when_the_mapped_mailbox_is_not_a_valid_user() {
        let p = [participant("王伟 +8613812345678", Some("Wang.Wei@Contoso.cn"))];
        let m = mapping(&[("+8613812345678", "gone@contoso.cn")]);
        let a = answers(&[("gone@contoso.cn", None), ("wang.wei@contoso.cn", Some(user("u-wang", "wang.wei@contoso.cn")))]);
        assert_eq!(ids(&route(&p, &m, true, &a)), vec![("u-wang", RouteRule::Email)]);
    }

    #[test]
    fn route_auto_off_only_the_mapping_routes() {
        let p = [participant("王伟 +8613812345678", Some("wang.wei@contoso.cn")), participant("李娜", Some("li.na@contoso.cn"))];
        let m = mapping(&[("+8613812345678", "gone@contoso.cn")]);
        let a = answers(&[
            ("wang.wei@contoso.cn", Some(user("u-wang", "wang.wei@contoso.cn"))),
            ("li.na@contoso.cn", Some(user("u-li", "li.na@contoso.cn"))),
        ]);
        assert_eq!(route(&p, &m, false, &a), Route::Drop);
        assert_eq!(keys(lookups(&p, &m, false)), vec!["gone@contoso.cn"]);
    }

    #[test]
    fn route_fanout_two_addresses_of_one_user_are_one_delivery() {
        let p = [
            participant("Boss", Some("boss@contoso.cn")),
            participant("Chief", Some("CHIEF@contoso.cn")),
            participant("Li", Some("li@contoso.cn")),
        ];
        let boss = user("u-boss", "boss@contoso.cn");
        let a = answers(&[
            ("boss@contoso.cn", Some(boss.clone())),
            ("chief@contoso.cn", Some(boss)),
            ("li@contoso.cn", Some(user("u-li", "li@contoso.cn"))),
        ]);
        assert_eq!(ids(&route(&p, &Mapping::empty(), true, &a)), vec![("u-boss", RouteRule::Email), ("u-li", RouteRule::Email)]);
    }

    #[test]
    fn route_drop_when_nobody_resolves() {
        let p = [participant("X", Some("x@wechat.example")), participant("Y +8613900001111", None)];
        assert_eq!(route(&p, &Mapping::empty(), true, &DirectoryAnswers::new()), Route::Drop);
    }

    // ---- properties -------------------------------------------------------------------------

    const NUMBERS: [&str; 4] = ["+8613812345678", "+8613900001111", "+8613700002222", "+12015550123"];
    const ADDRESSES: [&str; 5] = ["a@contoso.cn", "b@contoso.cn", "c@contoso.cn", "x@wechat.example", "y@wechat.example"];

    /// A random routing world over small pools so that collisions are common.
    #[derive(Debug, Clone)]
    struct World {
        participants: Vec<Participant>,
        mapping: Mapping,
        answers: DirectoryAnswers,
        auto: bool,
    }

    fn pick<'a>(g: &mut Gen, pool: &[&'a str]) -> &'a str {
        g.choose(pool).copied().unwrap()
    }

    fn random_case(g: &mut Gen, s: &str) -> String {
        s.chars().map(|c| if bool::arbitrary(g) { c.to_ascii_uppercase() } else { c }).collect()
    }

    impl Arbitrary for World {
        fn arbitrary(g: &mut Gen) -> World {
            let n = usize::arbitrary(g) % 6;
            let participants = (0..n)
                .map(|_| {
                    let name = if bool::arbitrary(g) { format!("P {}", pick(g, &NUMBERS)) } else { "P".to_owned() };
                    let address = if bool::arbitrary(g) {
                        let a = pick(g, &ADDRESSES);
                        Some(random_case(g, a))
                    } else {
                        None
                    };
                    Participant::new(Role::To, Some(&name), address.as_deref())
                })
                .collect();
            let mut mapping = Mapping::empty();
            for number in NUMBERS {
                if bool::arbitrary(g) {
                    let a = pick(g, &ADDRESSES);
                    let to = random_case(g, a);
                    mapping.insert(MobileNumber::parse(number, Region::CN).unwrap(), to.parse().unwrap());
                }
            }
            // Users: each address is either not a user or one of three user ids (aliases collide).
            let mut answers = DirectoryAnswers::new();
            for address in ADDRESSES {
                let id = u8::arbitrary(g) % 4;
                let answer = (id < 3).then(|| user(&format!("u{id}"), &format!("u{id}@contoso.cn")));
                answers.insert(address.parse().unwrap(), answer);
            }
            World { participants, mapping, answers, auto: bool::arbitrary(g) }
        }
    }

    impl World {
        fn route(&self) -> Route {
            route(&self.participants, &self.mapping, self.auto, &self.answers)
        }
        fn user_of(&self, address: &str) -> Option<&DirectoryUser> {
            self.answers.get(&address.parse::<MailboxAddress>().ok()?).and_then(Option::as_ref)
        }
    }

    fn check(prop: fn(World) -> bool) {
        QuickCheck::new().tests(2000).quickcheck(prop);
    }

    #[test]
    fn property_route_fanout_never_duplicates_a_mailbox() {
        check(|w| match w.route() {
            Route::Deliver(d) => {
                let ids: HashSet<_> = d.iter().map(|d| &d.user.id).collect();
                !d.is_empty() && ids.len() == d.len()
            }
            Route::Drop => true,
        });
    }

    #[test]
    fn property_route_map_wins_whenever_the_mapped_mailbox_is_a_valid_user() {
        check(|w| {
            let delivered: HashSet<UserId> = match w.route() {
                Route::Deliver(d) => d.into_iter().map(|d| d.user.id).collect(),
                Route::Drop => HashSet::new(),
            };
            w.participants.iter().all(|p| {
                let mapped = p.mobile.as_ref().and_then(|m| w.mapping.get(m)).and_then(|m| w.user_of(m.address.as_str()));
                match mapped {
                    Some(u) => {
                        route_participant(p, &w.mapping, w.auto, &w.answers).map(|(u, r)| (&u.id, r)) == Some((&u.id, RouteRule::Map))
                            && delivered.contains(&u.id)
                    }
                    None => true,
                }
            })
        });
    }

    #[test]
    fn property_route_email_is_the_fallback_and_only_with_auto_mapping() {
        check(|w| {
            w.participants.iter().all(|p| {
                let mapped = p.mobile.as_ref().and_then(|m| w.mapping.get(m)).and_then(|m| w.user_of(m.address.as_str()));
                let by_email = p.address.as_deref().and_then(|a| w.user_of(a));
                let expected = match (mapped, by_email) {
                    (Some(u), _) => Some((u.id.clone(), RouteRule::Map)),
                    (None, Some(u)) if w.auto => Some((u.id.clone(), RouteRule::Email)),
                    _ => None,
                };
                route_participant(p, &w.mapping, w.auto, &w.answers).map(|(u, r)| (u.id.clone(), r)) == expected
            })
        });
    }

    #[test]
    fn property_route_delivers_exactly_the_union_of_participant_routes_or_drops() {
        check(|w| {
            let expected: BTreeSet<UserId> = w
                .participants
                .iter()
                .filter_map(|p| route_participant(p, &w.mapping, w.auto, &w.answers))
                .map(|(u, _)| u.id.clone())
                .collect();
            match w.route() {
                Route::Drop => expected.is_empty(),
                Route::Deliver(d) => d.into_iter().map(|d| d.user.id).collect::<BTreeSet<_>>() == expected,
            }
        });
    }

    #[test]
    fn property_route_auto_off_routes_only_through_the_mapping() {
        check(|w| match route(&w.participants, &w.mapping, false, &w.answers) {
            Route::Deliver(d) => d.iter().all(|d| d.rule == RouteRule::Map),
            Route::Drop => true,
        });
    }

    #[test]
    fn property_lookups_cover_every_answer_route_consults() {
        // Routing with only the answers for `lookups` gives the same result as with all answers.
        check(|w| {
            let needed = lookups(&w.participants, &w.mapping, w.auto);
            let restricted: DirectoryAnswers =
                w.answers.iter().filter(|(k, _)| needed.contains(*k)).map(|(k, v)| (k.clone(), v.clone())).collect();
            route(&w.participants, &w.mapping, w.auto, &restricted) == w.route()
        });
    }

    #[test]
    fn property_an_item_with_no_resolvable_participant_is_dropped() {
        check(|w| {
            let empty = DirectoryAnswers::new();
            let none: DirectoryAnswers = w.answers.keys().map(|k| (k.clone(), None)).collect();
            route(&w.participants, &w.mapping, w.auto, &empty) == Route::Drop
                && route(&w.participants, &w.mapping, w.auto, &none) == Route::Drop
        });
    }
}
