//! What a mutation breaks: one rule each.

use super::*;

/// What to break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Mutation {
    /// Nothing: a correct connector.
    None,
    /// Ignores MAPPING_CSV (ROUTE-MAP).
    IgnoreMapping,
    /// Routes by email even when AUTO_MAPPING=false (ROUTE-AUTO-OFF).
    EmailAlways,
    /// Never routes by email address (ROUTE-EMAIL).
    NoEmail,
    /// Routes the sender only, drops every other participant (ROUTE-FANOUT).
    FirstParticipant,
    /// Does not report items that route nowhere (ROUTE-DROP).
    DropSilently,
    /// Routes also by the people inside an item: every nested message's From, To and Cc, and
    /// every vCard's name, mobile and email (ROUTE-NESTED).
    RouteNested,
    /// Imports into `WeChat Archive` (FOLDER).
    FolderName,
    /// Imports items of any size (SIZE).
    Oversize,
    /// Adds a header to what it imports (CONTENT).
    Tamper,
    /// Skips recalls (RECALL).
    SkipRecalls,
    /// Lists everything before RUN_AT, ignoring the window (WINDOW).
    IgnoreWindow,
    /// Always takes the last 24 hours, ignoring the checkpoint (INCREMENTAL).
    NoCheckpoint,
    /// Keeps no ledger and lists from the first run's start every time (DEDUP).
    Reimport,
    /// Counts one import too many in its report (REPORT).
    BadCounts,
    /// Writes no report (REPORT is then skipped, not passed).
    NoReport,
    /// Retries 5xx, 429 and 503 at once, ignoring Retry-After and backing off never (RETRY-AFTER
    /// and BACKOFF: the one mistake breaks both).
    RetryImmediately,
    /// Sends a page's imports into a mailbox all at once, 8 at a time (CONCURRENCY).
    FloodMailbox,
    /// Imports whatever bytes a download delivered, cut short or not (TRUNCATION).
    NoVerify,
    /// Moves the checkpoint to RUN_AT even when the run fails (RESUME).
    CheckpointOnFailure,
    /// Fetches one access token per run and never another: after a tenant 401 it gives the
    /// deliveries up (`sink_rejected`) (TOKEN-REFRESH).
    StaleToken,
    /// Tells whether an import whose answer was lost landed by the folder's item count (one more
    /// than before: landed) instead of asking for its `internetMessageId` (FOREIGN-WRITES: another
    /// program's message makes the count lie).
    CountFence,
    /// Looks for `WeChat Archiver` on the first page of the folder listing only, and gives a
    /// mailbox's delivery up (`sink_rejected`) when creating the folder answers 409 (GRAPH-PAGING).
    FirstPageOnly,
    /// Imports with v1.0's MIME create on the folder's messages, which makes drafts, instead of
    /// beta's `importMime` (FINAL).
    DraftImport,
    /// Retries an import answered 413 (too large for the tenant) as if it were a 5xx, then
    /// reports it (TENANT-LIMIT).
    Retry413,
    /// Does not remember a mailbox outside the app's scope: asks it again for every item
    /// (SCOPE).
    AskOutOfScope,
    /// Does not remember a full mailbox: asks it again for every item (QUOTA).
    AskFullMailbox,
    /// Imports whatever bytes a download delivered whole (the listed length, the connection not
    /// broken): it checks neither their sha256 nor that they are a message with a Message-ID
    /// (INTEGRITY; a cut download is still downloaded again, so TRUNCATION holds).
    TrustBytes,
    /// Lists by capture window only, never the sequence: items archived after their window's run
    /// are never seen (LATE).
    WindowOnly,
}
