//! tm-connector: archives WeChat/WeCom items from a TeleMessage-like vendor archive (`/tm/v1`)
//! into Microsoft 365-style mailboxes (`/graph/v1.0`), speaking only the wire contract.
//!
//! One [`run`] imports the window `[checkpoint, RUN_AT)` (the first run: the 24 hours before
//! `RUN_AT`), routes each item per participant (ROUTE-MAP, ROUTE-EMAIL, ROUTE-AUTO-OFF,
//! ROUTE-FANOUT, ROUTE-DROP), imports it byte for byte into each mailbox's `WeChat Archiver`
//! folder (FOLDER, CONTENT), never holds more than 10 MB of one item (SIZE), records every
//! delivery durably in `STATE_DIR` so that re-runs and crashes neither lose nor duplicate
//! (INCREMENTAL, DEDUP), and returns a [`RunReport`] whose counts add up (REPORT).
//!
//! ```no_run
//! # async fn demo() -> Result<(), tm_connector::ConnectorError> {
//! let mut config = tm_connector::Config::new(
//!     "http://127.0.0.1:8080/tm/v1", "archiver", "archiver-secret",
//!     "http://127.0.0.1:8080/graph/v1.0", "tenant-secret", "/var/lib/tm-connector",
//! );
//! config.report_path = Some("report.json".into());
//! let report = tm_connector::run(config).await?;
//! eprint!("{}", tm_connector::summary(&report));
//! # Ok(()) }
//! ```

mod body;
mod config;
mod delivery;
mod entries;
mod error;
mod http;
mod ledger;
mod participants;
mod pipeline;
mod report;
mod retry;
mod routing;
mod source;
mod state;
mod tenant;
mod token;

pub use config::{ClientCredentialsConfig, Config, MAX_PER_MAILBOX};
pub use error::{ConnectorError, one_line};
pub use http::HttpError;
pub use pipeline::run;
pub use report::{summary, write as write_report};
pub use retry::RetryPolicy;
pub use source::SourceError;
pub use state::StateError;
pub use tenant::TenantError;
/// The wire vocabulary the connector speaks (report, mapping, mobiles, limits, folder name).
pub use tm_contract::{
    Conflict, Counts, FOLDER_NAME, Failure, FailureReason, MAX_ITEM_BYTES, MappedMailbox, Mapping, MappingError, MappingErrorKind,
    MobileError, MobileNumber, Region, RunReport, Window,
};
pub use token::TokenError;

#[cfg(test)]
mod send_check {
    /// `run` can be spawned on a multi-threaded runtime.
    #[allow(dead_code)]
    fn run_is_send(config: crate::Config) {
        fn assert_send<T: Send>(_: &T) {}
        let fut = crate::run(config);
        assert_send(&fut);
    }
}
