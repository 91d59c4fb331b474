//! Findings across observations: first seen, cleared (greyed for a minute), ranked.

use std::collections::BTreeMap;

use super::track::Tracks;
use super::{rules, Counts, Finding, Input, Severity, Thresholds};

/// A cleared finding stays this long (greyed), then leaves.
pub const CLEARED_FOR_MS: i64 = 60_000;

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
    findings: BTreeMap<String, Finding>,
    tracks: Tracks,
    /// Every broker an earlier scrape listed: one that leaves the list (discovery lists the
    /// active brokers only, so a stopped broker just disappears) is a finding until it is back.
    brokers_seen: std::collections::BTreeSet<String>,
    /// The time of the latest observation.
    last_ms: Option<i64>,
}

impl Engine {
    pub fn new(thresholds: Thresholds) -> Engine {
        Engine { thresholds: thresholds.sane(), ..Default::default() }
    }

    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    /// The conditions of one observation at `now_ms`: new findings keep their first-seen
    /// time from now on, the ones that went away are cleared (and leave a minute later).
    pub fn observe(&mut self, input: &Input<'_>, now_ms: i64) -> Changes {
        let t = &self.thresholds;
        let mut current = Vec::new();
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
        let mut changes = Changes::default();
        let mut seen = std::collections::HashSet::with_capacity(current.len());
        for mut f in current {
            seen.insert(f.key.clone());
            match self.findings.get(&f.key) {
                Some(old) if !old.is_cleared() => f.since_ms = old.since_ms,
                _ => {
                    f.since_ms = now_ms;
                    changes.new.push(f.clone());
                }
            }
            self.findings.insert(f.key.clone(), f);
        }
        for f in self.findings.values_mut() {
            if f.cleared_ms.is_none() && !seen.contains(&f.key) {
                f.cleared_ms = Some(now_ms);
                changes.cleared.push(f.clone());
            }
        }
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
        c
    }

    /// The time of the latest observation.
    pub fn observed_ms(&self) -> Option<i64> {
        self.last_ms
    }
}
