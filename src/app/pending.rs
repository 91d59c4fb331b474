//! What the app keeps of a request in flight: a small tag, not the request (an export's
//! lines, a requeue's options). It routes a failure to what asked, and tells whether a
//! requeue is running.

use crate::pulsar::request::RequestKind;
use crate::pulsar::TopicName;

/// The kind of a request in flight, with only what its failure needs (the tree node that
/// was loading).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tag {
    ClusterInfo,
    Tenants,
    TenantInfo,
    Namespaces { tenant: String },
    Topics { namespace: String },
    Subscriptions { topic: TopicName },
    TopicStats,
    ReadPage,
    Follow,
    ScrapeMetrics,
    Export,
    Schemas,
    Scan,
    Letters,
    PlanRequeue,
    Requeue,
    Action,
    Cancel,
}

/// A request in flight: its tag and what it was about (for the status line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub tag: Tag,
    pub what: String,
}

impl Pending {
    pub fn of(kind: &RequestKind) -> Pending {
        let tag = match kind {
            RequestKind::FetchClusterInfo => Tag::ClusterInfo,
            RequestKind::ListTenants => Tag::Tenants,
            RequestKind::FetchTenantInfo { .. } => Tag::TenantInfo,
            RequestKind::ListNamespaces { tenant } => Tag::Namespaces { tenant: tenant.clone() },
            RequestKind::ListTopics { namespace } => Tag::Topics { namespace: namespace.clone() },
            RequestKind::ListSubscriptions { topic } => Tag::Subscriptions { topic: topic.clone() },
            RequestKind::FetchTopicStats { .. } => Tag::TopicStats,
            RequestKind::ReadPage { .. } => Tag::ReadPage,
            RequestKind::Follow { .. } => Tag::Follow,
            RequestKind::ScrapeMetrics { .. } => Tag::ScrapeMetrics,
            RequestKind::WriteExport { .. } => Tag::Export,
            RequestKind::FetchSchemas { .. } => Tag::Schemas,
            RequestKind::Scan { .. } => Tag::Scan,
            RequestKind::ListLetters { .. } => Tag::Letters,
            RequestKind::PlanRequeue { .. } => Tag::PlanRequeue,
            RequestKind::Requeue { .. } => Tag::Requeue,
            RequestKind::RunAction { .. } => Tag::Action,
            RequestKind::Cancel { .. } => Tag::Cancel,
        };
        Pending { tag, what: kind.describe() }
    }
}
