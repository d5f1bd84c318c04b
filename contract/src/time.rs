//! How the contract writes times, once: RFC 3339 in UTC (`Z`), with milliseconds on the wire
//! (listings' `captured_at`, window bounds, `/sim`), with as many fraction digits as the instant
//! needs in the run report (`run_at`, `window`) and in `RUN_AT`. Both are read with any offset
//! and any sub-second precision ([`parse_time`]).

use chrono::{DateTime, SecondsFormat, Utc};

/// The wire's form of a time: RFC 3339, UTC, milliseconds (`2026-11-20T08:00:00.500Z`).
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// [`format_time`] of milliseconds since the Unix epoch (out of range: the epoch).
pub fn format_ms(ms: i64) -> String {
    format_time(DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default())
}

/// The run report's form of a time (and `RUN_AT`'s): RFC 3339, UTC, with the fraction digits
/// the instant needs (none, 3, 6 or 9: `2026-11-21T00:00:00Z`).
pub fn format_report_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// An RFC 3339 time with any offset and precision, in UTC.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_writes_milliseconds_and_the_report_what_the_instant_needs() {
        let t = parse_time("2026-11-20T08:00:00.5+08:00").unwrap();
        assert_eq!(format_time(t), "2026-11-20T00:00:00.500Z");
        assert_eq!(format_report_time(t), "2026-11-20T00:00:00.500Z");
        let whole = parse_time("2026-11-21T00:00:00Z").unwrap();
        assert_eq!(format_time(whole), "2026-11-21T00:00:00.000Z");
        assert_eq!(format_report_time(whole), "2026-11-21T00:00:00Z");
        assert_eq!(format_ms(whole.timestamp_millis() + 7), "2026-11-21T00:00:00.007Z");
        assert_eq!(format_ms(i64::MAX), "1970-01-01T00:00:00.000Z");
    }

    quickcheck::quickcheck! {
        fn a_wire_time_reads_back_as_the_instant_it_wrote(ms: i64) -> bool {
            let ms = ms.rem_euclid(253_402_300_799_000); // years 1970..=9999
            parse_time(&format_ms(ms)).map(|t| t.timestamp_millis()) == Ok(ms)
        }
    }
}
