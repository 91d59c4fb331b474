//! The producers of a requeue, per target topic: our own pipelined, batching producer
//! ([`crate::pulsar::wire::BatchProducer`]), one per partition of the target.
//!
//! Every copy is batched when it can be: copies go in batches of up to [`BATCH`] messages
//! (or what [`BATCH_DELAY`] gathers), built in place, many batches in flight at once, each
//! copy with its own receipt (ledger, entry, batch index) that the engine journals before
//! the DLQ entry is acknowledged. What a batch cannot carry goes as an entry of its own by
//! the same producer, in order: a delayed copy (`deliver_at_time` is per entry), a copy
//! with another schema version than the open batch's (each copy keeps the version that
//! wrote it), a copy too large to share an entry. (A copy over the broker's
//! `maxMessageSize` is published whole, as chunks, by the engine: `wire::publish_whole`.)
//!
//! A partitioned target is routed as the Java client routes: a keyed copy by the key's
//! Java hash, keyless ones to one partition per batch's worth of copies, round the
//! partitions. A producer whose connection failed fails its unreceipted copies (they stay
//! in the DLQ with the reason, as not sent) and is made again on the next copy.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pulsar::producer::Message as Out;
use pulsar::TokioExecutor;

use super::super::error::ClientError;
use super::super::topic::TopicName;
use super::super::wire::producer::java_partition;
use super::super::wire::{BatchOptions, BatchProducer, Receipt};
use super::super::Client;

/// Messages per batch, at most...
const BATCH: u32 = 1_000;
/// ...or what arrives in this long after a batch's first message.
const BATCH_DELAY: Duration = Duration::from_millis(10);
/// Uncompressed bytes per batch, at most (and a quarter of `maxMessageSize`).
const BATCH_BYTES: usize = 1 << 20;

/// The producers of one target.
pub(super) struct Target {
    has_schema: bool,
    client: Client,
    /// The partitions' topics (index = partition), or the topic itself.
    topics: Vec<TopicName>,
    /// Made on first use, and again after a failure.
    producers: Vec<Option<BatchProducer>>,
    /// Keyless copies: the partition they go to, and how many went there.
    next: usize,
    keyless: u32,
}

impl Target {
    /// The target has a schema: each copy carries the version that wrote it.
    pub fn has_schema(&self) -> bool {
        self.has_schema
    }

    fn route(&mut self, key: Option<&str>) -> usize {
        let n = self.topics.len();
        if n <= 1 {
            return 0;
        }
        if let Some(k) = key {
            return java_partition(k, n as u32) as usize;
        }
        self.keyless += 1;
        if self.keyless > BATCH {
            self.keyless = 1;
            self.next = (self.next + 1) % n;
        }
        self.next
    }
}

pub(super) struct Outbox {
    targets: HashMap<String, Target>,
}

impl Outbox {
    /// `_max_message`: the broker's `maxMessageSize` (each producer learns it on connecting).
    pub fn new(_max_message: usize) -> Outbox {
        Outbox { targets: HashMap::new() }
    }

    /// The producers of `target` (`key`: its name), made on first use. (`_pulsar`: the
    /// copies no longer go through the `pulsar` crate; the engine's calls stay as they were.)
    pub async fn target(
        &mut self,
        client: &Client,
        _pulsar: &pulsar::Pulsar<TokioExecutor>,
        target: &TopicName,
        key: &str,
    ) -> Result<&mut Target, String> {
        if !self.targets.contains_key(key) {
            let has_schema = !client.schema_versions(target).await.unwrap_or_default().is_empty();
            let topics = match target.partition_index() {
                Some(_) => vec![target.clone()],
                None => match client.admin.partition_count(target).await {
                    // not there yet: the broker creates it, unpartitioned, on the first copy
                    Ok(0) | Err(ClientError::NotFound { .. }) => vec![target.clone()],
                    Ok(n) => (0..n).map(|p| target.partition(p)).collect(),
                    Err(e) => return Err(format!("partitions of {key}: {e}")),
                },
            };
            let producers = topics.iter().map(|_| None).collect();
            let t = Target { has_schema, client: client.clone(), topics, producers, next: 0, keyless: 0 };
            self.targets.insert(key.to_string(), t);
        }
        self.targets.get_mut(key).ok_or_else(|| format!("no producer for {key}"))
    }

    /// Queues one copy to `target` (see [`Outbox::target`]); the receipt resolves with the
    /// copy's id once the broker stored it.
    pub async fn send(
        &mut self,
        _pulsar: &pulsar::Pulsar<TokioExecutor>,
        _target: &TopicName,
        key: &str,
        out: Out,
    ) -> Result<Receipt, String> {
        let t = self.targets.get_mut(key).ok_or_else(|| format!("no producer for {key}"))?;
        let p = t.route(out.partition_key.as_deref());
        let slot = t.producers.get_mut(p).ok_or_else(|| format!("no partition {p} of {key}"))?;
        if slot.as_ref().is_some_and(|made| made.failed().is_some()) {
            *slot = None; // its unreceipted copies failed; the next go through a new one
        }
        if slot.is_none() {
            let topic = &t.topics[p];
            let made = BatchProducer::create(&t.client, topic, options()).await;
            *slot = Some(made.map_err(|e| format!("producer for {topic}: {e}"))?);
        }
        let producer = slot.as_ref().ok_or_else(|| format!("no producer for {key}"))?;
        producer.send(out).await.map_err(|e| format!("publish to {key}: {e}"))
    }

    /// Waits for every receipt, then closes every producer.
    pub async fn close(self) {
        for t in self.targets.into_values() {
            for p in t.producers.into_iter().flatten() {
                p.close().await;
            }
        }
    }
}

fn options() -> BatchOptions {
    // a producer's name is unique per topic on the broker
    static MADE: AtomicUsize = AtomicUsize::new(0);
    let n = MADE.fetch_add(1, Ordering::Relaxed);
    BatchOptions {
        max_messages: BATCH,
        max_bytes: BATCH_BYTES,
        max_delay: BATCH_DELAY,
        name: Some(format!("pulsar-tui-requeue-{}-{n}", std::process::id())),
        ..BatchOptions::default()
    }
}
