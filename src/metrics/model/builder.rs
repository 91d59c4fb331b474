//! Streams samples into a snapshot: per-topic accumulators found by prediction, then a hash index.

use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::sync::Arc;

use super::family::{
    apply_latency, apply_namespace, apply_quota, apply_replication, apply_sub, apply_topic, apply_txn, family, to_u64,
    Family, SubField,
};
use super::interest::Interest;
use super::raw::RawTopic;
use super::types::{BrokerScrapeStatus, MetricsSnapshot, NamespaceMetrics, SubscriptionMetrics, TopicMetrics};
use super::{namespace_of_topic, split_partition, valid_partition_index};
use crate::metrics::prom::{parse_chunked_with, ParseOptions, ParseStats, Sample};

#[path = "finish.rs"]
mod finish;
#[path = "prune.rs"]
mod prune;
#[path = "rows.rs"]
mod rows;

use rows::Rows;

/// The builder's maps: keys are topic names from the brokers being monitored. foldhash's
/// fast hasher with a fixed seed: quick on short strings, and deterministic (the same
/// iteration order on every run).
type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// Subscriptions of one topic beyond which lookups go through a hash index.
const SUB_LINEAR_MAX: usize = 16;

/// Raw topic rows that get full subscription rows whatever the interest (a small cluster
/// is kept whole); after them, only the interest's topics do (see [`Gate`]). The others
/// keep a summary, enough to make them health candidates, whose subscription rows the next
/// scrape brings (the TUI names its candidates in the next interest). At 100,000 topics
/// x 3 subscriptions every 1,000 topics kept whole cost ~1.2 MB.
pub const FULL_SUBSCRIPTION_TOPICS: usize = 2_000;

/// What a topic without full subscription rows keeps of them: enough to rank it as a
/// health candidate and to count the namespace's delayed messages.
#[derive(Debug, Default, Clone, Copy)]
struct SubSummary {
    max_backlog: u64,
    delayed: u64,
    /// Subscription rows (a u32: one topic row of a scrape never has 4 billion).
    rows: u32,
    flagged: bool,
}

impl SubSummary {
    fn note(&mut self, f: SubField, v: f64) {
        match f {
            SubField::Backlog => {
                self.max_backlog = self.max_backlog.max(to_u64(v));
                self.rows = self.rows.saturating_add(1);
            }
            SubField::Delayed => self.delayed = self.delayed.saturating_add(to_u64(v)),
            SubField::Blocked | SubField::Unacked | SubField::RateRedeliver | SubField::RateExpired => {
                self.flagged |= v > 0.0
            }
            _ => {}
        }
    }
}

/// Which raw topic rows get full subscription rows, in a bounded scrape: the first
/// [`FULL_SUBSCRIPTION_TOPICS`], then those the interest names (by parent, namespace,
/// filter or dead-letter suffix). Sets for the names: a row is checked once, when first seen.
#[derive(Debug)]
struct Gate {
    interest: Interest,
    topics: std::collections::HashSet<String, foldhash::fast::FixedState>,
    namespaces: std::collections::HashSet<String, foldhash::fast::FixedState>,
    filter: String,
    full_left: usize,
}

impl Gate {
    fn new(interest: &Interest) -> Gate {
        Gate {
            topics: interest.topics.iter().cloned().collect(),
            namespaces: interest.namespaces.iter().cloned().collect(),
            filter: interest.filter.to_lowercase(),
            full_left: FULL_SUBSCRIPTION_TOPICS,
            interest: interest.clone(),
        }
    }

    fn full_subs(&mut self, raw: &str, namespace: &str) -> bool {
        if self.full_left > 0 {
            self.full_left -= 1;
            return true;
        }
        let parent = super::parent_topic(raw);
        self.topics.contains(parent)
            || self.namespaces.contains(namespace)
            || (!self.filter.is_empty() && parent.to_lowercase().contains(&self.filter))
            || self.interest.is_letter(parent)
    }
}

/// One raw topic row (a partition on its own) while the scrape streams. Every row of a big
/// scrape lives until its end (a family lists every topic before the next family starts),
/// so the row is kept small: its name is one allocation shared with the index, its
/// namespace one shared by all the namespace's rows, and `metrics` holds only numbers
/// until `finish` names the rows it keeps.
#[derive(Debug, Default)]
struct TopicAcc {
    name: Arc<str>,
    namespace: Arc<str>,
    metrics: RawTopic,
    /// Full subscription rows are kept (else only `summary`).
    full_subs: bool,
    summary: SubSummary,
    subs: Vec<SubscriptionMetrics>,
    /// Built once a topic has more than [`SUB_LINEAR_MAX`] subscriptions (rare: boxed).
    sub_index: Option<Box<FastMap<String, usize>>>,
    sub_cursor: u32,
}

impl TopicAcc {
    fn new(name: Arc<str>, namespace: Arc<str>, full_subs: bool) -> Self {
        TopicAcc { name, namespace, full_subs, ..TopicAcc::default() }
    }

    /// The row as a [`TopicMetrics`] with its name and namespace (for a row `finish` keeps).
    fn into_named(self) -> (TopicMetrics, Vec<SubscriptionMetrics>) {
        (self.metrics.into_metrics(self.name.to_string(), self.namespace.to_string()), self.subs)
    }

    /// Index of subscription `name`, created if missing. Pulsar writes a
    /// family's series topic by topic, subscription by subscription, in the
    /// same order for every family: try the predicted positions first.
    fn sub_mut(&mut self, name: &str) -> &mut SubscriptionMetrics {
        let c = self.sub_cursor as usize;
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
                    // the topic's name is filled in by `finish`, for the rows it keeps
                    None => self.push_sub(SubscriptionMetrics::new("", name)),
                }
            }
        };
        self.sub_cursor = u32::try_from(idx).unwrap_or(u32::MAX);
        &mut self.subs[idx]
    }

    fn push_sub(&mut self, s: SubscriptionMetrics) -> usize {
        let idx = self.subs.len();
        if let Some(ix) = &mut self.sub_index {
            ix.insert(s.name.clone(), idx);
        }
        self.subs.push(s);
        if self.sub_index.is_none() && self.subs.len() > SUB_LINEAR_MAX {
            self.sub_index = Some(Box::new(self.subs.iter().enumerate().map(|(i, s)| (s.name.clone(), i)).collect()));
        }
        idx
    }

    fn merge(&mut self, other: TopicAcc) {
        self.metrics.add(&other.metrics);
        self.full_subs &= other.full_subs;
        let (a, b) = (&mut self.summary, other.summary);
        *a = SubSummary {
            max_backlog: a.max_backlog.max(b.max_backlog),
            flagged: a.flagged | b.flagged,
            delayed: a.delayed.saturating_add(b.delayed),
            rows: a.rows.saturating_add(b.rows),
        };
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
    topics: Rows,
    /// Row of each raw topic name (the key is the row's own name).
    index: FastMap<Arc<str>, usize>,
    cursor: usize,
    namespaces: FastMap<String, NamespaceAcc>,
    /// One shared name per namespace, for the rows.
    namespace_names: HashSet<Arc<str>, foldhash::fast::FixedState>,
    brokers: Vec<BrokerScrapeStatus>,
    /// `None`: every topic keeps full subscription rows.
    gate: Option<Box<Gate>>,
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
                if acc.full_subs {
                    apply_sub(acc.sub_mut(sub), f, v);
                } else {
                    acc.summary.note(f, v);
                }
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
        Family::Quota(f) => {
            if subscription.is_none() {
                apply_quota(&mut acc.metrics, f, v);
            }
        }
        Family::Txn(f) => {
            if subscription.is_none() {
                apply_txn(&mut acc.metrics, f, v);
            }
        }
        Family::TopicsCount => {}
    }
}

impl SnapshotBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty builder for a scrape that keeps what `interest` asks for: past the first
    /// [`FULL_SUBSCRIPTION_TOPICS`] topics, full subscription rows only for the topics it
    /// names (the others keep a summary: their largest backlog, whether one is blocked,
    /// redelivers or expires, and the delayed messages). Finish it with
    /// [`Self::finish_with`] and the same interest.
    pub fn with_interest(interest: &Interest) -> Self {
        let gate = (!interest.everything).then(|| Box::new(Gate::new(interest)));
        SnapshotBuilder { gate, ..Self::default() }
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
        if let Some(acc) = self.topics.get_mut(idx) {
            apply_to_topic_acc(acc, fam, subscription, remote, v);
        }
    }

    /// Index of raw topic `raw`, created if missing: the current or next row
    /// in first-appearance order is tried before the hash index.
    fn topic_index(&mut self, raw: &str, namespace: Option<&str>) -> usize {
        let c = self.cursor;
        for i in [c, c + 1] {
            if self.topics.get(i).is_some_and(|t| *t.name == *raw) {
                self.cursor = i;
                return i;
            }
        }
        let idx = match self.index.get(raw) {
            Some(&i) => i,
            None => {
                let ns = namespace.unwrap_or_else(|| namespace_of_topic(raw));
                let full_subs = self.gate.as_mut().is_none_or(|g| g.full_subs(raw, ns));
                let ns = match self.namespace_names.get(ns) {
                    Some(shared) => shared.clone(),
                    None => {
                        let shared: Arc<str> = ns.into();
                        self.namespace_names.insert(shared.clone());
                        shared
                    }
                };
                let name: Arc<str> = raw.into();
                self.index.insert(name.clone(), self.topics.len());
                self.topics.push(TopicAcc::new(name, ns, full_subs));
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
            Family::Quota(_) | Family::Txn(_) => {}
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
        let SnapshotBuilder {
            topics,
            index,
            namespaces,
            brokers,
            pending_topic_series,
            pending_namespace_series,
            any_namespace_series,
            ignored_non_finite,
            ..
        } = other;
        drop(index);
        for acc in topics.into_iter() {
            match self.index.get(&*acc.name).and_then(|&i| self.topics.get_mut(i)) {
                Some(mine) => mine.merge(acc),
                None => {
                    self.index.insert(acc.name.clone(), self.topics.len());
                    self.topics.push(acc);
                }
            }
        }
        for (ns, acc) in namespaces {
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
        self.brokers.extend(brokers);
        self.pending_topic_series |= pending_topic_series;
        self.pending_namespace_series |= pending_namespace_series;
        self.any_namespace_series |= any_namespace_series;
        self.ignored_non_finite += ignored_non_finite;
    }

    /// Builds the snapshot: aggregates partitions into parents and computes
    /// namespace totals. Keeps every row.
    pub fn finish(self) -> MetricsSnapshot {
        self.finish_with(&Interest::everything())
    }
}
