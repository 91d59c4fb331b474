//! The compose dialog (`n` on a topic in the explorer or the browser): a value (JSON for a
//! topic with a schema, text for one without), key, ordering key, properties, event time,
//! deliver-after and the producer's options. The worker encodes the value with the topic's
//! schema and refuses it before anything is sent when it does not fit; the error is shown at
//! the value's field. Once the broker confirmed it, the dialog shows the id, and `o` opens the
//! browser there.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::input::{Edit, LineInput};
use super::{App, Level};
use crate::pulsar::message::StartFrom;
use crate::pulsar::produce::{Codec, Draft, DraftValue, ProduceOptions, ProduceRequest, ProduceResponse, Routing};
use crate::pulsar::request::{Request, RequestId, RequestKind};
use crate::pulsar::{ClientError, TopicName};

/// The dialog's fields, in order (Tab / ↓ moves to the next).
pub const FIELDS: [&str; 9] =
    ["value", "key", "ordering key", "properties", "event time", "deliver after", "compression", "routing", "to topic"];

/// Index of the target topic field.
pub const TO: usize = 8;

/// A re-sent message (`w` in the browser): while its value is not edited, its payload bytes
/// go as they are, with the schema version that wrote them.
#[derive(Debug, Clone, PartialEq)]
pub struct Original {
    pub value_text: String,
    pub payload: Vec<u8>,
    pub schema_version: Option<i64>,
}

/// Index of the value field.
pub const VALUE: usize = 0;

/// Where the dialog is.
#[derive(Debug, Clone, PartialEq)]
pub enum ComposeStage {
    Editing,
    /// Sent, waiting for the broker's confirmation.
    Sending(RequestId),
    /// Confirmed: the ids.
    Sent(Vec<crate::model::MessageId>),
    /// A fixed dead letter's requeue ended: what it says.
    Requeued(String),
}

/// The compose dialog.
#[derive(Debug, Clone, PartialEq)]
pub struct ComposeDialog {
    pub topic: TopicName,
    pub inputs: Vec<LineInput>,
    pub focus: usize,
    /// A field and what is wrong with it.
    pub error: Option<(usize, String)>,
    pub stage: ComposeStage,
    pub original: Option<Original>,
    /// Fix and requeue (`F`): the DLQ and the dead letter's id; Enter requeues the fixed value.
    pub fix: Option<(TopicName, crate::model::MessageId)>,
    /// Re-send of a filter's matches (`W`): only "to topic" and the typed confirmation.
    pub bulk: Option<Bulk>,
    /// The value to edit in `$EDITOR`: an effect the runtime carries out ([`App::take_edit`]),
    /// answering with [`super::Event::Edited`].
    pub edit: Option<EditRequest>,
    /// The schema asked for to check an edited value, and the value.
    pub validating: Option<(RequestId, serde_json::Value)>,
}

/// Edit this text in `$VISUAL` / `$EDITOR` (else `vi`): the runtime leaves the alternate
/// screen, runs the editor on a temporary file and hands back what was saved.
#[derive(Debug, Clone, PartialEq)]
pub struct EditRequest {
    pub text: String,
}

/// `W` in the browser: every match of the finished filter scan, re-sent as it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Bulk {
    /// The filter the matches came from.
    pub expr: String,
    /// The scanned topic.
    pub source: TopicName,
    pub drafts: Vec<Draft>,
    /// Matches left out: unreadable or encrypted rows (nothing to re-send as is).
    pub skipped: usize,
    /// What the user typed to confirm (the target topic's local name).
    pub typed: LineInput,
}

/// The focus index of the bulk re-send's confirmation field (after the fields).
pub const CONFIRM: usize = FIELDS.len();

impl Bulk {
    /// The text to type before the matches go: the target topic's local name.
    pub fn confirmation_text(to: &str) -> String {
        TopicName::parse(to.trim()).map(|t| t.local).unwrap_or_else(|_| to.trim().to_string())
    }
}

/// A message as re-sent unedited: its payload bytes with the schema version that wrote them,
/// key, ordering key, properties plus `PULSAR_TUI_RESENT_FROM=<topic>@<id>`, event time.
pub fn resend_draft(m: &crate::model::Message) -> Draft {
    let mut d = Draft::of(DraftValue::Bytes(m.payload.clone()));
    d.schema_version = m.schema_version;
    d.key = m.key.clone();
    d.key_b64 = m.key_is_base64;
    d.ordering_key = m.ordering_key.clone();
    d.properties = m.properties.clone();
    d.properties.insert(RESENT_FROM.into(), format!("{}@{}", m.topic, m.id));
    d.event_time_ms = m.event_time_ms;
    d
}

/// The property a re-sent message carries: where it came from.
pub const RESENT_FROM: &str = "PULSAR_TUI_RESENT_FROM";

impl ComposeDialog {
    pub fn new(topic: TopicName) -> ComposeDialog {
        let mut inputs = vec![LineInput::default(); FIELDS.len()];
        inputs[6].set("none");
        inputs[7].set("round-robin");
        inputs[TO].set(topic.to_string());
        ComposeDialog {
            topic,
            inputs,
            focus: VALUE,
            error: None,
            stage: ComposeStage::Editing,
            original: None,
            fix: None,
            bulk: None,
            edit: None,
            validating: None,
        }
    }

    /// The draft and options the fields describe, or the field that is wrong. `now_ms`: the
    /// wall time deliver-after counts from.
    pub fn draft(&self, now_ms: i64) -> Result<(Draft, ProduceOptions), (usize, String)> {
        let text = |i: usize| self.inputs[i].as_str().trim().to_string();
        let value = text(VALUE);
        // a JSON value, else the text itself (a topic without a schema sends it as is)
        let json = serde_json::from_str::<serde_json::Value>(&value);
        let mut d = Draft::of(match json {
            Ok(v) => DraftValue::Json(v),
            Err(_) => DraftValue::Json(serde_json::Value::String(self.inputs[VALUE].as_str().to_string())),
        });
        if let Some(o) = self.original.as_ref().filter(|o| o.value_text == self.inputs[VALUE].as_str()) {
            d.value = DraftValue::Bytes(o.payload.clone());
            d.schema_version = o.schema_version;
        }
        d.key = Some(text(1)).filter(|k| !k.is_empty());
        d.ordering_key = Some(text(2)).filter(|k| !k.is_empty()).map(String::into_bytes);
        for pair in text(3).split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').ok_or((3, format!("{pair:?}: expected KEY=VALUE, …")))?;
            d.properties.insert(k.trim().to_string(), v.trim().to_string());
        }
        let event = text(4);
        if !event.is_empty() {
            let ms = match event.parse::<i64>() {
                Ok(ms) => ms,
                Err(_) => chrono::DateTime::parse_from_rfc3339(&event)
                    .map_err(|_| (4, "expected RFC 3339 (2026-12-04T10:00:00Z) or epoch millis".to_string()))?
                    .timestamp_millis(),
            };
            d.event_time_ms = Some(ms);
        }
        let after = text(5);
        if !after.is_empty() {
            let dur = crate::pulsar::produce::parse_duration(&after)
                .ok_or((5, "expected a duration: 500ms, 30s, 5m, 2h".to_string()))?;
            d.deliver_at_ms = Some(now_ms + dur.as_millis() as i64);
        }
        let compression = Codec::parse(&text(6)).ok_or((6, "expected none, lz4, zlib or zstd".to_string()))?;
        if compression == Codec::Snappy {
            return Err((6, "SNAPPY is not published (Java consumers drop the pulsar crate's Snappy)".into()));
        }
        let routing = Routing::parse(&text(7))
            .ok_or((7, "expected round-robin, single, key or a partition number".to_string()))?;
        Ok((d, ProduceOptions { batching: false, compression, routing, schema_version: None }))
    }
}

impl App {
    /// `n`: the compose dialog on the topic the user is looking at.
    pub(super) fn open_compose(&mut self) -> Vec<Request> {
        match self.current_topic() {
            Some(topic) => self.compose = Some(ComposeDialog::new(topic)),
            None => self.set_status(Level::Error, "select a topic to compose a message on".into()),
        }
        Vec::new()
    }

    /// `w` in the browser: the compose dialog filled with the selected message (its value as
    /// JSON, key, ordering key, properties plus `PULSAR_TUI_RESENT_FROM=<topic>@<id>`, event
    /// time), to the same topic unless "to topic" is changed; an unedited value goes as the
    /// original bytes.
    pub(super) fn open_resend(&mut self) -> Vec<Request> {
        let Some(row) = self.browser.as_ref().and_then(|b| b.selected_row()) else {
            self.set_status(Level::Error, "select a message to re-send".into());
            return Vec::new();
        };
        let m = &row.message;
        let Ok(topic) = TopicName::parse(&m.topic).map(|t| t.parent()) else { return Vec::new() };
        let value_text = if row.decoded.is_ok() { row.decoded.value.to_string() } else { String::new() };
        let mut d = ComposeDialog::new(topic.clone());
        d.inputs[VALUE].set(value_text.clone());
        d.inputs[1].set(m.key.clone().unwrap_or_default());
        d.inputs[2].set(m.ordering_key.as_deref().map(String::from_utf8_lossy).unwrap_or_default());
        let mut props: Vec<String> = m.properties.iter().map(|(k, v)| format!("{k}={v}")).collect();
        props.push(format!("{RESENT_FROM}={}@{}", m.topic, m.id));
        d.inputs[3].set(props.join(", "));
        d.inputs[4].set(m.event_time_ms.map(|t| t.to_string()).unwrap_or_default());
        d.original = Some(Original { value_text, payload: m.payload.clone(), schema_version: m.schema_version });
        self.compose = Some(d);
        Vec::new()
    }

    /// `W` in the browser: the finished filter scan's matches, re-sent as they are, to the
    /// same topic or the one typed in "to topic"; the dialog previews them and Enter sends
    /// once the target topic's name is typed.
    pub(super) fn open_resend_matches(&mut self) -> Vec<Request> {
        let Some(b) = self.browser.as_ref() else { return Vec::new() };
        let Some(scan) = b.scan.as_ref() else {
            self.set_status(
                Level::Error,
                "W re-sends a filter's matches: filter first (/), or w for one message".into(),
            );
            return Vec::new();
        };
        if !scan.done {
            self.set_status(Level::Error, "the filter scan is still running: wait for it to end".into());
            return Vec::new();
        }
        let readable = |m: &crate::model::Message| m.meta.error.is_none() && m.meta.encryption.is_none();
        let drafts: Vec<Draft> = b.rows.iter().map(|r| &r.message).filter(|m| readable(m)).map(resend_draft).collect();
        let skipped = b.rows.len() - drafts.len();
        if drafts.is_empty() {
            self.set_status(Level::Error, "no match of the filter to re-send".into());
            return Vec::new();
        }
        let source = b.topic.parent();
        let mut d = ComposeDialog::new(source.clone());
        d.focus = TO;
        d.bulk = Some(Bulk { expr: scan.expr.clone(), source, drafts, skipped, typed: LineInput::default() });
        self.compose = Some(d);
        Vec::new()
    }

    /// `F` on a dead letter in the browser: its value to fix, then requeued to its original
    /// topic through the journaled requeue path.
    pub(super) fn open_fix(&mut self) -> Vec<Request> {
        let selected =
            self.browser.as_ref().and_then(|b| b.selected_row()).map(|r| (r.message.clone(), r.decoded.clone()));
        let Some((m, decoded)) = selected else {
            self.set_status(Level::Error, "select a dead letter to fix".into());
            return Vec::new();
        };
        let Ok(dlq) = TopicName::parse(&m.topic).map(|t| t.parent()) else { return Vec::new() };
        let mut d = ComposeDialog::new(dlq.clone());
        d.inputs[VALUE].set(if decoded.is_ok() { decoded.value.to_string() } else { String::new() });
        d.inputs[TO].set("the original topic (REAL_TOPIC)");
        d.fix = Some((dlq, m.id));
        self.compose = Some(d);
        Vec::new()
    }

    /// Keys while the compose dialog is open: Tab/↓ and Shift+Tab/↑ move between fields,
    /// Enter sends, Esc closes; once sent, `o` opens the browser at the message.
    pub(super) fn compose_key(&mut self, k: &KeyEvent) -> Vec<Request> {
        let Some(mut d) = self.compose.take() else { return Vec::new() };
        match (&d.stage, k.code) {
            (ComposeStage::Sending(_), KeyCode::Esc) => {
                self.compose = Some(d); // its answer closes nothing: wait for it
                return Vec::new();
            }
            (_, KeyCode::Esc) => return Vec::new(),
            (ComposeStage::Sent(ids), KeyCode::Char('o') | KeyCode::Enter) => {
                let start = ids.first().map(|id| StartFrom::Id(*id)).unwrap_or(StartFrom::Latest);
                let topic = d.topic.clone();
                return self.open_browser(topic, start);
            }
            (ComposeStage::Sent(_), KeyCode::Char('n')) => {
                d.stage = ComposeStage::Editing;
                if let Some(b) = d.bulk.as_mut() {
                    b.typed.clear(); // another round needs its own confirmation
                }
                self.compose = Some(d);
                return Vec::new();
            }
            (ComposeStage::Editing, _) => {}
            _ => {
                self.compose = Some(d);
                return Vec::new();
            }
        }
        if d.bulk.is_some() {
            let out = self.bulk_key(&mut d, k);
            self.compose = Some(d);
            return out;
        }
        let mut out = Vec::new();
        match k.code {
            // Ctrl+E: the value in $EDITOR (decoded JSON, pretty-printed)
            KeyCode::Char('e') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                let raw = d.inputs[VALUE].as_str();
                let text = serde_json::from_str::<serde_json::Value>(raw)
                    .ok()
                    .and_then(|v| serde_json::to_string_pretty(&v).ok())
                    .unwrap_or_else(|| raw.to_string());
                d.focus = VALUE;
                d.edit = Some(EditRequest { text });
            }
            KeyCode::Tab | KeyCode::Down => d.focus = (d.focus + 1) % FIELDS.len(),
            KeyCode::BackTab | KeyCode::Up => d.focus = (d.focus + FIELDS.len() - 1) % FIELDS.len(),
            _ => match d.inputs[d.focus].key(k) {
                Edit::Submit => match d.draft(self.wall_now()).and_then(|x| {
                    if d.fix.is_some() {
                        return Ok((x, d.topic.clone()));
                    }
                    TopicName::parse(d.inputs[TO].as_str().trim()).map(|t| (x, t)).map_err(|e| (TO, e.to_string()))
                }) {
                    Err(e) => d.error = Some(e),
                    Ok(((draft, _), _)) if d.fix.is_some() => {
                        d.error = None;
                        let (dlq, id) = d.fix.clone().expect("checked above");
                        let value = match draft.value {
                            DraftValue::Json(v) => v,
                            DraftValue::Bytes(_) => serde_json::from_str(d.inputs[VALUE].as_str()).unwrap_or_default(),
                        };
                        let journal = self.settings.journal_path.clone();
                        let req = self.request(RequestKind::Produce(ProduceRequest::FixAndRequeue {
                            dlq,
                            id,
                            value,
                            journal,
                        }));
                        d.stage = ComposeStage::Sending(req.id);
                        out.push(req);
                    }
                    Ok(((draft, options), to)) => {
                        d.error = None;
                        d.topic = to;
                        let req = self.request(RequestKind::Produce(ProduceRequest::Send {
                            topic: d.topic.clone(),
                            drafts: vec![draft],
                            options,
                        }));
                        d.stage = ComposeStage::Sending(req.id);
                        out.push(req);
                    }
                },
                Edit::Changed if d.error.as_ref().is_some_and(|(f, _)| *f == d.focus) => d.error = None,
                _ => {}
            },
        }
        self.compose = Some(d);
        out
    }

    /// Keys of the bulk re-send: Tab switches between "to topic" and the confirmation; Enter
    /// sends every match once the target's local name is typed.
    fn bulk_key(&mut self, d: &mut ComposeDialog, k: &KeyEvent) -> Vec<Request> {
        if matches!(k.code, KeyCode::Tab | KeyCode::BackTab | KeyCode::Down | KeyCode::Up) {
            d.focus = if d.focus == TO { CONFIRM } else { TO };
            return Vec::new();
        }
        let Some(bulk) = d.bulk.as_mut() else { return Vec::new() };
        let input = if d.focus == CONFIRM { &mut bulk.typed } else { &mut d.inputs[TO] };
        match input.key(k) {
            Edit::Submit => {}
            Edit::Changed => {
                d.error = None;
                return Vec::new();
            }
            _ => return Vec::new(),
        }
        let to = match TopicName::parse(d.inputs[TO].as_str().trim()) {
            Ok(t) => t,
            Err(e) => {
                d.error = Some((TO, e.to_string()));
                d.focus = TO;
                return Vec::new();
            }
        };
        if bulk.typed.as_str().trim() != to.local {
            d.error = Some((CONFIRM, format!("type {} to re-send {} messages", to.local, bulk.drafts.len())));
            d.focus = CONFIRM;
            return Vec::new();
        }
        d.error = None;
        d.topic = to.clone();
        let drafts = bulk.drafts.clone();
        let options = ProduceOptions::default();
        let req = self.request(RequestKind::Produce(ProduceRequest::Send { topic: to, drafts, options }));
        d.stage = ComposeStage::Sending(req.id);
        vec![req]
    }

    /// The value the dialog wants edited in `$EDITOR`, if any (the runtime runs the editor
    /// and answers with [`super::Event::Edited`]).
    pub fn take_edit(&mut self) -> Option<EditRequest> {
        self.compose.as_mut()?.edit.take()
    }

    /// What the editor saved (or why there is nothing): the value field takes it (JSON on one
    /// line), and a JSON value is checked against the target topic's latest schema at once
    /// (the field path of what does not fit is shown at the value).
    pub(super) fn compose_edited(&mut self, result: Result<String, String>) -> Vec<Request> {
        let Some(mut d) = self.compose.take() else { return Vec::new() };
        let out = self.apply_edit(&mut d, result);
        self.compose = Some(d);
        out
    }

    fn apply_edit(&mut self, d: &mut ComposeDialog, result: Result<String, String>) -> Vec<Request> {
        if d.stage != ComposeStage::Editing {
            return Vec::new();
        }
        d.focus = VALUE;
        d.validating = None;
        let text = match result {
            Ok(t) => t,
            Err(e) => {
                d.error = Some((VALUE, format!("editor: {e} (the value is unchanged)")));
                return Vec::new();
            }
        };
        let trimmed = text.trim();
        let value = match serde_json::from_str::<serde_json::Value>(trimmed) {
            Ok(v) => v,
            Err(e) => {
                d.inputs[VALUE].set(trimmed.lines().map(str::trim).collect::<Vec<_>>().join(" "));
                d.error = trimmed.starts_with(['{', '[']).then(|| (VALUE, format!("not JSON: {e}")));
                return Vec::new();
            }
        };
        d.inputs[VALUE].set(value.to_string());
        d.error = None;
        if d.fix.is_some() {
            return Vec::new(); // encoded with the original topic's schema when requeued
        }
        let topic = TopicName::parse(d.inputs[TO].as_str().trim()).unwrap_or_else(|_| d.topic.clone());
        let req = self.request(RequestKind::Produce(ProduceRequest::FetchSchema { topic, version: None }));
        d.validating = Some((req.id, value));
        vec![req]
    }

    /// The worker's answer to the dialog's send.
    pub(super) fn compose_response(&mut self, id: RequestId, r: ProduceResponse) {
        if let ProduceResponse::SchemaFetched { schema, .. } = &r {
            let Some(d) = self.compose.as_mut() else { return };
            let Some((_, value)) = d.validating.take_if(|(v, _)| *v == id) else { return };
            let checked = crate::encode::Encoder::new(schema.as_ref()).and_then(|e| e.encode(&value).map(|_| ()));
            if let Err(e) = checked {
                d.error = Some((VALUE, e.to_string()));
            }
            return;
        }
        let Some(d) = self.compose.as_mut().filter(|d| d.stage == ComposeStage::Sending(id)) else { return };
        match r {
            ProduceResponse::Sent { ids, .. } => {
                let shown: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
                let text = match &d.bulk {
                    Some(b) => format!("re-sent {} matches of {} to {}", ids.len(), b.expr, d.topic),
                    None => format!("sent to {}: {}", d.topic, shown.join(", ")),
                };
                d.stage = ComposeStage::Sent(ids);
                self.set_status(Level::Info, text);
            }
            ProduceResponse::Refused { error, .. } => {
                d.error = Some((VALUE, error.to_string()));
                d.stage = ComposeStage::Editing;
                d.focus = VALUE;
            }
            ProduceResponse::Requeued { moved, failures } => {
                let text = match failures.first() {
                    _ if moved > 0 => format!("requeued: the fixed letter is in its original topic ({moved} moved)"),
                    Some((id, why)) => format!("not requeued: {id}: {why}"),
                    None => "nothing moved (already requeued? see the journal)".to_string(),
                };
                d.stage = ComposeStage::Requeued(text);
            }
            ProduceResponse::SchemaFetched { .. } => {}
        }
    }

    /// The dialog's send failed (the broker, read-only mode…): shown at the value.
    pub(super) fn compose_failed(&mut self, id: RequestId, error: &ClientError) {
        if let Some(d) = self.compose.as_mut().filter(|d| d.stage == ComposeStage::Sending(id)) {
            d.error = Some((VALUE, error.to_string()));
            d.stage = ComposeStage::Editing;
        }
    }
}
