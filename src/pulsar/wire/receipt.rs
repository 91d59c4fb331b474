//! One message's receipt from our producer ([`super::pipeline`]): every message of an entry
//! waits on the entry's [`Slot`], filled once from its SEND_RECEIPT (or with why not).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use super::batch::BatchError;
use crate::pulsar::message::MessageId;

/// Why a message has no receipt. Cloned to every message it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("the broker refused the message: {0}")]
    Refused(String),
    #[error("not confirmed: {0}")]
    Lost(String),
    #[error("the producer is closed")]
    Closed,
    #[error(transparent)]
    Batch(#[from] BatchError),
}

/// Where a receipted entry is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stored {
    pub ledger: u64,
    pub entry: u64,
    /// The entry is a batch (its messages have batch indexes).
    pub batched: bool,
}

/// The receipt every message of one entry waits on.
#[derive(Default)]
pub(super) struct Slot(pub(super) Mutex<SlotState>);

#[derive(Default)]
pub(super) struct SlotState {
    done: Option<std::result::Result<Stored, SendError>>,
    wakers: Vec<Waker>,
}

impl Slot {
    pub(super) fn resolve(&self, r: std::result::Result<Stored, SendError>) {
        let wakers = {
            let mut s = lock(&self.0);
            if s.done.is_some() {
                return;
            }
            s.done = Some(r);
            std::mem::take(&mut s.wakers)
        };
        wakers.into_iter().for_each(Waker::wake);
    }
}

/// One message's receipt: resolves to its id (batch index included) once the broker stored
/// its entry, or to why it was not.
pub struct Receipt {
    pub(super) slot: std::sync::Arc<Slot>,
    pub(super) index: i32,
    pub(super) partition: i32,
}

impl Future for Receipt {
    type Output = std::result::Result<MessageId, SendError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = lock(&self.slot.0);
        match &s.done {
            Some(Ok(at)) => Poll::Ready(Ok(MessageId {
                ledger: at.ledger as i64,
                entry: at.entry as i64,
                partition: self.partition,
                batch: if at.batched { self.index } else { -1 },
            })),
            Some(Err(e)) => Poll::Ready(Err(e.clone())),
            None => {
                if !s.wakers.iter().any(|w| w.will_wake(cx.waker())) {
                    s.wakers.push(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // nothing panics while holding these locks; a poisoned one still holds consistent data
    m.lock().unwrap_or_else(|p| p.into_inner())
}
