//! The DLQ view and the requeue dialog (preview → typed confirmation → progress →
//! summary): state, keys and the answers to their requests; the panes draw them.

use std::collections::HashSet;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent};

pub use super::actions::{ActionDialog, ActionStage};
use super::input::LineInput;
use super::keys::Action;
use super::pending::Requests;
use super::tree::NodeKey;
use super::{App, Level, Next, View};
use crate::dlq::Target;
use crate::pulsar::dlq::{DlqRequest, DlqResponse, LetterTopic, RequeueOptions, RequeueProgress, RequeueSummary};
use crate::pulsar::message::{MessageId, StartFrom};
use crate::pulsar::request::{Request, RequestId, RequestKind};
use crate::pulsar::ClientError;
use crate::pulsar::TopicName;

/// The DLQ and RETRY topics of one namespace.
#[derive(Debug, Clone)]
pub struct DlqView {
    pub namespace: String,
    pub request: Option<RequestId>,
    pub letters: Vec<LetterTopic>,
    pub selected: usize,
    pub error: Option<String>,
    pub loaded_at: Option<Instant>,
    /// Where Esc goes back to.
    pub back_to: View,
}

impl DlqView {
    /// The view's keys: its own state changes, a reload, or what the app carries out.
    pub(super) fn update(&mut self, action: Action, page: isize, requests: &mut Requests) -> Next {
        if let Some(delta) = super::list::step(action, page) {
            self.selected = super::list::moved(self.selected, self.letters.len(), delta);
            return Next::Stay(Vec::new());
        }
        match action {
            Action::Back | Action::OpenDlq => return Next::Leave,
            Action::Refresh => {
                let req =
                    requests.request(RequestKind::Dlq(DlqRequest::ListLetters { namespace: self.namespace.clone() }));
                self.request = Some(req.id);
                self.error = None;
                self.loaded_at = None;
                return Next::Stay(vec![req]);
            }
            Action::Open => {
                if let Some(l) = self.letters.get(self.selected) {
                    return Next::Browse(l.letter.topic.clone());
                }
            }
            Action::Requeue => {
                if let Some(l) = self.letters.get(self.selected) {
                    return Next::RequeueAll(l.letter.topic.clone());
                }
            }
            _ => {}
        }
        Next::Stay(Vec::new())
    }
}

/// Which messages a requeue takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The message selected in the browser.
    Selected,
    /// Every message matching the browser's filter.
    Matched,
    /// The whole DLQ.
    All,
}

/// A requeue from its preview to its summary.
#[derive(Debug, Clone)]
pub struct RequeueDialog {
    pub dlq: TopicName,
    pub scope: Scope,
    pub filter: Option<String>,
    pub only: Option<HashSet<String>>,
    pub target: Target,
    pub plan_request: Option<RequestId>,
    pub plan: Option<RequeueSummary>,
    pub meaning: Option<String>,
    pub subscription: Option<String>,
    pub error: Option<String>,
    /// What the user typed to confirm a bulk requeue.
    pub typed: LineInput,
    pub run: Option<RequeueRun>,
}

#[derive(Debug, Clone)]
pub struct RequeueRun {
    pub id: RequestId,
    pub progress: RequeueProgress,
    pub summary: Option<RequeueSummary>,
    pub cancelling: bool,
    pub started: Instant,
}

impl RequeueDialog {
    /// The text to type before a bulk requeue starts: the DLQ's subscription (or, when it
    /// cannot be told, the DLQ's own name). A single message needs only Enter.
    pub fn confirmation_text(&self) -> Option<String> {
        match self.scope {
            Scope::Selected => None,
            _ => Some(self.subscription.clone().unwrap_or_else(|| self.dlq.local.clone())),
        }
    }

    pub fn confirmed(&self) -> bool {
        self.confirmation_text().is_none_or(|t| self.typed == t)
    }

    fn options(&self, journal: &std::path::Path) -> RequeueOptions {
        RequeueOptions {
            dlq: self.dlq.clone(),
            target: self.target.clone(),
            filter: self.filter.clone(),
            only: self.only.clone(),
            fixes: Default::default(),
            limit: None,
            rate: None,
            keep_dlq_properties: false,
            subscription: crate::dlq::DEFAULT_SUBSCRIPTION.to_string(),
            journal: journal.to_path_buf(),
        }
    }
}

impl App {
    /// `D`: the DLQ view of the namespace in use.
    pub fn open_dlq(&mut self) -> Vec<Request> {
        let namespace = match (self.view, self.current_topic(), self.explorer.tree.selected_key()) {
            (_, Some(t), _) => Some(t.namespace_path()),
            (View::Explorer, None, Some(NodeKey::Namespace(ns))) => Some(ns),
            (View::Dlq, _, _) => self.dlq.as_ref().map(|d| d.namespace.clone()),
            _ => None,
        };
        let Some(namespace) = namespace else {
            self.set_status(Level::Error, "select a namespace or a topic to list its dead-letter topics".into());
            return Vec::new();
        };
        let back_to = match self.view {
            View::Dlq => self.dlq.as_ref().map(|d| d.back_to).unwrap_or(View::Explorer),
            v => v,
        };
        let req = self.request(RequestKind::Dlq(DlqRequest::ListLetters { namespace: namespace.clone() }));
        let selected = self.dlq.as_ref().filter(|d| d.namespace == namespace).map(|d| d.selected).unwrap_or(0);
        self.dlq = Some(DlqView {
            namespace,
            request: Some(req.id),
            letters: self.dlq.take().map(|d| d.letters).unwrap_or_default(),
            selected,
            error: None,
            loaded_at: None,
            back_to,
        });
        self.view = View::Dlq;
        vec![req]
    }

    pub(super) fn dlq_update(&mut self, action: Action) -> Vec<Request> {
        let page = self.page_rows.max(1) as isize;
        let Some(v) = self.dlq.as_mut() else {
            self.view = View::Explorer;
            return Vec::new();
        };
        let back = v.back_to;
        let next = v.update(action, page, &mut self.requests);
        self.carry_out(next, back)
    }

    /// `R` in the browser: the selected message, or every match of the running filter.
    pub(super) fn browser_requeue(&mut self) -> Vec<Request> {
        let Some(b) = self.browser.as_ref() else { return Vec::new() };
        let dlq = b.topic.clone();
        match b.scan.as_ref() {
            Some(scan) => {
                let expr = scan.expr.clone();
                self.open_requeue(dlq.parent(), Scope::Matched, Some(expr), None)
            }
            None => match b.selected_row() {
                Some(r) => {
                    let key = crate::pulsar::dlq::only_key(&r.message.topic, &r.message.id);
                    self.open_requeue(dlq.parent(), Scope::Selected, None, Some([key].into_iter().collect()))
                }
                None => {
                    self.set_status(Level::Error, "no message selected".into());
                    Vec::new()
                }
            },
        }
    }

    /// `O` in the browser: the original message of a dead letter (`ORIGIN_MESSAGE_ID` on
    /// `REAL_TOPIC`).
    pub(super) fn jump_to_origin(&mut self) -> Vec<Request> {
        let Some(r) = self.browser.as_ref().and_then(|b| b.selected_row()) else { return Vec::new() };
        let props = &r.message.properties;
        let real = props.get(crate::dlq::REAL_TOPIC).and_then(|t| TopicName::parse(t).ok());
        let id = crate::dlq::origin_message_id(props);
        match (real, id) {
            (Some(topic), Some(id)) => {
                // the id of a partition's message is read on that partition
                let topic = match (topic.partition_index(), id.partition) {
                    (None, p) if p >= 0 => topic.partition(p as u32),
                    _ => topic,
                };
                let at = MessageId { partition: -1, ..id };
                let out = self.open_browser(topic, StartFrom::Id(at));
                self.set_status(Level::Info, format!("original message {id} (it may be gone if already deleted)"));
                out
            }
            _ => {
                self.set_status(Level::Error, "this message has no REAL_TOPIC / ORIGIN_MESSAGE_ID".into());
                Vec::new()
            }
        }
    }

    pub(super) fn open_requeue(
        &mut self,
        dlq: TopicName,
        scope: Scope,
        filter: Option<String>,
        only: Option<HashSet<String>>,
    ) -> Vec<Request> {
        let mut d = RequeueDialog {
            dlq,
            scope,
            filter,
            only,
            target: Target::Original,
            plan_request: None,
            plan: None,
            meaning: None,
            subscription: None,
            error: None,
            typed: LineInput::default(),
            run: None,
        };
        let req = self.plan_request(&mut d);
        self.requeue = Some(d);
        vec![req]
    }

    fn plan_request(&mut self, d: &mut RequeueDialog) -> Request {
        let options = Box::new(d.options(&self.settings.journal_path));
        let req = self.request(RequestKind::Dlq(DlqRequest::PlanRequeue { options }));
        d.plan_request = Some(req.id);
        d.plan = None;
        d.error = None;
        req
    }

    /// Keys while the requeue dialog is open.
    pub(super) fn requeue_key(&mut self, k: &KeyEvent) -> Vec<Request> {
        let Some(mut d) = self.requeue.take() else { return Vec::new() };
        let ctrl_c = super::input::is_interrupt(k);
        let mut out = Vec::new();
        if let Some(run) = d.run.as_mut() {
            let finished = run.summary.is_some();
            match k.code {
                _ if finished && matches!(k.code, KeyCode::Esc | KeyCode::Enter) => {
                    return self.close_requeue(d);
                }
                KeyCode::Esc if !run.cancelling => {
                    run.cancelling = true;
                    let id = run.id;
                    out.push(self.requests.cancel_keep_pending(id));
                }
                _ if ctrl_c && !run.cancelling => {
                    run.cancelling = true;
                    let id = run.id;
                    out.push(self.requests.cancel_keep_pending(id));
                }
                _ => {}
            }
            self.requeue = Some(d);
            return out;
        }
        match k.code {
            KeyCode::Esc => return Vec::new(), // closed, nothing sent
            _ if ctrl_c => return Vec::new(),
            KeyCode::Tab => {
                d.target = match d.target {
                    Target::Original => Target::Retry,
                    _ => Target::Original,
                };
                d.typed.clear();
                out.push(self.plan_request(&mut d));
            }
            KeyCode::Backspace => {
                d.typed.key(k);
            }
            KeyCode::Char(_) if d.confirmation_text().is_some() => {
                d.typed.key(k);
            }
            KeyCode::Enter => {
                let ready = d.plan.as_ref().is_some_and(|p| p.progress.moved > 0);
                if !ready {
                    d.error = Some("nothing to requeue (see the preview)".into());
                } else if !d.confirmed() {
                    d.error = Some(format!("type {} to confirm", d.confirmation_text().unwrap_or_default()));
                } else if let Some(name) = &self.switching {
                    d.error = Some(format!("switching to context {name}: a requeue cannot start now"));
                } else {
                    let options = Box::new(d.options(&self.settings.journal_path));
                    let req = self.request(RequestKind::Dlq(DlqRequest::Requeue { options }));
                    d.error = None;
                    d.run = Some(RequeueRun {
                        id: req.id,
                        progress: RequeueProgress::default(),
                        summary: None,
                        cancelling: false,
                        started: self.now,
                    });
                    out.push(req);
                }
            }
            _ => {}
        }
        self.requeue = Some(d);
        out
    }

    fn close_requeue(&mut self, d: RequeueDialog) -> Vec<Request> {
        let moved = d.run.as_ref().and_then(|r| r.summary.as_ref()).map(|s| s.progress.moved).unwrap_or(0);
        if moved > 0 {
            self.set_status(Level::Info, format!("requeued {moved} message(s) from {}", d.dlq));
        }
        // what the DLQ holds changed: reload what shows it
        match self.view {
            View::Dlq => self.open_dlq(),
            View::Browser => self.update(Action::Refresh),
            _ => Vec::new(),
        }
    }

    /// The answers to the DLQ listing and to the requeue dialog's requests.
    pub(super) fn dlq_response(&mut self, id: RequestId, kind: DlqResponse) {
        match kind {
            DlqResponse::LettersListed { namespace, letters } => {
                if let Some(v) = self.dlq.as_mut().filter(|v| v.request == Some(id)) {
                    v.request = None;
                    v.error = None;
                    v.namespace = namespace;
                    v.selected = v.selected.min(letters.len().saturating_sub(1));
                    v.letters = letters;
                    v.loaded_at = Some(self.now);
                }
            }
            DlqResponse::RequeuePlanned { summary, meaning, subscription } => {
                if let Some(d) = self.requeue.as_mut().filter(|d| d.plan_request == Some(id)) {
                    d.plan_request = None;
                    d.plan = Some(*summary);
                    d.meaning = Some(meaning);
                    d.subscription = subscription;
                }
            }
            DlqResponse::RequeueProgressed { progress } => {
                if let Some(run) = self.requeue.as_mut().and_then(|d| d.run.as_mut()).filter(|r| r.id == id) {
                    run.progress = progress;
                }
            }
            DlqResponse::RequeueFinished { summary } => {
                if let Some(run) = self.requeue.as_mut().and_then(|d| d.run.as_mut()).filter(|r| r.id == id) {
                    run.progress = summary.progress.clone();
                    run.summary = Some(*summary);
                }
            }
        }
    }

    /// A request of the DLQ view failed: the listing, the preview or the run it was (by its id).
    pub(super) fn dlq_failed(&mut self, id: RequestId, error: &ClientError) {
        if let Some(v) = self.dlq.as_mut().filter(|v| v.request == Some(id)) {
            v.request = None;
            v.error = Some(error.to_string());
        }
        if let Some(d) = self.requeue.as_mut().filter(|d| d.plan_request == Some(id)) {
            d.plan_request = None;
            d.error = Some(error.to_string());
        }
        if let Some(d) = self.requeue.as_mut().filter(|d| d.run.as_ref().is_some_and(|r| r.id == id)) {
            // nothing (more) was sent: back to the preview, with the reason
            d.run = None;
            d.error = Some(error.to_string());
        }
    }
}
