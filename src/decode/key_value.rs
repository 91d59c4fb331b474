//! KEY_VALUE: a key schema and a value schema, INLINE or SEPARATED.
//!
//! Admin REST `data` is `{"key": <inner data>, "value": <inner data>}` where
//! an inner data is the inner schema's own `data` as a JSON object (AVRO,
//! JSON, PROTOBUF_NATIVE), a JSON string holding it, or `""` for primitive
//! types. Inner types and properties come from the properties
//! `key.schema.type`, `key.schema.properties` (a JSON-encoded map),
//! `value.schema.type`, `value.schema.properties`; a missing type means
//! BYTES and a missing `kv.encoding.type` means INLINE, as in the Java
//! client.
//!
//! INLINE payload: `[i32 BE key length][key][i32 BE value length][value]`,
//! a length of -1 meaning null. SEPARATED payload: the value only; the key is
//! the message key.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::error::DecodeError;
use super::schema::{SchemaInfo, SchemaType};
use super::{Decoded, Decoder};

/// Maximum nesting of KEY_VALUE inside KEY_VALUE.
pub(crate) const MAX_KV_NESTING: usize = 4;

/// How the key is carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KvEncoding {
    /// Key and value are both in the payload.
    Inline,
    /// Only the value is in the payload; the key is the message key.
    Separated,
}

/// A compiled KEY_VALUE schema.
#[derive(Debug, Clone)]
pub(crate) struct KvDecoder {
    pub(crate) key: Decoder,
    pub(crate) value: Decoder,
    pub(crate) encoding: KvEncoding,
}

pub(crate) fn inner_info(info: &SchemaInfo, spec: &Map<String, Value>, side: &str) -> Result<SchemaInfo, DecodeError> {
    let type_prop = format!("{side}.schema.type");
    let schema_type = match info.properties.get(&type_prop).map(|s| s.trim()) {
        None | Some("") => SchemaType::Bytes,
        Some(name) => SchemaType::from_name(name)
            .ok_or_else(|| DecodeError::InvalidSchema(format!("{type_prop}: unknown schema type {name:?}")))?,
    };
    let data = match spec.get(side) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let mut properties = BTreeMap::new();
    if let Some(text) = info.properties.get(&format!("{side}.schema.properties")) {
        // Lenient: unparseable properties are ignored.
        if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) {
            for (k, v) in map {
                let v = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                properties.insert(k, v);
            }
        }
    }
    Ok(SchemaInfo { schema_type, version: info.version, timestamp_ms: info.timestamp_ms, data, properties })
}

impl KvDecoder {
    /// Compiles both sides. `nesting` guards against KEY_VALUE recursion.
    pub(crate) fn new(info: &SchemaInfo, nesting: usize) -> Result<Self, DecodeError> {
        if nesting >= MAX_KV_NESTING {
            return Err(DecodeError::Unsupported("KEY_VALUE nested too deeply".into()));
        }
        let spec: Map<String, Value> = if info.data.trim().is_empty() {
            Map::new()
        } else {
            match serde_json::from_str::<Value>(&info.data) {
                Ok(Value::Object(m)) => m,
                Ok(_) => return Err(DecodeError::InvalidSchema("KEY_VALUE schema data is not a JSON object".into())),
                Err(e) => return Err(DecodeError::InvalidSchema(format!("KEY_VALUE schema data is not JSON: {e}"))),
            }
        };
        let encoding = match info.properties.get("kv.encoding.type").map(|s| s.trim()) {
            None | Some("") => KvEncoding::Inline,
            Some(s) if s.eq_ignore_ascii_case("INLINE") => KvEncoding::Inline,
            Some(s) if s.eq_ignore_ascii_case("SEPARATED") => KvEncoding::Separated,
            Some(other) => return Err(DecodeError::InvalidSchema(format!("unknown kv.encoding.type {other:?}"))),
        };
        let key_info = inner_info(info, &spec, "key")?;
        let value_info = inner_info(info, &spec, "value")?;
        let key = Decoder::new_nested(&key_info, nesting + 1).map_err(|e| prefix_error("key schema", e))?;
        let value = Decoder::new_nested(&value_info, nesting + 1).map_err(|e| prefix_error("value schema", e))?;
        Ok(KvDecoder { key, value, encoding })
    }

    /// Decodes `{"key": .., "value": ..}`. `key` is the raw message key,
    /// used only for SEPARATED.
    pub(crate) fn decode(&self, payload: &[u8], key: Option<&[u8]>) -> Result<(Value, Vec<String>), DecodeError> {
        let mut notes = Vec::new();
        let (key_bytes, value_bytes) = match self.encoding {
            KvEncoding::Inline => {
                let mut pos = 0usize;
                let k = read_part(payload, &mut pos, "key")?;
                let v = read_part(payload, &mut pos, "value")?;
                let rest = payload.len().saturating_sub(pos);
                if rest > 0 {
                    notes.push(format!("{rest} trailing bytes after the INLINE key/value were ignored"));
                }
                (k, Some(v).flatten())
            }
            KvEncoding::Separated => {
                if key.is_none() {
                    notes.push("SEPARATED key/value: the message has no key".to_string());
                }
                (key, Some(payload))
            }
        };
        let k = side(&self.key, key_bytes, "key", &mut notes)?;
        let v = side(&self.value, value_bytes, "value", &mut notes)?;
        let mut obj = Map::new();
        obj.insert("key".into(), k);
        obj.insert("value".into(), v);
        Ok((Value::Object(obj), notes))
    }
}

fn prefix_error(what: &str, e: DecodeError) -> DecodeError {
    match e {
        DecodeError::InvalidSchema(m) => DecodeError::InvalidSchema(format!("{what}: {m}")),
        DecodeError::Unsupported(m) => DecodeError::Unsupported(format!("{what}: {m}")),
        DecodeError::Mismatch(m) => DecodeError::Mismatch(format!("{what}: {m}")),
        DecodeError::Malformed(m) => DecodeError::Malformed(format!("{what}: {m}")),
        DecodeError::InvalidJson(m) => DecodeError::InvalidJson(format!("{what}: {m}")),
        DecodeError::Truncated { context, needed, available } => {
            DecodeError::Truncated { context: format!("{what} {context}"), needed, available }
        }
        DecodeError::InvalidUtf8 => DecodeError::InvalidUtf8,
        DecodeError::NotDecoded(m) => DecodeError::NotDecoded(format!("{what}: {m}")),
        DecodeError::WithSchemaOf { error, origin } => {
            DecodeError::WithSchemaOf { error: Box::new(prefix_error(what, *error)), origin }
        }
    }
}

/// Decodes one side; `None` bytes mean a null side.
fn side(dec: &Decoder, bytes: Option<&[u8]>, what: &str, notes: &mut Vec<String>) -> Result<Value, DecodeError> {
    let Some(bytes) = bytes else {
        return Ok(Value::Null);
    };
    let Decoded { value, error, notes: side_notes, .. } = dec.decode(bytes, None);
    notes.extend(side_notes.into_iter().map(|n| format!("{what}: {n}")));
    match error {
        Some(e) => Err(prefix_error(what, e)),
        None => Ok(value),
    }
}

/// Reads one `[i32 BE length][bytes]` part; `Ok(None)` for length -1.
fn read_part<'a>(p: &'a [u8], pos: &mut usize, what: &str) -> Result<Option<&'a [u8]>, DecodeError> {
    let available = p.len().saturating_sub(*pos);
    let len_bytes: [u8; 4] = p
        .get(*pos..pos.saturating_add(4))
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| DecodeError::truncated(format!("{what} length"), 4, available))?;
    *pos += 4;
    let len = i32::from_be_bytes(len_bytes);
    if len == -1 {
        return Ok(None);
    }
    let n = usize::try_from(len).map_err(|_| DecodeError::Malformed(format!("negative {what} length {len}")))?;
    let available = p.len().saturating_sub(*pos);
    let part = p.get(*pos..pos.saturating_add(n)).ok_or_else(|| DecodeError::truncated(what, n, available))?;
    *pos += n;
    Ok(Some(part))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_support::{check_case, load_case};
    use serde_json::json;

    #[test]
    fn fixture_cases() {
        for name in [
            "kv_inline",
            "kv_inline_null_key",
            "kv_inline_overflow",
            "kv_inline_overflow_value",
            "kv_random",
            "kv_separated",
            "kv_primitive",
        ] {
            check_case(&load_case(name));
        }
    }

    #[test]
    fn separated_without_key() {
        let case = load_case("kv_separated");
        let dec = Decoder::new(case.info.as_ref().unwrap()).unwrap();
        let out = dec.decode(&case.payload, None);
        assert_eq!(out.error, None);
        assert_eq!(out.value["key"], Value::Null);
        assert!(out.notes.iter().any(|n| n.contains("no key")));
    }

    fn kv_info(props: &[(&str, &str)], data: &str) -> SchemaInfo {
        SchemaInfo {
            schema_type: SchemaType::KeyValue,
            version: None,
            timestamp_ms: None,
            data: data.to_string(),
            properties: props.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    #[test]
    fn defaults_and_errors() {
        // no properties at all: BYTES/BYTES INLINE
        let dec = Decoder::new(&kv_info(&[], "")).unwrap();
        let out = dec.decode(&[0, 0, 0, 1, b'k', 0xff, 0xff, 0xff, 0xff], None);
        assert_eq!(out.value, json!({"key": "k", "value": null}));
        // negative (not -1) length
        let out = dec.decode(&[0xff, 0xff, 0xff, 0xfe], None);
        assert!(matches!(out.error, Some(DecodeError::Malformed(_))));
        // short length prefix
        let out = dec.decode(&[0, 0], None);
        assert!(matches!(out.error, Some(DecodeError::Truncated { .. })));
        // trailing bytes are noted
        let out = dec.decode(&[0, 0, 0, 0, 0, 0, 0, 0, 9], None);
        assert_eq!(out.error, None);
        assert!(out.notes.iter().any(|n| n.contains("trailing")));

        assert!(Decoder::new(&kv_info(&[("kv.encoding.type", "WEIRD")], "")).is_err());
        assert!(Decoder::new(&kv_info(&[("key.schema.type", "NOPE")], "")).is_err());
        assert!(Decoder::new(&kv_info(&[], "[1]")).is_err());
        assert!(Decoder::new(&kv_info(&[], "{")).is_err());
        // bad inner AVRO schema
        assert!(matches!(
            Decoder::new(&kv_info(&[("key.schema.type", "AVRO")], r#"{"key":{"type":"nope"}}"#)),
            Err(DecodeError::InvalidSchema(_))
        ));
    }

    #[test]
    fn nested_key_value_is_bounded() {
        // KEY_VALUE whose key is KEY_VALUE whose key is ... (via nested
        // key.schema.properties): compiling must stop with an error.
        let mut props = serde_json::Map::new();
        for _ in 0..10 {
            let mut outer = serde_json::Map::new();
            outer.insert("key.schema.type".into(), json!("KEY_VALUE"));
            outer.insert("key.schema.properties".into(), json!(Value::Object(props).to_string()));
            props = outer;
        }
        let pairs: Vec<(String, String)> =
            props.into_iter().map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string())).collect();
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert!(matches!(Decoder::new(&kv_info(&refs, "")), Err(DecodeError::Unsupported(_))));
        // two levels are fine
        let two = kv_info(&[("key.schema.type", "KEY_VALUE")], "");
        assert!(Decoder::new(&two).is_ok());
    }
}
