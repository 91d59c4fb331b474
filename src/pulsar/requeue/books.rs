//! The copies in flight and what happens when the broker confirms them: the journal first,
//! then the DLQ entries they settle, then the acknowledgements.

use std::collections::VecDeque;

use futures::FutureExt;

use super::super::error::{ClientError, Result};
use super::super::message::format_time;
use super::super::settle::{Ack, Pos};
use super::super::wire::Published;
use super::{DlqConsumer, Part};
use crate::dlq::journal::{Journal, JournalEntry};
use crate::pulsar::dlq::RequeueSummary;

/// Sends in flight at once: enough batches to keep the broker's storage busy...
pub(super) const WINDOW: usize = 20_000;
/// ...and at most this many payload bytes, whatever the message size.
pub(super) const WINDOW_BYTES: usize = 32 << 20;

/// A copy sent and not yet confirmed.
pub(super) struct InFlight {
    pub part: usize,
    pub size: usize,
    pub topic: String,
    /// The DLQ entries the message covers.
    pub covers: Vec<Pos>,
    pub id: String,
    pub target: String,
    /// The copy's receipt (our own producer's: `wire::Receipt`).
    pub send: super::super::wire::Receipt,
}

/// What a run keeps track of besides its consumers: the copies in flight (and their payload
/// bytes), the journal, the counts.
pub(super) struct Books {
    pub inflight: VecDeque<InFlight>,
    pub bytes: usize,
    pub journal: Journal,
    pub summary: RequeueSummary,
}

/// Takes the sends that completed (all of them with `wait`, else only those already
/// confirmed, but at least the oldest when the window is full), journals the confirmed ones,
/// settles their DLQ entries, then acknowledges the entries that are wholly settled. A
/// failed send settles its message as staying.
pub(super) async fn settle(
    wait: bool,
    books: &mut Books,
    consumers: &mut [DlqConsumer],
    parts: &mut [Part],
) -> Result<()> {
    let Books { inflight, bytes, journal, summary } = books;
    let mut done = Vec::new();
    let mut must = wait;
    while let Some(front) = inflight.front_mut() {
        let r = if must {
            (&mut front.send).await
        } else {
            match (&mut front.send).now_or_never() {
                Some(r) => r,
                None => break,
            }
        };
        must = wait;
        let f = inflight.pop_front().expect("front exists");
        *bytes -= f.size;
        done.push((f, r));
        if wait && done.len() >= WINDOW {
            break;
        }
    }
    if done.is_empty() {
        return Ok(());
    }
    let now = format_time(chrono::Utc::now().timestamp_millis());
    let entries: Vec<JournalEntry> = done
        .iter()
        .filter_map(|(f, r)| {
            let receipt = r.as_ref().ok()?;
            Some(JournalEntry {
                dlq: f.topic.clone(),
                message_id: f.id.clone(),
                target: f.target.clone(),
                target_message_id: Some(receipt.to_string()),
                at: now.clone(),
            })
        })
        .collect();
    append(journal, &entries)?;
    // the copies are confirmed and journaled: now their entries may be settled
    let mut touched = Vec::new();
    for (f, r) in done {
        let outcome = r.map(|_| ()).map_err(|e| format!("publish to {}: {e}", f.target));
        record(summary, parts, f.part, &f.covers, f.id, f.target, outcome);
        if !touched.contains(&f.part) {
            touched.push(f.part);
        }
    }
    for i in touched {
        acknowledge(consumers, parts, i).await;
    }
    Ok(())
}

/// Writes confirmed copies to the journal; a journal that cannot be written stops the run
/// (nothing of theirs is acknowledged yet).
fn append(journal: &mut Journal, entries: &[JournalEntry]) -> Result<()> {
    journal.append(entries).map_err(|e| {
        ClientError::Invalid(format!(
            "cannot write the journal {}: {e} (stopped; nothing was lost)",
            journal.path().display()
        ))
    })
}

/// A copy published whole by our own producer (a message over the broker's
/// `maxMessageSize`, as chunks): confirmed when it returns.
pub(super) struct Whole {
    pub part: usize,
    pub topic: String,
    pub covers: Vec<Pos>,
    pub id: String,
    pub target: String,
}

/// [`settle`] for a copy published whole: journaled when the broker confirmed every chunk,
/// then its DLQ entries are settled (the caller acknowledges).
pub(super) fn settle_whole(
    published: Result<Published>,
    w: Whole,
    books: &mut Books,
    parts: &mut [Part],
) -> Result<()> {
    match published {
        Ok(p) => {
            let entry = JournalEntry {
                dlq: w.topic,
                message_id: w.id.clone(),
                target: w.target.clone(),
                target_message_id: Some(p.describe()),
                at: format_time(chrono::Utc::now().timestamp_millis()),
            };
            append(&mut books.journal, &[entry])?;
            record(&mut books.summary, parts, w.part, &w.covers, w.id, w.target, Ok(()));
        }
        Err(e) => {
            let reason = format!("publish to {} (as chunks): {e}", w.target);
            record(&mut books.summary, parts, w.part, &w.covers, w.id, w.target, Err(reason));
        }
    }
    Ok(())
}

/// Counts a copy the broker confirmed (moved: its DLQ entries may be acknowledged) or
/// refused (failed: its entries stay, with the reason).
fn record(
    summary: &mut RequeueSummary,
    parts: &mut [Part],
    part: usize,
    covers: &[Pos],
    id: String,
    target: String,
    outcome: std::result::Result<(), String>,
) {
    parts[part].acks.settled(covers, outcome.is_ok());
    match outcome {
        Ok(()) => {
            summary.progress.moved += 1;
            *summary.targets.entry(target).or_default() += 1;
        }
        Err(reason) => {
            summary.progress.failed += 1;
            summary.failures.push((id, reason));
        }
    }
}

/// Acknowledges what partition `i` has wholly settled. A failed acknowledgement loses
/// nothing: the entry is delivered again, and the journal skips what was moved.
pub(super) async fn acknowledge(consumers: &mut [DlqConsumer], parts: &mut [Part], i: usize) {
    let p = &mut parts[i];
    let hold = p.recovery.oldest_pending_chunk();
    let Some(ack) = p.acks.take(hold) else { return };
    let c = &mut consumers[i];
    let (list, cumulative) = match ack {
        Ack::Cumulative(pos) => (vec![pos], true),
        Ack::Individual(list) => (list, false),
    };
    // individual acknowledgements go in one frame, as the C++ client groups them
    if let Err(e) = c.ack(&list, cumulative).await {
        tracing::warn!(
            "requeue: acknowledging {} entries of {} failed (a re-run skips them): {e}",
            list.len(),
            p.topic
        );
    }
}
