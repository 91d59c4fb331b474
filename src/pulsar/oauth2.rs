//! OAuth2 client credentials, as Pulsar's Java/Python clients do them: the issuer's
//! OIDC discovery document (`<issuer>/.well-known/openid-configuration`) gives the token
//! endpoint; a `client_credentials` grant with the `client_id`/`client_secret` of the
//! credentials file (plus `audience` and `scope`) gives an access token, sent to the
//! broker as a token on both protocols.
//!
//! One [`OAuth2TokenSource`] serves the admin API and the binary protocol: the token is
//! cached until shortly before it expires, and fetched again after a 401. We do not use
//! pulsar-rs's own `auth-oauth2` feature: it discovers and fetches with a default HTTP
//! client (no private CA from `tls_trust_certs_file`), would keep a second token cache,
//! and pulls in the `openidconnect`/`oauth2` crates.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::error::{ClientError, Result};
use super::tls::TlsOptions;

/// What a context configures for OAuth2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuth2Params {
    /// The issuer's base URL (`https://auth.example.com/`); discovery is under it.
    pub issuer_url: String,
    /// The JSON key file: `{"client_id": ..., "client_secret": ...}` (Pulsar's format).
    pub credentials_file: PathBuf,
    pub audience: Option<String>,
    pub scope: Option<String>,
}

/// Fetches and caches access tokens. Cheap to clone: clones share the cache.
#[derive(Clone)]
pub struct OAuth2TokenSource {
    inner: Arc<Inner>,
}

struct Inner {
    params: OAuth2Params,
    http: reqwest::Client,
    timeout: Duration,
    state: tokio::sync::Mutex<State>,
    fetches: std::sync::atomic::AtomicU64,
}

#[derive(Default)]
struct State {
    token_endpoint: Option<String>,
    token: Option<Cached>,
}

struct Cached {
    secret: String,
    /// Fetch a new one from here on (90% of the lifetime).
    refresh_at: Option<Instant>,
    expires_at: Option<Instant>,
}

#[derive(Deserialize)]
struct Credentials {
    client_id: String,
    client_secret: String,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl OAuth2TokenSource {
    /// The issuer is reached with the context's trusted CAs (plus the system's), always
    /// with full certificate checks: the insecure switches are for the cluster only.
    pub fn new(params: OAuth2Params, tls: &TlsOptions, timeout: Duration) -> Result<OAuth2TokenSource> {
        let issuer_tls = TlsOptions { allow_insecure: false, hostname_verification: true, ..tls.clone() };
        let builder = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .timeout(timeout)
            .user_agent(concat!("pulsar-tui/", env!("CARGO_PKG_VERSION")));
        let http = issuer_tls
            .apply_to_reqwest(builder)?
            .build()
            .map_err(|e| ClientError::Invalid(format!("cannot build the OAuth2 HTTP client: {e}")))?;
        Ok(OAuth2TokenSource {
            inner: Arc::new(Inner {
                params,
                http,
                timeout,
                state: tokio::sync::Mutex::new(State::default()),
                fetches: std::sync::atomic::AtomicU64::new(0),
            }),
        })
    }

    pub fn params(&self) -> &OAuth2Params {
        &self.inner.params
    }

    /// How many tokens were fetched from the issuer so far.
    pub fn fetches(&self) -> u64 {
        self.inner.fetches.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A valid access token: the cached one, or a fresh one when it is about to expire.
    pub async fn token(&self) -> Result<String> {
        let mut st = self.inner.state.lock().await;
        let now = Instant::now();
        if let Some(c) = &st.token {
            if c.refresh_at.is_none_or(|t| now < t) {
                return Ok(c.secret.clone());
            }
        }
        match self.fetch(&mut st).await {
            Ok(c) => {
                let secret = c.secret.clone();
                st.token = Some(c);
                Ok(secret)
            }
            Err(e) => match &st.token {
                // the old token is still valid: use it, try again on the next call
                Some(c) if c.expires_at.is_none_or(|t| now < t) => {
                    tracing::warn!("OAuth2: cannot refresh the token yet ({e}); using the current one");
                    Ok(c.secret.clone())
                }
                _ => {
                    st.token = None;
                    Err(e)
                }
            },
        }
    }

    /// After the broker refused `rejected` (401): drops it and fetches a new token.
    /// Some(token) when the new one differs (worth a retry).
    pub async fn refresh_after_rejection(&self, rejected: &str) -> Option<String> {
        {
            let mut st = self.inner.state.lock().await;
            if st.token.as_ref().is_some_and(|c| c.secret == rejected) {
                st.token = None;
            }
        }
        match self.token().await {
            Ok(t) if t != rejected => {
                tracing::info!("OAuth2: the broker refused the token; retrying with a new one");
                Some(t)
            }
            _ => None,
        }
    }

    async fn fetch(&self, st: &mut State) -> Result<Cached> {
        let p = &self.inner.params;
        let path = &p.credentials_file;
        let text = std::fs::read_to_string(path)
            .map_err(|e| ClientError::Invalid(format!("OAuth2 credentials file {}: {e}", path.display())))?;
        let creds: Credentials = serde_json::from_str(&text).map_err(|e| {
            ClientError::Invalid(format!(
                "OAuth2 credentials file {}: expected JSON with client_id and client_secret ({e})",
                path.display()
            ))
        })?;
        let endpoint = match &st.token_endpoint {
            Some(e) => e.clone(),
            None => {
                let e = self.discover().await?;
                st.token_endpoint = Some(e.clone());
                e
            }
        };
        let mut form = vec![
            ("grant_type", "client_credentials".to_string()),
            ("client_id", creds.client_id),
            ("client_secret", creds.client_secret),
        ];
        if let Some(a) = &p.audience {
            form.push(("audience", a.clone()));
        }
        if let Some(s) = &p.scope {
            form.push(("scope", s.clone()));
        }
        let body: Vec<String> = form.iter().map(|(k, v)| format!("{k}={}", urlencoding::encode(v))).collect::<Vec<_>>();
        let started = Instant::now();
        let resp = self
            .inner
            .http
            .post(&endpoint)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body.join("&"))
            .send()
            .await
            .map_err(|e| self.transport(&endpoint, "OAuth2 token request", e))?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| self.transport(&endpoint, "OAuth2 token request", e))?;
        if !status.is_success() {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            let error = v["error"].as_str().unwrap_or_default();
            let reason = match (error, v["error_description"].as_str()) {
                ("", _) => format!("HTTP {status}"),
                (e, Some(d)) => format!("{e}: {d}"),
                (e, None) => e.to_string(),
            };
            // RFC 6749 5.2: invalid_client / unauthorized_client / invalid_grant... are refusals
            return Err(if status.as_u16() == 401 || status.as_u16() == 400 || status.as_u16() == 403 {
                ClientError::IssuerRefused { issuer: p.issuer_url.clone(), reason }
            } else {
                ClientError::Http { status: status.as_u16(), what: format!("POST {endpoint}"), reason }
            });
        }
        let answer: TokenAnswer = serde_json::from_str(&text).map_err(|e| ClientError::Protocol {
            what: format!("OAuth2 token from {endpoint}"),
            reason: format!("no access_token in the answer ({e})"),
        })?;
        self.inner.fetches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let life = answer.expires_in.map(Duration::from_secs);
        tracing::debug!("OAuth2: new token from {endpoint} (expires in {:?})", life);
        Ok(Cached {
            secret: answer.access_token,
            refresh_at: life.map(|l| started + l.mul_f64(0.9)),
            expires_at: life.map(|l| started + l),
        })
    }

    /// The token endpoint from `<issuer>/.well-known/openid-configuration`.
    async fn discover(&self) -> Result<String> {
        let issuer = self.inner.params.issuer_url.trim_end_matches('/');
        let url = format!("{issuer}/.well-known/openid-configuration");
        let resp = self.inner.http.get(&url).send().await.map_err(|e| self.transport(&url, "OAuth2 discovery", e))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(ClientError::Http {
                status: status.as_u16(),
                what: format!("OAuth2 discovery GET {url}"),
                reason: "the issuer has no OpenID configuration there (check oauth2_issuer_url)".into(),
            });
        }
        let v: serde_json::Value = resp.json().await.map_err(|e| ClientError::Protocol {
            what: format!("OAuth2 discovery GET {url}"),
            reason: format!("not JSON: {e}"),
        })?;
        v["token_endpoint"].as_str().map(str::to_string).ok_or_else(|| ClientError::Protocol {
            what: format!("OAuth2 discovery GET {url}"),
            reason: "no token_endpoint".into(),
        })
    }
}

impl OAuth2TokenSource {
    /// A transport error talking to the issuer (TLS problems say so).
    fn transport(&self, url: &str, what: &str, e: reqwest::Error) -> ClientError {
        let reason = super::error::root_cause(&e);
        if e.is_timeout() {
            return ClientError::Timeout { what: format!("{what} to {url}"), after: self.inner.timeout };
        }
        if let Some(tls) = super::tls::tls_error_in_chain(url, &e) {
            return tls;
        }
        if e.is_connect() {
            ClientError::Unreachable { url: url.to_string(), reason: format!("{what}: {reason}") }
        } else {
            ClientError::Protocol { what: format!("{what} to {url}"), reason }
        }
    }
}

/// The binary protocol's view of the source: pulsar-rs asks it for the token on every
/// connect and auth challenge.
pub struct PulsarOAuth2(pub OAuth2TokenSource);

#[async_trait::async_trait]
impl pulsar::authentication::Authentication for PulsarOAuth2 {
    fn auth_method_name(&self) -> String {
        "token".into()
    }

    async fn initialize(&mut self) -> std::result::Result<(), pulsar::error::AuthenticationError> {
        Ok(())
    }

    async fn auth_data(&mut self) -> std::result::Result<Vec<u8>, pulsar::error::AuthenticationError> {
        use pulsar::error::AuthenticationError as E;
        match self.0.token().await {
            Ok(t) => Ok(t.into_bytes()),
            // an unreachable issuer may come back: let pulsar-rs retry the connect
            Err(e) if e.is_connectivity() => Err(E::Retriable(e.to_string())),
            Err(e) => Err(E::Custom(e.to_string())),
        }
    }
}
