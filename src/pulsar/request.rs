//! Work the UI asks of the worker ([`Request`]) and what comes back ([`Response`]).
//! Every response carries the id of its request, so the app can drop stale answers.

use super::admin::TopicEntry;
use super::error::ClientError;
use super::message::{Message, StartFrom};
use super::reader::Cursor;
use super::stats::{TenantInfo, TopicStats};
use super::topic::TopicName;
use crate::decode::Decoded;

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
    /// Up to `limit` messages from a start position or a saved cursor (fresh readers each time).
    ReadPage {
        topic: TopicName,
        from: PageFrom,
        limit: usize,
        /// "Decode as…" instead of the registry's schema.
        decode_as: Option<crate::decode::DecodeAs>,
    },
    /// New messages from a cursor on, streamed as `MessagesArrived` until cancelled.
    Follow {
        topic: TopicName,
        cursor: Cursor,
        decode_as: Option<crate::decode::DecodeAs>,
    },
    /// Scrape `/metrics` of every broker (or of the fixed list).
    ScrapeMetrics {
        brokers: Vec<String>,
    },
    /// Write JSON lines (an export) to a file, creating its directory.
    WriteExport {
        path: std::path::PathBuf,
        lines: Vec<String>,
    },
    /// Every schema version of a topic and its namespace's compatibility strategy.
    FetchSchemas {
        topic: TopicName,
    },
    /// Read from `from` to the end, keeping messages that match a CEL filter (streamed as
    /// `ScanProgressed`), at most `limit` matches.
    Scan {
        topic: TopicName,
        from: PageFrom,
        filter: String,
        limit: usize,
        decode_as: Option<crate::decode::DecodeAs>,
    },
    /// The DLQ view's requests (dead-letter topics, requeue preview and run).
    Dlq(super::dlq::DlqRequest),
    /// One of the explorer's write actions.
    RunAction {
        action: super::actions::WriteAction,
    },
    /// The health view's requests.
    Health(super::health::HealthRequest),
    /// The transactions view's requests.
    Txn(super::txn::TxnRequest),
    /// The replication view's requests (`pulsar/replication`).
    Replication(super::replication::ReplicationRequest),
    /// The policies section's requests (`pulsar/policies.rs`).
    Policies(super::policies::PoliciesRequest),
    /// The compose dialog's, re-send's and fix-and-requeue's requests (`pulsar/produce`).
    Produce(super::produce::ProduceRequest),
    /// Stop a running request (a follow); no response comes for it.
    Cancel {
        id: RequestId,
    },
}

/// Where a page read starts.
#[derive(Debug, Clone, PartialEq)]
pub enum PageFrom {
    Start(StartFrom),
    Cursor(Cursor),
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
            RequestKind::ReadPage { topic, .. } => format!("reading {topic}"),
            RequestKind::Follow { topic, .. } => format!("following {topic}"),
            RequestKind::ScrapeMetrics { .. } => "metrics scrape".into(),
            RequestKind::Scan { topic, .. } => format!("scanning {topic}"),
            RequestKind::FetchSchemas { topic } => format!("schemas of {topic}"),
            RequestKind::WriteExport { path, .. } => format!("export to {}", path.display()),
            RequestKind::Dlq(r) => r.describe(),
            RequestKind::RunAction { .. } => "action".into(),
            RequestKind::Health(r) => r.describe(),
            RequestKind::Txn(r) => r.describe(),
            RequestKind::Replication(r) => r.describe(),
            RequestKind::Policies(r) => r.describe(),
            RequestKind::Produce(r) => r.describe(),
            RequestKind::Cancel { .. } => "cancel".into(),
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
    ClusterInfoFetched {
        clusters: Vec<String>,
        version: String,
    },
    TenantsListed {
        tenants: Vec<String>,
    },
    TenantInfoFetched {
        tenant: String,
        info: TenantInfo,
    },
    NamespacesListed {
        tenant: String,
        namespaces: Vec<String>,
    },
    TopicsListed {
        namespace: String,
        topics: Vec<TopicEntry>,
    },
    SubscriptionsListed {
        topic: TopicName,
        subscriptions: Vec<String>,
    },
    TopicStatsFetched {
        topic: TopicName,
        stats: Box<TopicStats>,
    },
    PageRead {
        topic: TopicName,
        messages: Vec<Browsed>,
        next: Cursor,
        at_end: bool,
    },
    /// A batch of a follow (not the last response of its request).
    MessagesArrived {
        topic: TopicName,
        messages: Vec<Browsed>,
        next: Cursor,
    },
    MetricsScraped {
        snapshot: Box<crate::metrics::MetricsSnapshot>,
        at_ms: i64,
    },
    ExportWritten {
        path: std::path::PathBuf,
        count: usize,
    },
    SchemasFetched {
        topic: TopicName,
        versions: Vec<crate::decode::SchemaInfo>,
        compatibility: Option<String>,
    },
    /// Matches found since the last progress, and the totals so far; `done` ends the scan.
    ScanProgressed {
        matches: Vec<Browsed>,
        scanned: u64,
        decode_errors: u64,
        done: bool,
    },
    Dlq(super::dlq::DlqResponse),
    ActionDone {
        message: String,
    },
    Health(super::health::HealthResponse),
    Txn(super::txn::TxnResponse),
    Replication(super::replication::ReplicationResponse),
    Policies(super::policies::PoliciesResponse),
    Produce(super::produce::ProduceResponse),
    /// The request failed (the app knows which from its id).
    Failed {
        error: ClientError,
    },
}

impl ResponseKind {
    /// False for the responses of a stream that go on after this one.
    pub fn is_final(&self) -> bool {
        match self {
            ResponseKind::MessagesArrived { .. } | ResponseKind::ScanProgressed { done: false, .. } => false,
            ResponseKind::Dlq(r) => r.is_final(),
            _ => true,
        }
    }
}

/// A message with its decoded value, as the browser shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Browsed {
    pub message: Message,
    pub decoded: Decoded,
}
