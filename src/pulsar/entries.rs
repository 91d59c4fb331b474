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
//! the last one handed over that the crate cannot read) and asks the admin API for it
//! (`GET …/ledger/{l}/entry/{e}`, which the broker answers decompressed unless encrypted).
//! Every message of it becomes a row: decoded, or with its error. One bad entry never ends
//! a read, a scan or a requeue.

use std::collections::{BTreeMap, VecDeque};

use base64::Engine;
// the pulsar crate's generated protobuf types implement prost 0.13's `Message`
use prost013::Message as _;

use super::chunks::ChunkAssembler;
use super::error::Result;
use super::message::{ChunkInfo, Encryption, Message, MessageId, MessageMeta};
use super::topic::TopicName;
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

/// The ledgers of one partition with their entry counts, from its internal stats.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LedgerMap {
    /// `(ledger id, entries)` in order; the open ledger's count comes from the last
    /// confirmed entry (its own count reads 0 while it is open).
    ledgers: Vec<(i64, i64)>,
    /// The subscriptions' mark-delete positions.
    mark_deleted: BTreeMap<String, (i64, i64)>,
    /// The subscriptions' entries acknowledged one by one after it: `(after, up to]` ranges.
    deleted: BTreeMap<String, Vec<DeletedRange>>,
}

/// `(after, up to]`: entries acknowledged one by one, as `(ledger id, entry id)` positions.
type DeletedRange = ((i64, i64), (i64, i64));

/// `[(3:4..3:7], (3:9..3:10]]`: the `individuallyDeletedMessages` of a cursor.
fn deleted_ranges(s: &str) -> Vec<DeletedRange> {
    s.trim_matches(|c| c == '[' || c == ']')
        .split("],")
        .filter_map(|r| {
            let r = r.trim().trim_start_matches('(').trim_end_matches(']');
            let (from, to) = r.split_once("..")?;
            Some((position(from.trim())?, position(to.trim())?))
        })
        .collect()
}

fn position(s: &str) -> Option<(i64, i64)> {
    let (l, e) = s.split_once(':')?;
    Some((l.parse().ok()?, e.parse().ok()?))
}

impl LedgerMap {
    pub fn from_internal_stats(v: &serde_json::Value) -> LedgerMap {
        let last = v["lastConfirmedEntry"].as_str().and_then(position);
        let ledgers = v["ledgers"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|l| {
                        let id = l["ledgerId"].as_i64()?;
                        let mut n = l["entries"].as_i64().unwrap_or(0);
                        if let Some((_, le)) = last.filter(|(ll, _)| *ll == id) {
                            n = n.max(le + 1);
                        }
                        Some((id, n))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let cursors = v["cursors"].as_object();
        let mark_deleted = cursors
            .map(|c| {
                c.iter()
                    .filter_map(|(name, c)| Some((name.clone(), position(c["markDeletePosition"].as_str()?)?)))
                    .collect()
            })
            .unwrap_or_default();
        let deleted = cursors
            .map(|c| {
                c.iter()
                    .map(|(name, c)| (name.clone(), c["individuallyDeletedMessages"].as_str().map(deleted_ranges)))
                    .filter_map(|(name, r)| Some((name, r?)))
                    .collect()
            })
            .unwrap_or_default();
        LedgerMap { ledgers, mark_deleted, deleted }
    }

    /// The first entry stored.
    pub fn first(&self) -> Option<(i64, i64)> {
        self.ledgers.iter().find(|(_, n)| *n > 0).map(|(l, _)| (*l, 0))
    }

    /// The entry after `pos`, or `None` past the last one (as far as this map knows).
    pub fn next_after(&self, pos: (i64, i64)) -> Option<(i64, i64)> {
        let (l, e) = pos;
        if let Some((_, n)) = self.ledgers.iter().find(|(id, _)| *id == l) {
            if e + 1 < *n {
                return Some((l, e + 1));
            }
        }
        self.ledgers.iter().find(|(id, n)| *id > l && *n > 0).map(|(id, _)| (*id, 0))
    }

    /// True when `subscription` has acknowledged the entry at `pos` (the broker does not
    /// deliver it to that subscription again).
    pub fn acknowledged(&self, subscription: &str, pos: (i64, i64)) -> bool {
        self.mark_deleted.get(subscription).is_some_and(|md| pos <= *md)
            || self.deleted.get(subscription).is_some_and(|r| r.iter().any(|(after, to)| pos > *after && pos <= *to))
    }

    /// Where a durable subscription resumes: the entry after its mark-delete position.
    pub fn after_mark_delete(&self, subscription: &str) -> Option<(i64, i64)> {
        let md = *self.mark_deleted.get(subscription)?;
        self.next_after(md).or(Some((md.0, md.1 + 1)))
    }
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
    }

    /// The first entry of a chunked message still being put together.
    pub fn oldest_pending_chunk(&self) -> Option<(i64, i64)> {
        self.chunks.oldest()
    }

    /// The consumer failed on the entry after the last one handed over: find it and read it
    /// through the admin API. Never fails: what cannot be read becomes a row with its error.
    pub async fn recover(&mut self, client: &Client, consumer_error: &str) {
        let found = self.find_and_read(client, consumer_error).await;
        let messages = match found {
            Ok(Some(ms)) => ms,
            Ok(None) => {
                tracing::warn!(
                    "{}: the consumer failed on an entry after {:?} that the admin API does not show: {consumer_error}",
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
    /// `Err((position, reason))` when that entry cannot be read through the admin API either.
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
                Some(read_entry(client, &self.partition_topic, self.partition, pos).await)
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

    /// The row of an entry that neither the consumer nor the admin API could read.
    fn unreadable(&self, pos: (i64, i64), consumer_error: &str, admin_error: &str) -> Message {
        let id = MessageId { ledger: pos.0, entry: pos.1, partition: self.partition, batch: -1 };
        let mut m = empty_message(self.partition_topic.to_string(), id);
        m.meta.error = Some(format!(
            "entry {}:{} cannot be read: the client said \"{consumer_error}\", the admin API said \"{admin_error}\"",
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

/// What the broker's headers say about an entry (`X-Pulsar-…`).
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
    let base = |id: MessageId, payload: Vec<u8>| Message {
        topic: topic.to_string(),
        id,
        key: h.key.clone(),
        key_is_base64: h.key_is_base64,
        ordering_key: None,
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
            null_key: false,
            uncompressed_size: h.uncompressed_size,
            error: None,
        },
    };
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
    let Some(n) = h.batch else { return vec![base(id, body)] };
    match split_batch(&body, n) {
        Ok(members) => members
            .into_iter()
            .enumerate()
            .map(|(i, (smd, payload))| {
                let mut m = base(MessageId { batch: i as i32, ..id }, payload);
                m.properties = smd.properties.into_iter().map(|kv| (kv.key, kv.value)).collect();
                m.key = smd.partition_key;
                m.key_is_base64 = smd.partition_key_b64_encoded.unwrap_or(false);
                m.ordering_key = smd.ordering_key;
                m.event_time_ms = smd.event_time.filter(|t| *t > 0).map(|t| t as i64);
                m.sequence_id = smd.sequence_id.map_or(h.sequence_id + i as i64, |s| s as i64);
                m.meta.null_value = smd.null_value.unwrap_or(false);
                m.meta.null_key = smd.null_partition_key.unwrap_or(false);
                m
            })
            .collect(),
        Err(e) => {
            let mut m = base(id, body);
            m.meta.error = Some(format!("a batch of {n} messages that does not split: {e}"));
            vec![m]
        }
    }
}

fn split_batch(
    mut body: &[u8],
    n: u32,
) -> std::result::Result<Vec<(pulsar::proto::SingleMessageMetadata, Vec<u8>)>, String> {
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n {
        let short = || format!("member {i} is cut short");
        let size = body.get(..4).ok_or_else(short)?;
        let size = u32::from_be_bytes(size.try_into().expect("4 bytes")) as usize;
        let md = body.get(4..4 + size).ok_or_else(short)?;
        let md = pulsar::proto::SingleMessageMetadata::decode(md).map_err(|e| format!("member {i}: {e}"))?;
        let len = usize::try_from(md.payload_size).map_err(|_| format!("member {i}: negative size"))?;
        let payload = body.get(4 + size..4 + size + len).ok_or_else(short)?.to_vec();
        body = &body[4 + size + len..];
        out.push((md, payload));
    }
    Ok(out)
}

#[cfg(test)]
#[path = "entries_tests.rs"]
mod tests;
