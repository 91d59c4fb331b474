//! The requeue engine: moves messages out of a DLQ and never loses one.
//!
//! - A message is acknowledged in the DLQ only after the broker confirmed its copy and the
//!   journal recorded it (see [`crate::dlq::journal`]).
//! - An entry is acknowledged only when every message it holds is settled: a batch with one
//!   message that stays (filtered out, failed, not reached) is not acknowledged at all, and a
//!   re-run sees it whole again while the journal skips what was moved ([`super::settle`]).
//! - Each partition has its own consumer on our durable, exclusive subscription: our own
//!   ([`super::wire::consumer`]: the `pulsar` crate's consumer hands each message over from a
//!   task of its own, after a copy, and fails on Snappy, encrypted batches and compressed
//!   chunks). Every entry arrives as stored and is split by [`super::entries::split_shared`]:
//!   a message that cannot be decoded is moved as stored or stays with the reason; it never
//!   ends the run. A lost connection ends the run with its error (the journal makes the
//!   re-run skip what was moved).
//! - The run ends at the last message of every partition as it was when the run started.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::dlq::{letter_of, Planner, RequeueOptions, RequeueProgress, RequeueSummary};
use super::entries::{split_shared, EntryHeaders, Origin, Recovery};
use super::error::{ClientError, Result};
use super::message::{Message, MessageId};
use super::reader::partitions_of;
use super::settle::{PartitionAcks, Pos};
use super::topic::TopicName;
use super::wire::consumer::{receive_queue, Received, Subscription, WireConsumer};
use super::Client;
use crate::dlq::journal::Journal;

mod books;
mod outbox;
use books::{acknowledge, settle, settle_whole, Books, InFlight, Whole, WINDOW, WINDOW_BYTES};
use outbox::Outbox;

/// With nothing received for this long, the DLQ is taken as drained.
const IDLE_END: Duration = Duration::from_secs(2);
/// The broker's `maxMessageSize` when its runtime configuration cannot be read.
const DEFAULT_MAX_MESSAGE: usize = 5 << 20;
/// Room left in a message frame for the metadata (properties, keys...).
const METADATA_ROOM: usize = 64 << 10;

type DlqConsumer = WireConsumer;

/// One partition of the DLQ (or the DLQ itself).
struct Part {
    topic: String,
    partition: i32,
    /// Drained (nothing more read in this run) at the last message when the run started.
    recovery: Recovery,
    acks: PartitionAcks,
}

/// Moves messages out of a DLQ (see the module docs for why nothing is lost). Calls
/// `progress` at most every 100 ms; `cancel` stops it cleanly after the sends in flight.
///
/// The run is a task of its own on the runtime's workers, where the `pulsar` crate's
/// consumer and producer tasks run: every message crosses their channels, and from the
/// thread of a `block_on` (the headless commands) each crossing woke another thread (3x
/// the time in batches of 100, `scripts/bench-requeue`). Dropping the returned future
/// aborts the run, as before.
pub async fn requeue(
    client: &Client,
    opts: &RequeueOptions,
    cancel: Arc<AtomicBool>,
    mut progress: impl FnMut(&RequeueProgress),
) -> Result<RequeueSummary> {
    let (tx, mut rx) = tokio::sync::watch::channel(RequeueProgress::default());
    let (client, opts) = (client.clone(), opts.clone());
    let task = AbortOnDrop(tokio::spawn(async move {
        run(&client, &opts, cancel, |p| {
            let _ = tx.send(p.clone());
        })
        .await
    }));
    let mut join = std::pin::pin!(task.join());
    let mut shown = RequeueProgress::default();
    let result = loop {
        tokio::select! {
            changed = rx.changed() => match changed {
                Ok(()) => {
                    shown = rx.borrow_and_update().clone();
                    progress(&shown);
                }
                // the run is over: its result is next
                Err(_) => break join.await,
            },
            result = &mut join => break result,
        }
    };
    // the run's last call, if it was not passed on yet
    if let Ok(summary) = &result {
        if summary.progress != shown {
            progress(&summary.progress);
        }
    }
    result
}

/// A spawned run, aborted when its caller goes away.
struct AbortOnDrop(tokio::task::JoinHandle<Result<RequeueSummary>>);

impl AbortOnDrop {
    async fn join(mut self) -> Result<RequeueSummary> {
        match (&mut self.0).await {
            Ok(r) => r,
            Err(e) => Err(ClientError::Invalid(format!("the requeue stopped: {e}"))),
        }
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn run(
    client: &Client,
    opts: &RequeueOptions,
    cancel: Arc<AtomicBool>,
    mut progress: impl FnMut(&RequeueProgress),
) -> Result<RequeueSummary> {
    client.ensure_writable(&format!("requeue from {}", opts.dlq))?;
    let letter = letter_of(client, &opts.dlq).await?;
    let mut planner = Planner::new(opts, letter)?;
    let journal = Journal::open(&opts.journal)
        .map_err(|e| ClientError::Invalid(format!("cannot open the journal {}: {e}", opts.journal.display())))?;
    let pulsar = client.pulsar().await?;
    let max_message = max_message_size(client).await;
    let max_payload = max_message.saturating_sub(METADATA_ROOM);

    let names = partitions_of(client, &opts.dlq).await?;
    let mut consumers = Vec::with_capacity(names.len());
    let mut parts = Vec::with_capacity(names.len());
    for name in &names {
        let mut consumer = subscribe(client, opts, name).await?;
        // the last message now, batch index included: the run ends at the last message of
        // the last entry, not at its first
        let end = consumer.last_message_id().await?;
        consumer.start().await?;
        let mut recovery = Recovery::new(name.clone(), Origin::Subscription(opts.subscription.clone())).with_end(end);
        if end.is_none() {
            recovery.close(); // nothing stored
        }
        parts.push(Part {
            topic: name.to_string(),
            partition: name.partition_index().map_or(-1, |x| x as i32),
            recovery,
            acks: PartitionAcks::default(),
        });
        consumers.push(consumer);
    }
    let mut summary = RequeueSummary {
        journal: opts.journal.display().to_string(),
        journal_bad_lines: planner.moved.bad_lines,
        ..Default::default()
    };
    let partitioned = if names.len() == 1 && names[0] == opts.dlq { 0 } else { names.len() as u32 };
    summary.progress.total = client
        .admin
        .topic_stats(&opts.dlq, partitioned)
        .await
        .ok()
        .and_then(|s| s.subscriptions.get(&opts.subscription).map(|s| s.msg_backlog.max(0) as u64));

    let mut books = Books { inflight: VecDeque::new(), bytes: 0, journal, summary };
    let dlq_name = opts.dlq.parent();
    let mut outbox = Outbox::new(max_message);
    let mut last_progress = Instant::now();
    let mut idle_since = Instant::now();
    let pace = opts.rate.filter(|r| *r > 0).map(|r| Duration::from_secs_f64(1.0 / f64::from(r)));
    let mut next_send = tokio::time::Instant::now();
    let mut turn = 0usize;

    loop {
        if cancel.load(Ordering::Relaxed) {
            books.summary.cancelled = true;
            break;
        }
        if opts.limit.is_some_and(|l| books.summary.progress.moved + books.inflight.len() as u64 >= l) {
            break;
        }
        if books.summary.progress.total == Some(0) {
            break;
        }
        // the next message: one a partition has ready, else the next entry of a consumer
        let ready = parts.iter_mut().enumerate().find_map(|(i, p)| p.recovery.pop().map(|m| (i, m)));
        let (i, m) = match ready {
            Some(x) => x,
            None if parts.iter().all(|p| p.recovery.drained()) => break,
            None => {
                turn = turn.wrapping_add(1);
                for c in consumers.iter_mut().filter(|c| c.flush_due()) {
                    c.flush().await?;
                }
                // what a consumer has read already is taken without a timer or a select
                let next = match ready_item(&mut consumers, &parts, turn)? {
                    Some(item) => Ok(item),
                    None => {
                        let filled =
                            tokio::time::timeout(Duration::from_millis(200), fill_any(&mut consumers, &parts)).await;
                        match filled {
                            Ok(r) => {
                                r?;
                                continue;
                            }
                            Err(e) => Err(e),
                        }
                    }
                };
                match next {
                    Err(_) => {
                        settle(false, &mut books, &mut consumers, &mut parts).await?;
                        if books.inflight.is_empty() && idle_since.elapsed() >= IDLE_END {
                            // drained: what is still being put together becomes rows (they stay)
                            for p in parts.iter_mut().filter(|p| !p.recovery.drained()) {
                                p.recovery.close();
                            }
                        }
                        report(&books.summary, &mut last_progress, &mut progress);
                        continue;
                    }
                    Ok((i, Received::EndOfTopic)) => {
                        parts[i].recovery.close();
                        continue;
                    }
                    Ok((i, Received::Entry(e))) => {
                        idle_since = Instant::now();
                        let p = &mut parts[i];
                        let h = EntryHeaders::from_metadata(&e.metadata);
                        let id =
                            MessageId { ledger: e.position.0, entry: e.position.1, partition: p.partition, batch: -1 };
                        for mut m in split_shared(&p.topic, id, &h, e.payload) {
                            if p.recovery.drained() || p.recovery.beyond_end(&m) {
                                // arrived after the run started: the next run takes it
                                continue;
                            }
                            m.redelivery_count = Some(e.redelivery_count);
                            p.recovery.accept(m);
                        }
                        p.recovery.entry_done(e.position);
                        continue;
                    }
                }
            }
        };
        books.summary.progress.scanned += 1;
        let covers = covered_entries(&m);
        if m.id.batch <= 0 {
            // the first message of its entry (or of its chunks)
            books.summary.progress.entries += covers.len() as u64;
        }
        let positions: Vec<Pos> = covers.iter().map(|c| c.0).collect();
        parts[i].acks.received(&covers);
        let d = planner.decide(client, &m).await;
        match d.action {
            "skip" => {
                parts[i].acks.settled(&positions, true);
                books.summary.progress.skipped += 1;
            }
            "leave" => {
                parts[i].acks.settled(&positions, false);
                books.summary.progress.left += 1;
            }
            "fail" => {
                parts[i].acks.settled(&positions, false);
                books.summary.progress.failed += 1;
                books.summary.failures.push((m.id.to_string(), d.reason.unwrap_or_default()));
            }
            _ => {
                let target = d.target.expect("a move has a target");
                let key = target.to_string();
                let size = m.payload.len();
                let id = m.id.to_string();
                let topic = m.topic.clone();
                let has_schema = match outbox.target(client, &pulsar, &target, &key).await {
                    Ok(t) => t.has_schema(),
                    Err(e) => {
                        parts[i].acks.settled(&positions, false);
                        books.summary.progress.failed += 1;
                        books.summary.failures.push((id, e));
                        continue;
                    }
                };
                // the version the payload was written with, as the target knows it (a dead
                // letter often lost its version: the newest of the target's that decodes it);
                // a target without a schema has none to give
                let schema_version = match has_schema {
                    true => planner.decoder.writer_version(client, &target, &m).await.map(|v| v.to_be_bytes().to_vec()),
                    false => None,
                };
                let out = pulsar::producer::Message {
                    properties: crate::dlq::requeued_properties(
                        &m.properties,
                        opts.keep_dlq_properties,
                        &dlq_name,
                        &m.id,
                    ),
                    partition_key: m.key.clone(),
                    partition_key_b64_encoded: m.key.as_ref().map(|_| m.key_is_base64),
                    ordering_key: m.ordering_key.clone(),
                    event_time: m.event_time_ms.map(|t| t as u64),
                    schema_version,
                    deliver_at_time: m.meta.deliver_at_ms,
                    payload: match opts.fixes.get(&super::dlq::only_key(&m.topic, &m.id)) {
                        Some(fixed) => fixed.clone(),
                        None => m.payload,
                    },
                    ..Default::default()
                };
                if size > max_payload {
                    // larger than one message may be: ONE chunked message, through our own
                    // producer (the pulsar crate cannot publish chunks), after every copy
                    // before it is confirmed (the target keeps the DLQ's order)
                    while !books.inflight.is_empty() {
                        settle(true, &mut books, &mut consumers, &mut parts).await?;
                    }
                    let published = super::wire::publish_whole(client, &target, &out).await;
                    let copy = Whole { part: i, topic, covers: positions, id, target: key };
                    settle_whole(published, copy, &mut books, &mut parts)?;
                    acknowledge(&mut consumers, &mut parts, i).await;
                    report(&books.summary, &mut last_progress, &mut progress);
                    continue;
                }
                if let Some(p) = pace {
                    tokio::time::sleep_until(next_send).await;
                    next_send = next_send.max(tokio::time::Instant::now() - p * 4) + p;
                }
                match outbox.send(&pulsar, &target, &key, out).await {
                    Ok(send) => {
                        books.bytes += size;
                        books.inflight.push_back(InFlight {
                            part: i,
                            size,
                            topic,
                            covers: positions,
                            id,
                            target: key,
                            send,
                        });
                    }
                    Err(e) => {
                        parts[i].acks.settled(&positions, false);
                        books.summary.progress.failed += 1;
                        books.summary.failures.push((id, e));
                    }
                }
                let full = books.inflight.len() >= WINDOW || books.bytes >= WINDOW_BYTES;
                settle(full, &mut books, &mut consumers, &mut parts).await?;
            }
        }
        if d.action != "move" {
            acknowledge(&mut consumers, &mut parts, i).await;
        }
        report(&books.summary, &mut last_progress, &mut progress);
    }
    while !books.inflight.is_empty() {
        settle(true, &mut books, &mut consumers, &mut parts).await?;
    }
    let _ = books.journal.sync();
    for c in consumers {
        c.close().await;
    }
    outbox.close().await;
    progress(&books.summary.progress);
    Ok(books.summary)
}

/// The entries a message covers, each with the number of messages it holds: its own entry
/// (a batch holds `batch_size`), or the entries of all its chunks.
fn covered_entries(m: &Message) -> Vec<(Pos, u32)> {
    match &m.meta.chunk {
        Some(c) if !c.ids.is_empty() => c.ids.iter().map(|id| ((id.ledger, id.entry), 1)).collect(),
        _ => vec![((m.id.ledger, m.id.entry), m.meta.batch_size.unwrap_or(1))],
    }
}

/// The broker's `maxMessageSize` (runtime configuration), or Pulsar's default.
async fn max_message_size(client: &Client) -> usize {
    let v: Option<serde_json::Value> = client.admin.get_json("/admin/v2/brokers/configuration/runtime").await.ok();
    v.and_then(|v| v.get("maxMessageSize").and_then(|s| s.as_str().and_then(|s| s.parse().ok()).or(s.as_u64())))
        .map_or(DEFAULT_MAX_MESSAGE, |n| n as usize)
}

/// What a consumer whose partition is still read has in its buffer now, looking at a
/// different partition first each time so that none starves the others.
fn ready_item(consumers: &mut [DlqConsumer], parts: &[Part], turn: usize) -> Result<Option<(usize, Received)>> {
    let n = consumers.len();
    for i in (0..n).map(|k| (turn + k) % n.max(1)) {
        if parts[i].recovery.drained() {
            continue;
        }
        if let Some(r) = consumers[i].try_next()? {
            return Ok(Some((i, r)));
        }
    }
    Ok(None)
}

/// Reads from the socket of whichever consumer (whose partition is still read) has
/// something first; cancel-safe (each read is), so it may race a timer. A lost connection
/// is an error.
async fn fill_any(consumers: &mut [DlqConsumer], parts: &[Part]) -> Result<()> {
    let reads: Vec<_> = consumers
        .iter_mut()
        .enumerate()
        .filter(|(i, _)| !parts[*i].recovery.drained())
        .map(|(_, c)| Box::pin(c.fill()))
        .collect();
    if reads.is_empty() {
        return std::future::pending().await;
    }
    futures::future::select_all(reads).await.0
}

fn report(summary: &RequeueSummary, last: &mut Instant, progress: &mut impl FnMut(&RequeueProgress)) {
    if last.elapsed() >= Duration::from_millis(100) {
        progress(&summary.progress);
        *last = Instant::now();
    }
}

/// Our durable, exclusive subscription on one partition of the DLQ (exclusive: two requeues
/// of the same DLQ cannot run at once). A killed run's consumer may linger on the broker for
/// a moment, so "consumer busy" is retried for a few seconds.
async fn subscribe(client: &Client, opts: &RequeueOptions, partition: &TopicName) -> Result<DlqConsumer> {
    // the receive queue (up to 20,000 messages, fewer for large entries: receive_queue),
    // granted again each time half of it was taken, as the C++ client does
    let sub = Subscription {
        name: opts.subscription.clone(),
        consumer_name: format!("pulsar-tui-requeue-{}", std::process::id()),
        durable: true,
        start: None,
        earliest: true,
        queue: receive_queue(client, partition).await,
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match WireConsumer::subscribe(client, partition, &sub).await {
            Ok(c) => return Ok(c),
            Err(e) if e.to_string().contains("usy") && Instant::now() < deadline => {
                tracing::info!("requeue: subscription {} busy, retrying: {e}", opts.subscription);
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => {
                return Err(match e {
                    ClientError::Binary(r) if r.contains("usy") => ClientError::Binary(format!(
                        "subscription {} of {} is in use (another requeue running?): {r}",
                        opts.subscription, opts.dlq
                    )),
                    e => e,
                });
            }
        }
    }
}
