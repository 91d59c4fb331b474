//! Where the rules put the findings of one observation: every finding's key is kept (for
//! first-seen times and the counts), the finding itself only while it is among the first
//! `limit` of its kind, so one observation of a cluster with tens of thousands of stalled
//! subscriptions holds a few hundred findings at a time, not all of them.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::{Finding, Kind, Severity};

/// The findings of one observation, bounded per kind (see the module doc).
#[derive(Debug)]
pub(super) struct Sink {
    limit: usize,
    /// Per kind, the best findings so far: at most `2 * limit` (cut back to `limit` when full).
    best: BTreeMap<Kind, Vec<Finding>>,
    /// Every finding offered: key, kind and severity.
    keys: Vec<(String, Kind, Severity)>,
}

/// Most severe, then largest, then by key: the listing order within a kind.
pub(super) fn rank(a: &Finding, b: &Finding) -> Ordering {
    b.severity.cmp(&a.severity).then(b.weight.total_cmp(&a.weight)).then(a.key.cmp(&b.key))
}

impl Sink {
    /// Keeps at most `limit` findings of each kind (`usize::MAX`: all).
    pub(super) fn new(limit: usize) -> Sink {
        Sink { limit: limit.max(1), best: BTreeMap::new(), keys: Vec::new() }
    }

    pub(super) fn push(&mut self, f: Finding) {
        self.keys.push((f.key.clone(), f.kind, f.severity));
        let best = self.best.entry(f.kind).or_default();
        best.push(f);
        if best.len() >= self.limit.saturating_mul(2) {
            best.sort_by(rank);
            best.truncate(self.limit);
        }
    }

    /// Every finding's key, kind and severity, and the listed findings (each kind's first
    /// `limit`, in listing order).
    pub(super) fn finish(self) -> (Vec<(String, Kind, Severity)>, Vec<Finding>) {
        let mut listed = Vec::new();
        for (_, mut best) in self.best {
            best.sort_by(rank);
            best.truncate(self.limit);
            listed.append(&mut best);
        }
        (self.keys, listed)
    }
}

#[cfg(test)]
mod tests {
    use super::super::rules::{finding, With};
    use super::super::{Place, Target};
    use super::*;

    fn stalled(i: u64, backlog: u64) -> Finding {
        let place = Place { topic: Some(format!("persistent://t/n/x{i}")), ..Place::default() };
        finding(Kind::Stalled, Severity::Warn, place, String::new(), String::new(), Target::Brokers)
            .weighted(backlog as f64)
    }

    #[test]
    fn keeps_every_key_and_only_the_best_of_each_kind() {
        let mut sink = Sink::new(3);
        // backlogs in a scrambled order (7 is coprime with 50): 0..50 each once
        for i in 0..50u64 {
            sink.push(stalled(i, (i * 7) % 50));
        }
        let mut critical = stalled(99, 1);
        critical.severity = Severity::Critical;
        sink.push(critical);
        let (keys, listed) = sink.finish();
        assert_eq!(keys.len(), 51);
        let weights: Vec<(Severity, f64)> = listed.iter().map(|f| (f.severity, f.weight)).collect();
        assert_eq!(weights, vec![(Severity::Critical, 1.0), (Severity::Warn, 49.0), (Severity::Warn, 48.0)]);
    }
}
