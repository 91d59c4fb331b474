//! A producer session on one topic: the schema's encoder, one `pulsar` crate producer per
//! partition (so every confirmed message has its full id) and our own routing.
//!
//! Routing is ours rather than the crate's: its receipts do not say which partition a
//! message went to, and its key hash (murmur3) is not the Java client's. As in the Java
//! client, a keyed message goes to `java_partition(key)` under round-robin and by-key
//! routing; a keyless one goes round the partitions (by-key too).

use std::collections::HashMap;

use pulsar::compression::{Compression, CompressionLz4, CompressionZlib, CompressionZstd};
use pulsar::producer::{Message as Out, Producer, ProducerOptions, SendFuture};
use pulsar::TokioExecutor;

use super::{Codec, Draft, DraftValue, ProduceOptions, Routing};
use crate::decode::{SchemaInfo, SchemaType};
use crate::encode::{EncodeError, Encoder};
use crate::model::MessageId;
use crate::pulsar::error::{ClientError, Result};
use crate::pulsar::wire::producer::java_partition;
use crate::pulsar::{Client, TopicName};

/// Messages per batch and the time a batch waits for more (batching on).
const BATCH_MESSAGES: u32 = 1_000;
const BATCH_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(10);

/// One message ready to go: its partition and the crate's message.
pub struct Prepared {
    partition: usize,
    out: Out,
}

/// A send in flight: resolves to the message's id once the broker confirmed it.
pub struct Pending {
    partition: i32,
    future: SendFuture,
}

impl Pending {
    /// Waits for the broker's receipt.
    pub async fn confirmed(self) -> Result<MessageId> {
        let receipt = self.future.await.map_err(|e| ClientError::Binary(format!("not confirmed: {e}")))?;
        let id = receipt.message_id.ok_or_else(|| ClientError::Binary("a send receipt without a message id".into()))?;
        Ok(MessageId {
            ledger: id.ledger_id as i64,
            entry: id.entry_id as i64,
            partition: self.partition,
            batch: id.batch_index.unwrap_or(-1),
        })
    }
}

/// A producer session on one topic.
pub struct Sender {
    topic: TopicName,
    encoder: Encoder,
    /// The schema version the encoder is for, as messages carry it (8 bytes, big-endian).
    version: Option<Vec<u8>>,
    /// One producer per partition (index = partition), or the topic's own.
    producers: Vec<Producer<TokioExecutor>>,
    /// The partition numbers of `producers` (-1: a non-partitioned topic).
    partitions: Vec<i32>,
    /// A producer without batching for what cannot be batched (deliver-at), made on demand.
    single: HashMap<usize, Producer<TokioExecutor>>,
    options: ProduceOptions,
    next: usize,
    /// What makes the unbatched producers: the client, their options, the partitions' topics.
    pulsar: pulsar::Pulsar<TokioExecutor>,
    unbatched: ProducerOptions,
    targets: Vec<TopicName>,
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

fn codec(c: Codec) -> Result<Option<Compression>> {
    Ok(match c {
        Codec::None => None,
        Codec::Lz4 => Some(Compression::Lz4(CompressionLz4 { mode: lz4::block::CompressionMode::DEFAULT })),
        Codec::Zlib => Some(Compression::Zlib(CompressionZlib { level: flate2::Compression::default() })),
        Codec::Zstd => Some(Compression::Zstd(CompressionZstd { level: zstd::DEFAULT_COMPRESSION_LEVEL })),
        Codec::Snappy => {
            return Err(ClientError::Invalid(
                "SNAPPY: the pulsar crate writes Snappy's framed format, which the Java and C++ consumers drop \
                 as corrupt; pulsar-tui does not publish Snappy (use LZ4, ZLIB or ZSTD)"
                    .into(),
            ))
        }
    })
}

impl Sender {
    /// Opens producers on `topic` (every partition of a partitioned one, or the one chosen)
    /// with the schema version asked for (the latest by default).
    pub async fn open(client: &Client, topic: &TopicName, options: &ProduceOptions) -> Result<Sender> {
        client.ensure_writable(&format!("produce to {topic}"))?;
        let compression = codec(options.compression)?;
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
        let schema = info.as_ref().and_then(declared);
        let batching = options.batching;
        let unbatched = ProducerOptions { schema, compression, block_queue_if_full: true, ..Default::default() };
        let opts = ProducerOptions {
            batch_size: batching.then_some(BATCH_MESSAGES),
            batch_byte_size: batching.then_some(client_max_batch_bytes()),
            batch_timeout: batching.then_some(BATCH_TIMEOUT),
            ..unbatched.clone()
        };
        let pulsar = client.pulsar().await?;
        let mut producers = Vec::with_capacity(targets.len());
        for (t, _) in &targets {
            let p = pulsar
                .producer()
                .with_topic(t.to_string())
                .with_options(opts.clone())
                .build()
                .await
                .map_err(|e| crate::pulsar::binary_error(&client.target.service_url, e))?;
            producers.push(p);
        }
        // single-partition routing: one partition for the whole session, as the Java client
        let next = match options.routing {
            Routing::Single if targets.len() > 1 => {
                (chrono::Utc::now().timestamp_subsec_nanos() as usize / 1000) % targets.len()
            }
            _ => 0,
        };
        Ok(Sender {
            topic: topic.clone(),
            encoder,
            version,
            partitions: targets.iter().map(|(_, p)| *p).collect(),
            producers,
            single: HashMap::new(),
            options: options.clone(),
            next,
            pulsar,
            unbatched,
            targets: targets.into_iter().map(|(t, _)| t).collect(),
        })
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
    /// broker confirmed it. Waits when the producer's queue is full.
    pub async fn send(&mut self, p: Prepared) -> Result<Pending> {
        let partition = self.partitions.get(p.partition).copied().unwrap_or(-1);
        // a delayed message cannot be batched (its deliver-at time is the entry's)
        let producer = if p.out.deliver_at_time.is_some() && self.options.batching {
            if !self.single.contains_key(&p.partition) {
                let made = self.unbatched(p.partition).await?;
                self.single.insert(p.partition, made);
            }
            self.single.get_mut(&p.partition)
        } else {
            self.producers.get_mut(p.partition)
        }
        .ok_or_else(|| ClientError::Invalid("no producer for the partition".into()))?;
        let future = producer.send_non_blocking(p.out).await.map_err(|e| ClientError::Binary(format!("send: {e}")))?;
        Ok(Pending { partition, future })
    }

    async fn unbatched(&self, partition: usize) -> Result<Producer<TokioExecutor>> {
        let topic = self.targets.get(partition).ok_or_else(|| ClientError::Invalid("no such partition".into()))?;
        self.pulsar
            .producer()
            .with_topic(topic.to_string())
            .with_options(self.unbatched.clone())
            .build()
            .await
            .map_err(|e| ClientError::Binary(format!("producer on {topic}: {e}")))
    }

    /// Sends what waits in batches and closes every producer.
    pub async fn close(self) {
        for mut p in self.producers.into_iter().chain(self.single.into_values()) {
            let _ = p.send_batch().await;
            let _ = p.close().await;
        }
    }
}

/// A batch stays well under the broker's 5 MB default message size.
fn client_max_batch_bytes() -> usize {
    1024 * 1024
}
