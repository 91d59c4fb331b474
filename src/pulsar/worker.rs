//! Runs [`Request`]s on tokio with the shared [`Client`] and sends back [`Response`]s.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;

use super::dlq::{DlqRequest, DlqResponse};
use super::message::Message;
use super::reader::TopicReader;
use super::request::{Browsed, PageFrom, Request, RequestId, RequestKind, Response, ResponseKind};
use super::schemas::MessageDecoder;
use super::Client;

/// How many followed messages go into one response at most.
const FOLLOW_BATCH: usize = 256;

async fn browsed(client: &Client, decoder: &mut MessageDecoder, m: Message) -> Browsed {
    let decoded = decoder.decode(client, &m).await;
    Browsed { message: m, decoded }
}

async fn read_page(client: &Client, kind: &RequestKind) -> super::Result<ResponseKind> {
    let RequestKind::ReadPage { topic, from, limit, decode_as } = kind else {
        unreachable!("read_page takes ReadPage")
    };
    let mut decoder = MessageDecoder::new(topic).forcing(decode_as.as_ref()).map_err(super::ClientError::Invalid)?;
    let mut reader = match from {
        PageFrom::Start(s) => TopicReader::open(client, topic, s, false).await?,
        PageFrom::Cursor(c) => TopicReader::open_at(client, topic, c, false).await?,
    };
    let mut messages = Vec::with_capacity((*limit).min(4096));
    let mut at_end = true;
    while messages.len() < *limit {
        match reader.next().await? {
            Some(m) => messages.push(browsed(client, &mut decoder, m).await),
            None => break,
        }
        if messages.len() == *limit {
            at_end = false;
        }
    }
    Ok(ResponseKind::PageRead { topic: topic.clone(), messages, next: reader.cursor(), at_end })
}

async fn write_export(path: &std::path::Path, lines: &[String]) -> super::Result<ResponseKind> {
    let io = |e: std::io::Error| super::ClientError::Invalid(format!("cannot write {}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(io)?;
    }
    let mut text = lines.join("\n");
    text.push('\n');
    tokio::fs::write(path, text).await.map_err(io)?;
    Ok(ResponseKind::ExportWritten { path: path.to_path_buf(), count: lines.len() })
}

/// Scans a topic with a filter, sending progress about every 200 ms.
async fn scan(client: Client, id: RequestId, kind: RequestKind, tx: UnboundedSender<Response>) {
    let RequestKind::Scan { topic, from, filter, limit, decode_as } = &kind else { unreachable!("scan takes Scan") };
    let fail = |error: super::ClientError| {
        let _ = tx.send(Response { id, kind: ResponseKind::Failed { error } });
    };
    let filter = match crate::filter::Filter::compile(filter) {
        Ok(f) => f,
        Err(e) => return fail(super::ClientError::Invalid(format!("filter: {e}"))),
    };
    let mut decoder = match MessageDecoder::new(topic).forcing(decode_as.as_ref()) {
        Ok(d) => d,
        Err(e) => return fail(super::ClientError::Invalid(e)),
    };
    let opened = match from {
        PageFrom::Start(s) => TopicReader::open(&client, topic, s, false).await,
        PageFrom::Cursor(c) => TopicReader::open_at(&client, topic, c, false).await,
    };
    let mut reader = match opened {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let (mut scanned, mut errors, mut found) = (0u64, 0u64, 0usize);
    let mut batch = Vec::new();
    let mut last = std::time::Instant::now();
    loop {
        let m = match reader.next().await {
            Ok(Some(m)) => m,
            Ok(None) => break,
            Err(e) => return fail(e),
        };
        scanned += 1;
        let b = browsed(&client, &mut decoder, m).await;
        if b.decoded.error.is_some() {
            errors += 1;
        }
        // an expression that fails on a message (e.g. a type mismatch) does not match it
        if crate::envelope::filter_matches(&filter, &b.message, &b.decoded).unwrap_or(false) {
            batch.push(b);
            found += 1;
        }
        if last.elapsed() >= std::time::Duration::from_millis(200) {
            let r = ResponseKind::ScanProgressed {
                matches: std::mem::take(&mut batch),
                scanned,
                decode_errors: errors,
                done: false,
            };
            if tx.send(Response { id, kind: r }).is_err() {
                return;
            }
            last = std::time::Instant::now();
        }
        if found >= *limit {
            break;
        }
    }
    let _ = tx.send(Response {
        id,
        kind: ResponseKind::ScanProgressed { matches: batch, scanned, decode_errors: errors, done: true },
    });
}

/// Streams new messages until the task is aborted (or the channel closes).
async fn follow(client: Client, id: RequestId, kind: RequestKind, tx: UnboundedSender<Response>) {
    let RequestKind::Follow { topic, cursor, decode_as } = &kind else { unreachable!("follow takes Follow") };
    let mut decoder = match MessageDecoder::new(topic).forcing(decode_as.as_ref()) {
        Ok(d) => d,
        Err(e) => {
            let error = super::ClientError::Invalid(e);
            let _ = tx.send(Response { id, kind: ResponseKind::Failed { error } });
            return;
        }
    };
    let mut reader = match TopicReader::open_at(&client, topic, cursor, true).await {
        Ok(r) => r,
        Err(error) => {
            let _ = tx.send(Response { id, kind: ResponseKind::Failed { error } });
            return;
        }
    };
    loop {
        let first = match reader.next().await {
            Ok(Some(m)) => m,
            Ok(None) => continue,
            Err(error) => {
                let _ = tx.send(Response { id, kind: ResponseKind::Failed { error } });
                return;
            }
        };
        let mut messages = vec![browsed(&client, &mut decoder, first).await];
        // take whatever else is already there, without waiting
        while messages.len() < FOLLOW_BATCH {
            match tokio::time::timeout(std::time::Duration::from_millis(5), reader.next()).await {
                Ok(Ok(Some(m))) => messages.push(browsed(&client, &mut decoder, m).await),
                _ => break,
            }
        }
        let r = ResponseKind::MessagesArrived { topic: topic.clone(), messages, next: reader.cursor() };
        if tx.send(Response { id, kind: r }).is_err() {
            return;
        }
    }
}

/// A requeue with progress every 100 ms; `cancel` stops it cleanly (see Worker::cancel).
async fn requeue(
    client: Client,
    id: RequestId,
    options: Box<super::dlq::RequeueOptions>,
    cancel: Arc<AtomicBool>,
    tx: UnboundedSender<Response>,
) {
    let progress_tx = tx.clone();
    let result = super::requeue::requeue(&client, &options, cancel, |p| {
        let kind = ResponseKind::Dlq(DlqResponse::RequeueProgressed { progress: p.clone() });
        let _ = progress_tx.send(Response { id, kind });
    })
    .await;
    let kind = match result {
        Ok(summary) => ResponseKind::Dlq(DlqResponse::RequeueFinished { summary: Box::new(summary) }),
        Err(error) => ResponseKind::Failed { error },
    };
    let _ = tx.send(Response { id, kind });
}

/// Executes one request. Also used by the headless subcommands, so that they show
/// exactly what the TUI shows.
pub async fn execute(client: &Client, kind: RequestKind) -> ResponseKind {
    let admin = &client.admin;
    let result = match &kind {
        RequestKind::FetchClusterInfo => {
            let (clusters, version) = futures::join!(admin.clusters(), admin.broker_version());
            match (clusters, version) {
                (Ok(mut clusters), Ok(version)) => {
                    // with geo-replication the other clusters are registered too: this one
                    // first (the header names the first)
                    if clusters.len() > 1 {
                        if let Ok(here) = super::replication::cluster_name(client).await {
                            clusters.sort_by_key(|c| *c != here);
                        }
                    }
                    Ok(ResponseKind::ClusterInfoFetched { clusters, version })
                }
                (Err(e), _) | (_, Err(e)) => Err(e),
            }
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
        RequestKind::ReadPage { .. } => read_page(client, &kind).await,
        RequestKind::WriteExport { path, lines } => write_export(path, lines).await,
        RequestKind::FetchSchemas { topic } => {
            let (versions, compat) =
                futures::join!(client.schema_versions(topic), client.compatibility_strategy(topic));
            versions.map(|versions| ResponseKind::SchemasFetched {
                topic: topic.clone(),
                versions,
                compatibility: compat.ok(),
            })
        }
        RequestKind::ScrapeMetrics { brokers } => super::scrape::scrape(client, brokers).await.map(|s| {
            ResponseKind::MetricsScraped { snapshot: Box::new(s), at_ms: chrono::Utc::now().timestamp_millis() }
        }),
        RequestKind::Dlq(r) => super::dlq::execute(client, r).await.map(ResponseKind::Dlq),
        RequestKind::RunAction { action } => {
            action.run(client).await.map(|message| ResponseKind::ActionDone { message })
        }
        RequestKind::Health(r) => super::health::execute(client, r).await.map(ResponseKind::Health),
        RequestKind::Txn(r) => super::txn::execute(client, r).await.map(ResponseKind::Txn),
        RequestKind::Replication(r) => super::replication::execute(client, r).await.map(ResponseKind::Replication),
        RequestKind::Policies(r) => super::policies::execute(client, r).await.map(ResponseKind::Policies),
        RequestKind::Produce(r) => super::produce::execute(client, r.clone()).await.map(ResponseKind::Produce),
        RequestKind::Follow { .. } | RequestKind::Scan { .. } | RequestKind::Cancel { .. } => Err(
            super::ClientError::Invalid(format!("{} answers as a stream: run it with Worker::submit", kind.describe())),
        ),
    };
    result.unwrap_or_else(|error| ResponseKind::Failed { error })
}

/// The UI's handle on the worker: submit and cancel. Owned by the UI task alone.
pub struct Worker {
    client: Client,
    tx: UnboundedSender<Response>,
    running: HashMap<RequestId, AbortHandle>,
    /// Requests stopped by a flag rather than aborted (a requeue finishes its sends in flight).
    stop_flags: HashMap<RequestId, Arc<AtomicBool>>,
}

impl Worker {
    pub fn new(client: Client, tx: UnboundedSender<Response>) -> Worker {
        Worker { client, tx, running: HashMap::new(), stop_flags: HashMap::new() }
    }

    pub fn submit(&mut self, req: Request) {
        self.running.retain(|_, h| !h.is_finished());
        let running = &self.running;
        self.stop_flags.retain(|id, _| running.contains_key(id));
        let client = self.client.clone();
        let tx = self.tx.clone();
        let handle = match req.kind {
            RequestKind::Cancel { id } => {
                self.cancel(id);
                return;
            }
            RequestKind::Follow { .. } => tokio::spawn(follow(client, req.id, req.kind, tx)),
            RequestKind::Scan { .. } => tokio::spawn(scan(client, req.id, req.kind, tx)),
            RequestKind::Dlq(DlqRequest::Requeue { options }) => {
                let flag = Arc::new(AtomicBool::new(false));
                self.stop_flags.insert(req.id, flag.clone());
                tokio::spawn(requeue(client, req.id, options, flag, tx))
            }
            kind => tokio::spawn(async move {
                let kind = execute(&client, kind).await;
                // the UI may have quit; nothing to do then
                let _ = tx.send(Response { id: req.id, kind });
            }),
        };
        self.running.insert(req.id, handle.abort_handle());
    }

    /// Aborts a request still running (its response never comes).
    pub fn cancel(&mut self, id: RequestId) {
        if let Some(flag) = self.stop_flags.remove(&id) {
            // never abort a requeue mid-send: it stops after the sends in flight
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
            return;
        }
        if let Some(h) = self.running.remove(&id) {
            h.abort();
        }
    }

    /// Another cluster from now on: every task of the old client is aborted, except a
    /// running requeue, which is never cut short (it finishes its sends; the app refuses
    /// to switch while one runs, so this is a safety net). Returns how many were aborted.
    pub fn switch(&mut self, client: Client) -> usize {
        let flags = &self.stop_flags;
        let mut aborted = 0;
        self.running.retain(|id, h| {
            if flags.contains_key(id) {
                return true;
            }
            if !h.is_finished() {
                aborted += 1;
            }
            h.abort();
            false
        });
        self.client = client;
        aborted
    }

    pub fn in_flight(&self) -> usize {
        self.running.values().filter(|h| !h.is_finished()).count()
    }
}
