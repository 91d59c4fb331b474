//! The little history the rules need between scrapes: backlogs that keep growing, and
//! when a dead-letter topic last received a message.

use std::collections::{HashMap, VecDeque};

/// A series of `(ms, value)` points over the last `window + spacing`, one point per
/// `spacing` at most (so memory is bounded whatever the scrape interval).
#[derive(Debug, Clone, Default)]
pub(super) struct Series {
    points: VecDeque<(i64, f64)>,
    seen_ms: i64,
}

/// Points per window at most.
const POINTS: i64 = 30;

impl Series {
    fn push(&mut self, at_ms: i64, value: f64, window_ms: i64) {
        let spacing = (window_ms / POINTS).max(1);
        self.seen_ms = at_ms;
        let several = self.points.len() > 1;
        match self.points.back_mut() {
            Some(last) if at_ms <= last.0 => {}
            // a later value in the same slot replaces the newest point (a drop must be seen)
            Some(last) if at_ms.div_euclid(spacing) == last.0.div_euclid(spacing) && several => *last = (at_ms, value),
            _ => self.points.push_back((at_ms, value)),
        }
        // keep one point at or before the window's start
        while self.points.len() > 2 && self.points.get(1).is_some_and(|p| p.0 <= at_ms - window_ms) {
            self.points.pop_front();
        }
    }

    /// `Some((start, now, span_ms))` when the series has covered at least `window_ms`, never
    /// went below its value at the window's start, and ends at least `min_rise` above it.
    pub(super) fn grew_for(&self, window_ms: i64, min_rise: f64) -> Option<(f64, f64, i64)> {
        let (last_t, last_v) = *self.points.back()?;
        let start = self.points.iter().rev().find(|p| p.0 <= last_t - window_ms)?;
        let after = self.points.iter().filter(|p| p.0 > start.0);
        let mut prev = start.1;
        for p in after {
            // a drop below where the window started, or a fall by more than a tenth of the
            // rise so far, is not "only grew"
            if p.1 < start.1 || p.1 < prev - (prev - start.1) * 0.1 - 0.5 {
                return None;
            }
            prev = prev.max(p.1);
        }
        (last_v - start.1 >= min_rise.max(f64::MIN_POSITIVE)).then_some((start.1, last_v, last_t - start.0))
    }

    /// Units per second between the first and the last point, if they are apart.
    pub(super) fn slope(&self) -> Option<f64> {
        let (a, b) = (self.points.front()?, self.points.back()?);
        (b.0 > a.0).then(|| (b.1 - a.1) * 1000.0 / (b.0 - a.0) as f64)
    }
}

/// Series by key, dropped when not fed for a while.
#[derive(Debug, Clone, Default)]
pub(super) struct Tracks {
    series: HashMap<String, Series>,
    /// Dead-letter topic → (its `in_messages_total`, when it last rose).
    arrivals: HashMap<String, (u64, Option<i64>)>,
}

impl Tracks {
    pub(super) fn feed(&mut self, key: &str, at_ms: i64, value: f64, window_ms: i64) -> &Series {
        let s = self.series.entry(key.to_string()).or_default();
        s.push(at_ms, value, window_ms);
        s
    }

    pub(super) fn forget(&mut self, key: &str) {
        self.series.remove(key);
    }

    /// When a topic's message counter last rose (`None`: not seen rising yet). A counter
    /// that falls (the topic was unloaded) starts over without counting as an arrival.
    pub(super) fn arrival(&mut self, topic: &str, total: u64, at_ms: i64) -> Option<i64> {
        let e = self.arrivals.entry(topic.to_string()).or_insert((total, None));
        if total > e.0 {
            e.1 = Some(at_ms);
        }
        e.0 = total;
        e.1
    }

    /// Drops what was not fed since `before_ms`.
    pub(super) fn prune(&mut self, before_ms: i64) {
        self.series.retain(|_, s| s.seen_ms >= before_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_needs_the_whole_window_and_no_drop_below_its_start() {
        let w = 60_000;
        let mut s = Series::default();
        for i in 0..=12 {
            s.push(i * 5_000, 100.0 + i as f64 * 10.0, w);
        }
        assert_eq!(s.grew_for(w, 10.0), Some((100.0, 220.0, 60_000)));
        // not long enough yet
        let mut short = Series::default();
        for i in 0..6 {
            short.push(i * 5_000, i as f64 * 10.0, w);
        }
        assert_eq!(short.grew_for(w, 10.0), None);
        // a drop back below the start is not growth
        s.push(65_000, 90.0, w);
        assert_eq!(s.grew_for(w, 10.0), None);
        // too small a rise
        let mut flat = Series::default();
        for i in 0..=12 {
            flat.push(i * 5_000, 100.0 + (i % 2) as f64, w);
        }
        assert_eq!(flat.grew_for(w, 10.0), None);
    }

    #[test]
    fn memory_is_bounded_by_the_spacing() {
        let w = 60_000;
        let mut s = Series::default();
        for i in 0..10_000 {
            s.push(i * 100, i as f64, w);
        }
        assert!(s.points.len() <= POINTS as usize + 3, "{}", s.points.len());
        assert!(s.points.len() >= POINTS as usize - 1, "one point per slot: {}", s.points.len());
        assert!(s.grew_for(w, 1.0).is_some());
        assert!(s.slope().unwrap() > 9.0);
    }

    #[test]
    fn arrivals_are_rises_of_the_counter() {
        let mut t = Tracks::default();
        assert_eq!(t.arrival("d", 5, 1_000), None);
        assert_eq!(t.arrival("d", 5, 2_000), None);
        assert_eq!(t.arrival("d", 7, 3_000), Some(3_000));
        assert_eq!(t.arrival("d", 2, 4_000), Some(3_000)); // unloaded: counter restarted
        assert_eq!(t.arrival("d", 3, 5_000), Some(5_000));
    }
}
