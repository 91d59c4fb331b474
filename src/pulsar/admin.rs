//! The admin REST API (`/admin/v2/...`) over one shared [`Transport`] (plain HTTP for an
//! `http://` admin URL, reqwest otherwise).

use std::time::Duration;

use futures::StreamExt;
use reqwest::{header, Method, StatusCode};
use serde::de::DeserializeOwned;

use super::error::{ClientError, Result};
use super::message::MessageId;
use super::oauth2::OAuth2TokenSource;
use super::redirect::{self, ClusterOrigins, Origin};
use super::stats::{TenantInfo, TopicStats};
use super::tls::TlsOptions;
use super::topic::TopicName;
use super::transport::{transport_error, Transport};

/// How many cross-broker redirects one call may follow.
const MAX_REDIRECTS: usize = 5;

/// A redirect to an origin not yet known re-reads the cluster's broker list at most this often.
const RELEARN_BROKERS_AFTER: Duration = Duration::from_secs(30);

/// The brokers learned from `/admin/v2/brokers/{cluster}`, and when.
type Learned = std::sync::Arc<tokio::sync::Mutex<Option<(std::time::Instant, Vec<Origin>)>>>;

/// Client of one cluster's admin API. Cheap to clone: it shares the connection pool.
#[derive(Clone)]
pub struct AdminClient {
    http: Transport,
    base: String,
    /// Shared by every clone, so a token re-read after a 401 serves them all.
    token: std::sync::Arc<std::sync::RwLock<Option<String>>>,
    token_file: Option<std::path::PathBuf>,
    /// OAuth2 client credentials: the token comes from the issuer (cached, refreshed).
    oauth2: Option<OAuth2TokenSource>,
    timeout: Duration,
    read_only: bool,
    /// Who may receive the token on a redirect (see `pulsar::redirect`).
    origins: ClusterOrigins,
    learned: Learned,
}

/// One message as the admin "examine" call shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Examined {
    pub id: MessageId,
    pub publish_time_ms: Option<i64>,
    pub properties: std::collections::BTreeMap<String, String>,
}

/// One topic as listed in a namespace, with partitions grouped under their parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicEntry {
    pub name: TopicName,
    /// 0 for a non-partitioned topic.
    pub partitions: u32,
}

impl AdminClient {
    pub fn new(base_url: &str, token: Option<String>, timeout: Duration) -> Result<AdminClient> {
        AdminClient::with_tls(base_url, token, timeout, &TlsOptions::default())
    }

    /// A client whose certificate checks follow `tls` (also used for `/metrics`). For an
    /// `http://` admin URL no TLS is set up until something needs it (see `Transport`).
    pub fn with_tls(base_url: &str, token: Option<String>, timeout: Duration, tls: &TlsOptions) -> Result<AdminClient> {
        let http = Transport::new(base_url, timeout, tls)?;
        Ok(AdminClient {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            token: std::sync::Arc::new(std::sync::RwLock::new(token)),
            token_file: None,
            oauth2: None,
            timeout,
            read_only: false,
            origins: ClusterOrigins::new(base_url, None),
            learned: Learned::default(),
        })
    }

    /// The configured service URL: its hosts (at the admin URL's port) belong to the
    /// cluster, so a redirect to them keeps the token.
    pub fn set_service_url(&mut self, service_url: &str) {
        self.origins = ClusterOrigins::new(&self.base, Some(service_url));
    }

    /// The file the token came from: re-read once when the broker answers 401, so a
    /// rotated token is picked up without a restart.
    pub fn set_token_file(&mut self, path: Option<std::path::PathBuf>) {
        self.token_file = path;
    }

    /// Tokens come from an OAuth2 issuer (client credentials) instead of a fixed token.
    pub fn set_oauth2(&mut self, source: Option<OAuth2TokenSource>) {
        self.oauth2 = source;
    }

    /// The token to send: the OAuth2 source's (fetched when needed) or the fixed one.
    async fn current_token(&self) -> Result<Option<String>> {
        match &self.oauth2 {
            Some(o) => o.token().await.map(Some),
            None => Ok(self.token()),
        }
    }

    /// After a 401 with OAuth2: a new token from the issuer, when it gives another one.
    async fn refresh_oauth2(&self) -> bool {
        let Some(o) = &self.oauth2 else { return false };
        let Ok(rejected) = o.token().await else { return false };
        o.refresh_after_rejection(&rejected).await.is_some()
    }

    fn token(&self) -> Option<String> {
        self.token.read().ok().and_then(|t| t.clone())
    }

    /// After a 401: re-reads the token file; true when it holds a different token.
    fn reload_token(&self) -> bool {
        let Some(path) = &self.token_file else { return false };
        let Ok(text) = std::fs::read_to_string(path) else { return false };
        let fresh = text.trim().to_string();
        if fresh.is_empty() || Some(&fresh) == self.token().as_ref() {
            return false;
        }
        tracing::info!("admin API answered 401: using the new token from {}", path.display());
        if let Ok(mut t) = self.token.write() {
            *t = Some(fresh);
        }
        true
    }

    /// In read-only mode every call but GET is refused before any I/O.
    pub fn set_read_only(&mut self, read_only: bool) {
        self.read_only = read_only;
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The shared reqwest client (`/metrics` scrapes, health checks), built on first use.
    pub async fn http(&self) -> Result<reqwest::Client> {
        self.http.reqwest().await
    }

    /// True once the reqwest client, and with it the TLS context, has been built.
    pub fn tls_ready(&self) -> bool {
        self.http.tls_ready()
    }

    /// Sends one request, following same-scheme redirects with the auth header kept; a
    /// 401 with a rotated token file is retried once with the new token.
    async fn send(&self, method: Method, path: &str, body: Option<serde_json::Value>) -> Result<reqwest::Response> {
        match self.send_once(method.clone(), path, body.clone()).await {
            Err(ClientError::Unauthorized { .. }) if self.reload_token() => self.send_once(method, path, body).await,
            Err(ClientError::Unauthorized { what }) => {
                if self.refresh_oauth2().await {
                    self.send_once(method, path, body).await
                } else {
                    Err(ClientError::Unauthorized { what })
                }
            }
            r => r,
        }
    }

    /// One call, following up to [`MAX_REDIRECTS`] redirects by hand. 307/308 keep the
    /// method and body; 303 (and 301/302 of a GET) continue as a GET; a 301/302/303 of a
    /// write is refused rather than silently turned into a GET.
    ///
    /// The token goes only to origins of the cluster (`pulsar::redirect`). A redirect to any
    /// other host is still followed, without the `Authorization` header (what curl and
    /// browsers do): a cluster without authentication may sit behind a host we do not
    /// know, and the request carries nothing secret once the header is gone. A later hop
    /// never gets the token back: the foreign host chose it. When such a chain ends in 401,
    /// the error says that the token was not sent, and where the chain left the cluster.
    async fn send_once(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<reqwest::Response> {
        let what = format!("{method} {path}");
        if self.read_only && method != Method::GET {
            return Err(ClientError::ReadOnly { what });
        }
        let (mut method, mut body) = (method, body);
        let mut url = format!("{}{}", self.base, path);
        let token = self.current_token().await?;
        let mut left_cluster: Option<String> = None;
        for _ in 0..=MAX_REDIRECTS {
            let bearer = token.as_deref().filter(|_| left_cluster.is_none());
            let resp = self.http.send(method.clone(), &url, bearer, body.as_ref(), &what).await?;
            let status = resp.status();
            if matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
                let next = resp.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).ok_or_else(|| {
                    ClientError::Protocol { what: what.clone(), reason: format!("{status} without Location") }
                })?;
                let next = resolve_location(&url, next);
                if url.starts_with("https://") && !next.starts_with("https://") {
                    return Err(ClientError::Protocol {
                        what,
                        reason: "refusing a redirect from https to http".into(),
                    });
                }
                match status.as_u16() {
                    307 | 308 => {}
                    303 => (method, body) = (Method::GET, None),
                    _ if method == Method::GET => {}
                    _ => {
                        return Err(ClientError::Protocol {
                            what,
                            reason: format!("{status} to a {method}: only 307/308 keep the method (not followed)"),
                        })
                    }
                }
                if left_cluster.is_none() && !self.in_cluster(&next).await {
                    let to = redirect::display_origin(&next);
                    tracing::warn!("{what}: redirected to {to}, not a broker of this cluster: the token is not sent");
                    left_cluster = Some(to);
                }
                url = next;
                continue;
            }
            return match (check_status(resp, &what).await, left_cluster) {
                (Err(ClientError::Unauthorized { what }), Some(to)) => Err(ClientError::Unauthorized {
                    what: format!(
                        "{what} (redirected to {to}, which is not a broker of this cluster: the token was not sent)"
                    ),
                }),
                (r, _) => r,
            };
        }
        Err(ClientError::Protocol { what, reason: "too many redirects".into() })
    }

    /// True when `url` is an origin of the cluster: known from the configuration, or a
    /// broker the cluster lists (read again when an unknown origin shows up, at most every
    /// [`RELEARN_BROKERS_AFTER`], so that a broker added later is found).
    async fn in_cluster(&self, url: &str) -> bool {
        let Some(o) = redirect::origin(url) else { return false };
        if self.origins.is_fixed(&o) {
            return true;
        }
        let mut learned = self.learned.lock().await;
        let known = |l: &Option<(std::time::Instant, Vec<Origin>)>| l.as_ref().is_some_and(|(_, v)| v.contains(&o));
        if !known(&learned) && learned.as_ref().is_none_or(|(at, _)| at.elapsed() >= RELEARN_BROKERS_AFTER) {
            let listed = self.list_brokers().await;
            *learned = Some((std::time::Instant::now(), self.origins.brokers(&listed)));
        }
        known(&learned)
    }

    /// The web addresses of the brokers of every cluster the admin URL lists, asked of the
    /// admin URL itself without following redirects (a broker answers these calls itself;
    /// for a remote cluster of a geo-replicated setup it redirects, and that cluster's
    /// brokers are not ours). Failures give an empty list: the token is then kept for
    /// the configured origins only.
    async fn list_brokers(&self) -> Vec<String> {
        let get = |path: String| async move {
            let token = self.current_token().await.ok().flatten();
            let url = format!("{}{path}", self.base);
            let resp = self.http.send(Method::GET, &url, token.as_deref(), None, &path).await;
            let resp = resp.ok().filter(|r| r.status().is_success())?;
            resp.json::<Vec<String>>().await.ok()
        };
        let mut out = Vec::new();
        for cluster in get("/admin/v2/clusters".into()).await.unwrap_or_default() {
            let path = format!("/admin/v2/brokers/{}", urlencoding::encode(&cluster));
            out.extend(get(path).await.unwrap_or_default());
        }
        out
    }

    fn map_transport(&self, url: &str, what: &str, e: reqwest::Error) -> ClientError {
        transport_error(url, what, self.timeout, &e)
    }

    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let resp = self.send(Method::GET, path, None).await?;
        let bytes = resp.bytes().await.map_err(|e| self.map_transport(path, path, e))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| ClientError::Protocol { what: format!("GET {path}"), reason: e.to_string() })
    }

    /// A GET whose answer is bytes with headers (an entry read by position).
    pub async fn get_raw(&self, path: &str) -> Result<(reqwest::header::HeaderMap, Vec<u8>)> {
        let resp = self.send(Method::GET, path, None).await?;
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| self.map_transport(path, path, e))?;
        Ok((headers, body.to_vec()))
    }

    pub async fn get_text(&self, path: &str) -> Result<String> {
        let resp = self.send(Method::GET, path, None).await?;
        resp.text().await.map_err(|e| self.map_transport(path, path, e))
    }

    /// A write call (PUT/POST/DELETE) whose answer body is not needed.
    pub async fn write(&self, method: Method, path: &str, body: Option<serde_json::Value>) -> Result<()> {
        self.send(method, path, body).await.map(|_| ())
    }

    // ---- cluster -------------------------------------------------------------------

    pub async fn clusters(&self) -> Result<Vec<String>> {
        self.get_json("/admin/v2/clusters").await
    }

    pub async fn broker_version(&self) -> Result<String> {
        Ok(self.get_text("/admin/v2/brokers/version").await?.trim().to_string())
    }

    /// Web service addresses (`host:port`) of the active brokers of a cluster.
    pub async fn brokers(&self, cluster: &str) -> Result<Vec<String>> {
        self.get_json(&format!("/admin/v2/brokers/{}", urlencoding::encode(cluster))).await
    }

    // ---- tenants and namespaces ----------------------------------------------------------

    pub async fn tenants(&self) -> Result<Vec<String>> {
        self.get_json("/admin/v2/tenants").await
    }

    pub async fn tenant_info(&self, tenant: &str) -> Result<TenantInfo> {
        self.get_json(&format!("/admin/v2/tenants/{}", urlencoding::encode(tenant))).await
    }

    /// Full namespace names (`tenant/ns`).
    pub async fn namespaces(&self, tenant: &str) -> Result<Vec<String>> {
        self.get_json(&format!("/admin/v2/namespaces/{}", urlencoding::encode(tenant))).await
    }

    pub async fn create_tenant(&self, tenant: &str, clusters: &[String]) -> Result<()> {
        let body = serde_json::json!({"adminRoles": [], "allowedClusters": clusters});
        self.write(Method::PUT, &format!("/admin/v2/tenants/{}", urlencoding::encode(tenant)), Some(body)).await
    }

    pub async fn create_namespace(&self, namespace: &str) -> Result<()> {
        self.write(Method::PUT, &format!("/admin/v2/namespaces/{namespace}"), None).await
    }

    // ---- topics ----------------------------------------------------------------------------

    /// Every topic of a namespace, persistent and non-persistent, with partitions grouped
    /// under their partitioned parent. System topics (`__change_events`...) are left out.
    pub async fn topics(&self, namespace: &str) -> Result<Vec<TopicEntry>> {
        let paths = [
            format!("/admin/v2/persistent/{namespace}"),
            format!("/admin/v2/persistent/{namespace}/partitioned"),
            format!("/admin/v2/non-persistent/{namespace}"),
            format!("/admin/v2/non-persistent/{namespace}/partitioned"),
        ];
        let (p_all, p_parted, np_all, np_parted) = futures::join!(
            self.get_json::<Vec<String>>(&paths[0]),
            self.get_json::<Vec<String>>(&paths[1]),
            self.get_json::<Vec<String>>(&paths[2]),
            self.get_json::<Vec<String>>(&paths[3]),
        );
        let mut names = p_all?;
        let mut parted = p_parted?;
        // Non-persistent listings are best effort: older brokers answer 404/405 here.
        names.extend(np_all.unwrap_or_default());
        parted.extend(np_parted.unwrap_or_default());
        let parents: Vec<TopicName> = parted.iter().filter_map(|s| TopicName::parse(s).ok()).collect();
        // one metadata call per partitioned topic, a few at a time (a namespace may hold thousands)
        // (the futures collected first: a lazy `map` here makes the spawned task's future
        // not general enough for tokio)
        let calls: Vec<_> = parents.iter().map(|p| self.partition_count(p)).collect();
        let counts: Vec<Result<u32>> = futures::stream::iter(calls).buffered(16).collect().await;
        let mut out: Vec<TopicEntry> = Vec::new();
        for (parent, count) in parents.into_iter().zip(counts) {
            out.push(TopicEntry { name: parent, partitions: count?.max(1) });
        }
        // a set, not a scan of `out` per name: a namespace may list 100,000 topics
        let mut listed: std::collections::HashSet<TopicName> = out.iter().map(|e| e.name.clone()).collect();
        for n in names {
            let Ok(t) = TopicName::parse(&n) else {
                continue;
            };
            if t.is_system() {
                continue;
            }
            if t.partition_index().is_some() && listed.contains(&t.parent()) {
                continue;
            }
            if listed.insert(t.clone()) {
                out.push(TopicEntry { name: t, partitions: 0 });
            }
        }
        out.retain(|e| !e.name.is_system());
        out.sort_by(|a, b| a.name.local.cmp(&b.name.local).then(a.name.persistent.cmp(&b.name.persistent).reverse()));
        Ok(out)
    }

    pub async fn partition_count(&self, topic: &TopicName) -> Result<u32> {
        #[derive(serde::Deserialize)]
        struct Meta {
            partitions: u32,
        }
        let m: Meta = self.get_json(&format!("/admin/v2/{}/partitions", topic.rest_path())).await?;
        Ok(m.partitions)
    }

    /// Stats of a topic; for a partitioned parent the aggregate over its partitions.
    pub async fn topic_stats(&self, topic: &TopicName, partitions: u32) -> Result<TopicStats> {
        if partitions > 0 {
            self.get_json(&format!("/admin/v2/{}/partitioned-stats?perPartition=false", topic.rest_path())).await
        } else {
            self.get_json(&format!("/admin/v2/{}/stats", topic.rest_path())).await
        }
    }

    pub async fn subscriptions(&self, topic: &TopicName) -> Result<Vec<String>> {
        let mut subs: Vec<String> = self.get_json(&format!("/admin/v2/{}/subscriptions", topic.rest_path())).await?;
        subs.sort();
        Ok(subs)
    }

    pub async fn create_topic(&self, topic: &TopicName, partitions: u32) -> Result<()> {
        if partitions > 0 {
            let path = format!("/admin/v2/{}/partitions", topic.rest_path());
            self.write(Method::PUT, &path, Some(serde_json::json!(partitions))).await
        } else {
            self.write(Method::PUT, &format!("/admin/v2/{}", topic.rest_path()), None).await
        }
    }

    /// The id of the `n`-th entry (1-based) counted from the earliest or latest end of one
    /// partition or non-partitioned topic; `None` when it holds fewer entries.
    pub async fn examine_message_id(&self, topic: &TopicName, from_latest: bool, n: u64) -> Result<Option<MessageId>> {
        Ok(self.examine_message(topic, from_latest, n).await?.map(|m| m.id))
    }

    /// The `n`-th entry (1-based) from the earliest or latest end of one partition or
    /// non-partitioned topic (admin "examine": no subscription, no cursor); `None` when it
    /// holds fewer entries. For a batch, the id, time and properties of its first message.
    pub async fn examine_message(&self, topic: &TopicName, from_latest: bool, n: u64) -> Result<Option<Examined>> {
        let pos = if from_latest { "latest" } else { "earliest" };
        let path = format!(
            "/admin/v2/{}/examinemessage?initialPosition={pos}&messagePosition={}",
            topic.rest_path(),
            n.max(1)
        );
        let resp = match self.send(Method::GET, &path, None).await {
            Ok(r) => r,
            // the broker answers 500 ("Incorrect parameter") or 404/412 when there is no such entry
            Err(ClientError::Http { status: 500 | 412, .. }) | Err(ClientError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let partition = topic.partition_index().map(|p| p as i32).unwrap_or(-1);
        let Some(id) = header("X-Pulsar-Message-ID") else {
            return Err(ClientError::Protocol {
                what: format!("GET {path}"),
                reason: "no X-Pulsar-Message-ID header".into(),
            });
        };
        let mut id: MessageId = id.parse()?;
        id.partition = partition;
        let publish_time_ms = header("X-Pulsar-publish-time")
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.timestamp_millis());
        let properties = header("X-Pulsar-PROPERTY")
            .and_then(|p| serde_json::from_str::<std::collections::BTreeMap<String, String>>(&p).ok())
            .unwrap_or_default();
        Ok(Some(Examined { id, publish_time_ms, properties }))
    }

    /// `numberOfEntries` of the internal stats of one partition or non-partitioned topic:
    /// the entries still stored (a batch is one entry).
    pub async fn stored_entries(&self, topic: &TopicName) -> Result<u64> {
        let v: serde_json::Value = self.get_json(&format!("/admin/v2/{}/internalStats", topic.rest_path())).await?;
        Ok(v["numberOfEntries"].as_u64().unwrap_or(0))
    }

    /// The first message id at or after `time_ms` of one partition or non-partitioned topic
    /// (the position after the last message when nothing is that recent).
    pub async fn message_id_by_time(&self, topic: &TopicName, time_ms: i64) -> Result<MessageId> {
        let v: serde_json::Value =
            self.get_json(&format!("/admin/v2/{}/messageid/{}", topic.rest_path(), time_ms.max(0))).await?;
        json_message_id(&v)
            .ok_or_else(|| ClientError::Protocol { what: "messageid by time".into(), reason: v.to_string() })
    }

    /// Creates a durable subscription whose cursor starts at the earliest message.
    pub async fn create_subscription(&self, topic: &TopicName, sub: &str) -> Result<()> {
        let path = format!("/admin/v2/{}/subscription/{}", topic.rest_path(), urlencoding::encode(sub));
        self.write(Method::PUT, &path, Some(serde_json::json!("earliest"))).await
    }
}

/// Maps a non-success status to an error kind, keeping the broker's reason.
async fn check_status(resp: reqwest::Response, what: &str) -> Result<reqwest::Response> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let what = what.to_string();
    let body = resp.text().await.unwrap_or_default();
    Err(match status {
        // Pulsar answers 401 both to a bad token (an HTML page) and to a valid token whose
        // role lacks permission (a JSON reason): the second is a refusal, not a login failure
        StatusCode::UNAUTHORIZED
            if serde_json::from_str::<serde_json::Value>(&body).is_ok_and(|v| v["reason"].is_string()) =>
        {
            ClientError::Forbidden { what: format!("{what}: {}", broker_reason(&body)) }
        }
        StatusCode::UNAUTHORIZED => ClientError::Unauthorized { what },
        StatusCode::FORBIDDEN => ClientError::Forbidden { what },
        StatusCode::NOT_FOUND => ClientError::NotFound { what },
        _ => ClientError::Http { status: status.as_u16(), what, reason: broker_reason(&body) },
    })
}

/// The broker's errors come as `{"reason": "..."}`; fall back to the raw (short) body.
fn broker_reason(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("reason").and_then(|r| r.as_str()).map(str::to_string))
        .unwrap_or_else(|| body.chars().take(200).collect())
}

/// `{"ledgerId": L, "entryId": E, "partitionIndex": P, "batchIndex": B}`.
fn json_message_id(v: &serde_json::Value) -> Option<MessageId> {
    Some(MessageId {
        ledger: v.get("ledgerId")?.as_i64()?,
        entry: v.get("entryId")?.as_i64()?,
        partition: v.get("partitionIndex").and_then(|p| p.as_i64()).unwrap_or(-1) as i32,
        batch: v.get("batchIndex").and_then(|p| p.as_i64()).unwrap_or(-1) as i32,
    })
}

/// Where a redirect's `Location` points, relative to the URL that answered it (RFC 3986
/// reference resolution, by `Url::join`); a Location that does not parse is taken as it is.
fn resolve_location(current: &str, location: &str) -> String {
    reqwest::Url::parse(current)
        .and_then(|base| base.join(location))
        .map(String::from)
        .unwrap_or_else(|_| location.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_and_absolute_locations() {
        assert_eq!(resolve_location("http://a:8080/admin/v2/x", "/admin/v2/y"), "http://a:8080/admin/v2/y");
        assert_eq!(resolve_location("http://a:8080/admin/v2/x", "http://b:8081/z"), "http://b:8081/z");
        assert_eq!(resolve_location("http://a:8080/admin/v2/x", "y?q=1"), "http://a:8080/admin/v2/y?q=1");
        assert_eq!(resolve_location("https://a/admin/v2/x", "//b:8443/z"), "https://b:8443/z");
    }

    #[test]
    fn broker_reason_prefers_the_json_reason() {
        assert_eq!(broker_reason(r#"{"reason":"Topic not found"}"#), "Topic not found");
        assert_eq!(broker_reason("plain"), "plain");
    }
}
