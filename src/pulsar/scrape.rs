//! Scraping every broker's Prometheus `/metrics` into one [`MetricsSnapshot`].

use futures::future::join_all;

use super::error::{ClientError, Result};
use super::Client;
use crate::metrics::prom::ParseOptions;
use crate::metrics::{MetricsSnapshot, SnapshotBuilder};

/// Scrapes larger than this are refused (with a clear message) rather than parsed.
pub const MAX_SCRAPE_BYTES: u64 = 512 * 1024 * 1024;

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

async fn fetch(client: &Client, url: &str) -> std::result::Result<bytes::Bytes, String> {
    let mut req = client.admin.http().get(url);
    if let Some(t) = &client.target.token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.map_err(|e| format!("cannot scrape {url}: {e}"))?;
    if !resp.status().is_success() {
        return Err(format!("{url}: HTTP {}", resp.status()));
    }
    if resp.content_length().is_some_and(|n| n > MAX_SCRAPE_BYTES) {
        return Err(format!("{url}: scrape larger than {} MB, refused", MAX_SCRAPE_BYTES >> 20));
    }
    resp.bytes().await.map_err(|e| format!("{url}: {e}"))
}

/// One scrape of every broker. A broker that fails is recorded in the snapshot (with why)
/// and the others still count; only failing to list the brokers is an error.
pub async fn scrape(client: &Client, fixed: &[String]) -> Result<MetricsSnapshot> {
    let urls = broker_metrics_urls(client, fixed).await?;
    let bodies = join_all(urls.iter().map(|u| fetch(client, u))).await;
    let now = chrono::Utc::now().timestamp_millis();
    // parsing is CPU work: off the async threads
    let joined = tokio::task::spawn_blocking(move || {
        let opts = ParseOptions { max_bytes: Some(MAX_SCRAPE_BYTES), ..ParseOptions::default() };
        let mut builder = SnapshotBuilder::new();
        for (url, body) in urls.iter().zip(bodies) {
            let broker = url.trim_end_matches('/').trim_end_matches("/metrics").to_string();
            match body {
                Ok(b) => {
                    builder.ingest_scrape(broker, &b[..], &opts, now);
                }
                Err(e) => builder.add_broker_result(broker, Err(e), now),
            }
        }
        builder.finish()
    })
    .await;
    joined.map_err(|e| ClientError::Protocol { what: "metrics parse".into(), reason: e.to_string() })
}
