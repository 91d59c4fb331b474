//! Dead-letter queues on the cluster: discovery in a namespace, and the requeue engine.
//!
//! Requeue never loses a message: each DLQ message is acknowledged on our durable
//! subscription only after the broker confirmed the publish to the target, and after the
//! journal recorded it (see [`crate::dlq::journal`]). Messages that fail, or that the filter
//! leaves out, stay unacknowledged in the DLQ.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{FutureExt, StreamExt};
use pulsar::consumer::{ConsumerOptions, InitialPosition};
use pulsar::message::proto::command_subscribe::SubType;
use pulsar::{Consumer, Producer, TokioExecutor};
use serde::Serialize;

use super::error::{ClientError, Result};
use super::message::{format_time, Message, MessageId};
use super::reader::{partitions_of, TopicReader};
use super::schemas::MessageDecoder;
use super::topic::TopicName;
use super::{binary_error, Client};
use crate::dlq::journal::{Journal, JournalEntry, Moved};
use crate::dlq::{self, Letter, LetterKind, Target};

/// Topics whose first message is examined for DLQ properties, at most (name-matched
/// letters are always found).
const MAX_PROBED_TOPICS: usize = 500;
/// Sends in flight at once: enough batches to keep the broker's storage busy...
const WINDOW: usize = 8_000;
/// ...and at most this many payload bytes, whatever the message size.
const WINDOW_BYTES: usize = 32 << 20;
/// Messages per batch when the target has no schema.
const BATCH: u32 = 500;
/// With nothing received for this long, the DLQ is taken as drained.
const IDLE_END: Duration = Duration::from_secs(2);

/// One dead-letter or retry topic, as `dlq list` and the DLQ view show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LetterTopic {
    #[serde(flatten)]
    pub letter: Letter,
    /// `name` (`…-DLQ`/`…-RETRY`) or `properties` (its messages carry `REAL_TOPIC` and
    /// `ORIGIN_MESSAGE_ID`).
    pub found_by: &'static str,
    pub partitions: u32,
    /// Entries stored (a batch counts once).
    pub messages: u64,
    pub oldest_publish_ms: Option<i64>,
    pub newest_publish_ms: Option<i64>,
    pub subscriptions: Vec<String>,
}

/// Finds the DLQ and RETRY topics of a namespace, by name and by the properties of their
/// first message, each with its origin topic and subscription when they can be told.
pub async fn list_letters(client: &Client, namespace: &str) -> Result<Vec<LetterTopic>> {
    let topics = client.admin.topics(namespace).await?;
    let locals: Vec<&str> = topics.iter().map(|t| t.name.local.as_str()).collect();
    let probes = futures::stream::iter(topics.iter().take(MAX_PROBED_TOPICS.max(topics.len())).cloned())
        .map(|t| async move {
            let first_part = if t.partitions > 0 { t.name.partition(0) } else { t.name.clone() };
            let by_name = LetterKind::of_name(&t.name.local).is_some();
            if !by_name && !t.name.persistent {
                return Ok(None);
            }
            let first = client.admin.examine_message(&first_part, false, 1).await?;
            let props = first.as_ref().map(|f| f.properties.clone()).unwrap_or_default();
            let by_props = props.contains_key(dlq::REAL_TOPIC) && props.contains_key(dlq::ORIGIN_MESSAGE_ID);
            if !by_name && !by_props {
                return Ok(None);
            }
            Ok::<_, ClientError>(Some((t, by_name, props)))
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let mut found = Vec::new();
    for p in probes {
        let Some((t, by_name, props)) = p? else { continue };
        let letter = describe_letter(&t.name, &locals, &props);
        let names = if t.partitions > 0 {
            (0..t.partitions).map(|i| t.name.partition(i)).collect()
        } else {
            vec![t.name.clone()]
        };
        let (entries, oldest, newest, subs) = futures::join!(
            futures::future::join_all(names.iter().map(|n| client.admin.stored_entries(n))),
            futures::future::join_all(names.iter().map(|n| client.admin.examine_message(n, false, 1))),
            futures::future::join_all(names.iter().map(|n| client.admin.examine_message(n, true, 1))),
            client.admin.subscriptions(&t.name),
        );
        let messages = entries.into_iter().map(|e| e.unwrap_or(0)).sum();
        let times = |v: Vec<Result<Option<super::admin::Examined>>>| -> Vec<i64> {
            v.into_iter().filter_map(|e| e.ok().flatten().and_then(|e| e.publish_time_ms)).collect()
        };
        found.push(LetterTopic {
            letter,
            found_by: if by_name { "name" } else { "properties" },
            partitions: t.partitions,
            messages,
            oldest_publish_ms: times(oldest).into_iter().min(),
            newest_publish_ms: times(newest).into_iter().max(),
            subscriptions: subs.unwrap_or_default(),
        });
    }
    found.sort_by(|a, b| {
        (a.letter.origin.as_ref().map(|o| &o.local), &a.letter.subscription, &a.letter.topic.local).cmp(&(
            b.letter.origin.as_ref().map(|o| &o.local),
            &b.letter.subscription,
            &b.letter.topic.local,
        ))
    });
    Ok(found)
}

/// What the name and the first message's properties say about a letter topic.
fn describe_letter(topic: &TopicName, locals: &[&str], first_props: &BTreeMap<String, String>) -> Letter {
    let kind = LetterKind::of_name(&topic.local);
    let real = first_props.get(dlq::REAL_TOPIC).and_then(|r| TopicName::parse(r).ok());
    let (origin, subscription) = match dlq::origin_by_name(&topic.local, locals) {
        Some((o, s)) => (Some(TopicName { local: o, ..topic.clone() }.parent()), Some(s)),
        None => {
            // a custom name: the origin from REAL_TOPIC, the subscription from the rest of the name
            let origin = real.map(|r| r.parent());
            let sub = origin.as_ref().and_then(|o| {
                let k = kind?;
                let base = topic.local.strip_suffix(k.suffix())?;
                base.strip_prefix(&format!("{}-", o.local)).map(str::to_string)
            });
            (origin, sub)
        }
    };
    Letter { topic: topic.clone(), kind, origin, subscription }
}

/// Describes one letter topic (for a requeue): its origin from the namespace's topic names
/// and its first message.
pub async fn letter_of(client: &Client, topic: &TopicName) -> Result<Letter> {
    let namespace = topic.namespace_path();
    let topics = client.admin.topics(&namespace).await?;
    let locals: Vec<&str> = topics.iter().map(|t| t.name.local.as_str()).collect();
    let first_part = partitions_of(client, topic).await?.into_iter().next().unwrap_or_else(|| topic.clone());
    let props = client.admin.examine_message(&first_part, false, 1).await?.map(|e| e.properties).unwrap_or_default();
    Ok(describe_letter(topic, &locals, &props))
}

/// What a requeue does.
#[derive(Debug, Clone, PartialEq)]
pub struct RequeueOptions {
    pub dlq: TopicName,
    pub target: Target,
    /// A CEL filter (the browser's language); messages it leaves out stay in the DLQ.
    pub filter: Option<String>,
    /// Only these messages (`<partition topic>@<ledger>:<entry>:<batch>`, see [`only_key`]).
    pub only: Option<HashSet<String>>,
    /// Move at most this many.
    pub limit: Option<u64>,
    /// Messages per second, at most.
    pub rate: Option<u32>,
    pub keep_dlq_properties: bool,
    /// Our durable subscription on the DLQ.
    pub subscription: String,
    pub journal: PathBuf,
}

/// The key of one message in [`RequeueOptions::only`].
pub fn only_key(topic: &str, id: &MessageId) -> String {
    format!("{topic}@{}:{}:{}", id.ledger, id.entry, id.batch)
}

/// Counts so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RequeueProgress {
    /// Messages received from the DLQ.
    pub scanned: u64,
    pub moved: u64,
    /// Already moved by an earlier run (in the journal): acknowledged, not sent again.
    pub skipped: u64,
    pub failed: u64,
    /// Left in the DLQ by the filter or the selection.
    pub left: u64,
    /// The backlog of our subscription when the run started, when known.
    pub total: Option<u64>,
}

/// How a run ended.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RequeueSummary {
    #[serde(flatten)]
    pub progress: RequeueProgress,
    /// `(DLQ message id, reason)` of every failure (those messages stay in the DLQ).
    pub failures: Vec<(String, String)>,
    /// Moved messages per target topic.
    pub targets: BTreeMap<String, u64>,
    pub cancelled: bool,
    pub journal: String,
    /// Unreadable journal lines (a torn last line after a crash).
    pub journal_bad_lines: usize,
}

/// One message as a requeue would move it (the dry run).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedMove {
    pub message_id: String,
    pub topic: String,
    /// `move`, `skip` (already moved), `leave` (filtered out) or `fail`.
    pub action: &'static str,
    pub target: Option<String>,
    pub reason: Option<String>,
}

struct Decision {
    action: &'static str,
    target: Option<TopicName>,
    reason: Option<String>,
}

/// The shared decision of the dry run and the real run for one message.
struct Planner {
    letter: Letter,
    target: Target,
    filter: Option<crate::filter::Filter>,
    only: Option<HashSet<String>>,
    moved: Moved,
    decoder: MessageDecoder,
}

impl Planner {
    fn new(opts: &RequeueOptions, letter: Letter) -> Result<Planner> {
        let filter = match &opts.filter {
            Some(f) => Some(
                crate::filter::Filter::compile(f).map_err(|e| ClientError::Invalid(format!("filter {f:?}: {e}")))?,
            ),
            None => None,
        };
        let moved = Journal::read(&opts.journal, &opts.dlq.parent().to_string())
            .map_err(|e| ClientError::Invalid(format!("cannot read the journal {}: {e}", opts.journal.display())))?;
        let decoder = MessageDecoder::with_fallback(&opts.dlq, letter.origin.as_ref());
        Ok(Planner { letter, target: opts.target.clone(), filter, only: opts.only.clone(), moved, decoder })
    }

    async fn decide(&mut self, client: &Client, m: &Message) -> Decision {
        if self.moved.contains(&m.topic, &m.id.to_string()) {
            return Decision { action: "skip", target: None, reason: Some("already moved (journal)".into()) };
        }
        if let Some(only) = &self.only {
            if !only.contains(&only_key(&m.topic, &m.id)) {
                return Decision { action: "leave", target: None, reason: Some("not selected".into()) };
            }
        }
        if let Some(f) = &self.filter {
            let decoded = self.decoder.decode(client, m).await;
            if !crate::envelope::filter_matches(f, m, &decoded).unwrap_or(false) {
                return Decision { action: "leave", target: None, reason: Some("filtered out".into()) };
            }
        }
        match self.letter.target_of(&self.target, &m.properties) {
            Ok(t) => Decision { action: "move", target: Some(t), reason: None },
            Err(reason) => Decision { action: "fail", target: None, reason: Some(reason) },
        }
    }
}

/// The dry run: what a requeue would do, read with non-durable readers (nothing changes).
pub async fn plan_requeue(client: &Client, opts: &RequeueOptions) -> Result<(RequeueSummary, Vec<PlannedMove>)> {
    let letter = letter_of(client, &opts.dlq).await?;
    let mut planner = Planner::new(opts, letter)?;
    let mut reader = TopicReader::open(client, &opts.dlq, &super::message::StartFrom::Earliest, false).await?;
    let mut summary = RequeueSummary {
        journal: opts.journal.display().to_string(),
        journal_bad_lines: planner.moved.bad_lines,
        ..Default::default()
    };
    let mut plan = Vec::new();
    while let Some(m) = reader.next().await? {
        if opts.limit.is_some_and(|l| summary.progress.moved >= l) {
            break;
        }
        summary.progress.scanned += 1;
        let d = planner.decide(client, &m).await;
        match d.action {
            "move" => {
                summary.progress.moved += 1;
                if let Some(t) = &d.target {
                    *summary.targets.entry(t.to_string()).or_default() += 1;
                }
            }
            "skip" => summary.progress.skipped += 1,
            "leave" => summary.progress.left += 1,
            _ => {
                summary.progress.failed += 1;
                summary.failures.push((m.id.to_string(), d.reason.clone().unwrap_or_default()));
            }
        }
        plan.push(PlannedMove {
            message_id: m.id.to_string(),
            topic: m.topic.clone(),
            action: d.action,
            target: d.target.map(|t| t.to_string()),
            reason: d.reason,
        });
    }
    Ok((summary, plan))
}

struct InFlight {
    size: usize,
    topic: String,
    raw_id: pulsar::proto::MessageIdData,
    id: String,
    target: String,
    send: pulsar::producer::SendFuture,
}

/// The copies sent and not yet settled, in send order.
#[derive(Default)]
struct Pipeline {
    inflight: VecDeque<InFlight>,
    /// Payload bytes in `inflight`.
    bytes: usize,
    /// Partitions where a message stays behind (filtered out, failed): no cumulative acks
    /// there any more, since one would acknowledge it too.
    unclean: HashSet<String>,
}

/// Moves messages out of a DLQ (see the module docs for why nothing is lost). Calls
/// `progress` at most every 100 ms; `cancel` stops it cleanly after the sends in flight.
pub async fn requeue(
    client: &Client,
    opts: &RequeueOptions,
    cancel: Arc<AtomicBool>,
    mut progress: impl FnMut(&RequeueProgress),
) -> Result<RequeueSummary> {
    client.ensure_writable(&format!("requeue from {}", opts.dlq))?;
    let letter = letter_of(client, &opts.dlq).await?;
    let mut planner = Planner::new(opts, letter)?;
    let mut journal = Journal::open(&opts.journal)
        .map_err(|e| ClientError::Invalid(format!("cannot open the journal {}: {e}", opts.journal.display())))?;
    let url = client.target.service_url.clone();
    let pulsar = client.pulsar().await?;

    // where the DLQ ends now: the run stops there (later arrivals wait for the next run)
    let parts = partitions_of(client, &opts.dlq).await?;
    let mut ends: HashMap<String, MessageId> = HashMap::new();
    for p in &parts {
        if let Some(id) = client.admin.examine_message_id(p, true, 1).await? {
            ends.insert(p.to_string(), id);
        }
    }

    let mut consumer = subscribe(client, &pulsar, opts).await?;
    let mut summary = RequeueSummary {
        journal: opts.journal.display().to_string(),
        journal_bad_lines: planner.moved.bad_lines,
        ..Default::default()
    };
    let partitioned = if parts.len() == 1 && parts[0] == opts.dlq { 0 } else { parts.len() as u32 };
    summary.progress.total = client
        .admin
        .topic_stats(&opts.dlq, partitioned)
        .await
        .ok()
        .and_then(|s| s.subscriptions.get(&opts.subscription).map(|s| s.msg_backlog.max(0) as u64));

    let mut producers: HashMap<String, Producer<TokioExecutor>> = HashMap::new();
    let mut pipe = Pipeline::default();
    let mut last_progress = Instant::now();
    let mut idle_since = Instant::now();
    let pace = opts.rate.filter(|r| *r > 0).map(|r| Duration::from_secs_f64(1.0 / f64::from(r)));
    let mut next_send = tokio::time::Instant::now();
    let mut reached: HashSet<String> = HashSet::new();

    loop {
        if cancel.load(Ordering::Relaxed) {
            summary.cancelled = true;
            break;
        }
        if opts.limit.is_some_and(|l| summary.progress.moved + pipe.inflight.len() as u64 >= l) {
            break;
        }
        if summary.progress.total == Some(0) || (!ends.is_empty() && reached.len() >= ends.len()) {
            break;
        }
        let msg = match tokio::time::timeout(Duration::from_millis(200), consumer.next()).await {
            Err(_) => {
                pipe.settle(false, &mut consumer, &mut journal, &mut summary).await?;
                if pipe.inflight.is_empty() && idle_since.elapsed() >= IDLE_END {
                    break;
                }
                report(&summary, &mut last_progress, &mut progress);
                continue;
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => return Err(binary_error(&url, e)),
            Ok(Some(Ok(m))) => m,
        };
        idle_since = Instant::now();
        let raw_id = msg.message_id().clone();
        let m = Message::from_pulsar(msg);
        summary.progress.scanned += 1;
        if ends.get(&m.topic).is_some_and(|end| m.id.reached(end)) {
            reached.insert(m.topic.clone());
        }
        let d = planner.decide(client, &m).await;
        match d.action {
            "skip" => {
                consumer.ack_with_id(&m.topic, raw_id).await.map_err(|e| binary_error(&url, e.into()))?;
                summary.progress.skipped += 1;
            }
            "leave" => {
                summary.progress.left += 1;
                pipe.unclean.insert(m.topic.clone());
            }
            "fail" => {
                pipe.unclean.insert(m.topic.clone());
                summary.progress.failed += 1;
                summary.failures.push((m.id.to_string(), d.reason.unwrap_or_default()));
            }
            _ => {
                let target = d.target.expect("a move has a target");
                let key = target.to_string();
                if !producers.contains_key(&key) {
                    // a target without a schema gets batched sends (far fewer entries for the
                    // broker to store); with a schema each message keeps its own version,
                    // which the protocol only carries on unbatched messages
                    let has_schema = !client.schema_versions(&target).await.unwrap_or_default().is_empty();
                    let options = pulsar::producer::ProducerOptions {
                        block_queue_if_full: true,
                        batch_size: (!has_schema).then_some(BATCH),
                        batch_timeout: (!has_schema).then_some(Duration::from_millis(5)),
                        ..Default::default()
                    };
                    let built = pulsar
                        .producer()
                        .with_topic(&key)
                        .with_name(format!("pulsar-tui-requeue-{}", std::process::id()))
                        .with_options(options)
                        .build()
                        .await;
                    match built {
                        Ok(p) => {
                            producers.insert(key.clone(), p);
                        }
                        Err(e) => {
                            summary.progress.failed += 1;
                            summary.failures.push((m.id.to_string(), format!("producer for {key}: {e}")));
                            continue;
                        }
                    }
                }
                // the version the payload was written with, as the target knows it (a dead
                // letter often lost its version: the newest of the target's that decodes it)
                let schema_version =
                    planner.decoder.writer_version(client, &target, &m).await.map(|v| v.to_be_bytes().to_vec());
                let size = m.payload.len();
                let out = pulsar::producer::Message {
                    properties: dlq::requeued_properties(
                        &m.properties,
                        opts.keep_dlq_properties,
                        &opts.dlq.parent(),
                        &m.id,
                    )
                    .into_iter()
                    .collect(),
                    partition_key: m.key.clone(),
                    partition_key_b64_encoded: m.key.as_ref().map(|_| m.key_is_base64),
                    ordering_key: m.ordering_key.clone(),
                    event_time: m.event_time_ms.map(|t| t as u64),
                    schema_version,
                    payload: m.payload,
                    ..Default::default()
                };
                if let Some(p) = pace {
                    tokio::time::sleep_until(next_send).await;
                    next_send = next_send.max(tokio::time::Instant::now() - p * 4) + p;
                }
                let producer = producers.get_mut(&key).expect("inserted above");
                match producer.send_non_blocking(out).await {
                    Ok(send) => pipe.inflight.push_back(InFlight {
                        size,
                        topic: m.topic.clone(),
                        raw_id,
                        id: m.id.to_string(),
                        target: key,
                        send,
                    }),
                    Err(e) => {
                        summary.progress.failed += 1;
                        summary.failures.push((m.id.to_string(), format!("publish to {key}: {e}")));
                    }
                }
                pipe.bytes += size;
                let full = pipe.inflight.len() >= WINDOW || pipe.bytes >= WINDOW_BYTES;
                pipe.settle(full, &mut consumer, &mut journal, &mut summary).await?;
            }
        }
        report(&summary, &mut last_progress, &mut progress);
    }
    while !pipe.inflight.is_empty() {
        pipe.settle(true, &mut consumer, &mut journal, &mut summary).await?;
    }
    let _ = journal.sync();
    let _ = consumer.close().await;
    for (_, mut p) in producers {
        let _ = p.close().await;
    }
    progress(&summary.progress);
    Ok(summary)
}

fn report(summary: &RequeueSummary, last: &mut Instant, progress: &mut impl FnMut(&RequeueProgress)) {
    if last.elapsed() >= Duration::from_millis(100) {
        progress(&summary.progress);
        *last = Instant::now();
    }
}

/// Our durable, exclusive subscription on the DLQ (exclusive: two requeues of the same DLQ
/// cannot run at once). A killed run's consumer may linger on the broker for a moment, so
/// "consumer busy" is retried for a few seconds.
async fn subscribe(
    client: &Client,
    pulsar: &pulsar::Pulsar<TokioExecutor>,
    opts: &RequeueOptions,
) -> Result<Consumer<Vec<u8>, TokioExecutor>> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let built = pulsar
            .consumer()
            .with_topic(opts.dlq.to_string())
            .with_subscription(&opts.subscription)
            .with_subscription_type(SubType::Exclusive)
            .with_batch_size(5_000)
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

impl Pipeline {
    /// Takes the sends that completed (all of them with `wait`, else only those already
    /// confirmed, but at least the oldest when the window is full), journals the confirmed
    /// ones, then acknowledges them in the DLQ. Failed sends stay unacknowledged.
    ///
    /// Our subscription is exclusive and receives each partition in order, so while nothing
    /// was left behind in a partition, one cumulative acknowledgement covers every confirmed
    /// message up to it (far less work for the broker than one per message).
    async fn settle(
        &mut self,
        wait: bool,
        consumer: &mut Consumer<Vec<u8>, TokioExecutor>,
        journal: &mut Journal,
        summary: &mut RequeueSummary,
    ) -> Result<()> {
        let mut done = Vec::new();
        let mut must = wait;
        while let Some(front) = self.inflight.front_mut() {
            let r = if must {
                (&mut front.send).await
            } else {
                match (&mut front.send).now_or_never() {
                    Some(r) => r,
                    None => break,
                }
            };
            must = wait;
            let f = self.inflight.pop_front().expect("front exists");
            self.bytes -= f.size;
            done.push((f, r));
            if wait && done.len() >= WINDOW {
                break;
            }
        }
        if done.is_empty() {
            return Ok(());
        }
        let now = format_time(chrono::Utc::now().timestamp_millis());
        let mut entries = Vec::with_capacity(done.len());
        for (f, r) in &done {
            if let Ok(receipt) = r {
                entries.push(JournalEntry {
                    dlq: f.topic.clone(),
                    message_id: f.id.clone(),
                    target: f.target.clone(),
                    target_message_id: receipt.message_id.as_ref().map(|id| MessageId::from_proto(id).to_string()),
                    at: now.clone(),
                });
            }
        }
        journal.append(&entries).map_err(|e| {
            ClientError::Invalid(format!(
                "cannot write the journal {}: {e} (stopped; nothing was lost)",
                journal.path().display()
            ))
        })?;
        // the copies are confirmed and journaled: now the originals may go
        let mut cumulative: HashMap<String, pulsar::proto::MessageIdData> = HashMap::new();
        for (f, r) in done {
            match r {
                Ok(_) => {
                    if self.unclean.contains(&f.topic) {
                        if let Err(e) = consumer.ack_with_id(&f.topic, f.raw_id).await {
                            tracing::warn!("requeue: ack of {} failed (a re-run skips it): {e}", f.id);
                        }
                    } else {
                        cumulative.insert(f.topic.clone(), f.raw_id);
                    }
                    summary.progress.moved += 1;
                    *summary.targets.entry(f.target).or_default() += 1;
                }
                Err(e) => {
                    // everything confirmed before it in this partition may still be covered
                    if let Some(id) = cumulative.remove(&f.topic) {
                        if let Err(e) = consumer.cumulative_ack_with_id(&f.topic, id).await {
                            tracing::warn!("requeue: cumulative ack on {} failed (a re-run skips them): {e}", f.topic);
                        }
                    }
                    self.unclean.insert(f.topic.clone());
                    summary.progress.failed += 1;
                    summary.failures.push((f.id, format!("publish to {}: {e}", f.target)));
                }
            }
        }
        for (topic, id) in cumulative {
            if let Err(e) = consumer.cumulative_ack_with_id(&topic, id).await {
                tracing::warn!("requeue: cumulative ack on {topic} failed (a re-run skips them): {e}");
            }
        }
        Ok(())
    }
}
