//! Payload decoding for Pulsar messages: turns raw message bytes plus the
//! topic's schema (from the admin REST API) into a [`serde_json::Value`] for
//! display.
//!
//! The module is pure: no I/O, no async, no `unsafe`, and no panics on any
//! payload or schema. Every loop is bounded by the input size and nesting is
//! depth-limited.
//!
//! # Usage
//!
//! ```text
//! let info = SchemaInfo::from_admin_json(&rest_json)?;   // one GetSchemaResponse
//! let decoder = Decoder::new(&info)?;                     // compile once, cache per (topic, version)
//! let out = decoder.decode(payload, message_key);         // never fails; see `Decoded`
//! ```
//!
//! Pick the schema version with [`schema_version_from_bytes`] on the
//! message's `schema_version` field; use [`Decoder::schemaless`] when the
//! topic has no schema.
//!
//! # Rendering conventions
//!
//! * bytes (Avro `bytes`/`fixed`, protobuf `bytes`, legacy protobuf
//!   undecodable fields) → **base64** (standard alphabet, padded), like the
//!   protobuf JSON mapping. Whole binary payloads without a schema → lower-case
//!   **hex** string (see [`hex_dump`] for a display dump).
//! * timestamps → RFC 3339 UTC (`2023-11-14T22:13:20.123Z`), dates →
//!   `YYYY-MM-DD`, times → `HH:MM:SS.fff`; decimals → decimal strings; 64-bit
//!   integers → JSON numbers (exact); non-finite floats → `"NaN"`,
//!   `"Infinity"`, `"-Infinity"`.
//! * Values that cannot be rendered readably (e.g. a timestamp beyond year
//!   262143) are shown raw, with a note.

mod avro;
pub(crate) use avro::primitive_name as avro_primitive_name;
pub mod diff;
mod error;
mod forced;
mod hex;
mod json;
mod key_value;
mod preview;
pub(crate) mod primitive;
mod protobuf;
mod schema;
mod timefmt;

pub use crate::style::format::hex_dump;
pub use error::DecodeError;
pub use forced::DecodeAs;
pub use hex::to_hex;
pub use preview::preview;
pub use schema::{parse_schema_list, schema_version_from_bytes, SchemaInfo, SchemaType};
// the encoder (`crate::encode`) parses Avro schemas the same way, Java names included
pub(crate) use avro::parse_schema as parse_avro_schema;

use serde_json::Value;

/// Reads a base-128 varint (Avro longs before zig-zag, protobuf wire varints) at `*pos`,
/// moving `pos` past it; at most 10 bytes, overflow and truncation are errors.
pub(crate) fn read_varint(buf: &[u8], pos: &mut usize, what: &str) -> Result<u64, DecodeError> {
    let mut result: u64 = 0;
    for i in 0..10u32 {
        let b = *buf.get(*pos).ok_or_else(|| DecodeError::truncated(what, 1, 0))?;
        *pos += 1;
        let bits = u64::from(b & 0x7f);
        if i == 9 && bits > 1 {
            return Err(DecodeError::Malformed(format!("varint overflow in {what}")));
        }
        result |= bits << (7 * i);
        if b & 0x80 == 0 {
            return Ok(result);
        }
    }
    Err(DecodeError::Malformed(format!("varint longer than 10 bytes in {what}")))
}

/// What kind of data a [`Decoded`] value holds, to pick a renderer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// JSON text parsed as-is (JSON schema, or schemaless JSON).
    Json,
    /// A UTF-8 string (STRING schema, or schemaless text).
    Text,
    /// Bytes that could not be interpreted; `value` is a hex string (or
    /// `Null` when `error` is set): show a [`hex_dump`] of the payload.
    Binary,
    /// A value decoded through a binary schema (Avro, protobuf, KEY_VALUE,
    /// numeric/temporal primitives).
    Structured,
}

/// The result of decoding one payload. Decoding never fails as a call; a
/// failure is reported in `error`.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The decoded value; `Value::Null` when `error` is set.
    pub value: Value,
    /// Why decoding failed, if it did.
    pub error: Option<DecodeError>,
    /// Non-fatal remarks: schema validation warnings, trailing bytes,
    /// out-of-range logical values, `"binary"`, naming source, ...
    pub notes: Vec<String>,
    /// How to render `value` (`Binary` when `error` is set).
    pub kind: ValueKind,
}

impl Decoded {
    fn ok(value: Value, kind: ValueKind, notes: Vec<String>) -> Self {
        Decoded { value, error: None, notes, kind }
    }

    fn failed(error: DecodeError) -> Self {
        Decoded { value: Value::Null, error: Some(error), notes: Vec::new(), kind: ValueKind::Binary }
    }

    /// A payload that was not given to a decoder: no value, the reason
    /// ([`DecodeError::NotDecoded`]).
    pub fn not_decoded(reason: impl Into<String>) -> Self {
        Decoded::failed(DecodeError::NotDecoded(reason.into()))
    }

    fn from_result(r: Result<(Value, Vec<String>), DecodeError>, kind: ValueKind) -> Self {
        match r {
            Ok((v, notes)) => Decoded::ok(v, kind, notes),
            Err(e) => Decoded::failed(e),
        }
    }

    /// `true` if decoding succeeded.
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }
}

#[derive(Debug, Clone)]
enum Inner {
    Schemaless,
    Primitive(primitive::Primitive),
    Avro(avro::AvroDecoder),
    Json(json::JsonDecoder),
    ProtobufNative(protobuf::NativeDecoder),
    ProtobufLegacy(protobuf::LegacyDecoder),
    KeyValue(Box<key_value::KvDecoder>),
}

/// A compiled schema, ready to decode many payloads. Cheap to clone; build
/// once per (topic, schema version).
#[derive(Debug, Clone)]
pub struct Decoder {
    schema_type: SchemaType,
    inner: Inner,
}

impl Decoder {
    /// Compiles a schema.
    ///
    /// * AVRO: parses the Avro schema (error: [`DecodeError::InvalidSchema`]).
    /// * JSON: never fails; an unparseable schema only disables validation.
    /// * PROTOBUF_NATIVE: decodes the descriptor set and finds the root
    ///   message (errors: `InvalidSchema`).
    /// * PROTOBUF (legacy): reads `__PARSING_INFO__` if present; never fails.
    /// * KEY_VALUE: compiles both sides (errors from either side, prefixed).
    /// * NONE, BYTES, AUTO, AUTO_CONSUME, AUTO_PUBLISH: schemaless.
    /// * other primitives: fixed layouts, never fail.
    pub fn new(info: &SchemaInfo) -> Result<Decoder, DecodeError> {
        Self::new_nested(info, 0)
    }

    pub(crate) fn new_nested(info: &SchemaInfo, nesting: usize) -> Result<Decoder, DecodeError> {
        let t = info.schema_type;
        let inner = match t {
            SchemaType::None
            | SchemaType::Bytes
            | SchemaType::Auto
            | SchemaType::AutoConsume
            | SchemaType::AutoPublish => Inner::Schemaless,
            SchemaType::Avro => Inner::Avro(avro::AvroDecoder::new(&info.data)?),
            SchemaType::Json => Inner::Json(json::JsonDecoder::new(&info.data)),
            SchemaType::ProtobufNative => Inner::ProtobufNative(protobuf::NativeDecoder::new(&info.data)?),
            SchemaType::Protobuf => Inner::ProtobufLegacy(protobuf::LegacyDecoder::new(&info.properties)),
            SchemaType::KeyValue => Inner::KeyValue(Box::new(key_value::KvDecoder::new(info, nesting)?)),
            other => match primitive::Primitive::from_type(other) {
                Some(p) => Inner::Primitive(p),
                None => return Err(DecodeError::Unsupported(format!("schema type {other} is not supported"))),
            },
        };
        Ok(Decoder { schema_type: t, inner })
    }

    /// The decoder for topics without a schema (same as NONE/BYTES).
    pub fn schemaless() -> Decoder {
        Decoder { schema_type: SchemaType::None, inner: Inner::Schemaless }
    }

    /// The schema type this decoder was built for.
    pub fn schema_type(&self) -> SchemaType {
        self.schema_type
    }

    /// Decodes one payload. `key` is the raw message key (base64-decoded
    /// first if the message's `partition_key_b64_encoded` flag is set); it is
    /// only used by KEY_VALUE schemas with SEPARATED encoding.
    ///
    /// Never panics; on failure `error` is set, `value` is `Null` and `kind`
    /// is [`ValueKind::Binary`]. For KEY_VALUE the result is
    /// `{"key": .., "value": ..}` (a side is `null` when its INLINE length is
    /// -1, or when a SEPARATED message has no key); if either side fails to
    /// decode, the whole decode fails and the error text names the side.
    pub fn decode(&self, payload: &[u8], key: Option<&[u8]>) -> Decoded {
        match &self.inner {
            Inner::Schemaless => {
                let (v, kind, notes) = primitive::schemaless(payload);
                Decoded::ok(v, kind, notes)
            }
            Inner::Primitive(p) => match p.decode(payload) {
                Ok((v, kind, notes)) => Decoded::ok(v, kind, notes),
                Err(e) => Decoded::failed(e),
            },
            Inner::Avro(d) => Decoded::from_result(d.decode(payload), ValueKind::Structured),
            Inner::Json(d) => Decoded::from_result(d.decode(payload), ValueKind::Json),
            Inner::ProtobufNative(d) => Decoded::from_result(d.decode(payload), ValueKind::Structured),
            Inner::ProtobufLegacy(d) => Decoded::from_result(d.decode(payload), ValueKind::Structured),
            Inner::KeyValue(d) => Decoded::from_result(d.decode(payload, key), ValueKind::Structured),
        }
    }
}

#[cfg(test)]
pub(crate) mod test_support;

#[cfg(test)]
mod tests;
