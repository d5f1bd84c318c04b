//! The tenant's refusals as the oracle plays them (see the oracle's docs): the request cap, the
//! scope and quotas, and the items no download gives as a message (INTEGRITY).

use std::collections::{BTreeMap, BTreeSet};

use tm_contract::FaultKind;
use tm_simulator::Observation;

use super::{ItemFacts, Refusal, Resolver};

/// Graph's request cap, the tenant's default `max_request_bytes` (4 MB taken as 4,194,304 bytes,
/// as the simulator takes it: docs/contract.md, "The request cap").
pub const GRAPH_MAX_REQUEST_BYTES: u64 = 4 * 1024 * 1024;

/// The smallest import request of an item of `size` raw bytes: its base64, without line breaks.
pub fn request_bytes(size: u64) -> u64 {
    size.div_ceil(3) * 4
}

/// The import request of an item of `size` raw bytes in base64 broken into MIME's lines (76
/// characters and CRLF, RFC 2045 §6.8), which the import paths allow too.
pub fn wrapped_request_bytes(size: u64) -> u64 {
    let b = request_bytes(size);
    b + 2 * b.div_ceil(76)
}

/// The scenario's request cap: `[tenant] max_request_bytes`, else Graph's 4 MB.
pub fn request_cap(seen: &Observation) -> u64 {
    seen.world().scenario.limits.max_request_bytes.unwrap_or(GRAPH_MAX_REQUEST_BYTES)
}

/// The tenant's refusals as the oracle plays them (see the module docs): the scope, the request
/// cap, and each quota mailbox's bytes and whether it refused in the current run.
pub(super) struct TenantRefusals {
    /// Primary addresses inside `[tenant] app_scope`; `None`: every mailbox.
    scope: Option<BTreeSet<String>>,
    /// The request cap.
    cap: u64,
    /// Quota mailboxes (primary address) → (quota, bytes held, the run in which it last refused).
    quotas: BTreeMap<String, (u64, u64, Option<usize>)>,
}

impl TenantRefusals {
    pub(super) fn new(seen: &Observation, resolver: &Resolver) -> TenantRefusals {
        let scenario = &seen.world().scenario;
        let scope =
            scenario.app.scope.as_ref().map(|s| s.iter().filter_map(|e| resolver.resolve(&e.address).map(str::to_string)).collect());
        let cap = request_cap(seen);
        let quotas = seen
            .directory()
            .all()
            .filter_map(|(user, t)| Some((user.mail.clone(), (scenario.failure_modes.quota_of(&t.upn)?, 0, None))))
            .collect();
        TenantRefusals { scope, cap, quotas }
    }

    /// The mailboxes that take a delivery of `item` in window `w`; the others are put in `refused`.
    pub(super) fn admit(
        &mut self,
        w: usize,
        item: &ItemFacts,
        mailboxes: BTreeSet<String>,
        refused: &mut BTreeMap<String, Refusal>,
    ) -> BTreeSet<String> {
        let mut accepted = BTreeSet::new();
        for m in mailboxes {
            let why = if self.scope.as_ref().is_some_and(|s| !s.contains(&m)) {
                Some(Refusal::Scope)
            } else if request_bytes(item.size) > self.cap {
                Some(Refusal::RequestCap)
            } else if let Some((quota, held, refused_in)) = self.quotas.get_mut(&m) {
                if *refused_in == Some(w) || *held + item.size > *quota {
                    *refused_in = Some(w);
                    Some(Refusal::Quota)
                } else {
                    *held += item.size;
                    None
                }
            } else {
                None
            };
            match why {
                Some(r) => {
                    refused.insert(m, r);
                }
                None => {
                    accepted.insert(m);
                }
            }
        }
        accepted
    }
}

/// The items whose every download gives no usable message (INTEGRITY, see the module docs).
pub fn unusable_items(seen: &Observation) -> BTreeSet<String> {
    let every_download = |kind: &FaultKind, count: u64, after: u64| match kind {
        FaultKind::Malformed(_) | FaultKind::Gone { .. } => true,
        FaultKind::Corrupt => count == 0 && after == 0,
        _ => false,
    };
    let faults = &seen.world().scenario.faults;
    faults.iter().filter(|r| every_download(&r.record().kind, r.count, r.after)).filter_map(|r| r.item.clone()).collect()
}
