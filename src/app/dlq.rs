//! The DLQ view, the requeue dialog (preview → typed confirmation → progress → summary)
//! and the explorer's write-action dialog (menu → parameter → confirmation). State and key
//! handling only; the panes draw it.

use std::collections::HashSet;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::input::LineInput;
use super::keys::Action;
use super::tree::NodeKey;
use super::{App, Level, View};
use crate::dlq::Target;
use crate::pulsar::actions::{ActionKind, WriteAction};
use crate::pulsar::dlq::{LetterTopic, RequeueOptions, RequeueProgress, RequeueSummary};
use crate::pulsar::message::{MessageId, StartFrom};
use crate::pulsar::request::{Request, RequestId, RequestKind};
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
            limit: None,
            rate: None,
            keep_dlq_properties: false,
            subscription: crate::dlq::DEFAULT_SUBSCRIPTION.to_string(),
            journal: journal.to_path_buf(),
        }
    }
}

/// The explorer's write-action dialog.
#[derive(Debug, Clone)]
pub struct ActionDialog {
    pub topic: TopicName,
    pub subscription: Option<String>,
    pub partitions: u32,
    pub stage: ActionStage,
}

#[derive(Debug, Clone)]
pub enum ActionStage {
    Menu { items: Vec<ActionKind>, selected: usize },
    Input { kind: ActionKind, input: LineInput, error: Option<String> },
    Confirm { action: WriteAction, typed: LineInput },
    Running { id: RequestId, action: WriteAction },
}

impl App {
    /// `D`: the DLQ view of the namespace in use.
    pub fn open_dlq(&mut self) -> Vec<Request> {
        let namespace = match (self.view, self.current_topic(), self.tree.selected_key()) {
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
        let req = self.request(RequestKind::ListLetters { namespace: namespace.clone() });
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
        let n = v.letters.len() as isize;
        let move_by =
            |v: &mut DlqView, d: isize| v.selected = (v.selected as isize + d).clamp(0, (n - 1).max(0)) as usize;
        match action {
            Action::Down => move_by(v, 1),
            Action::Up => move_by(v, -1),
            Action::PageDown => move_by(v, page),
            Action::PageUp => move_by(v, -page),
            Action::Top => v.selected = 0,
            Action::Bottom => v.selected = (n - 1).max(0) as usize,
            Action::Back | Action::OpenDlq => self.view = v.back_to,
            Action::Refresh => return self.open_dlq(),
            Action::Open => {
                if let Some(l) = v.letters.get(v.selected) {
                    let t = l.letter.topic.clone();
                    return self.open_browser(t, StartFrom::Earliest);
                }
            }
            Action::Requeue => {
                if let Some(l) = v.letters.get(v.selected) {
                    let t = l.letter.topic.clone();
                    return self.open_requeue(t, Scope::All, None, None);
                }
            }
            Action::Quit => self.quit = true,
            Action::ToggleHelp => self.show_help = !self.show_help,
            _ => {}
        }
        Vec::new()
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

    fn open_requeue(
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
        let req = self.request(RequestKind::PlanRequeue { options });
        d.plan_request = Some(req.id);
        d.plan = None;
        d.error = None;
        req
    }

    /// Keys while the requeue dialog is open.
    pub(super) fn requeue_key(&mut self, k: &KeyEvent) -> Vec<Request> {
        let Some(mut d) = self.requeue.take() else { return Vec::new() };
        let ctrl_c = k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
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
                    out.push(self.cancel_keep_pending(id));
                }
                _ if ctrl_c && !run.cancelling => {
                    run.cancelling = true;
                    let id = run.id;
                    out.push(self.cancel_keep_pending(id));
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
                } else {
                    let options = Box::new(d.options(&self.settings.journal_path));
                    let req = self.request(RequestKind::Requeue { options });
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

    /// Stops a stream but keeps listening for its last answer (a requeue's summary).
    fn cancel_keep_pending(&mut self, id: RequestId) -> Request {
        self.next_id += 1;
        Request { id: RequestId(self.next_id), kind: RequestKind::Cancel { id } }
    }

    /// `a` in the explorer: the write actions of the selected topic or subscription.
    pub(super) fn open_actions(&mut self) -> Vec<Request> {
        let (topic, subscription) = match self.tree.selected_key() {
            Some(NodeKey::Subscription(t, s)) => (t, Some(s)),
            Some(NodeKey::Topic(t)) | Some(NodeKey::Partition(t)) => (t, None),
            _ => {
                self.set_status(Level::Error, "select a topic or a subscription for its actions".into());
                return Vec::new();
            }
        };
        let partitions = self.partitions_of(&topic);
        let items =
            if subscription.is_some() { ActionKind::ON_SUBSCRIPTION.to_vec() } else { ActionKind::ON_TOPIC.to_vec() };
        self.action =
            Some(ActionDialog { topic, subscription, partitions, stage: ActionStage::Menu { items, selected: 0 } });
        Vec::new()
    }

    /// Keys while the action dialog is open.
    pub(super) fn action_key(&mut self, k: &KeyEvent) -> Vec<Request> {
        let Some(mut d) = self.action.take() else { return Vec::new() };
        if k.code == KeyCode::Esc || (k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL)) {
            if let ActionStage::Running { .. } = d.stage {
                self.action = Some(d); // it is running: its answer closes the dialog
            }
            return Vec::new();
        }
        let now_ms = self.wall_now();
        let mut out = Vec::new();
        let next = match std::mem::replace(&mut d.stage, ActionStage::Menu { items: Vec::new(), selected: 0 }) {
            ActionStage::Menu { items, mut selected } => match k.code {
                KeyCode::Down | KeyCode::Char('j') => {
                    selected = (selected + 1).min(items.len().saturating_sub(1));
                    ActionStage::Menu { items, selected }
                }
                KeyCode::Up | KeyCode::Char('k') => {
                    selected = selected.saturating_sub(1);
                    ActionStage::Menu { items, selected }
                }
                KeyCode::Enter => {
                    let kind = items[selected];
                    if kind.prompt().is_some() {
                        ActionStage::Input { kind, input: LineInput::default(), error: None }
                    } else {
                        match WriteAction::build(kind, &d.topic, d.subscription.as_deref(), d.partitions, "", now_ms) {
                            Ok(action) => ActionStage::Confirm { action, typed: LineInput::default() },
                            Err(e) => ActionStage::Input { kind, input: LineInput::default(), error: Some(e) },
                        }
                    }
                }
                _ => ActionStage::Menu { items, selected },
            },
            ActionStage::Input { kind, mut input, error } => match k.code {
                KeyCode::Enter => {
                    match WriteAction::build(kind, &d.topic, d.subscription.as_deref(), d.partitions, &input, now_ms) {
                        Ok(action) => ActionStage::Confirm { action, typed: LineInput::default() },
                        Err(e) => ActionStage::Input { kind, input, error: Some(e) },
                    }
                }
                KeyCode::Backspace => {
                    input.key(k);
                    ActionStage::Input { kind, input, error }
                }
                KeyCode::Char(_) => {
                    input.key(k);
                    ActionStage::Input { kind, input, error: None }
                }
                _ => ActionStage::Input { kind, input, error },
            },
            ActionStage::Confirm { action, mut typed } => {
                let go = match (action.confirmation_text(), k.code) {
                    (Some(t), KeyCode::Enter) => typed == t,
                    (None, KeyCode::Enter | KeyCode::Char('y')) => true,
                    _ => false,
                };
                match k.code {
                    _ if go => {
                        let req = self.request(RequestKind::RunAction { action: action.clone() });
                        let id = req.id;
                        out.push(req);
                        ActionStage::Running { id, action }
                    }
                    KeyCode::Char('n') if action.confirmation_text().is_none() => return Vec::new(),
                    KeyCode::Backspace => {
                        typed.key(k);
                        ActionStage::Confirm { action, typed }
                    }
                    KeyCode::Char(_) if action.confirmation_text().is_some() => {
                        typed.key(k);
                        ActionStage::Confirm { action, typed }
                    }
                    _ => ActionStage::Confirm { action, typed },
                }
            }
            running @ ActionStage::Running { .. } => running,
        };
        d.stage = next;
        self.action = Some(d);
        out
    }

    /// An action finished (or failed): close the dialog, reload what it changed.
    pub(super) fn action_finished(&mut self, id: RequestId, result: Result<String, String>) -> Vec<Request> {
        let Some(d) = self.action.as_ref() else { return Vec::new() };
        let ActionStage::Running { id: running, action } = &d.stage else { return Vec::new() };
        if *running != id {
            return Vec::new();
        }
        let topic = d.topic.clone();
        let reload_subs =
            matches!(action, WriteAction::CreateSubscription { .. } | WriteAction::DeleteSubscription { .. });
        let reload_topics = matches!(action, WriteAction::IncreasePartitions { .. });
        self.action = None;
        match result {
            Ok(message) => self.set_status(Level::Info, message),
            Err(e) => {
                self.set_status(Level::Error, e);
                return Vec::new();
            }
        }
        let mut out = Vec::new();
        if reload_subs {
            out.push(self.request(RequestKind::ListSubscriptions { topic: topic.clone() }));
        }
        if reload_topics {
            out.push(self.request(RequestKind::ListTopics { namespace: topic.namespace_path() }));
        }
        self.details.key = None; // refetch the stats
        out.extend(self.sync_details());
        out
    }
}
