//! The admin facts of the health view ([`crate::health::Details`]): one pass of targeted
//! calls, as [`crate::health::wants`] chose them from the scrape. Never one call per topic
//! of the cluster: the lists are bounded (`[health] detail_limit`), and everything else
//! comes from the `/metrics` scrape the metrics view makes anyway.

use std::collections::BTreeMap;

use futures::stream::{self, StreamExt};
use serde::Deserialize;

use super::error::{ClientError, Result};
use super::topic::TopicName;
use super::Client;
use crate::health::{BrokerFact, Details, HeldBackFact, LetterFact, QuotaPolicy, SubDetail, TxnFact, Wants};

/// Admin calls in flight at once.
const CONCURRENCY: usize = 8;

/// At most this many stuck transactions (and as many topics of theirs) per pass.
const TXN_LIMIT: usize = 50;

/// The broker's web service root from its `/metrics` URL (`http://h:8080/metrics/` →
/// `http://h:8080`).
pub fn broker_root(metrics_url: &str) -> &str {
    let u = metrics_url.trim_end_matches('/');
    u.strip_suffix("/metrics").unwrap_or(u)
}

/// A GET of one broker's own admin API (not the configured admin URL: each broker
/// answers for itself), with the cluster's credentials, bounded by the operation timeout.
async fn broker_get(client: &Client, url: &str) -> std::result::Result<String, String> {
    let mut req = client.admin.http().await.map_err(|e| e.to_string())?.get(url).timeout(client.target.op_timeout);
    let token = match client.oauth2() {
        Some(o) => Some(o.token().await.map_err(|e| e.to_string())?),
        None => client.target.token.clone(),
    };
    if let Some(t) = &token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.map_err(|e| match super::tls::tls_error_in_chain(url, &e) {
        Some(tls) => tls.to_string(),
        None if e.is_timeout() => format!("no answer within {}s", client.target.op_timeout.as_secs()),
        None if e.is_connect() => "unreachable".to_string(),
        None => e.to_string(),
    })?;
    let status = resp.status();
    let body = resp.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        let body = body.trim();
        let body: String = body.chars().take(200).collect();
        return Err(if body.is_empty() { format!("HTTP {status}") } else { format!("HTTP {status}: {body}") });
    }
    Ok(body.trim().trim_matches('"').to_string())
}

/// One broker's health check and version.
async fn broker_fact(client: &Client, metrics_url: &str) -> BrokerFact {
    let root = broker_root(metrics_url);
    let health = format!("{root}/admin/v2/brokers/health");
    let version = format!("{root}/admin/v2/brokers/version");
    let (h, v) = futures::join!(broker_get(client, &health), broker_get(client, &version));
    let health_error = match h {
        Ok(body) if body.eq_ignore_ascii_case("ok") => None,
        Ok(body) => Some(format!("answered {body:?}")),
        Err(e) => Some(e),
    };
    BrokerFact { broker: metrics_url.to_string(), health_error, version: v.ok().filter(|v| !v.is_empty()) }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct AgeStats {
    subscriptions: BTreeMap<String, AgeSub>,
    partitions: BTreeMap<String, AgeStats>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct AgeSub {
    earliest_msg_publish_time_in_backlog: i64,
}

/// The oldest unacknowledged message of each subscription of a topic: its stats with
/// `getEarliestTimeInBacklog=true` (per partition for a partitioned topic, the oldest of
/// the partitions).
async fn ages(client: &Client, topic: &str, partitions: u32) -> Result<Vec<((String, String), SubDetail)>> {
    let name = TopicName::parse(topic).map_err(|e| ClientError::Invalid(e.to_string()))?;
    let path = if partitions > 0 {
        format!("/admin/v2/{}/partitioned-stats?perPartition=true&getEarliestTimeInBacklog=true", name.rest_path())
    } else {
        format!("/admin/v2/{}/stats?getEarliestTimeInBacklog=true", name.rest_path())
    };
    let stats: AgeStats = client.admin.get_json(&path).await?;
    let mut oldest: BTreeMap<String, Option<i64>> = BTreeMap::new();
    let parts: Vec<&AgeStats> =
        if stats.partitions.is_empty() { vec![&stats] } else { stats.partitions.values().collect() };
    for p in parts {
        for (sub, s) in &p.subscriptions {
            let t = Some(s.earliest_msg_publish_time_in_backlog).filter(|t| *t > 0);
            let e = oldest.entry(sub.clone()).or_default();
            *e = match (*e, t) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }
    Ok(oldest.into_iter().map(|(sub, t)| ((topic.to_string(), sub), SubDetail { earliest_publish_ms: t })).collect())
}

#[derive(Debug, Default, Deserialize)]
struct QuotaMap {
    destination_storage: Option<QuotaEntry>,
    message_age: Option<QuotaEntry>,
}

#[derive(Debug, Default, Deserialize)]
struct QuotaEntry {
    policy: Option<String>,
}

/// The backlog-quota policies applied to a topic (the partitioned parent's, for a partition).
async fn quota(client: &Client, topic: &str) -> Result<QuotaPolicy> {
    let parent = crate::metrics::model::parent_topic(topic);
    let name = TopicName::parse(parent).map_err(|e| ClientError::Invalid(e.to_string()))?;
    let map: QuotaMap =
        client.admin.get_json(&format!("/admin/v2/{}/backlogQuotaMap?applied=true", name.rest_path())).await?;
    Ok(QuotaPolicy {
        size: map.destination_storage.and_then(|q| q.policy),
        time: map.message_age.and_then(|q| q.policy),
    })
}

/// The newest message's publish time of a dead-letter topic, over its partitions.
async fn newest(client: &Client, topic: &str, partitions: &[String]) -> Result<LetterFact> {
    let names: Vec<&str> =
        if partitions.is_empty() { vec![topic] } else { partitions.iter().map(String::as_str).collect() };
    let mut newest: Option<i64> = None;
    for n in names {
        let name = TopicName::parse(n).map_err(|e| ClientError::Invalid(e.to_string()))?;
        if let Some(m) = client.admin.examine_message(&name, true, 1).await? {
            newest = newest.max(m.publish_time_ms);
        }
    }
    Ok(LetterFact { newest_publish_ms: newest })
}

/// Open transactions older than `older_than_ms` and what each holds back (at most `limit`
/// transactions, each topic asked once). Nothing is asked of a coordinator unless
/// transactions are on and it is loaded ([`super::txn::busy_coordinators`]).
async fn transactions(client: &Client, older_than_ms: u64, limit: usize) -> Result<Vec<TxnFact>> {
    let Some(busy) = super::txn::busy_coordinators(client).await? else { return Ok(Vec::new()) };
    let mut open = Vec::new();
    for c in busy {
        open.extend(super::txn::slow_of(client, c, older_than_ms).await?);
    }
    open.sort_by_key(|t| (t.open_ms, t.id));
    open.truncate(limit.max(1));
    // each produced topic once: which of these transactions pins it, and by how much
    let mut topics: Vec<&str> = open.iter().flat_map(|t| t.produced.iter().map(|p| p.topic.as_str())).collect();
    topics.sort_unstable();
    topics.dedup();
    let mut held: BTreeMap<String, crate::txn::HeldBack> = BTreeMap::new();
    for t in topics.into_iter().take(limit.max(1)) {
        let Ok(name) = TopicName::parse(t) else { continue };
        if let Some(h) = super::txn::held_back_on(client, &name, &open).await? {
            held.insert(t.to_string(), h);
        }
    }
    Ok(open
        .iter()
        .map(|t| TxnFact {
            txn: t.id.to_string(),
            open_ms: t.open_ms,
            timeout_ms: t.timeout_ms,
            produced: t.produced.iter().map(|p| p.topic.clone()).collect(),
            acked: t.acked.clone(),
            holds_back: held
                .iter()
                .filter(|(_, h)| h.txn == Some(t.id))
                .map(|(topic, h)| HeldBackFact {
                    topic: topic.clone(),
                    entries: h.entries,
                    max_read_position: h.max_read_position.clone(),
                    last_entry: h.last_entry.clone(),
                })
                .collect(),
        })
        .collect())
}

/// The health view's request group (ARCHITECTURE.md, "Adding a request group").
#[derive(Debug, Clone, PartialEq)]
pub enum HealthRequest {
    /// The admin facts `health::wants` chose from the latest scrape (broker health and
    /// version, oldest-message ages, quota policies).
    Gather { wants: Box<Wants> },
}

#[derive(Debug, Clone, PartialEq)]
pub enum HealthResponse {
    Gathered { details: Box<Details> },
}

impl HealthRequest {
    pub fn describe(&self) -> String {
        match self {
            HealthRequest::Gather { .. } => "health checks".into(),
        }
    }
}

/// Runs one request of the group (the worker's and the headless commands' entry point).
pub async fn execute(client: &Client, request: &HealthRequest) -> Result<HealthResponse> {
    match request {
        HealthRequest::Gather { wants } => {
            Ok(HealthResponse::Gathered { details: Box::new(gather(client, wants).await) })
        }
    }
}

/// One pass of the targeted admin calls `wants` lists. A failed call leaves its fact out
/// and is listed in [`Details::errors`]; the pass itself never fails.
pub async fn gather(client: &Client, wants: &Wants) -> Details {
    let mut d = Details::default();
    // owned inputs: the futures borrow nothing from the caller (the worker spawns this)
    let brokers = futures::future::join_all(wants.brokers.iter().cloned().map(|b| {
        let c = client.clone();
        async move { broker_fact(&c, &b).await }
    }));
    let ages = stream::iter(wants.ages.iter().cloned().map(|(t, p)| {
        let c = client.clone();
        async move {
            let r = ages(&c, &t, p).await;
            (t, r)
        }
    }))
    .buffer_unordered(CONCURRENCY)
    .collect::<Vec<_>>();
    let quotas = stream::iter(wants.quotas.iter().cloned().map(|t| {
        let c = client.clone();
        async move {
            let r = quota(&c, &t).await;
            (t, r)
        }
    }))
    .buffer_unordered(CONCURRENCY)
    .collect::<Vec<_>>();
    let letters = stream::iter(wants.letters.iter().cloned().map(|(t, p)| {
        let c = client.clone();
        async move {
            let r = newest(&c, &t, &p).await;
            (t, r)
        }
    }))
    .buffer_unordered(CONCURRENCY)
    .collect::<Vec<_>>();
    let txns = async {
        match wants.transactions_older_than_ms {
            // boxed: it nests the transactions' admin calls (a large future in debug builds)
            Some(ms) => Some(Box::pin(transactions(client, ms, TXN_LIMIT)).await),
            None => None,
        }
    };
    let (brokers, ages, quotas, letters, txns) = futures::join!(brokers, ages, quotas, letters, txns);
    d.brokers = brokers;
    match txns {
        Some(Ok(t)) => d.transactions = t,
        Some(Err(e)) => d.errors.push(format!("open transactions: {e}")),
        None => {}
    }
    for (t, r) in ages {
        match r {
            Ok(subs) => d.subscriptions.extend(subs),
            Err(e) => d.errors.push(format!("stats of {t}: {e}")),
        }
    }
    for (t, r) in quotas {
        match r {
            Ok(q) => {
                d.quotas.insert(t, q);
            }
            Err(e) => d.errors.push(format!("backlog quota of {t}: {e}")),
        }
    }
    for (t, r) in letters {
        match r {
            Ok(l) => {
                d.letters.insert(t, l);
            }
            Err(e) => d.errors.push(format!("newest message of {t}: {e}")),
        }
    }
    d.errors.sort();
    d
}

/// The brokers a pass checks: every active broker the admin API lists for the cluster plus
/// the configured ones (`--metrics-url`, the config's `metrics_urls`), once each. Discovery
/// lists the active brokers only, so a stopped broker drops out of it: a configured one is
/// still checked (its scrape and health check fail: findings). Discovery failing (the admin
/// URL's broker down) leaves the configured ones.
pub async fn brokers_to_check(client: &Client, configured: &[String]) -> Result<Vec<String>> {
    let mut urls = match super::scrape::broker_metrics_urls(client, &[]).await {
        Ok(u) => u,
        Err(e) if !configured.is_empty() => {
            tracing::warn!(error = %e, "broker discovery failed; checking the configured brokers only");
            Vec::new()
        }
        Err(e) => return Err(e),
    };
    for u in configured {
        if !urls.iter().any(|d| broker_root(d) == broker_root(u)) {
            urls.push(u.clone());
        }
    }
    Ok(urls)
}

/// A whole health pass, as the headless `health` runs it: scrape every broker, choose
/// the facts worth a call, gather them. Returns the scrape, its time (epoch ms) and the facts.
pub async fn pass(
    client: &Client,
    metrics_urls: &[String],
    thresholds: &crate::health::Thresholds,
) -> Result<(crate::metrics::MetricsSnapshot, i64, Details)> {
    // each broker's health check (it produces and reads a heartbeat: ~150 ms) runs while
    // the brokers write their scrape (seconds on a broker of 10,000 topics), not after it
    let urls = brokers_to_check(client, metrics_urls).await?;
    let roots: Vec<String> =
        urls.iter().map(|u| u.trim_end_matches('/').trim_end_matches("/metrics").to_string()).collect();
    let facts = futures::future::join_all(roots.iter().map(|b| broker_fact(client, b)));
    let (snapshot, brokers) = futures::join!(super::scrape::scrape(client, &urls), facts);
    let snapshot = snapshot?;
    let at_ms = chrono::Utc::now().timestamp_millis();
    let mut wants = crate::health::wants(&snapshot, thresholds, at_ms);
    wants.brokers.clear(); // asked already
    let mut details = gather(client, &wants).await;
    details.brokers = brokers;
    Ok((snapshot, at_ms, details))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_broker_root_of_a_metrics_url() {
        assert_eq!(broker_root("http://h:8080/metrics/"), "http://h:8080");
        assert_eq!(broker_root("https://h:8443/metrics"), "https://h:8443");
        assert_eq!(broker_root("http://h:8080"), "http://h:8080");
    }

    #[test]
    fn ages_and_quota_json_as_the_broker_sends_them() {
        let s: AgeStats = serde_json::from_str(
            r#"{"msgRateIn":0,"subscriptions":{"a":{"earliestMsgPublishTimeInBacklog":1700,"msgBacklog":3},
                "b":{"earliestMsgPublishTimeInBacklog":-1}}}"#,
        )
        .unwrap();
        assert_eq!(s.subscriptions["a"].earliest_msg_publish_time_in_backlog, 1700);
        let q: QuotaMap = serde_json::from_str(
            r#"{"destination_storage":{"limit":-1,"limitSize":-1,"limitTime":-1,"policy":"producer_request_hold"}}"#,
        )
        .unwrap();
        assert_eq!(q.destination_storage.and_then(|q| q.policy).as_deref(), Some("producer_request_hold"));
        assert!(q.message_age.is_none());
    }
}
