//! Aggregation of one or several brokers' scrapes into a [`MetricsSnapshot`].
//!
//! Samples stream from the parser straight into a [`SnapshotBuilder`]
//! (`parse_chunked(reader, |s| builder.ingest(s))`), so a scrape is never
//! materialised as a list of samples.
//!
//! Rules (checked against a Pulsar 4.0.8 standalone broker):
//! * Every partition `...-partition-N` is its own series; partitions are kept
//!   as rows in [`MetricsSnapshot::partitions`] and aggregated into their
//!   parent topic in [`MetricsSnapshot::topics`]: rates, throughputs, sizes,
//!   backlogs and counters are summed; producer/consumer/subscription counts
//!   take the **maximum** over partitions (a partitioned producer or consumer
//!   holds one connection per partition, like Pulsar's admin
//!   `partitioned-stats` which reports it once). Subscriptions of a
//!   partitioned topic are aggregated per `(parent, subscription)` likewise.
//! * With `splitTopicAndPartitionLabelInPrometheus=true` the broker sends the
//!   parent in `topic` and the index in `partition`; both forms are accepted.
//! * Series with `consumer_name`/`consumer_id`/`producer_name`/`producer_id`
//!   labels are per-connection duplicates of the per-subscription/per-topic
//!   series (e.g. `pulsar_out_bytes_total`) and are ignored so nothing is
//!   counted twice.
//! * `pulsar_storage_write_latency_le_*` are **non-cumulative** per-range
//!   counts (le_0_5 … le_1000, overflow) and `_sum` is in microseconds (on
//!   4.0.8 a topic with 20 writes had le_5=6, le_10=7, le_20=7, sum=166852).
//! * When `exposeTopicLevelMetricsInPrometheus=false` the same families come
//!   with only `cluster`/`namespace` labels and there are no subscription
//!   series; [`MetricsSnapshot::topic_level`] is then `false` and namespace
//!   totals come from those series.
//! * Non-finite values (`NaN`, `±Inf`) are ignored for aggregation.
//! * Merging brokers sums everything (a topic lives on one broker, but a topic
//!   reported by two brokers during a bundle move is summed, not dropped).

mod builder;
mod family;
mod interest;
mod raw;
mod types;

pub use builder::{SnapshotBuilder, FULL_SUBSCRIPTION_TOPICS};
pub use interest::{health_candidate_sub, health_candidate_topic, Interest, Kept};
pub use types::{
    AdminFallback, BrokerScrapeStatus, LatencyHistogram, MetricsSnapshot, NamespaceMetrics, ReplicationMetrics,
    SubscriptionMetrics, TopicMetrics, TxnBufferMetrics, LATENCY_BUCKET_BOUNDS_MS,
};

/// Splits `...-partition-N` into `(parent, N)`, with Pulsar's rules: `N` is a
/// canonical non-negative integer (no sign, no leading zero).
pub fn split_partition(topic: &str) -> Option<(&str, u32)> {
    const SUFFIX: &str = "-partition-";
    let pos = topic.rfind(SUFFIX)?;
    let parent = &topic[..pos];
    let idx = &topic[pos + SUFFIX.len()..];
    if parent.is_empty() || !valid_partition_index(idx) {
        return None;
    }
    idx.parse::<u32>().ok().map(|n| (parent, n))
}

/// The parent topic of a partition, or the name itself.
pub fn parent_topic(topic: &str) -> &str {
    split_partition(topic).map_or(topic, |(p, _)| p)
}

/// `tenant/ns` (or `tenant/cluster/ns` for v1 names) from a full topic name.
pub fn namespace_of_topic(topic: &str) -> &str {
    let rest = topic.split_once("://").map_or(topic, |(_, r)| r);
    match rest.rfind('/') {
        Some(i) => &rest[..i],
        None => "",
    }
}

/// True for Pulsar system topics (see [`crate::model::topic::is_system_local_name`]).
pub fn is_system_topic(topic: &str) -> bool {
    topic.rsplit('/').next().is_some_and(crate::model::topic::is_system_local_name)
}

/// A canonical partition index (`0`, `7`, `12`; not `01`, `-1`, `x`).
fn valid_partition_index(p: &str) -> bool {
    !p.is_empty()
        && p.bytes().all(|c| c.is_ascii_digit())
        && !(p.len() > 1 && p.starts_with('0'))
        && p.parse::<u32>().is_ok()
}

/// Parses one in-memory scrape into a snapshot (convenience for tests and
/// one-shot use).
pub fn snapshot_from_str(scrape: &str, broker: &str, scraped_at_ms: i64) -> MetricsSnapshot {
    let mut b = SnapshotBuilder::new();
    let stats = super::prom::parse_str(scrape, |s| b.ingest(s));
    b.add_broker_result(broker, Ok(stats), scraped_at_ms);
    b.finish()
}
