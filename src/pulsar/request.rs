//! Work the UI asks of the worker ([`Request`]) and what comes back ([`Response`]).
//! Every response carries the id of its request, so the app can drop stale answers.

use super::error::ClientError;

// the groups' enums, where the app and the tests name them
pub use super::browse::{BrowseRequest, BrowseResponse, Browsed, PageFrom};
pub use super::explorer::{ExplorerRequest, ExplorerResponse};
pub use super::schemas::{SchemaRequest, SchemaResponse};
pub use super::scrape::{MetricsRequest, MetricsResponse};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub id: RequestId,
    pub kind: RequestKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RequestKind {
    /// The explorer's requests: the tree, the details pane, write actions (`pulsar/explorer.rs`).
    Explorer(super::explorer::ExplorerRequest),
    /// The browser's requests: pages, follow, filter scans, exports (`pulsar/browse.rs`).
    Browse(super::browse::BrowseRequest),
    /// The schema view's requests (`pulsar/schemas.rs`).
    Schema(super::schemas::SchemaRequest),
    /// The metrics scrape (`pulsar/scrape.rs`).
    Metrics(super::scrape::MetricsRequest),
    /// The DLQ view's requests (dead-letter topics, requeue preview and run).
    Dlq(super::dlq::DlqRequest),
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
    Cancel { id: RequestId },
}

impl RequestKind {
    /// A short description for status messages.
    pub fn describe(&self) -> String {
        match self {
            RequestKind::Explorer(r) => r.describe(),
            RequestKind::Browse(r) => r.describe(),
            RequestKind::Schema(r) => r.describe(),
            RequestKind::Metrics(r) => r.describe(),
            RequestKind::Dlq(r) => r.describe(),
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
    Explorer(super::explorer::ExplorerResponse),
    Browse(super::browse::BrowseResponse),
    Schema(super::schemas::SchemaResponse),
    Metrics(super::scrape::MetricsResponse),
    Dlq(super::dlq::DlqResponse),
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
            ResponseKind::Browse(r) => r.is_final(),
            ResponseKind::Dlq(r) => r.is_final(),
            _ => true,
        }
    }
}
