//! Entries read as they are stored: a non-durable, exclusive subscription of our own that
//! starts at a given entry (`start_message_id`; the broker puts the cursor just before that
//! entry, so it is the first delivered), one flow permit at a time, and the MESSAGE frame's
//! metadata and payload handed over untouched: never decompressed, never split. That is
//! what the `pulsar` crate's consumer cannot give (it decompresses each entry first, and
//! fails on Snappy and on a chunk of a compressed chunked message).
//!
//! A [`RawReader`] keeps its subscription between fetches: asked for entries in order (as
//! [`crate::pulsar::entries::Recovery`] probes them), it only grants the permits for one more
//! entry (the broker counts a batch's messages: an entry of 10 leaves the consumer 9 in
//! debt); asked for one far ahead or behind, it subscribes again there. Nothing is ever
//! acknowledged; the subscription goes when the consumer is closed.

use std::time::Duration;

use pulsar::proto::base_command::Type;
use pulsar::proto::command_subscribe::{InitialPosition, SubType};
use pulsar::proto::{
    BrokerEntryMetadata, CommandCloseConsumer, CommandFlow, CommandGetLastMessageId, CommandSubscribe, MessageIdData,
    MessageMetadata,
};

use super::conn::{command, Connection};
use super::lookup;
use crate::pulsar::error::{ClientError, Result};
use crate::pulsar::topic::TopicName;
use crate::pulsar::Client;

/// Entries read past (delivered before the one asked for) before subscribing again at it.
const SKIP_AHEAD: usize = 8;
/// How long the broker may take to deliver an entry it has.
const DELIVERY_WAIT: Duration = Duration::from_secs(5);

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawEntry {
    /// `(ledger id, entry id)`.
    pub position: (i64, i64),
    pub metadata: MessageMetadata,
    /// The payload as the producer sent it: compressed, encrypted, a chunk, a whole batch.
    pub payload: Vec<u8>,
    /// What the broker added (its timestamp, the entry index), when it exposes it.
    pub broker_entry_metadata: Option<BrokerEntryMetadata>,
}

/// Reads the entries of one partition (or non-partitioned topic) by position.
pub struct RawReader {
    client: Client,
    topic: TopicName,
    conn: Option<Connection>,
    consumer: Option<u64>,
    /// The last entry delivered to the open consumer.
    last: Option<(i64, i64)>,
    /// An entry delivered after the one asked for (the second field), kept for the next ask.
    held: Option<(RawEntry, (i64, i64))>,
    /// Permits granted to the open consumer, and messages it was sent (a batch counts all
    /// its messages, as the broker counts them).
    granted: i64,
    used: i64,
}

impl RawReader {
    pub fn new(client: &Client, partition_topic: &TopicName) -> RawReader {
        RawReader {
            client: client.clone(),
            topic: partition_topic.clone(),
            conn: None,
            consumer: None,
            last: None,
            held: None,
            granted: 0,
            used: 0,
        }
    }

    /// The entry at `pos`; `None` when the broker delivers none there (an entry it never
    /// dispatches, such as a marker, or one past the end).
    pub async fn fetch(&mut self, pos: (i64, i64)) -> Result<Option<RawEntry>> {
        if let Some((h, asked)) = &self.held {
            if h.position == pos {
                return Ok(self.held.take().map(|(h, _)| h));
            }
            if pos >= *asked && pos < h.position {
                // delivered in order from before `asked` on: nothing is dispatched there
                return Ok(None);
            }
            self.held = None;
        }
        let r = self.fetch_inner(pos).await;
        if r.is_err() {
            // start over on the next fetch: the connection may be gone
            self.conn = None;
            self.consumer = None;
            self.last = None;
        }
        r
    }

    async fn fetch_inner(&mut self, pos: (i64, i64)) -> Result<Option<RawEntry>> {
        let onward = self.consumer.is_some() && self.last.is_some_and(|l| l < pos);
        if !onward {
            self.subscribe(pos).await?;
        }
        let mut skipped = 0;
        loop {
            let Some(e) = self.receive(pos).await? else { return Ok(None) };
            self.last = Some(e.position);
            if e.position == pos {
                return Ok(Some(e));
            }
            if e.position > pos {
                self.held = Some((e, pos));
                return Ok(None);
            }
            skipped += 1;
            if skipped >= SKIP_AHEAD {
                self.subscribe(pos).await?;
                skipped = 0;
            }
        }
    }

    /// A new consumer whose first entry is `pos` (the previous one is closed).
    async fn subscribe(&mut self, pos: (i64, i64)) -> Result<()> {
        self.close_consumer().await;
        if self.conn.is_none() {
            self.conn = Some(lookup::connect_to_owner(&self.client, &self.topic.to_string()).await?);
        }
        let conn = self.conn.as_mut().expect("connected above");
        let consumer = conn.next_id();
        let request = conn.next_id();
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let partition = self.topic.partition_index().map_or(-1, |p| p as i32);
        let mut c = command(Type::Subscribe);
        c.subscribe = Some(CommandSubscribe {
            topic: self.topic.to_string(),
            subscription: format!("pulsar-tui-raw-{}-{nanos}", std::process::id()),
            sub_type: SubType::Exclusive as i32,
            consumer_id: consumer,
            request_id: request,
            consumer_name: Some(format!("pulsar-tui-raw-{}", std::process::id())),
            durable: Some(false),
            start_message_id: Some(MessageIdData {
                ledger_id: pos.0.max(0) as u64,
                entry_id: pos.1.max(0) as u64,
                partition: Some(partition),
                batch_index: Some(-1),
                ..Default::default()
            }),
            read_compacted: Some(false),
            initial_position: Some(InitialPosition::Earliest as i32),
            force_topic_creation: Some(false),
            ..Default::default()
        });
        conn.request(&c, request, &format!("subscribe to {} at {}:{}", self.topic, pos.0, pos.1)).await?;
        self.consumer = Some(consumer);
        self.last = None;
        (self.granted, self.used) = (0, 0);
        Ok(())
    }

    /// The permits for one more entry, and that entry; `None` when there is none (the
    /// partition's last entry is before `pos`).
    async fn receive(&mut self, pos: (i64, i64)) -> Result<Option<RawEntry>> {
        let (Some(conn), Some(consumer)) = (self.conn.as_mut(), self.consumer) else {
            return Err(ClientError::Binary("raw read without a consumer".into()));
        };
        let permits = (self.used - self.granted + 1).max(1);
        let mut c = command(Type::Flow);
        c.flow = Some(CommandFlow { consumer_id: consumer, message_permits: permits as u32 });
        conn.write(&super::frame::encode_command(&c)).await?;
        self.granted += permits;
        let wait = DELIVERY_WAIT.min(conn.timeout);
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let conn = self.conn.as_mut().expect("checked above");
            let f = match conn.next_frame_within(left).await {
                Ok(f) => f,
                Err(ClientError::Timeout { .. }) => return self.nothing_came(pos, wait).await,
                Err(e) => return Err(e),
            };
            let cmd = &f.command;
            if let Some(m) = cmd.message.as_ref().filter(|m| m.consumer_id == consumer) {
                let at = (m.message_id.ledger_id as i64, m.message_id.entry_id as i64);
                let p = f.payload.ok_or_else(|| ClientError::Protocol {
                    what: format!("entry {}:{} of {}", at.0, at.1, self.topic),
                    reason: "a MESSAGE without a payload".into(),
                })?;
                self.used += i64::from(p.metadata.num_messages_in_batch.unwrap_or(1).max(1));
                return Ok(Some(RawEntry {
                    position: at,
                    metadata: p.metadata,
                    payload: p.data,
                    broker_entry_metadata: p.broker_entry_metadata,
                }));
            }
            if cmd.close_consumer.as_ref().is_some_and(|c| c.consumer_id == consumer) {
                self.consumer = None;
                return Err(ClientError::Binary(format!("the broker closed our reader of {}", self.topic)));
            }
            if cmd.reached_end_of_topic.as_ref().is_some_and(|c| c.consumer_id == consumer) {
                return Ok(None);
            }
        }
    }

    /// Nothing was delivered in time: `None` when the partition ends before `pos` (nothing to
    /// deliver), else a timeout (never taken as "no entry there").
    async fn nothing_came(&mut self, pos: (i64, i64), waited: Duration) -> Result<Option<RawEntry>> {
        let (Some(conn), Some(consumer)) = (self.conn.as_mut(), self.consumer) else {
            return Err(ClientError::Binary("raw read without a consumer".into()));
        };
        let request = conn.next_id();
        let mut c = command(Type::GetLastMessageId);
        c.get_last_message_id = Some(CommandGetLastMessageId { consumer_id: consumer, request_id: request });
        let answer = conn.request(&c, request, &format!("last message of {}", self.topic)).await?;
        let last =
            answer.get_last_message_id_response.map(|r| (r.last_message_id.ledger_id, r.last_message_id.entry_id));
        // a permit is still out: this consumer's next entry would come unasked
        self.close_consumer().await;
        match last {
            Some((l, e)) if (l as i64, e as i64) < pos => Ok(None),
            _ => Err(ClientError::Timeout {
                what: format!("entry {}:{} of {} (the broker delivered nothing)", pos.0, pos.1, self.topic),
                after: waited,
            }),
        }
    }

    async fn close_consumer(&mut self) {
        let (Some(conn), Some(consumer)) = (self.conn.as_mut(), self.consumer.take()) else { return };
        self.last = None;
        let request = conn.next_id();
        let mut c = command(Type::CloseConsumer);
        c.close_consumer = Some(CommandCloseConsumer { consumer_id: consumer, request_id: request });
        if let Err(e) = conn.request(&c, request, "close the raw reader").await {
            tracing::debug!("wire: closing the raw reader of {}: {e}", self.topic);
            self.conn = None;
        }
    }

    /// Closes the subscription on the broker (dropping the reader closes the connection,
    /// which the broker takes as the same).
    pub async fn close(mut self) {
        self.close_consumer().await;
    }
}

/// The entry at `pos` of `partition_topic`, read once (see [`RawReader`]).
pub async fn fetch_entry(client: &Client, partition_topic: &TopicName, pos: (i64, i64)) -> Result<Option<RawEntry>> {
    let mut r = RawReader::new(client, partition_topic);
    let e = r.fetch(pos).await;
    r.close().await;
    e
}
