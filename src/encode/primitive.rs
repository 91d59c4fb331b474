//! Primitive schemas: Pulsar's fixed layouts (see `decode::primitive`), from the value as
//! `decode` shows it or from the raw number.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use serde_json::Value;

use super::avro::{float, int64};
use super::path::{EncodeError, Path};
pub(crate) use crate::decode::primitive::Primitive;

const NANOS_PER_DAY: i64 = 86_400_000_000_000;

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

/// `YYYY-MM-DD` as epoch days.
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    Some(d.signed_duration_since(epoch()).num_days())
}

/// `HH:MM:SS[.f…]` as nanoseconds of the day.
pub(crate) fn parse_time_of_day(s: &str) -> Option<i64> {
    let t = NaiveTime::parse_from_str(s.trim(), "%H:%M:%S%.f").ok()?;
    Some(i64::from(t.num_seconds_from_midnight()) * 1_000_000_000 + i64::from(t.nanosecond()))
}

/// An RFC 3339 timestamp (`…Z` or an offset) as epoch seconds and nanoseconds.
pub(crate) fn parse_instant(s: &str) -> Option<(i64, u32)> {
    let t = DateTime::parse_from_rfc3339(s.trim()).ok()?;
    Some((t.timestamp(), t.timestamp_subsec_nanos()))
}

/// `YYYY-MM-DDTHH:MM:SS[.f…]` (no zone) as epoch days and nanoseconds of the day.
pub(crate) fn parse_local_date_time(s: &str) -> Option<(i64, i64)> {
    let t = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    let days = t.date().signed_duration_since(epoch()).num_days();
    let nanos = i64::from(t.time().num_seconds_from_midnight()) * 1_000_000_000 + i64::from(t.time().nanosecond());
    Some((days, nanos))
}

/// The encoding of the decoder's [`Primitive`] (one type, one mapping from schema types).
impl Primitive {
    pub(crate) fn encode(self, v: &Value, path: &mut Path) -> Result<Vec<u8>, EncodeError> {
        let ranged = |lo: i64, hi: i64, what: &str| -> Result<i64, EncodeError> {
            v.as_i64().filter(|n| (lo..=hi).contains(n)).ok_or_else(|| path.expected(what, v))
        };
        // epoch millis from RFC 3339 text or a number
        let millis = |what: &str| -> Result<i64, EncodeError> {
            match v {
                Value::String(t) => parse_instant(t)
                    .and_then(|(s, n)| s.checked_mul(1000).and_then(|ms| ms.checked_add(i64::from(n / 1_000_000))))
                    .ok_or_else(|| path.expected(what, v)),
                _ => int64(v, path, what),
            }
        };
        Ok(match self {
            Primitive::String => v.as_str().ok_or_else(|| path.expected("string", v))?.as_bytes().to_vec(),
            Primitive::Boolean => vec![u8::from(v.as_bool().ok_or_else(|| path.expected("boolean", v))?)],
            Primitive::Int8 => (ranged(i8::MIN.into(), i8::MAX.into(), "int8")? as i8).to_be_bytes().to_vec(),
            Primitive::Int16 => (ranged(i16::MIN.into(), i16::MAX.into(), "int16")? as i16).to_be_bytes().to_vec(),
            Primitive::Int32 => (ranged(i32::MIN.into(), i32::MAX.into(), "int32")? as i32).to_be_bytes().to_vec(),
            Primitive::Int64 => int64(v, path, "int64")?.to_be_bytes().to_vec(),
            Primitive::Float => (float(v, path, "float")? as f32).to_be_bytes().to_vec(),
            Primitive::Double => float(v, path, "double")?.to_be_bytes().to_vec(),
            Primitive::Date => millis("date (RFC 3339 or epoch millis)")?.to_be_bytes().to_vec(),
            Primitive::Timestamp => millis("timestamp (RFC 3339 or epoch millis)")?.to_be_bytes().to_vec(),
            Primitive::Time => {
                let ms = match v {
                    Value::String(t) => parse_time_of_day(t).map(|n| n / 1_000_000),
                    _ => v.as_i64(),
                };
                ms.ok_or_else(|| path.expected("time (HH:MM:SS.fff or millis)", v))?.to_be_bytes().to_vec()
            }
            Primitive::Instant => {
                let (secs, nanos) = match v {
                    Value::String(t) => parse_instant(t),
                    _ => v.as_i64().map(|ms| (ms.div_euclid(1000), (ms.rem_euclid(1000) * 1_000_000) as u32)),
                }
                .ok_or_else(|| path.expected("instant (RFC 3339 or epoch millis)", v))?;
                let mut out = secs.to_be_bytes().to_vec();
                out.extend_from_slice(&(nanos as i32).to_be_bytes());
                out
            }
            Primitive::LocalDate => {
                let days = match v {
                    Value::String(t) => parse_date(t),
                    _ => v.as_i64(),
                };
                days.ok_or_else(|| path.expected("local date (YYYY-MM-DD or epoch days)", v))?.to_be_bytes().to_vec()
            }
            Primitive::LocalTime => {
                let nanos = match v {
                    Value::String(t) => parse_time_of_day(t),
                    _ => v.as_i64().filter(|n| (0..NANOS_PER_DAY).contains(n)),
                };
                nanos.ok_or_else(|| path.expected("local time (HH:MM:SS.f or nano of day)", v))?.to_be_bytes().to_vec()
            }
            Primitive::LocalDateTime => {
                let s = v.as_str().ok_or_else(|| path.expected("local date-time (YYYY-MM-DDTHH:MM:SS.f)", v))?;
                let (days, nanos) = parse_local_date_time(s)
                    .ok_or_else(|| path.expected("local date-time (YYYY-MM-DDTHH:MM:SS.f)", v))?;
                let mut out = days.to_be_bytes().to_vec();
                out.extend_from_slice(&nanos.to_be_bytes());
                out
            }
        })
    }
}
