//! One function per kind of finding: the conditions that hold in one observation.

use std::collections::BTreeMap;
use std::time::Duration;

use super::facts::{is_letter, size_percent, time_percent};
use super::sink::Sink;
use super::track::Tracks;
use super::{Finding, Input, Kind, Place, Severity, Target, Thresholds};
use crate::metrics::model::{is_system_topic, parent_topic};
use crate::metrics::{SubscriptionMetrics, TopicMetrics};
use crate::style::format::{age as age_of, ago, bytes, count};

/// What identifies a finding of `kind` at `place` from one observation to the next.
pub(super) fn key_of(kind: Kind, place: &Place) -> String {
    format!(
        "{kind:?}|{}|{}|{}|{}|{}",
        place.broker.as_deref().unwrap_or(""),
        place.topic.as_deref().unwrap_or(""),
        place.subscription.as_deref().unwrap_or(""),
        place.remote.as_deref().unwrap_or(""),
        place.origin.as_deref().unwrap_or("")
    )
}

/// A finding as a rule sees it (the engine sets when it was first seen).
pub(super) fn finding(
    kind: Kind,
    severity: Severity,
    place: Place,
    what: String,
    threshold: String,
    action: Target,
) -> Finding {
    let key = key_of(kind, &place);
    Finding {
        key,
        kind,
        severity,
        place,
        what,
        numbers: BTreeMap::new(),
        threshold,
        since_ms: 0,
        cleared_ms: None,
        action,
        weight: 0.0,
    }
}

pub(super) trait With {
    fn with(self, name: &str, v: f64) -> Self;
    fn weighted(self, w: f64) -> Self;
}

impl With for Finding {
    fn with(mut self, name: &str, v: f64) -> Finding {
        self.numbers.insert(name.to_string(), v);
        self
    }
    fn weighted(mut self, w: f64) -> Finding {
        self.weight = w;
        self
    }
}

pub(super) fn secs(s: u64) -> String {
    age_of(Duration::from_secs(s))
}

fn sub_place(t: &str, s: &str) -> Place {
    Place {
        namespace: Some(crate::metrics::model::namespace_of_topic(t).to_string()),
        topic: Some(t.to_string()),
        subscription: Some(s.to_string()),
        ..Default::default()
    }
}

fn topic_place(t: &str) -> Place {
    Place {
        namespace: Some(crate::metrics::model::namespace_of_topic(t).to_string()),
        topic: Some(t.to_string()),
        ..Default::default()
    }
}

fn open_sub(t: &str, s: &str) -> Target {
    Target::Subscription { topic: t.to_string(), subscription: s.to_string() }
}

/// Brokers: a failed scrape, a failed health check, a version unlike the others'.
pub(super) fn brokers(input: &Input<'_>, out: &mut Sink) {
    for b in input.snapshot.failed_brokers() {
        let e = b.result.as_ref().err().cloned().unwrap_or_default();
        let place = Place { broker: Some(b.broker.clone()), ..Default::default() };
        out.push(finding(
            Kind::ScrapeFailed,
            Severity::Critical,
            place,
            e,
            "any failed scrape".into(),
            Target::Brokers,
        ));
    }
    let facts = &input.details.brokers;
    for b in facts {
        if let Some(e) = &b.health_error {
            let place = Place { broker: Some(b.broker.clone()), ..Default::default() };
            let what = format!("health check: {e}");
            out.push(finding(
                Kind::BrokerUnhealthy,
                Severity::Critical,
                place,
                what,
                "/admin/v2/brokers/health not ok".into(),
                Target::Brokers,
            ));
        }
    }
    // the version most brokers run; the others are skewed
    let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
    for v in facts.iter().filter_map(|b| b.version.as_deref()) {
        *votes.entry(v).or_default() += 1;
    }
    if votes.len() > 1 {
        let (common, _) = votes.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(v, n)| (*v, *n)).unzip();
        for b in facts {
            let Some(v) = b.version.as_deref() else { continue };
            if Some(v) != common {
                let place = Place { broker: Some(b.broker.clone()), ..Default::default() };
                let what = format!("runs {v}; the others run {}", common.unwrap_or("?"));
                out.push(finding(
                    Kind::VersionSkew,
                    Severity::Warn,
                    place,
                    what,
                    "one version across brokers".into(),
                    Target::Brokers,
                ));
            }
        }
    }
}

/// Brokers an earlier scrape listed that this one does not: with discovery (the admin API's
/// active brokers) a stopped broker leaves the list instead of failing its scrape. Critical
/// until it is listed again.
pub(super) fn brokers_gone(input: &Input<'_>, seen: &mut std::collections::BTreeSet<String>, out: &mut Sink) {
    let listed: std::collections::BTreeSet<&str> = input.snapshot.brokers.iter().map(|b| b.broker.as_str()).collect();
    for gone in seen.iter().filter(|b| !listed.contains(b.as_str())) {
        let place = Place { broker: Some(gone.clone()), ..Default::default() };
        out.push(finding(
            Kind::BrokerUnhealthy,
            Severity::Critical,
            place,
            "no longer among the cluster's active brokers (stopped, or lost its metadata session)".into(),
            "a broker seen before left the list".into(),
            Target::Brokers,
        ));
    }
    seen.extend(listed.into_iter().map(str::to_string));
}

/// The age of a subscription's oldest unacknowledged message, when known.
fn oldest_age_secs(input: &Input<'_>, s: &SubscriptionMetrics, now_ms: i64) -> Option<u64> {
    // the details cover a few subscriptions: most have none, and the lookup key is two copies
    if s.backlog == 0 || input.details.subscriptions.is_empty() {
        return None;
    }
    let d = input.details.subscriptions.get(&(s.topic.clone(), s.name.clone()))?;
    d.earliest_publish_ms.filter(|_| s.backlog > 0).map(|p| (now_ms.saturating_sub(p).max(0) / 1000) as u64)
}

/// Subscriptions: stalled, growing, old, blocked, redelivering, expiring.
pub(super) fn subscriptions(input: &Input<'_>, t: &Thresholds, tracks: &mut Tracks, now_ms: i64, out: &mut Sink) {
    let window_ms = (t.growth_minutes.max(1) * 60_000) as i64;
    for s in input.snapshot.subscriptions.values() {
        if is_system_topic(&s.topic) {
            continue;
        }
        let letter = is_letter(&s.topic);
        let (topic, sub) = (s.topic.as_str(), s.name.as_str());
        let age = oldest_age_secs(input, s, now_ms);
        if !letter && s.backlog >= t.stalled_min_backlog.max(1) && s.consumers == 0 {
            out.offer(Kind::Stalled, Severity::Warn, s.backlog as f64, sub_place(topic, sub), |place| {
                let age_note = age.map(|a| format!(", oldest {}", secs(a))).unwrap_or_default();
                let what = format!("backlog {} and no consumer{age_note}", count(s.backlog as i64));
                let th =
                    format!("backlog ≥ {} with 0 consumers (health.stalled_min_backlog)", t.stalled_min_backlog.max(1));
                let mut f = finding(Kind::Stalled, Severity::Warn, place, what, th, open_sub(topic, sub))
                    .with("backlog", s.backlog as f64)
                    .with("consumers", 0.0);
                if let Some(a) = age {
                    f = f.with("age_secs", a as f64);
                }
                f
            });
        }
        let key = format!("sub|{topic}|{sub}");
        if s.backlog == 0 {
            tracks.forget(&key);
        } else if !letter {
            let series = tracks.feed(&key, now_ms, s.backlog as f64, window_ms);
            if let Some((from, to, span)) = series.grew_for(window_ms, t.growth_min_messages as f64) {
                let per_min = (to - from) * 60_000.0 / span.max(1) as f64;
                out.offer(Kind::BacklogGrowing, Severity::Warn, per_min, sub_place(topic, sub), |place| {
                    let rate_in = input.snapshot.topics.get(topic).map_or(0.0, |m| m.rate_in);
                    let drain = match crate::metrics::time_to_drain_at_rates(to, rate_in, s.rate_out) {
                        crate::metrics::Drain::In(d) => format!("drains in {} at current rates", secs(d)),
                        _ => "never drains at current rates".into(),
                    };
                    let what = format!(
                        "backlog {} → {} in {} (+{}/min); {drain}",
                        count(from as i64),
                        count(to as i64),
                        age_of(Duration::from_millis(span as u64)),
                        count(per_min.round() as i64)
                    );
                    let th = format!(
                        "grew ≥ {} for {} min (health.growth_minutes)",
                        t.growth_min_messages, t.growth_minutes
                    );
                    finding(Kind::BacklogGrowing, Severity::Warn, place, what, th, open_sub(topic, sub))
                        .with("backlog", to)
                        .with("grew_by", to - from)
                        .with("per_min", per_min)
                        .with("rate_in", rate_in)
                        .with("rate_out", s.rate_out)
                });
            }
        }
        if let Some(a) = age.filter(|a| *a >= t.oldest_unacked_warn_secs && !letter) {
            let critical = a >= t.oldest_unacked_critical_secs;
            let sev = if critical { Severity::Critical } else { Severity::Warn };
            out.offer(Kind::OldestUnacked, sev, a as f64, sub_place(topic, sub), |place| {
                let th = if critical {
                    format!("≥ {} (health.oldest_unacked_critical_secs)", secs(t.oldest_unacked_critical_secs))
                } else {
                    format!("≥ {} (health.oldest_unacked_warn_secs)", secs(t.oldest_unacked_warn_secs))
                };
                let what = format!("oldest unacked message is {} old; backlog {}", secs(a), count(s.backlog as i64));
                finding(Kind::OldestUnacked, sev, place, what, th, open_sub(topic, sub))
                    .with("age_secs", a as f64)
                    .with("backlog", s.backlog as f64)
            });
        }
        if s.blocked {
            out.offer(Kind::Blocked, Severity::Critical, s.unacked as f64, sub_place(topic, sub), |place| {
                let what = format!("{} unacked messages: no more deliveries until acks", count(s.unacked as i64));
                let th = "maxUnackedMessagesPerSubscription reached".into();
                finding(Kind::Blocked, Severity::Critical, place, what, th, open_sub(topic, sub))
                    .with("unacked", s.unacked as f64)
                    .with("backlog", s.backlog as f64)
            });
        }
        if t.redelivery_rate_warn > 0.0 && s.rate_redeliver >= t.redelivery_rate_warn {
            out.offer(Kind::Redelivery, Severity::Warn, s.rate_redeliver, sub_place(topic, sub), |place| {
                let what = format!(
                    "{:.1} msg/s redelivered (negative acks, ack timeouts); out {:.1} msg/s",
                    s.rate_redeliver, s.rate_out
                );
                let th = format!("≥ {} msg/s (health.redelivery_rate_warn)", t.redelivery_rate_warn);
                finding(Kind::Redelivery, Severity::Warn, place, what, th, open_sub(topic, sub))
                    .with("rate_redeliver", s.rate_redeliver)
                    .with("rate_out", s.rate_out)
            });
        }
        let window = t.expired_window_secs.saturating_mul(1000) as i64;
        let recent = s.last_expire_ms > 0 && now_ms.saturating_sub(s.last_expire_ms) <= window;
        if recent || s.rate_expired > 0.0 {
            out.offer(Kind::Expired, Severity::Warn, s.total_expired as f64, sub_place(topic, sub), |place| {
                let last = ago(Duration::from_millis(now_ms.saturating_sub(s.last_expire_ms).max(0) as u64));
                let what = format!(
                    "{} messages expired (TTL) since the topic loaded, the last {last}",
                    count(s.total_expired as i64)
                );
                let th = format!("expired in the last {} (health.expired_window_secs)", secs(t.expired_window_secs));
                finding(Kind::Expired, Severity::Warn, place, what, th, Target::Topic { topic: topic.into() })
                    .with("total_expired", s.total_expired as f64)
                    .with("rate_expired", s.rate_expired)
                    .with("last_expire_ms", s.last_expire_ms as f64)
            });
        }
    }
}

/// Dead-letter and retry topics that received messages lately, or grow.
pub(super) fn dead_letters(input: &Input<'_>, t: &Thresholds, tracks: &mut Tracks, now_ms: i64, out: &mut Sink) {
    let window = t.dead_letter_window_secs.saturating_mul(1000) as i64;
    for m in input.snapshot.topics.values().filter(|m| is_letter(&m.name)) {
        let risen = tracks.arrival(&m.name, m.in_messages_total, now_ms);
        let newest = input.details.letters.get(&m.name).and_then(|l| l.newest_publish_ms);
        let last = risen.max(newest);
        let recent = last.is_some_and(|l| now_ms.saturating_sub(l) <= window);
        if !(recent || m.rate_in > 0.0) {
            continue;
        }
        let local = m.name.rsplit('/').next().unwrap_or(&m.name);
        let siblings: Vec<&str> = input
            .snapshot
            .topics_in_namespace(&m.namespace)
            .map(|o| o.name.rsplit('/').next().unwrap_or(&o.name))
            .collect();
        let origin = crate::dlq::origin_by_name(local, &siblings);
        let prefix = m.name.rsplit_once('/').map_or("", |(p, _)| p);
        let mut place = topic_place(&m.name);
        let from = match &origin {
            Some((o, s)) => {
                place.origin = Some(format!("{prefix}/{o}"));
                place.subscription = Some(s.clone());
                format!(" from {o} ⤷ {s}")
            }
            None => String::new(),
        };
        let last_note =
            last.map(|l| format!(", the last {}", ago(Duration::from_millis(now_ms.saturating_sub(l).max(0) as u64))));
        let what = format!(
            "{}{from}{}{}",
            if m.msg_backlog > 0 {
                format!("{} messages held", count(m.msg_backlog as i64))
            } else {
                format!("{} received since the topic loaded", count(m.in_messages_total as i64))
            },
            last_note.unwrap_or_default(),
            if m.rate_in > 0.0 { format!(", arriving at {:.1} msg/s", m.rate_in) } else { String::new() }
        );
        let th = format!("a message in the last {} (health.dead_letter_window_secs)", secs(t.dead_letter_window_secs));
        let mut f =
            finding(Kind::DeadLetters, Severity::Warn, place, what, th, Target::DeadLetters { topic: m.name.clone() })
                .with("backlog", m.msg_backlog as f64)
                .with("rate_in", m.rate_in)
                .weighted(m.msg_backlog as f64);
        if let Some(l) = last {
            f = f.with("last_message_ms", l as f64);
        }
        out.push(f);
    }
}

/// Rows near or over their backlog quota (partitions, non-partitioned topics).
pub(super) fn quotas(input: &Input<'_>, t: &Thresholds, tracks: &mut Tracks, now_ms: i64, out: &mut Sink) {
    let snap = input.snapshot;
    let rows = snap.partitions.values().chain(snap.topics.values().filter(|m| !m.is_partitioned()));
    for m in rows.filter(|m| !is_system_topic(&m.name)) {
        let size = size_percent(m.backlog_size, m.backlog_quota_bytes);
        let time = time_percent(m.backlog_age_secs, m.backlog_quota_secs);
        let key = format!("quota|{}", m.name);
        let over_half = size.unwrap_or(0.0).max(time.unwrap_or(0.0)) >= 50.0;
        if !over_half {
            tracks.forget(&key);
            continue;
        }
        // the growth between scrapes once there are two; before that (the headless `health`
        // sees one scrape), the broker's own rates: bytes in less what the slowest
        // subscription takes out
        let slope = tracks.feed(&key, now_ms, m.backlog_size as f64, 5 * 60_000).slope().or_else(|| net_in(snap, m));
        let policy = input.details.quotas.get(&m.name);
        if let Some(p) = size.filter(|p| *p >= t.quota_warn_percent) {
            let (kind, sev) = quota_kind(p);
            out.offer(kind, sev, p, quota_place(m), |place| {
                quota_finding(m, place, p, true, slope, policy.and_then(|q| q.size.as_deref()), t)
            });
        }
        if let Some(p) = time.filter(|p| *p >= t.quota_warn_percent) {
            let (kind, sev) = quota_kind(p);
            out.offer(kind, sev, p, quota_place(m), |place| {
                quota_finding(m, place, p, false, None, policy.and_then(|q| q.time.as_deref()), t)
            });
        }
    }
}

/// Bytes per second a row's backlog grows at the broker's current rates: its throughput in
/// less the slowest subscription's throughput out (a partitioned topic's subscription rows
/// are summed over partitions: a partition's share is taken as even). `None` when there
/// is no subscription (no backlog to grow) or nothing comes in.
fn net_in(snap: &crate::metrics::MetricsSnapshot, m: &TopicMetrics) -> Option<f64> {
    if m.throughput_in <= 0.0 {
        return None;
    }
    let parent = parent_topic(&m.name).to_string();
    let start = (parent.clone(), String::new());
    let slowest = snap
        .subscriptions
        .range(start..)
        .take_while(|((t, _), _)| *t == parent)
        .map(|(_, s)| s.throughput_out / f64::from(s.partitions.max(1)))
        .min_by(f64::total_cmp)?;
    Some(m.throughput_in - slowest)
}

/// Over the quota, or near it.
fn quota_kind(percent: f64) -> (Kind, Severity) {
    if percent >= 100.0 {
        (Kind::QuotaExceeded, Severity::Critical)
    } else {
        (Kind::QuotaNear, Severity::Warn)
    }
}

/// Where a quota finding is: the row (a partition or a non-partitioned topic) in its namespace.
fn quota_place(m: &TopicMetrics) -> Place {
    let mut place = topic_place(&m.name);
    place.namespace = Some(m.namespace.clone());
    place
}

fn quota_finding(
    m: &TopicMetrics,
    place: Place,
    percent: f64,
    size: bool,
    slope: Option<f64>,
    policy: Option<&str>,
    t: &Thresholds,
) -> Finding {
    let over = percent >= 100.0;
    let parent = parent_topic(&m.name).to_string();
    let (used, limit, left) = if size {
        let limit = m.backlog_quota_bytes.unwrap_or(0);
        let left = match slope {
            Some(s) if s > 0.0 => Some((limit.saturating_sub(m.backlog_size) as f64 / s).round() as u64),
            _ => None,
        };
        (bytes(m.backlog_size as f64), bytes(limit as f64), left)
    } else {
        let limit = m.backlog_quota_secs.unwrap_or(0);
        let a = m.backlog_age_secs.unwrap_or(0);
        (secs(a), secs(limit), Some(limit.saturating_sub(a)))
    };
    let what_quota = if size { "size" } else { "time" };
    let (kind, sev) = quota_kind(percent);
    let what = if over {
        let effect = match policy {
            Some("producer_exception") => "producers are refused",
            Some("consumer_backlog_eviction") => "the oldest messages are evicted",
            Some(_) => "producers are held",
            None => "producers held or refused (policy unknown)",
        };
        format!("{what_quota} quota: {used} of {limit}; {effect}")
    } else {
        let left = match left {
            Some(l) if size => format!("; full in {} at the current growth", secs(l)),
            Some(l) => format!("; reached in {} if nothing is acked", secs(l)),
            None => "; not growing".to_string(),
        };
        format!("{what_quota} quota: {used} of {limit} ({percent:.0} %){left}")
    };
    let th = if over {
        format!("backlog ≥ its {what_quota} quota")
    } else {
        format!("≥ {} % of the {what_quota} quota (health.quota_warn_percent)", t.quota_warn_percent)
    };
    let mut f = finding(kind, sev, place, what, th, Target::Topic { topic: parent })
        .with("percent", percent)
        .with(if size { "size_quota" } else { "time_quota" }, 1.0);
    if size {
        f = f
            .with("backlog_bytes", m.backlog_size as f64)
            .with("limit_bytes", m.backlog_quota_bytes.unwrap_or(0) as f64);
    } else {
        f = f
            .with("age_secs", m.backlog_age_secs.unwrap_or(0) as f64)
            .with("limit_secs", m.backlog_quota_secs.unwrap_or(0) as f64);
    }
    if let Some(l) = left {
        f = f.with("time_left_secs", l as f64);
    }
    if let Some(g) = slope.filter(|g| size && *g > 0.0) {
        f = f.with("growth_bytes_per_sec", g);
    }
    f
}

/// Geo-replication: a disconnected replicator, a replication backlog that only grows, a
/// replication delay above `health.replication_delay_warn_secs`.
pub(super) fn replication(input: &Input<'_>, t: &Thresholds, tracks: &mut Tracks, now_ms: i64, out: &mut Sink) {
    let window_ms = (t.growth_minutes.max(1) * 60_000) as i64;
    for m in input.snapshot.topics.values().filter(|m| !is_system_topic(&m.name)) {
        for (remote, r) in &m.replication {
            let mut place = topic_place(&m.name);
            place.remote = Some(remote.clone());
            let metrics = Target::Metrics { topic: m.name.clone() };
            if r.connected == 0 {
                let what = format!("not connected to {remote}; replication backlog {}", count(r.backlog as i64));
                out.push(
                    finding(
                        Kind::ReplicatorDisconnected,
                        Severity::Critical,
                        place.clone(),
                        what,
                        "connected = 0".into(),
                        metrics.clone(),
                    )
                    .with("backlog", r.backlog as f64)
                    .weighted(r.backlog as f64),
                );
            }
            let limit = t.replication_delay_warn_secs;
            if limit > 0 && r.backlog > 0 && r.delay_secs >= limit as f64 {
                let what = format!(
                    "{remote} is {} behind; replication backlog {}",
                    age_of(Duration::from_secs_f64(r.delay_secs)),
                    count(r.backlog as i64)
                );
                let th = format!("delay ≥ {limit} s (health.replication_delay_warn_secs)");
                out.push(
                    finding(Kind::ReplicationDelayed, Severity::Warn, place.clone(), what, th, metrics.clone())
                        .with("delay_secs", r.delay_secs)
                        .with("backlog", r.backlog as f64)
                        .weighted(r.delay_secs),
                );
            }
            let key = format!("repl|{}|{remote}", m.name);
            if r.backlog == 0 {
                tracks.forget(&key);
                continue;
            }
            let series = tracks.feed(&key, now_ms, r.backlog as f64, window_ms);
            if let Some((from, to, span)) = series.grew_for(window_ms, t.growth_min_messages as f64) {
                let what = format!(
                    "replication backlog to {remote} {} → {} in {}; delay {:.0} s",
                    count(from as i64),
                    count(to as i64),
                    age_of(Duration::from_millis(span as u64)),
                    r.delay_secs
                );
                let th =
                    format!("grew ≥ {} for {} min (health.growth_minutes)", t.growth_min_messages, t.growth_minutes);
                out.push(
                    finding(Kind::ReplicationGrowing, Severity::Warn, place, what, th, metrics)
                        .with("backlog", to)
                        .with("grew_by", to - from)
                        .with("delay_secs", r.delay_secs)
                        .weighted(to - from),
                );
            }
        }
    }
}
