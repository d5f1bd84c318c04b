//! One delivery, exactly once: the ledger spares the tenant a question per delivery; when an
//! attempt's outcome is unknown (a 5xx, a lost answer, a timeout, a write answered 5xx after it
//! landed) the tenant is asked for the item's `internetMessageId` in the folder before it is
//! sent again (see `ledger/mod.rs`).
//!
//! A mailbox the tenant refuses (outside the app's scope, SCOPE; full, QUOTA; `tenant/refusal.rs`)
//! is remembered for the run: this delivery and every later one to it are reported
//! `sink_rejected` with a detail line (status, code, mailbox), without another request, and the
//! other mailboxes go on. An item over the tenant's request cap (413, TENANT-LIMIT) is reported
//! once, with its size raw and as sent and the tenant's limit, and never sent again.

use std::sync::Arc;
use std::sync::atomic::Ordering;

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
use crate::tenant::{ImportMode, Imported, Refusal, TenantError};
use tm_contract::UserId;

/// What one delivery came to.
pub(super) enum Delivered {
    /// It landed (a draft when drafts are allowed and `importMime` is not).
    Imported,
    /// An earlier run (or attempt) had imported it.
    Duplicate,
    /// The tenant refused it (`sink_rejected`): the report's detail line.
    Rejected(String),
}

impl Run<'_> {
    /// The semaphore of a mailbox's deliveries in flight ([`MAX_PER_MAILBOX`]).
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

    /// A refusal as this delivery's outcome (logged; the detail goes to the report).
    fn rejected(&self, item: &ItemRef, user: &DirectoryUser, refusal: &Refusal, sent: usize) -> Delivered {
        let detail = refusal.detail(user.mailbox(), (item.size, sent as u64));
        tracing::warn!(item = %item.id, mailbox = user.mailbox(), detail = %detail, "sink_rejected");
        Delivered::Rejected(detail)
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
        // SCOPE, QUOTA: a mailbox refused earlier in the run is not asked again.
        if let Some(refusal) = self.tenant.refused(&user.id) {
            return Ok(self.rejected(item, user, &refusal, encoded.len()));
        }
        // FOLDER: found or created once per mailbox per run.
        let folder = match self.folders.ensure(self.tenant, &user.id).await {
            Ok(folder) => folder,
            Err(e) => return Ok(self.rejected(item, user, &self.tenant.note_refusal(&user.id, user.mailbox(), e)?, encoded.len())),
        };
        let was_interrupted = self.ledger.was_interrupted(&delivery);
        let intent = Intent {
            delivery,
            address: user.mailbox().to_owned(),
            folder: Some(folder.clone()),
            internet_message_id: message_id.map(str::to_owned),
        };
        if was_interrupted {
            // An earlier run's intent the start of this run could not resolve.
            match self.landed(&intent).await {
                Ok(Some(true)) => {
                    self.ledger.append(intent.imported()).await?;
                    return Ok(Delivered::Imported);
                }
                Ok(_) => {}
                Err(e) => return Ok(self.rejected(item, user, &self.tenant.note_refusal(&user.id, user.mailbox(), e)?, encoded.len())),
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
        let sent = encoded.len();
        // SCOPE, QUOTA: refused by another delivery while this intent was synced.
        if let Some(refusal) = self.tenant.refused(&user.id) {
            self.ledger.append(intent.cleared()).await?;
            return Ok(self.rejected(item, user, &refusal, sent));
        }
        let imported = match self.import(&intent, &folder, encoded).await {
            Ok(imported) => imported,
            // A mailbox refusal while asking whether an earlier attempt landed: the intent stays
            // pending (the next run asks), the delivery is reported.
            Err(e) => return Ok(self.rejected(item, user, &self.tenant.note_refusal(&user.id, user.mailbox(), e)?, sent)),
        };
        self.imported(item, user, intent, imported, sent).await
    }

    /// Records what the import came to (`None`: an earlier attempt had landed).
    async fn imported(
        &self,
        item: &ItemRef,
        user: &DirectoryUser,
        intent: Intent,
        imported: Option<Imported>,
        sent: usize,
    ) -> Result<Delivered, ConnectorError> {
        match imported {
            None | Some(Imported::Created { .. }) => {
                let draft = match imported {
                    Some(Imported::Created { draft }) => draft,
                    _ => self.tenant.mode() != ImportMode::ImportMime,
                };
                if draft {
                    self.drafts.fetch_add(1, Ordering::Relaxed);
                }
                // Queued, not awaited: the run flushes the ledger before its report and
                // checkpoint, and a failed write fails the run. Lost, the record costs the next
                // run one question to the tenant, never a duplicate.
                self.ledger.enqueue(intent.imported())?;
                tracing::debug!(item = %item.id, mailbox = user.mailbox(), draft, "imported");
                Ok(Delivered::Imported)
            }
            Some(Imported::Rejected(refusal)) => {
                self.ledger.append(intent.cleared()).await?;
                Ok(self.rejected(item, user, &refusal, sent))
            }
        }
    }

    /// The import of an intent, retried; before each retry the tenant is asked whether the
    /// previous attempt landed (5xx, reset, timeout, a write answered 5xx after it landed),
    /// `None` when it had.
    async fn import(&self, intent: &Intent, folder: &str, encoded: Bytes) -> Result<Option<Imported>, TenantError> {
        let tenant = self.tenant;
        let result = retry::run(&self.config.retry, |attempt| {
            let encoded = encoded.clone();
            async move {
                if attempt > 1 {
                    match self.landed(intent).await {
                        Ok(Some(true)) => return Step::Done(Ok(None)),
                        Ok(_) => {}
                        // A mailbox refusal is final; other failures to ask are retried.
                        Err(TenantError::Http(e)) if Refusal::of_http(&e).is_some_and(|r| r.refuses_mailbox()) => {
                            return Step::Done(Err(TenantError::Http(e)));
                        }
                        Err(TenantError::Http(e)) => return Step::Retry(e),
                        Err(e) => return Step::Done(Err(e)),
                    }
                }
                tenant.import_attempt(&intent.delivery.mailbox, &intent.address, folder, encoded).await.map(|r| r.map(Some))
            }
        })
        .await;
        result.map_err(TenantError::from_http)?
    }
}
