//! The producers of a requeue, per target topic.
//!
//! A target without a schema gets batched copies: far fewer entries for the broker to store
//! (one write per batch instead of one per message). The `pulsar` crate's batching producer
//! keeps one batch in flight and one queued (its send loop waits for a batch's receipt
//! before it sends the next), so its batches are made large ([`BATCH`] messages, or what
//! [`BATCH_TIMEOUT`] gathers) to keep the broker's storage busy while a receipt is awaited.
//!
//! A copy the batch format cannot carry as it is goes through an unbatched producer of the
//! same target: every copy to a target with a schema (a batch carries one schema version,
//! and each copy keeps its own), a delayed message (`deliver_at_time` is per entry: the
//! crate's batches drop it) and a message too large to share a frame. The broker's frame
//! limit (`maxMessageSize`) holds by construction: a batch closes once its payloads reach a
//! quarter of it, takes only payloads under a quarter, and at most [`BATCH`] messages with
//! metadata under a quarter over all.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pulsar::producer::{Message as Out, ProducerOptions, SendFuture};
use pulsar::{Producer, TokioExecutor};

use super::super::topic::TopicName;
use super::super::Client;

/// Messages per batch, at most...
const BATCH: u32 = 2_000;
/// ...or what arrives in this long after a batch's first message.
const BATCH_TIMEOUT: Duration = Duration::from_millis(20);

/// The producers of one target.
pub(super) struct Target {
    /// `None` for a target with a schema.
    batched: Option<Producer<TokioExecutor>>,
    /// For what a batch cannot carry; made on first use.
    single: Option<Producer<TokioExecutor>>,
}

impl Target {
    /// The target has a schema: each copy carries the version that wrote it.
    pub fn has_schema(&self) -> bool {
        self.batched.is_none()
    }
}

pub(super) struct Outbox {
    targets: HashMap<String, Target>,
    /// A quarter of the broker's `maxMessageSize`.
    quarter: usize,
}

impl Outbox {
    /// `max_message`: the broker's `maxMessageSize`.
    pub fn new(max_message: usize) -> Outbox {
        Outbox { targets: HashMap::new(), quarter: max_message / 4 }
    }

    /// The producers of `target` (`key`: its name), made on first use.
    pub async fn target(
        &mut self,
        client: &Client,
        pulsar: &pulsar::Pulsar<TokioExecutor>,
        target: &TopicName,
        key: &str,
    ) -> Result<&mut Target, String> {
        if !self.targets.contains_key(key) {
            let has_schema = !client.schema_versions(target).await.unwrap_or_default().is_empty();
            let batched = if has_schema {
                None
            } else {
                let options = ProducerOptions {
                    batch_size: Some(BATCH),
                    batch_byte_size: Some(self.quarter),
                    batch_timeout: Some(BATCH_TIMEOUT),
                    ..unbatched()
                };
                Some(producer(pulsar, target, options).await.map_err(|e| format!("producer for {key}: {e}"))?)
            };
            self.targets.insert(key.to_string(), Target { batched, single: None });
        }
        Ok(self.targets.get_mut(key).expect("inserted above"))
    }

    /// Sends one copy to `target` (see [`Outbox::target`]); the future resolves with the
    /// broker's receipt.
    pub async fn send(
        &mut self,
        pulsar: &pulsar::Pulsar<TokioExecutor>,
        target: &TopicName,
        key: &str,
        out: Out,
    ) -> Result<SendFuture, String> {
        let quarter = self.quarter;
        let t = self.targets.get_mut(key).ok_or_else(|| format!("no producer for {key}"))?;
        let batchable = out.deliver_at_time.is_none()
            && out.payload.len() < quarter
            && metadata_len(&out) < quarter / BATCH as usize;
        let sent = match &mut t.batched {
            Some(p) if batchable => p.send_non_blocking(out).await,
            _ => {
                if t.single.is_none() {
                    let p = producer(pulsar, target, unbatched()).await;
                    t.single = Some(p.map_err(|e| format!("producer for {key}: {e}"))?);
                }
                t.single.as_mut().expect("made above").send_non_blocking(out).await
            }
        };
        sent.map_err(|e| format!("publish to {key}: {e}"))
    }

    /// Closes every producer (what is still in a batch is sent first).
    pub async fn close(self) {
        for (_, t) in self.targets {
            for mut p in t.batched.into_iter().chain(t.single) {
                let _ = p.close().await;
            }
        }
    }
}

fn unbatched() -> ProducerOptions {
    ProducerOptions { block_queue_if_full: true, ..Default::default() }
}

async fn producer(
    pulsar: &pulsar::Pulsar<TokioExecutor>,
    target: &TopicName,
    options: ProducerOptions,
) -> Result<Producer<TokioExecutor>, pulsar::Error> {
    // a producer's name is unique per topic on the broker
    static MADE: AtomicUsize = AtomicUsize::new(0);
    let n = MADE.fetch_add(1, Ordering::Relaxed);
    pulsar
        .producer()
        .with_topic(target.to_string())
        .with_name(format!("pulsar-tui-requeue-{}-{n}", std::process::id()))
        .with_options(options)
        .build()
        .await
}

/// What a message adds to a batch besides its payload (its `SingleMessageMetadata`), at most.
fn metadata_len(out: &Out) -> usize {
    let props: usize = out.properties.iter().map(|(k, v)| k.len() + v.len() + 8).sum();
    props + out.partition_key.as_ref().map_or(0, String::len) + out.ordering_key.as_ref().map_or(0, Vec::len) + 32
}
