//! The JSON-lines envelope of a message: what `pulsar-tui read --format jsonl` prints,
//! what `e`/`E` export, and what DLQ requeue and import read back.

use base64::Engine;
use serde_json::{json, Map, Value};

use crate::pulsar::message::{format_time, Message};

/// A decoded payload: the value to show, or why it could not be decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub value: Value,
    pub error: Option<String>,
    /// Remarks of the decoder (validation warnings, "binary"...), shown in the detail view.
    pub notes: Vec<String>,
}

/// Decoding without a schema: JSON when the payload is a JSON document, else UTF-8 text,
/// else the bytes as hex (noted as binary).
pub fn decode_schemaless(payload: &[u8]) -> Decoded {
    let d = crate::decode::Decoder::schemaless().decode(payload, None);
    Decoded { value: d.value, error: d.error.map(|e| e.to_string()), notes: d.notes }
}

/// Runs a compiled filter on one decoded message.
pub fn filter_matches(
    filter: &crate::filter::Filter,
    m: &Message,
    decoded: &Decoded,
) -> Result<bool, crate::filter::FilterError> {
    let id = m.id.to_string();
    let ordering_key = m.ordering_key.as_deref().and_then(|k| std::str::from_utf8(k).ok());
    filter.matches(&crate::filter::FilterInput {
        key: m.key.as_deref(),
        ordering_key,
        properties: &m.properties,
        publish_time_ms: m.publish_time_ms,
        event_time_ms: m.event_time_ms,
        producer: &m.producer,
        sequence_id: m.sequence_id,
        message_id: &id,
        partition: m.id.partition,
        schema_version: m.schema_version,
        redelivery_count: m.redelivery_count.map(i64::from),
        size: m.payload.len() as i64,
        value: &decoded.value,
        decode_error: decoded.error.as_deref(),
        topic: &m.topic,
    })
}

/// The envelope of one message; `raw` adds the payload as base64.
pub fn envelope(m: &Message, decoded: &Decoded, raw: bool) -> Value {
    let mut o = Map::new();
    o.insert("topic".into(), json!(m.topic));
    o.insert("message_id".into(), json!(m.id.to_string()));
    o.insert("partition".into(), json!(m.id.partition));
    o.insert("key".into(), json!(m.key));
    o.insert(
        "ordering_key".into(),
        m.ordering_key.as_ref().map(|k| json!(String::from_utf8_lossy(k))).unwrap_or(Value::Null),
    );
    o.insert("properties".into(), json!(m.properties));
    o.insert("publish_time".into(), json!(format_time(m.publish_time_ms)));
    o.insert("event_time".into(), m.event_time_ms.map(|t| json!(format_time(t))).unwrap_or(Value::Null));
    o.insert("producer".into(), json!(m.producer));
    o.insert("sequence_id".into(), json!(m.sequence_id));
    o.insert("schema_version".into(), json!(m.schema_version));
    o.insert("redelivery_count".into(), json!(m.redelivery_count));
    o.insert("size".into(), json!(m.payload.len()));
    o.insert("value".into(), decoded.value.clone());
    o.insert("decode_error".into(), json!(decoded.error));
    if raw {
        o.insert("raw_base64".into(), json!(base64::engine::general_purpose::STANDARD.encode(&m.payload)));
    }
    Value::Object(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemaless_decoding_prefers_json_then_text_then_hex() {
        assert_eq!(decode_schemaless(br#"{"a":1}"#).value, json!({"a": 1}));
        assert_eq!(decode_schemaless(b"hello").value, json!("hello"));
        assert_eq!(decode_schemaless(b"{not json").value, json!("{not json"));
        let bin = decode_schemaless(&[0xff, 0x00, 0x81]);
        assert_eq!(bin.value, json!("ff0081"));
        assert!(bin.notes.iter().any(|n| n.contains("binary")), "{:?}", bin.notes);
    }
}
