//! The policies section's requests: read every policy of a namespace or topic at each level
//! (and the broker's defaults and the live stats the capacity estimates need), preview a
//! change, apply it. Writes go through the admin client, which refuses them in read-only
//! mode before any I/O.

use std::collections::{BTreeMap, HashMap};

use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

use super::error::{ClientError, Result};
use super::Client;
use crate::policies::capacity::Sample;
use crate::policies::edit::{preview_remove, preview_set, EditKey, Preview, Reach};
use crate::policies::{resolve_all, BrokerConfig, Effectives, Level, Raw, Target, CATALOGUE};

/// At most this many topics' stats are read for a namespace's capacity.
const NAMESPACE_TOPICS: usize = 200;

/// A change: a new value of an edit key, or the removal of the target level's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Set {
        key: EditKey,
        value: String,
    },
    /// An edit key or a catalogue key.
    Remove {
        key: String,
    },
}

impl Edit {
    /// The preview of this edit against a snapshot.
    pub fn preview(&self, target: &Target, snap: &Snapshot) -> std::result::Result<Preview, String> {
        match self {
            Edit::Set { key, value } => preview_set(target, &snap.effective, *key, value, &snap.reach),
            Edit::Remove { key } => preview_remove(target, &snap.effective, key, &snap.reach),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum PoliciesRequest {
    /// Every policy of the target with its source, and the live numbers.
    Fetch { target: Target },
    /// What an edit would do (reads the current values first).
    Preview { target: Target, edit: Edit },
    /// Make the change (after reading the current values: the preview is recomputed). A
    /// change that can drop data is refused unless `confirmed` is the name it asks for (the
    /// values may have changed since the preview the user confirmed).
    Apply { target: Target, edit: Edit, confirmed: Option<String> },
}

#[derive(Debug, Clone, PartialEq)]
pub enum PoliciesResponse {
    Fetched { target: Target, snapshot: Box<Snapshot> },
    Previewed { target: Target, preview: Box<Preview> },
    Applied { target: Target, preview: Box<Preview> },
}

impl PoliciesRequest {
    pub fn describe(&self) -> String {
        match self {
            PoliciesRequest::Fetch { target } => format!("policies of {target}"),
            PoliciesRequest::Preview { target, .. } => format!("policy change preview on {target}"),
            PoliciesRequest::Apply { target, .. } => format!("policy change on {target}"),
        }
    }
}

/// What one read found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    pub effective: Effectives,
    pub reach: Reach,
    /// The topic's live numbers (one), or each topic's of a namespace.
    pub samples: Vec<Sample>,
    /// Calls that failed (their policy shows as not set there).
    pub errors: Vec<String>,
}

pub async fn execute(client: &Client, request: &PoliciesRequest) -> Result<PoliciesResponse> {
    match request {
        PoliciesRequest::Fetch { target } => {
            let snapshot = fetch(client, target).await?;
            Ok(PoliciesResponse::Fetched { target: target.clone(), snapshot: Box::new(snapshot) })
        }
        PoliciesRequest::Preview { target, edit } => {
            let snap = fetch(client, target).await?;
            let preview = edit.preview(target, &snap).map_err(ClientError::Invalid)?;
            Ok(PoliciesResponse::Previewed { target: target.clone(), preview: Box::new(preview) })
        }
        PoliciesRequest::Apply { target, edit, confirmed } => {
            client.ensure_writable(&format!("policy change on {target}"))?;
            let snap = fetch(client, target).await?;
            let preview = edit.preview(target, &snap).map_err(ClientError::Invalid)?;
            if let (Some(name), Some(why)) = (&preview.confirm, &preview.drops_data) {
                if confirmed.as_deref() != Some(name.as_str()) {
                    return Err(ClientError::Invalid(format!(
                        "not changed: {} -> {} can drop data ({why}); confirm with the name {name}",
                        preview.before, preview.after
                    )));
                }
            }
            apply(client, &preview).await?;
            Ok(PoliciesResponse::Applied { target: target.clone(), preview: Box::new(preview) })
        }
    }
}

/// Sends a previewed change (the admin client refuses it in read-only mode).
pub async fn apply(client: &Client, preview: &Preview) -> Result<()> {
    let c = &preview.call;
    let method = match c.method {
        "PUT" => Method::PUT,
        "DELETE" => Method::DELETE,
        _ => Method::POST,
    };
    client.admin.write(method, &c.path, c.body.clone()).await
}

/// A policy GET: `None` for an empty answer (not set at that level).
async fn get_policy(client: &Client, path: &str) -> Result<Option<Value>> {
    let text = client.admin.get_text(path).await?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| ClientError::Protocol { what: format!("GET {path}"), reason: e.to_string() })
}

/// The broker's runtime configuration (every value as a string).
pub async fn broker_config(client: &Client) -> Result<BrokerConfig> {
    let map: BTreeMap<String, Value> = client.admin.get_json("/admin/v2/brokers/configuration/runtime").await?;
    Ok(BrokerConfig(
        map.into_iter().map(|(k, v)| (k, v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))).collect(),
    ))
}

/// Reads every policy of the target at each level, the broker defaults, and the stats.
pub async fn fetch(client: &Client, target: &Target) -> Result<Snapshot> {
    let broker = broker_config(client).await?;
    let ns_target = Target::Namespace(target.namespace());
    // the target must exist: its stats (a topic) or its policies (a namespace)
    let (samples, reach) = match target {
        Target::Topic(t) => {
            let (sample, reach) = topic_sample(client, t).await?;
            (vec![sample], reach)
        }
        Target::Namespace(ns) => {
            let _: Value = client.admin.get_json(&format!("/admin/v2/namespaces/{ns}")).await?;
            let topics = client.admin.topics(ns).await?;
            let names: Vec<&crate::model::TopicName> =
                topics.iter().filter(|e| e.name.persistent).take(NAMESPACE_TOPICS).map(|e| &e.name).collect();
            // 16 at a time: a namespace of many topics is not a burst of hundreds of calls
            let mut samples: Vec<Sample> = Vec::new();
            for chunk in names.chunks(16) {
                let reads = futures::future::join_all(chunk.iter().map(|t| topic_sample(client, t))).await;
                samples.extend(reads.into_iter().filter_map(|r| r.ok()).map(|(s, _)| s));
            }
            (samples, Reach { topics: Some(topics.len()), ..Reach::default() })
        }
    };
    let topic_level = target.level() == Level::Topic && broker.topic_policies_enabled();
    // every distinct path once (the two backlog quota policies share their map)
    let mut paths: Vec<String> = Vec::new();
    let mut want = |p: String| {
        if !paths.contains(&p) {
            paths.push(p);
        }
    };
    for d in CATALOGUE.iter().filter(|d| d.exists_at(target.level())) {
        if let Some(p) = d.ns_path {
            want(ns_target.path(p));
        }
        if let (true, Some(p)) = (topic_level, d.topic_path) {
            want(target.path(p));
            if d.applied {
                want(format!("{}?applied=true", target.path(p)));
            }
        }
    }
    let answers = futures::future::join_all(paths.iter().map(|p| get_policy(client, p))).await;
    let mut got: HashMap<&str, Option<Value>> = HashMap::new();
    let mut errors = Vec::new();
    for (p, a) in paths.iter().zip(answers) {
        match a {
            Ok(v) => {
                got.insert(p, v);
            }
            Err(e) if e.is_connectivity() => return Err(e),
            Err(e) => {
                errors.push(e.to_string());
                got.insert(p, None);
            }
        }
    }
    let mut raws = BTreeMap::new();
    for d in CATALOGUE.iter().filter(|d| d.exists_at(target.level())) {
        let at = |p: Option<String>| p.and_then(|p| got.get(p.as_str()).cloned().flatten());
        let topic_path = d.topic_path.filter(|_| topic_level);
        raws.insert(
            d.key,
            Raw {
                topic: at(topic_path.map(|p| target.path(p))),
                namespace: at(d.ns_path.map(|p| ns_target.path(p))),
                applied: at(topic_path.filter(|_| d.applied).map(|p| format!("{}?applied=true", target.path(p)))),
            },
        );
    }
    Ok(Snapshot { effective: resolve_all(target, &raws, &broker), reach, samples, errors })
}

/// The live numbers of one topic (a partitioned topic's totals), and who a change reaches.
pub async fn topic_sample(client: &Client, topic: &crate::model::TopicName) -> Result<(Sample, Reach)> {
    let partitions = client.admin.partition_count(topic).await.unwrap_or(0);
    let path = if partitions > 0 {
        format!("/admin/v2/{}/partitioned-stats?perPartition=false&getEarliestTimeInBacklog=true", topic.rest_path())
    } else {
        format!("/admin/v2/{}/stats?getEarliestTimeInBacklog=true", topic.rest_path())
    };
    let v: Value = client.admin.get_json(&path).await?;
    let (mut sample, reach) = sample_of(&topic.to_string(), partitions, &v);
    // `oldestBacklogMessageAgeSeconds` is -1 until the broker's quota check ran (every 60 s):
    // the earliest publish time in the backlog says it at once
    let earliest = v.get("earliestMsgPublishTimeInBacklogs").and_then(Value::as_i64).unwrap_or(0);
    if sample.oldest_backlog_age_s < 0 && earliest > 0 && sample.backlog_msgs > 0 {
        let now = chrono::Utc::now().timestamp_millis();
        sample.oldest_backlog_age_s = ((now - earliest) / 1000).max(0);
    }
    Ok((sample, reach))
}

/// A sample from a stats answer (`/stats` or `/partitioned-stats`).
pub fn sample_of(topic: &str, partitions: u32, v: &Value) -> (Sample, Reach) {
    let f = |v: &Value, k: &str| v.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    let i = |v: &Value, k: &str, d: i64| v.get(k).and_then(Value::as_i64).unwrap_or(d);
    let empty = serde_json::Map::new();
    let subs = v.get("subscriptions").and_then(Value::as_object).unwrap_or(&empty);
    // the subscription with the largest backlog is the one the quota follows
    let slowest = subs.values().max_by_key(|s| i(s, "msgBacklog", 0));
    let consumers = subs.values().map(|s| s.get("consumers").and_then(Value::as_array).map_or(0, Vec::len)).sum();
    let sample = Sample {
        topic: topic.to_string(),
        partitions,
        rate_in_msgs: f(v, "msgRateIn"),
        rate_in_bytes: f(v, "msgThroughputIn"),
        backlog_bytes: i(v, "backlogSize", 0),
        backlog_msgs: slowest.map_or(0, |s| i(s, "msgBacklog", 0)),
        slowest_out_msgs: slowest.map_or(0.0, |s| f(s, "msgRateOut")),
        slowest_out_bytes: slowest.map_or(0.0, |s| f(s, "msgThroughputOut")),
        storage_bytes: i(v, "storageSize", 0),
        oldest_backlog_age_s: i(v, "oldestBacklogMessageAgeSeconds", -1),
        subscriptions: subs.len(),
    };
    let reach = Reach {
        topics: None,
        subscriptions: Some(subs.len()),
        producers: v.get("publishers").and_then(Value::as_array).map(Vec::len),
        consumers: Some(consumers),
    };
    (sample, reach)
}
