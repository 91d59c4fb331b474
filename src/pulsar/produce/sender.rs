//! A producer session on one topic: the schema's encoder, one producer of our own per
//! partition ([`BatchProducer`]: pipelined, batches built in place, every message with its
//! full id) and our own routing.
//!
//! Routing is ours: as in the Java client, a keyed message goes to `java_partition(key)`
//! under round-robin and by-key routing; a keyless one goes round the partitions (by-key
//! too). Compression is any of the official clients' codecs, Snappy included (raw blocks,
//! as they write it: `compression::compress`).

use pulsar::producer::Message as Out;
use pulsar::proto::CompressionType;

use super::{Codec, Draft, DraftValue, ProduceOptions, Routing};
use crate::decode::{SchemaInfo, SchemaType};
use crate::encode::{EncodeError, Encoder};
use crate::model::MessageId;
use crate::pulsar::error::{ClientError, Result};
use crate::pulsar::wire::producer::java_partition;
use crate::pulsar::wire::{BatchOptions, BatchProducer, Receipt};
use crate::pulsar::{Client, TopicName};

/// Messages per batch, the bytes a batch holds at most and the time it waits for more
/// (batching on).
const BATCH_MESSAGES: u32 = 1_000;
const BATCH_BYTES: usize = 128 << 10;
const BATCH_DELAY: std::time::Duration = std::time::Duration::from_millis(5);

/// One message ready to go: its partition and the message.
pub struct Prepared {
    partition: usize,
    out: Out,
}

/// A send in flight: resolves to the message's id once the broker confirmed it.
pub struct Pending {
    receipt: Receipt,
}

impl Pending {
    /// Waits for the broker's receipt.
    pub async fn confirmed(self) -> Result<MessageId> {
        self.receipt.await.map_err(|e| ClientError::Binary(format!("not confirmed: {e}")))
    }
}

/// A producer session on one topic.
pub struct Sender {
    topic: TopicName,
    encoder: Encoder,
    /// The schema version the encoder is for, as messages carry it (8 bytes, big-endian).
    version: Option<Vec<u8>>,
    /// One producer per partition (index = partition), or the topic's own.
    producers: Vec<BatchProducer>,
    options: ProduceOptions,
    next: usize,
}

fn proto_type(t: SchemaType) -> Option<i32> {
    use pulsar::proto::schema::Type;
    Some(match t {
        SchemaType::String => Type::String,
        SchemaType::Json => Type::Json,
        SchemaType::Avro => Type::Avro,
        SchemaType::Boolean => Type::Bool,
        SchemaType::Int8 => Type::Int8,
        SchemaType::Int16 => Type::Int16,
        SchemaType::Int32 => Type::Int32,
        SchemaType::Int64 => Type::Int64,
        SchemaType::Float => Type::Float,
        SchemaType::Double => Type::Double,
        SchemaType::Date => Type::Date,
        SchemaType::Time => Type::Time,
        SchemaType::Timestamp => Type::Timestamp,
        SchemaType::Instant => Type::Instant,
        SchemaType::LocalDate => Type::LocalDate,
        SchemaType::LocalTime => Type::LocalTime,
        SchemaType::LocalDateTime => Type::LocalDateTime,
        SchemaType::ProtobufNative => Type::ProtobufNative,
        _ => return None,
    } as i32)
}

/// The schema a producer declares, so the broker gives it the version of `info` (and
/// batches carry it). KEY_VALUE is not declared (its binary schema data is another
/// layout): its messages carry the version themselves.
fn declared(info: &SchemaInfo) -> Option<pulsar::proto::Schema> {
    Some(pulsar::proto::Schema {
        name: String::new(),
        schema_data: info.data.as_bytes().to_vec(),
        r#type: proto_type(info.schema_type)?,
        properties: info
            .properties
            .iter()
            .map(|(k, v)| pulsar::proto::KeyValue { key: k.clone(), value: v.clone() })
            .collect(),
    })
}

fn codec(c: Codec) -> CompressionType {
    match c {
        Codec::None => CompressionType::None,
        Codec::Lz4 => CompressionType::Lz4,
        Codec::Zlib => CompressionType::Zlib,
        Codec::Zstd => CompressionType::Zstd,
        Codec::Snappy => CompressionType::Snappy,
    }
}

impl Sender {
    /// Opens producers on `topic` (every partition of a partitioned one, or the one chosen)
    /// with the schema version asked for (the latest by default).
    pub async fn open(client: &Client, topic: &TopicName, options: &ProduceOptions) -> Result<Sender> {
        client.ensure_writable(&format!("produce to {topic}"))?;
        let info = client.schema_info(topic, options.schema_version).await?;
        if options.schema_version.is_some() && info.is_none() {
            return Err(ClientError::Invalid(format!("{topic} has no schema version {:?}", options.schema_version)));
        }
        let encoder =
            Encoder::new(info.as_ref()).map_err(|e| ClientError::Invalid(format!("schema of {topic}: {e}")))?;
        let version = info.as_ref().and_then(|i| i.version).map(|v| v.to_be_bytes().to_vec());
        let base = topic.parent();
        let count = match topic.partition_index() {
            Some(_) => 0,
            None => client.admin.partition_count(&base).await.unwrap_or(0),
        };
        let targets: Vec<(TopicName, i32)> = match (topic.partition_index(), count, options.routing) {
            (Some(p), _, _) => vec![(topic.clone(), p as i32)],
            (None, 0, Routing::Partition(p)) => {
                return Err(ClientError::Invalid(format!("{topic} is not partitioned: no partition {p}")))
            }
            (None, 0, _) => vec![(topic.clone(), -1)],
            (None, n, Routing::Partition(p)) if p >= n => {
                return Err(ClientError::Invalid(format!("{topic} has {n} partitions: no partition {p}")))
            }
            (None, _, Routing::Partition(p)) => vec![(base.partition(p), p as i32)],
            (None, n, _) => (0..n).map(|p| (base.partition(p), p as i32)).collect(),
        };
        let opts = BatchOptions {
            batching: options.batching,
            max_messages: BATCH_MESSAGES,
            max_bytes: BATCH_BYTES,
            max_delay: BATCH_DELAY,
            compression: codec(options.compression),
            schema: info.as_ref().and_then(declared),
            ..BatchOptions::default()
        };
        let mut producers = Vec::with_capacity(targets.len());
        for (t, _) in &targets {
            producers.push(BatchProducer::create(client, t, opts.clone()).await?);
        }
        // single-partition routing: one partition for the whole session, as the Java client
        let next = match options.routing {
            Routing::Single if targets.len() > 1 => {
                (chrono::Utc::now().timestamp_subsec_nanos() as usize / 1000) % targets.len()
            }
            _ => 0,
        };
        Ok(Sender { topic: topic.clone(), encoder, version, producers, options: options.clone(), next })
    }

    /// The topic's encoder (for validating before sending).
    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }

    /// The topic written to.
    pub fn topic(&self) -> &TopicName {
        &self.topic
    }

    /// Encodes and routes one draft; nothing is sent. The error names the field.
    pub fn prepare(&mut self, d: &Draft) -> std::result::Result<Prepared, EncodeError> {
        let (payload, kv_key) = match &d.value {
            DraftValue::Json(v) => {
                let e = self.encoder.encode(v)?;
                let key = e.key_b64();
                (e.payload, key)
            }
            DraftValue::Bytes(b) => (b.clone(), None),
        };
        let (key, key_b64) = match kv_key {
            Some(k) => (Some(k), true),
            None => (d.key.clone(), d.key_b64),
        };
        let n = self.producers.len();
        let partition = match (self.options.routing, &key) {
            _ if n <= 1 => 0,
            (Routing::Single, _) => self.next,
            (Routing::RoundRobin | Routing::ByKey, Some(k)) => java_partition(k, n as u32) as usize,
            _ => {
                self.next = (self.next + 1) % n;
                self.next
            }
        };
        let schema_version = match (&d.schema_version, &self.version) {
            (Some(v), Some(_)) => Some(v.to_be_bytes().to_vec()),
            (_, v) => v.clone(),
        };
        let out = Out {
            payload,
            properties: d.properties.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            partition_key: key,
            partition_key_b64_encoded: key_b64.then_some(true),
            ordering_key: d.ordering_key.clone(),
            event_time: d.event_time_ms.and_then(|t| u64::try_from(t).ok()).filter(|t| *t > 0),
            schema_version,
            deliver_at_time: d.deliver_at_ms,
            ..Default::default()
        };
        Ok(Prepared { partition, out })
    }

    /// Hands one prepared message to its producer; the returned [`Pending`] resolves when the
    /// broker confirmed it. Waits only when too many wait for their receipts.
    pub async fn send(&mut self, p: Prepared) -> Result<Pending> {
        let producer = self
            .producers
            .get(p.partition)
            .ok_or_else(|| ClientError::Invalid("no producer for the partition".into()))?;
        let receipt = producer.send(p.out).await.map_err(|e| ClientError::Binary(format!("send: {e}")))?;
        Ok(Pending { receipt })
    }

    /// Sends what waits in batches, waits for the receipts and closes every producer.
    pub async fn close(self) {
        for p in self.producers {
            p.close().await;
        }
    }
}
