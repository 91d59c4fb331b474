//! The compose dialog (`n` on a topic in the explorer or the browser): a value (JSON for a
//! topic with a schema, text for one without), key, ordering key, properties, event time,
//! deliver-after and the producer's options. The worker encodes the value with the topic's
//! schema and refuses it before anything is sent when it does not fit; the error is shown at
//! the value's field. Once the broker confirmed it, the dialog shows the id, and `o` opens the
//! browser there.

use crossterm::event::{KeyCode, KeyEvent};

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
}

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
        props.push(format!("PULSAR_TUI_RESENT_FROM={}@{}", m.topic, m.id));
        d.inputs[3].set(props.join(", "));
        d.inputs[4].set(m.event_time_ms.map(|t| t.to_string()).unwrap_or_default());
        d.original = Some(Original { value_text, payload: m.payload.clone(), schema_version: m.schema_version });
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
                self.compose = Some(d);
                return Vec::new();
            }
            (ComposeStage::Editing, _) => {}
            _ => {
                self.compose = Some(d);
                return Vec::new();
            }
        }
        let mut out = Vec::new();
        match k.code {
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

    /// The worker's answer to the dialog's send.
    pub(super) fn compose_response(&mut self, id: RequestId, r: ProduceResponse) {
        let Some(d) = self.compose.as_mut().filter(|d| d.stage == ComposeStage::Sending(id)) else { return };
        match r {
            ProduceResponse::Sent { ids, .. } => {
                let shown: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
                let text = format!("sent to {}: {}", d.topic, shown.join(", "));
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
