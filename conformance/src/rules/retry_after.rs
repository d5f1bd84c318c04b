//! RETRY-AFTER: the catalogue entry, what counts as exercising it, and its check over a
//! run's traffic (the access log and the journal; the shared pieces are in `manners.rs`).

use super::prelude::*;
use std::collections::{BTreeMap, VecDeque};
use tm_contract::{Api, Op};

use crate::manners::*;

/// RETRY-AFTER.
pub(crate) const RULE: Rule = Rule::new(&RetryAfter);

const REQUIREMENT: Requirement = Requirement {
    id: "RETRY-AFTER",
    text: "A 429 or 503 answer carries `Retry-After` (seconds): the connector sends the same request again no earlier than \
               that. (A wait longer than the connector is willing to make ends the run instead; the next scheduled run resumes.)",
    check: "for every 429/503 answer with Retry-After N, the next request of the same target in the same run (the same \
                listing, the same item's download, the same operation on the same mailbox, for imports and message \
                queries on the same item) starts at least N s after the answer (5 ms of clock slack)",
    scenarios: &["retry-after", "soak"],
};

struct RetryAfter;

impl Check for RetryAfter {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        j.count(j.observed(RULE).traffic.exercised, "answers with Retry-After followed by a retry")
    }

    /// The check over every run's traffic.
    fn observe(&self, j: &Judging<'_>) -> Observed {
        Observed::of_traffic(j, retry_after)
    }

    fn judge(&self, j: &Judging<'_>, out: &mut Findings) {
        out.add_all(RULE, &j.observed(RULE).traffic.findings);
    }
}

/// The `Retry-After` (seconds) of every 429/503 answer of the run, by its index in `requests`:
/// the journal's entries for such answers are matched to the access log's in order, per
/// (api, op, status, item or mailbox).
pub fn retry_afters(run: &RunTraffic<'_>) -> BTreeMap<usize, u64> {
    type Key = (Api, Op, u16, Option<String>, Option<String>);
    let key = |api: Api, op: Op, status: u16, item: Option<&String>, mailbox: Option<&String>| -> Key {
        let (who, what) = if api == Api::Tenant {
            (mailbox.cloned(), item.cloned())
        } else if op == Op::Raw {
            (None, item.cloned())
        } else {
            (None, None)
        };
        (api, op, status, who, what)
    };
    let mut asked: BTreeMap<Key, VecDeque<Option<u64>>> = BTreeMap::new();
    for e in run.journal.iter().filter(|e| matches!(e.status, 429 | 503)) {
        asked
            .entry(key(e.api, e.op, e.status, e.item_id.as_ref(), e.mailbox.as_ref()))
            .or_default()
            .push_back(journal_retry_after(e, run.throttle));
    }
    let mut out = BTreeMap::new();
    for (i, r) in run.requests.iter().enumerate().filter(|(_, r)| matches!(r.status, 429 | 503)) {
        let k = key(r.api, r.op, r.status, r.item_id.as_ref(), r.mailbox.as_ref());
        if let Some(Some(after)) = asked.get_mut(&k).and_then(VecDeque::pop_front) {
            out.insert(i, after);
        }
    }
    out
}

/// RETRY-AFTER: after a 429/503 with `Retry-After: N`, the next request of the same target (one
/// that arrives after the answer) starts at least N seconds after the answer.
pub fn retry_after(run: &RunTraffic<'_>) -> Checked {
    let mut out = Checked::default();
    let first = run.requests.first().map_or(1, |r| r.seq);
    for (i, after) in retry_afters(run) {
        let answered = &run.requests[i];
        let t = target(answered);
        let Some(next) = run.requests[i + 1..].iter().find(|x| x.start_us >= answered.end_us && target(x) == t) else { continue };
        out.exercised += 1;
        let waited = next.start_us - answered.end_us;
        if waited + SLACK_US < after * 1_000_000 {
            out.findings.push(format!(
                "run {}: {} answered Retry-After: {after}, but {} came {} ms later",
                run.number,
                describe(answered, first),
                describe(next, first),
                waited / 1000
            ));
        }
    }
    out
}
