//! One delivery, exactly once: the ledger spares the tenant a question per delivery; when an
//! attempt's outcome is unknown (a 5xx, a lost answer, a timeout) the tenant is asked for the
//! item's `internetMessageId` in the folder before it is sent again (see `ledger/mod.rs`).

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::Semaphore;

use super::Run;
use crate::config::MAX_PER_MAILBOX;
use crate::delivery::Delivery;
use crate::error::ConnectorError;
use crate::ledger::Intent;
use crate::retry::{self, Step};
use crate::routing::DirectoryUser;
use crate::source::ItemRef;
use crate::tenant::{Imported, TenantError};
use tm_contract::UserId;

/// What one delivery came to.
pub(super) enum Delivered {
    Imported,
    Duplicate,
    Rejected,
}

impl Run<'_> {
    fn mailbox(&self, user: &UserId) -> Arc<Semaphore> {
        let mut mailboxes = self.mailboxes.lock().expect("not poisoned");
        Arc::clone(mailboxes.entry(user.clone()).or_insert_with(|| Arc::new(Semaphore::new(MAX_PER_MAILBOX))))
    }

    /// Whether an interrupted or failed attempt landed: the tenant is asked for the item's
    /// `internetMessageId` in the folder. `None` when it cannot be told (no Message-ID).
    pub(super) async fn landed(&self, intent: &Intent) -> Result<Option<bool>, TenantError> {
        let (Some(folder), Some(id)) = (&intent.folder, &intent.internet_message_id) else { return Ok(None) };
        Ok(Some(self.tenant.has_message(&intent.delivery.mailbox, folder, id).await?.unwrap_or(false)))
    }

    /// One delivery of `item` into the mailbox of `user` (see the module docs).
    pub(super) async fn deliver(
        &self,
        item: &ItemRef,
        user: &DirectoryUser,
        encoded: Bytes,
        message_id: Option<&str>,
    ) -> Result<Delivered, ConnectorError> {
        let delivery = Delivery::new(item.id.clone(), user.id.clone());
        // DEDUP: already imported by this or an earlier run of the window.
        if self.ledger.is_imported(&delivery) {
            return Ok(Delivered::Duplicate);
        }
        // CONCURRENCY: a permit of the mailbox first, then a delivery slot (see the module docs).
        let mailbox = self.mailbox(&user.id);
        let permit = mailbox.acquire().await.expect("never closed");
        let slot = self.deliveries.acquire().await.expect("never closed");
        // FOLDER: found or created once per mailbox per run.
        let folder = self.folders.ensure(self.tenant, &user.id).await?;
        let was_interrupted = self.ledger.was_interrupted(&delivery);
        let intent = Intent {
            delivery,
            address: user.mailbox().to_owned(),
            folder: Some(folder.clone()),
            internet_message_id: message_id.map(str::to_owned),
        };
        if was_interrupted {
            // An earlier run's intent the start of this run could not resolve.
            if self.landed(&intent).await? == Some(true) {
                self.ledger.append(intent.imported()).await?;
                return Ok(Delivered::Imported);
            }
        }
        if message_id.is_none() {
            tracing::warn!(item = %item.id, mailbox = user.mailbox(), "the item has no Message-ID: a retried import cannot be checked and may land twice");
        }
        // The intent is made durable (the fence: before the import, always) without holding the
        // mailbox's permit or a delivery slot, which are taken again, in the same order, for the
        // import itself: the ledger's sync (a few ms on a VM's disk, shared by every intent
        // queued meanwhile) no longer occupies a mailbox's 4 places or the run's delivery slots
        // while no request is in flight (docs/benchmarks.md, 2026-12-07: the slots spent most of
        // their time waiting for syncs). The mailbox still has at most 4 requests at a time.
        drop((slot, permit));
        self.ledger.append(intent.record()).await?;
        let _permit = mailbox.acquire().await.expect("never closed");
        let _slot = self.deliveries.acquire().await.expect("never closed");
        match self.import(&intent, &folder, encoded).await? {
            None | Some(Imported::Created { .. }) => {
                // Queued, not awaited: the run flushes the ledger before its report and
                // checkpoint, and a failed write fails the run. Lost, the record costs the next
                // run one question to the tenant, never a duplicate.
                self.ledger.enqueue(intent.imported())?;
                tracing::debug!(item = %item.id, mailbox = user.mailbox(), "imported");
                Ok(Delivered::Imported)
            }
            Some(Imported::Rejected { status, code, message }) => {
                self.ledger.append(intent.cleared()).await?;
                tracing::warn!(item = %item.id, mailbox = user.mailbox(), size = item.size, status, code = %code, message = %message, "sink_rejected");
                Ok(Delivered::Rejected)
            }
        }
    }

    /// The import of an intent, retried; before each retry the tenant is asked whether the
    /// previous attempt landed (5xx, reset, timeout), `None` when it had.
    async fn import(&self, intent: &Intent, folder: &str, encoded: Bytes) -> Result<Option<Imported>, TenantError> {
        let tenant = self.tenant;
        let result = retry::run(&self.config.retry, |attempt| {
            let encoded = encoded.clone();
            async move {
                if attempt > 1 {
                    match self.landed(intent).await {
                        Ok(Some(true)) => return Step::Done(Ok(None)),
                        Ok(_) => {}
                        Err(TenantError::Http(e)) => return Step::Retry(e),
                        Err(e) => return Step::Done(Err(e)),
                    }
                }
                tenant.import_attempt(&intent.delivery.mailbox, folder, encoded).await.map(|r| r.map(Some).map_err(TenantError::Token))
            }
        })
        .await;
        result.map_err(TenantError::from_http)?
    }
}
