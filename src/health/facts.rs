//! The admin facts a scrape cannot give, and which of them are worth a call.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Thresholds;
use crate::dlq::LetterKind;
use crate::metrics::{MetricsSnapshot, SubscriptionMetrics};

/// One broker: its health check and version, asked of the broker itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BrokerFact {
    /// The broker's `/metrics` URL (as scraped; its web service is the same origin).
    pub broker: String,
    /// `None` when the health check answered `ok`; else why not.
    pub health_error: Option<String>,
    /// `GET /admin/v2/brokers/version`, when it answered.
    pub version: Option<String>,
}

/// One subscription's stats fetched with `getEarliestTimeInBacklog=true`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SubDetail {
    /// Publish time (epoch ms) of the oldest unacknowledged message; `None` when the
    /// backlog is empty (the broker says -1) or the broker did not say.
    pub earliest_publish_ms: Option<i64>,
}

/// The backlog-quota policies in force on a topic (`backlogQuotaMap?applied=true`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaPolicy {
    /// Policy of the size quota (`producer_request_hold`, `producer_exception`,
    /// `consumer_backlog_eviction`).
    pub size: Option<String>,
    /// Policy of the time quota.
    pub time: Option<String>,
}

/// A dead-letter or retry topic: its newest message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LetterFact {
    /// Publish time (epoch ms) of its newest message, over all partitions.
    pub newest_publish_ms: Option<i64>,
}

/// The admin facts of one pass. Each map holds only what was asked ([`Wants`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Details {
    /// Empty until the brokers were asked.
    pub brokers: Vec<BrokerFact>,
    /// By `(topic, subscription)`, `topic` being the parent of a partitioned topic.
    pub subscriptions: BTreeMap<(String, String), SubDetail>,
    /// By topic (partition or non-partitioned topic).
    pub quotas: BTreeMap<String, QuotaPolicy>,
    /// By dead-letter topic (parent name).
    pub letters: BTreeMap<String, LetterFact>,
    /// Transactions open longer than `health.txn_open_warn_secs` (empty when transactions
    /// are off, or no coordinator is loaded yet).
    pub transactions: Vec<TxnFact>,
    /// Calls that failed (they leave their fact out; the findings say less, not wrong).
    pub errors: Vec<String>,
}

/// An open transaction older than the threshold, and what it holds back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TxnFact {
    /// As the broker prints it: `(0,5)`.
    pub txn: String,
    /// When it was opened (epoch ms).
    pub open_ms: i64,
    /// Its timeout (ms after `open_ms`).
    pub timeout_ms: u64,
    /// The topics (partitions) it produced to.
    pub produced: Vec<String>,
    /// The subscriptions it acknowledged on: (topic, subscription).
    pub acked: Vec<(String, String)>,
    /// The topics (partitions) whose max read position it pins, with the entries held back
    /// behind it there (at least).
    pub holds_back: Vec<HeldBackFact>,
}

/// Entries held back on one topic (partition) by a transaction.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HeldBackFact {
    pub topic: String,
    pub entries: u64,
    pub max_read_position: String,
    pub last_entry: String,
}

/// What to ask the admin API in one pass: a bounded list, chosen from the scrape.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wants {
    /// The `/metrics` URLs of the brokers (their health check and version).
    pub brokers: Vec<String>,
    /// Topics whose subscriptions need the age of their oldest message, with their
    /// partition count (0: not partitioned).
    pub ages: Vec<(String, u32)>,
    /// Topics (partitions or non-partitioned topics) near their backlog quota.
    pub quotas: Vec<String>,
    /// Dead-letter topics with their partition names (empty: not partitioned).
    pub letters: Vec<(String, Vec<String>)>,
    /// Open transactions older than this (ms) and what they hold back; `None`: not asked.
    /// The coordinators are asked only when transactions are enabled and loaded.
    #[serde(default)]
    pub transactions_older_than_ms: Option<u64>,
}

impl Wants {
    /// How many admin calls this is, about.
    pub fn calls(&self) -> usize {
        self.brokers.len() * 2
            + self.ages.len()
            + self.quotas.len()
            + self.letters.iter().map(|(_, p)| p.len().max(1)).sum::<usize>()
            + usize::from(self.transactions_older_than_ms.is_some())
    }
}

/// True for a DLQ or RETRY topic (by the parent's local name).
pub(super) fn is_letter(topic: &str) -> bool {
    LetterKind::of_name(topic.rsplit('/').next().unwrap_or(topic)).is_some()
}

/// Why a subscription may hide an old message, for the age call.
fn may_be_old(s: &SubscriptionMetrics, t: &Thresholds, now_ms: i64, topic_age: Option<u64>) -> bool {
    if s.backlog == 0 {
        return false;
    }
    let warn_ms = t.oldest_unacked_warn_secs.saturating_mul(1000) as i64;
    s.consumers == 0
        || s.blocked
        || s.rate_redeliver >= t.redelivery_rate_warn.max(f64::MIN_POSITIVE)
        || s.last_acked_ms <= 0
        || now_ms.saturating_sub(s.last_acked_ms) >= warn_ms
        || topic_age.is_some_and(|a| a >= t.oldest_unacked_warn_secs)
}

/// The percentage of the size quota a topic (partition) row uses.
pub(super) fn size_percent(backlog_bytes: u64, limit: Option<u64>) -> Option<f64> {
    limit.filter(|l| *l > 0).map(|l| backlog_bytes as f64 * 100.0 / l as f64)
}

/// The percentage of the time quota a row uses, from the broker's backlog age.
pub(super) fn time_percent(age_secs: Option<u64>, limit: Option<u64>) -> Option<f64> {
    match (age_secs, limit.filter(|l| *l > 0)) {
        (Some(a), Some(l)) => Some(a as f64 * 100.0 / l as f64),
        _ => None,
    }
}

/// Which admin facts are worth a call for this scrape: every broker; the topics whose
/// subscriptions may hide an old message (no consumer, blocked, redelivering, no ack for
/// a while), largest backlog first; the topics near their quota; the dead-letter topics
/// that hold anything. Each list stops at `detail_limit`.
pub fn wants(snapshot: &MetricsSnapshot, t: &Thresholds, now_ms: i64) -> Wants {
    let limit = t.detail_limit;
    let brokers = snapshot.brokers.iter().map(|b| b.broker.clone()).collect();
    // ages: candidates by backlog, largest first, one call per topic
    let mut candidates: Vec<(&str, u64)> = snapshot
        .subscriptions
        .values()
        .filter(|s| !crate::metrics::model::is_system_topic(&s.topic) && !is_letter(&s.topic))
        .filter(|s| {
            let topic_age = snapshot.topics.get(&s.topic).and_then(|m| m.backlog_age_secs);
            may_be_old(s, t, now_ms, topic_age)
        })
        .map(|s| (s.topic.as_str(), s.backlog))
        .collect();
    candidates.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut ages: Vec<(String, u32)> = Vec::new();
    for (topic, _) in candidates {
        if ages.len() >= limit {
            break;
        }
        if !ages.iter().any(|(a, _)| a == topic) {
            let parts = snapshot.topics.get(topic).map_or(0, |m| m.partitions.len() as u32);
            ages.push((topic.to_string(), parts));
        }
    }
    // quotas: rows (partitions, non-partitioned topics) at the warning level
    let rows = snapshot.partitions.values().chain(snapshot.topics.values().filter(|m| !m.is_partitioned()));
    let mut near: Vec<(&str, f64)> = rows
        .filter_map(|m| {
            let size = size_percent(m.backlog_size, m.backlog_quota_bytes).unwrap_or(0.0);
            let time = time_percent(m.backlog_age_secs, m.backlog_quota_secs).unwrap_or(0.0);
            let p = size.max(time);
            (p >= t.quota_warn_percent).then_some((m.name.as_str(), p))
        })
        .collect();
    near.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let quotas = near.into_iter().take(limit).map(|(n, _)| n.to_string()).collect();
    // dead letters that hold or received anything
    let mut letters: Vec<(&str, u64)> = snapshot
        .topics
        .values()
        .filter(|m| is_letter(&m.name) && (m.storage_size > 0 || m.in_messages_total > 0 || m.msg_backlog > 0))
        .map(|m| (m.name.as_str(), m.in_messages_total.max(m.msg_backlog)))
        .collect();
    letters.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let letters = letters
        .into_iter()
        .take(limit)
        .map(|(n, _)| (n.to_string(), snapshot.topics.get(n).map(|m| m.partitions.clone()).unwrap_or_default()))
        .collect();
    let transactions_older_than_ms = Some(t.txn_open_warn_secs.saturating_mul(1000)).filter(|ms| *ms > 0);
    Wants { brokers, ages, quotas, letters, transactions_older_than_ms }
}
