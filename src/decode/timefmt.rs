//! Rendering of dates and times as readable strings.
//!
//! All functions return `None` when the value is outside chrono's range (or,
//! for times of day, outside `[0, 24h)`); callers then fall back to the raw
//! number and add a note.

use chrono::{DateTime, NaiveDate, NaiveTime};

const NANOS_PER_SEC: i64 = 1_000_000_000;
const SECS_PER_DAY: i64 = 86_400;

/// Fractional-second precision of a rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Precision {
    Millis,
    Micros,
    Nanos,
    /// As many digits as needed (java.time style).
    Auto,
}

impl Precision {
    fn fmt(self) -> &'static str {
        match self {
            Precision::Millis => "%.3f",
            Precision::Micros => "%.6f",
            Precision::Nanos => "%.9f",
            // as java.time prints: 3, 6 or 9 digits as needed, none for whole seconds
            Precision::Auto => "%.f",
        }
    }
}

/// Instant given as whole seconds + nanos (nanos in `0..1e9`), rendered as
/// RFC 3339 UTC: `2023-11-14T22:13:20.123Z` (digits per `precision`).
pub(crate) fn instant(secs: i64, nanos: u32, precision: Precision) -> Option<String> {
    let dt = DateTime::from_timestamp(secs, nanos)?;
    let fmt = format!("%Y-%m-%dT%H:%M:%S{}Z", precision.fmt());
    Some(dt.format(&fmt).to_string())
}

/// Splits `value` expressed in `1/per_sec` units into (secs, nanos).
fn split(value: i64, per_sec: i64) -> (i64, u32) {
    let secs = value.div_euclid(per_sec);
    let frac = value.rem_euclid(per_sec);
    let nanos = frac.saturating_mul(NANOS_PER_SEC / per_sec);
    (secs, u32::try_from(nanos).unwrap_or(0))
}

/// Epoch millis → RFC 3339 UTC with millisecond precision.
pub(crate) fn epoch_millis(ms: i64) -> Option<String> {
    let (s, n) = split(ms, 1_000);
    instant(s, n, Precision::Millis)
}

/// Epoch micros → RFC 3339 UTC with microsecond precision.
pub(crate) fn epoch_micros(us: i64) -> Option<String> {
    let (s, n) = split(us, 1_000_000);
    instant(s, n, Precision::Micros)
}

/// Epoch nanos → RFC 3339 UTC with nanosecond precision.
pub(crate) fn epoch_nanos(ns: i64) -> Option<String> {
    let (s, n) = split(ns, NANOS_PER_SEC);
    instant(s, n, Precision::Nanos)
}

/// Local (zone-less) timestamp: like the epoch renderings but without `Z`.
pub(crate) fn local_timestamp(value: i64, per_sec: i64, precision: Precision) -> Option<String> {
    let (s, n) = split(value, per_sec);
    let dt = DateTime::from_timestamp(s, n)?.naive_utc();
    let fmt = format!("%Y-%m-%dT%H:%M:%S{}", precision.fmt());
    Some(dt.format(&fmt).to_string())
}

/// Days since 1970-01-01 → `YYYY-MM-DD`.
pub(crate) fn epoch_day(days: i64) -> Option<NaiveDate> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    let delta = chrono::TimeDelta::try_days(days)?;
    epoch.checked_add_signed(delta)
}

/// Days since 1970-01-01 → `YYYY-MM-DD` string.
pub(crate) fn epoch_day_str(days: i64) -> Option<String> {
    Some(epoch_day(days)?.format("%Y-%m-%d").to_string())
}

/// Time of day from nanos since midnight; `None` outside `[0, 24h)`.
pub(crate) fn time_of_day(nanos_of_day: i64) -> Option<NaiveTime> {
    if !(0..SECS_PER_DAY * NANOS_PER_SEC).contains(&nanos_of_day) {
        return None;
    }
    let secs = u32::try_from(nanos_of_day / NANOS_PER_SEC).ok()?;
    let nanos = u32::try_from(nanos_of_day % NANOS_PER_SEC).ok()?;
    NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos)
}

/// Time of day (`value` in `1/per_sec` units since midnight) →
/// `HH:MM:SS.fff` (digits per `precision`).
pub(crate) fn time_of_day_str(value: i64, per_sec: i64, precision: Precision) -> Option<String> {
    let nanos = value.checked_mul(NANOS_PER_SEC / per_sec)?;
    let t = time_of_day(nanos)?;
    Some(t.format(&format!("%H:%M:%S{}", precision.fmt())).to_string())
}

/// Epoch day + nanos of day → `YYYY-MM-DDTHH:MM:SS[.fff[fff[fff]]]` (no zone, java.time style).
pub(crate) fn local_date_time(days: i64, nanos_of_day: i64) -> Option<String> {
    let d = epoch_day(days)?;
    let t = time_of_day(nanos_of_day)?;
    Some(d.and_time(t).format("%Y-%m-%dT%H:%M:%S%.f").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders() {
        assert_eq!(epoch_millis(1_700_000_000_123).as_deref(), Some("2023-11-14T22:13:20.123Z"));
        assert_eq!(epoch_millis(-500).as_deref(), Some("1969-12-31T23:59:59.500Z"));
        assert_eq!(epoch_micros(1_700_000_000_123_456).as_deref(), Some("2023-11-14T22:13:20.123456Z"));
        assert_eq!(epoch_nanos(-1).as_deref(), Some("1969-12-31T23:59:59.999999999Z"));
        assert_eq!(epoch_day_str(0).as_deref(), Some("1970-01-01"));
        assert_eq!(epoch_day_str(-1).as_deref(), Some("1969-12-31"));
        assert_eq!(time_of_day_str(1_000, 1_000, Precision::Millis).as_deref(), Some("00:00:01.000"));
        assert_eq!(time_of_day_str(86_400_000, 1_000, Precision::Millis), None);
        assert_eq!(time_of_day_str(-1, 1_000, Precision::Millis), None);
        assert_eq!(local_timestamp(0, 1_000, Precision::Millis).as_deref(), Some("1970-01-01T00:00:00.000"));
    }

    #[test]
    fn out_of_range_is_none() {
        assert_eq!(epoch_millis(i64::MAX), None);
        assert_eq!(epoch_millis(i64::MIN), None);
        assert!(epoch_nanos(i64::MIN).is_some());
        assert_eq!(epoch_day_str(i64::MAX), None);
        assert_eq!(epoch_day_str(i64::MIN), None);
        assert_eq!(local_date_time(0, i64::MAX), None);
        assert_eq!(time_of_day_str(i64::MAX, 1_000, Precision::Millis), None);
        assert_eq!(instant(i64::MAX, 0, Precision::Nanos), None);
        assert_eq!(instant(0, 2_000_000_000, Precision::Nanos), None);
    }
}
