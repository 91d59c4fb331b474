//! The one owner of UI state. [`App::handle`] is synchronous and never awaits: it turns
//! an [`Event`] into state changes plus the [`Request`]s the worker should run.

pub mod browser;
mod commands;
pub mod dlq;
pub mod input;
pub mod keys;
pub mod metrics;
pub mod mouse;
pub mod palette;
mod pending;
pub mod schema;
pub mod tree;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, MouseEvent};

use crate::pulsar::message::StartFrom;
use crate::pulsar::request::{Request, RequestId, RequestKind, Response, ResponseKind};
use crate::pulsar::stats::{TenantInfo, TopicStats};
use crate::pulsar::{ClientError, TopicName};
use browser::{Browser, DetailTab, Dir, ValueMode};
use input::{Edit, LineInput};
use keys::{Action, KeyContext};
use pending::{Pending, Tag};
use tree::{NodeKey, NodeKind, Tree};

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
    ContextSwitched { name: String, result: Result<Settings, String> },
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

/// What fills the screen below the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Explorer,
    Browser,
    Metrics,
    Schema,
    /// The DLQ and RETRY topics of a namespace.
    Dlq,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Connection {
    Connecting,
    Connected,
    Down { reason: String, since: Instant },
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

/// What the right-hand pane shows for the selected node.
#[derive(Debug, Clone, Default)]
pub struct Details {
    pub key: Option<NodeKey>,
    pub request: Option<RequestId>,
    pub stats: Option<TopicStats>,
    pub tenant: Option<TenantInfo>,
    pub error: Option<String>,
    pub fetched_at: Option<Instant>,
    pub scroll: u16,
}

/// Knobs of the app that do not come from the terminal.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How often the details pane re-reads the stats it shows.
    pub refresh_interval: Duration,
    /// How often to probe the broker while it is unreachable.
    pub reconnect_interval: Duration,
    /// The cluster as the user named it (shown until the broker answers).
    pub service_url: String,
    pub admin_url: String,
    /// Messages per page read by the browser.
    pub page_size: usize,
    /// Messages the browser keeps in memory at most.
    pub window: usize,
    /// How often every broker's `/metrics` is scraped.
    pub metrics_interval: Duration,
    /// How much metrics history is kept.
    pub metrics_window: Duration,
    /// Fixed `/metrics` URLs; empty = every broker the admin API lists.
    pub metrics_urls: Vec<String>,
    /// Where exports are written.
    pub export_dir: std::path::PathBuf,
    /// The requeue journal (JSON lines of every message moved out of a DLQ).
    pub journal_path: std::path::PathBuf,
    /// Writes are refused by the client; the header says `[RO]`.
    pub read_only: bool,
    /// A TLS check is off (insecure switch or no hostname check): the header warns.
    pub tls_insecure: bool,
    /// The config context in use and its colour (shown in the header).
    pub context: Option<(String, Option<String>)>,
    /// Every context of the config (`:ctx` completes them).
    pub contexts: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            refresh_interval: Duration::from_secs(5),
            reconnect_interval: Duration::from_secs(2),
            service_url: "pulsar://127.0.0.1:6650".into(),
            admin_url: "http://127.0.0.1:8080".into(),
            page_size: browser::PAGE,
            window: browser::WINDOW,
            metrics_interval: Duration::from_secs(5),
            metrics_window: Duration::from_secs(15 * 60),
            metrics_urls: Vec::new(),
            export_dir: std::env::temp_dir().join("pulsar-tui-exports"),
            journal_path: std::env::temp_dir().join("pulsar-tui-requeue-journal.jsonl"),
            read_only: false,
            tls_insecure: false,
            context: None,
            contexts: Vec::new(),
        }
    }
}

pub struct App {
    pub settings: Settings,
    pub view: View,
    pub browser: Option<Browser>,
    pub metrics: metrics::MetricsView,
    pub schema: Option<schema::SchemaView>,
    pub dlq: Option<dlq::DlqView>,
    /// The requeue dialog, over any view.
    pub requeue: Option<dlq::RequeueDialog>,
    /// The write-action dialog of the explorer.
    pub action: Option<dlq::ActionDialog>,
    /// "Decode as…" choices by topic (partitioned parent), kept while the app runs.
    pub decode_as: HashMap<String, crate::decode::DecodeAs>,
    /// Schema versions by topic (parent name), for the browser's Schema tab.
    pub schemas: HashMap<String, Vec<crate::decode::SchemaInfo>>,
    /// The view to go back to from the schema view.
    schema_return: View,
    pub tree: Tree,
    pub details: Details,
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
    /// Requests in flight: a small tag each (answers to other ids are dropped).
    pending: HashMap<RequestId, Pending>,
    /// Text to put on the clipboard (OSC 52), taken by the runtime before the next draw.
    clipboard: Option<String>,
    next_id: u64,
    probe: Option<(RequestId, Instant)>,
    jump: Option<TopicName>,
    /// The subscription to select once a jump reached its topic (`--subscription`).
    jump_subscription: Option<String>,
    /// A context switch for the runtime to carry out (it builds the new client).
    switch_to: Option<String>,
    /// How many times the context was switched.
    pub generation: u64,
    quit: bool,
    dirty: bool,
}

impl App {
    pub fn new(settings: Settings, now: Instant) -> App {
        let metrics = metrics::MetricsView::new(settings.metrics_window.as_millis() as u64);
        App {
            settings,
            view: View::Explorer,
            browser: None,
            metrics,
            schema: None,
            dlq: None,
            requeue: None,
            action: None,
            decode_as: HashMap::new(),
            schemas: HashMap::new(),
            schema_return: View::Explorer,
            tree: Tree::default(),
            details: Details::default(),
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
            pending: HashMap::new(),
            clipboard: None,
            next_id: 0,
            probe: None,
            jump: None,
            jump_subscription: None,
            switch_to: None,
            generation: 0,
            quit: false,
            dirty: true,
        }
    }

    /// The first requests: who is the cluster, and its tenants.
    pub fn start(&mut self) -> Vec<Request> {
        let probe = self.request(RequestKind::FetchClusterInfo);
        self.probe = Some((probe.id, self.now));
        let scrape = self.scrape_request();
        vec![probe, self.request(RequestKind::ListTenants), scrape]
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// True once after anything visible changed.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    pub fn key_context(&self) -> KeyContext {
        match (self.view, self.focus) {
            (View::Browser, _) => KeyContext::Browser,
            (View::Metrics, _) => KeyContext::Metrics,
            (View::Schema, _) => KeyContext::Schema,
            (View::Dlq, _) => KeyContext::Dlq,
            (_, Focus::Explorer) => KeyContext::Explorer,
            (_, Focus::Details) => KeyContext::Details,
        }
    }

    /// Opens a topic in the message browser, reading from `start`.
    pub fn open_browser(&mut self, topic: TopicName, start: StartFrom) -> Vec<Request> {
        let mut out = self.close_browser();
        let schemas = self.request(RequestKind::FetchSchemas { topic: topic.clone() });
        out.push(schemas);
        let mut b = Browser::new(topic, start);
        b.decode_as = self.decode_as.get(&b.topic.parent().to_string()).cloned();
        b.page = self.settings.page_size.max(1);
        b.window = self.settings.window.max(b.page * 2);
        let req = self.request(b.initial_load());
        b.loading = Some((req.id, Dir::Forward));
        out.push(req);
        self.browser = Some(b);
        self.view = View::Browser;
        out
    }

    /// Stops whatever the browser has running and drops it.
    fn close_browser(&mut self) -> Vec<Request> {
        let Some(b) = self.browser.take() else { return Vec::new() };
        let ids: Vec<RequestId> = b.loading.map(|(id, _)| id).into_iter().chain(b.follow).collect();
        ids.into_iter().map(|id| self.cancel(id)).collect()
    }

    /// Follows the browsed topic from `cursor` (cancelling a page load in flight).
    fn start_follow(&mut self, cursor: crate::pulsar::reader::Cursor) -> Vec<Request> {
        let Some(b) = self.browser.as_mut() else { return Vec::new() };
        let loading = b.loading.take().map(|(id, _)| id);
        let topic = b.topic.clone();
        let decode_as = b.decode_as.clone();
        let mut out: Vec<Request> = loading.into_iter().map(|id| self.cancel(id)).collect();
        let req = self.request(RequestKind::Follow { topic, cursor, decode_as });
        if let Some(b) = self.browser.as_mut() {
            b.follow = Some(req.id);
            b.resume_follow = false;
        }
        out.push(req);
        out
    }

    /// After a reconnection: a follow that failed, or that may be stuck on the lost
    /// connection, starts again after the newest message shown.
    fn resume_follow(&mut self) -> Vec<Request> {
        let Some(b) = self.browser.as_mut() else { return Vec::new() };
        if b.follow.is_none() && !b.resume_follow {
            return Vec::new();
        }
        let Some(cursor) = b.follow_cursor() else { return Vec::new() };
        let old = b.follow.take();
        b.error = None;
        let mut out: Vec<Request> = old.into_iter().map(|id| self.cancel(id)).collect();
        out.extend(self.start_follow(cursor));
        out
    }

    fn cancel(&mut self, id: RequestId) -> Request {
        self.pending.remove(&id);
        self.next_id += 1;
        Request { id: RequestId(self.next_id), kind: RequestKind::Cancel { id } }
    }

    fn scrape_request(&mut self) -> Request {
        let r = self.request(RequestKind::ScrapeMetrics { brokers: self.settings.metrics_urls.clone() });
        self.metrics.in_flight = Some(r.id);
        r
    }

    /// Opens the schema view of a topic.
    pub fn open_schema(&mut self, topic: TopicName) -> Vec<Request> {
        let mut view = schema::SchemaView::new(topic.parent());
        let req = self.request(RequestKind::FetchSchemas { topic: topic.parent() });
        view.request = Some(req.id);
        self.schema = Some(view);
        if self.view != View::Schema {
            self.schema_return = self.view;
        }
        self.view = View::Schema;
        vec![req]
    }

    fn schema_update(&mut self, action: Action) -> Vec<Request> {
        let page = self.page_rows.max(1) as u16;
        let Some(v) = self.schema.as_mut() else {
            self.view = self.schema_return;
            return Vec::new();
        };
        match action {
            Action::Down => v.move_by(1),
            Action::Up => v.move_by(-1),
            Action::Top => v.move_by(-(v.versions.len() as isize)),
            Action::Bottom => v.move_by(v.versions.len() as isize),
            Action::PageDown => v.scroll = v.scroll.saturating_add(page),
            Action::PageUp => v.scroll = v.scroll.saturating_sub(page),
            Action::MarkBase => v.toggle_base(),
            Action::Back | Action::OpenSchema => self.view = self.schema_return,
            Action::Refresh => {
                let t = v.topic.clone();
                return self.open_schema(t);
            }
            Action::Quit => self.quit = true,
            Action::ToggleHelp => self.show_help = !self.show_help,
            _ => {}
        }
        Vec::new()
    }

    /// The topic the user is looking at, in any view.
    fn current_topic(&self) -> Option<TopicName> {
        match self.view {
            View::Browser => self.browser.as_ref().map(|b| b.topic.clone()),
            View::Metrics => self.metrics.selected_topic().and_then(|t| TopicName::parse(t).ok()),
            View::Schema => self.schema.as_ref().map(|s| s.topic.clone()),
            View::Dlq => self.dlq.as_ref().and_then(|d| d.letters.get(d.selected)).map(|l| l.letter.topic.clone()),
            View::Explorer => match self.tree.selected().map(|n| &n.key) {
                Some(NodeKey::Topic(t) | NodeKey::Partition(t) | NodeKey::Subscription(t, _)) => Some(t.clone()),
                _ => None,
            },
        }
    }

    fn metrics_update(&mut self, action: Action) -> Vec<Request> {
        let page = self.page_rows.max(1) as isize;
        let m = &mut self.metrics;
        match action {
            Action::Down => m.move_by(1),
            Action::Up => m.move_by(-1),
            Action::PageDown => m.move_by(page),
            Action::PageUp => m.move_by(-page),
            Action::Top => m.selected = 0,
            Action::Bottom => m.selected = m.rows.len().saturating_sub(1),
            Action::NextSort => m.next_sort(),
            Action::StartFilter => self.mode = Mode::Filter { input: LineInput::new(m.filter.clone()) },
            Action::ClearFilter => {
                m.filter.clear();
                m.rebuild();
            }
            Action::Open => {
                if let Some(t) = m.selected_topic().and_then(|t| TopicName::parse(t).ok()) {
                    self.view = View::Explorer;
                    self.focus = Focus::Explorer;
                    let mut out = self.jump_to(t);
                    out.extend(self.sync_details());
                    return out;
                }
            }
            Action::Back | Action::ToggleMetrics => self.view = View::Explorer,
            Action::Refresh if self.metrics.in_flight.is_none() => return vec![self.scrape_request()],
            Action::Quit => self.quit = true,
            Action::ToggleHelp => self.show_help = !self.show_help,
            _ => {}
        }
        Vec::new()
    }

    /// Starts a filtered scan of the browsed topic from its start position.
    pub fn start_scan(&mut self, expr: String) -> Vec<Request> {
        if expr.is_empty() {
            return Vec::new();
        }
        if let Err(e) = crate::filter::Filter::compile(&expr) {
            self.set_status(Level::Error, format!("filter: {e}"));
            return Vec::new();
        }
        let Some(b) = self.browser.as_mut() else { return Vec::new() };
        let running: Vec<RequestId> = b
            .loading
            .take()
            .map(|(id, _)| id)
            .into_iter()
            .chain(b.follow.take())
            .chain(b.scan.take().map(|s| s.id))
            .collect();
        let kind = RequestKind::Scan {
            topic: b.topic.clone(),
            from: crate::pulsar::request::PageFrom::Start(b.start.clone()),
            filter: expr.clone(),
            limit: b.window,
            decode_as: b.decode_as.clone(),
        };
        let mut out: Vec<Request> = running.into_iter().map(|id| self.cancel(id)).collect();
        let req = self.request(kind);
        let now = self.now;
        if let Some(b) = self.browser.as_mut() {
            b.start_scan(req.id, expr, now);
        }
        out.push(req);
        out
    }

    fn browser_load(&mut self) -> Vec<Request> {
        let Some((kind, dir)) = self.browser.as_ref().and_then(|b| b.load_needed()) else { return Vec::new() };
        let req = self.request(kind);
        if let Some(b) = self.browser.as_mut() {
            b.loading = Some((req.id, dir));
        }
        vec![req]
    }

    fn browser_update(&mut self, action: Action) -> Vec<Request> {
        let page = self.page_rows.max(1) as isize;
        let wall_ms = self.wall_now();
        let Some(b) = self.browser.as_mut() else {
            self.view = View::Explorer;
            return Vec::new();
        };
        match action {
            Action::Down if b.detail && self.focus == Focus::Details => {
                b.detail_scroll = b.detail_scroll.saturating_add(1)
            }
            Action::Up if b.detail && self.focus == Focus::Details => {
                b.detail_scroll = b.detail_scroll.saturating_sub(1)
            }
            Action::Down => b.move_by(1),
            Action::Up => b.move_by(-1),
            Action::PageDown => b.move_by(page),
            Action::PageUp => b.move_by(-page),
            Action::Top => b.move_by(-(b.rows.len() as isize)),
            Action::Bottom => b.move_by(b.rows.len() as isize),
            Action::ToggleDetail | Action::Open => {
                b.detail = !b.detail;
                b.detail_scroll = 0;
            }
            Action::NextTab | Action::FocusNext if b.detail => {
                let i = DetailTab::ALL.iter().position(|t| *t == b.tab).unwrap_or(0);
                b.tab = DetailTab::ALL[(i + 1) % DetailTab::ALL.len()];
                b.detail_scroll = 0;
            }
            Action::ToggleRaw => {
                b.value_mode = if b.value_mode == ValueMode::Raw { ValueMode::Decoded } else { ValueMode::Raw };
                b.tab = DetailTab::Value;
                b.detail = true;
            }
            Action::ToggleHex => {
                b.value_mode = if b.value_mode == ValueMode::Hex { ValueMode::Decoded } else { ValueMode::Hex };
                b.tab = DetailTab::Value;
                b.detail = true;
            }
            Action::ToggleTimes => b.relative_time = !b.relative_time,
            Action::NextPartition => {
                let (topic, start) = (b.topic.clone(), b.start.clone());
                let parent = topic.parent();
                // the tree knows the partition count; else the messages loaded tell it
                let seen = b.rows.iter().map(|r| r.message.id.partition + 1).max().unwrap_or(0).max(0) as u32;
                let known = seen.max(b.known_partitions);
                let n = self.partitions_of(&parent).max(known);
                if n == 0 {
                    self.set_status(Level::Error, format!("{parent} is not partitioned"));
                    return Vec::new();
                }
                // all partitions → 0 → 1 → … → all again
                let next = match topic.partition_index() {
                    None => Some(0),
                    Some(i) if i + 1 < n => Some(i + 1),
                    Some(_) => None,
                };
                let target = next.map(|i| parent.partition(i)).unwrap_or(parent);
                let out = self.open_browser(target, start);
                if let Some(b) = self.browser.as_mut() {
                    b.known_partitions = n;
                }
                return out;
            }
            Action::CopySelected => {
                if let Some(r) = b.selected_row() {
                    let text = crate::envelope::envelope(&r.message, &r.decoded, true).to_string();
                    self.clipboard = Some(text);
                    self.set_status(Level::Info, "copied the selected message (OSC 52)".into());
                }
            }
            Action::ExportSelected | Action::ExportAll => {
                let rows: Vec<&browser::Row> = if action == Action::ExportAll {
                    b.rows.iter().collect()
                } else {
                    b.selected_row().into_iter().collect()
                };
                if rows.is_empty() {
                    return Vec::new();
                }
                let lines: Vec<String> =
                    rows.iter().map(|r| crate::envelope::envelope(&r.message, &r.decoded, true).to_string()).collect();
                let stamp =
                    chrono::DateTime::from_timestamp_millis(wall_ms).unwrap_or_default().format("%Y%m%dT%H%M%S%.3fZ");
                let name = format!("{}-{}-{stamp}.jsonl", b.topic.namespace_path().replace('/', "_"), b.topic.local);
                let path = self.settings.export_dir.join(name);
                return vec![self.request(RequestKind::WriteExport { path, lines })];
            }
            Action::PickStart => self.mode = Mode::StartPrompt { input: LineInput::default() },
            Action::StartFilter => {
                let input = b.scan.as_ref().map(|s| s.expr.clone()).unwrap_or_default();
                self.mode = Mode::ScanPrompt { input: LineInput::new(input) };
            }
            Action::ToggleFollow => {
                b.resume_follow = false;
                if let Some(id) = b.follow.take() {
                    return vec![self.cancel(id)];
                }
                let Some(cursor) = b.follow_cursor() else {
                    self.set_status(Level::Error, "nothing loaded yet to follow from".into());
                    return Vec::new();
                };
                b.selected = b.rows.len().saturating_sub(1);
                return self.start_follow(cursor);
            }
            Action::Back => {
                if b.detail {
                    b.detail = false;
                } else if let Some(scan) = &b.scan {
                    // a running scan stops; finished results give way to browsing again
                    if !scan.done {
                        let id = scan.id;
                        if let Some(s) = b.scan.as_mut() {
                            s.done = true;
                        }
                        return vec![self.cancel(id)];
                    }
                    let (topic, start) = (b.topic.clone(), b.start.clone());
                    return self.open_browser(topic, start);
                } else {
                    self.view = View::Explorer;
                    return self.close_browser();
                }
            }
            Action::Refresh => {
                let (topic, start) = (b.topic.clone(), b.start.clone());
                return self.open_browser(topic, start);
            }
            Action::Requeue => return self.browser_requeue(),
            Action::DecodeAs => {
                let input = b.decode_as.as_ref().map(|d| d.to_string()).unwrap_or_default();
                self.mode = Mode::DecodePrompt { input: LineInput::new(input) };
            }
            Action::JumpToOrigin => return self.jump_to_origin(),
            Action::Quit => self.quit = true,
            Action::ToggleHelp => self.show_help = !self.show_help,
            _ => {}
        }
        self.browser_load()
    }

    /// `d` in the browser: decode the topic's messages with the user's choice (or `auto`:
    /// the registry again), re-reading from the same start.
    fn set_decode_as(&mut self, text: &str) -> Vec<Request> {
        let Some(b) = self.browser.as_ref() else { return Vec::new() };
        let (topic, start) = (b.topic.clone(), b.start.clone());
        let key = topic.parent().to_string();
        match crate::decode::DecodeAs::parse(text) {
            Ok(Some(choice)) => {
                self.set_status(Level::Info, format!("decoding {} as {choice}", topic.parent()));
                self.decode_as.insert(key, choice);
            }
            Ok(None) => {
                self.set_status(Level::Info, format!("decoding {} with its registry schema", topic.parent()));
                self.decode_as.remove(&key);
            }
            Err(e) => {
                self.set_status(Level::Error, e);
                return Vec::new();
            }
        }
        self.open_browser(topic, start)
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
        self.pending.len()
    }

    /// Starts following a topic: loads its tenant and namespace, then selects it.
    pub fn jump_to(&mut self, topic: TopicName) -> Vec<Request> {
        self.jump = Some(topic);
        self.advance_jump()
    }

    fn request(&mut self, kind: RequestKind) -> Request {
        self.next_id += 1;
        let id = RequestId(self.next_id);
        self.pending.insert(id, Pending::of(&kind));
        Request { id, kind }
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
        }
    }

    fn on_key(&mut self, k: KeyEvent) -> Vec<Request> {
        if let (Mode::Filter { input }, View::Metrics) = (&mut self.mode, self.view) {
            match input.key(&k) {
                Edit::Cancel => {
                    self.mode = Mode::Normal;
                    self.metrics.filter.clear();
                }
                Edit::Submit => self.mode = Mode::Normal,
                Edit::Changed => self.metrics.filter = input.to_string(),
                Edit::Interrupt => self.quit = true,
                Edit::Ignored => {}
            }
            self.metrics.rebuild();
            return Vec::new();
        }
        if let Mode::Filter { input } = &mut self.mode {
            match input.key(&k) {
                Edit::Cancel => {
                    self.mode = Mode::Normal;
                    self.tree.set_filter("");
                }
                Edit::Submit => {
                    let text = input.trimmed();
                    self.mode = Mode::Normal;
                    if text.contains("://") {
                        self.tree.set_filter("");
                        return match TopicName::parse(&text) {
                            Ok(t) => {
                                let reqs = self.jump_to(t);
                                reqs.into_iter().chain(self.sync_details()).collect()
                            }
                            Err(e) => {
                                self.set_status(Level::Error, e.to_string());
                                Vec::new()
                            }
                        };
                    }
                }
                Edit::Changed => {
                    let f = input.to_string();
                    self.tree.set_filter(&f);
                }
                Edit::Interrupt => self.quit = true,
                Edit::Ignored => match k.code {
                    KeyCode::Down => self.tree.move_by(1),
                    KeyCode::Up => self.tree.move_by(-1),
                    _ => {}
                },
            }
            return self.sync_details();
        }
        if matches!(self.mode, Mode::Palette(_)) {
            return self.palette_key(&k);
        }
        let scan = matches!(self.mode, Mode::ScanPrompt { .. });
        let decode = matches!(self.mode, Mode::DecodePrompt { .. });
        if let Mode::ScanPrompt { input } | Mode::StartPrompt { input } | Mode::DecodePrompt { input } = &mut self.mode
        {
            match input.key(&k) {
                Edit::Changed | Edit::Ignored => {}
                Edit::Cancel => self.mode = Mode::Normal,
                Edit::Interrupt => self.quit = true,
                Edit::Submit => {
                    let text = input.trimmed();
                    self.mode = Mode::Normal;
                    if scan {
                        return self.start_scan(text);
                    }
                    if decode {
                        return self.set_decode_as(&text);
                    }
                    let now_ms = self.wall_now();
                    match (StartFrom::parse(&text, now_ms), self.browser.as_ref().map(|b| b.topic.clone())) {
                        (Ok(start), Some(topic)) => return self.open_browser(topic, start),
                        (Err(e), _) => self.set_status(Level::Error, e.to_string()),
                        _ => {}
                    }
                }
            }
            return Vec::new();
        }
        if self.requeue.is_some() {
            return self.requeue_key(&k);
        }
        if self.action.is_some() {
            return self.action_key(&k);
        }
        if self.show_help {
            // any of these closes the popup; the moves scroll it; other keys are ignored
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
            return Vec::new();
        }
        match self.keymap.resolve(self.key_context(), &k) {
            Some(a) => self.update(a),
            None => Vec::new(),
        }
    }

    /// Applies one user intent.
    pub fn update(&mut self, action: Action) -> Vec<Request> {
        self.dirty = true;
        if action == Action::Palette {
            self.open_palette();
            return Vec::new();
        }
        if action == Action::ToggleMetrics && self.view != View::Metrics {
            self.view = View::Metrics;
            return Vec::new();
        }
        if action == Action::OpenSchema && self.view != View::Schema {
            return match self.current_topic() {
                Some(t) => self.open_schema(t),
                None => {
                    self.set_status(Level::Error, "select a topic to see its schema".into());
                    Vec::new()
                }
            };
        }
        if action == Action::OpenDlq && self.view != View::Dlq {
            return self.open_dlq();
        }
        if self.view == View::Schema {
            return self.schema_update(action);
        }
        if self.view == View::Dlq {
            return self.dlq_update(action);
        }
        if self.view == View::Browser {
            return self.browser_update(action);
        }
        if self.view == View::Metrics {
            return self.metrics_update(action);
        }
        let mut out = Vec::new();
        let page = self.page_rows.max(1) as isize;
        match (action, self.focus) {
            (Action::Quit, _) => self.quit = true,
            (Action::ToggleHelp, _) => self.show_help = !self.show_help,
            (Action::FocusNext, _) => {
                self.focus = match self.focus {
                    Focus::Explorer => Focus::Details,
                    Focus::Details => Focus::Explorer,
                }
            }
            (Action::Down, Focus::Explorer) => self.tree.move_by(1),
            (Action::Up, Focus::Explorer) => self.tree.move_by(-1),
            (Action::Top, Focus::Explorer) => self.tree.select_first(),
            (Action::Bottom, Focus::Explorer) => self.tree.select_last(),
            (Action::PageDown, Focus::Explorer) => self.tree.move_by(page),
            (Action::PageUp, Focus::Explorer) => self.tree.move_by(-page),
            (Action::Down, Focus::Details) => self.details.scroll = self.details.scroll.saturating_add(1),
            (Action::Up, Focus::Details) => self.details.scroll = self.details.scroll.saturating_sub(1),
            (Action::Top, Focus::Details) => self.details.scroll = 0,
            (Action::PageDown, Focus::Details) => self.details.scroll = self.details.scroll.saturating_add(page as u16),
            (Action::PageUp, Focus::Details) => self.details.scroll = self.details.scroll.saturating_sub(page as u16),
            (Action::Bottom, Focus::Details) => {}
            (
                Action::Back
                | Action::NextPartition
                | Action::OpenSchema
                | Action::MarkBase
                | Action::ExportSelected
                | Action::ExportAll
                | Action::CopySelected
                | Action::NextSort
                | Action::ToggleMetrics
                | Action::ToggleDetail
                | Action::ToggleFollow
                | Action::PickStart
                | Action::ToggleTimes
                | Action::ToggleRaw
                | Action::ToggleHex
                | Action::NextTab
                | Action::OpenDlq
                | Action::Requeue
                | Action::JumpToOrigin
                | Action::DecodeAs
                | Action::Palette,
                _,
            ) => {}
            (Action::Actions, _) => return self.open_actions(),
            (Action::Expand, _) => {
                if let Some(kind) = self.tree.expand_selected() {
                    out.push(self.request(kind));
                }
            }
            (Action::Open, _) => {
                let topic = match self.tree.selected().map(|n| &n.key) {
                    Some(NodeKey::Topic(t)) | Some(NodeKey::Partition(t)) => Some(t.clone()),
                    _ => None,
                };
                match topic {
                    Some(t) => return self.open_browser(t, StartFrom::Earliest),
                    None => {
                        if let Some(kind) = self.tree.expand_selected() {
                            out.push(self.request(kind));
                        }
                    }
                }
            }
            (Action::Collapse, _) => self.tree.collapse_selected(),
            (Action::StartFilter, _) => {
                self.mode = Mode::Filter { input: LineInput::new(self.tree.filter.clone()) };
            }
            (Action::ClearFilter, _) => self.tree.set_filter(""),
            (Action::Refresh, _) => {
                let kind = match self.tree.selected() {
                    Some(n) if !n.is_leaf() && n.load != tree::Load::Loading => {
                        let key = n.key.clone();
                        let kind = n.load_request();
                        if kind.is_some() {
                            self.tree.mark_loading(&key);
                        }
                        kind
                    }
                    None => Some(RequestKind::ListTenants),
                    _ => None,
                };
                if let Some(kind) = kind {
                    out.push(self.request(kind));
                }
                self.details.key = None; // forces a refetch below
            }
        }
        out.extend(self.sync_details());
        out
    }

    /// The stats request for the selected node, when it differs from what is shown.
    fn sync_details(&mut self) -> Vec<Request> {
        let key = self.tree.selected_key();
        if key == self.details.key {
            return Vec::new();
        }
        // moving between a topic and its subscriptions keeps the stats on screen meanwhile
        let same_topic =
            stats_topic(key.as_ref()).is_some() && stats_topic(key.as_ref()) == stats_topic(self.details.key.as_ref());
        let old = std::mem::take(&mut self.details);
        self.details = Details { key: key.clone(), ..Details::default() };
        if same_topic {
            self.details.stats = old.stats;
            self.details.fetched_at = old.fetched_at;
        }
        self.details_request().into_iter().collect()
    }

    fn details_request(&mut self) -> Option<Request> {
        let key = self.details.key.clone()?;
        let kind = match &key {
            NodeKey::Tenant(t) => RequestKind::FetchTenantInfo { tenant: t.clone() },
            NodeKey::Namespace(_) => return None,
            NodeKey::Topic(t) => RequestKind::FetchTopicStats { topic: t.clone(), partitions: self.partitions_of(t) },
            NodeKey::Partition(p) => RequestKind::FetchTopicStats { topic: p.clone(), partitions: 0 },
            NodeKey::Subscription(t, _) => {
                RequestKind::FetchTopicStats { topic: t.clone(), partitions: self.partitions_of(t) }
            }
        };
        let req = self.request(kind);
        self.details.request = Some(req.id);
        Some(req)
    }

    fn partitions_of(&self, topic: &TopicName) -> u32 {
        let key = NodeKey::Topic(topic.clone());
        match self.tree.find(&key).and_then(|p| self.tree.node(&p)).map(|n| &n.kind) {
            Some(NodeKind::Topic { partitions }) => *partitions,
            _ => 0,
        }
    }

    fn on_tick(&mut self, now: Instant) -> Vec<Request> {
        let mut out = Vec::new();
        let second_changed = now.duration_since(self.last_tick) >= Duration::from_secs(1);
        self.last_tick = now;
        self.now = self.now.max(now);
        self.wall_ms = self.wall_now();
        if second_changed {
            self.dirty = true; // ages in the status bar move
        }
        let scrape_due = self.metrics.in_flight.is_none()
            && self.metrics.scraped_at.is_none_or(|t| now.duration_since(t) >= self.settings.metrics_interval);
        if scrape_due && !matches!(self.connection, Connection::Down { .. }) {
            out.push(self.scrape_request());
        }
        match &self.connection {
            Connection::Down { .. } => {
                let due = self
                    .probe
                    .map(|(_, at)| now.duration_since(at) >= self.settings.reconnect_interval)
                    .unwrap_or(true);
                if due {
                    let r = self.request(RequestKind::FetchClusterInfo);
                    self.probe = Some((r.id, now));
                    out.push(r);
                }
            }
            _ => {
                // the admin API may answer again before the binary protocol does
                let retry_follow = self.browser.as_ref().is_some_and(|b| {
                    b.resume_follow
                        && b.follow.is_none()
                        && b.follow_failed_at.is_none_or(|t| now.duration_since(t) >= self.settings.reconnect_interval)
                });
                if retry_follow {
                    out.extend(self.resume_follow());
                }
                let in_flight = self.details.request.is_some_and(|id| self.pending.contains_key(&id));
                let stale = self
                    .details
                    .fetched_at
                    .map(|t| now.duration_since(t) >= self.settings.refresh_interval)
                    .unwrap_or(false);
                if stale && !in_flight {
                    out.extend(self.details_request());
                }
            }
        }
        out
    }

    fn on_response(&mut self, r: Response) -> Vec<Request> {
        let known = if r.kind.is_final() { self.pending.remove(&r.id) } else { self.pending.get(&r.id).cloned() };
        let Some(pending) = known else {
            return Vec::new(); // unknown, cancelled or already answered
        };
        self.dirty = true;
        let mut out = Vec::new();
        match r.kind {
            ResponseKind::Failed { error } => {
                out.extend(self.on_failure(r.id, pending, error));
            }
            ok => {
                if !matches!(self.connection, Connection::Connected) {
                    let was_down = matches!(self.connection, Connection::Down { .. });
                    self.connection = Connection::Connected;
                    if was_down {
                        self.set_status(Level::Info, "reconnected to the broker".into());
                        let kinds = self.tree.reload_requests();
                        out.extend(kinds.into_iter().map(|k| self.request(k)));
                        self.details.fetched_at = None;
                        self.details.key = None;
                        out.extend(self.sync_details());
                        out.extend(self.resume_follow());
                    }
                }
                self.last_refresh = Some(self.now);
                out.extend(self.apply(r.id, ok));
            }
        }
        out
    }

    fn apply(&mut self, id: RequestId, kind: ResponseKind) -> Vec<Request> {
        match kind {
            ResponseKind::ClusterInfoFetched { clusters, version } => {
                self.cluster = clusters.into_iter().next();
                self.broker_version = Some(version);
            }
            ResponseKind::TenantsListed { tenants } => self.tree.set_tenants(&tenants),
            ResponseKind::NamespacesListed { tenant, namespaces } => self.tree.set_namespaces(&tenant, &namespaces),
            ResponseKind::TopicsListed { namespace, topics } => self.tree.set_topics(&namespace, &topics),
            ResponseKind::SubscriptionsListed { topic, subscriptions } => {
                self.tree.set_subscriptions(&topic, &subscriptions)
            }
            ResponseKind::TopicStatsFetched { stats, .. } => {
                if self.details.request == Some(id) {
                    self.details.stats = Some(*stats);
                    self.details.error = None;
                    self.details.fetched_at = Some(self.now);
                }
            }
            ResponseKind::TenantInfoFetched { info, .. } => {
                if self.details.request == Some(id) {
                    self.details.tenant = Some(info);
                    self.details.error = None;
                    self.details.fetched_at = Some(self.now);
                }
            }
            ResponseKind::PageRead { messages, next, at_end, .. } => {
                if let Some(b) = self.browser.as_mut() {
                    if let Some((lid, dir)) = b.loading.filter(|(lid, _)| *lid == id) {
                        let _ = lid;
                        b.loading = None;
                        b.error = None;
                        b.page_read(dir, messages, next, at_end);
                        return self.browser_load();
                    }
                }
            }
            ResponseKind::SchemasFetched { topic, versions, compatibility } => {
                if let Some(v) = self.schema.as_mut().filter(|v| v.request == Some(id)) {
                    v.request = None;
                    v.loaded(versions.clone(), compatibility);
                }
                self.schemas.insert(topic.parent().to_string(), versions);
                return Vec::new();
            }
            ResponseKind::ExportWritten { path, count } => {
                self.set_status(Level::Info, format!("exported {count} message(s) to {}", path.display()));
                return Vec::new();
            }
            ResponseKind::MetricsScraped { snapshot, at_ms } => {
                if self.metrics.in_flight == Some(id) {
                    self.metrics.in_flight = None;
                    self.metrics.ingest(*snapshot, at_ms, self.now);
                }
                return Vec::new();
            }
            ResponseKind::ScanProgressed { matches, scanned, decode_errors, done } => {
                let now = self.now;
                if let Some(b) = self.browser.as_mut().filter(|b| b.scan.as_ref().is_some_and(|s| s.id == id)) {
                    b.scan_progressed(matches, scanned, decode_errors, done, now);
                }
                return Vec::new();
            }
            ResponseKind::MessagesArrived { messages, next, .. } => {
                if let Some(b) = self.browser.as_mut().filter(|b| b.follow == Some(id)) {
                    b.messages_arrived(messages, next);
                }
                return Vec::new();
            }
            ResponseKind::LettersListed { namespace, letters } => {
                if let Some(v) = self.dlq.as_mut().filter(|v| v.request == Some(id)) {
                    v.request = None;
                    v.error = None;
                    v.namespace = namespace;
                    v.selected = v.selected.min(letters.len().saturating_sub(1));
                    v.letters = letters;
                    v.loaded_at = Some(self.now);
                }
                return Vec::new();
            }
            ResponseKind::RequeuePlanned { summary, meaning, subscription } => {
                if let Some(d) = self.requeue.as_mut().filter(|d| d.plan_request == Some(id)) {
                    d.plan_request = None;
                    d.plan = Some(*summary);
                    d.meaning = Some(meaning);
                    d.subscription = subscription;
                }
                return Vec::new();
            }
            ResponseKind::RequeueProgressed { progress } => {
                if let Some(run) = self.requeue.as_mut().and_then(|d| d.run.as_mut()).filter(|r| r.id == id) {
                    run.progress = progress;
                }
                return Vec::new();
            }
            ResponseKind::RequeueFinished { summary } => {
                if let Some(run) = self.requeue.as_mut().and_then(|d| d.run.as_mut()).filter(|r| r.id == id) {
                    run.progress = summary.progress.clone();
                    run.summary = Some(*summary);
                }
                return Vec::new();
            }
            ResponseKind::ActionDone { message } => return self.action_finished(id, Ok(message)),
            ResponseKind::Failed { .. } => {}
        }
        let mut out = self.advance_jump();
        out.extend(self.sync_details());
        out
    }

    fn on_failure(&mut self, id: RequestId, request: Pending, error: ClientError) -> Vec<Request> {
        if error.is_connectivity() {
            if !matches!(self.connection, Connection::Down { .. }) {
                self.connection = Connection::Down { reason: error.to_string(), since: self.now };
            } else if let Connection::Down { reason, .. } = &mut self.connection {
                *reason = error.to_string();
            }
            if self.probe.is_none_or(|(pid, _)| pid != id) {
                self.probe = Some((RequestId(0), self.now));
            }
        }
        let text = format!("{}: {error}", request.what);
        match request.tag {
            Tag::Tenants => self.tree.set_tenants_failed(error.to_string()),
            Tag::Namespaces { tenant } => self.tree.set_failed(&NodeKey::Tenant(tenant), error.to_string()),
            Tag::Topics { namespace } => self.tree.set_failed(&NodeKey::Namespace(namespace), error.to_string()),
            Tag::Subscriptions { topic } => self.tree.set_failed(&NodeKey::Topic(topic), error.to_string()),
            Tag::TopicStats | Tag::TenantInfo => {
                if self.details.request == Some(id) {
                    self.details.error = Some(error.to_string());
                    self.details.fetched_at = Some(self.now);
                }
            }
            Tag::ClusterInfo | Tag::Cancel | Tag::Export => {}
            Tag::Schemas => {
                if let Some(v) = self.schema.as_mut().filter(|v| v.request == Some(id)) {
                    v.request = None;
                    v.error = Some(error.to_string());
                }
            }
            Tag::ScrapeMetrics => {
                if self.metrics.in_flight == Some(id) {
                    self.metrics.in_flight = None;
                    self.metrics.error = Some(error.to_string());
                    self.metrics.scraped_at = Some(self.now);
                }
            }
            Tag::Scan => {
                if let Some(b) = self.browser.as_mut() {
                    if let Some(scan) = b.scan.as_mut().filter(|s| s.id == id) {
                        scan.done = true;
                        b.error = Some(error.to_string());
                    }
                }
            }
            Tag::Letters => {
                if let Some(v) = self.dlq.as_mut().filter(|v| v.request == Some(id)) {
                    v.request = None;
                    v.error = Some(error.to_string());
                }
            }
            Tag::PlanRequeue => {
                if let Some(d) = self.requeue.as_mut().filter(|d| d.plan_request == Some(id)) {
                    d.plan_request = None;
                    d.error = Some(error.to_string());
                }
            }
            Tag::Requeue => {
                if let Some(d) = self.requeue.as_mut().filter(|d| d.run.as_ref().is_some_and(|r| r.id == id)) {
                    // nothing (more) was sent: back to the preview, with the reason
                    d.run = None;
                    d.error = Some(error.to_string());
                }
            }
            Tag::Action => {
                let text = format!("refused or failed: {error}");
                let out = self.action_finished(id, Err(text.clone()));
                self.set_status(Level::Error, text);
                return out;
            }
            Tag::ReadPage | Tag::Follow => {
                if let Some(b) = self.browser.as_mut() {
                    if b.loading.is_some_and(|(l, _)| l == id) {
                        b.loading = None;
                        b.error = Some(error.to_string());
                    }
                    if b.follow == Some(id) {
                        b.follow = None;
                        b.resume_follow = error.is_connectivity();
                        b.follow_failed_at = Some(self.now);
                        b.error = Some(error.to_string());
                    }
                }
            }
        }
        if self.jump.is_some() && !error.is_connectivity() {
            self.jump = None;
            self.jump_subscription = None;
        }
        self.set_status(Level::Error, text);
        self.sync_details()
    }

    /// One step of a pending jump: load what is missing on the way, select when there.
    fn advance_jump(&mut self) -> Vec<Request> {
        let Some(topic) = self.jump.clone() else {
            return Vec::new();
        };
        let steps = [
            NodeKey::Tenant(topic.tenant.clone()),
            NodeKey::Namespace(topic.namespace_path()),
            NodeKey::Topic(topic.parent()),
        ];
        if self.tree.roots_load != tree::Load::Loaded {
            return Vec::new(); // tenants are on their way
        }
        for (i, key) in steps.iter().enumerate() {
            let Some(path) = self.tree.find(key) else {
                self.jump = None;
                self.set_status(Level::Error, format!("cannot jump: {} not found", describe_key(key)));
                return Vec::new();
            };
            if i == steps.len() - 1 {
                self.tree.set_filter("");
                self.tree.reveal(key);
                self.tree.select_key(key);
                let Some(sub) = self.jump_subscription.clone() else {
                    self.jump = None;
                    return Vec::new();
                };
                // then its subscriptions, to select the one asked for
                match self.tree.node(&path).map(|n| n.load.clone()) {
                    Some(tree::Load::Loading) => return Vec::new(),
                    Some(tree::Load::Loaded) => {
                        self.jump = None;
                        self.jump_subscription = None;
                        let sub_key = NodeKey::Subscription(topic.parent(), sub.clone());
                        if self.tree.find(&sub_key).is_some() {
                            self.tree.reveal(&sub_key);
                            self.tree.select_key(&sub_key);
                        } else {
                            self.set_status(Level::Error, format!("no subscription {sub} on {}", topic.parent()));
                        }
                        return Vec::new();
                    }
                    _ => {
                        return match self.tree.expand_selected() {
                            Some(kind) => vec![self.request(kind)],
                            None => Vec::new(),
                        };
                    }
                }
            }
            let Some(node) = self.tree.node(&path) else {
                return Vec::new();
            };
            match node.load {
                tree::Load::Loaded => continue,
                tree::Load::Loading => return Vec::new(),
                _ => {
                    self.tree.reveal(key);
                    self.tree.select_key(key);
                    return match self.tree.expand_selected() {
                        Some(kind) => vec![self.request(kind)],
                        None => Vec::new(),
                    };
                }
            }
        }
        Vec::new()
    }
}

/// The topic whose stats a node shows.
fn stats_topic(key: Option<&NodeKey>) -> Option<&TopicName> {
    match key? {
        NodeKey::Topic(t) | NodeKey::Partition(t) | NodeKey::Subscription(t, _) => Some(t),
        _ => None,
    }
}

fn describe_key(key: &NodeKey) -> String {
    match key {
        NodeKey::Tenant(t) => format!("tenant {t}"),
        NodeKey::Namespace(n) => format!("namespace {n}"),
        NodeKey::Topic(t) | NodeKey::Partition(t) => format!("topic {t}"),
        NodeKey::Subscription(t, s) => format!("subscription {s} of {t}"),
    }
}
