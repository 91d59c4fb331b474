//! Where the rules put the findings of one observation: every finding's key is kept (for
//! first-seen times and the counts), the finding itself only while it is among the first
//! `limit` of its kind, so one observation of a cluster with tens of thousands of stalled
//! subscriptions holds a few hundred findings at a time, not all of them.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::rules::key_of;
use super::{Finding, Kind, Place, Severity};

/// The findings of one observation, bounded per kind (see the module doc).
#[derive(Debug)]
pub(super) struct Sink {
    limit: usize,
    /// Per kind, the best findings so far.
    best: BTreeMap<Kind, Best>,
    /// Every finding offered: key, kind and severity.
    keys: Vec<(String, Kind, Severity)>,
}

/// The best findings of one kind so far: at most `2 * limit` (cut back to `limit` when
/// full), and once cut, the rank of the last one kept: nothing ranking after it can be
/// listed any more, so [`Sink::offer`] does not build it.
#[derive(Debug, Default)]
struct Best {
    list: Vec<Finding>,
    floor: Option<(Severity, f64, String)>,
}

/// Most severe, then largest, then by key: the listing order within a kind.
pub(super) fn rank(a: &Finding, b: &Finding) -> Ordering {
    rank_parts((a.severity, a.weight, &a.key), (b.severity, b.weight, &b.key))
}

fn rank_parts(a: (Severity, f64, &str), b: (Severity, f64, &str)) -> Ordering {
    b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(b.2))
}

impl Sink {
    /// Keeps at most `limit` findings of each kind (`usize::MAX`: all).
    pub(super) fn new(limit: usize) -> Sink {
        Sink { limit: limit.max(1), best: BTreeMap::new(), keys: Vec::new() }
    }

    /// Adds a finding built by its rule.
    pub(super) fn push(&mut self, f: Finding) {
        self.keys.push((f.key.clone(), f.kind, f.severity));
        self.list(f);
    }

    /// Adds the finding of `kind` and `severity` at `place`, weighing `weight`, building it
    /// (its text and numbers: most of a finding's cost) only when it may still be listed. On
    /// a cluster where thousands of subscriptions or partitions qualify, most are only
    /// counted. `build` gets `place` back and makes the finding as [`Sink::push`] would take
    /// it (its weight is set here).
    pub(super) fn offer(
        &mut self,
        kind: Kind,
        severity: Severity,
        weight: f64,
        place: Place,
        build: impl FnOnce(Place) -> Finding,
    ) {
        let key = key_of(kind, &place);
        let after_floor = self
            .best
            .get(&kind)
            .and_then(|b| b.floor.as_ref())
            .is_some_and(|(s, w, k)| rank_parts((severity, weight, &key), (*s, *w, k)) == Ordering::Greater);
        self.keys.push((key, kind, severity));
        if after_floor {
            return;
        }
        let mut f = build(place);
        f.weight = weight;
        debug_assert!(f.kind == kind && f.severity == severity, "{f:?}");
        self.list(f);
    }

    fn list(&mut self, f: Finding) {
        let best = self.best.entry(f.kind).or_default();
        best.list.push(f);
        if best.list.len() >= self.limit.saturating_mul(2) {
            best.list.sort_by(rank);
            best.list.truncate(self.limit);
            best.floor = best.list.last().map(|f| (f.severity, f.weight, f.key.clone()));
        }
    }

    /// Every finding's key, kind and severity, and the listed findings (each kind's first
    /// `limit`, in listing order).
    pub(super) fn finish(self) -> (Vec<(String, Kind, Severity)>, Vec<Finding>) {
        let mut listed = Vec::new();
        for (_, mut best) in self.best {
            best.list.sort_by(rank);
            best.list.truncate(self.limit);
            listed.append(&mut best.list);
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

    #[test]
    fn an_offered_finding_is_built_only_while_it_may_be_listed() {
        let place = |i: u64| Place { topic: Some(format!("persistent://t/n/x{i}")), ..Place::default() };
        let (mut pushed, mut offered) = (Sink::new(3), Sink::new(3));
        let mut built = 0;
        for i in 0..200u64 {
            // ties on purpose (weights 0..20 ten times each): the key decides among them
            let backlog = (i * 7) % 20;
            pushed.push(stalled(i, backlog));
            offered.offer(Kind::Stalled, Severity::Warn, backlog as f64, place(i), |p| {
                built += 1;
                finding(Kind::Stalled, Severity::Warn, p, String::new(), String::new(), Target::Brokers)
            });
        }
        let (keys_p, listed_p) = pushed.finish();
        let (keys_o, listed_o) = offered.finish();
        assert_eq!(keys_o, keys_p, "every key counts, built or not");
        assert_eq!(listed_o, listed_p, "the same findings listed, in the same order");
        assert!(built < 60, "most of the 200 were never built: {built}");
    }
}
