//! A producer that publishes a message of any size as ONE message: when it is larger than
//! the broker's `maxMessageSize` (CONNECTED), as chunks, the way the Java and C++ clients do
//! (`ProducerImpl`): every chunk is an entry of its own carrying the message's metadata plus
//! `uuid` (`"<producer name>-<sequence id>"`), `chunk_id`, `num_chunks_from_msg` and
//! `total_chunk_msg_size`, all with the message's sequence id; the message is stored when
//! every chunk's SEND_RECEIPT is in. Consumers of every official client (and ours,
//! `chunks.rs`) put it back together.
//!
//! The payload goes uncompressed: the `pulsar` crate's Snappy is a format Java consumers drop
//! as corrupt, and a chunked message must be compressed whole before it is split, which only
//! pays on compressible payloads (a dead letter that needed chunks rarely is).

use prost013::Message as _;
use pulsar::proto::base_command::Type;
use pulsar::proto::{CommandCloseProducer, CommandProducer, CommandSend, MessageMetadata};

use super::conn::{command, server_error, Connection};
use super::{batch, frame, lookup};
use crate::pulsar::error::{ClientError, Result};
use crate::pulsar::message::MessageId;
use crate::pulsar::topic::TopicName;
use crate::pulsar::Client;

/// Room left in a chunk's frame for the SEND command and the frame's own fields (the chunk's
/// metadata is measured): a chunk's frame stays under `maxMessageSize`, as the broker's
/// frame decoder wants (it allows 10 KiB more).
const HEADROOM: usize = 1024;

/// What the broker confirmed for one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Where the message is: its last chunk (the position the Java, C++ and Python clients
    /// give a chunked message, and ours), or the message's own entry.
    pub id: MessageId,
    /// Every chunk's position, first to last; one id for a message that fits one entry.
    pub chunks: Vec<MessageId>,
}

impl Published {
    /// `first;last` for a chunked message, as the Java client prints a `ChunkMessageIdImpl`
    /// (the id alone otherwise).
    pub fn describe(&self) -> String {
        match (self.chunks.first(), self.chunks.len()) {
            (Some(first), n) if n > 1 => format!("{first};{}", self.id),
            _ => self.id.to_string(),
        }
    }
}

/// How a payload of `len` bytes is cut: the chunk size (bytes per chunk but the last) and
/// the chunk count; one chunk means "not chunked". `room` is what one entry may carry.
pub fn chunk_plan(len: usize, room: usize) -> (usize, usize) {
    let room = room.max(1);
    if len <= room {
        return (len, 1);
    }
    (room, len.div_ceil(room))
}

/// The partition the Java client's default router picks for `key` among `n`: the key's
/// Java `String.hashCode()` (UTF-16 code units) with the sign bit cleared, modulo `n`
/// (`JavaStringHash`, the Java producer's default hashing scheme: the DLQ producers'). A
/// dozen lines of arithmetic, not worth a dependency.
pub fn java_partition(key: &str, n: u32) -> u32 {
    let h = key.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)));
    ((h & i32::MAX) as u32) % n.max(1)
}

/// A producer on one topic (a partition, or a non-partitioned topic) over its own connection.
pub struct ChunkingProducer {
    conn: Connection,
    topic: TopicName,
    id: u64,
    name: String,
    next_sequence: u64,
}

impl ChunkingProducer {
    /// A producer on `topic`, which must be a partition or a non-partitioned topic (see
    /// [`publish_whole`] for partitioned ones). The broker names it.
    pub async fn create(client: &Client, topic: &TopicName) -> Result<ChunkingProducer> {
        let Opened { conn, id, name, next_sequence } = open_producer(client, topic, None, None).await?;
        Ok(ChunkingProducer { conn, topic: topic.clone(), id, name, next_sequence })
    }

    /// The broker's `maxMessageSize`, as CONNECTED said.
    pub fn max_message_size(&self) -> usize {
        self.conn.max_message_size
    }

    /// Publishes `m` as one message (chunked when it does not fit one entry) and waits for
    /// the broker to confirm every part of it.
    pub async fn send(&mut self, m: &pulsar::producer::Message) -> Result<Published> {
        let sequence_id = self.next_sequence;
        self.next_sequence += 1;
        let total = m.payload.len();
        let what = format!("publish to {}", self.topic);
        let too_large = || ClientError::Invalid(format!("{what}: a message of {total} bytes is larger than 2 GiB"));
        let publish_time = chrono::Utc::now().timestamp_millis().max(0) as u64;
        let metadata = MessageMetadata {
            uncompressed_size: Some(u32::try_from(total).map_err(|_| too_large())?),
            ..batch::own_metadata(m, sequence_id, &self.name, publish_time)
        };
        // the metadata of a chunk, measured with its largest chunk fields
        let uuid = format!("{}-{sequence_id}", self.name);
        let chunk_md = |chunk_id: usize, chunks: usize| MessageMetadata {
            uuid: Some(uuid.clone()),
            chunk_id: Some(chunk_id as i32),
            num_chunks_from_msg: Some(chunks as i32),
            total_chunk_msg_size: Some(total as i32),
            ..metadata.clone()
        };
        let widest = MessageMetadata {
            chunk_id: Some(i32::MAX),
            num_chunks_from_msg: Some(i32::MAX),
            total_chunk_msg_size: Some(i32::MAX),
            ..chunk_md(0, 1)
        };
        let room = self.conn.max_message_size.saturating_sub(widest.encoded_len() + HEADROOM);
        if room == 0 {
            return Err(ClientError::Invalid(format!("{what}: the metadata alone is larger than a message may be")));
        }
        let (size, chunks) = chunk_plan(total, room);
        if chunks > 1 && i32::try_from(total).is_err() {
            return Err(too_large());
        }
        for i in 0..chunks {
            let part = &m.payload[(i * size).min(total)..((i + 1) * size).min(total)];
            let md = if chunks > 1 { chunk_md(i, chunks) } else { metadata.clone() };
            let mut c = command(Type::Send);
            c.send = Some(CommandSend {
                producer_id: self.id,
                sequence_id,
                num_messages: Some(1),
                is_chunk: (chunks > 1).then_some(true),
                ..Default::default()
            });
            self.conn.write(&frame::encode_payload(&c, &md, part)).await?;
        }
        let partition = self.topic.partition_index().map_or(-1, |p| p as i32);
        let mut ids = Vec::with_capacity(chunks);
        while ids.len() < chunks {
            let f = self.conn.next_frame().await?;
            if let Some(r) = f.command.send_receipt.filter(|r| r.producer_id == self.id && r.sequence_id == sequence_id)
            {
                let id = r.message_id.ok_or_else(|| ClientError::Protocol {
                    what: what.clone(),
                    reason: "a SEND_RECEIPT without a message id".into(),
                })?;
                ids.push(MessageId { ledger: id.ledger_id as i64, entry: id.entry_id as i64, partition, batch: -1 });
            } else if let Some(e) = f.command.send_error.filter(|e| e.producer_id == self.id) {
                return Err(server_error(e.error, &e.message, &what, self.conn.url()));
            } else if f.command.close_producer.is_some_and(|c| c.producer_id == self.id) {
                return Err(ClientError::Binary(format!(
                    "{what}: the broker closed the producer after {} of {chunks} parts were stored",
                    ids.len()
                )));
            }
        }
        let id = *ids.last().expect("at least one part");
        Ok(Published { id, chunks: ids })
    }

    /// Closes the producer on the broker (what was confirmed stays stored either way).
    pub async fn close(mut self) {
        let request = self.conn.next_id();
        let mut c = command(Type::CloseProducer);
        c.close_producer = Some(CommandCloseProducer { producer_id: self.id, request_id: request });
        if let Err(e) = self.conn.request(&c, request, "close producer").await {
            tracing::debug!("wire: closing the producer on {}: {e}", self.topic);
        }
    }
}

/// What the broker answered to a PRODUCER command: the connection to the topic's owner,
/// the producer's id and name, and the next sequence id to use.
pub(super) struct Opened {
    pub conn: Connection,
    pub id: u64,
    pub name: String,
    pub next_sequence: u64,
}

/// Opens a producer on `topic` (a partition or a non-partitioned topic) at the broker that
/// owns it, waits until it is ready, and learns the next sequence id. `name`: the producer's
/// name, or `None` to let the broker name it; `schema`: the schema it publishes with.
pub(super) async fn open_producer(
    client: &Client,
    topic: &TopicName,
    name: Option<String>,
    schema: Option<pulsar::proto::Schema>,
) -> Result<Opened> {
    client.ensure_writable(&format!("publish to {topic}"))?;
    let mut conn = lookup::connect_to_owner(client, &topic.to_string()).await?;
    let id = conn.next_id();
    let request = conn.next_id();
    let mut c = command(Type::Producer);
    c.producer = Some(CommandProducer {
        topic: topic.to_string(),
        producer_id: id,
        request_id: request,
        user_provided_producer_name: Some(name.is_some()),
        producer_name: name,
        schema,
        ..Default::default()
    });
    let what = format!("producer on {topic}");
    let mut answer = conn.request(&c, request, &what).await?;
    // a producer waiting for exclusive access is told "not ready" first (not asked here)
    while answer.producer_success.as_ref().is_some_and(|s| s.producer_ready == Some(false)) {
        answer = conn.answer(request, &what).await?;
    }
    let success =
        answer.producer_success.ok_or_else(|| ClientError::Protocol { what, reason: "no PRODUCER_SUCCESS".into() })?;
    let next_sequence = u64::try_from(success.last_sequence_id.unwrap_or(-1) + 1).unwrap_or(0);
    Ok(Opened { conn, id, name: success.producer_name, next_sequence })
}

/// Publishes `m` to `topic` as ONE message, chunked when it is larger than the broker's
/// `maxMessageSize`, and returns where the broker stored it once every part is confirmed.
/// A partitioned topic's partition is chosen as the Java client does: by key
/// ([`java_partition`]), else any (round robin over time). Opens and closes its own
/// connection and producer: meant for the few messages the `pulsar` crate cannot publish.
pub async fn publish_whole(client: &Client, topic: &TopicName, m: &pulsar::producer::Message) -> Result<Published> {
    client.ensure_writable(&format!("publish to {topic}"))?;
    let target = match topic.partition_index() {
        Some(_) => topic.clone(),
        None => {
            let mut conn = Connection::open(client, &client.target.service_url, None).await?;
            let n = lookup::partitions(&mut conn, &topic.to_string()).await?;
            if n == 0 {
                topic.clone()
            } else {
                let p = match &m.partition_key {
                    Some(k) => java_partition(k, n),
                    None => (chrono::Utc::now().timestamp_subsec_nanos() / 1000) % n,
                };
                topic.partition(p)
            }
        }
    };
    let mut producer = ChunkingProducer::create(client, &target).await?;
    let published = producer.send(m).await;
    producer.close().await;
    published
}
