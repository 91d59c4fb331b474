//! PROTOBUF_NATIVE (descriptor-driven, via prost-reflect) and legacy
//! PROTOBUF (schemaless wire-format decode named by `__PARSING_INFO__`).

use std::collections::HashMap;

use base64::Engine as _;
use prost_reflect::prost::Message as _;
use prost_reflect::prost_types::FileDescriptorSet;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, SerializeOptions};
use serde_json::{Map, Value};

use super::avro::{f32_value, f64_value};
use super::error::DecodeError;

// ---------------------------------------------------------------------------
// PROTOBUF_NATIVE
// ---------------------------------------------------------------------------

/// A compiled PROTOBUF_NATIVE schema: the root message descriptor.
#[derive(Debug, Clone)]
pub(crate) struct NativeDecoder {
    desc: MessageDescriptor,
}

/// Decodes base64 leniently: standard or URL-safe alphabet, with or without
/// padding, ignoring ASCII whitespace (Jackson may wrap lines).
pub(crate) fn lenient_base64(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let cleaned: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD
        .decode(&cleaned)
        .or_else(|_| STANDARD_NO_PAD.decode(&cleaned))
        .or_else(|_| URL_SAFE.decode(&cleaned))
        .or_else(|_| URL_SAFE_NO_PAD.decode(&cleaned))
}

impl NativeDecoder {
    /// `data` is `{"fileDescriptorSet":"<base64>","rootMessageTypeName":"pkg.Msg",
    /// "rootFileDescriptorName":"x.proto"}`.
    pub(crate) fn new(data: &str) -> Result<Self, DecodeError> {
        let spec: Value = serde_json::from_str(data)
            .map_err(|e| DecodeError::InvalidSchema(format!("PROTOBUF_NATIVE schema data is not JSON: {e}")))?;
        let fds = spec
            .get("fileDescriptorSet")
            .and_then(Value::as_str)
            .ok_or_else(|| DecodeError::InvalidSchema("missing \"fileDescriptorSet\"".into()))?;
        let root = spec
            .get("rootMessageTypeName")
            .and_then(Value::as_str)
            .ok_or_else(|| DecodeError::InvalidSchema("missing \"rootMessageTypeName\"".into()))?;
        let bytes = lenient_base64(fds)
            .map_err(|e| DecodeError::InvalidSchema(format!("fileDescriptorSet is not base64: {e}")))?;
        let set = FileDescriptorSet::decode(bytes.as_slice())
            .map_err(|e| DecodeError::InvalidSchema(format!("descriptor set: {e}")))?;
        check_syntax(&set)?;
        let pool = DescriptorPool::from_file_descriptor_set(set)
            .map_err(|e| DecodeError::InvalidSchema(format!("descriptor set: {e}")))?;
        let root = root.trim().trim_start_matches('.');
        let desc = pool
            .get_message_by_name(root)
            .ok_or_else(|| DecodeError::InvalidSchema(format!("message {root:?} not found in the descriptor set")))?;
        Ok(NativeDecoder { desc })
    }

    /// Builds a decoder directly from a message descriptor.
    #[cfg(test)]
    pub(crate) fn from_descriptor(desc: MessageDescriptor) -> Self {
        NativeDecoder { desc }
    }

    /// Decodes the payload and renders it with the canonical protobuf JSON
    /// mapping (proto field names, 64-bit integers as numbers, defaults
    /// included).
    pub(crate) fn decode(&self, payload: &[u8]) -> Result<(Value, Vec<String>), DecodeError> {
        let msg = DynamicMessage::decode(self.desc.clone(), payload)
            .map_err(|e| DecodeError::Malformed(format!("protobuf: {e}")))?;
        let opts = SerializeOptions::new()
            .use_proto_field_name(true)
            .stringify_64_bit_integers(false)
            .skip_default_fields(false);
        let value = msg
            .serialize_with_options(serde_json::value::Serializer, &opts)
            .map_err(|e| DecodeError::Mismatch(format!("protobuf to JSON: {e}")))?;
        let mut notes = Vec::new();
        let unknown = msg.unknown_fields().count();
        if unknown > 0 {
            notes.push(format!(
                "{unknown} field(s) not in message {} were ignored (schema mismatch?)",
                self.desc.full_name()
            ));
        }
        Ok((value, notes))
    }
}

/// Rejects a file whose `syntax` prost-reflect does not know.
///
/// prost-reflect 0.16.5 panics (an index out of bounds in `Label::new`) when
/// it reports an unknown syntax, because it labels the error with a file it
/// has not registered yet; a registry entry with `"syntax": "proto#"` (found
/// by `fuzz/fuzz_targets/schema_definition.rs`) would end the program. The
/// check runs first and gives the error the crate meant to give.
fn check_syntax(set: &FileDescriptorSet) -> Result<(), DecodeError> {
    for file in &set.file {
        match file.syntax.as_deref() {
            None | Some("proto2") | Some("proto3") => {}
            Some(other) => {
                return Err(DecodeError::InvalidSchema(format!(
                    "descriptor set: file {:?} has syntax {other:?} (expected \"proto2\" or \"proto3\")",
                    file.name()
                )))
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Wire format (shared by the legacy decoder)
// ---------------------------------------------------------------------------

/// Maximum nesting when guessing embedded messages.
const MAX_GUESS_DEPTH: usize = 16;

/// One decoded wire field.
#[derive(Debug, Clone, PartialEq)]
enum Wire<'a> {
    Varint(u64),
    Fixed64([u8; 8]),
    Bytes(&'a [u8]),
    Fixed32([u8; 4]),
}

struct WireReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> WireReader<'a> {
    fn varint(&mut self, what: &str) -> Result<u64, DecodeError> {
        super::read_varint(self.buf, &mut self.pos, what)
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], DecodeError> {
        let available = self.buf.len().saturating_sub(self.pos);
        let end = self.pos.checked_add(n).ok_or_else(|| DecodeError::truncated(what, n, available))?;
        let s = self.buf.get(self.pos..end).ok_or_else(|| DecodeError::truncated(what, n, available))?;
        self.pos = end;
        Ok(s)
    }

    /// Next (field number, value), or `None` at the end of the buffer.
    fn field(&mut self) -> Result<Option<(u64, Wire<'a>)>, DecodeError> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint("protobuf tag")?;
        let number = key >> 3;
        if number == 0 || number > 0x1fff_ffff {
            return Err(DecodeError::Malformed(format!("invalid protobuf field number {number}")));
        }
        let value = match key & 7 {
            0 => Wire::Varint(self.varint("protobuf varint")?),
            1 => Wire::Fixed64(self.take(8, "protobuf fixed64")?.try_into().unwrap_or_default()),
            2 => {
                let len = self.varint("protobuf length")?;
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                Wire::Bytes(self.take(len, "protobuf length-delimited field")?)
            }
            5 => Wire::Fixed32(self.take(4, "protobuf fixed32")?.try_into().unwrap_or_default()),
            3 | 4 => {
                return Err(DecodeError::Unsupported(format!("protobuf groups (field {number}) are not supported")))
            }
            wt => return Err(DecodeError::Malformed(format!("invalid protobuf wire type {wt} for field {number}"))),
        };
        Ok(Some((number, value)))
    }
}

fn b64(bytes: &[u8]) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Text that looks like a human-readable string.
fn printable_text(b: &[u8]) -> Option<&str> {
    let s = std::str::from_utf8(b).ok()?;
    if s.chars().all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t')) {
        Some(s)
    } else {
        None
    }
}

/// Parses `b` as an embedded message keyed by field number, if it is one.
fn guess_message(b: &[u8], depth: usize) -> Option<Value> {
    if b.is_empty() || depth > MAX_GUESS_DEPTH {
        return None;
    }
    let mut r = WireReader { buf: b, pos: 0 };
    let mut fields: Vec<(u64, Value)> = Vec::new();
    loop {
        match r.field() {
            Ok(Some((n, w))) => fields.push((n, guess_value(&w, depth + 1))),
            Ok(None) => break,
            Err(_) => return None,
        }
    }
    Some(group_by_number(fields, &HashMap::new()))
}

/// Renders a wire value without type information: varint → unsigned
/// number, fixed64/fixed32 → unsigned number, length-delimited → text if
/// printable UTF-8, else an embedded message if it parses as one, else
/// base64.
fn guess_value(w: &Wire<'_>, depth: usize) -> Value {
    match w {
        Wire::Varint(v) => Value::from(*v),
        Wire::Fixed64(b) => Value::from(u64::from_le_bytes(*b)),
        Wire::Fixed32(b) => Value::from(u32::from_le_bytes(*b)),
        Wire::Bytes(b) => {
            if let Some(s) = printable_text(b) {
                Value::String(s.to_string())
            } else if let Some(m) = guess_message(b, depth) {
                m
            } else {
                b64(b)
            }
        }
    }
}

/// Builds an object from (number, value) pairs in wire order; a number seen
/// more than once (or declared repeated) becomes an array.
fn group_by_number(fields: Vec<(u64, Value)>, info: &HashMap<u64, FieldInfo>) -> Value {
    let mut order: Vec<u64> = Vec::new();
    let mut grouped: HashMap<u64, Vec<Value>> = HashMap::new();
    for (n, v) in fields {
        let entry = grouped.entry(n).or_default();
        if entry.is_empty() {
            order.push(n);
        }
        match v {
            // packed repeated values are spliced in
            Value::Array(items) if info.get(&n).is_some_and(|f| f.repeated) => entry.extend(items),
            other => entry.push(other),
        }
    }
    let mut obj = Map::new();
    for n in order {
        let mut values = grouped.remove(&n).unwrap_or_default();
        let key = info.get(&n).map(|f| f.name.clone()).unwrap_or_else(|| n.to_string());
        let repeated = info.get(&n).is_some_and(|f| f.repeated);
        let v = if repeated || values.len() > 1 { Value::Array(values) } else { values.pop().unwrap_or(Value::Null) };
        obj.insert(key, v);
    }
    Value::Object(obj)
}

// ---------------------------------------------------------------------------
// Legacy PROTOBUF
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct FieldInfo {
    name: String,
    /// Java `FieldDescriptor.Type` name: `STRING`, `INT32`, `MESSAGE`, ...
    ty: String,
    repeated: bool,
}

/// Legacy PROTOBUF decoder: wire-format decode, field names (and scalar
/// types) from the `__PARSING_INFO__` property when present.
#[derive(Debug, Clone)]
pub(crate) struct LegacyDecoder {
    fields: HashMap<u64, FieldInfo>,
    note: String,
}

impl LegacyDecoder {
    /// Reads `__PARSING_INFO__` (a JSON array of
    /// `{"number","name","type","label","definition"}`) if present. A
    /// malformed property is not fatal: names become unavailable.
    pub(crate) fn new(properties: &std::collections::BTreeMap<String, String>) -> Self {
        let mut fields = HashMap::new();
        let note = match properties.get("__PARSING_INFO__") {
            None => "field names unavailable (no __PARSING_INFO__); keys are field numbers".to_string(),
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Array(items)) => {
                    for it in &items {
                        let number = it.get("number").and_then(Value::as_u64);
                        let name = it.get("name").and_then(Value::as_str);
                        if let (Some(number), Some(name)) = (number, name) {
                            let ty = it.get("type").and_then(Value::as_str).unwrap_or("").to_ascii_uppercase();
                            let repeated = it
                                .get("label")
                                .and_then(Value::as_str)
                                .is_some_and(|l| l.eq_ignore_ascii_case("LABEL_REPEATED"));
                            fields.insert(number, FieldInfo { name: name.to_string(), ty, repeated });
                        }
                    }
                    "field names from __PARSING_INFO__ (nested messages keyed by field number)".to_string()
                }
                _ => {
                    "field names unavailable (__PARSING_INFO__ is not a JSON array); keys are field numbers".to_string()
                }
            },
        };
        LegacyDecoder { fields, note }
    }

    /// Decodes a top-level message.
    pub(crate) fn decode(&self, payload: &[u8]) -> Result<(Value, Vec<String>), DecodeError> {
        let mut r = WireReader { buf: payload, pos: 0 };
        let mut out: Vec<(u64, Value)> = Vec::new();
        let mut notes = vec![self.note.clone()];
        while let Some((n, w)) = r.field()? {
            let v = match self.fields.get(&n) {
                Some(info) => typed_value(info, &w, &mut notes),
                None => guess_value(&w, 0),
            };
            out.push((n, v));
        }
        Ok((group_by_number(out, &self.fields), notes))
    }
}

fn le8(b: &[u8; 8]) -> u64 {
    u64::from_le_bytes(*b)
}

fn le4(b: &[u8; 4]) -> u32 {
    u32::from_le_bytes(*b)
}

/// Interprets one scalar wire value per the declared type, or `None` if the
/// wire type does not fit.
fn scalar(ty: &str, w: &Wire<'_>) -> Option<Value> {
    Some(match (ty, w) {
        ("INT32" | "ENUM", Wire::Varint(v)) => Value::from(*v as i64 as i32),
        ("INT64", Wire::Varint(v)) => Value::from(*v as i64),
        ("UINT32", Wire::Varint(v)) => Value::from(*v as u32),
        ("UINT64", Wire::Varint(v)) => Value::from(*v),
        ("BOOL", Wire::Varint(v)) => Value::Bool(*v != 0),
        ("SINT32", Wire::Varint(v)) => {
            let v = *v as u32;
            Value::from(((v >> 1) as i32) ^ -((v & 1) as i32))
        }
        ("SINT64", Wire::Varint(v)) => Value::from(((*v >> 1) as i64) ^ -((*v & 1) as i64)),
        ("FIXED64", Wire::Fixed64(b)) => Value::from(le8(b)),
        ("SFIXED64", Wire::Fixed64(b)) => Value::from(le8(b) as i64),
        ("DOUBLE", Wire::Fixed64(b)) => f64_value(f64::from_le_bytes(*b)),
        ("FIXED32", Wire::Fixed32(b)) => Value::from(le4(b)),
        ("SFIXED32", Wire::Fixed32(b)) => Value::from(le4(b) as i32),
        ("FLOAT", Wire::Fixed32(b)) => f32_value(f32::from_le_bytes(*b)),
        _ => return None,
    })
}

fn typed_value(info: &FieldInfo, w: &Wire<'_>, notes: &mut Vec<String>) -> Value {
    if let Some(v) = scalar(&info.ty, w) {
        return v;
    }
    match (info.ty.as_str(), w) {
        ("STRING", Wire::Bytes(b)) => match std::str::from_utf8(b) {
            Ok(s) => Value::String(s.to_string()),
            Err(_) => {
                notes.push(format!("field {}: string is not UTF-8; shown as base64", info.name));
                b64(b)
            }
        },
        ("BYTES", Wire::Bytes(b)) => b64(b),
        ("MESSAGE", Wire::Bytes(b)) => {
            guess_message(b, 0).unwrap_or_else(|| if b.is_empty() { Value::Object(Map::new()) } else { b64(b) })
        }
        // packed repeated scalars
        (ty, Wire::Bytes(b)) if info.repeated => match unpack(ty, b) {
            Some(items) => Value::Array(items),
            None => {
                notes.push(format!("field {}: cannot unpack as {ty}", info.name));
                guess_value(w, 0)
            }
        },
        (ty, _) => {
            if notes.len() < 20 {
                notes.push(format!("field {}: wire type does not match declared {ty}; shown undecoded", info.name));
            }
            guess_value(w, 0)
        }
    }
}

/// Unpacks a packed repeated scalar field.
fn unpack(ty: &str, b: &[u8]) -> Option<Vec<Value>> {
    let mut r = WireReader { buf: b, pos: 0 };
    let mut out = Vec::new();
    while r.pos < b.len() {
        let w = match ty {
            "FIXED64" | "SFIXED64" | "DOUBLE" => Wire::Fixed64(r.take(8, "packed").ok()?.try_into().ok()?),
            "FIXED32" | "SFIXED32" | "FLOAT" => Wire::Fixed32(r.take(4, "packed").ok()?.try_into().ok()?),
            _ => Wire::Varint(r.varint("packed").ok()?),
        };
        out.push(scalar(ty, &w)?);
    }
    Some(out)
}

#[cfg(test)]
mod tests;
