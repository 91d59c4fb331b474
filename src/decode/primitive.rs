//! Primitive schemas (Pulsar's fixed binary layouts) and the schemaless
//! fallback.
//!
//! Layouts, as implemented by the Java client's `*Schema` classes:
//!
//! | type | layout | rendering |
//! |---|---|---|
//! | STRING | UTF-8 | string |
//! | BOOLEAN | 1 byte, non-zero = true | bool |
//! | INT8/16/32/64 | 1/2/4/8 bytes, big-endian two's complement | number |
//! | FLOAT/DOUBLE | 4/8 bytes, big-endian IEEE 754 | number (`"NaN"`, `"Infinity"` as strings) |
//! | DATE, TIMESTAMP | 8-byte BE epoch millis | RFC 3339 UTC, millis (`2023-11-14T22:13:20.123Z`) |
//! | TIME | 8-byte BE millis (`java.sql.Time#getTime`) | UTC time of day `HH:MM:SS.fff` |
//! | INSTANT | 8-byte BE epoch seconds + 4-byte BE nanos | RFC 3339 UTC, nanos |
//! | LOCAL_DATE | 8-byte BE epoch day | `YYYY-MM-DD` |
//! | LOCAL_TIME | 8-byte BE nano of day | `HH:MM:SS.fffffffff` |
//! | LOCAL_DATE_TIME | 8-byte BE epoch day + 8-byte BE nano of day | `YYYY-MM-DDTHH:MM:SS.fffffffff` |
//!
//! A payload shorter than the layout is [`DecodeError::Truncated`]; a longer
//! one is [`DecodeError::Mismatch`]. Out-of-range dates fall back to the raw
//! number with a note.

use serde_json::Value;

use super::avro::{f32_value, f64_value};
use super::error::DecodeError;
use super::hex::to_hex;
use super::schema::SchemaType;
use super::timefmt::{self, Precision};
use super::ValueKind;

/// A fixed-layout primitive type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Primitive {
    String,
    Boolean,
    Int8,
    Int16,
    Int32,
    Int64,
    Float,
    Double,
    Date,
    Time,
    Timestamp,
    Instant,
    LocalDate,
    LocalTime,
    LocalDateTime,
}

impl Primitive {
    /// The primitive for a schema type, if it is one.
    pub(crate) fn from_type(t: SchemaType) -> Option<Self> {
        Some(match t {
            SchemaType::String => Primitive::String,
            SchemaType::Boolean => Primitive::Boolean,
            SchemaType::Int8 => Primitive::Int8,
            SchemaType::Int16 => Primitive::Int16,
            SchemaType::Int32 => Primitive::Int32,
            SchemaType::Int64 => Primitive::Int64,
            SchemaType::Float => Primitive::Float,
            SchemaType::Double => Primitive::Double,
            SchemaType::Date => Primitive::Date,
            SchemaType::Time => Primitive::Time,
            SchemaType::Timestamp => Primitive::Timestamp,
            SchemaType::Instant => Primitive::Instant,
            SchemaType::LocalDate => Primitive::LocalDate,
            SchemaType::LocalTime => Primitive::LocalTime,
            SchemaType::LocalDateTime => Primitive::LocalDateTime,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Primitive::String => "STRING",
            Primitive::Boolean => "BOOLEAN",
            Primitive::Int8 => "INT8",
            Primitive::Int16 => "INT16",
            Primitive::Int32 => "INT32",
            Primitive::Int64 => "INT64",
            Primitive::Float => "FLOAT",
            Primitive::Double => "DOUBLE",
            Primitive::Date => "DATE",
            Primitive::Time => "TIME",
            Primitive::Timestamp => "TIMESTAMP",
            Primitive::Instant => "INSTANT",
            Primitive::LocalDate => "LOCAL_DATE",
            Primitive::LocalTime => "LOCAL_TIME",
            Primitive::LocalDateTime => "LOCAL_DATE_TIME",
        }
    }

    /// Exact payload size, `None` for variable-length STRING.
    fn size(self) -> Option<usize> {
        Some(match self {
            Primitive::String => return None,
            Primitive::Boolean | Primitive::Int8 => 1,
            Primitive::Int16 => 2,
            Primitive::Int32 | Primitive::Float => 4,
            Primitive::Int64
            | Primitive::Double
            | Primitive::Date
            | Primitive::Time
            | Primitive::Timestamp
            | Primitive::LocalDate
            | Primitive::LocalTime => 8,
            Primitive::Instant => 12,
            Primitive::LocalDateTime => 16,
        })
    }

    /// Decodes a payload: (value, kind, notes).
    pub(crate) fn decode(self, p: &[u8]) -> Result<(Value, ValueKind, Vec<String>), DecodeError> {
        if let Some(size) = self.size() {
            if p.len() < size {
                return Err(DecodeError::truncated(self.name(), size, p.len()));
            }
            if p.len() > size {
                return Err(DecodeError::Mismatch(format!(
                    "{} payload must be {size} bytes, got {}",
                    self.name(),
                    p.len()
                )));
            }
        }
        let mut notes = Vec::new();
        // A rendered date/time, or (out of range: `None`) the raw number with a note.
        let rendered_or_raw = |rendered: Option<String>, raw: i64, notes: &mut Vec<String>| match rendered {
            Some(s) => Value::String(s),
            None => {
                notes.push(format!("{} value {raw} is out of range; shown as the raw number", self.name()));
                Value::from(raw)
            }
        };
        let value = match self {
            Primitive::String => {
                let s = std::str::from_utf8(p).map_err(|_| DecodeError::InvalidUtf8)?;
                return Ok((Value::String(s.to_string()), ValueKind::Text, notes));
            }
            Primitive::Boolean => Value::Bool(be_u64(p) != 0),
            Primitive::Int8 => Value::from(be_u64(p) as u8 as i8),
            Primitive::Int16 => Value::from(be_u64(p) as u16 as i16),
            Primitive::Int32 => Value::from(be_u64(p) as u32 as i32),
            Primitive::Int64 => Value::from(be_i64(p, 0)),
            Primitive::Float => f32_value(f32::from_bits(be_u64(p) as u32)),
            Primitive::Double => f64_value(f64::from_bits(be_u64(p))),
            Primitive::Date | Primitive::Timestamp => {
                let ms = be_i64(p, 0);
                rendered_or_raw(timefmt::epoch_millis(ms), ms, &mut notes)
            }
            Primitive::Time => {
                let ms = be_i64(p, 0);
                rendered_or_raw(
                    timefmt::time_of_day_str(ms.rem_euclid(86_400_000), 1_000, Precision::Millis),
                    ms,
                    &mut notes,
                )
            }
            Primitive::Instant => {
                let secs = be_i64(p, 0);
                let nanos = p.get(8..12).map(|b| b.iter().fold(0u32, |a, x| (a << 8) | u32::from(*x))).unwrap_or(0);
                rendered_or_raw(timefmt::instant(secs, nanos, Precision::Nanos), secs, &mut notes)
            }
            Primitive::LocalDate => {
                let d = be_i64(p, 0);
                rendered_or_raw(timefmt::epoch_day_str(d), d, &mut notes)
            }
            Primitive::LocalTime => {
                let n = be_i64(p, 0);
                rendered_or_raw(timefmt::time_of_day_str(n, 1_000_000_000, Precision::Auto), n, &mut notes)
            }
            Primitive::LocalDateTime => {
                let d = be_i64(p, 0);
                let n = be_i64(p, 8);
                match timefmt::local_date_time(d, n) {
                    Some(s) => Value::String(s),
                    None => {
                        notes.push(format!(
                            "LOCAL_DATE_TIME (epoch day {d}, nano of day {n}) is out of range; shown raw"
                        ));
                        serde_json::json!({"epoch_day": d, "nano_of_day": n})
                    }
                }
            }
        };
        Ok((value, ValueKind::Structured, notes))
    }
}

/// Big-endian unsigned value of up to the first 8 bytes of `p`.
fn be_u64(p: &[u8]) -> u64 {
    p.iter().take(8).fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

/// Big-endian i64 at `offset` (0 if out of bounds; callers check lengths).
fn be_i64(p: &[u8], offset: usize) -> i64 {
    p.get(offset..offset + 8).map(be_u64).unwrap_or(0) as i64
}

/// The schemaless rendering (no schema, NONE, BYTES, AUTO*):
/// valid UTF-8 whose first non-blank character is `{` or `[` and which
/// parses as JSON → [`ValueKind::Json`]; other valid UTF-8 → a JSON string,
/// [`ValueKind::Text`]; anything else → a lower-case hex string,
/// [`ValueKind::Binary`], with the note `"binary"`.
pub(crate) fn schemaless(p: &[u8]) -> (Value, ValueKind, Vec<String>) {
    match std::str::from_utf8(p) {
        Ok(s) => {
            let t = s.trim_start();
            if t.starts_with('{') || t.starts_with('[') {
                if let Ok(v) = serde_json::from_str::<Value>(s) {
                    return (v, ValueKind::Json, Vec::new());
                }
            }
            (Value::String(s.to_string()), ValueKind::Text, Vec::new())
        }
        Err(_) => (Value::String(to_hex(p)), ValueKind::Binary, vec!["binary".to_string()]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_support::{check_case, load_case};
    use serde_json::json;

    #[test]
    fn fixture_cases() {
        for name in [
            "prim_string",
            "prim_string_bad_utf8",
            "prim_boolean",
            "prim_boolean_false",
            "prim_int8",
            "prim_int16",
            "prim_int32",
            "prim_int32_short",
            "prim_int32_long",
            "prim_int64",
            "prim_float",
            "prim_double",
            "prim_date",
            "prim_timestamp",
            "prim_time",
            "prim_instant",
            "prim_local_date",
            "prim_local_time",
            "prim_local_date_time",
            "prim_bytes",
        ] {
            check_case(&load_case(name));
        }
    }

    #[test]
    fn schemaless_fixture_cases() {
        for name in [
            "schemaless_text",
            "schemaless_json",
            "schemaless_json_array",
            "schemaless_broken_json",
            "schemaless_binary",
            "none_binary",
            "auto_consume_json",
        ] {
            check_case(&load_case(name));
        }
    }

    #[test]
    fn wrong_lengths_are_errors() {
        for t in SchemaType::ALL {
            let Some(p) = Primitive::from_type(*t) else {
                continue;
            };
            let Some(size) = p.size() else { continue };
            assert!(matches!(p.decode(&vec![0; size - 1]), Err(DecodeError::Truncated { .. })));
            assert!(matches!(p.decode(&vec![0; size + 1]), Err(DecodeError::Mismatch(_))));
            assert!(p.decode(&vec![0; size]).is_ok());
        }
    }

    #[test]
    fn extremes_fall_back_to_raw() {
        let (v, _, notes) = Primitive::Timestamp.decode(&i64::MAX.to_be_bytes()).unwrap();
        assert_eq!(v, json!(i64::MAX));
        assert_eq!(notes.len(), 1);
        let (v, _, _) = Primitive::LocalTime.decode(&(-1i64).to_be_bytes()).unwrap();
        assert_eq!(v, json!(-1));
        let mut p = 0i64.to_be_bytes().to_vec();
        p.extend_from_slice(&i64::MAX.to_be_bytes());
        let (v, _, _) = Primitive::LocalDateTime.decode(&p).unwrap();
        assert_eq!(v, json!({"epoch_day": 0, "nano_of_day": i64::MAX}));
        let mut p = 0i64.to_be_bytes().to_vec();
        p.extend_from_slice(&u32::MAX.to_be_bytes());
        let (v, _, _) = Primitive::Instant.decode(&p).unwrap();
        assert_eq!(v, json!(0));
        let (v, _, _) = Primitive::Double.decode(&f64::NAN.to_be_bytes()).unwrap();
        assert_eq!(v, json!("NaN"));
        // java.sql.Time before the epoch still renders a time of day
        let (v, _, _) = Primitive::Time.decode(&(-1000i64).to_be_bytes()).unwrap();
        assert_eq!(v, json!("23:59:59.000"));
    }

    #[test]
    fn schemaless_rules() {
        assert_eq!(schemaless(b"").0, json!(""));
        assert_eq!(schemaless(b"42").1, ValueKind::Text);
        let deep = "[".repeat(10_000);
        assert_eq!(schemaless(deep.as_bytes()).1, ValueKind::Text);
    }
}
