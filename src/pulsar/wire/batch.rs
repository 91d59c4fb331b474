//! What our producer ([`super::pipeline`]) puts on the wire, built in place. Pure: no I/O.
//!
//! A batch is ONE entry holding many messages, as every official client writes it:
//!
//! ```text
//! payload = compress( [u32 size][SingleMessageMetadata][payload] ... one per message )
//! MessageMetadata: producer name, the first message's sequence id (highest_sequence_id:
//!   the last's), publish time, num_messages_in_batch, compression, uncompressed_size,
//!   and what is the entry's, not a message's: schema version, replicate_to
//! ```
//!
//! Each message keeps its own key, ordering key, properties, event time and sequence id in
//! its `SingleMessageMetadata`. What a batch cannot carry per message goes as an entry of
//! its own ([`single`]): a deliver-at time (per entry; the Java client does not batch a
//! delayed message either), and a message too large for one entry goes as chunks
//! ([`chunks`]; compressed whole, then cut, as the Java client does). A message joins a
//! batch only when its schema version and `replicate_to` are the batch's ([`Batch::accepts`]).
//!
//! Hand-written rather than the `pulsar` crate's: its batch builder lives inside its
//! producer's task (`ProducerMessage` and `ConnectionSender::send` are `pub(crate)`), which
//! takes messages one at a time through a channel and a oneshot each.

use prost013::Message as _;
use pulsar::proto::base_command::Type;
use pulsar::proto::{CommandSend, CompressionType, KeyValue, MessageMetadata, SingleMessageMetadata};

use super::conn::command;
use super::frame;
use super::producer::chunk_plan;
use crate::pulsar::compression;

/// A message to send: the `pulsar` crate's public message struct (payload, key, ordering
/// key, properties, event time, schema version, deliver-at, replicate_to).
pub type Out = pulsar::producer::Message;

/// What a message cannot be sent as.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("compression failed: {0}")]
    Compression(String),
    #[error("a message of {0} bytes is larger than 2 GiB")]
    TooLarge(usize),
    #[error("the metadata alone is larger than a message may be ({0} bytes)")]
    MetadataTooLarge(usize),
}

/// One entry ready to be sent: its metadata, its (compressed) payload, and the sequence ids
/// it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub metadata: MessageMetadata,
    pub payload: Vec<u8>,
    pub first_sequence: u64,
    pub last_sequence: u64,
    /// Messages in the entry (1 for a single message or a chunk).
    pub messages: u32,
    /// `Some((chunk id, chunk count))` for a chunk.
    pub chunk: Option<(u32, u32)>,
}

impl Entry {
    /// The SEND frame of this entry for producer `producer_id`.
    pub fn frame(&self, producer_id: u64) -> Vec<u8> {
        let mut c = command(Type::Send);
        c.send = Some(CommandSend {
            producer_id,
            sequence_id: self.first_sequence,
            num_messages: Some(self.messages as i32),
            highest_sequence_id: (self.last_sequence != self.first_sequence).then_some(self.last_sequence),
            is_chunk: self.chunk.map(|_| true),
            ..Default::default()
        });
        frame::encode_payload(&c, &self.metadata, &self.payload)
    }
}

fn properties(m: &Out) -> Vec<KeyValue> {
    let mut p: Vec<KeyValue> =
        m.properties.iter().map(|(k, v)| KeyValue { key: k.clone(), value: v.clone() }).collect();
    p.sort_by(|a, b| a.key.cmp(&b.key));
    p
}

/// The messages of one batch being built.
#[derive(Debug, Default)]
pub struct Batch {
    body: Vec<u8>,
    count: u32,
    first_sequence: u64,
    last_sequence: u64,
    schema_version: Option<Vec<u8>>,
    replicate_to: Vec<String>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Messages in the batch.
    pub fn len(&self) -> u32 {
        self.count
    }

    /// Bytes of the batch so far (uncompressed, metadata included).
    pub fn bytes(&self) -> usize {
        self.body.len()
    }

    /// Whether `m` may join this batch: its entry-wide fields are the batch's, and it has no
    /// deliver-at time (see the module docs).
    pub fn accepts(&self, m: &Out) -> bool {
        m.deliver_at_time.is_none()
            && (self.count == 0 || (m.schema_version == self.schema_version && m.replicate_to == self.replicate_to))
    }

    /// What `m` adds to the batch, in bytes (its metadata is estimated from above).
    pub fn cost(m: &Out) -> usize {
        let props: usize = m.properties.iter().map(|(k, v)| k.len() + v.len() + 8).sum();
        m.payload.len()
            + props
            + m.partition_key.as_ref().map_or(0, String::len)
            + m.ordering_key.as_ref().map_or(0, Vec::len)
            + 48
    }

    /// Appends `m` with `sequence_id` (the caller checked [`Batch::accepts`]).
    pub fn push(&mut self, m: Out, sequence_id: u64) {
        if self.count == 0 {
            self.first_sequence = sequence_id;
            self.schema_version = m.schema_version.clone();
            self.replicate_to = m.replicate_to.clone();
        }
        self.last_sequence = sequence_id;
        self.count += 1;
        let smm = SingleMessageMetadata {
            properties: properties(&m),
            partition_key: m.partition_key,
            partition_key_b64_encoded: m.partition_key_b64_encoded,
            payload_size: m.payload.len() as i32,
            event_time: m.event_time.filter(|t| *t > 0),
            ordering_key: m.ordering_key,
            sequence_id: Some(sequence_id),
            ..Default::default()
        };
        let len = smm.encoded_len();
        self.body.reserve(4 + len + m.payload.len());
        self.body.extend_from_slice(&(len as u32).to_be_bytes());
        smm.encode_raw(&mut self.body);
        self.body.extend_from_slice(&m.payload);
    }

    /// The batch as one entry, compressed with `codec`; the batch is empty again.
    pub fn take(&mut self, producer: &str, codec: CompressionType, publish_time: u64) -> Result<Entry, BatchError> {
        let body = std::mem::take(&mut self.body);
        let count = std::mem::take(&mut self.count);
        let uncompressed = u32::try_from(body.len()).map_err(|_| BatchError::TooLarge(body.len()))?;
        let payload = compress(codec, body)?;
        let metadata = MessageMetadata {
            producer_name: producer.to_string(),
            sequence_id: self.first_sequence,
            highest_sequence_id: Some(self.last_sequence),
            publish_time,
            num_messages_in_batch: Some(count as i32),
            compression: (codec != CompressionType::None).then_some(codec as i32),
            uncompressed_size: Some(uncompressed),
            schema_version: self.schema_version.take(),
            replicate_to: std::mem::take(&mut self.replicate_to),
            ..Default::default()
        };
        Ok(Entry {
            metadata,
            payload,
            first_sequence: self.first_sequence,
            last_sequence: self.last_sequence,
            messages: count,
            chunk: None,
        })
    }
}

fn compress(codec: CompressionType, body: Vec<u8>) -> Result<Vec<u8>, BatchError> {
    match codec {
        CompressionType::None => Ok(body),
        c => compression::compress(c, &body).map_err(BatchError::Compression),
    }
}

/// The metadata of `m` sent as an entry of its own (not batched).
pub(super) fn own_metadata(m: &Out, sequence_id: u64, producer: &str, publish_time: u64) -> MessageMetadata {
    MessageMetadata {
        producer_name: producer.to_string(),
        sequence_id,
        publish_time,
        properties: properties(m),
        partition_key: m.partition_key.clone(),
        partition_key_b64_encoded: m.partition_key_b64_encoded,
        ordering_key: m.ordering_key.clone(),
        replicate_to: m.replicate_to.clone(),
        event_time: m.event_time.filter(|t| *t > 0),
        schema_version: m.schema_version.clone(),
        deliver_at_time: m.deliver_at_time,
        ..Default::default()
    }
}

/// `m` as an entry of its own (a delayed message, or batching off).
pub fn single(
    m: Out,
    sequence_id: u64,
    producer: &str,
    codec: CompressionType,
    publish_time: u64,
) -> Result<Entry, BatchError> {
    let mut metadata = own_metadata(&m, sequence_id, producer, publish_time);
    let len = m.payload.len();
    metadata.uncompressed_size = Some(u32::try_from(len).map_err(|_| BatchError::TooLarge(len))?);
    metadata.compression = (codec != CompressionType::None).then_some(codec as i32);
    let payload = compress(codec, m.payload)?;
    Ok(Entry { metadata, payload, first_sequence: sequence_id, last_sequence: sequence_id, messages: 1, chunk: None })
}

/// `m` as one entry, or as chunks when its (compressed) payload is larger than what one
/// entry may carry (`max_message`: the broker's `maxMessageSize`). Chunks carry the
/// message's metadata plus `uuid` (`<producer>-<sequence id>`), `chunk_id`,
/// `num_chunks_from_msg` and `total_chunk_msg_size` (the compressed size; `uncompressed_size`
/// is the whole message's), all with the message's sequence id, as the Java client writes.
pub fn chunks(
    m: Out,
    sequence_id: u64,
    producer: &str,
    codec: CompressionType,
    publish_time: u64,
    max_message: usize,
) -> Result<Vec<Entry>, BatchError> {
    let base = own_metadata(&m, sequence_id, producer, publish_time);
    let total_plain = m.payload.len();
    let uncompressed = u32::try_from(total_plain).map_err(|_| BatchError::TooLarge(total_plain))?;
    let payload = compress(codec, m.payload)?;
    let total = payload.len();
    let chunk_md = |chunk_id: usize, n: usize| MessageMetadata {
        uuid: Some(format!("{producer}-{sequence_id}")),
        chunk_id: Some(chunk_id as i32),
        num_chunks_from_msg: Some(n as i32),
        total_chunk_msg_size: Some(total as i32),
        uncompressed_size: Some(uncompressed),
        compression: (codec != CompressionType::None).then_some(codec as i32),
        ..base.clone()
    };
    let widest = MessageMetadata {
        chunk_id: Some(i32::MAX),
        num_chunks_from_msg: Some(i32::MAX),
        total_chunk_msg_size: Some(i32::MAX),
        ..chunk_md(0, 1)
    };
    // room for the SEND command and the frame's own fields besides the measured metadata
    let used = widest.encoded_len() + 1024;
    let room = max_message.saturating_sub(used);
    if room == 0 {
        return Err(BatchError::MetadataTooLarge(used));
    }
    let (size, n) = chunk_plan(total, room);
    if n == 1 {
        let mut metadata = base;
        metadata.uncompressed_size = Some(uncompressed);
        metadata.compression = (codec != CompressionType::None).then_some(codec as i32);
        return Ok(vec![Entry {
            metadata,
            payload,
            first_sequence: sequence_id,
            last_sequence: sequence_id,
            messages: 1,
            chunk: None,
        }]);
    }
    if i32::try_from(total).is_err() {
        return Err(BatchError::TooLarge(total));
    }
    Ok((0..n)
        .map(|i| Entry {
            metadata: chunk_md(i, n),
            payload: payload[(i * size).min(total)..((i + 1) * size).min(total)].to_vec(),
            first_sequence: sequence_id,
            last_sequence: sequence_id,
            messages: 1,
            chunk: Some((i as u32, n as u32)),
        })
        .collect())
}

#[cfg(test)]
#[path = "batch_tests.rs"]
mod tests;
