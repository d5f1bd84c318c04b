//! When items reach the archive: `[traffic] late_share`, `[[offline]]`, an item's `archived_at`,
//! and the archive's `[vendor]` settings (`retention_days`, `clock`), validated with the field
//! named.
//!
//! The model is WeCom's message archive (会话内容存档, `GetChatData`): it is read by a
//! monotonically increasing `seq` in arrival order, and a message sent from a phone that is
//! offline reaches it when the phone is back; the archive keeps data for a few days only
//! (errcode 10010, "data expired"). See docs/scenarios.md, "Arrivals".

use super::ScenarioError;
use super::model::ScriptedItem;
use super::raw::{RawItem, RawOffline, RawVendor};
use super::validate::{Ctx, parse_time};

/// `[[offline]]`: a person's phone is offline for a while; whatever that person sends or
/// receives meanwhile reaches the archive when it comes back (`from + hours`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offline {
    /// The person (employee or external contact) id.
    pub person: String,
    /// Offline from (epoch ms, inclusive).
    pub from_ms: i64,
    /// Back online (epoch ms, exclusive): everything captured meanwhile arrives then.
    pub until_ms: i64,
}

/// What the archive's clock is in a conformance run (`[vendor] clock`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VendorClock {
    /// `"none"` (the default): every item is there (in live mode: the wall clock).
    #[default]
    None,
    /// `"run_at"`: the suite sets the clock to each run's `RUN_AT` before the run; items
    /// archived later are not there yet.
    RunAt,
}

/// `[vendor]`: the archive's own settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Vendor {
    /// Items archived more than this many days before the archive's clock are gone (listed no
    /// more, downloads 410 `data_expired`); `None`: kept forever.
    pub retention_days: Option<u32>,
    /// The clock of conformance runs.
    pub clock: VendorClock,
}

impl Vendor {
    /// The retention in milliseconds, if any.
    pub fn retention_ms(&self) -> Option<i64> {
        self.retention_days.map(|d| d as i64 * 86_400_000)
    }
}

/// `[vendor]`: a retention of 1 to 3650 days, a known clock.
pub(super) fn vendor(ctx: &Ctx<'_>, raw: Option<&RawVendor>) -> Result<Vendor, ScenarioError> {
    let Some(raw) = raw else { return Ok(Vendor::default()) };
    let retention_days = match &raw.retention_days {
        Some(d) if !(1..=3650).contains(d.get_ref()) => {
            return ctx.err(d.span(), "vendor.retention_days", format!("must be between 1 and 3650 days, not {}", d.get_ref()));
        }
        d => d.as_ref().map(|d| *d.get_ref()),
    };
    let clock = match raw.clock.as_ref().map(|c| (c, c.get_ref().as_str())) {
        None | Some((_, "none")) => VendorClock::None,
        Some((_, "run_at")) => VendorClock::RunAt,
        Some((c, other)) => return ctx.err(c.span(), "vendor.clock", format!("must be \"none\" or \"run_at\", not {other:?}")),
    };
    Ok(Vendor { retention_days, clock })
}

/// `[[offline]]`: a known person, an RFC 3339 `from`, 1 to 720 `hours`.
pub(super) fn offline(ctx: &Ctx<'_>, raw: &[RawOffline], known: &dyn Fn(&str) -> bool) -> Result<Vec<Offline>, ScenarioError> {
    let mut out = Vec::new();
    for (i, o) in raw.iter().enumerate() {
        if !known(o.person.get_ref()) {
            return ctx.err(o.person.span(), format!("offline[{i}].person"), format!("no person has id `{}`", o.person.get_ref()));
        }
        let from = parse_time(ctx, &o.from, &format!("offline[{i}].from"))?;
        if !(0.0 < *o.hours.get_ref() && *o.hours.get_ref() <= 720.0) {
            return ctx.err(
                o.hours.span(),
                format!("offline[{i}].hours"),
                format!("must be more than 0 and at most 720, not {}", o.hours.get_ref()),
            );
        }
        let from_ms = from.timestamp_millis();
        out.push(Offline { person: o.person.get_ref().clone(), from_ms, until_ms: from_ms + (*o.hours.get_ref() * 3_600_000.0) as i64 });
    }
    Ok(out)
}

/// Each scripted item's `archived_at`: an RFC 3339 time not before its `at`.
pub(super) fn scripted_archived(ctx: &Ctx<'_>, raw: &[RawItem], items: &mut [ScriptedItem]) -> Result<(), ScenarioError> {
    for (i, (it, item)) in raw.iter().zip(items.iter_mut()).enumerate() {
        let Some(at) = &it.archived_at else { continue };
        let field = format!("item[{i}].archived_at");
        let ms = parse_time(ctx, at, &field)?.timestamp_millis();
        if ms < item.at_ms {
            return ctx.err(
                at.span(),
                field,
                format!("`{}` is before the item's `at`: an item reaches the archive after it is captured", at.get_ref()),
            );
        }
        item.archived_ms = Some(ms);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::Scenario;
    use super::*;

    use super::super::MINIMAL as BASE;

    /// The line of `extra`'s first line once appended to `BASE`.
    fn first_extra_line() -> usize {
        BASE.lines().count() + 1
    }

    fn err(extra: &str) -> ScenarioError {
        Scenario::from_toml_str(&format!("{BASE}{extra}"), "bad.toml").unwrap_err()
    }

    #[test]
    fn arrivals_default_to_capture_with_no_retention_and_no_clock() {
        let s = Scenario::from_toml_str(BASE, "t.toml").unwrap();
        assert_eq!((s.items[0].archived_ms, s.offline.len(), s.vendor), (None, 0, Vendor::default()));
    }

    #[test]
    fn an_archived_at_before_the_capture_or_not_a_time_is_named_with_its_line() {
        let e = err("archived_at = \"2026-11-20T09:00:00Z\"\n");
        assert_eq!((e.field.as_deref(), e.line), (Some("item[0].archived_at"), Some(first_extra_line())), "{e}");
        assert!(e.message.contains("before the item's `at`"), "{e}");
        let e = err("archived_at = \"tomorrow\"\n");
        assert!(e.message.contains("not an RFC 3339 time"), "{e}");
        let ok = Scenario::from_toml_str(&format!("{BASE}archived_at = \"2026-11-21T09:00:00+08:00\"\n"), "t").unwrap();
        assert_eq!(ok.items[0].archived_ms, Some(chrono::DateTime::parse_from_rfc3339("2026-11-21T01:00:00Z").unwrap().timestamp_millis()));
    }

    #[test]
    fn an_offline_phone_names_a_known_person_and_lasts_up_to_a_month() {
        let e = err("[[offline]]\nperson = \"ghost\"\nfrom = \"2026-11-20T00:00:00Z\"\nhours = 5\n");
        assert_eq!((e.field.as_deref(), e.line), (Some("offline[0].person"), Some(first_extra_line() + 1)), "{e}");
        let e = err("[[offline]]\nperson = \"a\"\nfrom = \"2026-11-20T00:00:00Z\"\nhours = 0\n");
        assert_eq!(e.field.as_deref(), Some("offline[0].hours"), "{e}");
        let e = err("[[offline]]\nperson = \"a\"\nfrom = \"noon\"\nhours = 3\n");
        assert_eq!(e.field.as_deref(), Some("offline[0].from"), "{e}");
        let s = Scenario::from_toml_str(&format!("{BASE}[[offline]]\nperson = \"b\"\nfrom = \"2026-11-20T00:00:00Z\"\nhours = 1.5\n"), "t")
            .unwrap();
        assert_eq!(s.offline[0].until_ms - s.offline[0].from_ms, 5_400_000);
    }

    #[test]
    fn vendor_settings_are_checked_by_field() {
        let e = err("[vendor]\nretention_days = 0\n");
        assert_eq!((e.field.as_deref(), e.line), (Some("vendor.retention_days"), Some(first_extra_line() + 1)), "{e}");
        let e = err("[vendor]\nclock = \"wall\"\n");
        assert_eq!(e.field.as_deref(), Some("vendor.clock"), "{e}");
        assert!(e.message.contains("\"wall\""), "{e}");
        let e = err("[traffic]\ndays = 1\nitems_per_employee_per_day = 1\nlate_share = 1.5\n");
        assert_eq!(e.field.as_deref(), Some("traffic.late_share"), "{e}");
        let s = Scenario::from_toml_str(&format!("{BASE}[vendor]\nretention_days = 3\nclock = \"run_at\"\n"), "t").unwrap();
        assert_eq!(s.vendor, Vendor { retention_days: Some(3), clock: VendorClock::RunAt });
        assert_eq!(s.vendor.retention_ms(), Some(3 * 86_400_000));
    }
}
