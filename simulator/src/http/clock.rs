//! `/sim/clock`: the vendor archive's clock, for runners that play a scenario's runs one after
//! the other (the conformance suite sets it to each run's `RUN_AT`). Items archived after the
//! clock are not there yet (not listed, 404); items archived more than `[vendor] retention_days`
//! before it have expired (not listed, 410 `data_expired`). Without a clock every item is there
//! (in live mode, the wall clock is the clock).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::error::ApiError;
use crate::state::Shared;

/// The archive's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Clock {
    /// RFC 3339; `null`: no clock (every item is there, or in live mode the wall clock).
    #[schema(format = DateTime)]
    pub at: Option<String>,
}

fn current(state: &Shared) -> Clock {
    Clock { at: state.arrived_until_ms().map(crate::world::archive::format_ms) }
}

/// The archive's clock now.
#[utoipa::path(get, path = "/clock", operation_id = "sim_clock", tag = crate::http::openapi::CONTROL,
    responses((status = 200, description = "The clock", body = Clock)))]
pub async fn clock(State(state): State<Shared>) -> Response {
    axum::Json(current(&state)).into_response()
}

/// Sets the archive's clock (`{"at": "<RFC 3339>"}`), or clears it (`{"at": null}`).
#[utoipa::path(put, path = "/clock", operation_id = "sim_set_clock", tag = crate::http::openapi::CONTROL, request_body = Clock,
    responses(
        (status = 200, description = "The clock, as set", body = Clock),
        (status = 400, description = "The body is not `{\"at\": RFC 3339 | null}` (`bad_request`)", body = tm_contract::ErrorBody),
    ))]
pub async fn set_clock(State(state): State<Shared>, body: Bytes) -> Response {
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "bad_request", m).into_response();
    let clock: Clock = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return bad(format!("body must be JSON {{\"at\": RFC 3339 | null}}: {e}")),
    };
    let at_ms = match clock.at.as_deref().map(chrono::DateTime::parse_from_rfc3339) {
        None => None,
        Some(Ok(t)) => Some(t.timestamp_millis()),
        Some(Err(e)) => return bad(format!("`at` is not an RFC 3339 time: {e}")),
    };
    state.set_clock(at_ms);
    axum::Json(current(&state)).into_response()
}
