//! GRAPH-PAGING: the catalogue entry, which mailboxes it concerns, what counts as exercising it,
//! and what it explains: before any other explanation but a cut download, a delivery missing from
//! a mailbox whose folder the connector did not find beyond the first page. An empty folder
//! created there is given to it by FOLDER's judging.

use std::collections::BTreeSet;

use super::prelude::*;
use tm_contract::{Api, Op};
use tm_simulator::FOLDER_NAME;

/// Graph's page of a mailbox's folders (`GET /users/{id}/mailFolders` answers 10 at a time; the
/// simulator orders them by name).
pub const FOLDER_PAGE: usize = 10;

/// GRAPH-PAGING.
pub(crate) const RULE: Rule = Rule::new(&GraphPaging);

const REQUIREMENT: Requirement = Requirement {
    id: "GRAPH-PAGING",
    text: "The connector finds what Graph returns beyond the first page of a listing: a mailbox's `WeChat Archiver` is \
               found wherever it lies in the folder listing (Graph pages folders at 10), whether it existed before or an \
               earlier run created it, and is never created again.",
    check: "in a mailbox with at least 10 other folders named before `WeChat Archiver` (so that the folder is beyond page \
                1), every expected item is imported; a delivery missing there after the tenant answered a creation of the \
                folder 409 `ErrorFolderExists` is this rule's",
    scenarios: &["graph-paging"],
};

struct GraphPaging;

/// Whether the connector did not find `mailbox`'s folder beyond the first page (see
/// [`folder_not_found`]).
pub(crate) fn concerns(j: &Judging<'_>, mailbox: &str) -> bool {
    j.observed(RULE).mailboxes.iter().any(|m| tm_contract::same_address(m, mailbox))
}

/// Mailboxes (their addresses) whose `WeChat Archiver`, when it exists, lies beyond the first page
/// of their folder listing: at least [`FOLDER_PAGE`] of their other folders sort before it.
fn paged_mailboxes(j: &Judging<'_>) -> BTreeSet<String> {
    let key = FOLDER_NAME.to_lowercase();
    j.exec
        .initial
        .iter()
        .filter(|m| m.folders.iter().filter(|f| f.name.to_lowercase() < key).count() >= FOLDER_PAGE)
        .map(|m| m.address.clone())
        .collect()
}

/// Paged mailboxes whose folder the connector did not find: the tenant answered a creation of
/// `WeChat Archiver` 409 (it was there), or the connector created it and imported nothing into
/// it (it did not find it again).
fn folder_not_found(j: &Judging<'_>) -> BTreeSet<String> {
    let paged = paged_mailboxes(j);
    let is_paged = |m: &str| paged.iter().any(|p| tm_contract::same_address(p, m));
    let mut out: BTreeSet<String> = j
        .exec
        .journal
        .iter()
        .filter(|e| e.api == Api::Tenant && e.op == Op::CreateFolder && e.status == 409)
        .filter_map(|e| e.mailbox.clone())
        .filter(|m| is_paged(m))
        .collect();
    for mailbox in j.exec.last.iter().filter(|m| is_paged(&m.address)) {
        let existed = j
            .exec
            .initial
            .iter()
            .any(|i| tm_contract::same_address(&i.address, &mailbox.address) && i.folders.iter().any(|f| f.name == FOLDER_NAME));
        let empty = mailbox.folders.iter().any(|f| f.name == FOLDER_NAME && f.items.iter().all(|i| i.foreign));
        if !existed && empty {
            out.insert(mailbox.address.clone());
        }
    }
    out
}

impl Check for GraphPaging {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        let paged = paged_mailboxes(j);
        let n = j
            .expected_items()
            .map(|e| match &e.outcome {
                Outcome::Deliver(m) => m.iter().filter(|m| paged.iter().any(|p| tm_contract::same_address(p, m))).count(),
                _ => 0,
            })
            .sum();
        j.count(n, "deliveries into mailboxes whose `WeChat Archiver` lies beyond the first page of folders")
    }

    /// The paged mailboxes whose folder the connector did not find.
    fn observe(&self, j: &Judging<'_>) -> Observed {
        Observed { mailboxes: folder_not_found(j), ..Observed::default() }
    }

    fn attribution_rank(&self) -> Option<u16> {
        Some(30)
    }

    fn missing(&self, j: &Judging<'_>, d: &Missing<'_>) -> Option<Explained> {
        d.item?;
        concerns(j, d.mailbox).then(|| Explained::Finding(d.finding(j)))
    }
}
