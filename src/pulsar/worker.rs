//! Runs [`Request`]s on tokio with the shared [`Client`] and sends back [`Response`]s.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;

use super::dlq::{DlqRequest, DlqResponse};
use super::request::{Request, RequestId, RequestKind, Response, ResponseKind};
use super::Client;

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
    let result = match &kind {
        RequestKind::Explorer(r) => super::explorer::execute(client, r).await.map(ResponseKind::Explorer),
        RequestKind::Browse(r) => super::browse::execute(client, r).await.map(ResponseKind::Browse),
        RequestKind::Schema(r) => super::schemas::execute(client, r).await.map(ResponseKind::Schema),
        RequestKind::Metrics(r) => super::scrape::execute(client, r).await.map(ResponseKind::Metrics),
        RequestKind::Dlq(r) => super::dlq::execute(client, r).await.map(ResponseKind::Dlq),
        RequestKind::Health(r) => super::health::execute(client, r).await.map(ResponseKind::Health),
        RequestKind::Txn(r) => super::txn::execute(client, r).await.map(ResponseKind::Txn),
        RequestKind::Replication(r) => super::replication::execute(client, r).await.map(ResponseKind::Replication),
        RequestKind::Policies(r) => super::policies::execute(client, r).await.map(ResponseKind::Policies),
        RequestKind::Produce(r) => super::produce::execute(client, r.clone()).await.map(ResponseKind::Produce),
        RequestKind::Cancel { .. } => Err(super::ClientError::Invalid(format!(
            "{} is not a request of its own: run it with Worker::submit",
            kind.describe()
        ))),
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
            RequestKind::Browse(r) if r.streams() => {
                let id = req.id;
                let answer = move |r: super::error::Result<super::browse::BrowseResponse>| {
                    let kind = match r {
                        Ok(r) => ResponseKind::Browse(r),
                        Err(error) => ResponseKind::Failed { error },
                    };
                    tx.send(Response { id, kind }).is_ok()
                };
                tokio::spawn(super::browse::stream(client, r, answer))
            }
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
