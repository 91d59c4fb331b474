//! Entries the `pulsar` crate's consumer cannot hand over, read again by position.
//!
//! The crate decompresses every entry before splitting its batch, and on failure it yields
//! an error without the message id and goes on with the next entry. That happens to real
//! clients' messages: Snappy (the crate reads the framing format, the Java, C++ and Python
//! clients write raw blocks), encrypted batches (a batch of ciphertext does not parse),
//! encrypted and compressed messages, compressed chunks (each chunk alone does not
//! decompress). The crate offers no lower-level consumer API that would hand over the raw
//! entry (its connection module is private), so [`Recovery`] finds the entry the consumer
//! failed on (entries come in position order on one partition: it is the first entry after
//! the last one handed over that the crate cannot read) and reads it as stored through our
//! own protocol client ([`crate::pulsar::wire::RawReader`]): its metadata and payload,
//! decompressed by our codecs, or kept compressed when it is a chunk (the chunks are put
//! together, then decompressed once). Every message of it becomes a row: decoded, or with
//! its error. One bad entry never ends a read, a scan or a requeue.
//!
//! Why the raw read comes first and the admin API's get-entry (`GET …/ledger/{l}/entry/{e}`)
//! only when the raw read fails: the raw read covers every case the admin API does
//! (Snappy, encrypted, batches) and the one it cannot (the 4.0 broker decompresses a chunk of
//! a compressed chunked message alone, fails, and never answers); it gives the bytes as the
//! producer wrote them, decoded by the same codecs as every chunked message; and it needs
//! only what reading already needs (the binary protocol, consume permission). The admin API
//! stays as the fallback for what could stop a raw read and not the admin API (a proxy or a
//! broker refusing non-durable subscriptions, a lost connection): it costs nothing unused.

mod ledgers;
mod split;

use std::collections::{BTreeMap, VecDeque};

pub use ledgers::LedgerMap;
pub use split::{split_entry, split_raw, split_shared, EntryHeaders};

use super::chunks::ChunkAssembler;
use super::error::Result;
use super::message::{Message, MessageId, MessageMeta};
use super::topic::TopicName;
use super::wire::RawReader;
use super::Client;

/// How long the admin API may take to answer for one entry.
const ENTRY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// Entries tried after the last good one before giving up on finding the failed entry (the
/// gap holds entries the consumer never gets: acknowledged ones, transaction markers).
const MAX_PROBES: usize = 64;

/// True for the consumer errors that concern one entry (the stream goes on after them); any
/// other error (a lost connection...) still ends the read.
pub fn is_entry_error(e: &pulsar::Error) -> bool {
    use pulsar::error::{ConnectionError, ConsumerError};
    matches!(
        e,
        pulsar::Error::Consumer(ConsumerError::Io(_))
            | pulsar::Error::Consumer(ConsumerError::Connection(ConnectionError::Decoding(_)))
            | pulsar::Error::Connection(ConnectionError::Decoding(_))
    )
}

/// Where the consumer of one partition started.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    Earliest,
    /// At or just after this message (its entry is where the broker starts).
    Message(MessageId),
    /// A durable subscription: after its mark-delete position.
    Subscription(String),
}

/// The messages of one partition in entry order: what the consumer hands over, chunks put
/// back together, and the entries it failed on read again through the admin API.
pub struct Recovery {
    partition_topic: TopicName,
    partition: i32,
    origin: Origin,
    /// The last entry handed over.
    last: Option<(i64, i64)>,
    ledgers: Option<LedgerMap>,
    chunks: ChunkAssembler,
    ready: VecDeque<Message>,
    /// The partition's last message when the read started, when known.
    end: Option<MessageId>,
    /// Nothing more is read from the consumer: what `ready` holds is all that is left.
    drained: bool,
    /// Our reader of entries as stored, opened on the first unreadable entry.
    raw: Option<RawReader>,
}

impl Recovery {
    pub fn new(partition_topic: TopicName, origin: Origin) -> Recovery {
        let partition = partition_topic.partition_index().map_or(-1, |p| p as i32);
        Recovery {
            partition_topic,
            partition,
            origin,
            last: None,
            ledgers: None,
            chunks: ChunkAssembler::default(),
            ready: VecDeque::new(),
            end: None,
            drained: false,
            raw: None,
        }
    }

    /// The partition's last message when the read started: reaching it drains the partition.
    pub fn with_end(self, end: Option<MessageId>) -> Recovery {
        Recovery { end, ..self }
    }

    /// A message from the consumer.
    pub fn accept(&mut self, m: Message) {
        let id = m.id;
        self.last = Some((id.ledger, id.entry));
        if m.meta.chunk.is_none() && self.chunks.is_idle() {
            self.ready.push_back(m);
        } else {
            self.ready.extend(self.chunks.push(m));
        }
        if !self.drained && self.end.is_some_and(|end| id.reached(&end)) {
            self.close();
        }
    }

    /// Every message of the entry at `pos` was accepted (an entry read whole, as our own
    /// consumer reads them): reaching the end's entry is the end, even when the entry's last
    /// row does not carry the end's batch index (an encrypted batch is one row).
    pub fn entry_done(&mut self, pos: (i64, i64)) {
        self.last = Some(pos);
        if !self.drained && self.end.is_some_and(|end| pos >= (end.ledger, end.entry)) {
            self.close();
        }
    }

    /// True for a message stored after the read started (past the end it knew).
    pub fn beyond_end(&self, m: &Message) -> bool {
        self.end.is_some_and(|end| (m.id.ledger, m.id.entry) > (end.ledger, end.entry))
    }

    /// Nothing more is read from the consumer (its end was reached or it went quiet).
    pub fn drained(&self) -> bool {
        self.drained
    }

    /// The next message ready to hand out.
    pub fn pop(&mut self) -> Option<Message> {
        self.ready.pop_front()
    }

    /// The partition ended (or the read stops): incomplete chunked messages become rows, and
    /// nothing more is read.
    pub fn close(&mut self) {
        self.ready.extend(self.chunks.flush());
        self.drained = true;
        // dropping the reader closes its connection, and the broker its subscription
        self.raw = None;
    }

    /// The first entry of a chunked message still being put together.
    pub fn oldest_pending_chunk(&self) -> Option<(i64, i64)> {
        self.chunks.oldest()
    }

    /// The consumer failed on the entry after the last one handed over: find it and read it
    /// as stored (through the admin API if that fails). Never fails: what cannot be read
    /// becomes a row with its error.
    pub async fn recover(&mut self, client: &Client, consumer_error: &str) {
        // boxed: reading raw (a connection, a lookup, a subscription) is a large future,
        // rarely polled; inline it made every reader's future overflow a 2 MiB stack in
        // debug builds (a test's block_on)
        let found = Box::pin(self.find_and_read(client, consumer_error)).await;
        let messages = match found {
            Ok(Some(ms)) => ms,
            Ok(None) => {
                tracing::warn!(
                    "{}: the consumer failed on an entry after {:?} that the broker does not show: {consumer_error}",
                    self.partition_topic,
                    self.last
                );
                return;
            }
            Err((pos, e)) => {
                self.last = Some(pos);
                vec![self.unreadable(pos, consumer_error, &e)]
            }
        };
        for m in messages {
            self.accept(m);
        }
        // a recovered entry is whole: reaching the end's entry is the end
        if !self.drained && self.last.zip(self.end).is_some_and(|(l, end)| l >= (end.ledger, end.entry)) {
            self.close();
        }
    }

    async fn ledger_map(&mut self, client: &Client, refresh: bool) -> Result<&LedgerMap> {
        if refresh || self.ledgers.is_none() {
            let v: serde_json::Value =
                client.admin.get_json(&format!("/admin/v2/{}/internalStats", self.partition_topic.rest_path())).await?;
            self.ledgers = Some(LedgerMap::from_internal_stats(&v));
        }
        Ok(self.ledgers.as_ref().expect("set above"))
    }

    /// The first candidate entry: after the last one handed over, else where the consumer
    /// started.
    async fn first_candidate(&mut self, client: &Client) -> Result<Option<(i64, i64)>> {
        let last = self.last;
        let origin = self.origin.clone();
        let map = self.ledger_map(client, true).await?;
        Ok(match (last, origin) {
            (Some(pos), _) => map.next_after(pos),
            (None, Origin::Earliest) => map.first(),
            (None, Origin::Message(id)) => Some((id.ledger, id.entry)),
            (None, Origin::Subscription(s)) => map.after_mark_delete(&s).or_else(|| map.first()),
        })
    }

    /// Walks the entries after the last good one to the first the consumer cannot read;
    /// `Err((position, reason))` when that entry cannot be read, raw or through the admin API.
    async fn find_and_read(
        &mut self,
        client: &Client,
        consumer_error: &str,
    ) -> std::result::Result<Option<Vec<Message>>, ((i64, i64), String)> {
        let mut pos = match self.first_candidate(client).await {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(None),
            Err(e) => {
                let guess = self.last.map(|(l, e)| (l, e + 1)).unwrap_or((-1, -1));
                return Err((guess, format!("its position could not be found: {e}")));
            }
        };
        let subscription = match &self.origin {
            Origin::Subscription(s) => Some(s.clone()),
            _ => None,
        };
        for _ in 0..MAX_PROBES {
            let acked =
                subscription.as_deref().is_some_and(|s| self.ledgers.as_ref().is_some_and(|m| m.acknowledged(s, pos)));
            let read = if acked {
                // acknowledged earlier: never delivered, so not the entry the consumer failed on
                None
            } else {
                Some(self.read_at(client, pos).await)
            };
            match read {
                None => {}
                Some(Ok(entry)) if !entry.consumer_fails_on => {
                    // an entry the consumer reads (so it was skipped: a marker...)
                }
                Some(Ok(entry)) => {
                    self.last = Some(pos);
                    return Ok(Some(entry.messages));
                }
                Some(Err(e)) => return Err((pos, e.to_string())),
            }
            let next = self.ledgers.as_ref().and_then(|m| m.next_after(pos));
            match next {
                Some(n) => pos = n,
                None => return Ok(None),
            }
        }
        tracing::warn!(
            "{}: no unreadable entry within {MAX_PROBES} entries after {:?} ({consumer_error})",
            self.partition_topic,
            self.last
        );
        Ok(None)
    }

    /// The entry at `pos`, read as stored; through the admin API when the raw read fails.
    /// A raw read that finds nothing there (an entry the broker never dispatches) is an
    /// entry the consumer reads (it skips it too).
    async fn read_at(&mut self, client: &Client, pos: (i64, i64)) -> Result<ReadEntry> {
        let raw = self.raw.get_or_insert_with(|| RawReader::new(client, &self.partition_topic));
        let raw_error = match raw.fetch(pos).await {
            Ok(Some(e)) => {
                let h = EntryHeaders::from_metadata(&e.metadata);
                let id = MessageId { ledger: pos.0, entry: pos.1, partition: self.partition, batch: -1 };
                let messages = split_raw(&self.partition_topic.to_string(), id, &h, e.payload);
                return Ok(ReadEntry { consumer_fails_on: h.consumer_fails_on(), messages });
            }
            Ok(None) => return Ok(ReadEntry { messages: Vec::new(), consumer_fails_on: false }),
            Err(e) => e,
        };
        tracing::info!(
            "{}: raw read of {}:{} failed ({raw_error}); asking the admin API",
            self.partition_topic,
            pos.0,
            pos.1
        );
        read_entry(client, &self.partition_topic, self.partition, pos).await.map_err(|admin| {
            super::error::ClientError::Binary(format!(
                "the raw read said \"{raw_error}\", the admin API said \"{admin}\""
            ))
        })
    }

    /// The row of an entry that neither the consumer nor our reads could read.
    fn unreadable(&self, pos: (i64, i64), consumer_error: &str, read_error: &str) -> Message {
        let id = MessageId { ledger: pos.0, entry: pos.1, partition: self.partition, batch: -1 };
        let mut m = empty_message(self.partition_topic.to_string(), id);
        m.meta.error = Some(format!(
            "entry {}:{} cannot be read: the client said \"{consumer_error}\"; {read_error}",
            pos.0, pos.1
        ));
        m
    }
}

fn empty_message(topic: String, id: MessageId) -> Message {
    Message {
        topic,
        id,
        key: None,
        key_is_base64: false,
        ordering_key: None,
        properties: BTreeMap::new(),
        publish_time_ms: 0,
        event_time_ms: None,
        producer: String::new(),
        sequence_id: -1,
        schema_version: None,
        redelivery_count: None,
        compression: None,
        payload: Vec::new(),
        meta: MessageMeta::default(),
    }
}

/// One entry read through the admin API.
pub struct ReadEntry {
    pub messages: Vec<Message>,
    /// The `pulsar` crate's consumer fails on this entry (so it is the one it reported).
    pub consumer_fails_on: bool,
}

/// Reads one entry by position and splits it into its messages.
pub async fn read_entry(
    client: &Client,
    partition_topic: &TopicName,
    partition: i32,
    pos: (i64, i64),
) -> Result<ReadEntry> {
    let path = format!("/admin/v2/{}/ledger/{}/entry/{}", partition_topic.rest_path(), pos.0, pos.1);
    // the 4.0 broker never answers this call for a chunk of a compressed chunked message (its
    // decompression throws inside the read callback): wait a short while only
    let (headers, body) = tokio::time::timeout(ENTRY_TIMEOUT, client.admin.get_raw(&path)).await.map_err(|_| {
        super::error::ClientError::Timeout {
            what: format!(
                "reading entry {}:{} of {partition_topic} (the broker does not answer for a chunk of a compressed \
                 chunked message)",
                pos.0, pos.1
            ),
            after: ENTRY_TIMEOUT,
        }
    })??;
    let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let entry = EntryHeaders::from_lookup(&h);
    let id = MessageId { ledger: pos.0, entry: pos.1, partition, batch: -1 };
    Ok(ReadEntry {
        consumer_fails_on: entry.consumer_fails_on(),
        messages: split_entry(&partition_topic.to_string(), id, &entry, body),
    })
}

#[cfg(test)]
mod tests;
