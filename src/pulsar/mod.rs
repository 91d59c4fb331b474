//! Everything that talks to the cluster. No ratatui here.
//!
//! [`Client`] is the one shared client: the admin REST API through one
//! [`transport::Transport`] (no TLS set up for an `http://` admin URL until something needs
//! it) and the binary protocol through one `pulsar::Pulsar` (connected lazily, retried on
//! the next use when the broker was down), both cloned cheaply into every task.

pub mod actions;
pub mod admin;
pub mod browse;
pub mod chunks;
pub mod compression;
pub mod dlq;
pub mod entries;
pub mod error;
pub mod explorer;
pub mod health;
pub mod message;
pub mod oauth2;
pub mod policies;
pub mod produce;
pub mod reader;
pub mod redirect;
pub mod replication;
pub mod request;
pub mod requeue;
pub mod schemas;
pub mod scrape;
pub mod settle;
pub mod stats;
pub mod tls;
pub mod topic;
pub mod transport;
pub mod txn;
pub mod wire;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

use pulsar::{ConnectionRetryOptions, OperationRetryOptions, Pulsar, TokioExecutor};
use tokio::sync::Mutex;

pub use admin::{AdminClient, TopicEntry};
pub use error::{ClientError, Result, TlsProblem};
pub use oauth2::{OAuth2Params, OAuth2TokenSource};
pub use tls::TlsOptions;
pub use topic::TopicName;

/// Where the cluster is and how to talk to it. `Debug` hides the token.
#[derive(Clone, PartialEq)]
pub struct ClusterTarget {
    /// `pulsar://host:6650` or `pulsar+ssl://host:6651`.
    pub service_url: String,
    /// `http://host:8080` or `https://host:8443`.
    pub admin_url: String,
    /// A JWT, sent as `Authorization: Bearer` and as the binary protocol's token.
    pub token: Option<String>,
    /// Where the token came from, re-read when the admin API answers 401 (rotation).
    pub token_file: Option<std::path::PathBuf>,
    /// Timeout of one operation (admin call, lookup, connect).
    pub op_timeout: Duration,
    /// Refuse every write (admin PUT/POST/DELETE, producing, acknowledging) before any I/O.
    pub read_only: bool,
    /// Certificate checks of `pulsar+ssl://` and `https://` (both protocols).
    pub tls: TlsOptions,
    /// OAuth2 client credentials: tokens come from the issuer (over `token`).
    pub oauth2: Option<OAuth2Params>,
}

impl std::fmt::Debug for ClusterTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterTarget")
            .field("service_url", &redact_url(&self.service_url))
            .field("admin_url", &redact_url(&self.admin_url))
            .field("token", &self.token.as_ref().map(|_| "<hidden>"))
            .field("token_file", &self.token_file)
            .field("op_timeout", &self.op_timeout)
            .field("read_only", &self.read_only)
            .field("tls", &self.tls)
            .field("oauth2", &self.oauth2)
            .finish()
    }
}

/// A URL with its user info (`scheme://user:password@host`: credentials) replaced by `***`,
/// for messages, logs and the screen.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

impl ClusterTarget {
    pub fn new(service_url: &str, admin_url: &str) -> ClusterTarget {
        ClusterTarget {
            service_url: service_url.to_string(),
            admin_url: admin_url.to_string(),
            token: None,
            token_file: None,
            op_timeout: Duration::from_secs(10),
            read_only: false,
            tls: TlsOptions::default(),
            oauth2: None,
        }
    }

    /// A TLS check is switched off: the header shows a warning badge.
    pub fn tls_insecure(&self) -> bool {
        self.tls.is_insecure()
    }
}

/// `pulsar://host:6650` ↔ `http://host:8080`, `pulsar+ssl://host:6651` ↔ `https://host:8443`.
pub fn derive_admin_url(service_url: &str) -> String {
    let (tls, rest) = match service_url.split_once("://") {
        Some(("pulsar+ssl", r)) => (true, r),
        Some((_, r)) => (false, r),
        None => (false, service_url),
    };
    let host = rest.split(['/', ',']).next().unwrap_or("localhost");
    let host = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
    if tls {
        format!("https://{host}:8443")
    } else {
        format!("http://{host}:8080")
    }
}

/// The one client shared by every pane and request. Clone it freely.
#[derive(Clone)]
pub struct Client {
    pub target: Arc<ClusterTarget>,
    pub admin: AdminClient,
    schemas: Arc<schemas::SchemaCache>,
    /// The OAuth2 token source shared by both protocols.
    oauth2: Option<OAuth2TokenSource>,
    binary: Arc<Mutex<Option<Pulsar<TokioExecutor>>>>,
}

impl Client {
    pub fn new(target: ClusterTarget) -> Result<Client> {
        let mut admin = AdminClient::with_tls(&target.admin_url, target.token.clone(), target.op_timeout, &target.tls)?;
        admin.set_read_only(target.read_only);
        admin.set_token_file(target.token_file.clone());
        let oauth2 = match &target.oauth2 {
            Some(p) => Some(OAuth2TokenSource::new(p.clone(), &target.tls, target.op_timeout)?),
            None => None,
        };
        admin.set_oauth2(oauth2.clone());
        admin.set_service_url(&target.service_url);
        Ok(Client {
            target: Arc::new(target),
            admin,
            schemas: Arc::new(schemas::SchemaCache::default()),
            oauth2,
            binary: Arc::new(Mutex::new(None)),
        })
    }

    /// The OAuth2 token source (shared by both protocols), when OAuth2 is configured.
    pub fn oauth2(&self) -> Option<&OAuth2TokenSource> {
        self.oauth2.as_ref()
    }

    /// Refuses a write in read-only mode, before any I/O. Every write path calls this first
    /// (the admin client checks it on its own for every non-GET call).
    pub fn ensure_writable(&self, what: &str) -> Result<()> {
        if self.target.read_only {
            return Err(ClientError::ReadOnly { what: what.to_string() });
        }
        Ok(())
    }

    /// The binary-protocol client, connecting on first use. A failed connect is not
    /// cached: the next call tries again, so the app recovers when the broker returns.
    pub async fn pulsar(&self) -> Result<Pulsar<TokioExecutor>> {
        let mut slot = self.binary.lock().await;
        if let Some(p) = slot.as_ref() {
            return Ok(p.clone());
        }
        let t = &self.target;
        let mut builder = Pulsar::builder(t.service_url.clone(), TokioExecutor)
            .with_connection_retry_options(ConnectionRetryOptions {
                max_retries: 2,
                connection_timeout: t.op_timeout.min(Duration::from_secs(5)),
                ..Default::default()
            })
            .with_operation_retry_options(OperationRetryOptions {
                operation_timeout: t.op_timeout,
                max_retries: Some(3),
                retry_delay: Duration::from_millis(500),
            });
        if let Some(source) = &self.oauth2 {
            builder = builder.with_auth_provider(Box::new(oauth2::PulsarOAuth2(source.clone())));
        } else if let Some(token) = &t.token {
            builder =
                builder.with_auth(pulsar::Authentication { name: "token".into(), data: token.clone().into_bytes() });
        }
        if t.service_url.starts_with("pulsar+ssl://") {
            if let Some(pem) = t.tls.trust_pem()? {
                builder = builder.with_certificate_chain(pem);
            }
            builder = builder
                .with_allow_insecure_connection(t.tls.allow_insecure)
                .with_tls_hostname_verification_enabled(t.tls.hostname_verification);
        }
        let connect = tokio::time::timeout(t.op_timeout * 2, builder.build());
        let p = match connect.await {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => {
                let err = binary_error(&t.service_url, e);
                // pulsar-rs says "fatal error when connecting" for a refused certificate too:
                // one handshake of our own with the same settings tells why
                if t.service_url.starts_with("pulsar+ssl://") {
                    if let Err(tls @ ClientError::Tls { .. }) = tls::probe(&t.service_url, &t.tls, t.op_timeout).await {
                        return Err(tls);
                    }
                }
                // the same for the OAuth2 issuer (refused credentials, unreachable issuer)
                if let Some(source) = &self.oauth2 {
                    source.token().await?;
                }
                // pulsar-rs reports a refused token as a generic "fatal error when connecting";
                // the admin API says why, with the same token
                if (t.token.is_some() || self.oauth2.is_some()) && err.to_string().contains("fatal error") {
                    if let Err(ClientError::Unauthorized { .. }) = self.admin.clusters().await {
                        return Err(ClientError::Unauthorized {
                            what: format!(
                                "binary protocol at {} (the admin API refuses the same credentials)",
                                redact_url(&t.service_url)
                            ),
                        });
                    }
                }
                return Err(err);
            }
            Err(_) => {
                return Err(ClientError::Timeout {
                    what: format!("connect to {}", redact_url(&t.service_url)),
                    after: t.op_timeout * 2,
                })
            }
        };
        *slot = Some(p.clone());
        Ok(p)
    }
}

/// Maps a pulsar-rs error to our kinds (connection failures become `Unreachable`).
pub fn binary_error(url: &str, e: pulsar::Error) -> ClientError {
    let url = &redact_url(url);
    let text = e.to_string();
    match e {
        pulsar::Error::Connection(_) if !text.contains("uthentic") => {
            ClientError::Unreachable { url: url.to_string(), reason: text }
        }
        _ if text.contains("uthentic") || text.contains("Unauthorized") => {
            ClientError::Unauthorized { what: format!("binary protocol at {url}: {text}") }
        }
        // a lookup, consumer or producer error that wraps a lost or refused connection
        pulsar::Error::ServiceDiscovery(_) | pulsar::Error::Consumer(_) | pulsar::Error::Producer(_)
            if text.contains("Connection error") || text.contains("isconnected") =>
        {
            ClientError::Unreachable { url: url.to_string(), reason: text }
        }
        // a broker that is starting (or moving a bundle) answers lookups and subscribes with
        // ServiceNotReady: as transient as a refused connection, and retried the same way
        pulsar::Error::ServiceDiscovery(_) | pulsar::Error::Consumer(_) | pulsar::Error::Producer(_)
            if text.contains("ServiceNotReady") =>
        {
            ClientError::Unreachable { url: url.to_string(), reason: format!("the broker is not ready yet: {text}") }
        }
        _ => ClientError::Binary(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seen in tests/broker_restart.rs: the follow resumed right after a restart got
    /// ServiceNotReady from the lookup, which was taken as final and ended following.
    #[test]
    fn service_not_ready_is_transient() {
        let e = pulsar::Error::ServiceDiscovery(pulsar::error::ServiceDiscoveryError::Query(
            Some(pulsar::proto::ServerError::ServiceNotReady),
            Some("Failed due to pulsar service is not ready".into()),
        ));
        let mapped = binary_error("pulsar://127.0.0.1:6650", e);
        assert!(mapped.is_connectivity(), "{mapped:?}");
        assert!(mapped.to_string().contains("not ready"), "{mapped}");
    }

    #[test]
    fn admin_url_is_derived_from_the_service_url() {
        assert_eq!(derive_admin_url("pulsar://127.0.0.1:6650"), "http://127.0.0.1:8080");
        assert_eq!(derive_admin_url("pulsar+ssl://broker.example:6651"), "https://broker.example:8443");
        assert_eq!(derive_admin_url("pulsar://h1:6650,h2:6650"), "http://h1:8080");
        assert_eq!(derive_admin_url("pulsar://host"), "http://host:8080");
    }

    #[test]
    fn debug_hides_the_token_and_url_passwords() {
        let mut t = ClusterTarget::new("pulsar://b:6650", "http://ops:hunter2@b:8080/admin");
        t.token = Some("tok-SECRET-123".into());
        let d = format!("{t:?} {t:#?}");
        assert!(!d.contains("tok-SECRET-123") && !d.contains("hunter2"), "{d}");
        assert!(d.contains("<hidden>") && d.contains("http://***@b:8080/admin"), "{d}");
        assert_eq!(redact_url("http://b:8080/x@y"), "http://b:8080/x@y");
        assert_eq!(redact_url("pulsar://b:6650"), "pulsar://b:6650");
    }
}
