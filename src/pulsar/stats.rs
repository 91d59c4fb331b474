//! The admin API's stats JSON, as far as the UI uses it. The broker sends many more
//! fields; unknown ones are ignored and missing ones default, so a newer or older
//! broker never breaks deserialisation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TopicStats {
    pub msg_rate_in: f64,
    pub msg_rate_out: f64,
    pub msg_throughput_in: f64,
    pub msg_throughput_out: f64,
    pub msg_in_counter: i64,
    pub msg_out_counter: i64,
    pub average_msg_size: f64,
    pub storage_size: i64,
    pub backlog_size: i64,
    pub offloaded_storage_size: i64,
    pub bytes_in_counter: i64,
    pub publishers: Vec<PublisherStats>,
    pub subscriptions: BTreeMap<String, SubscriptionStats>,
    pub replication: BTreeMap<String, ReplicatorStats>,
    /// Only in `partitioned-stats`: `{"partitions": N}`.
    pub metadata: Option<PartitionedMetadata>,
    /// Only in `partitioned-stats?perPartition=true`.
    pub partitions: BTreeMap<String, TopicStats>,
    /// Transactions (the transaction buffer's counters; 0 without transactions).
    pub ongoing_txn_count: i64,
    pub committed_txn_count: i64,
    pub aborted_txn_count: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PublisherStats {
    pub producer_name: String,
    pub msg_rate_in: f64,
    pub msg_throughput_in: f64,
    pub address: String,
    pub client_version: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SubscriptionStats {
    #[serde(rename = "type")]
    pub sub_type: String,
    pub msg_rate_out: f64,
    pub msg_throughput_out: f64,
    pub msg_rate_redeliver: f64,
    pub msg_backlog: i64,
    pub msg_backlog_no_delayed: i64,
    pub msg_delayed: i64,
    pub unacked_messages: i64,
    pub blocked_subscription_on_unacked_msgs: bool,
    pub is_durable: bool,
    pub consumers: Vec<ConsumerStats>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConsumerStats {
    pub consumer_name: String,
    pub msg_rate_out: f64,
    pub unacked_messages: i64,
    pub available_permits: i64,
    pub address: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ReplicatorStats {
    pub msg_rate_in: f64,
    pub msg_rate_out: f64,
    pub msg_throughput_in: f64,
    pub msg_throughput_out: f64,
    pub replication_backlog: i64,
    pub connected: bool,
    pub replication_delay_in_seconds: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PartitionedMetadata {
    pub partitions: u32,
}

/// `GET /admin/v2/tenants/{tenant}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TenantInfo {
    pub admin_roles: Vec<String>,
    pub allowed_clusters: Vec<String>,
}

impl TopicStats {
    /// Total backlog (messages) over every subscription.
    pub fn total_backlog(&self) -> i64 {
        self.subscriptions.values().map(|s| s.msg_backlog).sum()
    }
    pub fn consumer_count(&self) -> usize {
        self.subscriptions.values().map(|s| s.consumers.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerates_unknown_and_missing_fields() {
        let json = r#"{"msgRateIn": 1.5, "storageSize": 42, "someNewField": {"x": 1},
            "subscriptions": {"s": {"type": "Shared", "msgBacklog": 7, "consumers": [{"consumerName": "c"}]}}}"#;
        let s: TopicStats = serde_json::from_str(json).unwrap();
        assert_eq!(s.msg_rate_in, 1.5);
        assert_eq!(s.storage_size, 42);
        assert_eq!(s.total_backlog(), 7);
        assert_eq!(s.consumer_count(), 1);
        assert_eq!(s.subscriptions["s"].sub_type, "Shared");
    }
}
