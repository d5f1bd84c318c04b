//! The listing: the window read page by page (following `next_cursor`), its items processed with
//! bounded concurrency, their outcomes counted; the first error stops the run (the items in
//! flight finish).
//!
//! A listing entry the connector cannot use (`entries.rs`) is one item's failure, never the
//! run's: it is reported `malformed_item` with its id as given (or a placeholder naming the page
//! and position) and what is wrong, and the rest of the page and of the window goes on; the
//! cursor is still followed. Only a page that is not the contract's shape stops the run.

use std::sync::atomic::Ordering;

use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt, stream};
use tm_contract::{Counts, Failure, FailureReason};

use super::{ITEMS_PER_SLOT, ItemOutcome, Run};
use crate::entries::{Entry, Unusable, placeholder_id};
use crate::error::ConnectorError;
use crate::http::HttpError;
use crate::source::{ItemRef, SourceError};

impl Run<'_> {
    /// Lists the window page by page and processes items with bounded concurrency.
    pub(super) async fn process_window(&self) -> Result<(Counts, Vec<Failure>), ConnectorError> {
        let window = self.window;
        let source = self.source;
        let page_size = self.config.page_size;
        // `None` = listing finished; `Some((n, cursor))` = fetch page `n` (1-based) at `cursor`.
        let pages = stream::try_unfold(Some((1usize, None::<String>)), move |state| async move {
            let Some((number, cursor)) = state else { return Ok(None) };
            if window.from >= window.to {
                return Ok(None);
            }
            let page = source.list_page(window.from, window.to, cursor.as_deref(), page_size).await?;
            let next = match page.next_cursor {
                Some(next) if Some(&next) == cursor.as_ref() => {
                    return Err(SourceError::Http(HttpError::Protocol {
                        what: "vendor listing".into(),
                        detail: "next_cursor repeats the current cursor".into(),
                    }));
                }
                Some(next) => Some((number + 1, Some(next))),
                None => None,
            };
            Ok(Some((stream::iter(page.entries.into_iter().map(move |entry| Ok((number, entry)))), next)))
        });
        // Boxed as `Send` here, where the lifetimes are concrete: this keeps `run`'s future `Send`
        // (rustc cannot prove it through the unfold's async block higher up).
        self.drain(pages.try_flatten().boxed(), Pass::Window).await
    }

    /// Processes the listed entries of a pass with bounded concurrency, counting outcomes; the
    /// first error stops it (the items in flight finish).
    pub(super) async fn drain(
        &self,
        entries: BoxStream<'_, Result<(usize, Entry), SourceError>>,
        pass: Pass,
    ) -> Result<(Counts, Vec<Failure>), ConnectorError> {
        let items = entries.take_while(|_| std::future::ready(!self.stop.load(Ordering::SeqCst)));
        let mut results = std::pin::pin!(
            items
                .map(|listed| async move {
                    match listed {
                        Ok((_, Entry::Usable(item))) => self.process_listed(item, pass).await,
                        Ok((page, Entry::Unusable(entry))) => Ok(self.unusable(&entry, page, pass)),
                        Err(e) => Err(ConnectorError::Source(e)),
                    }
                })
                .buffer_unordered(self.config.concurrency * ITEMS_PER_SLOT)
        );

        let mut counts = Counts::default();
        let mut failures = Vec::new();
        let mut first_error = None;
        while let Some(result) = results.next().await {
            match result {
                Ok(None) => {}
                Ok(Some(outcome)) => {
                    counts.items += 1;
                    counts.imported += outcome.imported;
                    counts.skipped_duplicate += outcome.skipped_duplicate;
                    counts.failed += outcome.failures.len() as u64;
                    failures.extend(outcome.failures);
                    self.progress.inc(1);
                    self.progress
                        .set_message(format!("imported {} skipped {} failed {}", counts.imported, counts.skipped_duplicate, counts.failed));
                }
                Err(e) => {
                    self.stop.store(true, Ordering::SeqCst);
                    if first_error.is_none() {
                        tracing::error!(error = %e, "run failing: finishing the items in flight");
                        first_error = Some(e);
                    } else {
                        tracing::error!(error = %e, "further error while stopping");
                    }
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok((counts, failures)),
        }
    }

    /// A listing entry the connector cannot use: `malformed_item` with its id as given and what
    /// is wrong (`None`: an id already listed in this run, reported once; or not this pass's).
    ///
    /// In the sequence listing, a first run reports none (it only positions the cursor: what
    /// lies before its window is out of scope, what lies in it is the window listing's). A later
    /// run leaves an entry captured at or after the window's end to a later run's window listing,
    /// and an entry without an id captured in the window to this run's window listing, which
    /// lists them too; an entry with an id is reported once whichever listing met it first; an
    /// entry captured before the window (a late arrival) or with no usable `captured_at` is
    /// reported here, an id-less one named by the sequence listing's
    /// page, position and `seq`. (An id-less entry captured in the window that arrived after the
    /// window listing read past it is the one case neither listing reports: the entry gives no
    /// way to tell it from the one the window listing reported, and a vendor that drops an
    /// entry's id while it arrives is not one this connector can follow.)
    fn unusable(&self, entry: &Unusable, page: usize, pass: Pass) -> Option<ItemOutcome> {
        let listing = match pass {
            Pass::Window => "listing",
            Pass::Sequence { late: true } if self.sequence_reports(entry) => "sequence listing",
            Pass::Sequence { .. } => {
                tracing::warn!(page, entry = entry.position + 1, detail = %entry.detail, "unusable entry in the sequence listing: left to the window listing");
                return None;
            }
        };
        let id = placeholder_id(entry, listing, page);
        if entry.id.is_some() && !self.seen.lock().expect("not poisoned").insert_text(&id) {
            tracing::warn!(item = ?id, "the listing returned an entry twice; reported once");
            return None;
        }
        tracing::warn!(item = ?id, listing, page, entry = entry.position + 1, detail = %entry.detail, "malformed_item: unusable listing entry");
        let failure = Failure::new(id, None, FailureReason::MalformedItem).with_detail(format!("{listing} entry: {}", entry.detail));
        Some(ItemOutcome { failures: vec![failure], ..ItemOutcome::default() })
    }

    /// Whether a later run's sequence pass reports this unusable entry (see [`Self::unusable`]).
    fn sequence_reports(&self, entry: &Unusable) -> bool {
        match entry.captured_at {
            None => true,
            Some(t) if t < self.window.from => true,
            Some(t) => entry.id.is_some() && t < self.window.to,
        }
    }

    /// Filters listing anomalies, then processes the item. `None` = not an item of this pass.
    async fn process_listed(&self, item: ItemRef, pass: Pass) -> Result<Option<ItemOutcome>, ConnectorError> {
        if let Pass::Sequence { late } = pass {
            return self.process_sequenced(item, late).await;
        }
        if item.captured_at < self.window.from || item.captured_at >= self.window.to {
            tracing::warn!(item = %item.id, captured_at = %item.captured_at, "the listing returned an item outside the window; ignored");
            return Ok(None);
        }
        if !self.seen.lock().expect("not poisoned").insert(&item.id) {
            tracing::warn!(item = %item.id, "the listing returned an item twice; processed once");
            return Ok(None);
        }
        self.process_item(&item).await.map(Some)
    }

    /// An item of the sequence listing: imported unless a window lists it (captured at or after
    /// the window's end: a later run's; in this run's window: listed by it, unless it arrived
    /// after that listing read past it), or it lies before the first run's scope (`late` false).
    async fn process_sequenced(&self, item: ItemRef, late: bool) -> Result<Option<ItemOutcome>, ConnectorError> {
        if item.captured_at >= self.window.to || (!late && item.captured_at < self.window.from) {
            return Ok(None);
        }
        if !self.seen.lock().expect("not poisoned").insert(&item.id) {
            return Ok(None);
        }
        if item.captured_at < self.window.from {
            tracing::info!(item = %item.id, captured_at = %item.captured_at, archived_at = ?item.archived_at, seq = ?item.seq, "a late arrival");
        }
        self.process_item(&item).await.map(Some)
    }
}

/// Which listing an entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pass {
    /// The window listing (by capture time).
    Window,
    /// The sequence listing; `late`: items captured before the window are imported (false on a
    /// first run, which only positions the cursor).
    Sequence {
        /// Import items captured before the window.
        late: bool,
    },
}
