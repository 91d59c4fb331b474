//! The explorer's write-action dialog (`a`): menu → parameter → typed confirmation →
//! running; its answer closes it and reloads what the action changed.

use crossterm::event::{KeyCode, KeyEvent};

use super::input::LineInput;
use super::tree::NodeKey;
use super::{App, Level};
use crate::pulsar::actions::{ActionKind, WriteAction};
use crate::pulsar::request::{ExplorerRequest, Request, RequestId, RequestKind};
use crate::pulsar::TopicName;

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
    /// `a` in the explorer: the write actions of the selected topic or subscription.
    pub(super) fn open_actions(&mut self) -> Vec<Request> {
        let (topic, subscription) = match self.explorer.tree.selected_key() {
            Some(NodeKey::Subscription(t, s)) => (t, Some(s)),
            Some(NodeKey::Topic(t)) | Some(NodeKey::Partition(t)) => (t, None),
            _ => {
                self.set_status(Level::Error, "select a topic or a subscription for its actions".into());
                return Vec::new();
            }
        };
        let partitions = self.explorer.partitions_of(&topic);
        let items =
            if subscription.is_some() { ActionKind::ON_SUBSCRIPTION.to_vec() } else { ActionKind::ON_TOPIC.to_vec() };
        self.action =
            Some(ActionDialog { topic, subscription, partitions, stage: ActionStage::Menu { items, selected: 0 } });
        Vec::new()
    }

    /// Keys while the action dialog is open.
    pub(super) fn action_key(&mut self, k: &KeyEvent) -> Vec<Request> {
        let Some(mut d) = self.action.take() else { return Vec::new() };
        if k.code == KeyCode::Esc || super::input::is_interrupt(k) {
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
                    _ if go && self.switching.is_some() => {
                        self.set_status(Level::Error, "switching context: the action cannot run now".into());
                        ActionStage::Confirm { action, typed }
                    }
                    _ if go => {
                        let req =
                            self.request(RequestKind::Explorer(ExplorerRequest::RunAction { action: action.clone() }));
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
            out.push(self.request(RequestKind::Explorer(ExplorerRequest::ListSubscriptions { topic: topic.clone() })));
        }
        if reload_topics {
            out.push(
                self.request(RequestKind::Explorer(ExplorerRequest::ListTopics { namespace: topic.namespace_path() })),
            );
        }
        self.explorer.forget_details(); // refetch the stats
        out.extend(self.sync_details());
        out
    }
}
