//! A raw topic row's numbers while a scrape streams: what a [`TopicMetrics`] holds, without
//! its strings and with its rare transaction buffer boxed. Every row of
//! a big scrape lives until its end, so this is what 100,000 rows cost (~250 bytes each
//! instead of ~340); `finish` turns the rows it keeps into [`TopicMetrics`].

use std::collections::BTreeMap;

use super::types::{add_to_namespace, add_topic_extras, add_traffic, max_opt};
use super::types::{LatencyHistogram, NamespaceMetrics, ReplicationMetrics, TopicMetrics, TxnBufferMetrics};

/// The numbers of one raw topic row (see the module doc); fields as in [`TopicMetrics`].
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct RawTopic {
    pub producers: u64,
    pub consumers: u64,
    pub subscriptions: u64,
    pub rate_in: f64,
    pub rate_out: f64,
    pub throughput_in: f64,
    pub throughput_out: f64,
    pub msg_backlog: u64,
    pub backlog_size: u64,
    pub storage_size: u64,
    pub offloaded_size: u64,
    pub in_messages_total: u64,
    pub in_bytes_total: u64,
    pub publish_latency: Option<LatencyHistogram>,
    /// Per remote cluster.
    pub replication: BTreeMap<String, ReplicationMetrics>,
    pub backlog_quota_bytes: Option<u64>,
    pub backlog_quota_secs: Option<u64>,
    pub backlog_age_secs: Option<u64>,
    pub txn_buffer: Option<Box<TxnBufferMetrics>>,
}

impl RawTopic {
    /// True when the row reports replication to some remote cluster.
    pub(super) fn replicates(&self) -> bool {
        !self.replication.is_empty()
    }

    /// Sums another row of the same topic (from another broker) into this one: as
    /// [`TopicMetrics::add`] without partition merging.
    pub(super) fn add(&mut self, o: &RawTopic) {
        self.producers = self.producers.saturating_add(o.producers);
        self.consumers = self.consumers.saturating_add(o.consumers);
        self.subscriptions = self.subscriptions.saturating_add(o.subscriptions);
        add_traffic!(self, o);
        add_topic_extras!(self, o);
    }

    /// Adds this row to its namespace's totals (the `add_to_namespace!` of [`NamespaceMetrics::add`]).
    pub(super) fn add_to_namespace(&self, ns: &mut NamespaceMetrics) {
        add_to_namespace!(ns, self);
    }

    /// The row as a [`TopicMetrics`] named `name` in `namespace`.
    pub(super) fn into_metrics(self, name: String, namespace: String) -> TopicMetrics {
        TopicMetrics {
            name,
            namespace,
            partitions: Vec::new(),
            producers: self.producers,
            consumers: self.consumers,
            subscriptions: self.subscriptions,
            rate_in: self.rate_in,
            rate_out: self.rate_out,
            throughput_in: self.throughput_in,
            throughput_out: self.throughput_out,
            msg_backlog: self.msg_backlog,
            backlog_size: self.backlog_size,
            storage_size: self.storage_size,
            offloaded_size: self.offloaded_size,
            in_messages_total: self.in_messages_total,
            in_bytes_total: self.in_bytes_total,
            publish_latency: self.publish_latency,
            replication: self.replication,
            backlog_quota_bytes: self.backlog_quota_bytes,
            backlog_quota_secs: self.backlog_quota_secs,
            backlog_age_secs: self.backlog_age_secs,
            txn_buffer: self.txn_buffer.map(|t| *t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(k: u64) -> RawTopic {
        let mut replication = BTreeMap::new();
        replication.insert(
            format!("remote-{}", k % 2),
            ReplicationMetrics { backlog: k, delay_secs: k as f64, ..Default::default() },
        );
        RawTopic {
            producers: k,
            consumers: 2 * k,
            subscriptions: 3 * k,
            rate_in: 1.5 * k as f64,
            rate_out: 0.5 * k as f64,
            throughput_in: 10.0 * k as f64,
            throughput_out: 20.0 * k as f64,
            msg_backlog: 100 * k,
            backlog_size: 1000 * k,
            storage_size: 5000 * k,
            offloaded_size: k,
            in_messages_total: 7 * k,
            in_bytes_total: 70 * k,
            publish_latency: Some(LatencyHistogram { buckets: [k as u32; 10], count: 10 * k, sum_us: 3.0 * k as f64 }),
            replication,
            backlog_quota_bytes: Some(1 << k),
            backlog_quota_secs: k.is_multiple_of(2).then_some(60),
            backlog_age_secs: Some(k),
            txn_buffer: Some(Box::new(TxnBufferMetrics { active: k, committed: 2 * k, aborted: 0 })),
        }
    }

    #[test]
    fn a_raw_row_sums_and_converts_like_a_topic_row() {
        let (a, b) = (row(1), row(2));
        let mut expected = a.clone().into_metrics("t".into(), "n".into());
        expected.add(&b.clone().into_metrics("t".into(), "n".into()), false);
        let mut raw = a;
        raw.add(&b);
        let got = raw.into_metrics("t".into(), "n".into());
        assert_eq!(got, expected);
        assert_eq!(got.replication.len(), 2, "one entry per remote cluster");
        assert_eq!(got.backlog_quota_secs, Some(60));
        assert_eq!(got.txn_buffer.map(|t| t.committed), Some(6));
    }

    #[test]
    fn a_raw_row_adds_to_its_namespace_like_the_topic_row() {
        let mut ns = NamespaceMetrics::new("t/n");
        row(1).add_to_namespace(&mut ns);
        row(3).add_to_namespace(&mut ns);
        assert_eq!((ns.producers, ns.consumers, ns.subscriptions), (4, 8, 12));
        assert_eq!((ns.msg_backlog, ns.backlog_size, ns.storage_size), (400, 4000, 20000));
        assert_eq!((ns.rate_in, ns.throughput_out), (6.0, 80.0));
        assert_eq!(ns.publish_latency.map(|l| (l.count, l.buckets[9])), Some((40, 4)));
        // both rows replicate to remote-1: one entry, summed, the larger delay
        assert_eq!(ns.replication.len(), 1);
        assert_eq!(ns.replication.get("remote-1").map(|r| (r.backlog, r.delay_secs)), Some((4, 3.0)));
        assert_eq!((ns.topics, ns.delayed), (0, 0), "counted by the builder, not per row");
    }

    #[test]
    fn a_latency_bucket_saturates_at_the_u32_it_is_kept_in() {
        use super::super::family::{apply_latency, LatField};
        let mut l = None;
        apply_latency(&mut l, LatField::Bucket(2), 7.0);
        apply_latency(&mut l, LatField::Bucket(2), 5e12);
        apply_latency(&mut l, LatField::Bucket(3), 4.0);
        let l = l.expect("a histogram");
        assert_eq!((l.buckets[2], l.buckets[3]), (u32::MAX, 4));
        assert_eq!(l.quantile_upper_bound_ms(0.5), Some(5.0), "the saturated bucket still ranks");
    }

    #[test]
    fn a_row_replicates_only_with_a_remote_cluster() {
        let mut r = RawTopic::default();
        assert!(!r.replicates());
        r.replication.insert("east".into(), ReplicationMetrics::default());
        assert!(r.replicates());
    }
}
