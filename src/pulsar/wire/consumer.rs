//! A streaming consumer on our own connection: SUBSCRIBE (durable or not), flow permits as
//! the C++ client grants them, MESSAGE frames parsed without copying their payloads, and
//! acknowledgements (individual, several ids a frame, or cumulative).
//!
//! Hand-written because of what the `pulsar` crate's consumer (6.9.1) does on the receive
//! path: it decompresses every entry before anything else (and fails on raw Snappy, encrypted
//! batches and compressed chunks: `super::super::entries` reads those again), copies each
//! batch member into a message of its own, and hands every message from its engine task to
//! ours over a channel (a profile of the 1% filter scan: allocation ~17%, memmove 12%, the
//! hand-off ~10%). Here the caller's own task reads the socket: an entry arrives as one
//! slice of the read buffer ([`bytes::Bytes`]), as stored (compressed, a whole batch, a
//! chunk, ciphertext), and `entries::split_shared` turns it into messages.
//!
//! Flow permits follow the C++ client: `queue` permits at the start, then, each time the
//! caller has taken half of them, as many as it took; a batch counts all its messages, as the
//! broker counts them. The socket is read only when the buffer holds no whole frame
//! ([`Connection::fill`], cancel-safe: a caller may race it against a timer or other
//! consumers), and writes (permits, PONG, acks) happen only in the awaited calls.

use std::time::Duration;

use bytes::Bytes;
use pulsar::proto::base_command::Type;
use pulsar::proto::command_ack::AckType;
use pulsar::proto::command_subscribe::{InitialPosition, SubType};
use pulsar::proto::{
    BaseCommand, BrokerEntryMetadata, CommandAck, CommandCloseConsumer, CommandFlow, CommandGetLastMessageId,
    CommandSubscribe, MessageIdData, MessageMetadata,
};

use super::conn::{command, Connection};
use super::frame::{self, SharedFrame, SharedPayload};
use super::lookup;
use crate::pulsar::error::{ClientError, Result};
use crate::pulsar::message::MessageId;
use crate::pulsar::topic::TopicName;
use crate::pulsar::Client;

/// How a consumer subscribes.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub name: String,
    pub consumer_name: String,
    /// Durable (the cursor is kept by the broker) or not (it ends with the consumer).
    pub durable: bool,
    /// For a non-durable subscription: the first entry delivered (`None`: the initial position).
    pub start: Option<(i64, i64)>,
    /// Where a new subscription starts: the earliest entry, else the latest.
    pub earliest: bool,
    /// The receive queue, in messages: the permits granted at the start.
    pub queue: u32,
}

/// One entry as stored, its payload a slice of the frame it came in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Entry {
    /// `(ledger id, entry id)`.
    pub position: (i64, i64),
    pub metadata: MessageMetadata,
    /// As the producer sent it: compressed, encrypted, a chunk, a whole batch.
    pub payload: Bytes,
    pub redelivery_count: u32,
    pub broker_entry_metadata: Option<BrokerEntryMetadata>,
}

/// What a consumer receives.
// moved once per entry straight to the caller: a box would be an allocation per entry
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    Entry(Entry),
    /// The topic was terminated and everything in it was delivered.
    EndOfTopic,
}

/// A consumer of one partition (or non-partitioned topic) on a connection of its own.
pub struct WireConsumer {
    conn: Connection,
    id: u64,
    topic: TopicName,
    queue: u32,
    /// Messages taken since permits were last granted.
    owed: u32,
    /// Permits not granted yet at all (before [`WireConsumer::start`]).
    started: bool,
    /// PING, AUTH_CHALLENGE seen while reading without writing: answered at the next await.
    control: Vec<BaseCommand>,
}

/// The receive queue of a consumer that reads a backlog: [`QUEUE`] messages, or fewer when
/// the partition's average entry is so large that they would let more than [`QUEUE_BYTES`]
/// in (from the admin API's internal stats; [`QUEUE`] when they cannot be read).
pub async fn receive_queue(client: &Client, partition: &TopicName) -> u32 {
    let path = format!("/admin/v2/{}/internalStats", partition.rest_path());
    let v: Option<serde_json::Value> = client.admin.get_json(&path).await.ok();
    let (entries, size) =
        v.map_or((0, 0), |v| (v["numberOfEntries"].as_u64().unwrap_or(0), v["totalSize"].as_u64().unwrap_or(0)));
    queue_for(entries, size)
}

/// [`receive_queue`] from a partition's entry count and stored bytes.
pub fn queue_for(entries: u64, bytes: u64) -> u32 {
    if entries == 0 {
        return QUEUE;
    }
    let per_entry = (bytes / entries).max(1);
    (QUEUE_BYTES / per_entry).clamp(10, u64::from(QUEUE)) as u32
}

/// The receive queue (flow permits, in messages) of a consumer reading a backlog, at most:
/// the broker reads at most 100 entries at a time, so with batches of 100 a queue under
/// 10,000 messages makes it wait for us between reads (20,000 doubles the rate of a requeue
/// of a batched DLQ; unbatched ones are the same: scripts/bench-requeue)...
pub const QUEUE: u32 = 20_000;
/// ...and fewer when entries are large: what the broker may send ahead stays about under
/// this many bytes.
pub const QUEUE_BYTES: u64 = 128 << 20;

/// The permits a consumer of `queue` grants again after `taken` messages (C++: half the
/// queue), or `None` while it waits for more.
pub fn regrant(queue: u32, taken: u32) -> Option<u32> {
    (taken > 0 && taken >= queue.div_ceil(2).max(1)).then_some(taken)
}

/// The messages an entry counts for, as the broker counts permits: a batch all of its members.
pub fn permits_of(md: &MessageMetadata) -> u32 {
    md.num_messages_in_batch.filter(|n| *n > 0).map_or(1, |n| n as u32)
}

impl WireConsumer {
    /// Subscribes on the broker that owns `partition_topic`; no permits are granted until
    /// [`WireConsumer::start`] (so that [`WireConsumer::last_message_id`] is answered first).
    pub async fn subscribe(client: &Client, partition_topic: &TopicName, s: &Subscription) -> Result<WireConsumer> {
        let mut conn = lookup::connect_to_owner(client, &partition_topic.to_string()).await?;
        let id = conn.next_id();
        let request = conn.next_id();
        let partition = partition_topic.partition_index().map_or(-1, |p| p as i32);
        let mut c = command(Type::Subscribe);
        c.subscribe = Some(CommandSubscribe {
            topic: partition_topic.to_string(),
            subscription: s.name.clone(),
            sub_type: SubType::Exclusive as i32,
            consumer_id: id,
            request_id: request,
            consumer_name: Some(s.consumer_name.clone()),
            durable: Some(s.durable),
            start_message_id: s.start.map(|(ledger, entry)| MessageIdData {
                ledger_id: ledger.max(0) as u64,
                entry_id: entry.max(0) as u64,
                partition: Some(partition),
                batch_index: Some(-1),
                ..Default::default()
            }),
            read_compacted: Some(false),
            initial_position: Some(if s.earliest { InitialPosition::Earliest } else { InitialPosition::Latest } as i32),
            force_topic_creation: Some(false),
            ..Default::default()
        });
        conn.request(&c, request, &format!("subscribe {} to {partition_topic}", s.name)).await?;
        Ok(WireConsumer {
            conn,
            id,
            topic: partition_topic.clone(),
            queue: s.queue.max(1),
            owed: 0,
            started: false,
            control: Vec::new(),
        })
    }

    /// The partition's last message now (its batch index included), `None` when it holds none.
    pub async fn last_message_id(&mut self) -> Result<Option<MessageId>> {
        let request = self.conn.next_id();
        let mut c = command(Type::GetLastMessageId);
        c.get_last_message_id = Some(CommandGetLastMessageId { consumer_id: self.id, request_id: request });
        let answer = self.conn.request(&c, request, &format!("last message of {}", self.topic)).await?;
        let r = answer.get_last_message_id_response.ok_or_else(|| ClientError::Protocol {
            what: format!("last message of {}", self.topic),
            reason: "no answer to GET_LAST_MESSAGE_ID".into(),
        })?;
        let mut id = MessageId::from_proto(&r.last_message_id);
        id.partition = self.partition();
        Ok(Some(id).filter(|id| id.ledger >= 0 && id.entry >= 0))
    }

    /// The partition index (-1 for a non-partitioned topic).
    pub fn partition(&self) -> i32 {
        self.topic.partition_index().map_or(-1, |p| p as i32)
    }

    pub fn topic(&self) -> &TopicName {
        &self.topic
    }

    /// Grants the first permits: the broker starts delivering.
    pub async fn start(&mut self) -> Result<()> {
        if !self.started {
            self.started = true;
            self.flow(self.queue).await?;
        }
        Ok(())
    }

    async fn flow(&mut self, permits: u32) -> Result<()> {
        let mut c = command(Type::Flow);
        c.flow = Some(CommandFlow { consumer_id: self.id, message_permits: permits });
        self.conn.write(&frame::encode_command(&c)).await
    }

    /// True when an awaited call has something to write (permits due, a PONG).
    pub fn flush_due(&self) -> bool {
        !self.control.is_empty() || (self.started && regrant(self.queue, self.owed).is_some())
    }

    /// Writes what is due: answers to PING / AUTH_CHALLENGE, and permits once half the queue
    /// was taken.
    pub async fn flush(&mut self) -> Result<()> {
        for c in std::mem::take(&mut self.control) {
            self.conn.answer_control(&c).await?;
        }
        if self.started {
            if let Some(n) = regrant(self.queue, self.owed) {
                self.owed = 0;
                self.flow(n).await?;
            }
        }
        Ok(())
    }

    /// What the read buffer already holds, without waiting or writing: the next entry, the
    /// end of the topic, or `None`. The broker closing our consumer is an error.
    pub fn try_next(&mut self) -> Result<Option<Received>> {
        loop {
            let f = match self.conn.take_stashed() {
                Some(f) => SharedFrame {
                    command: f.command,
                    payload: f.payload.map(|p| SharedPayload {
                        broker_entry_metadata: p.broker_entry_metadata,
                        metadata: p.metadata,
                        data: Bytes::from(p.data),
                    }),
                },
                None => match self.conn.try_frame_bytes()? {
                    Some(bytes) => frame::decode_shared(bytes.freeze()).map_err(|e| ClientError::Protocol {
                        what: format!("a frame for our consumer of {}", self.topic),
                        reason: e.to_string(),
                    })?,
                    None => return Ok(None),
                },
            };
            let c = f.command;
            if let Some(m) = c.message.as_ref().filter(|m| m.consumer_id == self.id) {
                let position = (m.message_id.ledger_id as i64, m.message_id.entry_id as i64);
                let p = f.payload.ok_or_else(|| ClientError::Protocol {
                    what: format!("entry {}:{} of {}", position.0, position.1, self.topic),
                    reason: "a MESSAGE without a payload".into(),
                })?;
                self.owed = self.owed.saturating_add(permits_of(&p.metadata));
                return Ok(Some(Received::Entry(Entry {
                    position,
                    metadata: p.metadata,
                    payload: p.data,
                    redelivery_count: m.redelivery_count.unwrap_or(0),
                    broker_entry_metadata: p.broker_entry_metadata,
                })));
            }
            if c.close_consumer.as_ref().is_some_and(|x| x.consumer_id == self.id) {
                return Err(ClientError::Binary(format!("the broker closed our consumer of {}", self.topic)));
            }
            if c.reached_end_of_topic.as_ref().is_some_and(|x| x.consumer_id == self.id) {
                return Ok(Some(Received::EndOfTopic));
            }
            if matches!(Type::try_from(c.r#type), Ok(Type::Ping | Type::AuthChallenge)) {
                self.control.push(c);
            }
            // anything else (ACTIVE_CONSUMER_CHANGE, a PONG...) says nothing we act on
        }
    }

    /// Reads more from the socket (at least one byte). Cancel-safe: it may race a timer or
    /// other consumers' reads; what was read stays in the buffer.
    pub async fn fill(&mut self) -> Result<()> {
        self.conn.fill().await
    }

    /// The next entry (or the end of the topic); `None` when nothing came within `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Result<Option<Received>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if self.flush_due() {
                self.flush().await?;
            }
            if let Some(r) = self.try_next()? {
                return Ok(Some(r));
            }
            match tokio::time::timeout_at(deadline, self.conn.fill()).await {
                Ok(r) => r?,
                Err(_) => return Ok(None),
            }
        }
    }

    /// Acknowledges whole entries: everything up to and including `positions[0]`
    /// (`cumulative`), or each of them (one frame for all).
    pub async fn ack(&mut self, positions: &[(i64, i64)], cumulative: bool) -> Result<()> {
        if positions.is_empty() {
            return Ok(());
        }
        let partition = self.partition();
        let id = |&(ledger, entry): &(i64, i64)| MessageIdData {
            ledger_id: ledger as u64,
            entry_id: entry as u64,
            partition: Some(partition),
            batch_index: Some(-1),
            ..Default::default()
        };
        let message_id = if cumulative { vec![id(&positions[0])] } else { positions.iter().map(id).collect() };
        let mut c = command(Type::Ack);
        c.ack = Some(CommandAck {
            consumer_id: self.id,
            ack_type: if cumulative { AckType::Cumulative } else { AckType::Individual } as i32,
            message_id,
            ..Default::default()
        });
        self.conn.write(&frame::encode_command(&c)).await
    }

    /// Closes the consumer on the broker (bounded: dropping the consumer closes the
    /// connection, which the broker takes as the same).
    pub async fn close(mut self) {
        let request = self.conn.next_id();
        let mut c = command(Type::CloseConsumer);
        c.close_consumer = Some(CommandCloseConsumer { consumer_id: self.id, request_id: request });
        let closing = self.conn.request(&c, request, "close the consumer");
        if let Ok(Err(e)) = tokio::time::timeout(Duration::from_secs(2), closing).await {
            tracing::debug!("wire: closing our consumer of {}: {e}", self.topic);
        }
    }
}

#[cfg(test)]
#[path = "consumer_tests.rs"]
mod tests;
