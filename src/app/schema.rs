//! The schema view: every version of a topic's schema and which two to compare (the
//! model), its keys and the answer to its fetch (the controller).

use super::keys::Action;
use super::pending::Requests;
use super::{App, Next, View};
use crate::decode::SchemaInfo;
use crate::pulsar::request::{Request, RequestId, RequestKind, SchemaRequest, SchemaResponse};
use crate::pulsar::{ClientError, TopicName};

pub struct SchemaView {
    pub topic: TopicName,
    /// Oldest first, as the registry lists them.
    pub versions: Vec<SchemaInfo>,
    pub compatibility: Option<String>,
    /// Index into `versions`.
    pub selected: usize,
    /// A version marked to compare the selected one with (else: the one before it).
    pub base: Option<usize>,
    pub request: Option<RequestId>,
    pub error: Option<String>,
    pub scroll: u16,
}

impl SchemaView {
    pub fn new(topic: TopicName) -> SchemaView {
        SchemaView {
            topic,
            versions: Vec::new(),
            compatibility: None,
            selected: 0,
            base: None,
            request: None,
            error: None,
            scroll: 0,
        }
    }

    pub fn loaded(&mut self, versions: Vec<SchemaInfo>, compatibility: Option<String>) {
        self.selected = versions.len().saturating_sub(1); // the latest
        self.versions = versions;
        self.compatibility = compatibility;
        self.base = None;
        self.error = None;
    }

    pub fn move_by(&mut self, delta: isize) {
        if self.versions.is_empty() {
            return;
        }
        self.selected = (self.selected as isize + delta).clamp(0, self.versions.len() as isize - 1) as usize;
        self.scroll = 0;
    }

    pub fn toggle_base(&mut self) {
        self.base = if self.base == Some(self.selected) { None } else { Some(self.selected) };
    }

    /// The pair to compare: (older, newer), if there are two versions to compare.
    pub fn compared(&self) -> Option<(&SchemaInfo, &SchemaInfo)> {
        let sel = self.versions.get(self.selected)?;
        let base_index = match self.base {
            Some(b) if b != self.selected => b,
            _ => self.selected.checked_sub(1)?,
        };
        let base = self.versions.get(base_index)?;
        Some(if base_index < self.selected { (base, sel) } else { (sel, base) })
    }

    /// The definition as pretty JSON when it is JSON, else as it is.
    pub fn pretty(info: &SchemaInfo) -> String {
        match serde_json::from_str::<serde_json::Value>(&info.data) {
            Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_else(|_| info.data.clone()),
            Err(_) if info.data.is_empty() => "(no definition: a primitive schema)".into(),
            Err(_) => info.data.clone(),
        }
    }
}

impl SchemaView {
    /// A schema view of `topic` fetching every version.
    pub(super) fn open(topic: TopicName, requests: &mut Requests) -> (SchemaView, Request) {
        let mut view = SchemaView::new(topic.parent());
        let req = requests.request(RequestKind::Schema(SchemaRequest::FetchSchemas { topic: topic.parent() }));
        view.request = Some(req.id);
        (view, req)
    }

    /// The view's keys: its own state changes, a re-fetch, or leaving the view.
    pub(super) fn update(&mut self, action: Action, page: u16, requests: &mut Requests) -> Next {
        match action {
            Action::Down => self.move_by(1),
            Action::Up => self.move_by(-1),
            Action::Top => self.move_by(-(self.versions.len() as isize)),
            Action::Bottom => self.move_by(self.versions.len() as isize),
            Action::PageDown => self.scroll = self.scroll.saturating_add(page),
            Action::PageUp => self.scroll = self.scroll.saturating_sub(page),
            Action::MarkBase => self.toggle_base(),
            Action::Back | Action::OpenSchema => return Next::Leave,
            Action::Refresh => {
                let (view, req) = SchemaView::open(self.topic.clone(), requests);
                *self = view;
                return Next::Stay(vec![req]);
            }
            _ => {}
        }
        Next::Stay(Vec::new())
    }
}

impl App {
    /// Opens the schema view of a topic.
    pub fn open_schema(&mut self, topic: TopicName) -> Vec<Request> {
        let (view, req) = SchemaView::open(topic, &mut self.requests);
        self.schema = Some(view);
        if self.view != View::Schema {
            self.schema_return = self.view;
        }
        self.view = View::Schema;
        vec![req]
    }

    pub(super) fn schema_update(&mut self, action: Action) -> Vec<Request> {
        let page = self.page_rows.max(1) as u16;
        let next = match self.schema.as_mut() {
            Some(v) => v.update(action, page, &mut self.requests),
            None => Next::Leave,
        };
        self.carry_out(next, self.schema_return)
    }

    /// Every schema version of a topic: the schema view's, and the browser's Schema tab's.
    pub(super) fn schema_response(&mut self, id: RequestId, r: SchemaResponse) {
        match r {
            SchemaResponse::SchemasFetched { topic, versions, compatibility } => {
                self.schemas_fetched(id, topic, versions, compatibility)
            }
        }
    }

    fn schemas_fetched(
        &mut self,
        id: RequestId,
        topic: TopicName,
        versions: Vec<SchemaInfo>,
        compatibility: Option<String>,
    ) {
        if let Some(v) = self.schema.as_mut().filter(|v| v.request == Some(id)) {
            v.request = None;
            v.loaded(versions.clone(), compatibility);
        }
        self.schemas.insert(topic.parent().to_string(), versions);
    }

    pub(super) fn schemas_failed(&mut self, id: RequestId, error: &ClientError) {
        if let Some(v) = self.schema.as_mut().filter(|v| v.request == Some(id)) {
            v.request = None;
            v.error = Some(error.to_string());
        }
    }
}
