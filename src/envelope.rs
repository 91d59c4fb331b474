//! The JSON-lines envelope of a message: what `pulsar-tui read --format jsonl` prints,
//! what `e`/`E` export, and what DLQ requeue and import read back.

use base64::Engine;
use serde_json::Value;

use crate::model::{format_time, Message, MessageId};

use crate::decode::DecodeError;
pub use crate::decode::Decoded;

/// Decoding without a schema: JSON when the payload is a JSON document, else UTF-8 text,
/// else the bytes as hex (noted as binary).
pub fn decode_schemaless(payload: &[u8]) -> Decoded {
    crate::decode::Decoder::schemaless().decode(payload, None)
}

/// What a message whose payload cannot be decoded (encrypted, an incomplete chunk set, an
/// unreadable entry: `meta.error`) decodes to: no value, the reason. `None` for any other message.
pub fn undecodable(m: &Message) -> Option<Decoded> {
    m.meta.error.as_ref().map(Decoded::not_decoded)
}

/// [`decode_schemaless`] of a message's payload, unless it cannot be decoded at all
/// ([`undecodable`]): ciphertext is never fed to a decoder.
pub fn decode_message_schemaless(m: &Message) -> Decoded {
    undecodable(m).unwrap_or_else(|| decode_schemaless(&m.payload))
}

static NULL: Value = Value::Null;

/// The value and decode error of a message as the envelope and the filters see them: those of
/// `decoded`, except for a message that cannot be decoded (`meta.error`), whose value is `null`
/// and whose error is that reason, whatever `decoded` holds.
fn value_and_error<'a>(m: &'a Message, decoded: &'a Decoded) -> (&'a Value, Option<ErrorText<'a>>) {
    match &m.meta.error {
        Some(e) => (&NULL, Some(ErrorText::Reason(e))),
        None => (&decoded.value, decoded.error.as_ref().map(ErrorText::Decode)),
    }
}

/// The `decode_error` of an envelope, borrowed: the message's own reason, or the decoder's.
#[derive(Clone, Copy)]
enum ErrorText<'a> {
    Reason(&'a str),
    Decode(&'a DecodeError),
}

impl std::fmt::Display for ErrorText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ErrorText::Reason(r) => f.write_str(r),
            ErrorText::Decode(e) => e.fmt(f),
        }
    }
}

/// Runs a compiled filter on one decoded message.
pub fn filter_matches(
    filter: &crate::filter::Filter,
    m: &Message,
    decoded: &Decoded,
) -> Result<bool, crate::filter::FilterError> {
    let (value, decode_error) = value_and_error(m, decoded);
    let decode_error = decode_error.map(|e| e.to_string());
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
        value,
        decode_error: decode_error.as_deref(),
        topic: &m.topic,
    })
}

/// The envelope of one message (README, "The JSON-lines envelope"), borrowed from it: no
/// copy of the decoded value, no map of owned keys.
#[derive(serde::Serialize)]
struct EnvelopeRef<'a> {
    topic: &'a str,
    message_id: DisplayStr<&'a crate::model::MessageId>,
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
    // what else the entry carries: each written only when the message has it, so that the
    // envelope of a plain message stays the documented one
    #[serde(skip_serializing_if = "Option::is_none")]
    compression: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uncompressed_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    batch: Option<BatchRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    chunks: Option<ChunksRef<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encryption: Option<EncryptionRef<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deliver_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replicated_from: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    null_value: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    null_key: bool,
    value: &'a Value,
    decode_error: Option<DisplayStr<ErrorText<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_base64: Option<String>,
}

/// `batch`: the message's index in its entry and how many messages the entry holds.
#[derive(serde::Serialize)]
struct BatchRef {
    index: i32,
    size: u32,
}

/// `chunks`: how a chunked message was stored.
#[derive(serde::Serialize)]
struct ChunksRef<'a> {
    uuid: &'a str,
    count: u32,
    total_size: u64,
    ids: Vec<DisplayStr<&'a MessageId>>,
}

/// `encryption`: the names of the keys and the algorithm (when the producer named one).
#[derive(serde::Serialize)]
struct EncryptionRef<'a> {
    keys: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    algorithm: Option<&'a str>,
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
        let meta = &m.meta;
        let (value, decode_error) = value_and_error(m, decoded);
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
            compression: m.compression.as_deref(),
            uncompressed_size: meta.uncompressed_size.filter(|_| m.compression.is_some()),
            batch: meta.batch_size.map(|size| BatchRef { index: m.id.batch, size }),
            chunks: meta.chunk.as_ref().map(|c| ChunksRef {
                uuid: &c.uuid,
                count: c.chunks,
                total_size: c.total_size,
                ids: c.ids.iter().map(DisplayStr).collect(),
            }),
            encryption: meta
                .encryption
                .as_ref()
                .map(|e| EncryptionRef { keys: &e.keys, algorithm: e.algorithm.as_deref() }),
            deliver_at: meta.deliver_at_ms.map(format_time),
            replicated_from: meta.replicated_from.as_deref(),
            null_value: meta.null_value,
            null_key: meta.null_key,
            value,
            decode_error: decode_error.map(DisplayStr),
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
        use crate::model::MessageId;
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
            for d in [decode_schemaless(&m.payload), Decoded::not_decoded("bad")] {
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

    /// A plain message of partition 1, entry 7:3.
    fn plain(payload: &[u8]) -> Message {
        use crate::model::MessageId;
        Message {
            topic: "persistent://t/ns/x-partition-1".into(),
            id: MessageId { ledger: 7, entry: 3, partition: 1, batch: -1 },
            key: Some("k".into()),
            key_is_base64: false,
            ordering_key: None,
            properties: Default::default(),
            publish_time_ms: 1_795_000_000_123,
            event_time_ms: None,
            producer: "p-1".into(),
            sequence_id: 5,
            schema_version: None,
            redelivery_count: None,
            compression: None,
            payload: payload.to_vec(),
            meta: Default::default(),
        }
    }

    /// The envelope's keys, in order.
    fn keys(v: &Value) -> Vec<String> {
        v.as_object().unwrap().keys().cloned().collect()
    }

    /// The envelope written by `write_envelope`, parsed back (and equal to `envelope`).
    fn written(m: &Message, d: &Decoded, raw: bool) -> Value {
        let mut out = Vec::new();
        write_envelope(&mut out, m, d, raw).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, format!("{}\n", envelope(m, d, raw)));
        serde_json::from_str(&text).unwrap()
    }

    const PLAIN_KEYS: [&str; 15] = [
        "topic",
        "message_id",
        "partition",
        "key",
        "ordering_key",
        "properties",
        "publish_time",
        "event_time",
        "producer",
        "sequence_id",
        "schema_version",
        "redelivery_count",
        "size",
        "value",
        "decode_error",
    ];

    #[test]
    fn a_plain_message_has_no_metadata_fields() {
        let mut m = plain(br#"{"a":1}"#);
        // an uncompressed message's uncompressed size (the Java client always sets it) is not news
        m.meta.uncompressed_size = Some(7);
        let d = decode_message_schemaless(&m);
        let v = written(&m, &d, false);
        assert_eq!(keys(&v), PLAIN_KEYS);
        assert_eq!(
            v.to_string(),
            json!({
                "topic": "persistent://t/ns/x-partition-1", "message_id": "7:3:1:-1", "partition": 1,
                "key": "k", "ordering_key": null, "properties": {}, "publish_time": "2026-11-18T11:06:40.123Z",
                "event_time": null, "producer": "p-1", "sequence_id": 5, "schema_version": null,
                "redelivery_count": null, "size": 7, "value": {"a": 1}, "decode_error": null
            })
            .to_string()
        );
        let raw = written(&m, &d, true);
        assert_eq!(keys(&raw).last().map(String::as_str), Some("raw_base64"));
        assert_eq!(raw.as_object().unwrap().len(), PLAIN_KEYS.len() + 1);
    }

    #[test]
    fn a_batched_compressed_message_says_so() {
        use crate::model::MessageId;
        let mut m = plain(b"hello");
        m.id = MessageId { ledger: 7, entry: 3, partition: 1, batch: 2 };
        m.compression = Some("LZ4".into());
        m.meta.batch_size = Some(10);
        m.meta.uncompressed_size = Some(1200);
        m.meta.deliver_at_ms = Some(1_795_000_060_000);
        m.meta.replicated_from = Some("us-east".into());
        m.meta.null_key = true;
        let v = written(&m, &decode_message_schemaless(&m), false);
        assert_eq!(v["batch"], json!({"index": 2, "size": 10}));
        assert_eq!(v["compression"], "LZ4");
        assert_eq!(v["uncompressed_size"], 1200);
        assert_eq!(v["deliver_at"], "2026-11-18T11:07:40.000Z");
        assert_eq!(v["replicated_from"], "us-east");
        assert_eq!(v["null_key"], true);
        assert!(v.get("null_value").is_none() && v.get("chunks").is_none() && v.get("encryption").is_none(), "{v}");
        assert_eq!((v["value"].clone(), v["decode_error"].clone()), (json!("hello"), Value::Null));
        // the documented fields come first, in their order; the value and its error stay last
        let k = keys(&v);
        assert_eq!(&k[..13], &PLAIN_KEYS[..13]);
        assert_eq!(&k[k.len() - 2..], &PLAIN_KEYS[13..]);
    }

    #[test]
    fn an_encrypted_message_is_not_decoded() {
        use crate::model::Encryption;
        let mut m = plain(br#"{"looks":"like json"}"#);
        let enc = Encryption { keys: vec!["app-key".into(), "ops-key".into()], algorithm: None, param: vec![1, 2] };
        m.meta.error = Some(format!("{}: the payload is end-to-end encrypted, not decoded", enc.describe()));
        m.meta.encryption = Some(enc);
        let d = decode_message_schemaless(&m);
        assert_eq!(d.value, Value::Null);
        assert!(d.error.as_ref().unwrap().to_string().starts_with("encrypted (keys: app-key, ops-key)"), "{d:?}");
        // even with a value decoded by someone who did not look, the envelope tells the reason
        for d in [d, decode_schemaless(&m.payload)] {
            let v = written(&m, &d, true);
            assert_eq!(v["value"], Value::Null, "{v}");
            assert!(v["decode_error"].as_str().unwrap().starts_with("encrypted (keys: "), "{v}");
            assert_eq!(v["encryption"], json!({"keys": ["app-key", "ops-key"]}));
            assert_eq!(v["raw_base64"], base64::engine::general_purpose::STANDARD.encode(&m.payload));
            // the filters see what the envelope says
            for (expr, want) in [
                (r#"decode_error.startsWith("encrypted (keys: ")"#, true),
                ("has(value.looks)", false),
                ("decode_error == null", false),
            ] {
                let f = crate::filter::Filter::compile(expr).unwrap();
                assert_eq!(filter_matches(&f, &m, &d).unwrap_or(false), want, "{expr}");
            }
        }
        m.meta.encryption.as_mut().unwrap().algorithm = Some("AES-GCM".into());
        let v = written(&m, &decode_message_schemaless(&m), false);
        assert_eq!(v["encryption"], json!({"keys": ["app-key", "ops-key"], "algorithm": "AES-GCM"}));
    }

    #[test]
    fn a_chunked_message_lists_its_chunks() {
        use crate::model::{ChunkInfo, MessageId};
        let mut m = plain(&vec![b'a'; 3000]);
        let id = |entry| MessageId { ledger: 7, entry, partition: 1, batch: -1 };
        m.id = id(5);
        m.meta.chunk = Some(ChunkInfo {
            uuid: "p-1-5".into(),
            chunks: 3,
            total_size: 3000,
            chunk_id: 2,
            ids: vec![id(3), id(4), id(5)],
        });
        m.meta.null_value = true;
        let v = written(&m, &decode_message_schemaless(&m), false);
        assert_eq!(
            v["chunks"],
            json!({"uuid": "p-1-5", "count": 3, "total_size": 3000, "ids": ["7:3:1:-1", "7:4:1:-1", "7:5:1:-1"]})
        );
        assert_eq!(v["size"], 3000);
        assert_eq!(v["null_value"], true);
        assert!(v.get("batch").is_none() && v.get("null_key").is_none() && v.get("compression").is_none(), "{v}");
        // a chunk whose set is incomplete is not decoded
        m.meta.error = Some("chunk 2 of 3 of p-1-5: the other chunks are missing".into());
        let v = written(&m, &decode_message_schemaless(&m), false);
        assert_eq!((v["value"].clone(), v["decode_error"].clone()), (Value::Null, json!(m.meta.error)));
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
