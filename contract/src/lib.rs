//! tm-contract: the wire contract's vocabulary, in one place, for the simulator, the reference
//! connector and the conformance suite (the connector still never depends on the simulator).
//!
//! - [`ItemRef`] and [`ItemPage`]: the vendor archive's listing (`GET /tm/v1/items`), with the
//!   [`Source`] and [`Kind`] of an item and [`MAX_ITEM_BYTES`], the largest item a connector
//!   imports;
//! - [`SessionRequest`] and [`Session`]: the vendor login (`POST /tm/v1/session`);
//! - [`ErrorBody`]: the error body both APIs answer (`{"error":{"code","message"}}`);
//! - [`RunReport`]: the report a connector writes to `REPORT_PATH`, with [`FailureReason`];
//! - newtypes parsed at the edge and trusted inside: [`ItemId`], [`MailboxAddress`] (equal and
//!   hashed case-insensitively, decided once here), [`MobileNumber`] (E.164 through
//!   `phonenumber`), the tenant's [`UserId`];
//! - [`FOLDER_NAME`], the folder every delivery goes to;
//! - [`Mapping`]: the custom mapping CSV (RFC 4180 through `csv`), with errors naming the file and
//!   line;
//! - what the simulator's control plane shows of its traffic: [`JournalEntry`] (`/sim/journal`)
//!   and [`RequestEntry`] (`/sim/requests`), with their [`Api`] and [`Op`] words and the
//!   [`FaultRecord`] of a fault injected (one sentence on the wire, parsed here and only here);
//! - the wire's time format, written once: [`format_time`] (milliseconds), [`format_report_time`]
//!   (the run report's), [`parse_time`].
//!
//! The JSON shapes are pinned by insta snapshots (`src/snapshots/`): a change of the wire is a
//! reviewed change.

mod address;
mod error_body;
mod fault;
mod ids;
mod item;
mod mapping;
mod mobile;
mod observe;
mod report;
mod session;
mod time;

pub use address::{BadAddress, MailboxAddress, address_key, same_address};
pub use error_body::{ErrorBody, ErrorDetail, InnerError};
pub use fault::{BadFault, BrokenField, FaultKind, FaultRecord, Malformation, OddRetryAfter, Throttle, seconds_text};
pub use ids::{BadId, ItemId, UserId};
pub use item::{Expired, ItemPage, ItemRef, Kind, MAX_ITEM_BYTES, Source};
pub use mapping::{Conflict, MappedMailbox, Mapping, MappingError, MappingErrorKind};
pub use mobile::{MobileError, MobileNumber, Region};
pub use observe::{Api, JournalEntry, Op, RequestEntry};
pub use report::{Counts, Failure, FailureReason, RunReport, Window};
pub use session::{Session, SessionRequest};
pub use time::{format_ms, format_report_time, format_time, parse_time};

/// The mail folder (display name) every delivery is imported into.
pub const FOLDER_NAME: &str = "WeChat Archiver";
