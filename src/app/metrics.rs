//! The live metrics view's model: the latest snapshot of every broker's `/metrics`, the
//! history of each series, and the table the user sorts and filters; its keys, its filter
//! prompt, and the scrapes (every `metrics_interval` while connected).

use std::time::{Duration, Instant};

use crossterm::event::KeyEvent;

use super::input::{Edit, LineInput};
use super::keys::Action;
use super::pending::Requests;
use super::{App, Mode, Next, View};
use crate::metrics::{Drain, MetricsHistory, MetricsSnapshot, TopicMetrics, Trend};
use crate::pulsar::request::{Request, RequestId, RequestKind};
use crate::pulsar::{ClientError, TopicName};

#[path = "metrics_interest.rs"]
pub mod interest;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Backlog,
    DrainTime,
    RateIn,
    RateOut,
    Storage,
    Name,
}

impl SortBy {
    pub const ALL: [SortBy; 6] =
        [SortBy::Backlog, SortBy::DrainTime, SortBy::RateIn, SortBy::RateOut, SortBy::Storage, SortBy::Name];
    pub fn title(self) -> &'static str {
        match self {
            SortBy::Backlog => "backlog",
            SortBy::DrainTime => "drain time",
            SortBy::RateIn => "rate in",
            SortBy::RateOut => "rate out",
            SortBy::Storage => "storage",
            SortBy::Name => "name",
        }
    }
}

pub struct MetricsView {
    pub snapshot: Option<MetricsSnapshot>,
    pub history: MetricsHistory,
    pub scraped_at: Option<Instant>,
    pub in_flight: Option<RequestId>,
    /// When the scrape in flight was asked for.
    pub requested_at: Option<Instant>,
    /// How long the last scrape took (request to answer): it stretches the interval.
    pub took: Option<Duration>,
    pub error: Option<String>,
    pub sort: SortBy,
    pub filter: String,
    pub selected: usize,
    /// Topic names in display order.
    pub rows: Vec<String>,
}

/// Seconds until a backlog is gone, for sorting (`Empty` first, `Never` last).
fn drain_key(d: Drain) -> f64 {
    match d {
        Drain::Empty => -1.0,
        Drain::In(s) => s as f64,
        Drain::Never => f64::INFINITY,
    }
}

impl MetricsView {
    pub fn new(window_ms: u64) -> MetricsView {
        MetricsView {
            snapshot: None,
            // one point per scrape; 2,000 points cover 15 min at 0.5 s (the config warns
            // when metrics_history_minutes needs more)
            history: MetricsHistory::new(window_ms, crate::config::MAX_HISTORY_POINTS as usize),
            scraped_at: None,
            in_flight: None,
            requested_at: None,
            took: None,
            error: None,
            sort: SortBy::Backlog,
            filter: String::new(),
            selected: 0,
            rows: Vec::new(),
        }
    }

    pub fn ingest(&mut self, snapshot: MetricsSnapshot, at_ms: i64, now: Instant) {
        self.history.ingest(&snapshot, at_ms);
        self.snapshot = Some(snapshot);
        self.scraped_at = Some(now);
        self.error = None;
        self.rebuild();
    }

    pub fn topic(&self, name: &str) -> Option<&TopicMetrics> {
        self.snapshot.as_ref()?.topics.get(name)
    }

    pub fn drain_of(&self, topic: &str) -> Drain {
        self.history.topic(topic).map(|h| h.time_to_drain()).unwrap_or(Drain::Empty)
    }

    pub fn trend_of(&self, topic: &str) -> Trend {
        self.history.topic(topic).map(|h| h.backlog.trend()).unwrap_or(Trend::Flat)
    }

    pub fn selected_topic(&self) -> Option<&str> {
        self.rows.get(self.selected).map(String::as_str)
    }

    /// Recomputes the rows (filter, sort), keeping the selected topic when it is still there.
    pub fn rebuild(&mut self) {
        let keep = self.selected_topic().map(str::to_string);
        let Some(snap) = &self.snapshot else {
            self.rows.clear();
            return;
        };
        let f = self.filter.to_lowercase();
        let mut rows: Vec<&TopicMetrics> = snap
            .topics
            .values()
            .filter(|t| !t.is_system() && (f.is_empty() || t.name.to_lowercase().contains(&f)))
            .collect();
        match self.sort {
            SortBy::Backlog => rows.sort_by(|a, b| b.msg_backlog.cmp(&a.msg_backlog).then(a.name.cmp(&b.name))),
            SortBy::RateIn => rows.sort_by(|a, b| b.rate_in.total_cmp(&a.rate_in).then(a.name.cmp(&b.name))),
            SortBy::RateOut => rows.sort_by(|a, b| b.rate_out.total_cmp(&a.rate_out).then(a.name.cmp(&b.name))),
            SortBy::Storage => rows.sort_by(|a, b| b.storage_size.cmp(&a.storage_size).then(a.name.cmp(&b.name))),
            SortBy::Name => rows.sort_by(|a, b| a.name.cmp(&b.name)),
            SortBy::DrainTime => {
                rows.sort_by(|a, b| drain_key(self.drain_of(&b.name)).total_cmp(&drain_key(self.drain_of(&a.name))))
            }
        }
        self.rows = rows.into_iter().map(|t| t.name.clone()).collect();
        self.selected = keep.and_then(|k| self.rows.iter().position(|r| *r == k)).unwrap_or(0);
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    pub fn next_sort(&mut self) {
        let i = SortBy::ALL.iter().position(|s| *s == self.sort).unwrap_or(0);
        self.sort = SortBy::ALL[(i + 1) % SortBy::ALL.len()];
        self.rebuild();
    }

    pub fn move_by(&mut self, delta: isize) {
        self.selected = super::list::moved(self.selected, self.rows.len(), delta);
    }
}

impl MetricsView {
    /// A scrape of every broker (or of the fixed list), the one in flight.
    fn scrape(
        &mut self,
        requests: &mut Requests,
        brokers: &[String],
        interest: crate::metrics::Interest,
        now: Instant,
    ) -> Request {
        let r = requests.request(RequestKind::Metrics(crate::pulsar::request::MetricsRequest::Scrape {
            brokers: brokers.to_vec(),
            interest,
        }));
        self.in_flight = Some(r.id);
        self.requested_at = Some(now);
        r
    }

    /// What the next scrape keeps besides the top rows and health candidates: this
    /// view's rows around the selection and its filter.
    fn interest(&self) -> crate::metrics::Interest {
        let mut i = crate::metrics::Interest::bounded(interest::TOP_N, interest::HEALTH_LIMIT);
        interest::add_metrics_rows(&mut i, &self.rows, self.selected, &self.filter);
        interest::add_candidates(&mut i, self.snapshot.as_ref());
        i
    }

    /// The interval between scrapes now (stretched after a slow scrape).
    pub fn interval(&self, base: Duration) -> Duration {
        interest::effective_interval(base, self.took)
    }

    /// The view's keys: its own state changes, a scrape, or what the app carries out.
    pub(super) fn update(
        &mut self,
        action: Action,
        page: isize,
        requests: &mut Requests,
        scrape: impl FnOnce(&mut Self, &mut Requests) -> Request,
    ) -> Next {
        if let Some(delta) = super::list::step(action, page) {
            self.move_by(delta);
            return Next::Stay(Vec::new());
        }
        match action {
            Action::NextSort => self.next_sort(),
            Action::StartFilter => return Next::Prompt(Mode::Filter { input: LineInput::new(self.filter.clone()) }),
            Action::ClearFilter => {
                self.filter.clear();
                self.rebuild();
            }
            Action::Open => {
                if let Some(t) = self.selected_topic().and_then(|t| TopicName::parse(t).ok()) {
                    return Next::Explore(t);
                }
            }
            Action::Back | Action::ToggleMetrics => return Next::Leave,
            Action::Refresh if self.in_flight.is_none() => return Next::Stay(vec![scrape(self, requests)]),
            _ => {}
        }
        Next::Stay(Vec::new())
    }
}

impl App {
    /// What a scrape keeps: the metrics view's and the explorer's rows on screen, the
    /// top rows of each column and the health candidates.
    pub fn metrics_interest(&self) -> crate::metrics::Interest {
        let mut i = self.metrics.interest();
        interest::add_explorer(&mut i, &self.explorer.tree);
        interest::normalise(i)
    }

    pub(super) fn scrape_request(&mut self) -> Request {
        let interest = self.metrics_interest();
        self.metrics.scrape(&mut self.requests, &self.settings.metrics_urls, interest, self.now)
    }

    pub(super) fn metrics_update(&mut self, action: Action) -> Vec<Request> {
        let page = self.page_rows.max(1) as isize;
        let interest = self.metrics_interest();
        let (urls, now) = (&self.settings.metrics_urls, self.now);
        let next = self.metrics.update(action, page, &mut self.requests, |m, r| m.scrape(r, urls, interest, now));
        self.carry_out(next, View::Explorer)
    }

    /// Keys while the metrics filter is typed: the table follows every keystroke.
    pub(super) fn metrics_filter_key(&mut self, k: &KeyEvent) -> Vec<Request> {
        let Mode::Filter { input } = &mut self.mode else { return Vec::new() };
        match input.key(k) {
            Edit::Cancel => {
                self.mode = Mode::Normal;
                self.metrics.filter.clear();
            }
            Edit::Submit => self.mode = Mode::Normal,
            Edit::Changed => self.metrics.filter = input.to_string(),
            Edit::Interrupt | Edit::Ignored => {} // Ctrl+C: App::on_key
        }
        self.metrics.rebuild();
        Vec::new()
    }

    pub(super) fn metrics_scraped(&mut self, id: RequestId, snapshot: MetricsSnapshot, at_ms: i64) {
        if self.metrics.in_flight == Some(id) {
            self.metrics.in_flight = None;
            self.metrics.took = self.metrics.requested_at.map(|t| self.now.saturating_duration_since(t));
            self.metrics.ingest(snapshot, at_ms, self.now);
        }
    }

    pub(super) fn metrics_failed(&mut self, id: RequestId, error: &ClientError) {
        if self.metrics.in_flight == Some(id) {
            self.metrics.in_flight = None;
            self.metrics.error = Some(error.to_string());
            self.metrics.scraped_at = Some(self.now);
        }
    }

    /// A scrape when one is due (never while the broker is down).
    pub(super) fn metrics_tick(&mut self, now: Instant) -> Option<Request> {
        let due = self.metrics.in_flight.is_none()
            && self
                .metrics
                .scraped_at
                .is_none_or(|t| now.duration_since(t) >= self.metrics.interval(self.settings.metrics_interval));
        if due && !matches!(self.connection, super::Connection::Down { .. }) {
            return Some(self.scrape_request());
        }
        None
    }
}
