//! The health view: "what is wrong right now", across the whole cluster. Its state is the
//! findings [`Engine`], fed by every metrics scrape (the engine runs whether the view is
//! open or not, so a finding's "since" is when this app first saw it); while the view is
//! open each scrape also asks for the few admin facts the engine needs
//! ([`HealthRequest::Gather`]). Enter opens where a finding points.

use super::keys::Action;
use super::pending::Requests;
use super::{Next, View};
use crate::health::{Details, Engine, Finding, Input, Target, Thresholds};
use crate::metrics::MetricsSnapshot;
use crate::pulsar::health::{HealthRequest, HealthResponse};
use crate::pulsar::request::{Request, RequestId, RequestKind};
use crate::pulsar::{ClientError, TopicName};

pub struct HealthView {
    pub engine: Engine,
    /// The latest admin facts (applied from the next observation on).
    pub details: Details,
    /// When the latest facts arrived (epoch ms).
    pub details_ms: Option<i64>,
    pub in_flight: Option<RequestId>,
    /// Why the last facts request failed.
    pub error: Option<String>,
    /// The scrape (epoch ms) the engine saw last.
    pub observed_ms: Option<i64>,
    pub selected: usize,
    /// The view to go back to.
    pub back: View,
}

impl HealthView {
    pub fn new(thresholds: Thresholds) -> HealthView {
        HealthView {
            engine: Engine::listing_per_kind(thresholds, crate::health::LISTED_PER_KIND),
            details: Details::default(),
            details_ms: None,
            in_flight: None,
            error: None,
            observed_ms: None,
            selected: 0,
            back: View::Explorer,
        }
    }

    /// The findings in display order.
    pub fn findings(&self) -> Vec<&Finding> {
        self.engine.findings()
    }

    pub fn selected_finding(&self) -> Option<&Finding> {
        self.findings().get(self.selected).copied()
    }

    /// The topic of the selected finding (the parent of a partition).
    pub fn selected_topic(&self) -> Option<TopicName> {
        let f = self.selected_finding()?;
        let t = f.place.topic.as_deref()?;
        TopicName::parse(crate::metrics::model::parent_topic(t)).ok()
    }

    /// Feeds one scrape (taken at `at_ms`) to the engine, keeping the selected finding.
    pub fn observe(&mut self, snapshot: &MetricsSnapshot, at_ms: i64) {
        let keep = self.selected_finding().map(|f| f.key.clone());
        self.engine.observe(&Input { snapshot, details: &self.details }, at_ms);
        self.observed_ms = Some(at_ms);
        self.reselect(keep);
    }

    fn reselect(&mut self, key: Option<String>) {
        let findings = self.findings();
        let n = findings.len();
        let at = key.and_then(|k| findings.iter().position(|f| f.key == k));
        self.selected = at.unwrap_or(self.selected).min(n.saturating_sub(1));
    }

    /// The admin facts for this scrape, unless a request is still out.
    pub(super) fn fetch(
        &mut self,
        snapshot: &MetricsSnapshot,
        now_ms: i64,
        requests: &mut Requests,
    ) -> Option<Request> {
        if self.in_flight.is_some() {
            return None;
        }
        let wants = crate::health::wants(snapshot, self.engine.thresholds(), now_ms);
        let r = requests.request(RequestKind::Health(HealthRequest::Gather { wants: Box::new(wants) }));
        self.in_flight = Some(r.id);
        Some(r)
    }

    /// The facts arrived: the engine sees them with the latest scrape at once.
    pub(super) fn fetched(&mut self, id: RequestId, details: Details, snapshot: Option<&MetricsSnapshot>, now_ms: i64) {
        if self.in_flight != Some(id) {
            return;
        }
        self.in_flight = None;
        self.error = details.errors.first().map(|e| {
            let more = details.errors.len() - 1;
            if more > 0 {
                format!("{e} (+{more} more)")
            } else {
                e.clone()
            }
        });
        self.details = details;
        self.details_ms = Some(now_ms);
        if let Some(s) = snapshot {
            self.observe(s, now_ms.max(self.observed_ms.unwrap_or(i64::MIN)));
        }
    }

    pub(super) fn failed(&mut self, id: RequestId, error: &ClientError) {
        if self.in_flight == Some(id) {
            self.in_flight = None;
            self.error = Some(error.to_string());
        }
    }

    fn move_by(&mut self, delta: isize) {
        self.selected = super::list::moved(self.selected, self.engine.findings().len(), delta);
    }

    /// The view's keys.
    pub(super) fn update(
        &mut self,
        action: Action,
        page: isize,
        requests: &mut Requests,
        snapshot: Option<&MetricsSnapshot>,
        now_ms: i64,
    ) -> Next {
        if let Some(delta) = super::list::step(action, page) {
            self.move_by(delta);
            return Next::Stay(Vec::new());
        }
        match action {
            Action::Back | Action::OpenHealth => return Next::Leave,
            Action::Refresh => {
                if let Some(r) = snapshot.and_then(|s| self.fetch(s, now_ms, requests)) {
                    return Next::Stay(vec![r]);
                }
            }
            Action::Open => {
                if let Some(next) = self.selected_finding().and_then(open) {
                    return next;
                }
            }
            _ => {}
        }
        Next::Stay(Vec::new())
    }
}

/// Where Enter goes for a finding.
fn open(f: &Finding) -> Option<Next> {
    let topic = |t: &str| TopicName::parse(crate::metrics::model::parent_topic(t)).ok();
    Some(match &f.action {
        Target::Subscription { topic: t, subscription } => Next::ExploreSubscription(topic(t)?, subscription.clone()),
        Target::Topic { topic: t } => Next::Explore(topic(t)?),
        Target::DeadLetters { topic: t } => Next::Browse(topic(t)?),
        Target::Metrics { topic: t } => Next::Metrics(Some(t.clone())),
        Target::Brokers => Next::Metrics(None),
        // the app opens the transactions view itself (App::health_update)
        Target::Transaction { .. } => return None,
    })
}

impl super::App {
    /// Opens the health view (asking for the admin facts when a scrape is there).
    pub(super) fn open_health(&mut self) -> Vec<Request> {
        if self.view != View::Health {
            self.health.back = self.view;
        }
        self.view = View::Health;
        self.show_help = false;
        let now = self.wall_now();
        match &self.metrics.snapshot {
            Some(s) => self.health.fetch(s, now, &mut self.requests).into_iter().collect(),
            None => Vec::new(),
        }
    }

    pub(super) fn health_update(&mut self, action: Action) -> Vec<Request> {
        if action == Action::Open {
            if let Some(Target::Transaction { txn }) = self.health.selected_finding().map(|f| f.action.clone()) {
                let id = crate::txn::TxnId::parse(&txn).ok();
                return self.open_txn_at(id);
            }
        }
        let page = self.page_rows.max(1) as isize;
        let now = self.wall_now();
        let next = self.health.update(action, page, &mut self.requests, self.metrics.snapshot.as_ref(), now);
        let back = self.health.back;
        self.carry_out(next, if back == View::Health { View::Explorer } else { back })
    }

    /// A scrape arrived (before the metrics view takes it): the engine sees it, and the
    /// open view asks for the admin facts of this scrape. A stale answer (not the scrape
    /// the metrics view awaits) is left alone.
    pub(super) fn health_scraped(&mut self, id: RequestId, snapshot: &MetricsSnapshot, at_ms: i64) -> Vec<Request> {
        if self.metrics.in_flight != Some(id) {
            return Vec::new();
        }
        self.health.observe(snapshot, at_ms);
        if self.view == View::Health {
            return self.health.fetch(snapshot, at_ms, &mut self.requests).into_iter().collect();
        }
        Vec::new()
    }

    pub(super) fn health_response(&mut self, id: RequestId, response: HealthResponse) {
        let now = self.wall_now();
        match response {
            HealthResponse::Gathered { details } => {
                self.health.fetched(id, *details, self.metrics.snapshot.as_ref(), now)
            }
        }
    }

    pub(super) fn health_failed(&mut self, id: RequestId, error: &ClientError) {
        self.health.failed(id, error);
    }
}
