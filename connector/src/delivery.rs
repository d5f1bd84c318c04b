//! [`Delivery`]: one item into one mailbox, the unit the connector imports exactly once and the
//! key of the ledger, the pipeline's mailbox permits and its recovery.

use tm_contract::{ItemId, UserId};

/// One item into one mailbox. The mailbox is named by its user's immutable directory id (what
/// folders, imports and the ledger are keyed by), never by an address: aliases and renamed
/// addresses of one user are one mailbox. The address reported for it travels beside it where
/// people read it (ledger lines, logs, the report).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Delivery {
    /// The vendor's item.
    pub item: ItemId,
    /// The tenant user whose mailbox receives it.
    pub mailbox: UserId,
}

impl Delivery {
    /// `item` into the mailbox of `mailbox`.
    pub fn new(item: ItemId, mailbox: UserId) -> Delivery {
        Delivery { item, mailbox }
    }
}
