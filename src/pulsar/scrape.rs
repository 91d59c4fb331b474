//! Scraping every broker's Prometheus `/metrics` into one [`MetricsSnapshot`].

use std::collections::BTreeMap;

use futures::future::join_all;
use futures::stream::{self, StreamExt};

use super::error::{ClientError, Result};
use super::stats::TopicStats;
use super::topic::TopicName;
use super::{Client, TopicEntry};
use crate::metrics::prom::ParseOptions;
use crate::metrics::{
    AdminFallback, Interest, MetricsSnapshot, ReplicationMetrics, SnapshotBuilder, SubscriptionMetrics, TopicMetrics,
};

/// The metrics view's request (the health view reads the same scrape).
#[derive(Debug, Clone, PartialEq)]
pub enum MetricsRequest {
    /// Scrape `/metrics` of every broker (or of the fixed list), keeping the per-topic
    /// rows `interest` asks for (what is on screen, ranked, or a health candidate).
    Scrape { brokers: Vec<String>, interest: crate::metrics::Interest },
}

#[derive(Debug, Clone, PartialEq)]
pub enum MetricsResponse {
    /// One scrape of every broker, at wall-clock `at_ms`.
    Scraped { snapshot: Box<MetricsSnapshot>, at_ms: i64 },
}

impl MetricsRequest {
    pub fn describe(&self) -> String {
        match self {
            MetricsRequest::Scrape { .. } => "metrics scrape".into(),
        }
    }
}

pub async fn execute(client: &Client, r: &MetricsRequest) -> Result<MetricsResponse> {
    match r {
        MetricsRequest::Scrape { brokers, interest } => {
            let snapshot = Box::new(scrape_with(client, brokers, interest).await?);
            Ok(MetricsResponse::Scraped { snapshot, at_ms: chrono::Utc::now().timestamp_millis() })
        }
    }
}

/// A scrape that keeps streaming may take this long in all (each wait is bounded by the
/// operation timeout). There is no size limit: the body is parsed as it streams and only
/// the rows the [`Interest`] asks for are kept; an endless line or a body of mostly bad
/// lines is cut off by the parser ([`crate::metrics::prom::ScrapeCutOff`]).
const SCRAPE_TOTAL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// When a broker exports namespace-level series only, at most this many topics per scrape
/// get their stats from the admin API instead (one call each).
pub const MAX_FALLBACK_TOPICS: usize = 500;

/// Admin stats calls in flight at once during the fallback.
const FALLBACK_CONCURRENCY: usize = 8;

/// The `/metrics` URLs of the cluster: the fixed list when given, else every active broker
/// of the first cluster, as the admin API lists them.
pub async fn broker_metrics_urls(client: &Client, fixed: &[String]) -> Result<Vec<String>> {
    if !fixed.is_empty() {
        return Ok(fixed.to_vec());
    }
    let clusters = client.admin.clusters().await?;
    let cluster = clusters.first().ok_or_else(|| ClientError::Protocol {
        what: "GET /admin/v2/clusters".into(),
        reason: "no cluster listed".into(),
    })?;
    let scheme = if client.admin.base_url().starts_with("https://") { "https" } else { "http" };
    let mut brokers = client.admin.brokers(cluster).await?;
    brokers.sort();
    Ok(brokers.into_iter().map(|b| format!("{scheme}://{b}/metrics/")).collect())
}

/// Starts the GET of one broker's `/metrics` (status checked, body not read yet).
async fn start_fetch(client: &Client, url: &str) -> std::result::Result<reqwest::Response, String> {
    // the client's timeout bounds a whole request; a large scrape may take longer to stream
    // (it is parsed as it arrives), so the operation timeout bounds the wait for the
    // headers here and for each chunk of the body in `scrape_one` instead
    let wait = client.target.op_timeout;
    let http = client.admin.http().await.map_err(|e| format!("cannot scrape {url}: {e}"))?;
    let mut req = http.get(url).timeout(SCRAPE_TOTAL_TIMEOUT);
    let token = match client.oauth2() {
        Some(o) => Some(o.token().await.map_err(|e| format!("cannot scrape {url}: {e}"))?),
        None => client.target.token.clone(),
    };
    if let Some(t) = &token {
        req = req.bearer_auth(t);
    }
    let resp = tokio::time::timeout(wait, req.send())
        .await
        .map_err(|_| format!("cannot scrape {url}: no answer within {}s", wait.as_secs()))?
        .map_err(|e| match super::tls::tls_error_in_chain(url, &e) {
            Some(tls) => format!("cannot scrape {url}: {tls}"),
            None => format!("cannot scrape {url}: {e}"),
        })?;
    if !resp.status().is_success() {
        return Err(format!("{url}: HTTP {}", resp.status()));
    }
    Ok(resp)
}

/// A blocking `Read` over the body chunks that the async side hands over: the parser reads
/// the scrape while it downloads, so memory stays bounded (a few chunks in flight plus the
/// aggregates) however large the scrape is. (`tokio-util`'s `SyncIoBridge` does the same
/// over an `AsyncRead`; this is the few lines it takes without the extra crate.)
struct ChunkReader {
    rx: tokio::sync::mpsc::Receiver<std::result::Result<bytes::Bytes, String>>,
    current: bytes::Bytes,
}

impl std::io::Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(std::io::Error::other(e)),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// Downloads and parses one broker's scrape at the same time, into a builder of its own.
async fn scrape_one(client: &Client, url: &str, now: i64, interest: &Interest) -> SnapshotBuilder {
    let broker = url.trim_end_matches('/').trim_end_matches("/metrics").to_string();
    let mut resp = match start_fetch(client, url).await {
        Ok(r) => r,
        Err(e) => {
            let mut b = SnapshotBuilder::new();
            b.add_broker_result(broker, Err(e), now);
            return b;
        }
    };
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let interest = interest.clone();
    // parsing is CPU work: off the async threads
    let parse = tokio::task::spawn_blocking(move || {
        let opts = ParseOptions { max_bytes: None, ..ParseOptions::default() };
        let reader = std::io::BufReader::with_capacity(256 * 1024, ChunkReader { rx, current: bytes::Bytes::new() });
        let mut b = SnapshotBuilder::with_interest(&interest);
        let status = b.ingest_scrape(broker, reader, &opts, now).clone();
        if status.result.is_err() {
            // what was parsed before the failure does not count
            b = SnapshotBuilder::new();
            b.add_broker_result(status.broker, status.result, now);
        }
        b
    });
    let wait = client.target.op_timeout;
    loop {
        let next = match tokio::time::timeout(wait, resp.chunk()).await {
            Ok(Ok(Some(chunk))) => Ok(chunk),
            Ok(Ok(None)) => break,
            Ok(Err(e)) => Err(format!("{url}: {e}")),
            Err(_) => Err(format!("{url}: the scrape stalled (no data for {}s)", wait.as_secs())),
        };
        let failed = next.is_err();
        // a closed channel: the parser stopped early (cut off); it says why
        if tx.send(next).await.is_err() || failed {
            break;
        }
    }
    drop(tx);
    match parse.await {
        Ok(b) => b,
        Err(e) => {
            let mut b = SnapshotBuilder::new();
            b.add_broker_result(url.to_string(), Err(format!("parsing the scrape of {url}: {e}")), now);
            b
        }
    }
}

/// One scrape of every broker, keeping every row. A broker that fails is recorded in the
/// snapshot (with why) and the others still count; only failing to list the brokers is an
/// error.
pub async fn scrape(client: &Client, fixed: &[String]) -> Result<MetricsSnapshot> {
    scrape_with(client, fixed, &Interest::everything()).await
}

/// One scrape of every broker, keeping the per-topic rows `interest` asks for (namespace
/// totals count everything).
pub async fn scrape_with(client: &Client, fixed: &[String], interest: &Interest) -> Result<MetricsSnapshot> {
    let urls = broker_metrics_urls(client, fixed).await?;
    let now = chrono::Utc::now().timestamp_millis();
    let parts = join_all(urls.iter().map(|u| scrape_one(client, u, now, interest))).await;
    // merging and finishing sort and copy up to every topic row: CPU work, off the async
    // threads (the UI's event loop runs on them)
    let interest = interest.clone();
    let finish = tokio::task::spawn_blocking(move || {
        let mut parts = parts.into_iter();
        // the first broker's builder is the base (merging it into an empty one would copy
        // its index of topic names)
        let mut builder = parts.next().unwrap_or_default();
        for part in parts {
            builder.merge(part);
        }
        builder.finish_with(&interest)
    });
    let mut snapshot = finish.await.map_err(|e| ClientError::Protocol {
        what: "metrics scrape".into(),
        reason: format!("aggregating the scrape failed: {e}"),
    })?;
    let namespaces = snapshot.fallback_namespaces();
    if !namespaces.is_empty() {
        admin_fallback(client, &mut snapshot, &namespaces).await;
    }
    Ok(snapshot)
}

/// Fills in the topics of `namespaces` (reported by some broker with namespace-level series
/// only) from the admin API's topic stats: every topic of those namespaces, up to
/// [`MAX_FALLBACK_TOPICS`], that the scrape does not already have. Never fails: what went
/// wrong is recorded in [`MetricsSnapshot::admin_fallback`].
pub async fn admin_fallback(client: &Client, snapshot: &mut MetricsSnapshot, namespaces: &[String]) {
    let mut fallback = AdminFallback::default();
    let listings = join_all(namespaces.iter().map(|ns| client.admin.topics(ns))).await;
    let mut wanted: Vec<TopicEntry> = Vec::new();
    for (ns, listing) in namespaces.iter().zip(listings) {
        match listing {
            Ok(entries) => {
                wanted.extend(entries.into_iter().filter(|e| !snapshot.topics.contains_key(&e.name.to_string())))
            }
            Err(e) => {
                fallback.error.get_or_insert_with(|| format!("cannot list the topics of {ns}: {e}"));
            }
        }
    }
    if wanted.len() > MAX_FALLBACK_TOPICS {
        fallback.truncated = true;
        wanted.truncate(MAX_FALLBACK_TOPICS);
    }
    let admin = &client.admin;
    let fetched: Vec<_> = stream::iter(wanted)
        .map(|e| async move {
            let stats = admin.topic_stats(&e.name, e.partitions).await;
            (e, stats)
        })
        .buffer_unordered(FALLBACK_CONCURRENCY)
        .collect()
        .await;
    for (entry, stats) in fetched {
        match stats {
            Ok(stats) => {
                let (topic, subs) = metrics_from_admin_stats(&entry.name, entry.partitions, &stats);
                if snapshot.add_admin_topic(topic, subs) {
                    fallback.topics += 1;
                }
            }
            Err(e) => {
                fallback.error.get_or_insert_with(|| format!("cannot read the stats of {}: {e}", entry.name));
            }
        }
    }
    snapshot.admin_fallback = Some(fallback);
}

/// One topic's admin stats (`/stats`, or `/partitioned-stats` aggregated for a
/// partitioned topic with `partitions` > 0) as the rows the metrics view shows.
/// Producers and consumers are counted once per name, as the scrape's partition
/// aggregation does (a partitioned client holds one connection per partition).
pub fn metrics_from_admin_stats(
    topic: &TopicName,
    partitions: u32,
    stats: &TopicStats,
) -> (TopicMetrics, Vec<SubscriptionMetrics>) {
    let name = topic.to_string();
    let count = |n: i64| n.max(0) as u64;
    let distinct = |names: Vec<&str>| {
        let unnamed = names.iter().filter(|n| n.is_empty()).count();
        let mut named: Vec<&str> = names.into_iter().filter(|n| !n.is_empty()).collect();
        named.sort_unstable();
        named.dedup();
        (named.len() + unnamed) as u64
    };
    let subs: Vec<SubscriptionMetrics> = stats
        .subscriptions
        .iter()
        .map(|(sub, s)| SubscriptionMetrics {
            topic: name.clone(),
            name: sub.clone(),
            partitions,
            backlog: count(s.msg_backlog),
            backlog_no_delayed: count(s.msg_backlog_no_delayed),
            delayed: count(s.msg_delayed),
            unacked: count(s.unacked_messages),
            rate_redeliver: s.msg_rate_redeliver,
            rate_out: s.msg_rate_out,
            throughput_out: s.msg_throughput_out,
            consumers: distinct(s.consumers.iter().map(|c| c.consumer_name.as_str()).collect()),
            blocked: s.blocked_subscription_on_unacked_msgs,
            ..Default::default()
        })
        .collect();
    let replication: BTreeMap<String, ReplicationMetrics> = stats
        .replication
        .iter()
        .map(|(remote, r)| {
            let m = ReplicationMetrics {
                backlog: count(r.replication_backlog),
                rate_in: r.msg_rate_in,
                rate_out: r.msg_rate_out,
                throughput_in: r.msg_throughput_in,
                throughput_out: r.msg_throughput_out,
                connected: r.connected as u64,
                delay_secs: r.replication_delay_in_seconds.max(0) as f64,
            };
            (remote.clone(), m)
        })
        .collect();
    let topic_metrics = TopicMetrics {
        name: name.clone(),
        namespace: topic.namespace_path(),
        partitions: (0..partitions).map(|i| topic.partition(i).to_string()).collect(),
        producers: distinct(stats.publishers.iter().map(|p| p.producer_name.as_str()).collect()),
        consumers: subs.iter().map(|s| s.consumers).sum(),
        subscriptions: subs.len() as u64,
        rate_in: stats.msg_rate_in,
        rate_out: stats.msg_rate_out,
        throughput_in: stats.msg_throughput_in,
        throughput_out: stats.msg_throughput_out,
        msg_backlog: subs.iter().map(|s| s.backlog).sum(),
        backlog_size: count(stats.backlog_size),
        storage_size: count(stats.storage_size),
        offloaded_size: count(stats.offloaded_storage_size),
        in_messages_total: count(stats.msg_in_counter),
        in_bytes_total: count(stats.bytes_in_counter),
        publish_latency: None,
        replication,
        ..Default::default()
    };
    (topic_metrics, subs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(name: &str) -> TopicStats {
        let path = format!("{}/tests/fixtures/metrics/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    #[test]
    fn admin_stats_of_a_topic_become_metrics_rows() {
        // captured from the broker of standalone-4.0.8-namespace-level.txt
        let t = TopicName::parse("persistent://public/default/nsfix-a").unwrap();
        let (m, subs) = metrics_from_admin_stats(&t, 0, &stats("admin-stats-nsfix-a.json"));
        assert_eq!(m.name, "persistent://public/default/nsfix-a");
        assert_eq!(m.namespace, "public/default");
        assert!(!m.is_partitioned());
        assert_eq!((m.msg_backlog, m.storage_size, m.backlog_size, m.in_messages_total), (20, 770, 770, 20));
        assert_eq!((m.subscriptions, m.consumers, m.producers), (1, 0, 1));
        assert_eq!(subs.len(), 1);
        assert_eq!((subs[0].name.as_str(), subs[0].backlog, subs[0].partitions), ("sub1", 20, 0));
    }

    #[test]
    fn partitioned_stats_become_one_parent_row() {
        let t = TopicName::parse("persistent://public/default/nsfix-p").unwrap();
        let (m, subs) = metrics_from_admin_stats(&t, 2, &stats("admin-stats-nsfix-p.json"));
        assert_eq!(
            m.partitions,
            ["persistent://public/default/nsfix-p-partition-0", "persistent://public/default/nsfix-p-partition-1"]
        );
        assert_eq!((m.msg_backlog, m.storage_size, m.in_messages_total), (20, 1160, 30));
        assert_eq!((m.consumers, m.producers), (1, 1));
        assert_eq!(subs[0].name, "psub");
        assert_eq!((subs[0].backlog, subs[0].consumers, subs[0].partitions), (20, 1, 2));
        // the namespace-level scrape of the same broker: a + p backlogs and storage add up
        let snap = crate::metrics::model::snapshot_from_str(
            include_str!("../../tests/fixtures/metrics/standalone-4.0.8-namespace-level.txt"),
            "b",
            0,
        );
        let ns = &snap.namespaces["public/default"];
        assert_eq!(ns.msg_backlog, m.msg_backlog + 20);
        assert_eq!(ns.storage_size, m.storage_size + 770);
    }

    #[test]
    fn replication_and_offload_come_through() {
        let json = r#"{"offloadedStorageSize": 4096, "replication": {"west": {"msgRateIn": 1.5,
            "msgRateOut": 2.5, "msgThroughputOut": 100.0, "replicationBacklog": 42, "connected": true,
            "replicationDelayInSeconds": 3}}, "publishers": [{"producerName": "p"}, {"producerName": "p"}],
            "subscriptions": {"s": {"consumers": [{"consumerName": "c1"}, {"consumerName": "c1"},
            {"consumerName": "c2"}], "blockedSubscriptionOnUnackedMsgs": true}}}"#;
        let st: TopicStats = serde_json::from_str(json).unwrap();
        let t = TopicName::parse("persistent://t/n/x").unwrap();
        let (m, subs) = metrics_from_admin_stats(&t, 3, &st);
        assert_eq!(m.offloaded_size, 4096);
        let west = &m.replication["west"];
        assert_eq!(
            (west.backlog, west.rate_in, west.rate_out, west.connected, west.delay_secs),
            (42, 1.5, 2.5, 1, 3.0)
        );
        assert_eq!(m.producers, 1, "one partitioned producer, counted once");
        assert_eq!((subs[0].consumers, subs[0].blocked), (2, true));
    }
}
