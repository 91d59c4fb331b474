//! The explorer's request group (ARCHITECTURE.md, "Adding a request group"): the cluster's
//! tree (tenants, namespaces, topics, subscriptions), the details pane's stats, and the
//! explorer's write actions.

use super::actions::WriteAction;
use super::admin::TopicEntry;
use super::error::Result;
use super::stats::{TenantInfo, TopicStats};
use super::topic::TopicName;
use super::Client;

#[derive(Debug, Clone, PartialEq)]
pub enum ExplorerRequest {
    /// Cluster names and broker version: also the connectivity probe.
    FetchClusterInfo,
    ListTenants,
    FetchTenantInfo {
        tenant: String,
    },
    ListNamespaces {
        tenant: String,
    },
    ListTopics {
        namespace: String,
    },
    ListSubscriptions {
        topic: TopicName,
    },
    FetchTopicStats {
        topic: TopicName,
        partitions: u32,
    },
    /// One of the explorer's write actions (refused in read-only mode by the client).
    RunAction {
        action: WriteAction,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExplorerResponse {
    ClusterInfoFetched { clusters: Vec<String>, version: String },
    TenantsListed { tenants: Vec<String> },
    TenantInfoFetched { tenant: String, info: TenantInfo },
    NamespacesListed { tenant: String, namespaces: Vec<String> },
    TopicsListed { namespace: String, topics: Vec<TopicEntry> },
    SubscriptionsListed { topic: TopicName, subscriptions: Vec<String> },
    TopicStatsFetched { topic: TopicName, stats: Box<TopicStats> },
    ActionDone { message: String },
}

impl ExplorerRequest {
    /// A short description for status messages.
    pub fn describe(&self) -> String {
        match self {
            ExplorerRequest::FetchClusterInfo => "cluster info".into(),
            ExplorerRequest::ListTenants => "tenants".into(),
            ExplorerRequest::FetchTenantInfo { tenant } => format!("tenant {tenant}"),
            ExplorerRequest::ListNamespaces { tenant } => format!("namespaces of {tenant}"),
            ExplorerRequest::ListTopics { namespace } => format!("topics of {namespace}"),
            ExplorerRequest::ListSubscriptions { topic } => format!("subscriptions of {topic}"),
            ExplorerRequest::FetchTopicStats { topic, .. } => format!("stats of {topic}"),
            ExplorerRequest::RunAction { .. } => "action".into(),
        }
    }
}

pub async fn execute(client: &Client, r: &ExplorerRequest) -> Result<ExplorerResponse> {
    let admin = &client.admin;
    match r {
        ExplorerRequest::FetchClusterInfo => {
            let (clusters, version) = futures::join!(admin.clusters(), admin.broker_version());
            let (mut clusters, version) = (clusters?, version?);
            // with geo-replication the other clusters are registered too: this one first
            // (the header names the first)
            if clusters.len() > 1 {
                if let Ok(here) = super::replication::cluster_name(client).await {
                    clusters.sort_by_key(|c| *c != here);
                }
            }
            Ok(ExplorerResponse::ClusterInfoFetched { clusters, version })
        }
        ExplorerRequest::ListTenants => {
            let mut tenants = admin.tenants().await?;
            tenants.sort();
            Ok(ExplorerResponse::TenantsListed { tenants })
        }
        ExplorerRequest::FetchTenantInfo { tenant } => {
            let info = admin.tenant_info(tenant).await?;
            Ok(ExplorerResponse::TenantInfoFetched { tenant: tenant.clone(), info })
        }
        ExplorerRequest::ListNamespaces { tenant } => {
            let mut namespaces = admin.namespaces(tenant).await?;
            namespaces.sort();
            Ok(ExplorerResponse::NamespacesListed { tenant: tenant.clone(), namespaces })
        }
        ExplorerRequest::ListTopics { namespace } => {
            let topics = admin.topics(namespace).await?;
            Ok(ExplorerResponse::TopicsListed { namespace: namespace.clone(), topics })
        }
        ExplorerRequest::ListSubscriptions { topic } => {
            let subscriptions = admin.subscriptions(topic).await?;
            Ok(ExplorerResponse::SubscriptionsListed { topic: topic.clone(), subscriptions })
        }
        ExplorerRequest::FetchTopicStats { topic, partitions } => {
            let stats = admin.topic_stats(topic, *partitions).await?;
            Ok(ExplorerResponse::TopicStatsFetched { topic: topic.clone(), stats: Box::new(stats) })
        }
        ExplorerRequest::RunAction { action } => {
            action.run(client).await.map(|message| ExplorerResponse::ActionDone { message })
        }
    }
}
