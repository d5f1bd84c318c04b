//! What an interrupted run left: before anything is imported, each intent without an outcome is
//! resolved by asking the tenant whether its message is in the folder (see `ledger/mod.rs`).

use super::Run;
use crate::error::ConnectorError;
use crate::ledger::Intent;

impl Run<'_> {
    /// Resolves the intents an interrupted run left, in the ledger's order (by mailbox, then
    /// item). One that cannot be told (no Message-ID) stays pending, with a warning.
    pub(super) async fn recover_pending(&self) -> Result<(), ConnectorError> {
        for intent in self.ledger.pending() {
            let landed = match self.landed(&intent).await {
                Ok(landed) => landed,
                // SCOPE, QUOTA: a mailbox that refuses the app cannot be asked; the intent stays
                // pending and the item's delivery is reported when it comes round.
                Err(e) => {
                    self.tenant.note_refusal(&intent.delivery.mailbox, &intent.address, e)?;
                    None
                }
            };
            self.resolve(&intent, landed).await?;
        }
        Ok(())
    }

    async fn resolve(&self, intent: &Intent, landed: Option<bool>) -> Result<(), ConnectorError> {
        let (item, mailbox) = (&intent.delivery.item, &intent.address);
        match landed {
            Some(true) => {
                tracing::info!(%item, %mailbox, "interrupted import had landed");
                self.ledger.append(intent.imported()).await?;
            }
            Some(false) => {
                tracing::info!(%item, %mailbox, "interrupted import had not landed");
                self.ledger.append(intent.cleared()).await?;
            }
            None => tracing::warn!(%item, %mailbox, "cannot tell whether an interrupted import landed"),
        }
        Ok(())
    }
}
