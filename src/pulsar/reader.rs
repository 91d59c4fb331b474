//! Reading a topic without side effects: non-durable readers only (no subscription is
//! created and no cursor moves), one per partition, merged by publish time.
//!
//! A scan ([`TopicReader::open_scan`]: the headless `read` without `--follow`) reads with
//! our own consumer ([`super::wire::consumer`]: entries as stored, split in place, no task
//! hand-off); follow mode and the browser's pages read with the `pulsar` crate's.

use std::collections::VecDeque;
use std::pin::Pin;
use std::time::Duration;

use futures::stream::{SelectAll, Stream, StreamExt};
use pulsar::consumer::{Consumer, ConsumerOptions, InitialPosition};
use pulsar::{SubType, TokioExecutor};

use super::entries::{is_entry_error, split_shared, EntryHeaders, Origin, Recovery};
use super::error::{ClientError, Result};
use super::message::{Message, MessageId, StartFrom};
use super::topic::TopicName;
use super::wire::consumer::{receive_queue, Received, Subscription, WireConsumer};
use super::{binary_error, Client};

/// A partition's consumer in follow mode, its items tagged with the partition's index.
type LiveStream =
    Pin<Box<dyn Stream<Item = (usize, std::result::Result<pulsar::consumer::Message<Vec<u8>>, pulsar::Error>)> + Send>>;

/// How long a partition that is known to hold more messages may stay silent.
const STALL: Duration = Duration::from_secs(30);
/// Subscribing, and asking the last message id, must answer within this.
const OPEN_TIMEOUT: Duration = Duration::from_secs(20);
/// How long to wait on a partition whose end is unknown before calling it done.
const UNSURE_IDLE: Duration = Duration::from_millis(1500);

/// The last message of one partition now (its batch index included: the last message of a
/// batch, not its first), `None` when it holds nothing; asked with a timeout, as pulsar-rs
/// has none of its own.
pub(super) async fn last_message_id(
    consumer: &mut Consumer<Vec<u8>, TokioExecutor>,
    url: &str,
    partition: &TopicName,
) -> Result<Option<MessageId>> {
    let last = tokio::time::timeout(OPEN_TIMEOUT, consumer.get_last_message_id())
        .await
        .map_err(|_| ClientError::Timeout {
            what: format!("asking the last message id of {partition}"),
            after: OPEN_TIMEOUT,
        })?
        .map_err(|e| binary_error(url, e))?;
    Ok(last.first().map(MessageId::from_proto).filter(|id| id.ledger >= 0 && id.entry >= 0))
}

/// Where one partition starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartStart {
    Earliest,
    Latest,
    /// At this message (inclusive).
    At(MessageId),
    /// Just after this message (exclusive): where the previous page ended.
    After(MessageId),
}

/// A resumable position in a (possibly partitioned) topic: one start per partition. The
/// browser keeps one per page, so any page can be read again with fresh readers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub parts: Vec<PartStart>,
}

/// A non-durable, exclusive consumer that never acknowledges: a reader without pulsar-rs's
/// `Reader`, which acknowledges every message (one CommandAck frame and a few KB moved
/// through its engine per message: 4-5x slower, ~1 GB of RSS per million messages).
/// Acknowledging is useless here: the subscription is in memory and ends with the consumer.
type PartReader = Consumer<Vec<u8>, TokioExecutor>;

/// A subscription name no other reader uses (the broker refuses a second exclusive consumer).
fn reader_subscription() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("pulsar-tui-reader-{:x}-{}-{}", nanos, std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed))
}

struct Part {
    topic: String,
    reader: Option<PartReader>,
    /// Our own consumer instead of `reader` (a scan).
    wire: Option<WireConsumer>,
    start: PartStart,
    /// The last message id when the read started; `None` when the broker could not say.
    end: Option<MessageId>,
    head: Option<Message>,
    /// Chunks reassembled, entries the consumer failed on read again (`entries`); drained
    /// once the consumer reached `end` (or went idle with no end known).
    recovery: Recovery,
    done: bool,
    /// The last message handed out from this partition.
    emitted: Option<MessageId>,
}

/// What reads one partition: the crate's reader, or our own consumer (a scan).
enum Source {
    Reader(PartReader),
    Wire(WireConsumer),
}

impl Part {
    /// A partition read from `start` up to `end`; done at once when nothing is left
    /// (a finished partition's consumer is dropped unstarted).
    fn new(name: &TopicName, source: Source, start: PartStart, end: Option<MessageId>) -> Part {
        let (recovery, done) = part_recovery(name, &start, end);
        let (reader, wire) = match source {
            Source::Reader(r) => (Some(r), None),
            Source::Wire(w) => (None, (!done).then_some(w)),
        };
        Part { topic: name.to_string(), reader, wire, start, end, head: None, recovery, done, emitted: None }
    }

    /// Messages the broker delivers again at the start of a read (whole entries from the
    /// start position) but that come before the requested start.
    fn skips(&self, m: &Message) -> bool {
        match self.start {
            PartStart::At(s) => (m.id.ledger, m.id.entry) == (s.ledger, s.entry) && m.id.batch < s.batch,
            PartStart::After(s) => (m.id.ledger, m.id.entry, m.id.batch) <= (s.ledger, s.entry, s.batch),
            _ => false,
        }
    }
}

/// A merged, read-only view of a topic from a start position on.
pub struct TopicReader {
    parts: Vec<Part>,
    ready: VecDeque<Message>,
    skip: u64,
    follow: bool,
    live: Option<SelectAll<LiveStream>>,
    service_url: String,
    client: Client,
}

/// The recovery of one partition read from `start` up to `end` (its last message when the
/// reader opened), closed when nothing is left to read; and whether nothing is.
fn part_recovery(name: &TopicName, start: &PartStart, end: Option<MessageId>) -> (Recovery, bool) {
    let nothing_left = match (end, start) {
        (_, PartStart::Latest) => true,
        (Some(end), PartStart::At(s)) => (s.ledger, s.entry) > (end.ledger, end.entry),
        (Some(end), PartStart::After(s)) => s.reached(&end),
        _ => false,
    };
    let origin = match start {
        PartStart::At(id) | PartStart::After(id) => Origin::Message(*id),
        PartStart::Earliest | PartStart::Latest => Origin::Earliest,
    };
    let mut recovery = Recovery::new(name.clone(), origin).with_end(end);
    if nothing_left {
        recovery.close();
    }
    (recovery, nothing_left)
}

/// The partitions of a topic as readable topic names (the topic itself when not partitioned).
/// Fails with `NotFound` when the topic does not exist, so that reading never creates it.
pub async fn partitions_of(client: &Client, topic: &TopicName) -> Result<Vec<TopicName>> {
    if topic.partition_index().is_some() {
        return Ok(vec![topic.clone()]);
    }
    let n = match client.admin.partition_count(topic).await {
        Err(ClientError::NotFound { .. }) => return Err(ClientError::NotFound { what: format!("topic {topic}") }),
        other => other?,
    };
    if n > 0 {
        return Ok((0..n).map(|i| topic.partition(i)).collect());
    }
    // not partitioned: make sure it exists (a reader would create it)
    let path = format!("/admin/v2/{}/stats", topic.rest_path());
    match client.admin.get_json::<serde_json::Value>(&path).await {
        Ok(_) => Ok(vec![topic.clone()]),
        Err(ClientError::NotFound { .. }) => Err(ClientError::NotFound { what: format!("topic {topic}") }),
        Err(e) => Err(e),
    }
}

/// Turns a user's start position into one start per partition (asking the admin API where
/// times and "N before latest" fall).
async fn resolve(client: &Client, topic: &TopicName, names: &[TopicName], start: &StartFrom) -> Result<Vec<PartStart>> {
    let partitioned = names.len() > 1 || names[0] != *topic;
    let mut out = Vec::with_capacity(names.len());
    match start {
        StartFrom::Earliest | StartFrom::AfterEarliest(_) => out.resize(names.len(), PartStart::Earliest),
        StartFrom::Latest => out.resize(names.len(), PartStart::Latest),
        StartFrom::BeforeLatest(n) => {
            for name in names {
                let id = client.admin.examine_message_id(name, true, (*n).max(1)).await?;
                out.push(id.map(PartStart::At).unwrap_or(PartStart::Earliest));
            }
        }
        StartFrom::Time(t) => {
            for name in names {
                out.push(PartStart::At(client.admin.message_id_by_time(name, *t).await?));
            }
        }
        StartFrom::Id(id) if !partitioned => out.push(PartStart::At(MessageId { partition: -1, ..*id })),
        StartFrom::Id(id) => {
            let p = usize::try_from(id.partition).ok().filter(|p| *p < names.len()).ok_or_else(|| {
                ClientError::Invalid(format!(
                    "message id {id} names no partition of {topic} (it has {}): use ledger:entry:partition",
                    names.len()
                ))
            })?;
            // the other partitions start at the publish time of that message
            let time = publish_time_of(client, &names[p], *id).await?;
            for (i, name) in names.iter().enumerate() {
                if i == p {
                    out.push(PartStart::At(*id));
                } else {
                    out.push(PartStart::At(client.admin.message_id_by_time(name, time).await?));
                }
            }
        }
    }
    Ok(out)
}

impl TopicReader {
    fn of_parts(parts: Vec<Part>, follow: bool, service_url: String, client: &Client) -> TopicReader {
        TopicReader { parts, ready: VecDeque::new(), skip: 0, follow, live: None, service_url, client: client.clone() }
    }

    /// Opens one reader per partition at `start`. With `follow`, reading goes on past the
    /// messages that existed at open time; without, it ends there.
    pub async fn open(client: &Client, topic: &TopicName, start: &StartFrom, follow: bool) -> Result<TopicReader> {
        TopicReader::open_with(client, topic, start, follow, false).await
    }

    /// [`TopicReader::open`] without following, read with our own consumer: what a scan of
    /// a backlog reads with (see the module docs).
    pub async fn open_scan(client: &Client, topic: &TopicName, start: &StartFrom) -> Result<TopicReader> {
        TopicReader::open_with(client, topic, start, false, true).await
    }

    async fn open_with(
        client: &Client,
        topic: &TopicName,
        start: &StartFrom,
        follow: bool,
        wire: bool,
    ) -> Result<TopicReader> {
        let names = partitions_of(client, topic).await?;
        let starts = resolve(client, topic, &names, start).await?;
        let mut r = if wire {
            TopicReader::open_wire(client, &names, starts).await?
        } else {
            TopicReader::open_parts(client, &names, starts, follow).await?
        };
        if let StartFrom::AfterEarliest(n) = start {
            r.skip = *n;
        }
        if let StartFrom::BeforeLatest(n) = start {
            // keep only the last n (the per-partition starts may hold more in total)
            let keep = *n as usize;
            let follow = std::mem::replace(&mut r.follow, false);
            let mut ring = VecDeque::with_capacity(keep.min(1 << 16));
            while let Some(m) = r.next_catch_up().await? {
                if ring.len() == keep {
                    ring.pop_front();
                }
                if keep > 0 {
                    ring.push_back(m);
                }
            }
            r.ready = ring;
            r.follow = follow;
        }
        Ok(r)
    }

    /// Opens readers at a cursor taken earlier with [`TopicReader::cursor`].
    pub async fn open_at(client: &Client, topic: &TopicName, cursor: &Cursor, follow: bool) -> Result<TopicReader> {
        let names = partitions_of(client, topic).await?;
        if names.len() != cursor.parts.len() {
            return Err(ClientError::Invalid(format!(
                "{topic} now has {} partitions, the saved position {}: start again",
                names.len(),
                cursor.parts.len()
            )));
        }
        TopicReader::open_parts(client, &names, cursor.parts.clone(), follow).await
    }

    async fn open_parts(
        client: &Client,
        names: &[TopicName],
        starts: Vec<PartStart>,
        follow: bool,
    ) -> Result<TopicReader> {
        let pulsar = client.pulsar().await?;
        let url = client.target.service_url.clone();
        let mut parts = Vec::with_capacity(names.len());
        for (name, start) in names.iter().zip(starts) {
            let mut options = ConsumerOptions::default().durable(false).with_initial_position(match start {
                PartStart::Latest => InitialPosition::Latest,
                _ => InitialPosition::Earliest,
            });
            if let PartStart::At(id) | PartStart::After(id) = start {
                let mut proto = id.to_proto();
                proto.batch_index = None; // the broker delivers whole entries
                options = options.starting_on_message(proto);
            }
            // pulsar-rs has no timeout of its own on subscribe or get-last-message-id: a broker
            // that accepts the connection and then stops answering would hang the page read
            let timed_out = |what: &str| ClientError::Timeout { what: format!("{what} {name}"), after: OPEN_TIMEOUT };
            let mut reader: PartReader = tokio::time::timeout(
                OPEN_TIMEOUT,
                pulsar
                    .consumer()
                    .with_topic(name.to_string())
                    .with_consumer_name("pulsar-tui-reader")
                    .with_subscription(reader_subscription())
                    .with_subscription_type(SubType::Exclusive)
                    .with_options(options)
                    .build(),
            )
            .await
            .map_err(|_| timed_out("opening a reader on"))?
            .map_err(|e| binary_error(&url, e))?;
            let end = last_message_id(&mut reader, &url, name).await?;
            parts.push(Part::new(name, Source::Reader(reader), start, end));
        }
        Ok(TopicReader::of_parts(parts, follow, url, client))
    }

    /// One consumer of our own per partition (see the module docs), never following.
    async fn open_wire(client: &Client, names: &[TopicName], starts: Vec<PartStart>) -> Result<TopicReader> {
        let mut parts = Vec::with_capacity(names.len());
        for (name, start) in names.iter().zip(starts) {
            let sub = Subscription {
                name: reader_subscription(),
                consumer_name: "pulsar-tui-reader".into(),
                durable: false,
                start: match start {
                    PartStart::At(id) | PartStart::After(id) => Some((id.ledger, id.entry)),
                    PartStart::Earliest | PartStart::Latest => None,
                },
                earliest: start != PartStart::Latest,
                queue: receive_queue(client, name).await,
            };
            let timed_out = |what: &str| ClientError::Timeout { what: format!("{what} {name}"), after: OPEN_TIMEOUT };
            let mut wire = tokio::time::timeout(OPEN_TIMEOUT, WireConsumer::subscribe(client, name, &sub))
                .await
                .map_err(|_| timed_out("opening a reader on"))??;
            let end = tokio::time::timeout(OPEN_TIMEOUT, wire.last_message_id())
                .await
                .map_err(|_| timed_out("asking the last message id of"))??;
            let mut part = Part::new(name, Source::Wire(wire), start, end);
            if let Some(wire) = part.wire.as_mut() {
                wire.start().await?;
            }
            parts.push(part);
        }
        Ok(TopicReader::of_parts(parts, false, client.target.service_url.clone(), client))
    }

    /// Where a new reader would continue after the messages handed out so far.
    pub fn cursor(&self) -> Cursor {
        Cursor { parts: self.parts.iter().map(|p| p.emitted.map(PartStart::After).unwrap_or(p.start)).collect() }
    }

    fn part_of(&self, m: &Message) -> usize {
        if self.parts.len() == 1 {
            0
        } else {
            usize::try_from(m.id.partition).unwrap_or(0).min(self.parts.len() - 1)
        }
    }

    /// The next message in publish-time order; `None` at the end (never, when following:
    /// then it waits for new messages, so wrap it in a timeout where needed).
    pub async fn next(&mut self) -> Result<Option<Message>> {
        loop {
            let m = match self.ready.pop_front() {
                Some(m) => m,
                None => match self.next_catch_up().await? {
                    Some(m) => m,
                    None if self.follow => self.next_live().await?,
                    None => return Ok(None),
                },
            };
            let i = self.part_of(&m);
            self.parts[i].emitted = Some(m.id);
            if self.skip > 0 {
                self.skip -= 1;
                continue;
            }
            return Ok(Some(m));
        }
    }

    async fn next_catch_up(&mut self) -> Result<Option<Message>> {
        for i in 0..self.parts.len() {
            self.fill_head(i).await?;
        }
        let best = self
            .parts
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.head.as_ref().map(|h| (h.publish_time_ms, h.id.partition, i)))
            .min();
        let Some((_, _, i)) = best else { return Ok(None) };
        Ok(self.parts[i].head.take())
    }

    async fn fill_head(&mut self, i: usize) -> Result<()> {
        let url = self.service_url.clone();
        let part = &mut self.parts[i];
        while part.head.is_none() && !part.done {
            if let Some(m) = part.recovery.pop() {
                // the broker delivers whole entries from the start position, and after a
                // reconnect it may deliver from there again
                if part.skips(&m) || part.emitted.is_some_and(|e| m.id.position() <= e.position()) {
                    continue;
                }
                part.head = Some(m);
                continue;
            }
            if part.recovery.drained() {
                part.done = true;
                // dropping our consumer closes its connection, and the broker its subscription
                part.wire = None;
                return Ok(());
            }
            if part.wire.is_some() {
                next_wire(part).await?;
                continue;
            }
            let Some(reader) = part.reader.as_mut() else { return Ok(()) };
            let wait = if part.end.is_some() { STALL } else { UNSURE_IDLE };
            let item = match tokio::time::timeout(wait, reader.next()).await {
                Ok(item) => item,
                Err(_) if part.end.is_none() => {
                    part.recovery.close();
                    continue;
                }
                Err(_) => {
                    return Err(ClientError::Timeout { what: format!("reading {}", part.topic), after: wait });
                }
            };
            match item {
                None if part.end.is_none() => part.recovery.close(),
                // the stream ended before the last message id known at open time: the
                // connection was lost (a broker restart), not the end of the topic
                None => {
                    let after = part.emitted.map_or_else(|| "the start".to_string(), |id| id.to_string());
                    return Err(ClientError::Binary(format!(
                        "the broker closed the reader of {} after {after}, before its last message {}",
                        part.topic,
                        part.end.map(|e| e.to_string()).unwrap_or_default()
                    )));
                }
                // one entry the client cannot hand over: read it through the admin API
                Some(Err(e)) if is_entry_error(&e) => part.recovery.recover(&self.client, &e.to_string()).await,
                Some(Err(e)) => return Err(binary_error(&url, e)),
                Some(Ok(m)) => part.recovery.accept(Message::from_pulsar(m)),
            }
        }
        Ok(())
    }

    async fn next_live(&mut self) -> Result<Message> {
        if self.live.is_none() {
            let mut all = SelectAll::new();
            for (i, p) in self.parts.iter_mut().enumerate() {
                if let Some(r) = p.reader.take() {
                    all.push(Box::pin(r.map(move |item| (i, item))) as LiveStream);
                }
            }
            self.live = Some(all);
        }
        loop {
            if let Some(m) = self.parts.iter_mut().find_map(|p| p.recovery.pop()) {
                // a partition that had nothing at open time sees its start entry again here
                let part = &self.parts[self.part_of(&m)];
                if part.emitted.is_none() && part.skips(&m) {
                    continue;
                }
                if part.emitted.is_some_and(|e| m.id.position() <= e.position()) {
                    continue;
                }
                return Ok(m);
            }
            let live = self.live.as_mut().expect("set above");
            match live.next().await {
                Some((i, Ok(m))) => self.parts[i].recovery.accept(Message::from_pulsar(m)),
                Some((i, Err(e))) if is_entry_error(&e) => {
                    self.parts[i].recovery.recover(&self.client, &e.to_string()).await;
                }
                Some((_, Err(e))) => return Err(binary_error(&self.service_url, e)),
                None => std::future::pending().await,
            }
        }
    }
}

/// The next entry of a partition read by our own consumer, into its recovery (split, chunks
/// put together): its end, a quiet partition whose end is unknown, or an error (a lost
/// connection; a stall before the known end).
async fn next_wire(part: &mut Part) -> Result<()> {
    let Some(wire) = part.wire.as_mut() else { return Ok(()) };
    let wait = if part.end.is_some() { STALL } else { UNSURE_IDLE };
    let partition = wire.partition();
    match wire.next_within(wait).await {
        Ok(Some(Received::Entry(e))) => {
            let h = EntryHeaders::from_metadata(&e.metadata);
            let id = MessageId { ledger: e.position.0, entry: e.position.1, partition, batch: -1 };
            for m in split_shared(&part.topic, id, &h, e.payload) {
                if part.recovery.drained() {
                    break;
                }
                part.recovery.accept(m);
            }
            part.recovery.entry_done(e.position);
            Ok(())
        }
        Ok(Some(Received::EndOfTopic)) => {
            part.recovery.close();
            Ok(())
        }
        Ok(None) if part.end.is_none() => {
            part.recovery.close();
            Ok(())
        }
        Ok(None) => Err(ClientError::Timeout { what: format!("reading {}", part.topic), after: wait }),
        // the connection was lost (a broker restart) before the last message known at open time
        Err(e) => {
            let after = part.emitted.map_or_else(|| "the start".to_string(), |id| id.to_string());
            Err(ClientError::Binary(format!(
                "the broker closed the reader of {} after {after}, before its last message {}: {e}",
                part.topic,
                part.end.map(|e| e.to_string()).unwrap_or_default()
            )))
        }
    }
}

/// The publish time of one message, read with a short-lived reader.
fn publish_time_of<'a>(
    client: &'a Client,
    partition: &'a TopicName,
    id: MessageId,
) -> Pin<Box<dyn std::future::Future<Output = Result<i64>> + Send + 'a>> {
    Box::pin(publish_time_of_inner(client, partition, id))
}

async fn publish_time_of_inner(client: &Client, partition: &TopicName, id: MessageId) -> Result<i64> {
    let mut r = TopicReader::open(client, partition, &StartFrom::Id(MessageId { partition: -1, ..id }), false).await?;
    match r.next().await? {
        Some(m) => Ok(m.publish_time_ms),
        None => Err(ClientError::NotFound { what: format!("message {id} in {partition}") }),
    }
}
