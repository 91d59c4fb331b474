//! The requeue engine: moves messages out of a DLQ and never loses one.
//!
//! - A message is acknowledged in the DLQ only after the broker confirmed its copy and the
//!   journal recorded it (see [`crate::dlq::journal`]).
//! - An entry is acknowledged only when every message it holds is settled: a batch with one
//!   message that stays (filtered out, failed, not reached) is not acknowledged at all, and a
//!   re-run sees it whole again while the journal skips what was moved ([`super::settle`]).
//! - Each partition has its own consumer on our durable, exclusive subscription, so that an
//!   entry the `pulsar` crate fails on (Snappy, encrypted batches...) is found and read again
//!   by position ([`super::entries`]): it is moved when it could be read, or stays with the
//!   reason; it never ends the run.
//! - The run ends at the last message of every partition as it was when the run started.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pulsar::consumer::{ConsumerOptions, InitialPosition};
use pulsar::message::proto::command_subscribe::SubType;
use pulsar::{Consumer, TokioExecutor};

use super::dlq::{letter_of, Planner, RequeueOptions, RequeueProgress, RequeueSummary};
use super::entries::{is_entry_error, Origin, Recovery};
use super::error::{ClientError, Result};
use super::message::Message;
use super::reader::{last_message_id, partitions_of};
use super::settle::{PartitionAcks, Pos};
use super::topic::TopicName;
use super::{binary_error, Client};
use crate::dlq::journal::Journal;

mod books;
mod outbox;
use books::{acknowledge, settle, settle_whole, Books, InFlight, Whole, WINDOW, WINDOW_BYTES};
use outbox::Outbox;

/// With nothing received for this long, the DLQ is taken as drained.
const IDLE_END: Duration = Duration::from_secs(2);
/// The broker's `maxMessageSize` when its runtime configuration cannot be read.
const DEFAULT_MAX_MESSAGE: usize = 5 << 20;
/// Flow permits (messages) granted to each partition's consumer, at most...
const PERMITS: u32 = 20_000;
/// ...and fewer when its entries are large: what the broker may send ahead stays about
/// under this many bytes (the `pulsar` crate buffers whatever the permits let in).
const PERMIT_BYTES: u64 = 128 << 20;
/// Room left in a message frame for the metadata (properties, keys...).
const METADATA_ROOM: usize = 64 << 10;

type DlqConsumer = Consumer<Vec<u8>, TokioExecutor>;
/// What a consumer's stream gives: a message, an error, or its end.
type Item = Option<std::result::Result<pulsar::consumer::Message<Vec<u8>>, pulsar::Error>>;

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
    let url = client.target.service_url.clone();
    let pulsar = client.pulsar().await?;
    let max_message = max_message_size(client).await;
    let max_payload = max_message.saturating_sub(METADATA_ROOM);

    let names = partitions_of(client, &opts.dlq).await?;
    let mut consumers = Vec::with_capacity(names.len());
    let mut parts = Vec::with_capacity(names.len());
    for name in &names {
        let mut consumer = subscribe(client, &pulsar, opts, name).await?;
        // the last message now, batch index included: the run ends at the last message of
        // the last entry, not at its first
        let end = last_message_id(&mut consumer, &url, name).await?;
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
        // the next message: one a partition has ready, else the next item of a consumer
        let ready = parts.iter_mut().enumerate().find_map(|(i, p)| p.recovery.pop().map(|m| (i, m)));
        let (i, m) = match ready {
            Some(x) => x,
            None if parts.iter().all(|p| p.recovery.drained()) => break,
            None => {
                turn = turn.wrapping_add(1);
                // what a consumer has ready is taken without a timer or a select
                let next = match ready_item(&mut consumers, &parts, turn) {
                    Some(item) => Ok(item),
                    None => {
                        tokio::time::timeout(Duration::from_millis(200), next_item(&mut consumers, &parts, turn)).await
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
                    Ok((i, None)) => {
                        parts[i].recovery.close();
                        continue;
                    }
                    Ok((i, Some(Err(e)))) if is_entry_error(&e) => {
                        idle_since = Instant::now();
                        let p = &mut parts[i];
                        p.acks.taint();
                        p.recovery.recover(client, &e.to_string()).await;
                        continue;
                    }
                    Ok((_, Some(Err(e)))) => return Err(binary_error(&url, e)),
                    Ok((i, Some(Ok(raw)))) => {
                        idle_since = Instant::now();
                        let p = &mut parts[i];
                        let m = Message::from_pulsar(raw);
                        if p.recovery.drained() || p.recovery.beyond_end(&m) {
                            // arrived after the run started: the next run takes it
                            continue;
                        }
                        p.recovery.accept(m);
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
    for mut c in consumers {
        // the pulsar crate's close waits on its engine, which waits for room in a full receive
        // queue (a run stopped by --limit or a cancel): give it a moment, then drop the
        // consumer, whose engine closes it on the broker when it goes
        let _ = tokio::time::timeout(Duration::from_secs(1), c.close()).await;
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

/// An item a consumer whose partition is still read has ready now, looking at a different
/// partition first each time.
fn ready_item(consumers: &mut [DlqConsumer], parts: &[Part], turn: usize) -> Option<(usize, Item)> {
    use futures::{FutureExt, StreamExt};
    let n = consumers.len();
    (0..n).map(|k| (turn + k) % n.max(1)).find_map(|i| {
        if parts[i].recovery.drained() {
            return None;
        }
        consumers[i].next().now_or_never().map(|item| (i, item))
    })
}

/// The next item of any consumer whose partition is still read, starting the search at a
/// different partition each time so that none starves the others.
async fn next_item(consumers: &mut [DlqConsumer], parts: &[Part], turn: usize) -> (usize, Item) {
    use futures::StreamExt;
    let mut order: Vec<(usize, &mut DlqConsumer)> =
        consumers.iter_mut().enumerate().filter(|(i, _)| !parts[*i].recovery.drained()).collect();
    let k = turn % order.len().max(1);
    order.rotate_left(k);
    if order.is_empty() {
        return std::future::pending().await;
    }
    let futures = order.into_iter().map(|(i, c)| Box::pin(async move { (i, c.next().await) }));
    let ((i, item), _, _) = futures::future::select_all(futures).await;
    (i, item)
}

fn report(summary: &RequeueSummary, last: &mut Instant, progress: &mut impl FnMut(&RequeueProgress)) {
    if last.elapsed() >= Duration::from_millis(100) {
        progress(&summary.progress);
        *last = Instant::now();
    }
}

/// The flow permits for one partition: [`PERMITS`], or fewer when its average entry is so
/// large that they would let more than [`PERMIT_BYTES`] in.
async fn permits_for(client: &Client, partition: &TopicName) -> u32 {
    let path = format!("/admin/v2/{}/internalStats", partition.rest_path());
    let v: Option<serde_json::Value> = client.admin.get_json(&path).await.ok();
    let (entries, size) =
        v.map_or((0, 0), |v| (v["numberOfEntries"].as_u64().unwrap_or(0), v["totalSize"].as_u64().unwrap_or(0)));
    if entries == 0 {
        return PERMITS;
    }
    let per_entry = (size / entries).max(1);
    (PERMIT_BYTES / per_entry).clamp(10, u64::from(PERMITS)) as u32
}

/// Our durable, exclusive subscription on one partition of the DLQ (exclusive: two requeues
/// of the same DLQ cannot run at once). A killed run's consumer may linger on the broker for
/// a moment, so "consumer busy" is retried for a few seconds.
async fn subscribe(
    client: &Client,
    pulsar: &pulsar::Pulsar<TokioExecutor>,
    opts: &RequeueOptions,
    partition: &TopicName,
) -> Result<DlqConsumer> {
    let permits = permits_for(client, partition).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let built = pulsar
            .consumer()
            .with_topic(partition.to_string())
            .with_subscription(&opts.subscription)
            .with_subscription_type(SubType::Exclusive)
            // flow permits: the broker reads at most 100 entries at a time, so with batches of
            // 100 a window under 10,000 messages makes it wait for us between reads (20,000
            // doubles the rate on batched DLQs; unbatched ones are the same: scripts/bench-requeue)
            .with_batch_size(permits)
            .with_consumer_name(format!("pulsar-tui-requeue-{}", std::process::id()))
            .with_options(ConsumerOptions::default().with_initial_position(InitialPosition::Earliest))
            .build::<Vec<u8>>()
            .await;
        match built {
            Ok(c) => return Ok(c),
            Err(e) if e.to_string().contains("usy") && Instant::now() < deadline => {
                tracing::info!("requeue: subscription {} busy, retrying: {e}", opts.subscription);
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => {
                let e = binary_error(&client.target.service_url, e);
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
