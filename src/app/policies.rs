//! The policies view (`P` on a namespace or topic of the explorer, `:policies`): every
//! policy with its effective value and where it comes from, the capacity estimates, and
//! the edit dialog (value → before → after and who it affects → a typed name when the
//! change can drop data → applied, then read again).

use crossterm::event::{KeyCode, KeyEvent};

use super::input::{Edit as InputEdit, LineInput};
use super::keys::Action;
use super::pending::Requests;
use super::tree::NodeKey;
use super::{App, Level, View};
use crate::policies::capacity::{self, Estimate};
use crate::policies::edit::{EditKey, Preview};
use crate::policies::{Effective, Target};
use crate::pulsar::policies::{Edit, PoliciesRequest, PoliciesResponse, Snapshot};
use crate::pulsar::request::{Request, RequestId, RequestKind};
use crate::pulsar::ClientError;

#[derive(Debug, Default)]
pub struct PoliciesView {
    pub target: Option<Target>,
    pub snapshot: Option<Snapshot>,
    pub loading: Option<RequestId>,
    pub error: Option<String>,
    pub selected: usize,
    /// The rate (msg/s) the partition estimate aims at (`t`).
    pub target_rate: Option<f64>,
    pub dialog: Option<PolicyDialog>,
    /// The view to go back to.
    pub back: Option<View>,
}

/// The edit dialog over the policies view.
#[derive(Debug, Clone)]
pub struct PolicyDialog {
    pub stage: Stage,
    pub error: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Stage {
    /// Typing a new value of `keys[key]` (Tab: the policy's next field).
    Value {
        keys: Vec<EditKey>,
        key: usize,
        input: LineInput,
    },
    /// Typing the target rate of the partition estimate.
    TargetRate {
        input: LineInput,
    },
    /// Before → after; `typed` is the name typed when the change can drop data.
    Confirm {
        edit: Edit,
        preview: Box<Preview>,
        typed: LineInput,
    },
    Running {
        id: RequestId,
        preview: Box<Preview>,
    },
}

impl PoliciesView {
    pub fn policies(&self) -> &[Effective] {
        self.snapshot.as_ref().map(|s| s.effective.policies.as_slice()).unwrap_or(&[])
    }

    pub fn selected_policy(&self) -> Option<&Effective> {
        self.policies().get(self.selected)
    }

    /// The capacity estimates of the latest snapshot.
    pub fn estimates(&self) -> Vec<Estimate> {
        self.snapshot
            .as_ref()
            .map(|s| capacity::for_target(&s.effective, &s.samples, self.target_rate))
            .unwrap_or_default()
    }

    fn fetch(&mut self, requests: &mut Requests) -> Vec<Request> {
        let Some(target) = self.target.clone() else { return Vec::new() };
        let r = requests.request(RequestKind::Policies(PoliciesRequest::Fetch { target }));
        self.loading = Some(r.id);
        vec![r]
    }

    /// The keys of the view (the dialog's keys go to [`PoliciesView::dialog_key`]).
    pub(super) fn update(&mut self, action: Action, requests: &mut Requests, page: usize) -> Option<Vec<Request>> {
        let n = self.policies().len();
        if let Some(d) = super::list::step(action, page as isize) {
            self.selected = super::list::moved(self.selected, n, d);
            return Some(Vec::new());
        }
        match action {
            Action::Refresh => Some(self.fetch(requests)),
            Action::EditPolicy => {
                let Some(p) = self.selected_policy() else { return Some(Vec::new()) };
                let keys: Vec<EditKey> = EditKey::ALL.into_iter().filter(|k| k.policy() == p.key).collect();
                if keys.is_empty() {
                    self.error = Some(format!("{} is shown, not edited here (editable: TTL, retention, backlog quotas, unacked limits, dispatch and publish rates, compaction, schema compatibility, deduplication)", p.key));
                    return Some(Vec::new());
                }
                self.error = None;
                self.dialog = Some(PolicyDialog {
                    stage: Stage::Value { keys, key: 0, input: LineInput::default() },
                    error: None,
                });
                Some(Vec::new())
            }
            Action::RemovePolicy => {
                let (Some(p), Some(t), Some(s)) =
                    (self.selected_policy(), self.target.as_ref(), self.snapshot.as_ref())
                else {
                    return Some(Vec::new());
                };
                let edit = Edit::Remove { key: p.key.to_string() };
                match edit.preview(t, s) {
                    Ok(preview) => {
                        self.error = None;
                        self.dialog = Some(PolicyDialog {
                            stage: Stage::Confirm { edit, preview: Box::new(preview), typed: LineInput::default() },
                            error: None,
                        });
                    }
                    Err(e) => self.error = Some(e),
                }
                Some(Vec::new())
            }
            Action::TargetRate => {
                let input = LineInput::new(self.target_rate.map(|r| r.to_string()).unwrap_or_default());
                self.dialog = Some(PolicyDialog { stage: Stage::TargetRate { input }, error: None });
                Some(Vec::new())
            }
            _ => None,
        }
    }

    /// Keys while the dialog is open.
    pub(super) fn dialog_key(&mut self, k: &KeyEvent, requests: &mut Requests) -> Vec<Request> {
        let Some(mut d) = self.dialog.take() else { return Vec::new() };
        if k.code == KeyCode::Esc {
            if let Stage::Running { .. } = d.stage {
                self.dialog = Some(d); // its answer closes it
            }
            return Vec::new();
        }
        let (Some(target), Some(snap)) = (self.target.clone(), self.snapshot.as_ref()) else { return Vec::new() };
        match &mut d.stage {
            Stage::Value { keys, key, input } => {
                if k.code == KeyCode::Tab {
                    *key = (*key + 1) % keys.len();
                    d.error = None;
                } else if input.key(k) == InputEdit::Submit {
                    let edit = Edit::Set { key: keys[*key], value: input.trimmed() };
                    match edit.preview(&target, snap) {
                        Ok(p) => {
                            d.stage = Stage::Confirm { edit, preview: Box::new(p), typed: LineInput::default() };
                            d.error = None;
                        }
                        Err(e) => d.error = Some(e),
                    }
                }
            }
            Stage::TargetRate { input } => {
                if input.key(k) == InputEdit::Submit {
                    let text = input.trimmed();
                    match text.parse::<f64>() {
                        Ok(r) if r > 0.0 => {
                            self.target_rate = Some(r);
                            return Vec::new();
                        }
                        _ if text.is_empty() => {
                            self.target_rate = None;
                            return Vec::new();
                        }
                        _ => d.error = Some(format!("{text:?}: a rate in messages per second")),
                    }
                }
            }
            Stage::Confirm { edit, preview, typed } => {
                let submitted = match &preview.confirm {
                    Some(_) => typed.key(k) == InputEdit::Submit,
                    None => matches!(k.code, KeyCode::Enter | KeyCode::Char('y')),
                };
                if submitted {
                    if let Some(name) = &preview.confirm {
                        if typed.trimmed() != *name {
                            d.error = Some(format!("type {name} to confirm: this change can drop data"));
                            self.dialog = Some(d);
                            return Vec::new();
                        }
                    }
                    let r = requests.request(RequestKind::Policies(PoliciesRequest::Apply {
                        target,
                        edit: edit.clone(),
                        confirmed: preview.confirm.as_ref().map(|_| typed.trimmed()),
                    }));
                    d.stage = Stage::Running { id: r.id, preview: preview.clone() };
                    self.dialog = Some(d);
                    return vec![r];
                }
            }
            Stage::Running { .. } => {}
        }
        self.dialog = Some(d);
        Vec::new()
    }

    pub(super) fn on_response(
        &mut self,
        id: RequestId,
        r: PoliciesResponse,
        requests: &mut Requests,
    ) -> (Vec<Request>, Option<String>) {
        match r {
            PoliciesResponse::Fetched { target, snapshot } => {
                if self.loading == Some(id) && self.target.as_ref() == Some(&target) {
                    self.loading = None;
                    self.snapshot = Some(*snapshot);
                    self.selected = self.selected.min(self.policies().len().saturating_sub(1));
                }
                (Vec::new(), None)
            }
            PoliciesResponse::Applied { preview, .. } => {
                if matches!(&self.dialog, Some(PolicyDialog { stage: Stage::Running { id: running, .. }, .. }) if *running == id)
                {
                    self.dialog = None;
                }
                let text = format!("{}: {} → {} ({})", preview.key, preview.before, preview.after, preview.target);
                (self.fetch(requests), Some(text))
            }
            PoliciesResponse::Previewed { .. } => (Vec::new(), None),
        }
    }

    pub(super) fn on_failure(&mut self, id: RequestId, error: &ClientError) {
        if self.loading == Some(id) {
            self.loading = None;
            self.error = Some(error.to_string());
        }
        if let Some(PolicyDialog { stage: Stage::Running { id: running, .. }, error: e }) = &mut self.dialog {
            if *running == id {
                *e = Some(format!("refused or failed: {error}"));
            }
        }
    }
}

impl App {
    /// `P` in the explorer, `:policies`: the policies of the selected namespace or topic.
    pub(super) fn open_policies(&mut self, target: Option<Target>) -> Vec<Request> {
        let target = target.or_else(|| match self.explorer.tree.selected_key() {
            Some(NodeKey::Namespace(ns)) => Some(Target::Namespace(ns)),
            Some(NodeKey::Topic(t)) | Some(NodeKey::Partition(t)) | Some(NodeKey::Subscription(t, _)) => {
                Some(Target::Topic(t.parent()))
            }
            _ => self.current_topic().map(|t| Target::Topic(t.parent())),
        });
        let Some(target) = target else {
            self.set_status(Level::Error, "select a namespace or a topic to see its policies".into());
            return Vec::new();
        };
        let p = &mut self.policies;
        if p.target.as_ref() != Some(&target) {
            p.snapshot = None;
            p.selected = 0;
        }
        p.target = Some(target);
        p.error = None;
        p.dialog = None;
        if self.view != View::Policies {
            p.back = Some(self.view);
        }
        self.view = View::Policies;
        self.policies.fetch(&mut self.requests)
    }

    pub(super) fn policies_update(&mut self, action: Action) -> Vec<Request> {
        let page = self.page_rows;
        if let Some(out) = self.policies.update(action, &mut self.requests, page) {
            return out;
        }
        if action == Action::Back {
            self.view = self.policies.back.take().unwrap_or(View::Explorer);
        }
        Vec::new()
    }

    pub(super) fn policies_key(&mut self, k: &KeyEvent) -> Vec<Request> {
        self.policies.dialog_key(k, &mut self.requests)
    }

    pub(super) fn policies_response(&mut self, id: RequestId, r: PoliciesResponse) -> Vec<Request> {
        let (out, done) = self.policies.on_response(id, r, &mut self.requests);
        if let Some(text) = done {
            self.set_status(Level::Info, text);
        }
        out
    }

    pub(super) fn policies_failed(&mut self, id: RequestId, error: &ClientError) {
        self.policies.on_failure(id, error);
    }
}
