//! Payload encoding: a JSON value (as a user writes it, or as [`crate::decode`] renders a
//! payload) into the bytes a topic's schema wants, validated before anything is sent.
//!
//! Pure, like `decode`: no I/O, no panics. [`Encoder::new`] compiles one schema version;
//! [`Encoder::encode`] turns one value into a payload (and, for a SEPARATED KEY_VALUE, the
//! message key). Every error names the field it is about, as a JSON path:
//! `$.items[2].qty: expected int, got "3"`.
//!
//! | schema | input | bytes |
//! |---|---|---|
//! | AVRO | the value as `decode` renders it (unions unwrapped or `{"type": v}`, bytes in base64, logical types as strings or numbers) | the Avro datum (`apache-avro`) |
//! | JSON | any JSON value, checked against the schema's Avro-style record like the official clients' record classes | the compact JSON text |
//! | PROTOBUF_NATIVE | the canonical protobuf JSON mapping | the message (`prost-reflect`) |
//! | KEY_VALUE | `{"key": k, "value": v}` | INLINE: `[i32 len][key][i32 len][value]` (`-1`: null); SEPARATED: the value, the key as the message key |
//! | primitives | as `decode` renders them (`"2026-01-02"`, RFC 3339, numbers) or the raw number | Pulsar's fixed layouts |
//! | none, BYTES | a string (its UTF-8 bytes) or any other JSON (its text) | as is |
//!
//! A topic without a schema also takes [`raw_payload`]: text, hex or base64.

mod avro;
mod key_value;
mod path;
mod primitive;
mod protobuf;

use base64::Engine as _;
use serde_json::Value;

use crate::decode::{SchemaInfo, SchemaType};
pub use path::EncodeError;
use path::Path;

/// What one value becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The message payload.
    pub payload: Vec<u8>,
    /// For a SEPARATED KEY_VALUE: the key's bytes, sent as the message key (base64, with
    /// `partition_key_b64_encoded`, as the Java client does). `None` otherwise.
    pub key: Option<Vec<u8>>,
}

impl Encoded {
    /// The message key as the binary protocol carries it: base64 text for a SEPARATED
    /// KEY_VALUE's key.
    pub fn key_b64(&self) -> Option<String> {
        self.key.as_ref().map(|k| base64::engine::general_purpose::STANDARD.encode(k))
    }
}

#[derive(Debug, Clone)]
enum Inner {
    /// No schema, BYTES, AUTO*: strings as UTF-8, anything else as its JSON text.
    Bytes,
    Primitive(primitive::Primitive),
    Avro(Box<avro::AvroEncoder>),
    /// JSON text; validated when the schema's definition parses as Avro.
    Json(Option<Box<avro::AvroEncoder>>),
    Protobuf(Box<protobuf::ProtoEncoder>),
    KeyValue(Box<key_value::KvEncoder>),
}

/// A compiled schema, ready to encode many values. Build once per (topic, schema version).
#[derive(Debug, Clone)]
pub struct Encoder {
    schema_type: SchemaType,
    inner: Inner,
}

impl Encoder {
    /// The encoder for one schema version; `None`: a topic without a schema.
    pub fn new(info: Option<&SchemaInfo>) -> Result<Encoder, EncodeError> {
        match info {
            None => Ok(Encoder { schema_type: SchemaType::None, inner: Inner::Bytes }),
            Some(info) => Self::nested(info, 0),
        }
    }

    pub(crate) fn nested(info: &SchemaInfo, depth: usize) -> Result<Encoder, EncodeError> {
        let t = info.schema_type;
        let inner = match t {
            SchemaType::None
            | SchemaType::Bytes
            | SchemaType::Auto
            | SchemaType::AutoConsume
            | SchemaType::AutoPublish => Inner::Bytes,
            SchemaType::Avro => Inner::Avro(Box::new(avro::AvroEncoder::new(&info.data)?)),
            // the official clients' JSON schema is an Avro record; an unparseable one only
            // turns validation off (the decoder does the same)
            SchemaType::Json => Inner::Json(avro::AvroEncoder::new(&info.data).ok().map(Box::new)),
            SchemaType::ProtobufNative => Inner::Protobuf(Box::new(protobuf::ProtoEncoder::new(&info.data)?)),
            SchemaType::Protobuf => return Err(EncodeError::schema(
                "PROTOBUF (the legacy Avro-described protobuf schema) cannot be written from JSON: use PROTOBUF_NATIVE",
            )),
            SchemaType::KeyValue => Inner::KeyValue(Box::new(key_value::KvEncoder::new(info, depth)?)),
            other => match primitive::Primitive::from_type(other) {
                Some(p) => Inner::Primitive(p),
                None => return Err(EncodeError::schema(format!("schema type {other} cannot be written"))),
            },
        };
        Ok(Encoder { schema_type: t, inner })
    }

    /// The schema type this encoder was built for.
    pub fn schema_type(&self) -> SchemaType {
        self.schema_type
    }

    /// `true` when the payload is free-form bytes (no schema, BYTES).
    pub fn is_schemaless(&self) -> bool {
        matches!(self.inner, Inner::Bytes)
    }

    /// Encodes one value; the error names the field (`$.a[2].b: …`).
    pub fn encode(&self, v: &Value) -> Result<Encoded, EncodeError> {
        let plain = |payload| Ok(Encoded { payload, key: None });
        let mut path = Path::default();
        match &self.inner {
            Inner::Bytes => plain(match v {
                Value::String(s) => s.as_bytes().to_vec(),
                other => json_text(other),
            }),
            Inner::Primitive(p) => plain(p.encode(v, &mut path)?),
            Inner::Avro(a) => plain(a.encode(v)?),
            Inner::Json(check) => {
                if let Some(a) = check {
                    a.check(v)?;
                }
                plain(json_text(v))
            }
            Inner::Protobuf(p) => plain(p.encode(v)?),
            Inner::KeyValue(kv) => kv.encode(v),
        }
    }
}

fn json_text(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

/// How a schemaless value is typed in: as text, hex or base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RawForm {
    /// UTF-8 text, sent as is.
    #[default]
    Text,
    /// Hex digits (whitespace and a `0x` prefix allowed).
    Hex,
    /// Standard base64 (padded or not).
    Base64,
}

impl RawForm {
    /// `text`, `hex`, `base64`.
    pub fn parse(s: &str) -> Option<RawForm> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Some(RawForm::Text),
            "hex" => Some(RawForm::Hex),
            "base64" | "b64" => Some(RawForm::Base64),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            RawForm::Text => "text",
            RawForm::Hex => "hex",
            RawForm::Base64 => "base64",
        }
    }
}

/// The bytes of a value typed as text, hex or base64.
pub fn raw_payload(input: &str, form: RawForm) -> Result<Vec<u8>, EncodeError> {
    match form {
        RawForm::Text => Ok(input.as_bytes().to_vec()),
        RawForm::Hex => {
            let digits: String = input.trim().trim_start_matches("0x").chars().filter(|c| !c.is_whitespace()).collect();
            if !digits.len().is_multiple_of(2) {
                return Err(EncodeError::at("$", "hex: an odd number of digits"));
            }
            (0..digits.len())
                .step_by(2)
                .map(|i| {
                    digits.get(i..i + 2).and_then(|d| u8::from_str_radix(d, 16).ok()).ok_or_else(|| {
                        EncodeError::at("$", format!("hex: {:?} is not a hex byte", digits.get(i..i + 2).unwrap_or("")))
                    })
                })
                .collect()
        }
        RawForm::Base64 => {
            let cleaned: String = input.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(&cleaned)
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(&cleaned))
                .map_err(|e| EncodeError::at("$", format!("base64: {e}")))
        }
    }
}

#[cfg(test)]
mod tests;
