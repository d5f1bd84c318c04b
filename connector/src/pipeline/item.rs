//! One item: its size checked from the listing, its budget reserved, its download capped and
//! its digest checked, its message checked, its participants routed; then its deliveries
//! (`deliver.rs`), each mailbox once.
//!
//! INTEGRITY: bytes whose sha256 is not the listed one are downloaded again (a corruption in
//! transit heals), then, still wrong, reported `malformed_item` with both digests; bytes that
//! match but are no RFC 5322 message, or have no `Message-ID`, are `malformed_item` too; so is a
//! listed item whose download answers 404 or 410. None of them is imported, and the run goes on.
//! A later run does not ask for them again: its window starts where this run's ended, as for
//! every failure the report names (the report is where an operator finds them).

use bytes::Bytes;
use tm_contract::{Failure, FailureReason, MAX_ITEM_BYTES};

use super::budget::budget_units;
use super::deliver::Delivered;
use super::{ItemOutcome, Run};
use crate::body::Body;
use crate::error::ConnectorError;
use crate::participants;
use crate::routing::{self, DirectoryAnswers, Route, Target};
use crate::source::{Fetched, ItemRef};

impl ItemOutcome {
    fn failed(item: &ItemRef, reason: FailureReason) -> ItemOutcome {
        ItemOutcome { failures: vec![Failure::new(item.id.to_string(), None, reason)], ..ItemOutcome::default() }
    }

    /// The item failed before routing: its one failure.
    fn failed_with(failure: Failure) -> ItemOutcome {
        ItemOutcome { failures: vec![failure], ..ItemOutcome::default() }
    }
}

/// INTEGRITY: how many times an item whose bytes do not match the listed sha256 is downloaded
/// before it is reported `malformed_item` (a corruption in transit heals on the second).
const DOWNLOADS: u32 = 2;

/// The failure of an item before routing (no mailbox), with a line of detail.
fn unusable(item: &ItemRef, reason: FailureReason, detail: String) -> Failure {
    Failure::new(item.id.to_string(), None, reason).with_detail(detail)
}

impl Run<'_> {
    pub(super) async fn process_item(&self, item: &ItemRef) -> Result<ItemOutcome, ConnectorError> {
        // SIZE: decided from the listing, without downloading.
        if item.size > MAX_ITEM_BYTES {
            tracing::warn!(item = %item.id, size = item.size, "item_too_large (listed size)");
            return Ok(ItemOutcome::failed(item, FailureReason::ItemTooLarge));
        }
        // Memory: reserve the item's bytes (raw and base64) before downloading it.
        let _reserved = self.budget.acquire_many(budget_units(item.size)).await.expect("never closed");
        // A download slot until the item is routed: its deliveries then no longer hold one, so
        // that an item waiting for a busy mailbox does not keep the next items from starting.
        let download_slot = self.downloads.acquire().await.expect("never closed");
        let body = match self.fetch(item).await? {
            Ok(body) => body,
            Err(failure) => return Ok(ItemOutcome::failed_with(failure)),
        };
        // INTEGRITY: the listed bytes, but no message with a Message-ID: never imported.
        let message_id = match participants::message_id(&body.head) {
            Ok(id) => id,
            Err(e) => {
                tracing::warn!(item = %item.id, error = %e, "malformed_item");
                let detail = format!("{e} ({} bytes, sha256 {} as listed)", body.len, body.sha256);
                return Ok(ItemOutcome::failed_with(unusable(item, FailureReason::MalformedItem, detail)));
            }
        };
        // A source that understated the size: reserve the difference if it is free (waiting for it
        // while holding a reservation could deadlock); the download cap bounds the overrun.
        let _extra = match budget_units(body.len).checked_sub(budget_units(item.size)) {
            Some(more) if more > 0 => self.budget.try_acquire_many(more).ok(),
            _ => None,
        };
        let targets = match self.route(item, &body.head).await? {
            Ok(targets) => targets,
            Err(failure) => return Ok(ItemOutcome::failed_with(failure)),
        };
        // Encoded while it downloaded, shared by every delivery.
        let Body { encoded, head, .. } = body;
        drop(head);
        drop(download_slot);
        self.deliver_all(item, &targets, encoded, Some(&message_id)).await
    }

    /// The mailboxes the item goes to, from its header block: `malformed_item` without usable
    /// participants, `user_mapping` when none routes anywhere.
    async fn route(&self, item: &ItemRef, head: &[u8]) -> Result<Result<Vec<Target>, Failure>, ConnectorError> {
        let participants = match participants::parse(head) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(item = %item.id, error = %e, "malformed_item");
                return Ok(Err(unusable(item, FailureReason::MalformedItem, e.to_string())));
            }
        };
        let mut answers = DirectoryAnswers::new();
        for address in routing::lookups(&participants, self.mapping, self.config.auto_mapping) {
            let answer = self.directory.resolve(&address).await?;
            answers.insert(address, answer);
        }
        match routing::route(&participants, self.mapping, self.config.auto_mapping, &answers) {
            Route::Drop => {
                tracing::warn!(item = %item.id, "user_mapping: no participant routes to a valid mailbox");
                Ok(Err(Failure::new(item.id.to_string(), None, FailureReason::UserMapping)))
            }
            Route::Deliver(targets) => Ok(Ok(targets)),
        }
    }

    /// ROUTE-FANOUT: the item's distinct users concurrently (each mailbox still at most
    /// [`MAX_PER_MAILBOX`](crate::MAX_PER_MAILBOX) at a time). Every delivery started is awaited,
    /// so none is cut off half-way by another's error; the first error then fails the item.
    async fn deliver_all(
        &self,
        item: &ItemRef,
        targets: &[Target],
        encoded: Bytes,
        message_id: Option<&str>,
    ) -> Result<ItemOutcome, ConnectorError> {
        let results = futures_util::future::join_all(targets.iter().map(|target| {
            tracing::debug!(item = %item.id, mailbox = target.user.mailbox(), rule = ?target.rule, "routing");
            self.deliver(item, &target.user, encoded.clone(), message_id)
        }))
        .await;
        let mut outcome = ItemOutcome::default();
        for (target, result) in targets.iter().zip(results) {
            match result? {
                Delivered::Imported => outcome.imported += 1,
                Delivered::Duplicate => outcome.skipped_duplicate += 1,
                Delivered::Rejected(detail) => outcome.failures.push(
                    Failure::new(item.id.to_string(), Some(target.user.mailbox().to_owned()), FailureReason::SinkRejected)
                        .with_detail(detail),
                ),
            }
        }
        Ok(outcome)
    }

    /// Downloads and verifies an item (see the module docs for the digest policy). A body the
    /// connector cannot use — larger than listed and than the limit, gone since it was listed
    /// (404, 410), or still not the listed bytes after a second download — is the item's failure
    /// with a line of detail, never the run's.
    async fn fetch(&self, item: &ItemRef) -> Result<Result<Body, Failure>, ConnectorError> {
        let expected = item.sha256.trim().to_ascii_lowercase();
        let mut actual = String::new();
        for attempt in 1..=DOWNLOADS {
            match self.source.download(&item.id, item.size, MAX_ITEM_BYTES).await? {
                Fetched::TooLarge { received } => {
                    tracing::warn!(item = %item.id, listed_size = item.size, received, "item_too_large (the source misreported its size)");
                    let detail = format!("listed as {} bytes, the download passed the limit of {MAX_ITEM_BYTES} bytes", item.size);
                    return Ok(Err(unusable(item, FailureReason::ItemTooLarge, detail)));
                }
                Fetched::NotFound { status } => {
                    tracing::warn!(item = %item.id, status, "listed item not found at the source: malformed_item");
                    let detail = format!("listed, but its download answered {status} (not at the source)");
                    return Ok(Err(unusable(item, FailureReason::MalformedItem, detail)));
                }
                Fetched::Complete(body) if body.sha256 == expected => {
                    if body.len != item.size {
                        tracing::warn!(item = %item.id, listed_size = item.size, actual = body.len, "listed size differs; digest matches");
                    }
                    return Ok(Ok(body));
                }
                Fetched::Complete(body) => {
                    tracing::warn!(item = %item.id, attempt, expected = %expected, actual = %body.sha256, "downloaded bytes do not match the listed sha256");
                    actual = body.sha256;
                }
            }
        }
        let detail = format!("downloaded {DOWNLOADS} times, the bytes' sha256 {actual} is not the listed {expected}");
        Ok(Err(unusable(item, FailureReason::MalformedItem, detail)))
    }
}
