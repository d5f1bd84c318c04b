//! What each mailbox is allowed to hold and which language its folders speak, per user id: the
//! scenario's `[tenant]` failure modes resolved against the directory.
//!
//! A mailbox's size is the sum of its messages' raw MIME sizes (kept in [`Mailbox`], counted as
//! messages are stored or put back from a data directory). An import that would take a mailbox
//! over its quota is refused before anything is written: past its `ProhibitSendReceiveQuota` "no
//! further email will be delivered to [the] mailbox" (`PidTagProhibitReceiveQuota`,
//! <https://learn.microsoft.com/openspecs/exchange_server_protocols/ms-oxprops/c245db54-f51a-4df0-bc15-79d28778ccb1>),
//! and Graph answers `ErrorQuotaExceeded` "Mailbox has exceeded maximum mailbox size." (reported
//! with 403: microsoft-graph-docs-contrib #6596; docs/contract.md, "Failure modes").

use std::collections::HashMap;

use super::directory::Directory;
use super::mailboxes::Mailbox;
use crate::world::locale::Locale;
use crate::world::scenario::FailureModes;

/// The quota and language of every mailbox.
#[derive(Debug, Clone, Default)]
pub struct MailboxSettings {
    quotas: HashMap<String, u64>,
    locales: HashMap<String, Locale>,
    /// The status a refusal for the quota answers (403 or 507).
    pub quota_status: u16,
}

/// An import refused: the mailbox would go over its quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the mailbox holds {used} of its {quota} bytes: a message of {size} bytes does not fit")]
pub struct QuotaExceeded {
    /// Bytes the mailbox holds.
    pub used: u64,
    /// Its quota.
    pub quota: u64,
    /// The refused message's size.
    pub size: u64,
    /// The status to answer (the scenario's `quota_exceeded_status`).
    pub status: u16,
}

impl MailboxSettings {
    /// The settings of every user of a directory.
    pub fn new(modes: &FailureModes, directory: &Directory) -> MailboxSettings {
        let mut settings = MailboxSettings { quota_status: modes.quota_exceeded_status, ..MailboxSettings::default() };
        for (user, _) in directory.all() {
            if let Some(q) = modes.quota_of(&user.user_principal_name) {
                settings.quotas.insert(user.id.clone(), q);
            }
            let locale = modes.locale_of(&user.user_principal_name);
            if locale != Locale::default() {
                settings.locales.insert(user.id.clone(), locale);
            }
        }
        settings
    }

    /// The language of a user's mailbox.
    pub fn locale(&self, user_id: &str) -> Locale {
        self.locales.get(user_id).copied().unwrap_or_default()
    }

    /// The quota of a user's mailbox, if any.
    pub fn quota(&self, user_id: &str) -> Option<u64> {
        self.quotas.get(user_id).copied()
    }

    /// Whether a message of `size` bytes fits in the mailbox.
    pub fn admit(&self, user_id: &str, mailbox: &Mailbox, size: u64) -> Result<(), QuotaExceeded> {
        let Some(quota) = self.quota(user_id) else { return Ok(()) };
        let used = mailbox.size_bytes();
        match used.checked_add(size) {
            Some(total) if total <= quota => Ok(()),
            _ => Err(QuotaExceeded { used, quota, size, status: self.quota_status }),
        }
    }
}
