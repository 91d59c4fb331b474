//! The metric families the builder reads, and how a sample of each updates the metrics.

use std::collections::BTreeMap;

use super::raw::RawTopic;
use super::types::{LatencyHistogram, NamespaceMetrics, ReplicationMetrics, SubscriptionMetrics};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TopicField {
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
pub(super) enum SubField {
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
    RateExpired,
    TotalExpired,
    LastExpire,
    LastAcked,
}

/// The backlog quota and the backlog's age, per topic (partition) only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum QuotaField {
    LimitBytes,
    LimitSecs,
    AgeSecs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ReplField {
    Backlog,
    RateIn,
    RateOut,
    ThroughputIn,
    ThroughputOut,
    Connected,
    Delay,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LatField {
    Bucket(usize),
    Count,
    Sum,
}

/// A topic's transaction buffer counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TxnField {
    Active,
    Committed,
    Aborted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Family {
    Topic(TopicField),
    Sub(SubField),
    /// Per subscription when a `subscription` label is present (4.0.8 only
    /// exports these per subscription), per topic otherwise.
    OutCounter(SubField),
    Repl(ReplField),
    Latency(LatField),
    Quota(QuotaField),
    /// Per topic only (the namespace-level series are not kept).
    Txn(TxnField),
    TopicsCount,
}

pub(super) fn family(short: &str) -> Option<Family> {
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
        "subscription_msg_rate_expired" => F::Sub(SubField::RateExpired),
        "subscription_total_msg_expired" => F::Sub(SubField::TotalExpired),
        "subscription_last_expire_timestamp" => F::Sub(SubField::LastExpire),
        "subscription_last_acked_timestamp" => F::Sub(SubField::LastAcked),
        "storage_backlog_quota_limit" => F::Quota(QuotaField::LimitBytes),
        "storage_backlog_quota_limit_time" => F::Quota(QuotaField::LimitSecs),
        "storage_backlog_age_seconds" => F::Quota(QuotaField::AgeSecs),
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
        "txn_tb_active_total" => F::Txn(TxnField::Active),
        "txn_tb_committed_total" => F::Txn(TxnField::Committed),
        "txn_tb_aborted_total" => F::Txn(TxnField::Aborted),
        _ => return None,
    })
}

pub(super) fn to_u64(v: f64) -> u64 {
    if v > 0.0 {
        // `as` saturates; v is finite here.
        v.round() as u64
    } else {
        0
    }
}

/// Applies one sample of a topic family to a row with the topic fields (a
/// raw topic row or a [`NamespaceMetrics`]).
macro_rules! apply_topic_field {
    ($m:expr, $f:expr, $v:expr) => {{
        let (f, v) = ($f, $v);
        let n = to_u64(v);
        match f {
            TopicField::Subscriptions => $m.subscriptions = $m.subscriptions.saturating_add(n),
            TopicField::Producers => $m.producers = $m.producers.saturating_add(n),
            TopicField::Consumers => $m.consumers = $m.consumers.saturating_add(n),
            TopicField::RateIn => $m.rate_in += v,
            TopicField::RateOut => $m.rate_out += v,
            TopicField::ThroughputIn => $m.throughput_in += v,
            TopicField::ThroughputOut => $m.throughput_out += v,
            TopicField::MsgBacklog => $m.msg_backlog = $m.msg_backlog.saturating_add(n),
            TopicField::BacklogSize => $m.backlog_size = $m.backlog_size.saturating_add(n),
            TopicField::StorageSize => $m.storage_size = $m.storage_size.saturating_add(n),
            TopicField::OffloadedSize => $m.offloaded_size = $m.offloaded_size.saturating_add(n),
            TopicField::InMessages => $m.in_messages_total = $m.in_messages_total.saturating_add(n),
            TopicField::InBytes => $m.in_bytes_total = $m.in_bytes_total.saturating_add(n),
        }
    }};
}

/// A transaction-buffer sample: kept only once some counter is not 0.
pub(super) fn apply_txn(t: &mut RawTopic, f: TxnField, v: f64) {
    let n = to_u64(v);
    if n == 0 {
        return;
    }
    let tb = t.txn_buffer.get_or_insert_with(Default::default);
    match f {
        TxnField::Active => tb.active = tb.active.saturating_add(n),
        TxnField::Committed => tb.committed = tb.committed.saturating_add(n),
        TxnField::Aborted => tb.aborted = tb.aborted.saturating_add(n),
    }
}

pub(super) fn apply_topic(t: &mut RawTopic, f: TopicField, v: f64) {
    apply_topic_field!(t, f, v);
}

pub(super) fn apply_namespace(m: &mut NamespaceMetrics, f: TopicField, v: f64) {
    apply_topic_field!(m, f, v);
}

pub(super) fn apply_sub(s: &mut SubscriptionMetrics, f: SubField, v: f64) {
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
        SubField::RateExpired => s.rate_expired += v,
        SubField::TotalExpired => s.total_expired = s.total_expired.saturating_add(n),
        SubField::LastExpire => s.last_expire_ms = s.last_expire_ms.max(v as i64),
        SubField::LastAcked => s.last_acked_ms = s.last_acked_ms.max(v as i64),
    }
}

/// A backlog quota or age sample of one topic (partition): -1 (no limit, not checked yet)
/// leaves `None`; two samples for one row (a topic on two brokers) keep the larger.
pub(super) fn apply_quota(t: &mut RawTopic, f: QuotaField, v: f64) {
    if v < 0.0 {
        return;
    }
    let n = Some(to_u64(v));
    let slot = match f {
        QuotaField::LimitBytes => &mut t.backlog_quota_bytes,
        QuotaField::LimitSecs => &mut t.backlog_quota_secs,
        QuotaField::AgeSecs => &mut t.backlog_age_secs,
    };
    *slot = (*slot).max(n);
}

pub(super) fn apply_repl(r: &mut ReplicationMetrics, f: ReplField, v: f64) {
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

pub(super) fn apply_latency(l: &mut Option<LatencyHistogram>, f: LatField, v: f64) {
    let h = l.get_or_insert_with(Default::default);
    match f {
        LatField::Bucket(i) => {
            if let Some(b) = h.buckets.get_mut(i) {
                *b = b.saturating_add(u32::try_from(to_u64(v)).unwrap_or(u32::MAX));
            }
        }
        LatField::Count => h.count = h.count.saturating_add(to_u64(v)),
        LatField::Sum => h.sum_us += v.max(0.0),
    }
}

pub(super) fn apply_replication(map: &mut BTreeMap<String, ReplicationMetrics>, remote: &str, f: ReplField, v: f64) {
    match map.get_mut(remote) {
        Some(r) => apply_repl(r, f, v),
        None => {
            let mut r = ReplicationMetrics::default();
            apply_repl(&mut r, f, v);
            map.insert(remote.to_owned(), r);
        }
    }
}
