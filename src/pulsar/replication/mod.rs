//! Geo-replication (the replication view's request group): a topic's replicators, one row
//! per remote cluster from the topic stats' `replication` map, and the replication check
//! (`check.rs`), which compares both clusters through readers.
//!
//! For a partitioned topic the rows are summed from the per-partition stats: Pulsar 4.0's
//! `partitioned-stats` aggregate of `replication` says `connected: false` and zero counters
//! while every partition's replicator is connected and sending (seen on scripts/pulsar-geo).

mod check;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::{ClientError, Result};
use super::topic::TopicName;
use super::{Client, ClusterTarget};
pub use check::{check, CheckReport, LastMessage, PartitionCheck};

/// The requests of the replication view.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplicationRequest {
    /// The namespace's replication clusters and the topic's replicators (one row per remote).
    Fetch { topic: TopicName, partitions: u32 },
    /// Compare the topic on this cluster with `remote` (a context's cluster): per partition,
    /// the last message on each side and how many the remote is missing. No side effects.
    Check { topic: TopicName, remote: Box<ClusterTarget>, remote_context: String },
}

#[derive(Debug, Clone, PartialEq)]
pub enum ReplicationResponse {
    Fetched { topic: TopicName, status: Box<ReplicationStatus> },
    Checked { topic: TopicName, remote_context: String, report: Box<CheckReport> },
}

impl ReplicationRequest {
    pub fn describe(&self) -> String {
        match self {
            ReplicationRequest::Fetch { topic, .. } => format!("replication of {topic}"),
            ReplicationRequest::Check { topic, remote_context, .. } => {
                format!("replication check of {topic} against {remote_context}")
            }
        }
    }
}

/// Runs one request of the group (the worker's and the headless commands' entry point).
pub async fn execute(client: &Client, request: &ReplicationRequest) -> Result<ReplicationResponse> {
    match request {
        ReplicationRequest::Fetch { topic, partitions } => Ok(ReplicationResponse::Fetched {
            topic: topic.clone(),
            status: Box::new(status(client, topic, *partitions).await?),
        }),
        ReplicationRequest::Check { topic, remote, remote_context } => {
            // the check only reads: its client for the other cluster refuses every write
            let mut target = (**remote).clone();
            target.read_only = true;
            let remote_client = Client::new(target)?;
            Ok(ReplicationResponse::Checked {
                topic: topic.clone(),
                remote_context: remote_context.clone(),
                report: Box::new(check(client, &remote_client, topic).await?),
            })
        }
    }
}

/// A topic's replication as the details pane shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReplicationStatus {
    /// This cluster's name, when the admin API tells which of its clusters it is.
    pub local_cluster: Option<String>,
    /// The namespace's replication clusters (this one included).
    pub clusters: Vec<String>,
    /// One row per remote cluster, by name.
    pub rows: Vec<ReplicatorRow>,
}

/// The replicator towards one remote cluster (summed over the partitions).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReplicatorRow {
    pub remote: String,
    /// Every partition's replicator is connected.
    pub connected: bool,
    /// Partitions with a replicator, and how many of them are connected.
    pub replicators: u32,
    pub connected_replicators: u32,
    /// The latest `outboundConnectedSince` of the connected ones (RFC 3339).
    pub connected_since: Option<String>,
    /// Messages not yet sent to the remote (`replicationBacklog`: entries, summed).
    pub backlog: i64,
    /// Messages/s and bytes/s received from the remote (in) and sent to it (out).
    pub rate_in: f64,
    pub rate_out: f64,
    pub throughput_in: f64,
    pub throughput_out: f64,
    /// `replicationDelayInSeconds`, the largest of the partitions.
    pub delay_secs: i64,
    /// Messages sent since the replicator started (`msgOutCount`).
    pub msg_out_count: i64,
}

/// `replication` of the topic stats, as the broker sends it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawReplicator {
    msg_rate_in: f64,
    msg_rate_out: f64,
    msg_throughput_in: f64,
    msg_throughput_out: f64,
    msg_out_count: i64,
    replication_backlog: i64,
    connected: bool,
    replication_delay_in_seconds: i64,
    outbound_connected_since: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawStats {
    replication: BTreeMap<String, RawReplicator>,
    partitions: BTreeMap<String, RawStats>,
}

/// Sums the replicators of each partition (or of the one topic) into one row per remote.
fn rows_of(parts: &[&BTreeMap<String, RawReplicator>]) -> Vec<ReplicatorRow> {
    let mut rows: BTreeMap<String, ReplicatorRow> = BTreeMap::new();
    for part in parts {
        for (remote, r) in part.iter() {
            let row = rows.entry(remote.clone()).or_insert_with(|| ReplicatorRow {
                remote: remote.clone(),
                connected: true,
                ..ReplicatorRow::default()
            });
            row.replicators += 1;
            row.connected &= r.connected;
            if r.connected {
                row.connected_replicators += 1;
                // RFC 3339 times of one zone compare as text
                if let Some(since) = r.outbound_connected_since.as_ref().filter(|s| !s.is_empty()) {
                    if row.connected_since.as_ref().is_none_or(|s| s < since) {
                        row.connected_since = Some(since.clone());
                    }
                }
            }
            row.backlog += r.replication_backlog;
            row.rate_in += r.msg_rate_in;
            row.rate_out += r.msg_rate_out;
            row.throughput_in += r.msg_throughput_in;
            row.throughput_out += r.msg_throughput_out;
            row.delay_secs = row.delay_secs.max(r.replication_delay_in_seconds);
            row.msg_out_count += r.msg_out_count;
        }
    }
    rows.into_values().collect()
}

/// The namespace's replication clusters and the topic's replicators.
pub async fn status(client: &Client, topic: &TopicName, partitions: u32) -> Result<ReplicationStatus> {
    let ns = topic.namespace_path();
    let clusters_path = format!("/admin/v2/namespaces/{ns}/replication");
    let stats_path = if partitions > 0 && topic.partition_index().is_none() {
        format!("/admin/v2/{}/partitioned-stats?perPartition=true", topic.rest_path())
    } else {
        format!("/admin/v2/{}/stats", topic.rest_path())
    };
    let (clusters, stats, local) = futures::join!(
        client.admin.get_json::<Vec<String>>(&clusters_path),
        client.admin.get_json::<RawStats>(&stats_path),
        cluster_name(client)
    );
    let stats = stats?;
    let parts: Vec<&BTreeMap<String, RawReplicator>> = if stats.partitions.is_empty() {
        vec![&stats.replication]
    } else {
        stats.partitions.values().map(|p| &p.replication).collect()
    };
    Ok(ReplicationStatus { local_cluster: local.ok(), clusters: clusters.unwrap_or_default(), rows: rows_of(&parts) })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ClusterData {
    service_url: String,
    service_url_tls: String,
    broker_service_url: String,
    broker_service_url_tls: String,
}

/// `host:port` of a URL, `localhost` taken as `127.0.0.1`, for comparing endpoints.
fn endpoint(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host_port = rest.split(['/', ',']).next().unwrap_or("");
    host_port.replacen("localhost", "127.0.0.1", 1).to_ascii_lowercase()
}

/// Which of the clusters the admin API lists is the one this client talks to: the only one,
/// or the one whose registered service URL is this client's admin or broker URL.
pub async fn cluster_name(client: &Client) -> Result<String> {
    let clusters = client.admin.clusters().await?;
    if let [only] = clusters.as_slice() {
        return Ok(only.clone());
    }
    let admin = endpoint(client.admin.base_url());
    let broker = endpoint(&client.target.service_url);
    for c in &clusters {
        let path = format!("/admin/v2/clusters/{}", urlencoding::encode(c));
        let Ok(d) = client.admin.get_json::<ClusterData>(&path).await else { continue };
        let web = [&d.service_url, &d.service_url_tls].into_iter().any(|u| !u.is_empty() && endpoint(u) == admin);
        let bin = [&d.broker_service_url, &d.broker_service_url_tls]
            .into_iter()
            .any(|u| !u.is_empty() && endpoint(u) == broker);
        if web || bin {
            return Ok(c.clone());
        }
    }
    Err(ClientError::Invalid(format!(
        "cannot tell which of the clusters {} this one is (none is registered with {admin} or {broker})",
        clusters.join(", ")
    )))
}

#[cfg(test)]
mod tests;
