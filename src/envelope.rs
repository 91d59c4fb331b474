//! The JSON-lines envelope of a message: what `pulsar-tui read --format jsonl` prints,
//! what `e`/`E` export, and what DLQ requeue and import read back.

use base64::Engine;
use serde_json::Value;

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

/// The envelope of one message (README, "The JSON-lines envelope"), borrowed from it: no
/// copy of the decoded value, no map of owned keys.
#[derive(serde::Serialize)]
struct EnvelopeRef<'a> {
    topic: &'a str,
    message_id: DisplayStr<&'a crate::pulsar::message::MessageId>,
    partition: i32,
    key: Option<&'a str>,
    ordering_key: Option<std::borrow::Cow<'a, str>>,
    properties: &'a std::collections::BTreeMap<String, String>,
    publish_time: String,
    event_time: Option<String>,
    producer: &'a str,
    sequence_id: i64,
    schema_version: Option<i64>,
    redelivery_count: Option<u32>,
    size: usize,
    value: &'a Value,
    decode_error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_base64: Option<String>,
}

/// Serializes a `Display` value as a JSON string, written straight to the output.
struct DisplayStr<T>(T);

impl<T: std::fmt::Display> serde::Serialize for DisplayStr<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'a> EnvelopeRef<'a> {
    fn of(m: &'a Message, decoded: &'a Decoded, raw: bool) -> EnvelopeRef<'a> {
        EnvelopeRef {
            topic: &m.topic,
            message_id: DisplayStr(&m.id),
            partition: m.id.partition,
            key: m.key.as_deref(),
            ordering_key: m.ordering_key.as_deref().map(String::from_utf8_lossy),
            properties: &m.properties,
            publish_time: format_time(m.publish_time_ms),
            event_time: m.event_time_ms.map(format_time),
            producer: &m.producer,
            sequence_id: m.sequence_id,
            schema_version: m.schema_version,
            redelivery_count: m.redelivery_count,
            size: m.payload.len(),
            value: &decoded.value,
            decode_error: decoded.error.as_deref(),
            raw_base64: raw.then(|| base64::engine::general_purpose::STANDARD.encode(&m.payload)),
        }
    }
}

/// Writes the envelope of one message and a newline to `out`, straight from the message
/// (the hot path of `pulsar-tui read --format jsonl`: no `Value` built).
pub fn write_envelope(out: &mut impl std::io::Write, m: &Message, decoded: &Decoded, raw: bool) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &EnvelopeRef::of(m, decoded, raw)).map_err(std::io::Error::from)?;
    out.write_all(b"\n")
}

/// The envelope of one message as a `Value`; `raw` adds the payload as base64.
pub fn envelope(m: &Message, decoded: &Decoded, raw: bool) -> Value {
    // cannot fail: every key is a string and every value serializable
    serde_json::to_value(EnvelopeRef::of(m, decoded, raw)).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn write_envelope_writes_the_bytes_of_envelope() {
        use crate::pulsar::message::MessageId;
        let mut m = Message {
            topic: "persistent://t/ns/x-partition-1".into(),
            id: MessageId { ledger: 12, entry: 3, partition: 1, batch: -1 },
            key: Some("u-\"42\"".into()),
            key_is_base64: false,
            ordering_key: Some(vec![0xff, b'o']),
            properties: [("k".to_string(), "v\n".to_string()), ("a".to_string(), "é".to_string())].into(),
            publish_time_ms: 1_795_000_000_123,
            event_time_ms: Some(1_000),
            producer: "p-1".into(),
            sequence_id: 7,
            schema_version: Some(2),
            redelivery_count: None,
            compression: None,
            payload: br#"{"a":[1,2.5,"x"],"b":null}"#.to_vec(),
            meta: Default::default(),
        };
        for raw in [false, true] {
            for d in [
                decode_schemaless(&m.payload),
                Decoded { value: Value::Null, error: Some("bad".into()), notes: vec![] },
            ] {
                let mut out = Vec::new();
                write_envelope(&mut out, &m, &d, raw).unwrap();
                assert_eq!(String::from_utf8(out).unwrap(), format!("{}\n", envelope(&m, &d, raw)));
            }
        }
        m.key = None;
        m.ordering_key = None;
        m.event_time_ms = None;
        m.schema_version = None;
        let d = decode_schemaless(&m.payload);
        let mut out = Vec::new();
        write_envelope(&mut out, &m, &d, false).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), format!("{}\n", envelope(&m, &d, false)));
        // the documented envelope, field by field and in order
        let expected = json!({
            "topic": "persistent://t/ns/x-partition-1", "message_id": "12:3:1:-1", "partition": 1,
            "key": null, "ordering_key": null, "properties": {"a": "é", "k": "v\n"},
            "publish_time": "2026-11-18T11:06:40.123Z", "event_time": null, "producer": "p-1",
            "sequence_id": 7, "schema_version": null, "redelivery_count": null, "size": 26,
            "value": {"a": [1, 2.5, "x"], "b": null}, "decode_error": null
        });
        assert_eq!(envelope(&m, &d, false).to_string(), expected.to_string());
    }

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
