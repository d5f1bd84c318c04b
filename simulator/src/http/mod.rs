//! The HTTP surface, and the only room that knows axum: the vendor API ([`vendor`], with its
//! [`sessions`]), the Graph subset ([`graph`]), the identity platform ([`identity`]), the
//! control plane ([`control`]), the OpenAPI description ([`openapi`]), the web UI ([`web_ui`]),
//! TLS ([`tls`]) and serving ([`serve`]). Handlers parse HTTP, call the world or the tenant store,
//! and render the answer.

pub mod clock;
pub mod control;
pub mod error;
pub mod fault_answer;
pub mod graph;
pub mod identity;
pub mod openapi;
pub mod record;
pub mod serve;
pub mod sessions;
pub mod tls;
pub mod vendor;
pub mod vendor_bytes;
pub mod web_ui;
