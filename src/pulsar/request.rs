//! Work the UI asks of the worker ([`Request`]) and what comes back ([`Response`]).
//! Every response carries the id of its request, so the app can drop stale answers.

use super::admin::TopicEntry;
use super::error::ClientError;
use super::stats::{TenantInfo, TopicStats};
use super::topic::TopicName;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub id: RequestId,
    pub kind: RequestKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RequestKind {
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
}

impl RequestKind {
    /// A short description for status messages.
    pub fn describe(&self) -> String {
        match self {
            RequestKind::FetchClusterInfo => "cluster info".into(),
            RequestKind::ListTenants => "tenants".into(),
            RequestKind::FetchTenantInfo { tenant } => format!("tenant {tenant}"),
            RequestKind::ListNamespaces { tenant } => format!("namespaces of {tenant}"),
            RequestKind::ListTopics { namespace } => format!("topics of {namespace}"),
            RequestKind::ListSubscriptions { topic } => format!("subscriptions of {topic}"),
            RequestKind::FetchTopicStats { topic, .. } => format!("stats of {topic}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub id: RequestId,
    pub kind: ResponseKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ResponseKind {
    ClusterInfoFetched { clusters: Vec<String>, version: String },
    TenantsListed { tenants: Vec<String> },
    TenantInfoFetched { tenant: String, info: TenantInfo },
    NamespacesListed { tenant: String, namespaces: Vec<String> },
    TopicsListed { namespace: String, topics: Vec<TopicEntry> },
    SubscriptionsListed { topic: TopicName, subscriptions: Vec<String> },
    TopicStatsFetched { topic: TopicName, stats: Box<TopicStats> },
    Failed { request: RequestKind, error: ClientError },
}
