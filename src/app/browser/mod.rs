//! The message browser's model: a bounded window of pages over a topic, re-read on demand
//! from saved cursors, plus follow mode. Pure: loads are returned as [`RequestKind`]s.

mod controller;

use std::collections::VecDeque;

use crate::decode::Decoded;
use crate::pulsar::message::{Message, StartFrom};
use crate::pulsar::reader::Cursor;
use crate::pulsar::request::{BrowseRequest, Browsed, PageFrom, RequestId, RequestKind};
use crate::pulsar::TopicName;

/// Messages per page read.
pub const PAGE: usize = 500;
/// Messages kept in memory at most (the window), by default.
pub const WINDOW: usize = 5_000;
/// Start loading the next page this close to the end of the window (at most a quarter of
/// a page, so that a load never immediately calls for one in the other direction).
const PREFETCH: usize = 50;

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub message: Message,
    pub decoded: Decoded,
    /// The value on one line, cut for the table.
    pub preview: String,
}

impl Row {
    pub fn new(b: Browsed) -> Row {
        let preview = match (&b.decoded.error, &b.decoded.value) {
            (Some(e), _) => format!("⚠ {e}"),
            (None, serde_json::Value::String(s)) => s.replace(['\n', '\r', '\t'], " "),
            (None, v) => v.to_string(),
        };
        let preview: String = preview.chars().take(300).collect();
        Row { message: b.message, decoded: b.decoded, preview }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Forward,
    Backward,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailTab {
    Value,
    Properties,
    Metadata,
    Schema,
}

impl DetailTab {
    pub const ALL: [DetailTab; 4] = [DetailTab::Value, DetailTab::Properties, DetailTab::Metadata, DetailTab::Schema];
    pub fn title(self) -> &'static str {
        match self {
            DetailTab::Value => "Value",
            DetailTab::Properties => "Properties",
            DetailTab::Metadata => "Metadata",
            DetailTab::Schema => "Schema",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueMode {
    Decoded,
    Raw,
    Hex,
}

/// One page ever read: where it starts and how many messages it held.
#[derive(Debug, Clone, PartialEq)]
struct PageMeta {
    from: PageFrom,
    len: usize,
}

/// A filtered scan in progress (or finished): its matches replace the browsed rows.
#[derive(Debug, Clone)]
pub struct Scan {
    pub id: RequestId,
    pub expr: String,
    pub scanned: u64,
    pub matched: u64,
    pub decode_errors: u64,
    pub started: std::time::Instant,
    pub elapsed: std::time::Duration,
    pub done: bool,
}

impl Scan {
    /// Messages per second so far.
    pub fn rate(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            self.scanned as f64 / s
        } else {
            0.0
        }
    }
}

#[derive(Debug, Clone)]
pub struct Browser {
    pub topic: TopicName,
    pub start: StartFrom,
    /// "Decode as…" (`d`): every read decodes with it instead of the registry's schema.
    pub decode_as: Option<crate::decode::DecodeAs>,
    pub rows: VecDeque<Row>,
    /// Every page read so far (bounded by the topic's depth / PAGE, a few bytes each).
    pages: Vec<PageMeta>,
    /// Index in `pages` of the page at the front of `rows`, and how many pages are loaded.
    first_page: usize,
    loaded_pages: usize,
    /// Where reading continues after the last loaded page.
    next: Option<Cursor>,
    pub at_end: bool,
    pub selected: usize,
    pub loading: Option<(RequestId, Dir)>,
    pub follow: Option<RequestId>,
    /// Follow mode was stopped by a connection failure: it starts again on reconnection
    /// (and is retried while the broker still refuses the binary protocol).
    pub resume_follow: bool,
    /// When follow mode last failed.
    pub follow_failed_at: Option<std::time::Instant>,
    pub detail: bool,
    pub tab: DetailTab,
    pub value_mode: ValueMode,
    pub detail_scroll: u16,
    pub relative_time: bool,
    pub error: Option<String>,
    pub window: usize,
    pub page: usize,
    pub scan: Option<Scan>,
    /// Partitions of the topic as far as known (for the partition filter).
    pub known_partitions: u32,
    /// At the end: what open transactions hold back beyond it (`app/txn.rs` routes the answer).
    pub held_back: Option<crate::txn::HeldBack>,
    pub held_back_query: Option<RequestId>,
    /// When the held-back state was last asked (a shown marker is asked again).
    pub held_back_asked: Option<std::time::Instant>,
}

impl Browser {
    pub fn new(topic: TopicName, start: StartFrom) -> Browser {
        Browser {
            topic,
            pages: vec![PageMeta { from: PageFrom::Start(start.clone()), len: 0 }],
            start,
            decode_as: None,
            rows: VecDeque::new(),
            first_page: 0,
            loaded_pages: 0,
            next: None,
            at_end: false,
            selected: 0,
            loading: None,
            follow: None,
            resume_follow: false,
            follow_failed_at: None,
            detail: false,
            tab: DetailTab::Value,
            value_mode: ValueMode::Decoded,
            detail_scroll: 0,
            relative_time: false,
            error: None,
            window: WINDOW,
            page: PAGE,
            scan: None,
            held_back: None,
            held_back_asked: None,
            held_back_query: None,
            known_partitions: 0,
        }
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.rows.get(self.selected)
    }

    /// True when the newest row is selected (follow mode then scrolls along).
    pub fn at_newest(&self) -> bool {
        self.rows.is_empty() || self.selected + 1 >= self.rows.len()
    }

    /// The first load.
    pub fn initial_load(&self) -> RequestKind {
        RequestKind::Browse(BrowseRequest::ReadPage {
            topic: self.topic.clone(),
            from: self.pages[0].from.clone(),
            limit: self.page,
            decode_as: self.decode_as.clone(),
        })
    }

    /// Absolute number (from the start position) of the first row in the window.
    pub fn first_row_number(&self) -> usize {
        self.pages[..self.first_page].iter().map(|p| p.len).sum()
    }

    /// The load to start after the selection moved, if any.
    pub fn load_needed(&self) -> Option<(RequestKind, Dir)> {
        if self.loading.is_some() || self.follow.is_some() || self.scan.is_some() {
            return None;
        }
        let prefetch = PREFETCH.min(self.page / 4);
        if !self.at_end && self.selected + prefetch + 1 >= self.rows.len() {
            if let Some(next) = &self.next {
                let from = PageFrom::Cursor(next.clone());
                return Some((
                    RequestKind::Browse(BrowseRequest::ReadPage {
                        topic: self.topic.clone(),
                        from,
                        limit: self.page,
                        decode_as: self.decode_as.clone(),
                    }),
                    Dir::Forward,
                ));
            }
        }
        if self.selected <= prefetch && self.first_page > 0 {
            let prev = &self.pages[self.first_page - 1];
            let kind = RequestKind::Browse(BrowseRequest::ReadPage {
                topic: self.topic.clone(),
                from: prev.from.clone(),
                limit: prev.len.max(1),
                decode_as: self.decode_as.clone(),
            });
            return Some((kind, Dir::Backward));
        }
        None
    }

    /// A page arrived for the load in flight.
    pub fn page_read(&mut self, dir: Dir, messages: Vec<Browsed>, next: Cursor, at_end: bool) {
        let rows: Vec<Row> = messages.into_iter().map(Row::new).collect();
        let n = rows.len();
        match dir {
            Dir::Forward => {
                let index = self.first_page + self.loaded_pages;
                if index >= self.pages.len() {
                    let from = PageFrom::Cursor(self.next.clone().unwrap_or(Cursor { parts: Vec::new() }));
                    self.pages.push(PageMeta { from, len: n });
                } else {
                    self.pages[index].len = n;
                }
                if n > 0 || self.loaded_pages == 0 {
                    self.loaded_pages += 1;
                    self.rows.extend(rows);
                } else {
                    self.pages.truncate(index); // an empty trailing page is not kept
                }
                self.next = Some(next);
                self.at_end = at_end;
                self.trim_front();
            }
            Dir::Backward => {
                self.first_page -= 1;
                self.loaded_pages += 1;
                self.pages[self.first_page].len = n;
                for r in rows.into_iter().rev() {
                    self.rows.push_front(r);
                }
                self.selected += n;
                self.trim_back();
            }
        }
    }

    /// Messages of a follow arrived.
    pub fn messages_arrived(&mut self, messages: Vec<Browsed>, next: Cursor) {
        let follow_tail = self.at_newest();
        let n = messages.len();
        // a page is closed once full: the batch starts a new one at the previous cursor
        let last = self.first_page + self.loaded_pages.saturating_sub(1);
        let full = self.loaded_pages == 0 || self.pages.get(last).is_none_or(|p| p.len >= self.page);
        if full {
            let from = PageFrom::Cursor(self.next.clone().unwrap_or(Cursor { parts: Vec::new() }));
            let index = self.first_page + self.loaded_pages;
            self.pages.truncate(index);
            self.pages.push(PageMeta { from, len: n });
            self.loaded_pages += 1;
        } else if let Some(p) = self.pages.get_mut(last) {
            p.len += n;
        }
        self.rows.extend(messages.into_iter().map(Row::new));
        self.next = Some(next);
        self.trim_front();
        if follow_tail {
            self.selected = self.rows.len().saturating_sub(1);
        }
    }

    /// Drops whole pages from the front while the window is over its size.
    fn trim_front(&mut self) {
        while self.rows.len() > self.window && self.loaded_pages > 1 {
            let n = self.pages[self.first_page].len;
            self.rows.drain(..n.min(self.rows.len()));
            self.selected = self.selected.saturating_sub(n);
            self.first_page += 1;
            self.loaded_pages -= 1;
        }
    }

    /// Drops whole pages from the back while the window is over its size.
    fn trim_back(&mut self) {
        while self.rows.len() > self.window && self.loaded_pages > 1 {
            let last = self.first_page + self.loaded_pages - 1;
            let n = self.pages[last].len;
            self.rows.truncate(self.rows.len().saturating_sub(n));
            self.loaded_pages -= 1;
            self.next = match &self.pages[last].from {
                PageFrom::Cursor(c) => Some(c.clone()),
                PageFrom::Start(_) => None,
            };
            self.at_end = false;
        }
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    pub fn move_by(&mut self, delta: isize) {
        self.selected = crate::app::list::moved(self.selected, self.rows.len(), delta);
        self.detail_scroll = 0;
    }

    /// Starts showing the matches of a scan instead of the browsed rows.
    pub fn start_scan(&mut self, id: RequestId, expr: String, now: std::time::Instant) {
        self.rows.clear();
        self.selected = 0;
        self.detail = false;
        self.scan = Some(Scan {
            id,
            expr,
            scanned: 0,
            matched: 0,
            decode_errors: 0,
            started: now,
            elapsed: std::time::Duration::ZERO,
            done: false,
        });
    }

    /// Progress of the running scan.
    pub fn scan_progressed(
        &mut self,
        matches: Vec<Browsed>,
        scanned: u64,
        decode_errors: u64,
        done: bool,
        now: std::time::Instant,
    ) {
        let Some(scan) = self.scan.as_mut() else { return };
        scan.matched += matches.len() as u64;
        scan.scanned = scanned;
        scan.decode_errors = decode_errors;
        scan.done = done;
        scan.elapsed = now.saturating_duration_since(scan.started);
        self.rows.extend(matches.into_iter().map(Row::new));
    }

    /// Where a follow continues: after everything loaded.
    pub fn follow_cursor(&self) -> Option<Cursor> {
        self.next.clone()
    }
}
