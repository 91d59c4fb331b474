//! When an entry of a DLQ may be acknowledged during a requeue. Pure: no I/O.
//!
//! The broker tracks acknowledgements per entry: acknowledging any message of a batch,
//! individually or cumulatively, acknowledges every message of it (batch-index
//! acknowledgements need `acknowledgmentAtBatchIndexLevelEnabled` on the broker and an ack
//! set from the client, which the `pulsar` crate does not send). So an entry is acknowledged
//! only once every message it holds is settled (moved, or skipped as moved by an earlier
//! run); an entry with one message that stays (filtered out, failed, unreadable, never
//! reached because of `--limit` or a cancel) is never acknowledged, and the next run sees
//! all of it again (the journal skips what was moved). A chunked message covers the entries
//! of all its chunks.
//!
//! While nothing stays behind in a partition, one cumulative acknowledgement covers every
//! settled entry up to the first one still open (far less work for the broker than one per
//! entry); once something stays, entries are acknowledged one by one.

use std::collections::{BTreeMap, BTreeSet, HashSet};

/// `(ledger, entry)`.
pub type Pos = (i64, i64);

/// An entry with messages not yet settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Open {
    /// Messages in the entry (1 unless it is a batch).
    total: u32,
    settled: u32,
}

/// What to acknowledge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ack {
    /// Everything up to and including this entry.
    Cumulative(Pos),
    /// These entries.
    Individual(Vec<Pos>),
}

/// The acknowledgement state of one partition of the DLQ.
#[derive(Debug, Default)]
pub struct PartitionAcks {
    open: BTreeMap<Pos, Open>,
    /// Entries whose every message is settled, not acknowledged yet.
    ackable: BTreeSet<Pos>,
    /// Entries that keep at least one message.
    stayed: HashSet<Pos>,
    /// Acknowledged in this run (a redelivered member of one is ignored).
    acked: HashSet<Pos>,
    /// Something stays behind: individual acknowledgements only.
    unclean: bool,
}

impl PartitionAcks {
    /// A message was received that covers `entries` (each with the number of messages it
    /// holds: the batch size, or 1).
    pub fn received(&mut self, entries: &[(Pos, u32)]) {
        for &(pos, total) in entries {
            if self.stayed.contains(&pos) || self.acked.contains(&pos) || self.ackable.contains(&pos) {
                continue;
            }
            self.open.entry(pos).or_insert(Open { total: total.max(1), settled: 0 });
        }
    }

    /// The message covering `entries` is settled: `moved` (or moved before), or it stays.
    pub fn settled(&mut self, entries: &[Pos], moved: bool) {
        for &pos in entries {
            if !moved {
                self.open.remove(&pos);
                self.ackable.remove(&pos);
                self.stayed.insert(pos);
                self.unclean = true;
                continue;
            }
            let Some(open) = self.open.get_mut(&pos) else { continue };
            open.settled += 1;
            if open.settled >= open.total {
                self.open.remove(&pos);
                self.ackable.insert(pos);
            }
        }
    }

    /// Something in this partition cannot be accounted for (an entry the client failed on):
    /// no cumulative acknowledgement from now on.
    pub fn taint(&mut self) {
        self.unclean = true;
    }

    /// Entries still open (some message undecided or in flight).
    pub fn open_entries(&self) -> usize {
        self.open.len()
    }

    /// What may be acknowledged now. `hold`: the first entry of a chunked message still
    /// being put together (its chunks are not registered yet), which a cumulative
    /// acknowledgement must not pass.
    pub fn take(&mut self, hold: Option<Pos>) -> Option<Ack> {
        if self.ackable.is_empty() {
            return None;
        }
        if self.unclean {
            let all: Vec<Pos> = std::mem::take(&mut self.ackable).into_iter().collect();
            self.acked.extend(all.iter().copied());
            return Some(Ack::Individual(all));
        }
        let limit = [self.open.keys().next().copied(), hold].into_iter().flatten().min();
        let ready: Vec<Pos> = match limit {
            Some(l) => self.ackable.range(..l).copied().collect(),
            None => self.ackable.iter().copied().collect(),
        };
        let last = *ready.last()?;
        for p in &ready {
            self.ackable.remove(p);
        }
        self.acked.extend(ready);
        Some(Ack::Cumulative(last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(acks: &mut PartitionAcks, entry: i64, n: u32) {
        for _ in 0..n {
            acks.received(&[((1, entry), n)]);
        }
    }

    #[test]
    fn a_batch_is_acknowledged_only_when_every_message_is_moved() {
        let mut a = PartitionAcks::default();
        batch(&mut a, 0, 3);
        a.settled(&[(1, 0)], true);
        a.settled(&[(1, 0)], true);
        assert_eq!(a.take(None), None, "one of three still in flight");
        a.settled(&[(1, 0)], true);
        assert_eq!(a.take(None), Some(Ack::Cumulative((1, 0))));
        assert_eq!(a.take(None), None);
    }

    #[test]
    fn a_batch_with_one_message_left_behind_is_never_acknowledged() {
        let mut a = PartitionAcks::default();
        batch(&mut a, 0, 4);
        a.settled(&[(1, 0)], true);
        a.settled(&[(1, 0)], false);
        a.settled(&[(1, 0)], true);
        a.settled(&[(1, 0)], true);
        assert_eq!(a.take(None), None);
        batch(&mut a, 1, 1);
        a.settled(&[(1, 1)], true);
        assert_eq!(a.take(None), Some(Ack::Individual(vec![(1, 1)])), "individual once something stayed");
    }

    #[test]
    fn a_batch_cut_by_the_limit_stays_open_and_holds_cumulative_acks_behind_it() {
        let mut a = PartitionAcks::default();
        batch(&mut a, 0, 1);
        a.settled(&[(1, 0)], true);
        // entry 1: a batch of 5, two received before the limit stopped the run
        a.received(&[((1, 1), 5)]);
        a.received(&[((1, 1), 5)]);
        a.settled(&[(1, 1)], true);
        a.settled(&[(1, 1)], true);
        batch(&mut a, 2, 1);
        a.settled(&[(1, 2)], true);
        assert_eq!(a.take(None), Some(Ack::Cumulative((1, 0))), "not past the open entry 1");
        assert_eq!(a.take(None), None);
        assert_eq!(a.open_entries(), 1);
    }

    #[test]
    fn settled_entries_out_of_order_wait_for_the_ones_before() {
        let mut a = PartitionAcks::default();
        batch(&mut a, 0, 1);
        batch(&mut a, 1, 1);
        a.settled(&[(1, 1)], true); // skipped (journal) at once, entry 0 still in flight
        assert_eq!(a.take(None), None);
        a.settled(&[(1, 0)], true);
        assert_eq!(a.take(None), Some(Ack::Cumulative((1, 1))));
    }

    #[test]
    fn chunks_are_covered_together_and_held_by_an_incomplete_set() {
        let mut a = PartitionAcks::default();
        // a plain message at entry 2 between chunks at 1 and 3 of a set not complete yet
        batch(&mut a, 2, 1);
        a.settled(&[(1, 2)], true);
        assert_eq!(a.take(Some((1, 1))), None, "the chunk at entry 1 is not registered yet");
        a.received(&[((1, 1), 1), ((1, 3), 1)]);
        a.settled(&[(1, 1), (1, 3)], true);
        assert_eq!(a.take(None), Some(Ack::Cumulative((1, 3))));
    }

    #[test]
    fn a_tainted_partition_acknowledges_one_by_one() {
        let mut a = PartitionAcks::default();
        a.taint();
        batch(&mut a, 0, 1);
        batch(&mut a, 1, 1);
        a.settled(&[(1, 1)], true);
        a.settled(&[(1, 0)], true);
        assert_eq!(a.take(None), Some(Ack::Individual(vec![(1, 0), (1, 1)])));
    }
}
