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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use futures::FutureExt;

    use super::*;

    fn receipt(slot: &Arc<Slot>, index: i32) -> Receipt {
        Receipt { slot: slot.clone(), index, partition: 3 }
    }

    #[test]
    fn every_message_of_an_entry_gets_its_own_id_from_the_one_receipt() {
        let slot = Arc::new(Slot::default());
        let (mut a, mut b) = (receipt(&slot, 0), receipt(&slot, 7));
        assert!((&mut a).now_or_never().is_none(), "nothing before the broker answers");
        slot.resolve(Ok(Stored { ledger: 5, entry: 9, batched: true }));
        let id = |batch| MessageId { ledger: 5, entry: 9, partition: 3, batch };
        assert_eq!(a.now_or_never(), Some(Ok(id(0))));
        assert_eq!((&mut b).now_or_never(), Some(Ok(id(7))));
        // the first answer stays
        slot.resolve(Err(SendError::Closed));
        assert_eq!(b.now_or_never(), Some(Ok(id(7))));
        let single = Arc::new(Slot::default());
        single.resolve(Ok(Stored { ledger: 1, entry: 2, batched: false }));
        assert_eq!(
            receipt(&single, 0).now_or_never(),
            Some(Ok(MessageId { ledger: 1, entry: 2, partition: 3, batch: -1 }))
        );
    }

    #[tokio::test]
    async fn a_failure_reaches_every_waiting_message() {
        let slot = Arc::new(Slot::default());
        let waiting: Vec<_> = (0..3).map(|i| tokio::spawn(receipt(&slot, i))).collect();
        tokio::task::yield_now().await;
        slot.resolve(Err(SendError::Lost("the broker closed the connection".into())));
        for w in waiting {
            assert_eq!(w.await.unwrap(), Err(SendError::Lost("the broker closed the connection".into())));
        }
    }
}
