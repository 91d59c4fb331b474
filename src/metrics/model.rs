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

use super::prom::{parse_chunked_with, ParseOptions, ParseStats, Sample};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::io::BufRead;

/// Upper bounds (ms) of Pulsar's write-latency buckets `le_0_5` … `le_1000`;
/// a tenth bucket (`overflow`) holds everything above 1 s.
pub const LATENCY_BUCKET_BOUNDS_MS: [f64; 9] = [0.5, 1.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 1000.0];

/// Storage write (publish persistence) latency, from
/// `pulsar_storage_write_latency_*`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyHistogram {
    /// Non-cumulative counts per bucket, bounds in [`LATENCY_BUCKET_BOUNDS_MS`];
    /// index 9 is the overflow bucket.
    pub buckets: [u64; 10],
    /// Number of writes (`_count`).
    pub count: u64,
    /// Sum of latencies in microseconds (`_sum`).
    pub sum_us: f64,
}

impl LatencyHistogram {
    /// Mean latency in milliseconds, if any write was recorded.
    pub fn mean_ms(&self) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let mean = self.sum_us / self.count as f64 / 1000.0;
        mean.is_finite().then_some(mean)
    }

    /// Upper bound (ms) of the bucket holding quantile `q` (0..=1), from the
    /// bucket counts; `f64::INFINITY` when it falls in the overflow bucket.
    pub fn quantile_upper_bound_ms(&self, q: f64) -> Option<f64> {
        let total: u64 = self.buckets.iter().sum();
        if total == 0 || !q.is_finite() {
            return None;
        }
        let rank = (q.clamp(0.0, 1.0) * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0u64;
        for (i, c) in self.buckets.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(LATENCY_BUCKET_BOUNDS_MS.get(i).copied().unwrap_or(f64::INFINITY));
            }
        }
        Some(f64::INFINITY)
    }

    fn add(&mut self, o: &LatencyHistogram) {
        for (a, b) in self.buckets.iter_mut().zip(o.buckets.iter()) {
            *a = a.saturating_add(*b);
        }
        self.count = self.count.saturating_add(o.count);
        self.sum_us += o.sum_us;
    }
}

/// Replication towards one remote cluster (`remote_cluster` label).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReplicationMetrics {
    /// `pulsar_replication_backlog` (messages).
    pub backlog: u64,
    /// `pulsar_replication_rate_in` (msg/s).
    pub rate_in: f64,
    /// `pulsar_replication_rate_out` (msg/s).
    pub rate_out: f64,
    /// `pulsar_replication_throughput_in` (bytes/s).
    pub throughput_in: f64,
    /// `pulsar_replication_throughput_out` (bytes/s).
    pub throughput_out: f64,
    /// `pulsar_replication_connected_count`.
    pub connected: u64,
    /// `pulsar_replication_delay_in_seconds` (max when aggregated).
    pub delay_secs: f64,
}

impl ReplicationMetrics {
    fn add(&mut self, o: &ReplicationMetrics) {
        self.backlog = self.backlog.saturating_add(o.backlog);
        self.rate_in += o.rate_in;
        self.rate_out += o.rate_out;
        self.throughput_in += o.throughput_in;
        self.throughput_out += o.throughput_out;
        self.connected = self.connected.saturating_add(o.connected);
        self.delay_secs = self.delay_secs.max(o.delay_secs);
    }
}

/// Metrics of one topic (a partitioned topic's parent, a non-partitioned
/// topic, or — in [`MetricsSnapshot::partitions`] — one partition).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TopicMetrics {
    /// Full topic name, e.g. `persistent://public/default/orders`.
    pub name: String,
    /// `tenant/namespace` (from the `namespace` label).
    pub namespace: String,
    /// Partition topic names, by index; empty for non-partitioned topics and
    /// for partition rows.
    pub partitions: Vec<String>,
    /// `pulsar_producers_count` (max over partitions).
    pub producers: u64,
    /// `pulsar_consumers_count` (max over partitions).
    pub consumers: u64,
    /// `pulsar_subscriptions_count` (max over partitions).
    pub subscriptions: u64,
    /// `pulsar_rate_in` (msg/s).
    pub rate_in: f64,
    /// `pulsar_rate_out` (msg/s, all subscriptions).
    pub rate_out: f64,
    /// `pulsar_throughput_in` (bytes/s).
    pub throughput_in: f64,
    /// `pulsar_throughput_out` (bytes/s).
    pub throughput_out: f64,
    /// `pulsar_msg_backlog`: messages, summed over subscriptions.
    pub msg_backlog: u64,
    /// `pulsar_storage_backlog_size` (bytes).
    pub backlog_size: u64,
    /// `pulsar_storage_size` (bytes).
    pub storage_size: u64,
    /// `pulsar_storage_offloaded_size` (bytes).
    pub offloaded_size: u64,
    /// `pulsar_in_messages_total` (counter).
    pub in_messages_total: u64,
    /// `pulsar_in_bytes_total` (counter).
    pub in_bytes_total: u64,
    /// Storage write latency, if the broker exports it.
    pub publish_latency: Option<LatencyHistogram>,
    /// Replication per remote cluster.
    pub replication: BTreeMap<String, ReplicationMetrics>,
}

impl TopicMetrics {
    fn new(name: &str, namespace: &str) -> Self {
        TopicMetrics { name: name.to_owned(), namespace: namespace.to_owned(), ..Default::default() }
    }

    /// True for a partitioned topic's parent row.
    pub fn is_partitioned(&self) -> bool {
        !self.partitions.is_empty()
    }

    /// True for Pulsar system topics (local name starting with `__`).
    pub fn is_system(&self) -> bool {
        is_system_topic(&self.name)
    }

    /// Sums another row into this one. `partition_merge`: connection counts
    /// take the max instead of the sum.
    fn add(&mut self, o: &TopicMetrics, partition_merge: bool) {
        if partition_merge {
            self.producers = self.producers.max(o.producers);
            self.consumers = self.consumers.max(o.consumers);
            self.subscriptions = self.subscriptions.max(o.subscriptions);
        } else {
            self.producers = self.producers.saturating_add(o.producers);
            self.consumers = self.consumers.saturating_add(o.consumers);
            self.subscriptions = self.subscriptions.saturating_add(o.subscriptions);
        }
        self.rate_in += o.rate_in;
        self.rate_out += o.rate_out;
        self.throughput_in += o.throughput_in;
        self.throughput_out += o.throughput_out;
        self.msg_backlog = self.msg_backlog.saturating_add(o.msg_backlog);
        self.backlog_size = self.backlog_size.saturating_add(o.backlog_size);
        self.storage_size = self.storage_size.saturating_add(o.storage_size);
        self.offloaded_size = self.offloaded_size.saturating_add(o.offloaded_size);
        self.in_messages_total = self.in_messages_total.saturating_add(o.in_messages_total);
        self.in_bytes_total = self.in_bytes_total.saturating_add(o.in_bytes_total);
        if let Some(l) = &o.publish_latency {
            self.publish_latency.get_or_insert_with(Default::default).add(l);
        }
        for (remote, r) in &o.replication {
            match self.replication.get_mut(remote) {
                Some(mine) => mine.add(r),
                None => {
                    self.replication.insert(remote.clone(), r.clone());
                }
            }
        }
    }
}

/// Metrics of one subscription (aggregated over partitions).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionMetrics {
    /// Topic (the parent for partitioned topics).
    pub topic: String,
    /// Subscription name (unescaped; may contain `,` `=` `"` `\`).
    pub name: String,
    /// Number of partition rows aggregated (0 for a non-partitioned topic).
    pub partitions: u32,
    /// `pulsar_subscription_back_log` (messages).
    pub backlog: u64,
    /// `pulsar_subscription_back_log_no_delayed`.
    pub backlog_no_delayed: u64,
    /// `pulsar_subscription_delayed` (delayed-delivery messages tracked).
    pub delayed: u64,
    /// `pulsar_subscription_unacked_messages`.
    pub unacked: u64,
    /// `pulsar_subscription_msg_rate_redeliver` (msg/s).
    pub rate_redeliver: f64,
    /// `pulsar_subscription_msg_rate_out` (msg/s).
    pub rate_out: f64,
    /// `pulsar_subscription_msg_throughput_out` (bytes/s).
    pub throughput_out: f64,
    /// `pulsar_subscription_consumers_count` (max over partitions).
    pub consumers: u64,
    /// `pulsar_subscription_blocked_on_unacked_messages` on any partition.
    pub blocked: bool,
    /// `pulsar_out_messages_total` of the subscription (not per consumer).
    pub out_messages_total: u64,
    /// `pulsar_out_bytes_total` of the subscription (not per consumer).
    pub out_bytes_total: u64,
}

impl SubscriptionMetrics {
    fn new(topic: &str, name: &str) -> Self {
        SubscriptionMetrics { topic: topic.to_owned(), name: name.to_owned(), ..Default::default() }
    }

    fn add(&mut self, o: &SubscriptionMetrics, partition_merge: bool) {
        self.backlog = self.backlog.saturating_add(o.backlog);
        self.backlog_no_delayed = self.backlog_no_delayed.saturating_add(o.backlog_no_delayed);
        self.delayed = self.delayed.saturating_add(o.delayed);
        self.unacked = self.unacked.saturating_add(o.unacked);
        self.rate_redeliver += o.rate_redeliver;
        self.rate_out += o.rate_out;
        self.throughput_out += o.throughput_out;
        self.consumers =
            if partition_merge { self.consumers.max(o.consumers) } else { self.consumers.saturating_add(o.consumers) };
        self.blocked |= o.blocked;
        self.out_messages_total = self.out_messages_total.saturating_add(o.out_messages_total);
        self.out_bytes_total = self.out_bytes_total.saturating_add(o.out_bytes_total);
    }
}

/// Totals of one namespace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NamespaceMetrics {
    /// `tenant/namespace`.
    pub name: String,
    /// Topics, counting each partition (`pulsar_topics_count` when exported).
    pub topics: u64,
    /// Sum of per-topic/partition subscription counts.
    pub subscriptions: u64,
    /// Sum of per-topic/partition producer counts.
    pub producers: u64,
    /// Sum of per-topic/partition consumer counts.
    pub consumers: u64,
    /// Messages in per second.
    pub rate_in: f64,
    /// Messages out per second.
    pub rate_out: f64,
    /// Bytes in per second.
    pub throughput_in: f64,
    /// Bytes out per second.
    pub throughput_out: f64,
    /// Backlog in messages.
    pub msg_backlog: u64,
    /// Backlog in bytes.
    pub backlog_size: u64,
    /// Storage size in bytes.
    pub storage_size: u64,
    /// Offloaded size in bytes.
    pub offloaded_size: u64,
    /// Delayed-delivery messages.
    pub delayed: u64,
    /// Messages in (counter).
    pub in_messages_total: u64,
    /// Bytes in (counter).
    pub in_bytes_total: u64,
    /// Storage write latency.
    pub publish_latency: Option<LatencyHistogram>,
    /// Replication per remote cluster.
    pub replication: BTreeMap<String, ReplicationMetrics>,
}

impl NamespaceMetrics {
    fn new(name: &str) -> Self {
        NamespaceMetrics { name: name.to_owned(), ..Default::default() }
    }

    fn add_topic(&mut self, t: &TopicMetrics) {
        self.subscriptions = self.subscriptions.saturating_add(t.subscriptions);
        self.producers = self.producers.saturating_add(t.producers);
        self.consumers = self.consumers.saturating_add(t.consumers);
        self.rate_in += t.rate_in;
        self.rate_out += t.rate_out;
        self.throughput_in += t.throughput_in;
        self.throughput_out += t.throughput_out;
        self.msg_backlog = self.msg_backlog.saturating_add(t.msg_backlog);
        self.backlog_size = self.backlog_size.saturating_add(t.backlog_size);
        self.storage_size = self.storage_size.saturating_add(t.storage_size);
        self.offloaded_size = self.offloaded_size.saturating_add(t.offloaded_size);
        self.in_messages_total = self.in_messages_total.saturating_add(t.in_messages_total);
        self.in_bytes_total = self.in_bytes_total.saturating_add(t.in_bytes_total);
        if let Some(l) = &t.publish_latency {
            self.publish_latency.get_or_insert_with(Default::default).add(l);
        }
        for (remote, r) in &t.replication {
            self.replication.entry(remote.clone()).or_default().add(r);
        }
    }

    fn add(&mut self, o: &NamespaceMetrics) {
        let mut as_topic = TopicMetrics {
            subscriptions: o.subscriptions,
            producers: o.producers,
            consumers: o.consumers,
            rate_in: o.rate_in,
            rate_out: o.rate_out,
            throughput_in: o.throughput_in,
            throughput_out: o.throughput_out,
            msg_backlog: o.msg_backlog,
            backlog_size: o.backlog_size,
            storage_size: o.storage_size,
            offloaded_size: o.offloaded_size,
            in_messages_total: o.in_messages_total,
            in_bytes_total: o.in_bytes_total,
            publish_latency: o.publish_latency.clone(),
            ..Default::default()
        };
        as_topic.replication = o.replication.clone();
        self.add_topic(&as_topic);
        self.topics = self.topics.saturating_add(o.topics);
        self.delayed = self.delayed.saturating_add(o.delayed);
    }
}

/// The outcome of scraping one broker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BrokerScrapeStatus {
    /// Broker identifier as given by the caller (e.g. its web service URL).
    pub broker: String,
    /// When the scrape was taken (epoch ms).
    pub scraped_at_ms: i64,
    /// Parse counters, or why the scrape failed.
    pub result: Result<ParseStats, String>,
    /// `Some(true)` if the broker exported per-topic series, `Some(false)` if
    /// only namespace-level ones, `None` if neither was seen.
    pub topic_level: Option<bool>,
}

/// One aggregated view of the cluster's metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricsSnapshot {
    /// Topics by full name; partitioned topics appear once, as their parent.
    pub topics: BTreeMap<String, TopicMetrics>,
    /// Subscriptions by `(topic, subscription)`, `topic` being the parent.
    /// Serialized as a list.
    #[serde(with = "subscription_map")]
    pub subscriptions: BTreeMap<(String, String), SubscriptionMetrics>,
    /// Per-partition rows by partition name (`...-partition-N`).
    pub partitions: BTreeMap<String, TopicMetrics>,
    /// Namespace totals by `tenant/namespace`.
    pub namespaces: BTreeMap<String, NamespaceMetrics>,
    /// One entry per [`SnapshotBuilder::add_broker_result`] call.
    pub brokers: Vec<BrokerScrapeStatus>,
    /// `false` when some broker exported only namespace-level series
    /// (`exposeTopicLevelMetricsInPrometheus=false`): topics and
    /// subscriptions are then incomplete or empty.
    pub topic_level: bool,
    /// Namespaces some broker reported with namespace-level series only (sorted): their
    /// topics are missing from the scrape.
    #[serde(default)]
    pub namespace_level: Vec<String>,
    /// Set when the topics of [`Self::namespace_level`] namespaces were filled in from the
    /// admin API's topic stats instead ([`Self::add_admin_topic`]).
    #[serde(default)]
    pub admin_fallback: Option<AdminFallback>,
}

/// How the topics missing from a namespace-level scrape were filled in from the admin API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdminFallback {
    /// Topics (partitioned ones once) whose admin stats were added.
    pub topics: usize,
    /// More topics were listed than fetched (the fallback is bounded).
    pub truncated: bool,
    /// Why some listing or stats call failed (the first such error), if one did.
    pub error: Option<String>,
}

impl MetricsSnapshot {
    /// Subscriptions of `topic` (parent name), in name order.
    pub fn subscriptions_of<'a>(&'a self, topic: &'a str) -> impl Iterator<Item = &'a SubscriptionMetrics> + 'a {
        self.subscriptions
            .range((topic.to_owned(), String::new())..)
            .take_while(move |((t, _), _)| t == topic)
            .map(|(_, s)| s)
    }

    /// Per-partition rows of `topic` (empty for non-partitioned topics).
    pub fn partitions_of<'a>(&'a self, topic: &str) -> impl Iterator<Item = &'a TopicMetrics> + 'a {
        let names: &'a [String] = self.topics.get(topic).map(|t| t.partitions.as_slice()).unwrap_or(&[]);
        names.iter().filter_map(move |p| self.partitions.get(p))
    }

    /// Topics of namespace `ns`.
    pub fn topics_in_namespace<'a>(&'a self, ns: &'a str) -> impl Iterator<Item = &'a TopicMetrics> + 'a {
        self.topics.values().filter(move |t| t.namespace == ns)
    }

    /// Brokers whose scrape failed.
    pub fn failed_brokers(&self) -> impl Iterator<Item = &BrokerScrapeStatus> {
        self.brokers.iter().filter(|b| b.result.is_err())
    }

    /// Namespaces whose topics must come from the admin API because the scrape has only
    /// their namespace-level series (`exposeTopicLevelMetricsInPrometheus=false`): the v2
    /// `tenant/namespace` names of [`Self::namespace_level`] (v1 names such as the
    /// broker's heartbeat namespace `pulsar/cluster/host:port` are left out).
    pub fn fallback_namespaces(&self) -> Vec<String> {
        self.namespace_level
            .iter()
            .filter(|ns| {
                let mut parts = ns.split('/');
                matches!((parts.next(), parts.next(), parts.next()), (Some(t), Some(n), None) if !t.is_empty() && !n.is_empty())
            })
            .cloned()
            .collect()
    }

    /// Adds a topic (and its subscriptions) read from the admin API's stats, unless the
    /// scrape already has it (a topic on a broker that does export topic-level series).
    /// Namespace totals are left alone: they come from the namespace-level series.
    /// Returns whether it was added.
    pub fn add_admin_topic(&mut self, topic: TopicMetrics, subscriptions: Vec<SubscriptionMetrics>) -> bool {
        if self.topics.contains_key(&topic.name) {
            return false;
        }
        for mut s in subscriptions {
            s.topic.clone_from(&topic.name);
            self.subscriptions.insert((topic.name.clone(), s.name.clone()), s);
        }
        self.topics.insert(topic.name.clone(), topic);
        true
    }
}

mod subscription_map {
    use super::SubscriptionMetrics;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::collections::BTreeMap;

    type Map = BTreeMap<(String, String), SubscriptionMetrics>;

    pub fn serialize<S: Serializer>(m: &Map, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.values())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Map, D::Error> {
        let v: Vec<SubscriptionMetrics> = Vec::deserialize(d)?;
        Ok(v.into_iter().map(|s| ((s.topic.clone(), s.name.clone()), s)).collect())
    }
}

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

/// True for Pulsar system topics (local name starting with `__`).
pub fn is_system_topic(topic: &str) -> bool {
    topic.rsplit('/').next().is_some_and(|l| l.starts_with("__"))
}

// ---------------------------------------------------------------------------
// Families

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TopicField {
    Subscriptions,
    Producers,
    Consumers,
    RateIn,
    RateOut,
    ThroughputIn,
    ThroughputOut,
    MsgBacklog,
    BacklogSize,
    StorageSize,
    OffloadedSize,
    InMessages,
    InBytes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SubField {
    Backlog,
    BacklogNoDelayed,
    Delayed,
    Unacked,
    RateRedeliver,
    RateOut,
    ThroughputOut,
    Consumers,
    Blocked,
    OutMessages,
    OutBytes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReplField {
    Backlog,
    RateIn,
    RateOut,
    ThroughputIn,
    ThroughputOut,
    Connected,
    Delay,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LatField {
    Bucket(usize),
    Count,
    Sum,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Topic(TopicField),
    Sub(SubField),
    /// Per subscription when a `subscription` label is present (4.0.8 only
    /// exports these per subscription), per topic otherwise.
    OutCounter(SubField),
    Repl(ReplField),
    Latency(LatField),
    TopicsCount,
}

fn family(short: &str) -> Option<Family> {
    use Family as F;
    Some(match short {
        "subscriptions_count" => F::Topic(TopicField::Subscriptions),
        "producers_count" => F::Topic(TopicField::Producers),
        "consumers_count" => F::Topic(TopicField::Consumers),
        "rate_in" => F::Topic(TopicField::RateIn),
        "rate_out" => F::Topic(TopicField::RateOut),
        "throughput_in" => F::Topic(TopicField::ThroughputIn),
        "throughput_out" => F::Topic(TopicField::ThroughputOut),
        "msg_backlog" => F::Topic(TopicField::MsgBacklog),
        "storage_backlog_size" => F::Topic(TopicField::BacklogSize),
        "storage_size" => F::Topic(TopicField::StorageSize),
        "storage_offloaded_size" => F::Topic(TopicField::OffloadedSize),
        "in_messages_total" => F::Topic(TopicField::InMessages),
        "in_bytes_total" => F::Topic(TopicField::InBytes),
        "out_messages_total" => F::OutCounter(SubField::OutMessages),
        "out_bytes_total" => F::OutCounter(SubField::OutBytes),
        "subscription_back_log" => F::Sub(SubField::Backlog),
        "subscription_back_log_no_delayed" => F::Sub(SubField::BacklogNoDelayed),
        "subscription_delayed" => F::Sub(SubField::Delayed),
        "subscription_unacked_messages" => F::Sub(SubField::Unacked),
        "subscription_msg_rate_redeliver" => F::Sub(SubField::RateRedeliver),
        "subscription_msg_rate_out" => F::Sub(SubField::RateOut),
        "subscription_msg_throughput_out" => F::Sub(SubField::ThroughputOut),
        "subscription_consumers_count" => F::Sub(SubField::Consumers),
        "subscription_blocked_on_unacked_messages" => F::Sub(SubField::Blocked),
        "replication_backlog" => F::Repl(ReplField::Backlog),
        "replication_rate_in" => F::Repl(ReplField::RateIn),
        "replication_rate_out" => F::Repl(ReplField::RateOut),
        "replication_throughput_in" => F::Repl(ReplField::ThroughputIn),
        "replication_throughput_out" => F::Repl(ReplField::ThroughputOut),
        "replication_connected_count" => F::Repl(ReplField::Connected),
        "replication_delay_in_seconds" => F::Repl(ReplField::Delay),
        "storage_write_latency_le_0_5" => F::Latency(LatField::Bucket(0)),
        "storage_write_latency_le_1" => F::Latency(LatField::Bucket(1)),
        "storage_write_latency_le_5" => F::Latency(LatField::Bucket(2)),
        "storage_write_latency_le_10" => F::Latency(LatField::Bucket(3)),
        "storage_write_latency_le_20" => F::Latency(LatField::Bucket(4)),
        "storage_write_latency_le_50" => F::Latency(LatField::Bucket(5)),
        "storage_write_latency_le_100" => F::Latency(LatField::Bucket(6)),
        "storage_write_latency_le_200" => F::Latency(LatField::Bucket(7)),
        "storage_write_latency_le_1000" => F::Latency(LatField::Bucket(8)),
        "storage_write_latency_overflow" => F::Latency(LatField::Bucket(9)),
        "storage_write_latency_count" => F::Latency(LatField::Count),
        "storage_write_latency_sum" => F::Latency(LatField::Sum),
        "topics_count" => F::TopicsCount,
        _ => return None,
    })
}

fn to_u64(v: f64) -> u64 {
    if v > 0.0 {
        // `as` saturates; v is finite here.
        v.round() as u64
    } else {
        0
    }
}

fn apply_topic(t: &mut TopicMetrics, f: TopicField, v: f64) {
    let n = to_u64(v);
    match f {
        TopicField::Subscriptions => t.subscriptions = t.subscriptions.saturating_add(n),
        TopicField::Producers => t.producers = t.producers.saturating_add(n),
        TopicField::Consumers => t.consumers = t.consumers.saturating_add(n),
        TopicField::RateIn => t.rate_in += v,
        TopicField::RateOut => t.rate_out += v,
        TopicField::ThroughputIn => t.throughput_in += v,
        TopicField::ThroughputOut => t.throughput_out += v,
        TopicField::MsgBacklog => t.msg_backlog = t.msg_backlog.saturating_add(n),
        TopicField::BacklogSize => t.backlog_size = t.backlog_size.saturating_add(n),
        TopicField::StorageSize => t.storage_size = t.storage_size.saturating_add(n),
        TopicField::OffloadedSize => t.offloaded_size = t.offloaded_size.saturating_add(n),
        TopicField::InMessages => t.in_messages_total = t.in_messages_total.saturating_add(n),
        TopicField::InBytes => t.in_bytes_total = t.in_bytes_total.saturating_add(n),
    }
}

fn apply_sub(s: &mut SubscriptionMetrics, f: SubField, v: f64) {
    let n = to_u64(v);
    match f {
        SubField::Backlog => s.backlog = s.backlog.saturating_add(n),
        SubField::BacklogNoDelayed => s.backlog_no_delayed = s.backlog_no_delayed.saturating_add(n),
        SubField::Delayed => s.delayed = s.delayed.saturating_add(n),
        SubField::Unacked => s.unacked = s.unacked.saturating_add(n),
        SubField::RateRedeliver => s.rate_redeliver += v,
        SubField::RateOut => s.rate_out += v,
        SubField::ThroughputOut => s.throughput_out += v,
        SubField::Consumers => s.consumers = s.consumers.saturating_add(n),
        SubField::Blocked => s.blocked |= v > 0.0,
        SubField::OutMessages => s.out_messages_total = s.out_messages_total.saturating_add(n),
        SubField::OutBytes => s.out_bytes_total = s.out_bytes_total.saturating_add(n),
    }
}

fn apply_repl(r: &mut ReplicationMetrics, f: ReplField, v: f64) {
    match f {
        ReplField::Backlog => r.backlog = r.backlog.saturating_add(to_u64(v)),
        ReplField::RateIn => r.rate_in += v,
        ReplField::RateOut => r.rate_out += v,
        ReplField::ThroughputIn => r.throughput_in += v,
        ReplField::ThroughputOut => r.throughput_out += v,
        ReplField::Connected => r.connected = r.connected.saturating_add(to_u64(v)),
        ReplField::Delay => r.delay_secs = r.delay_secs.max(v),
    }
}

fn apply_latency(l: &mut Option<LatencyHistogram>, f: LatField, v: f64) {
    let h = l.get_or_insert_with(Default::default);
    match f {
        LatField::Bucket(i) => {
            if let Some(b) = h.buckets.get_mut(i) {
                *b = b.saturating_add(to_u64(v));
            }
        }
        LatField::Count => h.count = h.count.saturating_add(to_u64(v)),
        LatField::Sum => h.sum_us += v.max(0.0),
    }
}

fn apply_replication(map: &mut BTreeMap<String, ReplicationMetrics>, remote: &str, f: ReplField, v: f64) {
    match map.get_mut(remote) {
        Some(r) => apply_repl(r, f, v),
        None => {
            let mut r = ReplicationMetrics::default();
            apply_repl(&mut r, f, v);
            map.insert(remote.to_owned(), r);
        }
    }
}

// ---------------------------------------------------------------------------
// A small, fast, non-cryptographic hasher (FxHash) for the builder's maps.
// Keys are topic names from the brokers being monitored.

#[derive(Default, Clone, Copy)]
struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.hash = (self.hash.rotate_left(5) ^ w).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            self.add(u64::from_le_bytes(a));
        }
        let rem = chunks.remainder();
        if !rem.is_empty() {
            let mut a = [0u8; 8];
            a[..rem.len()].copy_from_slice(rem);
            self.add(u64::from_le_bytes(a) ^ ((rem.len() as u64) << 56));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // Final avalanche so hashbrown's top-7-bit tags are well spread.
        let mut h = self.hash;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

// ---------------------------------------------------------------------------
// Builder

/// Subscriptions of one topic beyond which lookups go through a hash index.
const SUB_LINEAR_MAX: usize = 16;

#[derive(Debug, Default)]
struct TopicAcc {
    metrics: TopicMetrics,
    subs: Vec<SubscriptionMetrics>,
    /// Built once a topic has more than [`SUB_LINEAR_MAX`] subscriptions.
    sub_index: Option<FxMap<String, usize>>,
    sub_cursor: usize,
}

impl TopicAcc {
    fn new(name: &str, namespace: &str) -> Self {
        TopicAcc { metrics: TopicMetrics::new(name, namespace), ..Default::default() }
    }

    /// Index of subscription `name`, created if missing. Pulsar writes a
    /// family's series topic by topic, subscription by subscription, in the
    /// same order for every family: try the predicted positions first.
    fn sub_mut(&mut self, name: &str) -> &mut SubscriptionMetrics {
        let c = self.sub_cursor;
        let predicted = [c, c + 1, 0].into_iter().find(|&i| self.subs.get(i).is_some_and(|s| s.name == name));
        let idx = match predicted {
            Some(i) => i,
            None => {
                let found = match &self.sub_index {
                    Some(ix) => ix.get(name).copied(),
                    None => self.subs.iter().position(|s| s.name == name),
                };
                match found {
                    Some(i) => i,
                    None => self.push_sub(SubscriptionMetrics::new(&self.metrics.name, name)),
                }
            }
        };
        self.sub_cursor = idx;
        &mut self.subs[idx]
    }

    fn push_sub(&mut self, s: SubscriptionMetrics) -> usize {
        let idx = self.subs.len();
        if let Some(ix) = &mut self.sub_index {
            ix.insert(s.name.clone(), idx);
        }
        self.subs.push(s);
        if self.sub_index.is_none() && self.subs.len() > SUB_LINEAR_MAX {
            self.sub_index = Some(self.subs.iter().enumerate().map(|(i, s)| (s.name.clone(), i)).collect());
        }
        idx
    }

    fn merge(&mut self, other: TopicAcc) {
        self.metrics.add(&other.metrics, false);
        for s in other.subs {
            let existing = match &self.sub_index {
                Some(ix) => ix.get(&s.name).copied(),
                None => self.subs.iter().position(|m| m.name == s.name),
            };
            match existing {
                Some(i) => self.subs[i].add(&s, false),
                None => {
                    self.push_sub(s);
                }
            }
        }
    }
}

#[derive(Debug, Default)]
struct NamespaceAcc {
    metrics: NamespaceMetrics,
    /// `pulsar_topics_count` seen for this namespace.
    topics_count: Option<u64>,
    /// Namespace-level series (other than `pulsar_topics_count`) were seen.
    namespace_level: bool,
}

/// Streams samples (from one or several brokers) into a [`MetricsSnapshot`].
///
/// ```
/// use pulsar_tui::metrics::{prom, SnapshotBuilder};
///
/// let scrape = "pulsar_msg_backlog{namespace=\"t/n\",topic=\"persistent://t/n/x-partition-0\"} 3\n";
/// let reader = std::io::BufReader::new(scrape.as_bytes()); // e.g. an HTTP body
/// let mut b = SnapshotBuilder::new();
/// let res = prom::parse_chunked(reader, |s| b.ingest(s));
/// b.add_broker_result("http://broker-1:8080", res.map_err(|e| e.to_string()), 0);
/// let snapshot = b.finish();
/// assert_eq!(snapshot.topics["persistent://t/n/x"].msg_backlog, 3);
/// ```
///
/// Lookups are predicted from the previous sample (Pulsar writes every
/// family in the same topic order), falling back to a hash index, so
/// aggregation stays sequential in memory even with 100k+ topics.
#[derive(Debug, Default)]
pub struct SnapshotBuilder {
    /// Raw topic rows (partitions separate) in order of first appearance.
    topics: Vec<TopicAcc>,
    index: FxMap<String, usize>,
    cursor: usize,
    namespaces: FxMap<String, NamespaceAcc>,
    brokers: Vec<BrokerScrapeStatus>,
    /// Since the last `add_broker_result`.
    pending_topic_series: bool,
    pending_namespace_series: bool,
    any_namespace_series: bool,
    ignored_non_finite: u64,
}

fn apply_to_topic_acc(acc: &mut TopicAcc, fam: Family, subscription: Option<&str>, remote: Option<&str>, v: f64) {
    match fam {
        Family::Topic(f) => {
            if subscription.is_none() {
                apply_topic(&mut acc.metrics, f, v);
            }
        }
        // Topic-level out counters (no `subscription` label) are not part of
        // the model: they are derivable from the subscriptions.
        Family::Sub(f) | Family::OutCounter(f) => {
            if let Some(sub) = subscription {
                apply_sub(acc.sub_mut(sub), f, v);
            }
        }
        Family::Repl(f) => {
            if let Some(r) = remote {
                apply_replication(&mut acc.metrics.replication, r, f, v);
            }
        }
        Family::Latency(f) => {
            if subscription.is_none() {
                apply_latency(&mut acc.metrics.publish_latency, f, v);
            }
        }
        Family::TopicsCount => {}
    }
}

fn apply_namespace(m: &mut NamespaceMetrics, f: TopicField, v: f64) {
    let n = to_u64(v);
    match f {
        TopicField::Subscriptions => m.subscriptions = m.subscriptions.saturating_add(n),
        TopicField::Producers => m.producers = m.producers.saturating_add(n),
        TopicField::Consumers => m.consumers = m.consumers.saturating_add(n),
        TopicField::RateIn => m.rate_in += v,
        TopicField::RateOut => m.rate_out += v,
        TopicField::ThroughputIn => m.throughput_in += v,
        TopicField::ThroughputOut => m.throughput_out += v,
        TopicField::MsgBacklog => m.msg_backlog = m.msg_backlog.saturating_add(n),
        TopicField::BacklogSize => m.backlog_size = m.backlog_size.saturating_add(n),
        TopicField::StorageSize => m.storage_size = m.storage_size.saturating_add(n),
        TopicField::OffloadedSize => m.offloaded_size = m.offloaded_size.saturating_add(n),
        TopicField::InMessages => m.in_messages_total = m.in_messages_total.saturating_add(n),
        TopicField::InBytes => m.in_bytes_total = m.in_bytes_total.saturating_add(n),
    }
}

/// A canonical partition index (`0`, `7`, `12`; not `01`, `-1`, `x`).
fn valid_partition_index(p: &str) -> bool {
    !p.is_empty()
        && p.bytes().all(|c| c.is_ascii_digit())
        && !(p.len() > 1 && p.starts_with('0'))
        && p.parse::<u32>().is_ok()
}

impl SnapshotBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Samples ignored because their value was `NaN` or infinite.
    pub fn ignored_non_finite(&self) -> u64 {
        self.ignored_non_finite
    }

    /// Feeds one sample. Unknown families are ignored cheaply.
    pub fn ingest(&mut self, sample: &Sample<'_>) {
        let Some(short) = sample.name.strip_prefix("pulsar_") else {
            return;
        };
        let Some(fam) = family(short) else {
            return;
        };
        let v = sample.value;
        if !v.is_finite() {
            self.ignored_non_finite += 1;
            return;
        }
        let mut topic = None;
        let mut namespace = None;
        let mut subscription = None;
        let mut remote = None;
        let mut partition = None;
        for (k, val) in sample.labels.iter() {
            match k {
                "topic" => topic = Some(val),
                "namespace" => namespace = Some(val),
                "subscription" => subscription = Some(val),
                "remote_cluster" => remote = Some(val),
                "partition" => partition = Some(val),
                "consumer_name" | "consumer_id" | "producer_name" | "producer_id" => return,
                _ => {}
            }
        }
        match topic {
            Some(t) if !t.is_empty() => {
                self.pending_topic_series = true;
                let raw: std::borrow::Cow<'_, str> = match partition {
                    Some(p) if valid_partition_index(p) && split_partition(t).is_none() => {
                        format!("{t}-partition-{p}").into()
                    }
                    _ => t.into(),
                };
                self.ingest_topic(fam, &raw, namespace, subscription, remote, v);
            }
            _ => {
                if let Some(ns) = namespace {
                    self.ingest_namespace(fam, ns, remote, v);
                }
            }
        }
    }

    fn ingest_topic(
        &mut self,
        fam: Family,
        raw: &str,
        namespace: Option<&str>,
        subscription: Option<&str>,
        remote: Option<&str>,
        v: f64,
    ) {
        let idx = self.topic_index(raw, namespace);
        apply_to_topic_acc(&mut self.topics[idx], fam, subscription, remote, v);
    }

    /// Index of raw topic `raw`, created if missing: the current or next row
    /// in first-appearance order is tried before the hash index.
    fn topic_index(&mut self, raw: &str, namespace: Option<&str>) -> usize {
        let c = self.cursor;
        for i in [c, c + 1] {
            if self.topics.get(i).is_some_and(|t| t.metrics.name == raw) {
                self.cursor = i;
                return i;
            }
        }
        let idx = match self.index.get(raw) {
            Some(&i) => i,
            None => {
                let ns = namespace.unwrap_or_else(|| namespace_of_topic(raw));
                self.topics.push(TopicAcc::new(raw, ns));
                self.index.insert(raw.to_owned(), self.topics.len() - 1);
                self.topics.len() - 1
            }
        };
        self.cursor = idx;
        idx
    }

    fn ingest_namespace(&mut self, fam: Family, ns: &str, remote: Option<&str>, v: f64) {
        if fam != Family::TopicsCount {
            self.pending_namespace_series = true;
            self.any_namespace_series = true;
        }
        let acc = match self.namespaces.get_mut(ns) {
            Some(a) => a,
            None => self.namespaces.entry(ns.to_owned()).or_insert_with(|| NamespaceAcc {
                metrics: NamespaceMetrics::new(ns),
                topics_count: None,
                namespace_level: false,
            }),
        };
        acc.namespace_level |= fam != Family::TopicsCount;
        let m = &mut acc.metrics;
        match fam {
            Family::TopicsCount => {
                acc.topics_count = Some(acc.topics_count.unwrap_or(0).saturating_add(to_u64(v)));
            }
            Family::Topic(f) => apply_namespace(m, f, v),
            Family::Sub(SubField::Delayed) => m.delayed = m.delayed.saturating_add(to_u64(v)),
            Family::Sub(_) | Family::OutCounter(_) => {}
            Family::Repl(f) => {
                if let Some(r) = remote {
                    apply_replication(&mut m.replication, r, f, v);
                }
            }
            Family::Latency(f) => apply_latency(&mut m.publish_latency, f, v),
        }
    }

    /// Records the outcome of one broker's scrape (call it after feeding that
    /// broker's samples). The per-broker `topic_level` flag covers the
    /// samples ingested since the previous call.
    pub fn add_broker_result(
        &mut self,
        broker: impl Into<String>,
        result: Result<ParseStats, String>,
        scraped_at_ms: i64,
    ) {
        let topic_level = match (self.pending_topic_series, self.pending_namespace_series) {
            (_, true) => Some(false),
            (true, false) => Some(true),
            (false, false) => None,
        };
        self.pending_topic_series = false;
        self.pending_namespace_series = false;
        self.brokers.push(BrokerScrapeStatus { broker: broker.into(), scraped_at_ms, result, topic_level });
    }

    /// Parses a whole scrape from `reader` into this builder and records the
    /// broker result. Returns the recorded status.
    pub fn ingest_scrape<R: BufRead>(
        &mut self,
        broker: impl Into<String>,
        reader: R,
        opts: &ParseOptions,
        scraped_at_ms: i64,
    ) -> &BrokerScrapeStatus {
        let res = parse_chunked_with(reader, opts, |s| self.ingest(s));
        self.add_broker_result(broker, res.map_err(|e| e.to_string()), scraped_at_ms);
        // Just pushed.
        &self.brokers[self.brokers.len() - 1]
    }

    /// Merges another builder (e.g. another broker parsed on another thread)
    /// into this one: everything is summed.
    pub fn merge(&mut self, other: SnapshotBuilder) {
        for acc in other.topics {
            match self.index.get(acc.metrics.name.as_str()) {
                Some(&i) => self.topics[i].merge(acc),
                None => {
                    self.index.insert(acc.metrics.name.clone(), self.topics.len());
                    self.topics.push(acc);
                }
            }
        }
        for (ns, acc) in other.namespaces {
            match self.namespaces.get_mut(&ns) {
                None => {
                    self.namespaces.insert(ns, acc);
                }
                Some(mine) => {
                    mine.metrics.add(&acc.metrics);
                    mine.namespace_level |= acc.namespace_level;
                    mine.topics_count = match (mine.topics_count, acc.topics_count) {
                        (Some(a), Some(b)) => Some(a.saturating_add(b)),
                        (a, b) => a.or(b),
                    };
                }
            }
        }
        self.brokers.extend(other.brokers);
        self.pending_topic_series |= other.pending_topic_series;
        self.pending_namespace_series |= other.pending_namespace_series;
        self.any_namespace_series |= other.any_namespace_series;
        self.ignored_non_finite += other.ignored_non_finite;
    }

    /// Builds the snapshot: aggregates partitions into parents and computes
    /// namespace totals.
    pub fn finish(self) -> MetricsSnapshot {
        let SnapshotBuilder { topics, index, namespaces, brokers, any_namespace_series, .. } = self;
        drop(index);
        let mut ns_out: FxMap<String, NamespaceMetrics> = FxMap::default();
        let mut topics_count: FxMap<String, (Option<u64>, u64)> = FxMap::default();
        let mut namespace_level: Vec<String> = Vec::new();
        for (ns, acc) in namespaces {
            topics_count.insert(ns.clone(), (acc.topics_count, 0));
            if acc.namespace_level {
                namespace_level.push(ns.clone());
            }
            ns_out.insert(ns, acc.metrics);
        }
        // Namespace totals and topic counts from the raw rows.
        for acc in &topics {
            let m = &acc.metrics;
            let ns = match ns_out.get_mut(m.namespace.as_str()) {
                Some(n) => n,
                None => ns_out.entry(m.namespace.clone()).or_insert_with(|| NamespaceMetrics::new(&m.namespace)),
            };
            ns.add_topic(m);
            for s in &acc.subs {
                ns.delayed = ns.delayed.saturating_add(s.delayed);
            }
            match topics_count.get_mut(m.namespace.as_str()) {
                Some(c) => c.1 += 1,
                None => {
                    topics_count.insert(m.namespace.clone(), (None, 1));
                }
            }
        }

        // Group rows by parent topic (partitions of one topic become
        // adjacent, by index), so topics and subscriptions come out sorted
        // without sorting all subscriptions by string.
        // (row, parent name length, partition index or u32::MAX)
        let mut order: Vec<(usize, usize, u32)> = topics
            .iter()
            .enumerate()
            .map(|(i, t)| match split_partition(&t.metrics.name) {
                Some((p, idx)) => (i, p.len(), idx),
                None => (i, t.metrics.name.len(), u32::MAX),
            })
            .collect();
        order.sort_unstable_by(|&(a, la, pa), &(b, lb, pb)| {
            topics[a].metrics.name[..la].cmp(&topics[b].metrics.name[..lb]).then(pa.cmp(&pb))
        });
        let mut rows: Vec<Option<TopicAcc>> = topics.into_iter().map(Some).collect();
        let mut topics_out: Vec<(String, TopicMetrics)> = Vec::new();
        let mut subs_out: Vec<((String, String), SubscriptionMetrics)> = Vec::new();
        let mut partitions: Vec<(String, TopicMetrics)> = Vec::new();
        // (subscription, from a partition)
        let mut group_subs: Vec<(SubscriptionMetrics, bool)> = Vec::new();
        let mut i = 0;
        while i < order.len() {
            let (row, plen, pidx) = order[i];
            i += 1;
            let Some(first) = rows[row].take() else {
                continue;
            };
            let parent = first.metrics.name[..plen].to_owned();
            let mut group = vec![(first, pidx)];
            while let Some(&(row, plen, pidx)) = order.get(i) {
                let same = rows[row].as_ref().is_some_and(|t| t.metrics.name.get(..plen) == Some(parent.as_str()));
                if !same {
                    break;
                }
                if let Some(t) = rows[row].take() {
                    group.push((t, pidx));
                }
                i += 1;
            }
            let is_plain_single = group.len() == 1 && group[0].1 == u32::MAX;
            let mut topic =
                if is_plain_single { None } else { Some(TopicMetrics::new(&parent, &group[0].0.metrics.namespace)) };
            group_subs.clear();
            for (acc, pidx) in group {
                let from_partition = pidx != u32::MAX;
                for mut s in acc.subs {
                    if from_partition {
                        s.topic.clone_from(&parent);
                        s.partitions = 1;
                    }
                    group_subs.push((s, from_partition));
                }
                match &mut topic {
                    None => topic = Some(acc.metrics),
                    Some(t) => {
                        t.add(&acc.metrics, from_partition);
                        if from_partition {
                            t.partitions.push(acc.metrics.name.clone());
                            partitions.push((acc.metrics.name.clone(), acc.metrics));
                        }
                    }
                }
            }
            if let Some(t) = topic {
                topics_out.push((parent.clone(), t));
            }
            group_subs.sort_by(|a, b| a.0.name.cmp(&b.0.name));
            let mut last_from_partition = false;
            for (s, from_partition) in group_subs.drain(..) {
                match subs_out.last_mut() {
                    Some(last) if last.0 .0 == parent && last.0 .1 == s.name => {
                        let both = last_from_partition && from_partition;
                        last.1.add(&s, both);
                        last.1.partitions = last.1.partitions.saturating_add(s.partitions);
                        last_from_partition = both;
                    }
                    _ => {
                        subs_out.push(((parent.clone(), s.name.clone()), s));
                        last_from_partition = from_partition;
                    }
                }
            }
        }
        for (ns, (exported, rows)) in topics_count {
            if let Some(m) = ns_out.get_mut(&ns) {
                m.topics = exported.unwrap_or(rows);
            }
        }
        MetricsSnapshot {
            // Sorted and unique: `from_iter` bulk-builds without searching.
            topics: topics_out.into_iter().collect(),
            subscriptions: subs_out.into_iter().collect(),
            partitions: sorted_by_key(partitions, |a, b| a.0.cmp(&b.0)).collect(),
            namespaces: ns_out.into_iter().collect(),
            brokers,
            topic_level: !any_namespace_series,
            namespace_level: {
                namespace_level.sort_unstable();
                namespace_level
            },
            admin_fallback: None,
        }
    }
}

/// Yields `v` sorted by `cmp` (unstable) without moving the (large) elements
/// around during the sort: indices are sorted, then elements taken in order.
/// Feeding sorted, unique keys to `BTreeMap::from_iter` lets it bulk-build.
fn sorted_by_key<T>(v: Vec<T>, mut cmp: impl FnMut(&T, &T) -> std::cmp::Ordering) -> impl Iterator<Item = T> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_unstable_by(|&a, &b| cmp(&v[a], &v[b]));
    let mut slots: Vec<Option<T>> = v.into_iter().map(Some).collect();
    idx.into_iter().filter_map(move |i| slots.get_mut(i).and_then(Option::take))
}

/// Parses one in-memory scrape into a snapshot (convenience for tests and
/// one-shot use).
pub fn snapshot_from_str(scrape: &str, broker: &str, scraped_at_ms: i64) -> MetricsSnapshot {
    let mut b = SnapshotBuilder::new();
    let stats = super::prom::parse_str(scrape, |s| b.ingest(s));
    b.add_broker_result(broker, Ok(stats), scraped_at_ms);
    b.finish()
}
