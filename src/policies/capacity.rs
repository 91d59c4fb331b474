//! Capacity estimates from live rates and the effective policies: storage at the ingest
//! rate against retention, time until the backlog quota at the current growth (and what
//! happens then), the consume rate that drains the backlog in an hour, and the partitions a
//! target rate needs. Each estimate carries the numbers it was computed from.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::Effectives;
use crate::style::format;

/// The live numbers of one topic (a partitioned topic's totals), from its stats.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Sample {
    pub topic: String,
    /// 0 for a non-partitioned topic.
    pub partitions: u32,
    pub rate_in_msgs: f64,
    pub rate_in_bytes: f64,
    /// `backlogSize`: bytes from the slowest subscription's position on.
    pub backlog_bytes: i64,
    /// The largest `msgBacklog` of a subscription.
    pub backlog_msgs: i64,
    /// The out rate of the subscription with the largest backlog (the one the quota follows).
    pub slowest_out_msgs: f64,
    pub slowest_out_bytes: f64,
    pub storage_bytes: i64,
    /// `oldestBacklogMessageAgeSeconds` (-1 until the broker's quota check ran).
    pub oldest_backlog_age_s: i64,
    pub subscriptions: usize,
}

/// The policies the estimates use.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Limits {
    /// Minutes and MB; -1 infinite.
    pub retention_minutes: i64,
    pub retention_mb: i64,
    /// Bytes (-1: none) and its policy.
    pub quota_size: i64,
    pub quota_size_policy: String,
    /// Seconds (-1 or 0: none) and its policy.
    pub quota_time: i64,
    pub quota_time_policy: String,
}

impl Limits {
    /// The effective values of a snapshot of policies.
    pub fn from_effective(eff: &Effectives) -> Limits {
        let v = |key: &str| eff.get(key).and_then(|e| e.value.clone()).unwrap_or(Value::Null);
        let i = |v: &Value, k: &str, d: i64| v.get(k).and_then(Value::as_i64).unwrap_or(d);
        let s = |v: &Value| v.get("policy").and_then(Value::as_str).unwrap_or("producer_request_hold").to_string();
        let (r, qs, qt) = (v("retention"), v("backlog-quota-size"), v("backlog-quota-time"));
        Limits {
            retention_minutes: i(&r, "retentionTimeInMinutes", 0),
            retention_mb: i(&r, "retentionSizeInMB", 0),
            quota_size: i(&qs, "limitSize", -1),
            quota_size_policy: s(&qs),
            quota_time: i(&qt, "limitTime", -1),
            quota_time_policy: s(&qt),
        }
    }
}

/// One estimate: what it says, its value, and the numbers behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    /// `storage`, `time_to_size_quota`, `time_to_age_quota`, `drain_1h`, `partitions`.
    pub kind: &'static str,
    pub text: String,
    /// Bytes, seconds, messages per second or partitions (`None`: cannot be estimated).
    pub value: Option<f64>,
    pub numbers: BTreeMap<&'static str, f64>,
}

/// What the broker does when a quota of this policy is reached.
pub fn consequence(policy: &str) -> &'static str {
    match policy {
        "producer_exception" => "new sends are refused: producers get ProducerBlockedQuotaExceededException",
        "consumer_backlog_eviction" => "the oldest backlog is evicted: the slowest subscriptions lose those messages",
        _ => "producers are held: their sends wait (and time out) until the backlog shrinks",
    }
}

fn secs(s: f64) -> String {
    if s < 120.0 {
        format!("{s:.0} s")
    } else {
        format::age(std::time::Duration::from_secs_f64(s.max(0.0)))
    }
}

/// Acknowledged data kept at the ingest rate: rate × retention time, capped by the size.
pub fn storage(s: &Sample, l: &Limits) -> Estimate {
    let mut n = BTreeMap::from([
        ("rate_in_bytes_per_s", s.rate_in_bytes),
        ("retention_minutes", l.retention_minutes as f64),
        ("retention_mb", l.retention_mb as f64),
        ("storage_bytes_now", s.storage_bytes as f64),
    ]);
    let size_cap = (l.retention_mb >= 0).then_some(l.retention_mb as f64 * 1024.0 * 1024.0);
    let (value, text) = if l.retention_minutes == 0 || l.retention_mb == 0 {
        (Some(0.0), "no retention: acknowledged messages are deleted; storage is the backlog only".to_string())
    } else if s.rate_in_bytes <= 0.0 {
        (None, "no ingest now: storage stays as it is".to_string())
    } else if l.retention_minutes < 0 {
        match size_cap {
            Some(cap) => (
                Some(cap),
                format!(
                    "retained data grows to the size limit {} (reached in {} at {}/s)",
                    format::bytes(cap),
                    secs(cap / s.rate_in_bytes),
                    format::bytes(s.rate_in_bytes)
                ),
            ),
            None => {
                let per_day = s.rate_in_bytes * 86400.0;
                n.insert("bytes_per_day", per_day);
                (None, format!("infinite retention: storage grows without bound, {} per day", format::bytes(per_day)))
            }
        }
    } else {
        let by_time = s.rate_in_bytes * l.retention_minutes as f64 * 60.0;
        n.insert("bytes_by_time", by_time);
        let v = size_cap.map_or(by_time, |c| by_time.min(c));
        let capped = if size_cap.is_some_and(|c| c < by_time) { " (capped by the size limit)" } else { "" };
        (
            Some(v),
            format!(
                "about {} of acknowledged data kept: {}/s × {} min{capped}",
                format::bytes(v),
                format::bytes(s.rate_in_bytes),
                l.retention_minutes
            ),
        )
    };
    Estimate { kind: "storage", text, value, numbers: n }
}

/// Time until the size quota at the backlog's growth (ingest less the slowest subscription's out rate).
pub fn time_to_size_quota(s: &Sample, l: &Limits) -> Estimate {
    let growth = s.rate_in_bytes - s.slowest_out_bytes;
    let n = BTreeMap::from([
        ("limit_bytes", l.quota_size as f64),
        ("backlog_bytes", s.backlog_bytes as f64),
        ("rate_in_bytes_per_s", s.rate_in_bytes),
        ("slowest_out_bytes_per_s", s.slowest_out_bytes),
        ("growth_bytes_per_s", growth),
    ]);
    let then = consequence(&l.quota_size_policy);
    let (value, text) = if l.quota_size < 0 {
        (None, "no size quota".to_string())
    } else if s.subscriptions == 0 {
        (None, "no subscription: nothing counts as backlog".to_string())
    } else if s.backlog_bytes >= l.quota_size {
        (
            Some(0.0),
            format!(
                "over the size quota now ({} of {}): {then}",
                format::bytes(s.backlog_bytes as f64),
                format::bytes(l.quota_size as f64)
            ),
        )
    } else if growth <= 0.0 {
        (
            None,
            format!(
                "backlog not growing ({} of {})",
                format::bytes(s.backlog_bytes as f64),
                format::bytes(l.quota_size as f64)
            ),
        )
    } else {
        let t = (l.quota_size - s.backlog_bytes) as f64 / growth;
        (
            Some(t),
            format!(
                "size quota in {} ({} of {}, +{}/s); then {then}",
                secs(t),
                format::bytes(s.backlog_bytes as f64),
                format::bytes(l.quota_size as f64),
                format::bytes(growth)
            ),
        )
    };
    Estimate { kind: "time_to_size_quota", text, value, numbers: n }
}

/// Time until the age quota: the oldest unacknowledged message ages a second per second.
pub fn time_to_age_quota(s: &Sample, l: &Limits) -> Estimate {
    let n = BTreeMap::from([
        ("limit_seconds", l.quota_time as f64),
        ("oldest_backlog_age_seconds", s.oldest_backlog_age_s as f64),
        ("backlog_msgs", s.backlog_msgs as f64),
    ]);
    let then = consequence(&l.quota_time_policy);
    let (value, text) = if l.quota_time <= 0 {
        (None, "no age quota".to_string())
    } else if s.backlog_msgs <= 0 {
        (None, "no backlog: the age quota is not approaching".to_string())
    } else if s.oldest_backlog_age_s < 0 {
        (None, "oldest backlog age not known yet (the broker fills it at its quota check)".to_string())
    } else if s.oldest_backlog_age_s >= l.quota_time {
        (Some(0.0), format!("over the age quota now: {then}"))
    } else {
        let t = (l.quota_time - s.oldest_backlog_age_s) as f64;
        (Some(t), format!("age quota in {} unless the oldest message is consumed; then {then}", secs(t)))
    };
    Estimate { kind: "time_to_age_quota", text, value, numbers: n }
}

/// The consume rate that empties the backlog within an hour while keeping up with ingest.
pub fn drain_in_hour(s: &Sample) -> Estimate {
    let need = s.backlog_msgs.max(0) as f64 / 3600.0 + s.rate_in_msgs;
    let n = BTreeMap::from([
        ("backlog_msgs", s.backlog_msgs as f64),
        ("rate_in_msgs_per_s", s.rate_in_msgs),
        ("slowest_out_msgs_per_s", s.slowest_out_msgs),
    ]);
    let text = if s.backlog_msgs <= 0 {
        format!("no backlog: consuming {} msg/s keeps up", format::rate(s.rate_in_msgs))
    } else {
        format!(
            "consume {} msg/s to drain {} messages in 1 h ({} backlog/3600 + {} in); the slowest subscription does {}",
            format::rate(need),
            format::count(s.backlog_msgs),
            format::rate(s.backlog_msgs as f64 / 3600.0),
            format::rate(s.rate_in_msgs),
            format::rate(s.slowest_out_msgs)
        )
    };
    Estimate { kind: "drain_1h", text, value: Some(need), numbers: n }
}

/// Partitions for `target` msg/s at the throughput each partition shows now.
pub fn partitions_for(s: &Sample, target: f64) -> Estimate {
    let parts = s.partitions.max(1) as f64;
    let per = s.rate_in_msgs / parts;
    let n = BTreeMap::from([
        ("target_msgs_per_s", target),
        ("partitions_now", s.partitions as f64),
        ("rate_in_msgs_per_s", s.rate_in_msgs),
        ("per_partition_msgs_per_s", per),
    ]);
    let (value, text) = if per <= 0.0 {
        (None, "no traffic now: the per-partition throughput is not known".to_string())
    } else {
        let need = (target / per).ceil().max(1.0);
        (
            Some(need),
            format!(
                "{need:.0} partitions for {} msg/s at the observed {} msg/s per partition ({} now)",
                format::rate(target),
                format::rate(per),
                s.partitions.max(1)
            ),
        )
    };
    Estimate { kind: "partitions", text, value, numbers: n }
}

/// Every estimate of one topic (`target`: the rate the partition estimate aims at).
pub fn estimates(s: &Sample, l: &Limits, target: Option<f64>) -> Vec<Estimate> {
    let mut out = vec![storage(s, l), time_to_size_quota(s, l), time_to_age_quota(s, l), drain_in_hour(s)];
    if let Some(t) = target {
        out.push(partitions_for(s, t));
    }
    out
}

/// A namespace's totals (the quotas apply per topic: the time to quota is the nearest one's).
pub fn namespace_estimates(samples: &[Sample], l: &Limits) -> Vec<Estimate> {
    let mut total = Sample { topic: "(all topics)".into(), ..Sample::default() };
    for s in samples {
        total.rate_in_msgs += s.rate_in_msgs;
        total.rate_in_bytes += s.rate_in_bytes;
        total.backlog_bytes += s.backlog_bytes;
        total.backlog_msgs += s.backlog_msgs;
        total.slowest_out_msgs += s.slowest_out_msgs;
        total.slowest_out_bytes += s.slowest_out_bytes;
        total.storage_bytes += s.storage_bytes;
        total.subscriptions += s.subscriptions;
    }
    let nearest = |f: fn(&Sample, &Limits) -> Estimate| {
        let all: Vec<(String, Estimate)> = samples.iter().map(|s| (s.topic.clone(), f(s, l))).collect();
        match all
            .iter()
            .filter(|(_, e)| e.value.is_some())
            .min_by(|a, b| a.1.value.partial_cmp(&b.1.value).unwrap_or(std::cmp::Ordering::Equal))
        {
            Some((topic, e)) => Estimate { text: format!("{topic}: {}", e.text), ..e.clone() },
            None => all.into_iter().next().map(|(_, e)| e).unwrap_or_else(|| f(&total, l)),
        }
    };
    vec![storage(&total, l), nearest(time_to_size_quota), nearest(time_to_age_quota), drain_in_hour(&total)]
}

/// The estimates of a target: a topic's own, or a namespace's over its topics.
pub fn for_target(eff: &Effectives, samples: &[Sample], target_rate: Option<f64>) -> Vec<Estimate> {
    let limits = Limits::from_effective(eff);
    match (eff.level, samples.first()) {
        (super::Level::Topic, Some(s)) => estimates(s, &limits, target_rate),
        _ => namespace_estimates(samples, &limits),
    }
}
