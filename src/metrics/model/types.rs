//! The snapshot's types: per-topic, per-subscription and per-namespace metrics.

use crate::metrics::prom::ParseStats;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::is_system_topic;

/// Upper bounds (ms) of Pulsar's write-latency buckets `le_0_5` … `le_1000`;
/// a tenth bucket (`overflow`) holds everything above 1 s.
pub const LATENCY_BUCKET_BOUNDS_MS: [f64; 9] = [0.5, 1.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 1000.0];

/// Storage write (publish persistence) latency, from
/// `pulsar_storage_write_latency_*`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyHistogram {
    /// Non-cumulative counts per bucket, bounds in [`LATENCY_BUCKET_BOUNDS_MS`];
    /// index 9 is the overflow bucket. Counts of the broker's last stats period (a minute):
    /// a `u32` each (saturating), which keeps the histogram 56 bytes instead of 96 in every
    /// row of a 100,000-topic scrape.
    pub buckets: [u32; 10],
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
        let total: u64 = self.buckets.iter().map(|&c| u64::from(c)).sum();
        if total == 0 || !q.is_finite() {
            return None;
        }
        let rank = (q.clamp(0.0, 1.0) * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0u64;
        for (i, c) in self.buckets.iter().enumerate() {
            seen += u64::from(*c);
            if seen >= rank {
                return Some(LATENCY_BUCKET_BOUNDS_MS.get(i).copied().unwrap_or(f64::INFINITY));
            }
        }
        Some(f64::INFINITY)
    }

    pub(super) fn add(&mut self, o: &LatencyHistogram) {
        for (a, b) in self.buckets.iter_mut().zip(o.buckets.iter()) {
            *a = a.saturating_add(*b);
        }
        self.count = self.count.saturating_add(o.count);
        self.sum_us += o.sum_us;
    }
}

/// A topic's transaction buffer (`pulsar_txn_tb_*`): transactions that wrote to it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnBufferMetrics {
    /// `pulsar_txn_tb_active_total`: open transactions with entries in the topic.
    pub active: u64,
    /// `pulsar_txn_tb_committed_total`.
    pub committed: u64,
    /// `pulsar_txn_tb_aborted_total`.
    pub aborted: u64,
}

impl TxnBufferMetrics {
    pub(super) fn add(&mut self, o: &TxnBufferMetrics) {
        self.active = self.active.saturating_add(o.active);
        self.committed = self.committed.saturating_add(o.committed);
        self.aborted = self.aborted.saturating_add(o.aborted);
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
    pub(super) fn add(&mut self, o: &ReplicationMetrics) {
        self.backlog = self.backlog.saturating_add(o.backlog);
        self.rate_in += o.rate_in;
        self.rate_out += o.rate_out;
        self.throughput_in += o.throughput_in;
        self.throughput_out += o.throughput_out;
        self.connected = self.connected.saturating_add(o.connected);
        self.delay_secs = self.delay_secs.max(o.delay_secs);
    }
}

/// `$to += $from` for the traffic, backlog and storage fields and the write latency, which
/// [`TopicMetrics`] and [`NamespaceMetrics`] share.
macro_rules! add_traffic {
    ($to:expr, $from:expr) => {{
        $to.rate_in += $from.rate_in;
        $to.rate_out += $from.rate_out;
        $to.throughput_in += $from.throughput_in;
        $to.throughput_out += $from.throughput_out;
        $to.msg_backlog = $to.msg_backlog.saturating_add($from.msg_backlog);
        $to.backlog_size = $to.backlog_size.saturating_add($from.backlog_size);
        $to.storage_size = $to.storage_size.saturating_add($from.storage_size);
        $to.offloaded_size = $to.offloaded_size.saturating_add($from.offloaded_size);
        $to.in_messages_total = $to.in_messages_total.saturating_add($from.in_messages_total);
        $to.in_bytes_total = $to.in_bytes_total.saturating_add($from.in_bytes_total);
        if let Some(l) = &$from.publish_latency {
            $to.publish_latency.get_or_insert_with(Default::default).add(l);
        }
    }};
}

/// `$ns += $from` into a [`NamespaceMetrics`], from a topic row or another namespace:
/// connection counts summed, traffic, replication per remote cluster.
macro_rules! add_to_namespace {
    ($ns:expr, $from:expr) => {{
        $ns.subscriptions = $ns.subscriptions.saturating_add($from.subscriptions);
        $ns.producers = $ns.producers.saturating_add($from.producers);
        $ns.consumers = $ns.consumers.saturating_add($from.consumers);
        add_traffic!($ns, $from);
        for (remote, r) in &$from.replication {
            $ns.replication.entry(remote.clone()).or_default().add(r);
        }
    }};
}

/// `$to += $from` for what a topic row has beyond a namespace's fields: the backlog quotas
/// and age (the larger), the transaction buffer, replication per remote cluster. Shared by
/// [`TopicMetrics`] and the builder's raw rows (`raw.rs`).
macro_rules! add_topic_extras {
    ($to:expr, $from:expr) => {{
        $to.backlog_quota_bytes = max_opt($to.backlog_quota_bytes, $from.backlog_quota_bytes);
        $to.backlog_quota_secs = max_opt($to.backlog_quota_secs, $from.backlog_quota_secs);
        $to.backlog_age_secs = max_opt($to.backlog_age_secs, $from.backlog_age_secs);
        if let Some(tb) = &$from.txn_buffer {
            $to.txn_buffer.get_or_insert_with(Default::default).add(tb);
        }
        for (remote, r) in &$from.replication {
            match $to.replication.get_mut(remote) {
                Some(mine) => mine.add(r),
                None => {
                    $to.replication.insert(remote.clone(), r.clone());
                }
            }
        }
    }};
}
pub(super) use {add_to_namespace, add_topic_extras, add_traffic};

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
    /// `pulsar_storage_backlog_quota_limit` (bytes; `None` when the broker says -1: no
    /// limit). Per partition: a partitioned parent keeps the largest.
    #[serde(default)]
    pub backlog_quota_bytes: Option<u64>,
    /// `pulsar_storage_backlog_quota_limit_time` (seconds; `None` for -1).
    #[serde(default)]
    pub backlog_quota_secs: Option<u64>,
    /// `pulsar_storage_backlog_age_seconds`: the oldest unacknowledged message's age, as of
    /// the broker's last backlog-quota check (`None` while it says -1: not checked yet).
    #[serde(default)]
    pub backlog_age_secs: Option<u64>,
    /// The transaction buffer, when the broker exports it per topic and some transaction
    /// touched the topic (`None` while every counter is 0).
    #[serde(default)]
    pub txn_buffer: Option<TxnBufferMetrics>,
}

/// The larger of two optional values.
pub(super) fn max_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

impl TopicMetrics {
    pub(super) fn new(name: &str, namespace: &str) -> Self {
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
    pub(super) fn add(&mut self, o: &TopicMetrics, partition_merge: bool) {
        if partition_merge {
            self.producers = self.producers.max(o.producers);
            self.consumers = self.consumers.max(o.consumers);
            self.subscriptions = self.subscriptions.max(o.subscriptions);
        } else {
            self.producers = self.producers.saturating_add(o.producers);
            self.consumers = self.consumers.saturating_add(o.consumers);
            self.subscriptions = self.subscriptions.saturating_add(o.subscriptions);
        }
        add_traffic!(self, o);
        add_topic_extras!(self, o);
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
    /// `pulsar_subscription_msg_rate_expired` (msg/s dropped by TTL or expiry).
    #[serde(default)]
    pub rate_expired: f64,
    /// `pulsar_subscription_total_msg_expired` (counter).
    #[serde(default)]
    pub total_expired: u64,
    /// `pulsar_subscription_last_expire_timestamp` (epoch ms, 0 = never; max over partitions).
    #[serde(default)]
    pub last_expire_ms: i64,
    /// `pulsar_subscription_last_acked_timestamp` (epoch ms, 0 = never; max over partitions).
    #[serde(default)]
    pub last_acked_ms: i64,
}

impl SubscriptionMetrics {
    pub(super) fn new(topic: &str, name: &str) -> Self {
        SubscriptionMetrics { topic: topic.to_owned(), name: name.to_owned(), ..Default::default() }
    }

    pub(super) fn add(&mut self, o: &SubscriptionMetrics, partition_merge: bool) {
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
        self.rate_expired += o.rate_expired;
        self.total_expired = self.total_expired.saturating_add(o.total_expired);
        self.last_expire_ms = self.last_expire_ms.max(o.last_expire_ms);
        self.last_acked_ms = self.last_acked_ms.max(o.last_acked_ms);
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
    pub(super) fn new(name: &str) -> Self {
        NamespaceMetrics { name: name.to_owned(), ..Default::default() }
    }

    pub(super) fn add(&mut self, o: &NamespaceMetrics) {
        add_to_namespace!(self, o);
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
    /// One entry per [`SnapshotBuilder::add_broker_result`](super::SnapshotBuilder::add_broker_result) call.
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
    /// How many topic and subscription rows a bounded scrape kept of how many it saw
    /// (`None`: every row was kept). See [`super::Interest`].
    #[serde(default)]
    pub kept: Option<super::Kept>,
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
