//! The message browser's controller: paging, follow mode, scans, its keys and the answers to
//! its reads, as methods of [`Browser`] (the model, the window of pages, is in `mod.rs`) with
//! a [`Ctx`]. What crosses views (opening a topic, the prompts, the clipboard, the requeue
//! dialog, the explorer's partition counts) goes back to [`App`] as a [`Next`]; `App`'s
//! thin `browser_*` methods lend the browser a `Ctx` and carry that out.

use std::path::Path;
use std::time::{Duration, Instant};

use crossterm::event::KeyEvent;

use super::{Browser, DetailTab, Dir, Row, ValueMode};
use crate::app::ctx::Ctx;
use crate::app::input::{Edit, LineInput};
use crate::app::keys::Action;
use crate::app::{App, Focus, Level, Mode, Next, View};
use crate::pulsar::message::StartFrom;
use crate::pulsar::request::{BrowseRequest, BrowseResponse, Request, RequestId, RequestKind, SchemaRequest};
use crate::pulsar::{ClientError, TopicName};

/// What a browser action needs of the rest of the app.
pub(crate) struct Surroundings<'a> {
    /// Whether the detail pane has the focus.
    pub focus: Focus,
    /// Rows of a page (PgUp/PgDn).
    pub page: isize,
    /// Wall-clock milliseconds now (export file names).
    pub wall_ms: i64,
    pub export_dir: &'a Path,
}

impl Browser {
    /// The ids of what the browser has running (a page load, a follow).
    fn running(&self) -> impl Iterator<Item = RequestId> {
        self.loading.map(|(id, _)| id).into_iter().chain(self.follow)
    }

    /// The page the selection needs, when none is on its way.
    pub(crate) fn load(&mut self, ctx: &mut Ctx) -> Vec<Request> {
        let Some((kind, dir)) = self.load_needed() else { return Vec::new() };
        let req = ctx.request(kind);
        self.loading = Some((req.id, dir));
        vec![req]
    }

    /// Follows the topic from `cursor` (cancelling a page load in flight).
    fn start_follow(&mut self, cursor: crate::pulsar::reader::Cursor, ctx: &mut Ctx) -> Vec<Request> {
        let mut out: Vec<Request> = self.loading.take().map(|(id, _)| ctx.cancel(id)).into_iter().collect();
        let req = ctx.request(RequestKind::Browse(BrowseRequest::Follow {
            topic: self.topic.clone(),
            cursor,
            decode_as: self.decode_as.clone(),
        }));
        self.follow = Some(req.id);
        self.resume_follow = false;
        out.push(req);
        out
    }

    /// After a reconnection: a follow that failed, or that may be stuck on the lost
    /// connection, starts again after the newest message shown.
    pub(crate) fn resume_follow(&mut self, ctx: &mut Ctx) -> Vec<Request> {
        if self.follow.is_none() && !self.resume_follow {
            return Vec::new();
        }
        let Some(cursor) = self.follow_cursor() else { return Vec::new() };
        self.error = None;
        let mut out: Vec<Request> = self.follow.take().map(|id| ctx.cancel(id)).into_iter().collect();
        out.extend(self.start_follow(cursor, ctx));
        out
    }

    /// Starts a filtered scan of the topic from its start position.
    pub(crate) fn scan(&mut self, expr: String, ctx: &mut Ctx) -> Vec<Request> {
        if expr.is_empty() {
            return Vec::new();
        }
        if let Err(e) = crate::filter::Filter::compile(&expr) {
            ctx.error(format!("filter: {e}"));
            return Vec::new();
        }
        let running: Vec<RequestId> = self
            .loading
            .take()
            .map(|(id, _)| id)
            .into_iter()
            .chain(self.follow.take())
            .chain(self.scan.take().map(|s| s.id))
            .collect();
        let mut out: Vec<Request> = running.into_iter().map(|id| ctx.cancel(id)).collect();
        let req = ctx.request(RequestKind::Browse(BrowseRequest::Scan {
            topic: self.topic.clone(),
            from: crate::pulsar::request::PageFrom::Start(self.start.clone()),
            filter: expr.clone(),
            limit: self.window,
            decode_as: self.decode_as.clone(),
        }));
        self.start_scan(req.id, expr, ctx.now);
        out.push(req);
        out
    }

    /// The browser's keys. Opening another topic (or this one again), the prompts, the
    /// clipboard and leaving are for `App` to carry out.
    pub(crate) fn update(&mut self, action: Action, s: &Surroundings, ctx: &mut Ctx) -> Next {
        let page = s.page;
        match action {
            Action::Down if self.detail && s.focus == Focus::Details => {
                self.detail_scroll = self.detail_scroll.saturating_add(1)
            }
            Action::Up if self.detail && s.focus == Focus::Details => {
                self.detail_scroll = self.detail_scroll.saturating_sub(1)
            }
            Action::Down => self.move_by(1),
            Action::Up => self.move_by(-1),
            Action::PageDown => self.move_by(page),
            Action::PageUp => self.move_by(-page),
            Action::Top => self.move_by(-(self.rows.len() as isize)),
            Action::Bottom => self.move_by(self.rows.len() as isize),
            Action::ToggleDetail | Action::Open => {
                self.detail = !self.detail;
                self.detail_scroll = 0;
            }
            Action::NextTab | Action::FocusNext if self.detail => {
                let i = DetailTab::ALL.iter().position(|t| *t == self.tab).unwrap_or(0);
                self.tab = DetailTab::ALL[(i + 1) % DetailTab::ALL.len()];
                self.detail_scroll = 0;
            }
            Action::ToggleRaw => self.show_value(ValueMode::Raw),
            Action::ToggleHex => self.show_value(ValueMode::Hex),
            Action::ToggleTimes => self.relative_time = !self.relative_time,
            Action::CopySelected => {
                if let Some(r) = self.selected_row() {
                    return Next::Copy(crate::envelope::envelope(&r.message, &r.decoded, true).to_string());
                }
            }
            Action::ExportSelected | Action::ExportAll => {
                let rows: Vec<&Row> = if action == Action::ExportAll {
                    self.rows.iter().collect()
                } else {
                    self.selected_row().into_iter().collect()
                };
                if rows.is_empty() {
                    return Next::Stay(Vec::new());
                }
                let lines: Vec<String> =
                    rows.iter().map(|r| crate::envelope::envelope(&r.message, &r.decoded, true).to_string()).collect();
                let stamp =
                    chrono::DateTime::from_timestamp_millis(s.wall_ms).unwrap_or_default().format("%Y%m%dT%H%M%S%.3fZ");
                let name =
                    format!("{}-{}-{stamp}.jsonl", self.topic.namespace_path().replace('/', "_"), self.topic.local);
                let path = s.export_dir.join(name);
                return Next::Stay(vec![ctx.request(RequestKind::Browse(BrowseRequest::WriteExport { path, lines }))]);
            }
            Action::PickStart => return Next::Prompt(Mode::StartPrompt { input: LineInput::default() }),
            Action::StartFilter => {
                let input = self.scan.as_ref().map(|s| s.expr.clone()).unwrap_or_default();
                return Next::Prompt(Mode::ScanPrompt { input: LineInput::new(input) });
            }
            Action::DecodeAs => {
                let input = self.decode_as.as_ref().map(|d| d.to_string()).unwrap_or_default();
                return Next::Prompt(Mode::DecodePrompt { input: LineInput::new(input) });
            }
            Action::ToggleFollow => {
                self.resume_follow = false;
                if let Some(id) = self.follow.take() {
                    return Next::Stay(vec![ctx.cancel(id)]);
                }
                let Some(cursor) = self.follow_cursor() else {
                    ctx.error("nothing loaded yet to follow from".into());
                    return Next::Stay(Vec::new());
                };
                self.selected = self.rows.len().saturating_sub(1);
                return Next::Stay(self.start_follow(cursor, ctx));
            }
            Action::Back => {
                if self.detail {
                    self.detail = false;
                } else if let Some(scan) = self.scan.as_mut() {
                    // a running scan stops; finished results give way to browsing again
                    if !scan.done {
                        scan.done = true;
                        return Next::Stay(vec![ctx.cancel(scan.id)]);
                    }
                    return Next::Reopen { topic: self.topic.clone(), start: self.start.clone(), partitions: None };
                } else {
                    return Next::Leave;
                }
            }
            Action::Refresh => {
                return Next::Reopen { topic: self.topic.clone(), start: self.start.clone(), partitions: None }
            }
            _ => {}
        }
        Next::Stay(self.load(ctx))
    }

    /// `r`/`x` in the browser: the value as stored (or its hex), again for decoded.
    fn show_value(&mut self, mode: ValueMode) {
        self.value_mode = if self.value_mode == mode { ValueMode::Decoded } else { mode };
        self.tab = DetailTab::Value;
        self.detail = true;
    }

    /// All partitions → 0 → 1 → … → all again, from the same start.
    pub(crate) fn next_partition(&self, tree_partitions: u32, ctx: &mut Ctx) -> Next {
        let parent = self.topic.parent();
        // the tree knows the partition count; else the messages loaded tell it
        let seen = self.rows.iter().map(|r| r.message.id.partition + 1).max().unwrap_or(0).max(0) as u32;
        let n = tree_partitions.max(seen).max(self.known_partitions);
        if n == 0 {
            ctx.error(format!("{parent} is not partitioned"));
            return Next::Stay(Vec::new());
        }
        let next = match self.topic.partition_index() {
            None => Some(0),
            Some(i) if i + 1 < n => Some(i + 1),
            Some(_) => None,
        };
        let topic = next.map(|i| parent.partition(i)).unwrap_or(parent);
        Next::Reopen { topic, start: self.start.clone(), partitions: Some(n) }
    }

    /// The answers to the browser's reads, follows, scans and exports; `None` for a page
    /// that is not the one awaited.
    pub(crate) fn on_response(&mut self, id: RequestId, kind: BrowseResponse, ctx: &mut Ctx) -> Option<Vec<Request>> {
        match kind {
            BrowseResponse::PageRead { messages, next, at_end, .. } => {
                let (_, dir) = self.loading.filter(|(lid, _)| *lid == id)?;
                self.loading = None;
                self.error = None;
                self.page_read(dir, messages, next, at_end);
                let mut out = self.load(ctx);
                out.extend(self.ask_held_back(ctx));
                return Some(out);
            }
            BrowseResponse::ScanProgressed { matches, scanned, decode_errors, done }
                if self.scan.as_ref().is_some_and(|s| s.id == id) =>
            {
                self.scan_progressed(matches, scanned, decode_errors, done, ctx.now);
            }
            BrowseResponse::MessagesArrived { messages, next, .. } if self.follow == Some(id) => {
                self.messages_arrived(messages, next);
                // a transaction ended: what it held back arrives; ask whether another holds more
                if self.held_back.is_some() {
                    return Some(self.ask_held_back(ctx));
                }
            }
            _ => {}
        }
        Some(Vec::new())
    }

    /// At the end of the topic as readers see it: ask whether open transactions hold
    /// entries back beyond it (the answer comes through `App::txn_response`).
    fn ask_held_back(&mut self, ctx: &mut Ctx) -> Vec<Request> {
        if !self.at_end || self.held_back_query.is_some() {
            return Vec::new();
        }
        let kind = RequestKind::Txn(crate::pulsar::txn::TxnRequest::FindHeldBack { topic: self.topic.clone() });
        let r = ctx.requests.request(kind);
        self.held_back_query = Some(r.id);
        self.held_back_asked = Some(ctx.now);
        vec![r]
    }

    /// The answer to `ask_held_back`. When the transaction that held entries back has
    /// ended, the end is no longer the end: what it released (committed messages) is read
    /// as the next page.
    pub(crate) fn held_back_found(
        &mut self,
        id: RequestId,
        topic: &TopicName,
        held_back: Option<crate::txn::HeldBack>,
        ctx: &mut Ctx,
    ) -> Vec<Request> {
        if self.held_back_query != Some(id) || *topic != self.topic {
            return Vec::new();
        }
        self.held_back_query = None;
        let released = self.held_back.is_some() && held_back.is_none();
        self.held_back = held_back;
        if released && self.follow.is_none() && self.next.is_some() {
            self.at_end = false;
            return self.load(ctx);
        }
        Vec::new()
    }

    pub(crate) fn held_back_failed(&mut self, id: RequestId) {
        if self.held_back_query == Some(id) {
            self.held_back_query = None;
        }
    }

    /// A read, follow or scan of the browser failed.
    pub(crate) fn on_failure(&mut self, id: RequestId, error: &ClientError, now: Instant) {
        if let Some(scan) = self.scan.as_mut().filter(|s| s.id == id) {
            scan.done = true;
            self.error = Some(error.to_string());
            return;
        }
        if self.loading.is_some_and(|(l, _)| l == id) {
            self.loading = None;
            self.error = Some(error.to_string());
        }
        if self.follow == Some(id) {
            self.follow = None;
            self.resume_follow = error.is_connectivity();
            self.follow_failed_at = Some(now);
            self.error = Some(error.to_string());
        }
    }

    /// While connected: the admin API may answer again before the binary protocol does, so
    /// a follow cut by the connection is retried every `retry`.
    pub(crate) fn tick(&mut self, retry: Duration, ctx: &mut Ctx) -> Vec<Request> {
        let due = self.resume_follow
            && self.follow.is_none()
            && self.follow_failed_at.is_none_or(|t| ctx.now.duration_since(t) >= retry);
        if due {
            return self.resume_follow(ctx);
        }
        // a marker shown while not following: ask again now and then, so it goes when
        // the transaction commits or aborts (following, arriving messages ask)
        let stale = self.held_back_asked.is_none_or(|t| ctx.now.duration_since(t) >= HELD_BACK_REFRESH);
        if self.held_back.is_some() && self.follow.is_none() && stale {
            return self.ask_held_back(ctx);
        }
        Vec::new()
    }
}

/// How often a shown held-back marker is checked again while not following.
const HELD_BACK_REFRESH: Duration = Duration::from_secs(5);

impl App {
    /// The browser (when one is open) and what it may use of the app for one call.
    pub(in crate::app) fn browser_ctx(&mut self) -> Option<(&mut Browser, Ctx<'_>)> {
        let ctx = Ctx { requests: &mut self.requests, status: &mut self.status, now: self.now };
        Some((self.browser.as_mut()?, ctx))
    }

    /// Opens a topic in the message browser, reading from `start`.
    pub fn open_browser(&mut self, topic: TopicName, start: StartFrom) -> Vec<Request> {
        let mut out = self.close_browser();
        let schemas = self.request(RequestKind::Schema(SchemaRequest::FetchSchemas { topic: topic.clone() }));
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
    pub(in crate::app) fn close_browser(&mut self) -> Vec<Request> {
        let Some(b) = self.browser.take() else { return Vec::new() };
        b.running().map(|id| self.cancel(id)).collect()
    }

    pub(in crate::app) fn resume_follow(&mut self) -> Vec<Request> {
        let Some((b, mut ctx)) = self.browser_ctx() else { return Vec::new() };
        b.resume_follow(&mut ctx)
    }

    /// Starts a filtered scan of the browsed topic from its start position.
    pub fn start_scan(&mut self, expr: String) -> Vec<Request> {
        let Some((b, mut ctx)) = self.browser_ctx() else { return Vec::new() };
        b.scan(expr, &mut ctx)
    }

    pub(in crate::app) fn browser_load(&mut self) -> Vec<Request> {
        let Some((b, mut ctx)) = self.browser_ctx() else { return Vec::new() };
        b.load(&mut ctx)
    }

    pub(in crate::app) fn browser_update(&mut self, action: Action) -> Vec<Request> {
        // what reaches into other views: the requeue dialog, the original of a dead letter
        match action {
            Action::Requeue => return self.browser_requeue(),
            Action::JumpToOrigin => return self.jump_to_origin(),
            _ => {}
        }
        let Some(parent) = self.browser.as_ref().map(|b| b.topic.parent()) else {
            self.view = View::Explorer;
            return Vec::new();
        };
        // the explorer's partition count (a search of the tree) only for the key that needs it
        let tree_partitions = (action == Action::NextPartition).then(|| self.explorer.partitions_of(&parent));
        let surroundings = Surroundings {
            focus: self.focus,
            page: self.page_rows.max(1) as isize,
            wall_ms: self.wall_now(),
            export_dir: &self.settings.export_dir,
        };
        let ctx = &mut Ctx { requests: &mut self.requests, status: &mut self.status, now: self.now };
        let Some(b) = self.browser.as_mut() else { return Vec::new() };
        let next = match tree_partitions {
            Some(n) => b.next_partition(n, ctx),
            None => b.update(action, &surroundings, ctx),
        };
        match next {
            Next::Leave => {
                self.view = View::Explorer;
                self.close_browser()
            }
            next => self.carry_out(next, View::Explorer),
        }
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

    /// Keys while one of the browser's prompts (start, scan filter, "decode as…") is open.
    pub(in crate::app) fn browser_prompt_key(&mut self, k: &KeyEvent) -> Vec<Request> {
        let scan = matches!(self.mode, Mode::ScanPrompt { .. });
        let decode = matches!(self.mode, Mode::DecodePrompt { .. });
        let (Mode::ScanPrompt { input } | Mode::StartPrompt { input } | Mode::DecodePrompt { input }) = &mut self.mode
        else {
            return Vec::new();
        };
        match input.key(k) {
            Edit::Changed | Edit::Ignored | Edit::Interrupt => {} // Ctrl+C: App::on_key
            Edit::Cancel => self.mode = Mode::Normal,
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
        Vec::new()
    }

    /// The answers to the browser's reads, follows, scans and exports (a page nobody awaits
    /// any more lets a jump of the explorer go on).
    pub(in crate::app) fn browser_response(&mut self, id: RequestId, kind: BrowseResponse) -> Vec<Request> {
        if let BrowseResponse::ExportWritten { path, count } = &kind {
            // the browser may be closed by now: the status line says it anyway
            self.set_status(Level::Info, format!("exported {count} message(s) to {}", path.display()));
            return Vec::new();
        }
        match self.browser_ctx().and_then(|(b, mut ctx)| b.on_response(id, kind, &mut ctx)) {
            Some(out) => out,
            None => self.explorer_settle(),
        }
    }

    /// A read, follow or scan of the browser failed.
    pub(in crate::app) fn browser_failed(&mut self, id: RequestId, error: &ClientError) {
        let now = self.now;
        if let Some(b) = self.browser.as_mut() {
            b.on_failure(id, error, now);
        }
    }

    pub(in crate::app) fn browser_tick(&mut self, now: Instant) -> Vec<Request> {
        let retry = self.settings.reconnect_interval;
        let Some(b) = self.browser.as_mut() else { return Vec::new() };
        b.tick(retry, &mut Ctx { requests: &mut self.requests, status: &mut self.status, now })
    }
}
