//! Bounded per-series history for sparklines, trends and drain estimates.
//!
//! A [`History`] is a ring buffer of `(timestamp_ms, value)` points limited
//! both by age (`window_ms`, relative to the newest point) and by count
//! (`max_points`). Memory: 8 bytes per point (a `u32` offset in ms from the
//! series' base time and an `f32` value: sparklines, trends and drain
//! estimates need no more, and a 100,000-topic cluster keeps ~100,000 series).
//!
//! [`MetricsHistory`] keeps one set of histories per topic, per
//! `(topic, subscription)` and per namespace, fed with whole
//! [`MetricsSnapshot`]s; series not seen for a full window are evicted.

use super::model::MetricsSnapshot;
use std::collections::VecDeque;

/// Direction of a series over its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    /// Rising by more than the tolerance over the window.
    Growing,
    /// Falling by more than the tolerance over the window.
    Draining,
    /// Within the tolerance, or not enough data.
    Flat,
}

/// When a backlog will be empty at the current pace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drain {
    /// The backlog is already empty.
    Empty,
    /// It is not shrinking (or there is not enough data to tell).
    Never,
    /// In about this many seconds.
    In(u64),
}

/// Tolerance used by [`History::trend`]: the series is `Flat` unless the
/// least-squares line changes by more than
/// `max(absolute, relative × mean |value|)` across the window's time span.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrendTolerance {
    /// Absolute change below which the series is flat (series units).
    pub absolute: f64,
    /// Change relative to the mean magnitude below which it is flat.
    pub relative: f64,
}

impl Default for TrendTolerance {
    /// Half a unit, or 2 % of the mean level — suited to message counts.
    fn default() -> Self {
        TrendTolerance { absolute: 0.5, relative: 0.02 }
    }
}

/// Scale of [`History::sparkline_values`]: the largest value maps to this.
pub const SPARKLINE_SCALE: u64 = 1000;

/// A bounded time series.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    window_ms: u64,
    max_points: usize,
    /// Time every point's offset counts from: at or before the oldest point.
    base_ms: i64,
    /// `(ms after base_ms, value)`, oldest first.
    points: VecDeque<(u32, f32)>,
}

impl History {
    /// A history keeping points at most `window_ms` older than the newest
    /// one, and at most `max_points` points (at least 1).
    pub fn new(window_ms: u64, max_points: usize) -> Self {
        History { window_ms, max_points: max_points.max(1), base_ms: 0, points: VecDeque::new() }
    }

    /// The window length in ms.
    pub fn window_ms(&self) -> u64 {
        self.window_ms
    }

    /// Adds a point. Non-finite values are ignored; a timestamp older than
    /// the newest point is ignored; an equal timestamp replaces the value.
    pub fn push(&mut self, timestamp_ms: i64, value: f64) {
        if !value.is_finite() {
            return;
        }
        // beyond f32's range (no metric gets there) the value saturates
        let value = value.clamp(f64::from(f32::MIN), f64::from(f32::MAX)) as f32;
        if let Some(last) = self.latest() {
            if timestamp_ms < last.0 {
                return;
            }
            if timestamp_ms == last.0 {
                if let Some(p) = self.points.back_mut() {
                    p.1 = value;
                }
                return;
            }
        }
        self.evict_older_than(timestamp_ms.saturating_sub(clamp_window(self.window_ms)));
        let Some(offset) = self.offset_of(timestamp_ms) else {
            return;
        };
        self.points.push_back((offset, value));
        while self.points.len() > self.max_points {
            self.points.pop_front();
        }
    }

    /// The offset of `timestamp_ms` (not before the newest point) from the base, moving the
    /// base up to the oldest point when the offset would not fit in a `u32` (~49 days), and
    /// dropping points older than `u32::MAX` ms before it if even that is not enough (a
    /// window longer than 49 days). `None` only for a time before the base.
    fn offset_of(&mut self, timestamp_ms: i64) -> Option<u32> {
        if self.points.is_empty() {
            self.base_ms = timestamp_ms;
        }
        if let Ok(o) = u32::try_from(timestamp_ms.checked_sub(self.base_ms)?) {
            return Some(o);
        }
        self.evict_older_than(timestamp_ms.saturating_sub(i64::from(u32::MAX)));
        let Some(&(shift, _)) = self.points.front() else {
            self.base_ms = timestamp_ms;
            return Some(0);
        };
        for p in &mut self.points {
            p.0 -= shift;
        }
        self.base_ms = self.at(shift);
        u32::try_from(timestamp_ms - self.base_ms).ok()
    }

    /// The time of a point at `offset`.
    fn at(&self, offset: u32) -> i64 {
        self.base_ms.saturating_add(i64::from(offset))
    }

    /// Drops points with a timestamp before `cutoff_ms`.
    pub fn evict_older_than(&mut self, cutoff_ms: i64) {
        while self.points.front().is_some_and(|p| self.at(p.0) < cutoff_ms) {
            self.points.pop_front();
        }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// True when there is no point.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The newest point.
    pub fn latest(&self) -> Option<(i64, f64)> {
        self.points.back().map(|&(o, v)| (self.at(o), f64::from(v)))
    }

    /// Points, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (i64, f64)> + ExactSizeIterator + '_ {
        self.points.iter().map(|&(o, v)| (self.at(o), f64::from(v)))
    }

    /// Values for a sparkline of `n` columns covering the window, oldest
    /// first. Each column holds the last value at or before its end (carried
    /// forward over gaps); columns before the first point are omitted, so the
    /// result has at most `n` entries. Values are scaled so the largest maps
    /// to [`SPARKLINE_SCALE`] (negative values clamp to 0): a sparkline
    /// widget then shows the same shape even for rates below 1.
    pub fn sparkline_values(&self, n: usize) -> Vec<u64> {
        let Some((last_ts, _)) = self.latest() else {
            return Vec::new();
        };
        if n == 0 {
            return Vec::new();
        }
        let window = clamp_window(self.window_ms).max(1) as f64;
        let start = last_ts as f64 - window;
        let col_width = window / n as f64;
        let mut raw: Vec<f64> = Vec::with_capacity(n);
        let mut idx = 0usize;
        let mut current: Option<f64> = None;
        for c in 0..n {
            let col_end = if c + 1 == n { last_ts as f64 } else { start + col_width * (c + 1) as f64 };
            while let Some(&(offset, v)) = self.points.get(idx) {
                if self.at(offset) as f64 <= col_end {
                    current = Some(f64::from(v));
                    idx += 1;
                } else {
                    break;
                }
            }
            if let Some(v) = current {
                raw.push(v);
            }
        }
        let max = raw.iter().copied().fold(0.0f64, f64::max);
        raw.into_iter()
            .map(|v| if max > 0.0 && v > 0.0 { ((v / max) * SPARKLINE_SCALE as f64).round() as u64 } else { 0 })
            .collect()
    }

    /// Least-squares slope over the stored points, in units per second.
    /// `None` with fewer than two points or a zero time span.
    pub fn slope_per_sec(&self) -> Option<f64> {
        let n = self.points.len();
        if n < 2 {
            return None;
        }
        let t0 = self.points.front()?.0;
        let nf = n as f64;
        // Centre time and value for numerical stability.
        let (mut st, mut sv) = (0.0, 0.0);
        for &(t, v) in &self.points {
            st += f64::from(t.saturating_sub(t0)) / 1000.0;
            sv += f64::from(v);
        }
        let (mt, mv) = (st / nf, sv / nf);
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for &(t, v) in &self.points {
            let x = f64::from(t.saturating_sub(t0)) / 1000.0 - mt;
            sxy += x * (f64::from(v) - mv);
            sxx += x * x;
        }
        if sxx <= 0.0 || !sxx.is_finite() {
            return None;
        }
        let slope = sxy / sxx;
        slope.is_finite().then_some(slope)
    }

    /// Growing / Draining / Flat with [`TrendTolerance::default`].
    pub fn trend(&self) -> Trend {
        self.trend_with(TrendTolerance::default())
    }

    /// Growing / Draining / Flat with an explicit tolerance.
    pub fn trend_with(&self, tol: TrendTolerance) -> Trend {
        let Some(slope) = self.slope_per_sec() else {
            return Trend::Flat;
        };
        let (Some(first), Some(last)) = (self.points.front(), self.points.back()) else {
            return Trend::Flat;
        };
        let span_secs = f64::from(last.0.saturating_sub(first.0)) / 1000.0;
        let change = slope * span_secs;
        let mean_abs = self.points.iter().map(|p| f64::from(p.1).abs()).sum::<f64>() / self.points.len() as f64;
        let threshold = tol.absolute.max(tol.relative * mean_abs);
        if change > threshold {
            Trend::Growing
        } else if change < -threshold {
            Trend::Draining
        } else {
            Trend::Flat
        }
    }
}

fn clamp_window(w: u64) -> i64 {
    i64::try_from(w).unwrap_or(i64::MAX)
}

fn secs_to_drain(backlog: f64, per_sec: f64) -> Drain {
    let secs = (backlog / per_sec).ceil();
    if secs.is_finite() && secs >= 0.0 && secs < u64::MAX as f64 {
        Drain::In(secs as u64)
    } else {
        Drain::Never
    }
}

/// Time until `backlog` reaches zero at the pace of `history` (a backlog
/// series): `Empty` if the backlog is 0, `Never` unless the history's trend
/// is [`Trend::Draining`], else `backlog / -slope` seconds.
pub fn time_to_drain(backlog: f64, history: &History) -> Drain {
    if backlog.is_nan() {
        return Drain::Never;
    }
    if backlog <= 0.0 {
        return Drain::Empty;
    }
    if history.trend() != Trend::Draining {
        return Drain::Never;
    }
    match history.slope_per_sec() {
        Some(s) if s < 0.0 => secs_to_drain(backlog, -s),
        _ => Drain::Never,
    }
}

/// Time until `backlog` reaches zero from the instantaneous net out-rate
/// (`rate_out - rate_in`, msg/s). For a subscription use its own dispatch
/// rate and the topic's publish rate.
pub fn time_to_drain_at_rates(backlog: f64, rate_in: f64, rate_out: f64) -> Drain {
    if backlog.is_nan() {
        return Drain::Never;
    }
    if backlog <= 0.0 {
        return Drain::Empty;
    }
    let net = rate_out - rate_in;
    if !net.is_finite() || net <= 1e-9 {
        return Drain::Never;
    }
    secs_to_drain(backlog, net)
}

/// Histories of one topic or namespace.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicHistory {
    /// Backlog (messages).
    pub backlog: History,
    /// Publish rate (msg/s).
    pub rate_in: History,
    /// Dispatch rate (msg/s).
    pub rate_out: History,
    /// Publish throughput (bytes/s).
    pub throughput_in: History,
    /// Dispatch throughput (bytes/s).
    pub throughput_out: History,
    /// Storage size (bytes).
    pub storage_size: History,
    /// Last ingest that contained this series (ms).
    pub last_seen_ms: i64,
}

impl TopicHistory {
    fn new(window_ms: u64, max_points: usize) -> Self {
        let h = History::new(window_ms, max_points);
        TopicHistory {
            backlog: h.clone(),
            rate_in: h.clone(),
            rate_out: h.clone(),
            throughput_in: h.clone(),
            throughput_out: h.clone(),
            storage_size: h,
            last_seen_ms: i64::MIN,
        }
    }

    /// Drain estimate of the current backlog from the backlog slope.
    pub fn time_to_drain(&self) -> Drain {
        let backlog = self.backlog.latest().map_or(0.0, |p| p.1);
        time_to_drain(backlog, &self.backlog)
    }
}

/// Histories of one subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionHistory {
    /// Backlog (messages).
    pub backlog: History,
    /// Dispatch rate (msg/s).
    pub rate_out: History,
    /// Unacked messages.
    pub unacked: History,
    /// Last ingest that contained this series (ms).
    pub last_seen_ms: i64,
}

impl SubscriptionHistory {
    fn new(window_ms: u64, max_points: usize) -> Self {
        let h = History::new(window_ms, max_points);
        SubscriptionHistory { backlog: h.clone(), rate_out: h.clone(), unacked: h, last_seen_ms: i64::MIN }
    }

    /// Drain estimate of the current backlog from the backlog slope.
    pub fn time_to_drain(&self) -> Drain {
        let backlog = self.backlog.latest().map_or(0.0, |p| p.1);
        time_to_drain(backlog, &self.backlog)
    }
}

/// Histories for every topic, subscription and namespace of a stream of
/// snapshots.
///
/// Stored as vectors sorted by key, merged with the (sorted) snapshot maps on
/// every ingest: one sequential pass, no hashing, and eviction of series not
/// seen for a window happens during the same pass. Lookups are binary
/// searches.
#[derive(Debug, Clone)]
pub struct MetricsHistory {
    window_ms: u64,
    max_points: usize,
    topics: Vec<(String, TopicHistory)>,
    subscriptions: Vec<((String, String), SubscriptionHistory)>,
    namespaces: Vec<(String, TopicHistory)>,
}

/// Merges `old` (sorted by key) with `new` (sorted, unique keys): entries in
/// `new` are updated (or created), entries only in `old` are kept if `keep`.
fn merge_sorted<'a, K, H, S: 'a>(
    old: Vec<(K, H)>,
    new: impl Iterator<Item = (&'a K, &'a S)>,
    mut create: impl FnMut() -> H,
    mut update: impl FnMut(&mut H, &S),
    keep: impl Fn(&H) -> bool,
) -> Vec<(K, H)>
where
    K: Ord + Clone + 'a,
{
    let mut out = Vec::with_capacity(old.len());
    let mut old = old.into_iter().peekable();
    for (k, v) in new {
        while let Some((ok, _)) = old.peek() {
            if ok < k {
                if let Some(e) = old.next() {
                    if keep(&e.1) {
                        out.push(e);
                    }
                }
            } else {
                break;
            }
        }
        let mut entry = match old.peek() {
            Some((ok, _)) if ok == k => match old.next() {
                Some(e) => e,
                None => (k.clone(), create()),
            },
            _ => (k.clone(), create()),
        };
        update(&mut entry.1, v);
        out.push(entry);
    }
    out.extend(old.filter(|e| keep(&e.1)));
    out
}

/// The values a [`TopicHistory`] keeps, from a topic or a namespace row, in the order
/// [`push_topic_like`] takes them.
macro_rules! topic_like_values {
    ($m:expr) => {
        [$m.msg_backlog as f64, $m.rate_in, $m.rate_out, $m.throughput_in, $m.throughput_out, $m.storage_size as f64]
    };
}

fn push_topic_like(h: &mut TopicHistory, ts: i64, v: [f64; 6]) {
    h.backlog.push(ts, v[0]);
    h.rate_in.push(ts, v[1]);
    h.rate_out.push(ts, v[2]);
    h.throughput_in.push(ts, v[3]);
    h.throughput_out.push(ts, v[4]);
    h.storage_size.push(ts, v[5]);
    h.last_seen_ms = h.last_seen_ms.max(ts);
}

impl MetricsHistory {
    /// Histories keeping `window_ms` of data and at most `max_points` per
    /// series; series absent for longer than `window_ms` are dropped.
    pub fn new(window_ms: u64, max_points: usize) -> Self {
        MetricsHistory { window_ms, max_points, topics: Vec::new(), subscriptions: Vec::new(), namespaces: Vec::new() }
    }

    /// Records `snapshot` as taken at `timestamp_ms`, then evicts series not
    /// seen since `timestamp_ms - window_ms`.
    pub fn ingest(&mut self, snapshot: &MetricsSnapshot, timestamp_ms: i64) {
        let (w, mp) = (self.window_ms, self.max_points);
        let cutoff = timestamp_ms.saturating_sub(clamp_window(w));
        let ts = timestamp_ms;
        self.topics = merge_sorted(
            std::mem::take(&mut self.topics),
            snapshot.topics.iter(),
            || TopicHistory::new(w, mp),
            |h, t| push_topic_like(h, ts, topic_like_values!(t)),
            |h| h.last_seen_ms >= cutoff,
        );
        self.subscriptions = merge_sorted(
            std::mem::take(&mut self.subscriptions),
            snapshot.subscriptions.iter(),
            || SubscriptionHistory::new(w, mp),
            |h, s| {
                h.backlog.push(ts, s.backlog as f64);
                h.rate_out.push(ts, s.rate_out);
                h.unacked.push(ts, s.unacked as f64);
                h.last_seen_ms = h.last_seen_ms.max(ts);
            },
            |h| h.last_seen_ms >= cutoff,
        );
        self.namespaces = merge_sorted(
            std::mem::take(&mut self.namespaces),
            snapshot.namespaces.iter(),
            || TopicHistory::new(w, mp),
            |h, n| push_topic_like(h, ts, topic_like_values!(n)),
            |h| h.last_seen_ms >= cutoff,
        );
    }

    /// History of a topic (parent name for partitioned topics).
    pub fn topic(&self, topic: &str) -> Option<&TopicHistory> {
        let i = self.topics.binary_search_by(|(k, _)| k.as_str().cmp(topic)).ok()?;
        self.topics.get(i).map(|e| &e.1)
    }

    /// History of a subscription.
    pub fn subscription(&self, topic: &str, subscription: &str) -> Option<&SubscriptionHistory> {
        let i = self
            .subscriptions
            .binary_search_by(|((t, s), _)| (t.as_str(), s.as_str()).cmp(&(topic, subscription)))
            .ok()?;
        self.subscriptions.get(i).map(|e| &e.1)
    }

    /// History of a namespace's totals.
    pub fn namespace(&self, namespace: &str) -> Option<&TopicHistory> {
        let i = self.namespaces.binary_search_by(|(k, _)| k.as_str().cmp(namespace)).ok()?;
        self.namespaces.get(i).map(|e| &e.1)
    }

    /// Number of topics tracked.
    pub fn topic_count(&self) -> usize {
        self.topics.len()
    }

    /// Number of subscriptions tracked.
    pub fn subscription_count(&self) -> usize {
        self.subscriptions.len()
    }
}
