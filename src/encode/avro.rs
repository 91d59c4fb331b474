//! AVRO (and the validation of JSON-schema values): a JSON value walked along the parsed
//! schema into an `apache-avro` value, then written by `apache-avro`.
//!
//! The walk is ours because `apache-avro`'s own JSON conversion (`Value::from(json)` plus
//! `resolve`) says only "value does not match schema", never where, and reads neither the
//! renderings `decode` shows (base64 bytes, RFC 3339 timestamps, unwrapped unions) nor the
//! Avro JSON encoding's `{"type": value}` unions.

use std::collections::HashMap;

use apache_avro::schema::{InnerDecimalSchema, Name, RecordSchema, Schema, UuidSchema};
use apache_avro::types::Value as Avro;
use base64::Engine as _;
use serde_json::Value;

use super::path::{EncodeError, Path};
use super::primitive::{parse_date, parse_instant, parse_local_date_time, parse_time_of_day};

/// Named types nest at most this deep (a recursive schema with a deeper value is refused).
const MAX_DEPTH: usize = 64;

/// A parsed Avro schema and its named types.
#[derive(Debug, Clone)]
pub(crate) struct AvroEncoder {
    schema: Schema,
    names: HashMap<Name, Schema>,
}

impl AvroEncoder {
    pub(crate) fn new(text: &str) -> Result<AvroEncoder, EncodeError> {
        // Java's ReflectData names (`Outer$Inner`) are rewritten as the decoder does
        let (schema, names) =
            crate::decode::parse_avro_schema(text).map_err(|e| EncodeError::schema(format!("Avro schema: {e}")))?;
        Ok(AvroEncoder { schema, names })
    }

    /// The value as `apache-avro` holds it (checked along the way).
    pub(crate) fn convert(&self, v: &Value) -> Result<Avro, EncodeError> {
        let mut path = Path::default();
        self.walk(v, &self.schema, &mut path, 0)
    }

    /// Checks `v` against the schema (the JSON schema's validation).
    pub(crate) fn check(&self, v: &Value) -> Result<(), EncodeError> {
        self.convert(v).map(|_| ())
    }

    /// The Avro datum of `v`.
    pub(crate) fn encode(&self, v: &Value) -> Result<Vec<u8>, EncodeError> {
        let value = self.convert(v)?;
        // checked by the walk: apache-avro need not validate it again
        apache_avro::writer::datum::GenericDatumWriter::builder(&self.schema)
            .validate(false)
            .build()
            .and_then(|w| w.write_value_to_vec(value))
            .map_err(|e| EncodeError::at("$", format!("Avro: {e}")))
    }

    fn walk(&self, v: &Value, s: &Schema, path: &mut Path, depth: usize) -> Result<Avro, EncodeError> {
        if depth > MAX_DEPTH {
            return Err(path.err(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(match s {
            Schema::Null => match v {
                Value::Null => Avro::Null,
                _ => return Err(path.expected("null", v)),
            },
            Schema::Boolean => Avro::Boolean(v.as_bool().ok_or_else(|| path.expected("boolean", v))?),
            Schema::Int => Avro::Int(int32(v, path, "int")?),
            Schema::Long => Avro::Long(int64(v, path, "long")?),
            Schema::Float => Avro::Float(float(v, path, "float")? as f32),
            Schema::Double => Avro::Double(float(v, path, "double")?),
            Schema::Bytes => Avro::Bytes(bytes(v, path)?),
            Schema::String => Avro::String(v.as_str().ok_or_else(|| path.expected("string", v))?.to_string()),
            Schema::Fixed(f) => {
                let b = bytes(v, path)?;
                if b.len() != f.size {
                    return Err(path.err(format!(
                        "expected {} bytes (fixed {}), got {}",
                        f.size,
                        f.name.name(),
                        b.len()
                    )));
                }
                Avro::Fixed(f.size, b)
            }
            Schema::Enum(e) => {
                let sym = v.as_str().ok_or_else(|| path.expected(&format!("one of {:?}", e.symbols), v))?;
                match e.symbols.iter().position(|x| x == sym) {
                    Some(i) => Avro::Enum(i as u32, sym.to_string()),
                    None => return Err(path.expected(&format!("one of {:?}", e.symbols), v)),
                }
            }
            Schema::Union(u) => return self.union(v, u.variants(), path, depth),
            Schema::Array(a) => {
                let items = v.as_array().ok_or_else(|| path.expected("array", v))?;
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    path.index(i);
                    out.push(self.walk(item, &a.items, path, depth + 1)?);
                    path.pop();
                }
                Avro::Array(out)
            }
            Schema::Map(m) => {
                let obj = v.as_object().ok_or_else(|| path.expected("object (map)", v))?;
                let mut out = HashMap::with_capacity(obj.len());
                for (k, item) in obj {
                    path.field(k);
                    out.insert(k.clone(), self.walk(item, &m.types, path, depth + 1)?);
                    path.pop();
                }
                Avro::Map(out)
            }
            Schema::Record(r) => self.record(v, r, path, depth)?,
            Schema::Ref { name } => match self.names.get(name) {
                Some(target) => return self.walk(v, target, path, depth + 1),
                None => return Err(EncodeError::schema(format!("unresolved Avro type {}", name.fullname(None)))),
            },
            Schema::Decimal(d) => {
                let unscaled = decimal_unscaled(v, d.scale, path)?;
                let size = match &d.inner {
                    InnerDecimalSchema::Fixed(f) => Some(f.size),
                    InnerDecimalSchema::Bytes => None,
                };
                Avro::Decimal(apache_avro::Decimal::from(twos_complement(unscaled, size, path)?))
            }
            Schema::BigDecimal => return Err(path.err("big-decimal values cannot be written yet")),
            Schema::Uuid(u) => {
                let text = v.as_str().ok_or_else(|| path.expected("uuid string", v))?;
                let id = apache_avro::Uuid::parse_str(text).map_err(|_| path.expected("uuid string", v))?;
                match u {
                    UuidSchema::String => Avro::Uuid(id),
                    // the same value; apache-avro writes it per the schema
                    _ => Avro::Uuid(id),
                }
            }
            Schema::Date => Avro::Date(match v {
                Value::String(t) => {
                    let days = parse_date(t).ok_or_else(|| path.expected("date (YYYY-MM-DD)", v))?;
                    i32::try_from(days).map_err(|_| path.expected("date in range", v))?
                }
                _ => int32(v, path, "date (YYYY-MM-DD or epoch days)")?,
            }),
            Schema::TimeMillis => Avro::TimeMillis(match v {
                Value::String(t) => {
                    let n = parse_time_of_day(t).ok_or_else(|| path.expected("time (HH:MM:SS.fff)", v))?;
                    (n / 1_000_000) as i32
                }
                _ => int32(v, path, "time-millis")?,
            }),
            Schema::TimeMicros => Avro::TimeMicros(match v {
                Value::String(t) => {
                    parse_time_of_day(t).ok_or_else(|| path.expected("time (HH:MM:SS.ffffff)", v))? / 1_000
                }
                _ => int64(v, path, "time-micros")?,
            }),
            Schema::TimestampMillis => Avro::TimestampMillis(timestamp(v, path, 1_000, false)?),
            Schema::TimestampMicros => Avro::TimestampMicros(timestamp(v, path, 1_000_000, false)?),
            Schema::TimestampNanos => Avro::TimestampNanos(timestamp(v, path, 1_000_000_000, false)?),
            Schema::LocalTimestampMillis => Avro::LocalTimestampMillis(timestamp(v, path, 1_000, true)?),
            Schema::LocalTimestampMicros => Avro::LocalTimestampMicros(timestamp(v, path, 1_000_000, true)?),
            Schema::LocalTimestampNanos => Avro::LocalTimestampNanos(timestamp(v, path, 1_000_000_000, true)?),
            Schema::Duration(_) => {
                let part = |k: &str| -> Result<u32, EncodeError> {
                    let x = v.get(k).ok_or_else(|| path.expected("{\"months\", \"days\", \"millis\"}", v))?;
                    x.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| path.expected("u32", x))
                };
                Avro::Duration(apache_avro::Duration::new(
                    apache_avro::Months::new(part("months")?),
                    apache_avro::Days::new(part("days")?),
                    apache_avro::Millis::new(part("millis")?),
                ))
            }
        })
    }

    fn record(&self, v: &Value, r: &RecordSchema, path: &mut Path, depth: usize) -> Result<Avro, EncodeError> {
        let obj = v.as_object().ok_or_else(|| path.expected(&format!("object (record {})", r.name.name()), v))?;
        if let Some(extra) = obj.keys().find(|k| !r.fields.iter().any(|f| &f.name == *k)) {
            path.field(extra);
            let e = path.err(format!("no such field in record {}", r.name.name()));
            path.pop();
            return Err(e);
        }
        let mut out = Vec::with_capacity(r.fields.len());
        for f in &r.fields {
            path.field(&f.name);
            let value = match (obj.get(&f.name), &f.default) {
                (Some(x), _) => self.walk(x, &f.schema, path, depth + 1)?,
                (None, Some(default)) => self.default(default, &f.schema, path, depth)?,
                (None, None) if nullable(&f.schema) => self.walk(&Value::Null, &f.schema, path, depth + 1)?,
                (None, None) => return Err(path.err("missing (the field has no default)")),
            };
            path.pop();
            out.push((f.name.clone(), value));
        }
        Ok(Avro::Record(out))
    }

    /// A field's default: for a union, of its first branch (the Avro rule).
    fn default(&self, d: &Value, s: &Schema, path: &mut Path, depth: usize) -> Result<Avro, EncodeError> {
        match s {
            Schema::Union(u) => match u.variants().first() {
                Some(first) => Ok(Avro::Union(0, Box::new(self.walk(d, first, path, depth + 1)?))),
                None => Err(path.err("an empty union")),
            },
            _ => self.walk(d, s, path, depth + 1),
        }
    }

    fn union(&self, v: &Value, branches: &[Schema], path: &mut Path, depth: usize) -> Result<Avro, EncodeError> {
        // the Avro JSON encoding: {"<branch type name>": value}
        if let Some((k, inner)) = v.as_object().filter(|o| o.len() == 1).and_then(|o| o.iter().next()) {
            if let Some(i) = branches.iter().position(|b| branch_name(b).as_deref() == Some(k.as_str())) {
                let chosen = self.walk(inner, &branches[i], path, depth + 1)?;
                return Ok(Avro::Union(i as u32, Box::new(chosen)));
            }
        }
        if v.is_null() {
            return match branches.iter().position(|b| matches!(b, Schema::Null)) {
                Some(i) => Ok(Avro::Union(i as u32, Box::new(Avro::Null))),
                None => Err(path.expected(&format!("one of {}", union_names(branches)), v)),
            };
        }
        let mut errors = Vec::new();
        for (i, b) in branches.iter().enumerate().filter(|(_, b)| !matches!(b, Schema::Null)) {
            match self.walk(v, b, path, depth + 1) {
                Ok(x) => return Ok(Avro::Union(i as u32, Box::new(x))),
                Err(e) => errors.push(e),
            }
        }
        match errors.len() {
            // one branch besides null: its own error says more (and where)
            1 => Err(errors.remove(0)),
            _ => Err(path.expected(&format!("one of {}", union_names(branches)), v)),
        }
    }
}

fn nullable(s: &Schema) -> bool {
    matches!(s, Schema::Union(u) if u.variants().iter().any(|b| matches!(b, Schema::Null)))
}

fn branch_name(s: &Schema) -> Option<String> {
    if let Some(name) = crate::decode::avro_primitive_name(s) {
        return Some(name.into());
    }
    Some(match s {
        Schema::Array(_) => "array".into(),
        Schema::Map(_) => "map".into(),
        Schema::Record(r) => r.name.fullname(None),
        Schema::Enum(e) => e.name.fullname(None),
        Schema::Fixed(f) => f.name.fullname(None),
        Schema::Ref { name } => name.fullname(None),
        _ => return None,
    })
}

fn union_names(branches: &[Schema]) -> String {
    let names: Vec<String> = branches.iter().map(|b| branch_name(b).unwrap_or_else(|| "logical".into())).collect();
    format!("[{}]", names.join(", "))
}

pub(super) fn int64(v: &Value, path: &Path, what: &str) -> Result<i64, EncodeError> {
    v.as_i64().ok_or_else(|| path.expected(what, v))
}

pub(super) fn int32(v: &Value, path: &Path, what: &str) -> Result<i32, EncodeError> {
    v.as_i64().and_then(|n| i32::try_from(n).ok()).ok_or_else(|| path.expected(what, v))
}

/// A number, or `"NaN"`, `"Infinity"`, `"-Infinity"` (how `decode` shows them).
pub(super) fn float(v: &Value, path: &Path, what: &str) -> Result<f64, EncodeError> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| path.expected(what, v)),
        Value::String(s) if s == "NaN" => Ok(f64::NAN),
        Value::String(s) if s == "Infinity" => Ok(f64::INFINITY),
        Value::String(s) if s == "-Infinity" => Ok(f64::NEG_INFINITY),
        _ => Err(path.expected(what, v)),
    }
}

fn bytes(v: &Value, path: &Path) -> Result<Vec<u8>, EncodeError> {
    let s = v.as_str().ok_or_else(|| path.expected("bytes (base64 string)", v))?;
    base64::engine::general_purpose::STANDARD.decode(s).map_err(|_| path.expected("bytes (base64 string)", v))
}

/// An epoch count in `per_sec` units from a number or a timestamp text (RFC 3339 with a
/// zone; without one for a local timestamp).
fn timestamp(v: &Value, path: &Path, per_sec: i64, local: bool) -> Result<i64, EncodeError> {
    let what = if local { "local timestamp (YYYY-MM-DDTHH:MM:SS.fff)" } else { "timestamp (RFC 3339)" };
    let (secs, nanos) = match v {
        Value::Number(_) => return int64(v, path, what),
        Value::String(t) if local => {
            let (days, nanos_of_day) = parse_local_date_time(t).ok_or_else(|| path.expected(what, v))?;
            let total = i128::from(days) * 86_400_000_000_000 + i128::from(nanos_of_day);
            return i64::try_from(total / i128::from(1_000_000_000 / per_sec)).map_err(|_| path.expected(what, v));
        }
        Value::String(t) => parse_instant(t).ok_or_else(|| path.expected(what, v))?,
        _ => return Err(path.expected(what, v)),
    };
    let total = i128::from(secs) * i128::from(per_sec) + i128::from(nanos) / i128::from(1_000_000_000 / per_sec);
    i64::try_from(total).map_err(|_| path.expected(what, v))
}

/// The unscaled integer of a decimal: `"12.34"` with scale 2 is 1234; more fraction digits
/// than the scale are refused (no silent rounding).
fn decimal_unscaled(v: &Value, scale: usize, path: &Path) -> Result<i128, EncodeError> {
    let what = format!("decimal with at most {scale} fraction digits");
    let text = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return Err(path.expected(&what, v)),
    };
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(&text)),
    };
    let (int_part, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let frac = frac.trim_end_matches('0');
    let ok = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if int_part.is_empty() && frac.is_empty() || !ok(int_part) || !ok(frac) || frac.len() > scale {
        return Err(path.expected(&what, v));
    }
    let mut all = format!("{int_part}{frac}");
    all.extend(std::iter::repeat_n('0', scale - frac.len()));
    let n: i128 = all.parse().map_err(|_| path.expected(&what, v))?;
    Ok(if neg { -n } else { n })
}

/// Big-endian two's complement, minimal or sign-extended to `size` bytes.
fn twos_complement(n: i128, size: Option<usize>, path: &Path) -> Result<Vec<u8>, EncodeError> {
    let full = n.to_be_bytes();
    let mut start = 0;
    while start < 15 {
        let (b, next) = (full[start], full[start + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    let minimal = &full[start..];
    match size {
        None => Ok(minimal.to_vec()),
        Some(size) if minimal.len() <= size => {
            let fill = if n < 0 { 0xff } else { 0 };
            let mut out = vec![fill; size - minimal.len()];
            out.extend_from_slice(minimal);
            Ok(out)
        }
        Some(size) => Err(path.err(format!("the decimal does not fit in {size} bytes"))),
    }
}
