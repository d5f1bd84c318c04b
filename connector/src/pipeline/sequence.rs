//! LATE: the vendor's sequence listing (`GET /tm/v1/items?after=`), followed after the window
//! with the durable cursor `after_seq` (`state.rs`).
//!
//! A message captured on Monday can reach the archive on Wednesday (a phone offline): the
//! window listing of Monday's run did not see it and later windows start after it. The sequence
//! is in arrival order, so every item that arrived since the last completed run has a `seq`
//! above the cursor:
//!
//! - first run (no cursor, or a version 1 state): the pass only positions the cursor: what it
//!   lists before the window is out of a first run's scope (WINDOW), what lies in the window the
//!   window listing took;
//! - later runs: every listed item captured before the window's end and not listed by this run's
//!   window is imported (exactly once: the window listing and this pass share the run's seen
//!   ids, and the ledger covers an interrupted run); items captured at or after the window's end
//!   are a later window's;
//! - items the page says expired (`expired`, the vendor's retention, WeCom's errcode 10010) are
//!   reported `source_expired`, one failure per range (`item_id` `expired:<first>-<last>`);
//! - the cursor moves to the last `seq` listed (or expired) only when the run completes, with the
//!   checkpoint; a failed or killed run leaves both where they were.
//!
//! A vendor whose entries carry no `seq` (contract v3) has no sequence: the pass stops and the
//! cursor stays as it was.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use futures_util::{StreamExt, TryStreamExt, stream};
use tm_contract::{Counts, Expired, Failure, FailureReason};

use super::Run;
use super::listing::Pass;
use crate::entries::Entry;
use crate::error::ConnectorError;
use crate::http::HttpError;
use crate::source::SourceError;

/// What the sequence pass found besides its items.
#[derive(Default)]
struct Found {
    /// The highest `seq` listed or expired.
    high: AtomicU64,
    /// Entries without a `seq`: no sequence to follow.
    unsupported: AtomicBool,
    expired: Mutex<Vec<Expired>>,
}

impl Run<'_> {
    /// Follows the sequence after `cursor`; returns the pass's counts and failures and the
    /// cursor to commit.
    pub(super) async fn process_sequence(&self, cursor: Option<u64>) -> Result<(Counts, Vec<Failure>, Option<u64>), ConnectorError> {
        let after = cursor.unwrap_or(0);
        let (source, page_size, found) = (self.source, self.config.page_size, &Found::default());
        let pages = stream::try_unfold(Some((1usize, None::<String>)), move |state| async move {
            let Some((number, token)) = state else { return Ok(None) };
            let page = source.list_seq_page(after, token.as_deref(), page_size).await?;
            if let Some(e) = page.expired {
                found.high.fetch_max(e.last_seq, Ordering::SeqCst);
                found.expired.lock().expect("not poisoned").push(e);
            }
            let mut entries = Vec::with_capacity(page.entries.len());
            for entry in page.entries {
                match &entry {
                    Entry::Usable(item) if item.seq.is_none() => {
                        found.unsupported.store(true, Ordering::SeqCst);
                        return Ok(None);
                    }
                    Entry::Usable(item) => _ = found.high.fetch_max(item.seq.unwrap_or(0), Ordering::SeqCst),
                    Entry::Unusable(_) => {}
                }
                entries.push(Ok((number, entry)));
            }
            let next = match page.next_cursor {
                Some(next) if Some(&next) == token.as_ref() => {
                    return Err(SourceError::Http(HttpError::Protocol {
                        what: "vendor sequence listing".into(),
                        detail: "next_cursor repeats the current cursor".into(),
                    }));
                }
                Some(next) => Some((number + 1, Some(next))),
                None => None,
            };
            Ok(Some((stream::iter(entries), next)))
        });
        let (mut counts, mut failures) = self.drain(pages.try_flatten().boxed(), Pass::Sequence { late: cursor.is_some() }).await?;
        if found.unsupported.load(Ordering::SeqCst) {
            tracing::warn!("the vendor's listing has no `seq`: no sequence to follow, late arrivals are not looked for");
            return Ok((counts, failures, cursor));
        }
        let expired = std::mem::take(&mut *found.expired.lock().expect("not poisoned"));
        if cursor.is_some() {
            for e in expired {
                tracing::error!(
                    first_seq = e.first_seq,
                    last_seq = e.last_seq,
                    count = e.count,
                    "source_expired: items expired at the vendor before they were listed"
                );
                failures.push(expired_failure(e));
                counts.failed += 1;
            }
        }
        let high = found.high.load(Ordering::SeqCst);
        Ok((counts, failures, Some(after.max(high))))
    }
}

/// The report's failure for an expired range.
pub(crate) fn expired_failure(e: Expired) -> Failure {
    Failure::new(format!("expired:{}-{}", e.first_seq, e.last_seq), None, FailureReason::SourceExpired).with_detail(format!(
        "{} items (seq {} to {}) expired at the vendor (its retention) before this connector listed them",
        e.count, e.first_seq, e.last_seq
    ))
}
