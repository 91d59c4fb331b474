//! The walk of one Avro datum along a compiled plan.

use apache_avro::schema::{InnerDecimalSchema, Name, Schema, UuidSchema};
use base64::Engine as _;
use serde_json::{Map, Value};

use super::number::{decimal_string, f32_value, f64_value, uuid_value};
use super::plan::Node;
use super::{MAX_DEPTH, MAX_NOTES};
use crate::decode::error::DecodeError;
use crate::decode::timefmt::{self, Precision};

pub(super) struct Datum<'a> {
    pub(super) buf: &'a [u8],
    pub(super) pos: usize,
    pub(super) nodes: &'a [Node],
    /// Remaining number of values we are willing to produce.
    pub(super) budget: usize,
    pub(super) notes: Vec<String>,
}

fn b64(bytes: &[u8]) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Stores `v` in `slot`, which holds `null` (a fresh value or a field of a
/// record template): nothing to drop, so no call to `Value`'s destructor.
#[inline(always)]
fn put(slot: &mut Value, v: Value) {
    debug_assert!(slot.is_null());
    std::mem::forget(std::mem::replace(slot, v));
}

#[cold]
fn too_deep() -> DecodeError {
    DecodeError::Malformed(format!("Avro value nested deeper than {MAX_DEPTH} levels"))
}

#[cold]
fn bad_index(what: &str, idx: i64, len: usize) -> DecodeError {
    DecodeError::Malformed(format!("{what} {idx} out of range ({len} choices)"))
}

#[cold]
fn unresolved(name: &Name) -> DecodeError {
    DecodeError::InvalidSchema(format!("unresolved Avro type reference {}", name.fullname(None)))
}

impl<'a> Datum<'a> {
    pub(super) fn note(&mut self, n: String) {
        if self.notes.len() < MAX_NOTES {
            self.notes.push(n);
        }
    }

    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    #[inline]
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).ok_or_else(|| DecodeError::truncated(what, n, self.remaining()))?;
        match self.buf.get(self.pos..end) {
            Some(s) => {
                self.pos = end;
                Ok(s)
            }
            None => Err(DecodeError::truncated(what, n, self.remaining())),
        }
    }

    #[inline]
    fn varint(&mut self, what: &str) -> Result<u64, DecodeError> {
        // One-byte varints (small numbers, most lengths) without a call.
        if let Some(&b) = self.buf.get(self.pos) {
            if b < 0x80 {
                self.pos += 1;
                return Ok(u64::from(b));
            }
        }
        crate::decode::read_varint(self.buf, &mut self.pos, what)
    }

    #[inline]
    fn long(&mut self, what: &str) -> Result<i64, DecodeError> {
        let z = self.varint(what)?;
        Ok(((z >> 1) as i64) ^ -((z & 1) as i64))
    }

    fn int(&mut self, what: &str) -> Result<i32, DecodeError> {
        let v = self.long(what)?;
        i32::try_from(v).map_err(|_| DecodeError::Malformed(format!("{what} value {v} out of int range")))
    }

    /// A length prefix, checked against the remaining payload.
    #[inline]
    fn len(&mut self, what: &str) -> Result<usize, DecodeError> {
        let v = self.long(what)?;
        let n = usize::try_from(v).map_err(|_| DecodeError::Malformed(format!("negative length {v} for {what}")))?;
        if n > self.remaining() {
            return Err(DecodeError::truncated(what, n, self.remaining()));
        }
        Ok(n)
    }

    #[inline]
    fn bytes(&mut self, what: &str) -> Result<&'a [u8], DecodeError> {
        let n = self.len(what)?;
        // `len` checked `n` against the remaining payload.
        let start = self.pos;
        match self.buf.get(start..start.saturating_add(n)) {
            Some(b) => {
                self.pos = start + n;
                Ok(b)
            }
            None => Err(DecodeError::truncated(what, n, self.remaining())),
        }
    }

    #[inline]
    fn string(&mut self, what: &str) -> Result<String, DecodeError> {
        let b = self.bytes(what)?;
        std::str::from_utf8(b).map(str::to_owned).map_err(|_| DecodeError::InvalidUtf8)
    }

    #[inline]
    fn spend(&mut self) -> Result<(), DecodeError> {
        self.budget = self.budget.checked_sub(1).ok_or_else(|| {
            DecodeError::Malformed("too many values for the payload size (bogus block count?)".into())
        })?;
        Ok(())
    }

    /// Reads an array/map block header: Ok(None) at the end marker.
    fn block_count(&mut self, what: &str) -> Result<Option<u64>, DecodeError> {
        let count = self.long(what)?;
        if count == 0 {
            return Ok(None);
        }
        if count < 0 {
            // Negative count: |count| items preceded by the block size in bytes.
            let _size = self.long(what)?;
            return Ok(Some(count.unsigned_abs()));
        }
        Ok(Some(count.unsigned_abs()))
    }

    /// A logical value as rendered, or (out of range: `None`) the raw number with a note.
    fn rendered_or_raw(&mut self, rendered: Option<String>, raw: i64, logical: &str) -> Value {
        match rendered {
            Some(s) => Value::String(s),
            None => {
                self.note(format!("{logical} value {raw} is out of range; shown as the raw number"));
                Value::from(raw)
            }
        }
    }

    #[inline]
    pub(super) fn value(&mut self, id: usize, depth: usize) -> Result<Value, DecodeError> {
        let mut v = Value::Null;
        self.fill(id, depth, &mut v)?;
        Ok(v)
    }

    /// Decodes the value of node `id` into `slot` (which holds `null`):
    /// records are built in place instead of being moved up the recursion.
    /// Primitives are decoded here, inlined into the loops of
    /// [`Self::fill_nested`]; everything else is decoded there.
    #[inline(always)]
    fn fill(&mut self, id: usize, depth: usize, slot: &mut Value) -> Result<(), DecodeError> {
        if depth > MAX_DEPTH {
            return Err(too_deep());
        }
        self.spend()?;
        let nodes: &'a [Node] = self.nodes;
        let Some(node) = nodes.get(id) else {
            return Err(DecodeError::Unsupported("internal: dangling Avro plan node".into()));
        };
        let v = match node {
            Node::String => Value::String(self.string("avro string")?),
            Node::Long => Value::from(self.long("avro long")?),
            Node::Double => f64_value(self.double()?),
            Node::Int => Value::from(self.int("avro int")?),
            Node::Null => Value::Null,
            Node::Boolean => Value::Bool(self.boolean()?),
            Node::Float => f32_value(self.float()?),
            Node::Bytes => b64(self.bytes("avro bytes")?),
            _ => return self.fill_nested(node, depth, slot),
        };
        put(slot, v);
        Ok(())
    }

    /// The non-primitive part of [`Self::fill`] (after its depth check and
    /// value count).
    #[inline(never)]
    fn fill_nested(&mut self, node: &'a Node, depth: usize, slot: &mut Value) -> Result<(), DecodeError> {
        let v = match node {
            Node::Record { template, fields } => {
                put(slot, Value::Object(template.clone()));
                if let Value::Object(obj) = slot {
                    for (field_slot, &f) in obj.values_mut().zip(fields.iter()) {
                        self.fill(f, depth + 1, field_slot)?;
                    }
                }
                return Ok(());
            }
            // Unions and references do not nest the output: same depth.
            Node::Union(branches) => {
                let idx = self.long("avro union branch")?;
                return match usize::try_from(idx).ok().and_then(|i| branches.get(i)) {
                    Some(&b) => self.fill(b, depth, slot),
                    None => Err(bad_index("union branch", idx, branches.len())),
                };
            }
            Node::Array(items) => {
                let mut out = Vec::new();
                while let Some(n) = self.block_count("avro array block")? {
                    // A capacity hint only: bounded by the payload left (and a
                    // constant), never by the declared count alone.
                    out.reserve(usize::try_from(n).unwrap_or(usize::MAX).min(self.remaining()).min(1024));
                    for _ in 0..n {
                        out.push(self.value(*items, depth + 1)?);
                    }
                }
                Value::Array(out)
            }
            Node::Map(values) => {
                let mut obj = Map::new();
                while let Some(n) = self.block_count("avro map block")? {
                    for _ in 0..n {
                        self.spend()?;
                        let k = self.string("avro map key")?;
                        let v = self.value(*values, depth + 1)?;
                        obj.insert(k, v);
                    }
                }
                Value::Object(obj)
            }
            Node::RecordByName(fields) => {
                let mut obj = Map::with_capacity(fields.len());
                for (name, f) in fields.iter() {
                    let v = self.value(*f, depth + 1)?;
                    obj.insert(name.clone(), v);
                }
                Value::Object(obj)
            }
            Node::Ref(target) => return self.fill(*target, depth, slot),
            Node::Unresolved(name) => return Err(unresolved(name)),
            Node::TooDeep => return Err(too_deep()),
            Node::Other(schema) => self.leaf(schema)?,
            Node::Null
            | Node::Boolean
            | Node::Int
            | Node::Long
            | Node::Float
            | Node::Double
            | Node::Bytes
            | Node::String => {
                return Err(DecodeError::Unsupported("internal: primitive reached the nested decoder".into()))
            }
        };
        put(slot, v);
        Ok(())
    }

    fn boolean(&mut self) -> Result<bool, DecodeError> {
        match self.take(1, "avro boolean")? {
            [0] => Ok(false),
            [1] => Ok(true),
            other => Err(DecodeError::Malformed(format!(
                "invalid Avro boolean byte {:#04x}",
                other.first().copied().unwrap_or(0)
            ))),
        }
    }

    fn float(&mut self) -> Result<f32, DecodeError> {
        let b = self.take(4, "avro float")?;
        let arr: [u8; 4] = b.try_into().unwrap_or_default();
        Ok(f32::from_le_bytes(arr))
    }

    fn double(&mut self) -> Result<f64, DecodeError> {
        let b = self.take(8, "avro double")?;
        let arr: [u8; 8] = b.try_into().unwrap_or_default();
        Ok(f64::from_le_bytes(arr))
    }

    /// Logical and named leaf values. Kept out of [`Self::fill_nested`]
    /// (and never inlined) so the recursive frame stays small in debug builds.
    #[inline(never)]
    fn leaf(&mut self, schema: &'a Schema) -> Result<Value, DecodeError> {
        Ok(match schema {
            Schema::Null => Value::Null,
            Schema::Boolean => Value::Bool(self.boolean()?),
            Schema::Int => Value::from(self.int("avro int")?),
            Schema::Long => Value::from(self.long("avro long")?),
            Schema::Float => f32_value(self.float()?),
            Schema::Double => f64_value(self.double()?),
            Schema::Bytes => b64(self.bytes("avro bytes")?),
            Schema::String => Value::String(self.string("avro string")?),
            Schema::Fixed(f) => b64(self.take(f.size, "avro fixed")?),
            Schema::Enum(e) => {
                let idx = self.int("avro enum index")?;
                let sym = usize::try_from(idx).ok().and_then(|i| e.symbols.get(i));
                match sym {
                    Some(s) => Value::String(s.clone()),
                    None => {
                        return Err(DecodeError::Malformed(format!(
                            "enum index {idx} out of range for {} ({} symbols)",
                            e.name.name(),
                            e.symbols.len()
                        )))
                    }
                }
            }
            Schema::Decimal(d) => {
                let raw = match &d.inner {
                    InnerDecimalSchema::Bytes => self.bytes("avro decimal")?,
                    InnerDecimalSchema::Fixed(f) => self.take(f.size, "avro decimal")?,
                };
                let scale = i64::try_from(d.scale).unwrap_or(i64::MAX);
                Value::String(decimal_string(raw, scale)?)
            }
            Schema::BigDecimal => {
                let raw = self.bytes("avro big-decimal")?;
                let mut inner = Datum { buf: raw, pos: 0, nodes: &[], budget: 4, notes: Vec::new() };
                let unscaled = inner.bytes("big-decimal value")?;
                let scale = inner.long("big-decimal scale")?;
                Value::String(decimal_string(unscaled, scale)?)
            }
            Schema::Uuid(u) => match u {
                UuidSchema::String => Value::String(self.string("avro uuid")?),
                UuidSchema::Bytes => {
                    let b = self.bytes("avro uuid")?;
                    uuid_value(b)?
                }
                UuidSchema::Fixed(f) => {
                    let b = self.take(f.size, "avro uuid")?;
                    uuid_value(b)?
                }
            },
            Schema::Date => {
                let days = i64::from(self.int("avro date")?);
                self.rendered_or_raw(timefmt::epoch_day_str(days), days, "date")
            }
            Schema::TimeMillis => {
                let v = i64::from(self.int("avro time-millis")?);
                self.rendered_or_raw(timefmt::time_of_day_str(v, 1_000, Precision::Millis), v, "time-millis")
            }
            Schema::TimeMicros => {
                let v = self.long("avro time-micros")?;
                self.rendered_or_raw(timefmt::time_of_day_str(v, 1_000_000, Precision::Micros), v, "time-micros")
            }
            Schema::TimestampMillis => {
                let v = self.long("avro timestamp-millis")?;
                self.rendered_or_raw(timefmt::epoch_millis(v), v, "timestamp-millis")
            }
            Schema::TimestampMicros => {
                let v = self.long("avro timestamp-micros")?;
                self.rendered_or_raw(timefmt::epoch_micros(v), v, "timestamp-micros")
            }
            Schema::TimestampNanos => {
                let v = self.long("avro timestamp-nanos")?;
                self.rendered_or_raw(timefmt::epoch_nanos(v), v, "timestamp-nanos")
            }
            Schema::LocalTimestampMillis => {
                let v = self.long("avro local-timestamp-millis")?;
                self.rendered_or_raw(timefmt::local_timestamp(v, 1_000, Precision::Millis), v, "local-timestamp-millis")
            }
            Schema::LocalTimestampMicros => {
                let v = self.long("avro local-timestamp-micros")?;
                self.rendered_or_raw(
                    timefmt::local_timestamp(v, 1_000_000, Precision::Micros),
                    v,
                    "local-timestamp-micros",
                )
            }
            Schema::LocalTimestampNanos => {
                let v = self.long("avro local-timestamp-nanos")?;
                self.rendered_or_raw(
                    timefmt::local_timestamp(v, 1_000_000_000, Precision::Nanos),
                    v,
                    "local-timestamp-nanos",
                )
            }
            Schema::Duration(f) => {
                let b = self.take(f.size, "avro duration")?;
                let part = |i: usize| -> u32 {
                    b.get(i * 4..i * 4 + 4)
                        .and_then(|s| <[u8; 4]>::try_from(s).ok())
                        .map(u32::from_le_bytes)
                        .unwrap_or(0)
                };
                if b.len() == 12 {
                    serde_json::json!({"months": part(0), "days": part(1), "millis": part(2)})
                } else {
                    b64(b)
                }
            }
            Schema::Union(_) | Schema::Array(_) | Schema::Map(_) | Schema::Record(_) | Schema::Ref { .. } => {
                return Err(DecodeError::Unsupported("internal: container type reached the leaf decoder".into()))
            }
        })
    }
}
