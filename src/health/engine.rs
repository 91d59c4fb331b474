//! Findings across observations: first seen, cleared (greyed for a minute), ranked.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::sink::Sink;
use super::track::Tracks;
use super::{rules, Counts, Finding, Input, Kind, Severity, Thresholds};

/// A cleared finding stays this long (greyed), then leaves.
pub const CLEARED_FOR_MS: i64 = 60_000;

/// Findings the TUI lists per kind (the most severe, then the largest): a 100,000-topic
/// cluster can hold tens of thousands of stalled subscriptions, and keeping each as a
/// finding took ~150 MB; nobody reads past the first screens of one kind. The rest are
/// counted (the header's totals include them) and keep their first-seen time.
pub const LISTED_PER_KIND: usize = 200;

/// What one observation changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// Findings seen for the first time (or again after they had cleared).
    pub new: Vec<Finding>,
    /// Findings whose condition went away in this observation.
    pub cleared: Vec<Finding>,
}

/// The findings engine. Feed it every scrape with [`Engine::observe`]; the time is always
/// an argument (epoch ms of the observation), never read from a clock.
#[derive(Debug, Clone, Default)]
pub struct Engine {
    thresholds: Thresholds,
    /// The listed findings (active, and cleared ones for a minute).
    findings: BTreeMap<String, Finding>,
    /// When every active finding was first seen, listed or not (one that rises into the
    /// listed ones keeps its age).
    first_seen: HashMap<String, i64>,
    /// Active findings beyond [`Engine::listed_per_kind`] of their kind: only counted.
    unlisted: BTreeMap<(Kind, Severity), usize>,
    /// Findings listed per kind; `None`: all (the one-off `health` prints every finding).
    listed_per_kind: Option<usize>,
    tracks: Tracks,
    /// Every broker an earlier scrape listed: one that leaves the list (discovery lists the
    /// active brokers only, so a stopped broker just disappears) is a finding until it is back.
    brokers_seen: std::collections::BTreeSet<String>,
    /// The time of the latest observation.
    last_ms: Option<i64>,
}

impl Engine {
    /// An engine that lists every finding.
    pub fn new(thresholds: Thresholds) -> Engine {
        Engine { thresholds: thresholds.sane(), ..Default::default() }
    }

    /// An engine that lists at most `n` findings of each kind (the rest are counted).
    pub fn listing_per_kind(thresholds: Thresholds, n: usize) -> Engine {
        Engine { listed_per_kind: Some(n), ..Engine::new(thresholds) }
    }

    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    /// The conditions of one observation at `now_ms`: new findings keep their first-seen
    /// time from now on, the ones that went away are cleared (and leave a minute later).
    pub fn observe(&mut self, input: &Input<'_>, now_ms: i64) -> Changes {
        let t = &self.thresholds;
        let mut current = Sink::new(self.listed_per_kind.unwrap_or(usize::MAX));
        rules::brokers(input, &mut current);
        rules::brokers_gone(input, &mut self.brokers_seen, &mut current);
        rules::subscriptions(input, t, &mut self.tracks, now_ms, &mut current);
        rules::dead_letters(input, t, &mut self.tracks, now_ms, &mut current);
        rules::quotas(input, t, &mut self.tracks, now_ms, &mut current);
        rules::replication(input, t, &mut self.tracks, now_ms, &mut current);
        super::transactions::stuck(input, t, now_ms, &mut current);
        // series not fed for two windows belong to topics that are gone
        let window = (t.growth_minutes.max(1) * 60_000) as i64;
        self.tracks.prune(now_ms - 2 * window.max(5 * 60_000));
        let (keys, listed_now) = current.finish();
        let mut first_seen = HashMap::with_capacity(keys.len());
        self.unlisted.clear();
        for (key, kind, severity) in keys {
            let since = self.first_seen.get(&key).copied().unwrap_or(now_ms);
            *self.unlisted.entry((kind, severity)).or_default() += 1;
            first_seen.insert(key, since);
        }
        let mut changes = Changes::default();
        let mut listed = HashSet::with_capacity(listed_now.len());
        for mut f in listed_now {
            if let Some(n) = self.unlisted.get_mut(&(f.kind, f.severity)) {
                *n -= 1;
            }
            match self.first_seen.get(&f.key) {
                Some(&since) => f.since_ms = since,
                None => {
                    f.since_ms = now_ms;
                    changes.new.push(f.clone());
                }
            }
            listed.insert(f.key.clone());
            self.findings.insert(f.key.clone(), f);
        }
        self.unlisted.retain(|_, n| *n > 0);
        self.findings.retain(|key, f| {
            if listed.contains(key) {
                return true;
            }
            // still active but no longer among the listed ones: gone from the list, not cleared
            if first_seen.contains_key(key) {
                return false;
            }
            if f.cleared_ms.is_none() {
                f.cleared_ms = Some(now_ms);
                changes.cleared.push(f.clone());
            }
            true
        });
        self.first_seen = first_seen;
        self.last_ms = Some(now_ms);
        self.expire(now_ms);
        changes
    }

    /// Drops the findings cleared more than [`CLEARED_FOR_MS`] before `now_ms`; true when
    /// any left.
    pub fn expire(&mut self, now_ms: i64) -> bool {
        let before = self.findings.len();
        self.findings.retain(|_, f| f.cleared_ms.is_none_or(|c| now_ms - c < CLEARED_FOR_MS));
        self.findings.len() != before
    }

    /// Every finding, ranked: active before cleared, critical before warnings, then by
    /// kind, then the largest numbers first.
    pub fn findings(&self) -> Vec<&Finding> {
        let mut v: Vec<&Finding> = self.findings.values().collect();
        v.sort_by(|a, b| {
            a.is_cleared()
                .cmp(&b.is_cleared())
                .then(b.severity.cmp(&a.severity))
                .then(a.kind.cmp(&b.kind))
                .then(b.weight.total_cmp(&a.weight))
                .then(a.key.cmp(&b.key))
        });
        v
    }

    /// Active findings by severity, and the cleared ones still shown.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for f in self.findings.values() {
            match (f.is_cleared(), f.severity) {
                (true, _) => c.cleared += 1,
                (false, Severity::Critical) => c.critical += 1,
                (false, Severity::Warn) => c.warn += 1,
            }
        }
        for (&(_, severity), &n) in &self.unlisted {
            c.unlisted += n;
            match severity {
                Severity::Critical => c.critical += n,
                Severity::Warn => c.warn += n,
            }
        }
        c
    }

    /// The time of the latest observation.
    pub fn observed_ms(&self) -> Option<i64> {
        self.last_ms
    }
}
