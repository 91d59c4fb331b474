//! The transactions view (`T`, `:txn`): the coordinators, every open transaction (age,
//! timeout, state, the topics and subscriptions it touches; slow ones marked), and for the
//! selected one its first topic's transaction buffer: the max read position against the
//! last entry, i.e. how many entries it holds back from every reader, and the pending acks.
//! `A` aborts the selected transaction: a preview, then the transaction id typed to confirm.
//!
//! It also routes the browser's held-back question ([`TxnResponse::HeldBackFound`]).

use crossterm::event::{KeyCode, KeyEvent};

use super::input::LineInput;
use super::keys::Action;
use super::{App, Level, Next, View};
use crate::pulsar::request::{Request, RequestId, RequestKind};
use crate::pulsar::txn::{Overview, TopicTxns, TxnRequest, TxnResponse};
use crate::pulsar::{ClientError, TopicName};
use crate::txn::{TxnId, TxnInfo};

/// A transaction open longer than this is marked slow (the headless `--slow` default too).
pub const SLOW_AFTER_MS: u64 = 30_000;

#[derive(Debug, Default)]
pub struct TxnView {
    pub overview: Option<Overview>,
    /// When the overview arrived (epoch ms).
    pub fetched_ms: Option<i64>,
    pub in_flight: Option<RequestId>,
    pub error: Option<String>,
    pub selected: usize,
    /// The transaction buffer of the selected transaction's first topic (each partition).
    pub topic: Option<(TopicName, Vec<TopicTxns>)>,
    pub topic_in_flight: Option<RequestId>,
    pub topic_error: Option<String>,
    /// The abort dialog.
    pub abort: Option<AbortDialog>,
    /// The view to go back to.
    pub back: Option<View>,
    /// The transaction to select once the list arrives (opened from a health finding).
    pub want: Option<TxnId>,
}

#[derive(Debug, Clone)]
pub struct AbortDialog {
    pub txn: TxnInfo,
    pub typed: LineInput,
    /// The abort request, once confirmed.
    pub running: Option<RequestId>,
}

impl AbortDialog {
    /// The typed text confirms when it names the transaction (`(0,2)`, `0,2` or `0:2`).
    pub fn confirmed(&self) -> bool {
        TxnId::parse(self.typed.as_str()).is_ok_and(|t| t == self.txn.id)
    }
}

impl TxnView {
    pub fn open_txns(&self) -> &[TxnInfo] {
        self.overview.as_ref().map_or(&[], |o| o.open.as_slice())
    }

    pub fn selected_txn(&self) -> Option<&TxnInfo> {
        self.open_txns().get(self.selected)
    }

    /// The topic the selected transaction touches first (produced to, else acknowledged on),
    /// as the parent of a partition.
    pub fn selected_topic(&self) -> Option<TopicName> {
        let t = self.selected_txn()?;
        let name = t.produced.first().map(|p| p.topic.as_str()).or(t.acked.first().map(|(t, _)| t.as_str()))?;
        TopicName::parse(name).ok().map(|t| t.parent())
    }

    fn refresh(&mut self, requests: &mut super::pending::Requests) -> Vec<Request> {
        if self.in_flight.is_some() {
            return Vec::new();
        }
        let r = requests.request(RequestKind::Txn(TxnRequest::List { older_than_ms: 0 }));
        self.in_flight = Some(r.id);
        vec![r]
    }

    /// Asks for the selected transaction's topic, unless it is the one shown.
    fn follow_selection(&mut self, requests: &mut super::pending::Requests, force: bool) -> Vec<Request> {
        let Some(topic) = self.selected_topic() else {
            self.topic = None;
            return Vec::new();
        };
        if !force && self.topic.as_ref().is_some_and(|(t, _)| *t == topic) {
            return Vec::new();
        }
        let r = requests.request(RequestKind::Txn(TxnRequest::Topic { topic }));
        self.topic_in_flight = Some(r.id);
        vec![r]
    }

    fn listed(&mut self, id: RequestId, overview: Overview, now_ms: i64) {
        if self.in_flight != Some(id) {
            return;
        }
        self.in_flight = None;
        self.error = None;
        let keep = self.want.take().or(self.selected_txn().map(|t| t.id));
        let at = keep.and_then(|k| overview.open.iter().position(|t| t.id == k));
        self.selected = at.unwrap_or(self.selected).min(overview.open.len().saturating_sub(1));
        self.overview = Some(overview);
        self.fetched_ms = Some(now_ms);
    }

    fn update(&mut self, action: Action, page: isize, requests: &mut super::pending::Requests) -> Next {
        if let Some(delta) = super::list::step(action, page) {
            self.selected = super::list::moved(self.selected, self.open_txns().len(), delta);
            return Next::Stay(self.follow_selection(requests, false));
        }
        match action {
            Action::Back | Action::OpenTxn => Next::Leave,
            Action::Refresh => {
                let mut out = self.refresh(requests);
                out.extend(self.follow_selection(requests, true));
                Next::Stay(out)
            }
            Action::Open => match self.selected_topic() {
                Some(t) => Next::Browse(t),
                None => Next::Stay(Vec::new()),
            },
            Action::AbortTxn => {
                if let Some(t) = self.selected_txn() {
                    self.abort = Some(AbortDialog { txn: t.clone(), typed: LineInput::default(), running: None });
                }
                Next::Stay(Vec::new())
            }
            _ => Next::Stay(Vec::new()),
        }
    }
}

impl App {
    /// Opens the transactions view and asks for the coordinators and open transactions.
    pub(super) fn open_txn(&mut self) -> Vec<Request> {
        if self.view != View::Txn {
            self.txn.back = Some(self.view);
        }
        self.view = View::Txn;
        self.show_help = false;
        let mut out = self.txn.refresh(&mut self.requests);
        out.extend(self.txn.follow_selection(&mut self.requests, true));
        out
    }

    /// Opens the transactions view with `txn` selected once listed (a health finding's Enter).
    pub(super) fn open_txn_at(&mut self, txn: Option<TxnId>) -> Vec<Request> {
        self.txn.want = txn;
        self.open_txn()
    }

    pub(super) fn txn_update(&mut self, action: Action) -> Vec<Request> {
        let page = self.page_rows.max(1) as isize;
        let next = self.txn.update(action, page, &mut self.requests);
        let back = self.txn.back.filter(|v| *v != View::Txn).unwrap_or(View::Explorer);
        self.carry_out(next, back)
    }

    pub(super) fn txn_response(&mut self, id: RequestId, response: TxnResponse) -> Vec<Request> {
        let now = self.wall_now();
        match response {
            TxnResponse::Listed { overview } => {
                self.txn.listed(id, *overview, now);
                self.txn.follow_selection(&mut self.requests, false)
            }
            TxnResponse::TopicInspected { topic, parts } => {
                if self.txn.topic_in_flight == Some(id) {
                    self.txn.topic_in_flight = None;
                    self.txn.topic_error = None;
                    self.txn.topic = Some((topic, parts));
                }
                Vec::new()
            }
            TxnResponse::Shown { .. } => Vec::new(),
            TxnResponse::HeldBackFound { topic, held_back } => match self.browser_ctx() {
                Some((b, mut ctx)) => b.held_back_found(id, &topic, held_back, &mut ctx),
                None => Vec::new(),
            },
            TxnResponse::Aborted { txn } => {
                if self.txn.abort.as_ref().is_some_and(|d| d.running == Some(id)) {
                    self.txn.abort = None;
                }
                self.set_status(Level::Info, format!("transaction {txn} aborted"));
                let mut out = self.txn.refresh(&mut self.requests);
                out.extend(self.txn.follow_selection(&mut self.requests, true));
                out
            }
        }
    }

    pub(super) fn txn_failed(&mut self, id: RequestId, error: &ClientError) {
        if self.txn.in_flight == Some(id) {
            self.txn.in_flight = None;
            self.txn.error = Some(error.to_string());
        }
        if self.txn.topic_in_flight == Some(id) {
            self.txn.topic_in_flight = None;
            self.txn.topic_error = Some(error.to_string());
        }
        if self.txn.abort.as_ref().is_some_and(|d| d.running == Some(id)) {
            self.txn.abort = None;
        }
        if let Some(b) = self.browser.as_mut() {
            b.held_back_failed(id);
        }
    }

    /// Keys while the abort dialog is open: the transaction id typed, Enter aborts; Esc closes.
    pub(super) fn txn_abort_key(&mut self, k: &KeyEvent) -> Vec<Request> {
        let Some(mut d) = self.txn.abort.take() else { return Vec::new() };
        if d.running.is_some() {
            self.txn.abort = Some(d); // its answer closes the dialog
            return Vec::new();
        }
        match k.code {
            KeyCode::Esc => return Vec::new(),
            _ if super::input::is_interrupt(k) => return Vec::new(),
            KeyCode::Enter if d.confirmed() => {
                if self.switching.is_some() {
                    self.set_status(Level::Error, "switching context: the abort cannot run now".into());
                    self.txn.abort = Some(d);
                    return Vec::new();
                }
                let r = self.request(RequestKind::Txn(TxnRequest::Abort { txn: d.txn.id }));
                d.running = Some(r.id);
                self.txn.abort = Some(d);
                return vec![r];
            }
            KeyCode::Enter => {}
            _ => {
                d.typed.key(k);
            }
        }
        self.txn.abort = Some(d);
        Vec::new()
    }
}
