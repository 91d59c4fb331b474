//! Runs [`Request`]s on tokio with the shared [`Client`] and sends back [`Response`]s.

use std::collections::HashMap;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;

use super::request::{Request, RequestId, RequestKind, Response, ResponseKind};
use super::Client;

/// Executes one request. Also used by the headless subcommands, so that they show
/// exactly what the TUI shows.
pub async fn execute(client: &Client, kind: RequestKind) -> ResponseKind {
    let admin = &client.admin;
    let result = match &kind {
        RequestKind::FetchClusterInfo => {
            let (clusters, version) = futures::join!(admin.clusters(), admin.broker_version());
            clusters.and_then(|clusters| Ok(ResponseKind::ClusterInfoFetched { clusters, version: version? }))
        }
        RequestKind::ListTenants => admin.tenants().await.map(|mut tenants| {
            tenants.sort();
            ResponseKind::TenantsListed { tenants }
        }),
        RequestKind::FetchTenantInfo { tenant } => {
            admin.tenant_info(tenant).await.map(|info| ResponseKind::TenantInfoFetched { tenant: tenant.clone(), info })
        }
        RequestKind::ListNamespaces { tenant } => admin.namespaces(tenant).await.map(|mut namespaces| {
            namespaces.sort();
            ResponseKind::NamespacesListed { tenant: tenant.clone(), namespaces }
        }),
        RequestKind::ListTopics { namespace } => admin
            .topics(namespace)
            .await
            .map(|topics| ResponseKind::TopicsListed { namespace: namespace.clone(), topics }),
        RequestKind::ListSubscriptions { topic } => admin
            .subscriptions(topic)
            .await
            .map(|subscriptions| ResponseKind::SubscriptionsListed { topic: topic.clone(), subscriptions }),
        RequestKind::FetchTopicStats { topic, partitions } => admin
            .topic_stats(topic, *partitions)
            .await
            .map(|stats| ResponseKind::TopicStatsFetched { topic: topic.clone(), stats: Box::new(stats) }),
    };
    result.unwrap_or_else(|error| ResponseKind::Failed { request: kind, error })
}

/// The UI's handle on the worker: submit and cancel. Owned by the UI task alone.
pub struct Worker {
    client: Client,
    tx: UnboundedSender<Response>,
    running: HashMap<RequestId, AbortHandle>,
}

impl Worker {
    pub fn new(client: Client, tx: UnboundedSender<Response>) -> Worker {
        Worker { client, tx, running: HashMap::new() }
    }

    pub fn submit(&mut self, req: Request) {
        self.running.retain(|_, h| !h.is_finished());
        let client = self.client.clone();
        let tx = self.tx.clone();
        let handle = tokio::spawn(async move {
            let kind = execute(&client, req.kind).await;
            // the UI may have quit; nothing to do then
            let _ = tx.send(Response { id: req.id, kind });
        });
        self.running.insert(req.id, handle.abort_handle());
    }

    /// Aborts a request still running (its response never comes).
    pub fn cancel(&mut self, id: RequestId) {
        if let Some(h) = self.running.remove(&id) {
            h.abort();
        }
    }

    pub fn in_flight(&self) -> usize {
        self.running.values().filter(|h| !h.is_finished()).count()
    }
}
