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
mod tests {
    use super::*;
    use crate::decode::test_support::{check_case, fixture_bytes, load_case};
    use crate::decode::{Decoder, SchemaInfo};
    use serde_json::json;

    #[test]
    fn native_fixture_cases() {
        for name in [
            "protobuf_native_person",
            "protobuf_native_wrong_type",
            "protobuf_native_random",
            "protobuf_native_bad_base64",
            "protobuf_native_bad_descriptor",
            "protobuf_native_bad_root",
        ] {
            check_case(&load_case(name));
        }
    }

    #[test]
    fn legacy_fixture_cases() {
        for name in ["protobuf_legacy_person", "protobuf_legacy_noinfo", "protobuf_legacy_random"] {
            check_case(&load_case(name));
        }
    }

    #[test]
    fn descriptor_set_override_decodes_fixture() {
        let info = SchemaInfo::from_descriptor_set(&fixture_bytes("person.desc"), "pulsar.test.Person").unwrap();
        let case = load_case("protobuf_native_person");
        let out = Decoder::new(&info).unwrap().decode(&case.payload, None);
        assert_eq!(out.error, None);
        assert_eq!(Some(&out.value), case.expect_value.as_ref());
    }

    #[test]
    fn every_prefix_never_panics() {
        let case = load_case("protobuf_native_person");
        let dec = Decoder::new(case.info.as_ref().unwrap()).unwrap();
        let legacy = Decoder::new(load_case("protobuf_legacy_person").info.as_ref().unwrap()).unwrap();
        for n in 0..case.payload.len() {
            let _ = dec.decode(&case.payload[..n], None);
            let _ = legacy.decode(&case.payload[..n], None);
        }
    }

    /// A registry entry whose file says `syntax = "proto#"` made prost-reflect
    /// panic (fuzz crash in `schema_definition`); it is an invalid schema.
    #[test]
    fn unknown_syntax_is_an_error_not_a_panic() {
        use base64::engine::general_purpose::STANDARD;
        for index in 0..2 {
            let mut set = FileDescriptorSet::decode(fixture_bytes("person.desc").as_slice()).unwrap();
            assert!(set.file.len() >= 2, "the fixture has a dependency and the root file");
            set.file[index].syntax = Some("proto#".into());
            let data = json!({
                "fileDescriptorSet": STANDARD.encode(set.encode_to_vec()),
                "rootMessageTypeName": "pulsar.test.Person",
            });
            match NativeDecoder::new(&data.to_string()) {
                Err(DecodeError::InvalidSchema(msg)) => assert!(msg.contains("\"proto#\""), "{msg}"),
                other => panic!("file {index}: expected an invalid-schema error, got {other:?}"),
            }
        }
    }

    /// A recursive message type: `message Node { Node next = 1; int32 v = 2; }`.
    fn node_decoder() -> Decoder {
        use prost::Message as _;
        use prost_reflect::prost_types::{
            field_descriptor_proto::{Label, Type},
            DescriptorProto, FieldDescriptorProto, FileDescriptorProto, FileDescriptorSet,
        };
        let field = |name: &str, number: i32, ty: Type, type_name: Option<&str>| FieldDescriptorProto {
            name: Some(name.into()),
            number: Some(number),
            label: Some(Label::Optional as i32),
            r#type: Some(ty as i32),
            type_name: type_name.map(Into::into),
            ..Default::default()
        };
        let fds = FileDescriptorSet {
            file: vec![FileDescriptorProto {
                name: Some("node.proto".into()),
                package: Some("t".into()),
                syntax: Some("proto3".into()),
                message_type: vec![DescriptorProto {
                    name: Some("Node".into()),
                    field: vec![field("next", 1, Type::Message, Some(".t.Node")), field("v", 2, Type::Int32, None)],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let info = SchemaInfo::from_descriptor_set(&fds.encode_to_vec(), "t.Node").unwrap();
        Decoder::new(&info).unwrap()
    }

    fn nested_payload(levels: usize) -> Vec<u8> {
        let mut inner: Vec<u8> = vec![0x10, 0x01]; // v = 1
        for _ in 0..levels {
            let mut outer = vec![0x0a];
            let mut len = inner.len();
            while len >= 0x80 {
                outer.push((len as u8) | 0x80);
                len >>= 7;
            }
            outer.push(len as u8);
            outer.extend_from_slice(&inner);
            inner = outer;
        }
        inner
    }

    /// Deeply nested messages hit prost's recursion limit (100) instead of
    /// the stack, including the JSON rendering of the deepest accepted value.
    #[test]
    fn deep_nesting_fits_thread_stack() {
        let dec = node_decoder();
        let out = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || {
                let shallow = dec.decode(&nested_payload(3), None);
                let ok = dec.decode(&nested_payload(90), None);
                let deep = dec.decode(&nested_payload(5000), None);
                (shallow, ok, deep)
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(out.0.value["next"]["next"]["next"]["v"], json!(1));
        assert_eq!(out.1.error, None);
        assert!(matches!(out.2.error, Some(DecodeError::Malformed(_))));
    }

    #[test]
    fn base64_variants() {
        assert_eq!(lenient_base64("AP9i").unwrap(), vec![0, 0xff, 0x62]);
        assert_eq!(lenient_base64("AP-i").unwrap(), vec![0, 0xff, 0xa2]);
        assert_eq!(lenient_base64("AA").unwrap(), vec![0]);
        assert_eq!(lenient_base64("A P 9\ni").unwrap(), vec![0, 0xff, 0x62]);
        assert!(lenient_base64("%%").is_err());
    }

    #[test]
    fn native_schema_errors() {
        for data in ["not json", "{}", r#"{"fileDescriptorSet":"AA=="}"#] {
            assert!(matches!(NativeDecoder::new(data), Err(DecodeError::InvalidSchema(_))));
        }
    }

    #[test]
    fn wire_edge_cases() {
        let d = LegacyDecoder::new(&Default::default());
        // field number 0
        assert!(d.decode(&[0x00, 0x01]).is_err());
        // wire type 7
        assert!(d.decode(&[0x0f]).is_err());
        // group start
        assert!(matches!(d.decode(&[0x0b]), Err(DecodeError::Unsupported(_))));
        // length past the end
        assert!(matches!(d.decode(&[0x0a, 0x05, 0x61]), Err(DecodeError::Truncated { .. })));
        // huge length
        assert!(matches!(d.decode(&[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), Err(DecodeError::Truncated { .. })));
        // empty message
        assert_eq!(d.decode(&[]).unwrap().0, json!({}));
        // fixed64 / fixed32 without types: unsigned numbers
        let mut p = vec![0x09];
        p.extend_from_slice(&u64::MAX.to_le_bytes());
        p.push(0x15);
        p.extend_from_slice(&7u32.to_le_bytes());
        assert_eq!(d.decode(&p).unwrap().0, json!({"1": u64::MAX, "2": 7}));
    }

    #[test]
    fn legacy_typed_mismatch_is_noted() {
        let mut props = std::collections::BTreeMap::new();
        props.insert(
            "__PARSING_INFO__".to_string(),
            r#"[{"number":1,"name":"n","type":"INT32","label":"LABEL_OPTIONAL","definition":null},
                {"number":2,"name":"s","type":"STRING","label":"LABEL_OPTIONAL","definition":null},
                {"number":3,"name":"d","type":"DOUBLE","label":"LABEL_REPEATED","definition":null}]"#
                .to_string(),
        );
        let d = LegacyDecoder::new(&props);
        // n given as a string, s given as invalid UTF-8, d packed with 8 bytes + junk
        let mut p = vec![0x0a, 0x01, b'x', 0x12, 0x01, 0xff, 0x1a, 0x09];
        p.extend_from_slice(&1.5f64.to_le_bytes());
        p.push(0x00);
        let (v, notes) = d.decode(&p).unwrap();
        assert_eq!(v["n"], json!("x"));
        assert_eq!(v["s"], json!("/w=="));
        assert!(notes.len() >= 3, "{notes:?}");
        // negative int32 is sign-extended to 10 bytes on the wire
        let p = [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(d.decode(&p).unwrap().0, json!({"n": -1}));
    }

    #[test]
    fn native_unknown_fields_are_noted() {
        let case = load_case("protobuf_native_person");
        let info = case.info.unwrap();
        let spec: Value = serde_json::from_str(&info.data).unwrap();
        let bytes = lenient_base64(spec["fileDescriptorSet"].as_str().unwrap()).unwrap();
        let pool = DescriptorPool::decode(bytes.as_slice()).unwrap();
        let addr = NativeDecoder::from_descriptor(pool.get_message_by_name("pulsar.test.Address").unwrap());
        // Address{street=1, zip=2} + unknown field 9 (varint 1)
        let (v, notes) = addr.decode(&[0x0a, 0x01, b'a', 0x10, 0x05, 0x48, 0x01]).unwrap();
        assert_eq!(v, json!({"street": "a", "zip": 5}));
        assert_eq!(notes.len(), 1);
    }
}
