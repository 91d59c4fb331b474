//! The message browser's controller: opening a topic, paging, follow mode, scans, the
//! browser's prompts (start position, CEL filter, "decode as…"), its keys and the answers to
//! its reads. The model (the window of pages) is in `mod.rs`.

use crossterm::event::KeyEvent;

use super::{Browser, DetailTab, Dir, Row, ValueMode};
use crate::app::input::{Edit, LineInput};
use crate::app::keys::Action;
use crate::app::pending::Tag;
use crate::app::{App, Focus, Level, Mode, View};
use crate::pulsar::message::StartFrom;
use crate::pulsar::request::{Request, RequestId, RequestKind, ResponseKind};
use crate::pulsar::{ClientError, TopicName};

impl App {
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
    pub(in crate::app) fn close_browser(&mut self) -> Vec<Request> {
        let Some(b) = self.browser.take() else { return Vec::new() };
        let ids: Vec<RequestId> = b.loading.map(|(id, _)| id).into_iter().chain(b.follow).collect();
        ids.into_iter().map(|id| self.cancel(id)).collect()
    }

    /// Follows the browsed topic from `cursor` (cancelling a page load in flight).
    pub(in crate::app) fn start_follow(&mut self, cursor: crate::pulsar::reader::Cursor) -> Vec<Request> {
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
    pub(in crate::app) fn resume_follow(&mut self) -> Vec<Request> {
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

    pub(in crate::app) fn browser_load(&mut self) -> Vec<Request> {
        let Some((kind, dir)) = self.browser.as_ref().and_then(|b| b.load_needed()) else { return Vec::new() };
        let req = self.request(kind);
        if let Some(b) = self.browser.as_mut() {
            b.loading = Some((req.id, dir));
        }
        vec![req]
    }

    pub(in crate::app) fn browser_update(&mut self, action: Action) -> Vec<Request> {
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
                let n = self.explorer.partitions_of(&parent).max(known);
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
                let rows: Vec<&Row> = if action == Action::ExportAll {
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

    /// The answers to the browser's reads, follows, scans and exports.
    pub(in crate::app) fn browser_response(&mut self, id: RequestId, kind: ResponseKind) -> Vec<Request> {
        match kind {
            ResponseKind::PageRead { messages, next, at_end, .. } => {
                if let Some(b) = self.browser.as_mut() {
                    if let Some((_, dir)) = b.loading.filter(|(lid, _)| *lid == id) {
                        b.loading = None;
                        b.error = None;
                        b.page_read(dir, messages, next, at_end);
                        return self.browser_load();
                    }
                }
                return self.explorer_settle();
            }
            ResponseKind::ExportWritten { path, count } => {
                self.set_status(Level::Info, format!("exported {count} message(s) to {}", path.display()));
            }
            ResponseKind::ScanProgressed { matches, scanned, decode_errors, done } => {
                let now = self.now;
                if let Some(b) = self.browser.as_mut().filter(|b| b.scan.as_ref().is_some_and(|s| s.id == id)) {
                    b.scan_progressed(matches, scanned, decode_errors, done, now);
                }
            }
            ResponseKind::MessagesArrived { messages, next, .. } => {
                if let Some(b) = self.browser.as_mut().filter(|b| b.follow == Some(id)) {
                    b.messages_arrived(messages, next);
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// A read, follow or scan of the browser failed.
    pub(in crate::app) fn browser_failed(&mut self, id: RequestId, tag: &Tag, error: &ClientError) {
        let now = self.now;
        let Some(b) = self.browser.as_mut() else { return };
        if *tag == Tag::Scan {
            if let Some(scan) = b.scan.as_mut().filter(|s| s.id == id) {
                scan.done = true;
                b.error = Some(error.to_string());
            }
            return;
        }
        if b.loading.is_some_and(|(l, _)| l == id) {
            b.loading = None;
            b.error = Some(error.to_string());
        }
        if b.follow == Some(id) {
            b.follow = None;
            b.resume_follow = error.is_connectivity();
            b.follow_failed_at = Some(now);
            b.error = Some(error.to_string());
        }
    }

    /// While connected: the admin API may answer again before the binary protocol does, so a
    /// follow cut by the connection is retried now and then.
    pub(in crate::app) fn browser_tick(&mut self, now: std::time::Instant) -> Vec<Request> {
        let retry_follow = self.browser.as_ref().is_some_and(|b| {
            b.resume_follow
                && b.follow.is_none()
                && b.follow_failed_at.is_none_or(|t| now.duration_since(t) >= self.settings.reconnect_interval)
        });
        if retry_follow {
            return self.resume_follow();
        }
        Vec::new()
    }
}
