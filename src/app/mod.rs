//! The one owner of UI state. [`App::handle`] is synchronous, never awaits and never reads
//! the clock (the time comes with the events): it turns an [`Event`] into state changes plus
//! the [`Request`]s the worker should run.
//!
//! This file dispatches: keys go to the open prompt or dialog, else through the keymap to
//! [`App::update`], which handles the global actions (quit, help, palette, switching view)
//! once and hands the rest to the view shown; answers go to the view that asked (by the
//! request's tag, `pending.rs`). Each view is one file, the one to read to understand it:
//!
//! - `explorer.rs`: the tree, the details pane, the tree filter, jumps to a topic;
//! - `browser/`: the message browser's model (`mod.rs`) and controller (`controller.rs`:
//!   reads, follow mode, scans, its prompts);
//! - `schema.rs`, `metrics.rs`: the schema and live metrics views;
//! - `dlq.rs`: the DLQ view and the requeue dialog; `actions.rs`: the write-action dialog;
//! - `commands.rs`: the `:` palette's commands and the context switch;
//! - `connection.rs`: the ticks, the broker's reachability and what a reconnection reloads;
//! - `input.rs`: the line editor of every prompt; `pending.rs`: request ids and what is in
//!   flight; `keys.rs`, `mouse.rs`: the keymap and the mouse.

pub mod actions;
pub mod browser;
mod commands;
pub mod compose;
mod connection;
mod ctx;
pub mod dlq;
pub mod explorer;
pub mod health;
pub mod input;
pub mod keys;
pub mod list;
pub mod metrics;
pub mod mouse;
mod next;
pub mod palette;
mod pending;
pub mod policies;
pub mod replication;
pub mod schema;
mod settings;
pub mod tree;
pub mod txn;
mod views;

use std::collections::HashMap;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, MouseEvent};

use crate::pulsar::request::{
    ExplorerRequest, ExplorerResponse, Request, RequestId, RequestKind, Response, ResponseKind,
};
use crate::pulsar::ClientError;
use browser::Browser;
pub use connection::Connection;
pub use explorer::{Details, Explorer};
use input::LineInput;
use keys::Action;
pub(crate) use next::Next;
use pending::{Pending, Requests, Tag};
pub use settings::Settings;
pub use views::View;

/// Everything the app reacts to.
#[derive(Debug, Clone)]
pub enum Event {
    Key(KeyEvent),
    /// A click or a wheel notch (where the rows are: [`App::hits`]).
    Mouse(MouseEvent),
    /// New terminal size (columns, rows).
    Resize(u16, u16),
    /// Time passes: ages, refreshes, reconnect probes.
    Tick(Instant),
    Response(Response),
    /// The runtime carried out the context switch asked for ([`App::take_context_switch`]):
    /// the new context's settings, its client already in the worker, or why it could not.
    ContextSwitched {
        name: String,
        result: Result<Settings, String>,
    },
    /// The runtime ran `$EDITOR` for the compose dialog ([`App::take_edit`]): the text saved.
    Edited(Result<String, String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Explorer,
    Details,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Typing a filter; the tree follows every keystroke.
    Filter {
        input: LineInput,
    },
    /// Typing where the browser should start reading.
    StartPrompt {
        input: LineInput,
    },
    /// Typing a CEL filter for a scan of the browsed topic.
    ScanPrompt {
        input: LineInput,
    },
    /// Typing a "decode as…" choice for the browsed topic.
    DecodePrompt {
        input: LineInput,
    },
    /// The `:` command palette.
    Palette(palette::Palette),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusMessage {
    pub text: String,
    pub level: Level,
    pub at: Instant,
}

pub struct App {
    pub settings: Settings,
    pub view: View,
    pub browser: Option<Browser>,
    pub metrics: metrics::MetricsView,
    pub health: health::HealthView,
    /// The transactions view (`T`).
    pub txn: txn::TxnView,
    /// The policies view (`P`).
    pub policies: policies::PoliciesView,
    /// Geo-replication of the topic in the details pane, and the replication check.
    pub replication: replication::ReplicationView,
    pub schema: Option<schema::SchemaView>,
    pub dlq: Option<dlq::DlqView>,
    /// The requeue dialog, over any view.
    pub requeue: Option<dlq::RequeueDialog>,
    /// The write-action dialog of the explorer.
    pub action: Option<dlq::ActionDialog>,
    /// The compose dialog (`n`), over any view.
    pub compose: Option<compose::ComposeDialog>,
    /// "Decode as…" choices by topic (partitioned parent), kept while the app runs.
    pub decode_as: HashMap<String, crate::decode::DecodeAs>,
    /// Schema versions by topic (parent name), for the browser's Schema tab.
    pub schemas: HashMap<String, Vec<crate::decode::SchemaInfo>>,
    /// The view to go back to from the schema view.
    schema_return: View,
    /// The tree, the details pane and a jump on its way.
    pub explorer: Explorer,
    pub focus: Focus,
    pub mode: Mode,
    pub show_help: bool,
    /// The first line of the help popup shown (it scrolls on small terminals).
    pub help_scroll: u16,
    /// The effective key bindings (default keymap + the user's keymap file).
    pub keymap: keys::Keymap,
    /// Where the last frame drew its rows (set by the runtime after each draw).
    pub hits: mouse::Hits,
    pub connection: Connection,
    pub cluster: Option<String>,
    pub broker_version: Option<String>,
    pub status: Option<StatusMessage>,
    /// The time of the last tick; render uses it for ages, so snapshots are deterministic.
    pub now: Instant,
    /// Wall-clock milliseconds at the last tick (relative message times).
    pub wall_ms: i64,
    /// The wall clock at one instant: with `now` (moved by events) it gives the wall clock
    /// without reading it in `handle`.
    wall_anchor: (Instant, i64),
    /// The time of the last tick (ages in the status bar move once a second).
    last_tick: Instant,
    pub last_refresh: Option<Instant>,
    /// Rows of the tree viewport (for PgUp/PgDn).
    pub page_rows: usize,
    /// Request ids and the requests in flight (answers to other ids are dropped).
    requests: Requests,
    /// Text to put on the clipboard (OSC 52), taken by the runtime before the next draw.
    clipboard: Option<String>,
    probe: Option<(RequestId, Instant)>,
    /// A context switch for the runtime to carry out (it builds the new client).
    switch_to: Option<String>,
    /// The context switch the runtime is carrying out (the old context's client still
    /// serves meanwhile, and is aborted when the new one is in: no requeue or write action
    /// starts until then).
    switching: Option<String>,
    /// How many times the context was switched.
    pub generation: u64,
    quit: bool,
    dirty: bool,
}

impl App {
    pub fn new(settings: Settings, now: Instant) -> App {
        let metrics = metrics::MetricsView::new(settings.metrics_window.as_millis() as u64);
        let health = health::HealthView::new((*settings.health).clone());
        App {
            view: settings.start_view,
            settings,
            health,
            txn: txn::TxnView::default(),
            policies: policies::PoliciesView::default(),
            replication: replication::ReplicationView::default(),
            browser: None,
            metrics,
            schema: None,
            dlq: None,
            requeue: None,
            action: None,
            compose: None,
            decode_as: HashMap::new(),
            schemas: HashMap::new(),
            schema_return: View::Explorer,
            explorer: Explorer::default(),
            focus: Focus::Explorer,
            mode: Mode::Normal,
            show_help: false,
            help_scroll: 0,
            keymap: keys::Keymap::default(),
            hits: mouse::Hits::default(),
            connection: Connection::Connecting,
            cluster: None,
            broker_version: None,
            status: None,
            now,
            wall_ms: 0,
            wall_anchor: (now, chrono::Utc::now().timestamp_millis()),
            last_tick: now,
            last_refresh: None,
            page_rows: 20,
            requests: Requests::default(),
            clipboard: None,
            probe: None,
            switch_to: None,
            switching: None,
            generation: 0,
            quit: false,
            dirty: true,
        }
    }

    /// The first requests: who is the cluster, and its tenants.
    pub fn start(&mut self) -> Vec<Request> {
        let probe = self.request(RequestKind::Explorer(ExplorerRequest::FetchClusterInfo));
        self.probe = Some((probe.id, self.now));
        let scrape = self.scrape_request();
        vec![probe, self.request(RequestKind::Explorer(ExplorerRequest::ListTenants)), scrape]
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// True once after anything visible changed.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    fn cancel(&mut self, id: RequestId) -> Request {
        self.requests.cancel(id)
    }

    /// Wall-clock milliseconds at `now` (the latest time an event carried).
    pub(crate) fn wall_now(&self) -> i64 {
        let (at, wall) = self.wall_anchor;
        wall + self.now.saturating_duration_since(at).as_millis() as i64
    }

    /// The text the user asked to copy, once.
    pub fn take_clipboard(&mut self) -> Option<String> {
        self.clipboard.take()
    }

    pub fn pending_requests(&self) -> usize {
        self.requests.len()
    }

    fn request(&mut self, kind: RequestKind) -> Request {
        self.requests.request(kind)
    }

    fn set_status(&mut self, level: Level, text: String) {
        self.status = Some(StatusMessage { text, level, at: self.now });
    }

    /// [`App::handle`] of an event that happened at `now` (the runtime's clock): `now` moves
    /// forward before the event is handled, so nothing in `handle` reads the clock.
    pub fn handle_at(&mut self, now: Instant, event: Event) -> Vec<Request> {
        if !matches!(event, Event::Tick(_)) {
            self.now = self.now.max(now);
        }
        self.handle(event)
    }

    pub fn handle(&mut self, event: Event) -> Vec<Request> {
        match event {
            Event::Key(k) if k.kind != KeyEventKind::Release => {
                self.dirty = true;
                self.on_key(k)
            }
            Event::Key(_) => Vec::new(),
            Event::Mouse(m) => self.on_mouse(m),
            Event::Resize(_, rows) => {
                self.page_rows = (rows as usize).saturating_sub(6).max(1);
                self.dirty = true;
                Vec::new()
            }
            Event::Tick(now) => self.on_tick(now),
            Event::Response(r) => self.on_response(r),
            Event::ContextSwitched { result: Ok(settings), .. } => self.switch_context(settings),
            Event::ContextSwitched { name, result: Err(e) } => {
                self.context_switch_failed(&name, &e);
                Vec::new()
            }
            Event::Edited(result) => {
                self.dirty = true;
                self.compose_edited(result)
            }
        }
    }

    fn on_key(&mut self, k: KeyEvent) -> Vec<Request> {
        // a prompt takes every key but Ctrl+C, which quits from any of them
        if self.mode != Mode::Normal && input::is_interrupt(&k) {
            self.quit = true;
            return Vec::new();
        }
        match (&self.mode, self.view) {
            (Mode::Filter { .. }, View::Metrics) => return self.metrics_filter_key(&k),
            (Mode::Filter { .. }, _) => return self.explorer_filter_key(&k),
            (Mode::Palette(_), _) => return self.palette_key(&k),
            (Mode::ScanPrompt { .. } | Mode::StartPrompt { .. } | Mode::DecodePrompt { .. }, _) => {
                return self.browser_prompt_key(&k)
            }
            (Mode::Normal, _) => {}
        }
        if self.requeue.is_some() {
            return self.requeue_key(&k);
        }
        if self.view == View::Policies && self.policies.dialog.is_some() {
            return self.policies_key(&k);
        }
        if self.action.is_some() {
            return self.action_key(&k);
        }
        if self.compose.is_some() {
            return self.compose_key(&k);
        }
        if self.txn.abort.is_some() {
            return self.txn_abort_key(&k);
        }
        if self.show_help {
            self.help_key(&k);
            return Vec::new();
        }
        match self.keymap.resolve(self.key_context(), &k) {
            Some(a) => self.update(a),
            None => Vec::new(),
        }
    }

    /// Keys while the help popup is open: any of these closes it; the moves scroll it;
    /// other keys are ignored.
    fn help_key(&mut self, k: &KeyEvent) {
        let most = self.keymap.bindings().count() as u16;
        let page = self.page_rows.max(1) as u16;
        match k.code {
            KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') | KeyCode::Enter => {
                self.show_help = false;
                self.help_scroll = 0;
            }
            KeyCode::Char('j') | KeyCode::Down => self.help_scroll = (self.help_scroll + 1).min(most),
            KeyCode::Char('k') | KeyCode::Up => self.help_scroll = self.help_scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => self.help_scroll = (self.help_scroll + page).min(most),
            KeyCode::PageUp => self.help_scroll = self.help_scroll.saturating_sub(page),
            KeyCode::Char('g') | KeyCode::Home => self.help_scroll = 0,
            KeyCode::Char('G') | KeyCode::End => self.help_scroll = most,
            _ => {}
        }
    }

    /// Applies one user intent: the global ones here, once; the rest by the view shown.
    pub fn update(&mut self, action: Action) -> Vec<Request> {
        self.dirty = true;
        match action {
            Action::Quit => {
                self.quit = true;
                return self.settle_view();
            }
            Action::ToggleHelp => {
                self.show_help = !self.show_help;
                return self.settle_view();
            }
            Action::Palette => {
                self.open_palette();
                return Vec::new();
            }
            Action::ToggleMetrics if self.view != View::Metrics => {
                self.view = View::Metrics;
                return Vec::new();
            }
            Action::OpenSchema if self.view != View::Schema => {
                return match self.current_topic() {
                    Some(t) => self.open_schema(t),
                    None => {
                        self.set_status(Level::Error, "select a topic to see its schema".into());
                        Vec::new()
                    }
                };
            }
            Action::OpenDlq if self.view != View::Dlq => return self.open_dlq(),
            Action::OpenHealth if self.view != View::Health => return self.open_health(),
            Action::OpenTxn if self.view != View::Txn => return self.open_txn(),
            Action::OpenPolicies if self.view != View::Policies => return self.open_policies(None),
            Action::Compose => return self.open_compose(),
            Action::Resend if self.view == View::Browser => return self.open_resend(),
            Action::FixRequeue if self.view == View::Browser => return self.open_fix(),
            Action::ResendMatches if self.view == View::Browser => return self.open_resend_matches(),
            Action::OtherCluster | Action::CheckReplication => return self.replication_update(action),
            _ => {}
        }
        match self.view {
            View::Schema => self.schema_update(action),
            View::Dlq => self.dlq_update(action),
            View::Browser => self.browser_update(action),
            View::Metrics => self.metrics_update(action),
            View::Explorer => self.explorer_update(action),
            View::Health => self.health_update(action),
            View::Txn => self.txn_update(action),
            View::Policies => self.policies_update(action),
        }
    }

    /// What a view does after any action (a global one included): the browser loads the
    /// page the selection needs, the details pane follows the tree's selection.
    fn settle_view(&mut self) -> Vec<Request> {
        match self.view {
            View::Browser if self.browser.is_some() => self.browser_load(),
            View::Explorer => self.sync_details(),
            _ => Vec::new(),
        }
    }

    /// Routes an answer to the view that asked (answers to unknown ids are dropped).
    fn on_response(&mut self, r: Response) -> Vec<Request> {
        let Some(pending) = self.requests.answered(&r) else {
            return Vec::new(); // unknown, cancelled or already answered
        };
        self.dirty = true;
        let mut out = Vec::new();
        match r.kind {
            ResponseKind::Failed { error } => {
                out.extend(self.on_failure(r.id, pending, error));
            }
            ok => {
                out.extend(self.connected());
                self.last_refresh = Some(self.now);
                out.extend(self.apply(r.id, ok));
            }
        }
        out
    }

    fn apply(&mut self, id: RequestId, kind: ResponseKind) -> Vec<Request> {
        match kind {
            ResponseKind::Explorer(ExplorerResponse::ClusterInfoFetched { clusters, version }) => {
                self.cluster = clusters.into_iter().next();
                self.broker_version = Some(version);
                self.explorer_settle()
            }
            ResponseKind::Explorer(ExplorerResponse::ActionDone { message }) => self.action_finished(id, Ok(message)),
            ResponseKind::Explorer(r) => {
                let mut out = self.replication_follow(&r);
                let (e, mut ctx) = self.explorer_ctx();
                out.extend(e.on_response(id, r, &mut ctx));
                out
            }
            ResponseKind::Browse(r) => self.browser_response(id, r),
            ResponseKind::Schema(r) => {
                self.schema_response(id, r);
                Vec::new()
            }
            ResponseKind::Metrics(crate::pulsar::request::MetricsResponse::Scraped { snapshot, at_ms }) => {
                let out = self.health_scraped(id, &snapshot, at_ms);
                self.metrics_scraped(id, *snapshot, at_ms);
                out
            }
            ResponseKind::Policies(r) => self.policies_response(id, r),
            ResponseKind::Produce(r) => {
                self.compose_response(id, r);
                Vec::new()
            }
            ResponseKind::Txn(r) => self.txn_response(id, r),
            ResponseKind::Health(r) => {
                self.health_response(id, r);
                Vec::new()
            }
            ResponseKind::Replication(r) => {
                self.replication_response(id, r);
                Vec::new()
            }
            ResponseKind::Dlq(r) => {
                self.dlq_response(id, r);
                Vec::new()
            }
            ResponseKind::Failed { .. } => self.explorer_settle(),
        }
    }

    /// A request failed: the connection may be down, the view that asked shows why.
    fn on_failure(&mut self, id: RequestId, request: Pending, error: ClientError) -> Vec<Request> {
        if error.is_connectivity() {
            self.connection_lost(id, &error);
        }
        let text = format!("{}: {error}", request.what);
        match request.tag {
            Tag::Cancel => {}
            Tag::Schema => self.schemas_failed(id, &error),
            Tag::Metrics => self.metrics_failed(id, &error),
            Tag::Health => self.health_failed(id, &error),
            Tag::Txn => self.txn_failed(id, &error),
            Tag::Policies => self.policies_failed(id, &error),
            Tag::Produce => self.compose_failed(id, &error),
            Tag::Replication => self.replication_failed(id, &error),
            Tag::Browse => self.browser_failed(id, &error),
            Tag::Dlq { .. } => self.dlq_failed(id, &error),
            Tag::Explorer(ExplorerRequest::RunAction { .. }) => {
                let text = format!("refused or failed: {error}");
                let out = self.action_finished(id, Err(text.clone()));
                self.set_status(Level::Error, text);
                return out;
            }
            Tag::Explorer(r) => self.explorer.on_failure(id, r, &error, self.now),
        }
        if !error.is_connectivity() {
            self.explorer.cancel_jump();
        }
        self.set_status(Level::Error, text);
        self.sync_details()
    }
}
