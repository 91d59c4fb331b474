//! The schema registry through the admin API, cached per topic and version, and decoding
//! of messages with the exact schema version they were written with.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::error::{ClientError, Result};
use super::message::Message;
use super::topic::TopicName;
use super::Client;
use crate::decode::{Decoder, SchemaInfo};
use crate::envelope::Decoded;

/// One schema lookup: the compiled decoder, or none when the topic has no schema.
type Entry = std::result::Result<Option<Arc<Decoder>>, String>;

/// Decoders by (topic, version); `None` as version means "latest". Shared by every task.
#[derive(Default)]
pub struct SchemaCache {
    entries: Mutex<HashMap<(String, Option<i64>), Entry>>,
}

fn schema_path(topic: &TopicName, version: Option<i64>) -> String {
    let base = format!(
        "/admin/v2/schemas/{}/{}/{}/schema",
        topic.tenant,
        topic.namespace,
        urlencoding::encode(&topic.parent().local)
    );
    match version {
        Some(v) => format!("{base}/{v}"),
        None => base,
    }
}

impl Client {
    /// The raw schema (admin `GetSchemaResponse`) of a topic at a version, `None` without one.
    pub async fn schema_info(&self, topic: &TopicName, version: Option<i64>) -> Result<Option<SchemaInfo>> {
        match self.admin.get_json::<serde_json::Value>(&schema_path(topic, version)).await {
            Ok(v) => SchemaInfo::from_admin_json(&v)
                .map(Some)
                .map_err(|e| ClientError::Protocol { what: format!("schema of {topic}"), reason: e.to_string() }),
            Err(ClientError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every schema version of a topic, oldest first (empty when it has no schema).
    pub async fn schema_versions(&self, topic: &TopicName) -> Result<Vec<SchemaInfo>> {
        let path = format!(
            "/admin/v2/schemas/{}/{}/{}/schemas",
            topic.tenant,
            topic.namespace,
            urlencoding::encode(&topic.parent().local)
        );
        match self.admin.get_json::<serde_json::Value>(&path).await {
            Ok(v) => crate::decode::parse_schema_list(&v)
                .map_err(|e| ClientError::Protocol { what: format!("schemas of {topic}"), reason: e.to_string() }),
            Err(ClientError::NotFound { .. }) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// The namespace's schema compatibility strategy (`FULL`, `BACKWARD`...; `UNDEFINED`
    /// means the broker's default applies).
    pub async fn compatibility_strategy(&self, topic: &TopicName) -> Result<String> {
        let path = format!("/admin/v2/namespaces/{}/schemaCompatibilityStrategy", topic.namespace_path());
        let v: serde_json::Value = self.admin.get_json(&path).await?;
        Ok(v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
    }

    /// The decoder for one schema version of a topic (cached). Errors other than "no
    /// schema" are cached too, as decode errors, except connectivity ones.
    pub async fn decoder(&self, topic: &TopicName, version: Option<i64>) -> Entry {
        let key = (topic.parent().to_string(), version);
        if let Some(e) = self.schemas.entries.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return e;
        }
        let entry: Entry = match self.schema_info(topic, version).await {
            Ok(None) if version.is_some() => {
                Err(format!("schema version {} of {} not found", version.unwrap_or(-1), topic.parent()))
            }
            Ok(None) => Ok(None),
            Ok(Some(info)) => Decoder::new(&info).map(|d| Some(Arc::new(d))).map_err(|e| format!("bad schema: {e}")),
            Err(e) if e.is_connectivity() => return Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Ok(mut m) = self.schemas.entries.lock() {
            m.insert(key, entry.clone());
        }
        entry
    }
}

/// Decodes the messages of one read, remembering the decoders it used (no lock per message).
pub struct MessageDecoder {
    topic: TopicName,
    /// Where to look when `topic` has no schema (a DLQ decoded with its origin's schema).
    fallback: Option<TopicName>,
    local: HashMap<Option<i64>, Entry>,
    schemaless: Decoder,
}

impl MessageDecoder {
    pub fn new(topic: &TopicName) -> MessageDecoder {
        MessageDecoder {
            topic: topic.parent(),
            fallback: None,
            local: HashMap::new(),
            schemaless: Decoder::schemaless(),
        }
    }

    /// Decodes with `topic`'s schema, or with `fallback`'s when `topic` has none for a
    /// message (how DLQ messages are shown: the DLQ producer often registers no schema).
    pub fn with_fallback(topic: &TopicName, fallback: Option<&TopicName>) -> MessageDecoder {
        MessageDecoder { fallback: fallback.map(TopicName::parent), ..MessageDecoder::new(topic) }
    }

    pub async fn decode(&mut self, client: &Client, m: &Message) -> Decoded {
        if !self.local.contains_key(&m.schema_version) {
            let mut e = client.decoder(&self.topic, m.schema_version).await;
            if let Some(fallback) = &self.fallback {
                // no schema at all, or not this version: try the origin topic
                if matches!(&e, Ok(None)) || matches!(&e, Err(r) if r.contains("not found")) {
                    let other = client.decoder(fallback, m.schema_version).await;
                    if matches!(other, Ok(Some(_))) {
                        e = other;
                    }
                }
            }
            self.local.insert(m.schema_version, e);
        }
        // the key's bytes (for KEY_VALUE SEPARATED); copied only when it is base64
        let key: Option<std::borrow::Cow<[u8]>> = m.key.as_ref().map(|k| {
            if m.key_is_base64 {
                use base64::Engine;
                let bytes =
                    base64::engine::general_purpose::STANDARD.decode(k).unwrap_or_else(|_| k.as_bytes().to_vec());
                std::borrow::Cow::Owned(bytes)
            } else {
                std::borrow::Cow::Borrowed(k.as_bytes())
            }
        });
        let decoder = match self.local.get(&m.schema_version) {
            Some(Ok(Some(d))) => d.as_ref(),
            Some(Ok(None)) | None => &self.schemaless,
            Some(Err(reason)) => {
                return Decoded { value: serde_json::Value::Null, error: Some(reason.clone()), notes: Vec::new() };
            }
        };
        let d = decoder.decode(&m.payload, key.as_deref());
        Decoded { value: d.value, error: d.error.map(|e| e.to_string()), notes: d.notes }
    }
}
