//! What can be observed of a running simulator: the [`journal`] of the tenant's writes and the
//! vendor's faults, and the [`access_log`] of every request with its timing. Both are bounded in
//! memory. Nothing here speaks HTTP (the middleware that fills the access log is `http::record`).

pub mod access_log;
pub mod journal;
pub mod observation;
pub mod offline;

pub use observation::Observation;
