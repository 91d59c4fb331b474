//! The requests in flight. Ids only ever grow (across context switches too); of each
//! request only a small tag is kept, not the request (an export's lines, a requeue's
//! options): it routes a failure to what asked, and tells whether a requeue is running.

use std::collections::HashMap;

use crate::pulsar::dlq::DlqRequest;
use crate::pulsar::request::{ExplorerRequest, Request, RequestId, RequestKind, Response};

/// The kind of a request in flight, with only what its failure needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Tag {
    /// The explorer's request itself (names only: its failure marks the tree node that was
    /// loading).
    Explorer(ExplorerRequest),
    /// A page, follow, scan or export of the browser (it knows which by the id).
    Browse,
    Schema,
    Metrics,
    /// The DLQ view's requests; `requeue` while one moves messages.
    Dlq {
        requeue: bool,
    },
    Health,
    Txn,
    Replication,
    Policies,
    Produce,
    Cancel,
}

/// A request in flight: its tag and what it was about (for the status line).
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub tag: Tag,
    pub what: String,
}

impl Pending {
    pub fn of(kind: &RequestKind) -> Pending {
        let tag = match kind {
            RequestKind::Explorer(r) => Tag::Explorer(r.clone()),
            RequestKind::Browse(_) => Tag::Browse,
            RequestKind::Schema(_) => Tag::Schema,
            RequestKind::Metrics(_) => Tag::Metrics,
            RequestKind::Dlq(r) => Tag::Dlq { requeue: matches!(r, DlqRequest::Requeue { .. }) },
            RequestKind::Health(_) => Tag::Health,
            RequestKind::Txn(_) => Tag::Txn,
            RequestKind::Replication(_) => Tag::Replication,
            RequestKind::Policies(_) => Tag::Policies,
            RequestKind::Produce(_) => Tag::Produce,
            RequestKind::Cancel { .. } => Tag::Cancel,
        };
        Pending { tag, what: kind.describe() }
    }
}

/// Request ids and what is in flight.
#[derive(Debug, Default)]
pub struct Requests {
    next_id: u64,
    pending: HashMap<RequestId, Pending>,
}

impl Requests {
    /// A new request, remembered until its last answer.
    pub fn request(&mut self, kind: RequestKind) -> Request {
        let id = self.next_id();
        self.pending.insert(id, Pending::of(&kind));
        Request { id, kind }
    }

    /// Stops a request: its answers are dropped from now on.
    pub fn cancel(&mut self, id: RequestId) -> Request {
        self.pending.remove(&id);
        self.cancel_keep_pending(id)
    }

    /// Stops a stream but keeps listening for its last answer (a requeue's summary).
    pub fn cancel_keep_pending(&mut self, id: RequestId) -> Request {
        Request { id: self.next_id(), kind: RequestKind::Cancel { id } }
    }

    fn next_id(&mut self) -> RequestId {
        self.next_id += 1;
        RequestId(self.next_id)
    }

    /// The request an answer is for, if it is still awaited (a final answer ends it).
    pub fn answered(&mut self, r: &Response) -> Option<Pending> {
        if r.kind.is_final() {
            self.pending.remove(&r.id)
        } else {
            self.pending.get(&r.id).cloned()
        }
    }

    pub fn is_pending(&self, id: RequestId) -> bool {
        self.pending.contains_key(&id)
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// True while a requeue is moving messages.
    pub fn requeue_running(&self) -> bool {
        self.pending.values().any(|p| p.tag == Tag::Dlq { requeue: true })
    }

    /// After a context switch: nothing of the old context is awaited, ids keep counting.
    pub fn forget_all(&mut self) {
        self.pending.clear();
    }
}
