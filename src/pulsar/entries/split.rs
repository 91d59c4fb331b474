//! An entry's metadata (from the admin API's `X-Pulsar-…` headers, or from the raw MESSAGE
//! frame) and the messages it holds: one, the members of a batch, a chunk, or a row saying
//! why it cannot be read. Pure.

use std::collections::BTreeMap;

use base64::Engine;
// the pulsar crate's generated protobuf types implement prost 0.13's `Message`
use prost013::Message as _;

use crate::pulsar::compression;
use crate::pulsar::message::{ChunkInfo, Encryption, Message, MessageId, MessageMeta};

/// What an entry's metadata says: the broker's headers (`X-Pulsar-…`), or the
/// `MessageMetadata` of its raw frame.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntryHeaders {
    pub publish_time_ms: i64,
    pub event_time_ms: Option<i64>,
    pub producer: String,
    pub sequence_id: i64,
    pub key: Option<String>,
    pub properties: BTreeMap<String, String>,
    pub compression: Option<String>,
    pub uncompressed_size: Option<u32>,
    /// `num_messages_in_batch` when the entry is a batch.
    pub batch: Option<u32>,
    pub encrypted: bool,
    pub encryption_keys: Vec<String>,
    pub encryption_param: Vec<u8>,
    pub key_is_base64: bool,
    pub chunk: Option<ChunkInfo>,
    pub replicated_from: Option<String>,
    pub schema_version: Option<i64>,
    pub deliver_at_ms: Option<i64>,
    pub null_value: bool,
    /// Not in the admin API's headers: from the raw metadata only.
    pub ordering_key: Option<Vec<u8>>,
    pub null_key: bool,
}

fn rfc3339_ms(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_millis())
}

impl EntryHeaders {
    pub fn from_lookup(h: &dyn Fn(&str) -> Option<String>) -> EntryHeaders {
        let num = |name: &str| h(name).and_then(|v| v.trim().parse::<i64>().ok());
        let chunks = num("X-Pulsar-num-chunks-from-msg").unwrap_or(0);
        let chunk = (chunks > 1).then(|| ChunkInfo {
            uuid: h("X-Pulsar-uuid").unwrap_or_default(),
            chunks: chunks as u32,
            total_size: num("X-Pulsar-total-chunk-msg-size").unwrap_or(0).max(0) as u64,
            chunk_id: num("X-Pulsar-chunk-id").unwrap_or(0).max(0) as u32,
            ids: Vec::new(),
        });
        let schema_version = h("X-Pulsar-schema-version").and_then(|v| {
            v.trim().parse::<i64>().ok().or_else(|| {
                let b = base64::engine::general_purpose::STANDARD.decode(v.trim()).ok()?;
                <[u8; 8]>::try_from(b.as_slice()).ok().map(i64::from_be_bytes)
            })
        });
        EntryHeaders {
            publish_time_ms: h("X-Pulsar-publish-time").as_deref().and_then(rfc3339_ms).unwrap_or(0),
            event_time_ms: h("X-Pulsar-event-time").as_deref().and_then(|t| rfc3339_ms(t).or_else(|| t.parse().ok())),
            producer: h("X-Pulsar-producer-name").unwrap_or_default(),
            sequence_id: num("X-Pulsar-sequence-id").unwrap_or(-1),
            key: h("X-Pulsar-partition-key"),
            properties: h("X-Pulsar-PROPERTY").and_then(|p| serde_json::from_str(&p).ok()).unwrap_or_default(),
            compression: h("X-Pulsar-compression").filter(|c| c != "NONE"),
            uncompressed_size: num("X-Pulsar-uncompressed-size").and_then(|n| u32::try_from(n).ok()),
            batch: num("X-Pulsar-num-batch-message").and_then(|n| u32::try_from(n).ok()).filter(|n| *n > 0),
            encrypted: h("X-Pulsar-Is-Encrypted").is_some_and(|v| v.eq_ignore_ascii_case("true")),
            encryption_keys: h("X-Pulsar-Base64-encryption-keys").map(|v| key_names(&v)).unwrap_or_default(),
            encryption_param: h("X-Pulsar-Base64-encryption-param")
                .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v.trim()).ok())
                .unwrap_or_default(),
            key_is_base64: h("X-Pulsar-partition-key-b64-encoded").is_some_and(|v| v.eq_ignore_ascii_case("true")),
            chunk,
            replicated_from: h("X-Pulsar-replicated-from").filter(|r| !r.is_empty()),
            schema_version,
            deliver_at_ms: num("X-Pulsar-deliver-at-time").filter(|t| *t > 0),
            null_value: h("X-Pulsar-null-value").is_some_and(|v| v.eq_ignore_ascii_case("true")),
            ordering_key: None,
            null_key: false,
        }
    }

    /// The same from an entry's own metadata (a raw read: [`crate::pulsar::wire::RawReader`]).
    pub fn from_metadata(md: &pulsar::proto::MessageMetadata) -> EntryHeaders {
        let meta = MessageMeta::from_proto(md);
        let compression = md.compression.filter(|c| *c != 0).map(|c| {
            pulsar::proto::CompressionType::try_from(c)
                .map_or_else(|_| format!("unknown compression {c}"), |c| c.as_str_name().to_string())
        });
        let encryption = meta.encryption.unwrap_or_default();
        EntryHeaders {
            publish_time_ms: md.publish_time as i64,
            event_time_ms: md.event_time.filter(|t| *t > 0).map(|t| t as i64),
            producer: md.producer_name.clone(),
            sequence_id: md.sequence_id as i64,
            key: md.partition_key.clone(),
            properties: md.properties.iter().map(|kv| (kv.key.clone(), kv.value.clone())).collect(),
            compression,
            uncompressed_size: md.uncompressed_size,
            batch: meta.batch_size,
            encrypted: !md.encryption_keys.is_empty(),
            encryption_keys: encryption.keys,
            encryption_param: encryption.param,
            key_is_base64: md.partition_key_b64_encoded.unwrap_or(false),
            chunk: meta.chunk,
            replicated_from: meta.replicated_from,
            schema_version: md
                .schema_version
                .as_deref()
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(i64::from_be_bytes),
            deliver_at_ms: meta.deliver_at_ms,
            null_value: meta.null_value,
            ordering_key: md.ordering_key.clone(),
            null_key: meta.null_key,
        }
    }

    /// Whether the `pulsar` crate's consumer fails on such an entry (see the module docs).
    pub fn consumer_fails_on(&self) -> bool {
        let compressed = self.compression.is_some();
        match self.compression.as_deref() {
            Some("SNAPPY") => true,
            Some("LZ4" | "ZLIB" | "ZSTD") | None => {
                (self.encrypted && (compressed || self.batch.is_some())) || (self.chunk.is_some() && compressed)
            }
            Some(_) => true,
        }
    }
}

/// The key names of the `X-Pulsar-Base64-encryption-keys` header: the base64 of a protobuf
/// `EncryptionKeys` (name, encrypted data key, metadata) as the 4.0 broker sends it; the
/// names are what users look for. Anything else is shown as it came.
fn key_names(v: &str) -> Vec<String> {
    let parsed = base64::engine::general_purpose::STANDARD
        .decode(v.trim())
        .ok()
        .and_then(|b| pulsar::proto::EncryptionKeys::decode(b.as_slice()).ok())
        .filter(|k| !k.key.is_empty());
    match parsed {
        Some(k) => vec![k.key],
        None => vec![v.to_string()],
    }
}

/// Splits an entry's body (the broker decompressed it unless it is encrypted) into its
/// messages: one, or the members of a batch (`[u32 size][SingleMessageMetadata][payload]`
/// each). An encrypted entry stays one row of ciphertext; a body that does not split
/// becomes one row with the error. Pure.
pub fn split_entry(topic: &str, id: MessageId, h: &EntryHeaders, body: Vec<u8>) -> Vec<Message> {
    if let (Some(n), false, false) = (h.batch, h.encrypted, h.chunk.is_some() && h.compression.is_some()) {
        return match split_members(topic, id, h, n, &body) {
            Ok(ms) => ms,
            Err(e) => vec![unsplit(topic, id, h, n, body, &e)],
        };
    }
    split_whole(topic, id, h, body)
}

/// One message of the entry with the entry's metadata.
fn base(topic: &str, h: &EntryHeaders, id: MessageId, payload: Vec<u8>) -> Message {
    Message {
        topic: topic.to_string(),
        id,
        key: h.key.clone(),
        key_is_base64: h.key_is_base64,
        ordering_key: h.ordering_key.clone(),
        properties: h.properties.clone(),
        publish_time_ms: h.publish_time_ms,
        event_time_ms: h.event_time_ms,
        producer: h.producer.clone(),
        sequence_id: h.sequence_id,
        schema_version: h.schema_version,
        redelivery_count: None,
        compression: h.compression.clone(),
        payload,
        meta: MessageMeta {
            batch_size: h.batch,
            chunk: h.chunk.clone(),
            encryption: None,
            deliver_at_ms: h.deliver_at_ms,
            replicated_from: h.replicated_from.clone(),
            null_value: h.null_value,
            null_key: h.null_key,
            uncompressed_size: h.uncompressed_size,
            error: None,
        },
    }
}

/// The row of a batch that does not split: its body, and why.
fn unsplit(topic: &str, id: MessageId, h: &EntryHeaders, n: u32, body: Vec<u8>, e: &str) -> Message {
    let mut m = base(topic, h, id, body);
    m.meta.error = Some(format!("a batch of {n} messages that does not split: {e}"));
    m
}

/// An entry that is not split: encrypted, a compressed chunk the broker decompressed alone,
/// or one message.
fn split_whole(topic: &str, id: MessageId, h: &EntryHeaders, body: Vec<u8>) -> Vec<Message> {
    let base = |id: MessageId, payload: Vec<u8>| base(topic, h, id, payload);
    if h.encrypted {
        let e = Encryption { keys: h.encryption_keys.clone(), algorithm: None, param: h.encryption_param.clone() };
        let mut m = base(id, body);
        let batch = h.batch.map(|n| format!(", a batch of {n} messages")).unwrap_or_default();
        let codec = h.compression.as_deref().map(|c| format!(", compressed with {c}")).unwrap_or_default();
        m.meta.error =
            Some(format!("{}: the payload is end-to-end encrypted{batch}{codec}, not decoded", e.describe()));
        m.meta.encryption = Some(e);
        return vec![m];
    }
    if h.chunk.is_some() && h.compression.is_some() {
        // the broker decompressed a chunk on its own: these bytes are not the message's
        let mut m = base(id, Vec::new());
        m.meta.error = Some(format!(
            "a chunk compressed with {} that cannot be read alone",
            h.compression.as_deref().unwrap_or("?")
        ));
        return vec![m];
    }
    vec![base(id, body)]
}

/// The members of a batch (`[u32 size][SingleMessageMetadata][payload]` each), read in
/// place: each member's bytes are copied once, into its message.
fn split_members(
    topic: &str,
    id: MessageId,
    h: &EntryHeaders,
    n: u32,
    mut body: &[u8],
) -> Result<Vec<Message>, String> {
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n {
        let short = || format!("member {i} is cut short");
        let size = body.get(..4).ok_or_else(short)?;
        let size = u32::from_be_bytes([size[0], size[1], size[2], size[3]]) as usize;
        let md = body.get(4..4 + size).ok_or_else(short)?;
        let smd = pulsar::proto::SingleMessageMetadata::decode(md).map_err(|e| format!("member {i}: {e}"))?;
        let len = usize::try_from(smd.payload_size).map_err(|_| format!("member {i}: negative size"))?;
        let payload = body.get(4 + size..4 + size + len).ok_or_else(short)?.to_vec();
        body = &body[4 + size + len..];
        let mut m = base(topic, h, MessageId { batch: i as i32, ..id }, payload);
        m.properties = smd.properties.into_iter().map(|kv| (kv.key, kv.value)).collect();
        m.key = smd.partition_key;
        m.key_is_base64 = smd.partition_key_b64_encoded.unwrap_or(false);
        m.ordering_key = smd.ordering_key;
        m.event_time_ms = smd.event_time.filter(|t| *t > 0).map(|t| t as i64);
        m.sequence_id = smd.sequence_id.map_or(h.sequence_id + i as i64, |s| s as i64);
        m.meta.null_value = smd.null_value.unwrap_or(false);
        m.meta.null_key = smd.null_partition_key.unwrap_or(false);
        out.push(m);
    }
    Ok(out)
}

/// [`split_raw`] for an entry whose payload is a slice of the frame it came in
/// ([`crate::pulsar::wire::consumer::Entry`]): an uncompressed batch is split in place and a
/// compressed entry decompressed from the slice (no copy of the entry first); a single
/// uncompressed message takes its bytes once. Pure.
pub fn split_shared(topic: &str, id: MessageId, h: &EntryHeaders, payload: bytes::Bytes) -> Vec<Message> {
    let plain = !h.encrypted && h.chunk.is_none();
    match (h.batch, h.compression.as_deref()) {
        (Some(n), None) if plain => match split_members(topic, id, h, n, &payload) {
            Ok(ms) => ms,
            Err(e) => vec![unsplit(topic, id, h, n, payload.to_vec(), &e)],
        },
        (_, Some(codec)) if plain => match compression::decompress(codec, &payload, h.uncompressed_size) {
            Ok(body) => split_entry(topic, id, h, body),
            Err(_) => split_raw(topic, id, h, payload.to_vec()),
        },
        _ => split_raw(topic, id, h, Vec::from(payload)),
    }
}

/// Splits an entry read as stored ([`crate::pulsar::wire::RawEntry`]: compressed, never
/// split) into its messages. A chunk stays as stored, compressed with its codec named: the
/// chunks are put together first and the whole decompressed once (`chunks.rs`), as the other
/// clients do. Anything else is decompressed with our codecs (Snappy as raw blocks, as the
/// other clients write it), then split as [`split_entry`] does; a payload that does not
/// decompress becomes one row saying so. Pure.
pub fn split_raw(topic: &str, id: MessageId, h: &EntryHeaders, payload: Vec<u8>) -> Vec<Message> {
    if h.encrypted {
        return split_entry(topic, id, h, payload);
    }
    let Some(codec) = h.compression.as_deref() else { return split_entry(topic, id, h, payload) };
    if h.chunk.is_some() {
        let stored = EntryHeaders { compression: None, ..h.clone() };
        let mut ms = split_entry(topic, id, &stored, payload);
        for m in &mut ms {
            m.compression = h.compression.clone();
        }
        return ms;
    }
    match compression::decompress(codec, &payload, h.uncompressed_size) {
        Ok(body) => split_entry(topic, id, h, body),
        Err(e) => {
            let whole = EntryHeaders { batch: None, ..h.clone() };
            let mut ms = split_entry(topic, id, &whole, Vec::new());
            for m in &mut ms {
                m.meta.batch_size = h.batch;
                let what = h.batch.map_or("the payload".to_string(), |n| format!("a batch of {n} messages"));
                m.meta.error = Some(format!("{what} does not decompress: {e}"));
            }
            ms
        }
    }
}
