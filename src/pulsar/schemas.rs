//! The schema registry through the admin API, cached per topic and version, and decoding
//! of messages with the exact schema version they were written with.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::error::{ClientError, Result};
use super::message::Message;
use super::topic::TopicName;
use super::Client;
use crate::decode::{DecodeError, Decoded, Decoder, SchemaInfo};

/// The schema view's request group (ARCHITECTURE.md, "Adding a request group").
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaRequest {
    /// Every schema version of a topic and its namespace's compatibility strategy.
    FetchSchemas { topic: TopicName },
}

#[derive(Debug, Clone, PartialEq)]
pub enum SchemaResponse {
    SchemasFetched { topic: TopicName, versions: Vec<SchemaInfo>, compatibility: Option<String> },
}

impl SchemaRequest {
    pub fn describe(&self) -> String {
        match self {
            SchemaRequest::FetchSchemas { topic } => format!("schemas of {topic}"),
        }
    }
}

pub async fn execute(client: &Client, r: &SchemaRequest) -> Result<SchemaResponse> {
    match r {
        SchemaRequest::FetchSchemas { topic } => {
            let (versions, compat) =
                futures::join!(client.schema_versions(topic), client.compatibility_strategy(topic));
            Ok(SchemaResponse::SchemasFetched { topic: topic.clone(), versions: versions?, compatibility: compat.ok() })
        }
    }
}

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

/// The decoder a "decode as…" choice names, reading the files it names.
pub fn forced_decoder(choice: &crate::decode::DecodeAs) -> std::result::Result<Decoder, String> {
    use crate::decode::DecodeAs;
    let read =
        |p: &std::path::Path| std::fs::read(p).map_err(|e| format!("decode as: cannot read {}: {e}", p.display()));
    let info = match choice {
        DecodeAs::Type(t) => SchemaInfo {
            schema_type: *t,
            version: None,
            timestamp_ms: None,
            data: String::new(),
            properties: Default::default(),
        },
        DecodeAs::Avro(p) => {
            let text = String::from_utf8(read(p)?).map_err(|_| format!("decode as: {} is not UTF-8", p.display()))?;
            SchemaInfo::from_avsc(&text).map_err(|e| format!("decode as: {}: {e}", p.display()))?
        }
        DecodeAs::Proto { descriptor_set, message } => SchemaInfo::from_descriptor_set(&read(descriptor_set)?, message)
            .map_err(|e| format!("decode as: {}: {e}", descriptor_set.display()))?,
    };
    Decoder::new(&info).map_err(|e| format!("decode as {choice}: {e}"))
}

/// Decodes the messages of one read, remembering the decoders it used (no lock per message).
pub struct MessageDecoder {
    topic: TopicName,
    /// Where to look when `topic` has no schema (a DLQ decoded with its origin's schema);
    /// without it, a message's `REAL_TOPIC` property names the origin.
    fallback: Option<TopicName>,
    /// Decoders by (origin topic used, schema version).
    local: HashMap<(Option<String>, Option<i64>), Entry>,
    /// Schema versions of origin topics, newest first (to find the writer of a dead letter
    /// that carries no version).
    origin_versions: HashMap<String, Vec<i64>>,
    schemaless: Decoder,
    /// "Decode as…": used for every message instead of the registry's schema.
    forced: Option<(Arc<Decoder>, String)>,
}

impl MessageDecoder {
    pub fn new(topic: &TopicName) -> MessageDecoder {
        MessageDecoder {
            topic: topic.parent(),
            fallback: None,
            local: HashMap::new(),
            origin_versions: HashMap::new(),
            schemaless: Decoder::schemaless(),
            forced: None,
        }
    }

    /// Decodes every message with `choice` (see [`forced_decoder`]); `None` keeps the registry.
    pub fn forcing(mut self, choice: Option<&crate::decode::DecodeAs>) -> std::result::Result<MessageDecoder, String> {
        if let Some(c) = choice {
            self.forced = Some((Arc::new(forced_decoder(c)?), c.to_string()));
        }
        Ok(self)
    }

    /// Decodes with `topic`'s schema, or with `fallback`'s when `topic` has none for a
    /// message (how DLQ messages are shown: the DLQ producer often registers no schema).
    pub fn with_fallback(topic: &TopicName, fallback: Option<&TopicName>) -> MessageDecoder {
        MessageDecoder { fallback: fallback.map(TopicName::parent), ..MessageDecoder::new(topic) }
    }

    async fn entry(&mut self, client: &Client, origin: Option<&TopicName>, version: Option<i64>) -> Entry {
        let key = (origin.map(|o| o.to_string()), version);
        if let Some(e) = self.local.get(&key) {
            return e.clone();
        }
        let e = match origin {
            Some(o) => client.decoder(o, version).await,
            None => client.decoder(&self.topic, version).await,
        };
        self.local.insert(key, e.clone());
        e
    }

    pub async fn decode(&mut self, client: &Client, m: &Message) -> Decoded {
        // encrypted, an incomplete chunk set, an entry that could not be read: never fed to
        // a decoder (ciphertext would "decode" as garbage values)
        if let Some(e) = &m.meta.error {
            return Decoded::not_decoded(e.clone());
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
        if let Some((d, name)) = &self.forced {
            let mut out = d.decode(&m.payload, key.as_deref());
            out.notes.push(format!("decoded as {name} (forced with d; `auto` goes back to the registry)"));
            return out;
        }
        let own = self.entry(client, None, m.schema_version).await;
        let no_schema = matches!(&own, Ok(None)) || matches!(&own, Err(r) if r.contains("not found"));
        if no_schema {
            let origin = self.fallback.clone().or_else(|| {
                m.properties.get(crate::dlq::REAL_TOPIC).and_then(|t| TopicName::parse(t).ok()).map(|t| t.parent())
            });
            if let Some(origin) = origin.filter(|o| *o != self.topic) {
                if let Some(d) = self.decode_as_origin(client, &origin, m, key.as_deref()).await {
                    return d;
                }
            }
        }
        let decoder = match &own {
            Ok(Some(d)) => d.as_ref(),
            Ok(None) => &self.schemaless,
            Err(reason) => {
                return Decoded::not_decoded(reason.clone());
            }
        };
        decoder.decode(&m.payload, key.as_deref())
    }

    /// A dead letter with the origin topic's schema: its own version when it carries one,
    /// else the newest version of the origin that decodes it cleanly.
    async fn decode_as_origin(
        &mut self,
        client: &Client,
        origin: &TopicName,
        m: &Message,
        key: Option<&[u8]>,
    ) -> Option<Decoded> {
        let note = |v: Option<i64>, guessed: bool| {
            let v = v.map(|v| format!(" v{v}")).unwrap_or_default();
            if guessed {
                format!("decoded with the schema{v} of {origin} (the message carries no version: the newest that fits)")
            } else {
                format!("decoded with the schema{v} of {origin} (this topic has none)")
            }
        };
        if m.schema_version.is_some() {
            let Ok(Some(d)) = self.entry(client, Some(origin), m.schema_version).await else { return None };
            let mut out = d.decode(&m.payload, key);
            out.notes.push(note(m.schema_version, false));
            return Some(out);
        }
        let mut first_error = None;
        for v in self.versions_of(client, origin).await {
            let Ok(Some(d)) = self.entry(client, Some(origin), Some(v)).await else { continue };
            let out = d.decode(&m.payload, key);
            if out.error.is_none() {
                let mut out = out;
                out.notes.push(note(Some(v), true));
                return Some(out);
            }
            first_error.get_or_insert(out);
        }
        first_error.map(|out| Decoded {
            error: out.error.map(|e| DecodeError::WithSchemaOf { error: Box::new(e), origin: origin.to_string() }),
            ..out
        })
    }

    /// Schema versions of a topic, newest first (cached for this decoder).
    async fn versions_of(&mut self, client: &Client, topic: &TopicName) -> Vec<i64> {
        let name = topic.to_string();
        if !self.origin_versions.contains_key(&name) {
            let mut versions: Vec<i64> =
                client.schema_versions(topic).await.unwrap_or_default().iter().filter_map(|s| s.version).collect();
            versions.sort_unstable_by(|a, b| b.cmp(a));
            self.origin_versions.insert(name.clone(), versions);
        }
        self.origin_versions.get(&name).cloned().unwrap_or_default()
    }

    /// The schema version of `topic` a message was written with: its own when it carries
    /// one that `topic` has, else the newest version of `topic` that decodes it cleanly
    /// (a dead letter republished without its version). `None` when `topic` has no schema
    /// or none fits.
    pub async fn writer_version(&mut self, client: &Client, topic: &TopicName, m: &Message) -> Option<i64> {
        let topic = topic.parent();
        let versions = self.versions_of(client, &topic).await;
        if let Some(v) = m.schema_version {
            return versions.contains(&v).then_some(v);
        }
        let key = m.key.as_deref().map(str::as_bytes).filter(|_| !m.key_is_base64);
        for v in versions {
            let Ok(Some(d)) = self.entry(client, Some(&topic), Some(v)).await else { continue };
            if d.decode(&m.payload, key).error.is_none() {
                return Some(v);
            }
        }
        None
    }
}
