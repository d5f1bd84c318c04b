//! BACKOFF: the catalogue entry, what counts as exercising it, and its check over a
//! run's traffic (the access log and the journal; the shared pieces are in `manners.rs`).

use super::prelude::*;
use std::collections::BTreeMap;

use tm_simulator::LoggedRequest;

use crate::manners::*;

/// BACKOFF.
pub(crate) const RULE: Rule = Rule::new(&Backoff);

const REQUIREMENT: Requirement = Requirement {
    id: "BACKOFF",
    text: "Other 5xx answers are retried a bounded number of times, with waits that grow (exponential backoff; jitter \
               allowed).",
    check: "on each target, at most 10 attempts in a row answered 5xx/429; after consecutive 5xx without Retry-After each \
                wait is at least 0.5 x the previous one (jitter and a loaded machine make single waits noisy) (minus 5 ms), and over three or more waits the last is at least 1.5 x \
                the first and 50 ms longer",
    scenarios: &["backoff", "soak"],
};

struct Backoff;

impl Check for Backoff {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        j.count(j.observed(RULE).traffic.exercised, "retried runs of 5xx answers")
    }

    /// The check over every run's traffic.
    fn observe(&self, j: &Judging<'_>) -> Observed {
        Observed::of_traffic(j, backoff)
    }

    fn judge(&self, j: &Judging<'_>, out: &mut Findings) {
        out.add_all(RULE, &j.observed(RULE).traffic.findings);
    }
}

/// The run's requests grouped by target, in arrival order (indices into `requests`).
fn by_target(requests: &[LoggedRequest]) -> BTreeMap<String, Vec<usize>> {
    let mut out: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in requests.iter().enumerate() {
        out.entry(target(r)).or_default().push(i);
    }
    out
}

/// BACKOFF: bounded attempts on a failing target, and growing waits after 5xx without
/// `Retry-After` (see the catalogue for the exact bounds).
pub fn backoff(run: &RunTraffic<'_>) -> Checked {
    let mut out = Checked::default();
    let first = run.requests.first().map_or(1, |r| r.seq);
    let asked = retry_afters(run);
    for (t, seq) in by_target(run.requests) {
        let mut k = 0;
        while k < seq.len() {
            if !is_failure(run.requests[seq[k]].status) {
                k += 1;
                continue;
            }
            // A chain: failures seq[k..end], then (maybe) one more attempt.
            let start = k;
            while k < seq.len() && is_failure(run.requests[seq[k]].status) {
                k += 1;
            }
            let failures = &seq[start..k];
            let attempts = failures.len() + usize::from(k < seq.len());
            if attempts > MAX_ATTEMPTS {
                out.findings.push(format!(
                    "run {}: {attempts} attempts in a row on the {t}, from {}: retries must be bounded ({MAX_ATTEMPTS} at most)",
                    run.number,
                    describe(&run.requests[failures[0]], first)
                ));
            }
            // Waits after failures without Retry-After, in runs of consecutive ones.
            let mut waits: Vec<(u64, usize)> = Vec::new();
            let judge = |waits: &mut Vec<(u64, usize)>, out: &mut Checked| {
                if waits.is_empty() {
                    return;
                }
                out.exercised += 1;
                for w in waits.windows(2) {
                    let ((prev, _), (now, at)) = (w[0], w[1]);
                    if (now + SLACK_US) * 2 < prev {
                        out.findings.push(format!(
                            "run {}: on the {t}, the wait before {} was {} ms, shorter than the {} ms before the previous attempt: waits must grow",
                            run.number,
                            describe(&run.requests[at], first),
                            now / 1000,
                            prev / 1000
                        ));
                    }
                }
                if waits.len() >= 3 {
                    let ((w1, _), (wn, at)) = (waits[0], waits[waits.len() - 1]);
                    if wn * 2 < w1 * 3 || wn < w1 + 50_000 {
                        out.findings.push(format!(
                            "run {}: on the {t}, {} consecutive 5xx answers were retried after waits of {} ms, then {} ms (before {}): the waits do not grow",
                            run.number,
                            waits.len(),
                            w1 / 1000,
                            wn / 1000,
                            describe(&run.requests[at], first)
                        ));
                    }
                }
                waits.clear();
            };
            for (j, &i) in failures.iter().enumerate() {
                let next = seq.get(start + j + 1).copied();
                match next {
                    Some(n) if !asked.contains_key(&i) => {
                        let wait = run.requests[n].start_us.saturating_sub(run.requests[i].end_us);
                        waits.push((wait, n));
                    }
                    _ => judge(&mut waits, &mut out),
                }
            }
            judge(&mut waits, &mut out);
        }
    }
    out
}
