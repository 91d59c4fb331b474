//! How the admin API's requests travel.
//!
//! An `http://` admin URL is served by a plain HTTP/1.1 client (hyper's, the one reqwest is
//! built on) that sets up no TLS. Building a reqwest client on native-tls makes OpenSSL read
//! and parse the system's CA bundle twice (`SslConnector::builder` loads the default paths,
//! then native-tls loads openssl-probe's file again), and `tls_built_in_root_certs(false)`
//! only swaps the store after both loads: perf put that at three quarters of the CPU the
//! process spent until its first tenant list, on the path of that list for a cluster that
//! never uses TLS.
//!
//! The reqwest client (https, `/metrics` scrapes, health checks) is built the first time it
//! is needed, on a blocking thread, with the context's TLS settings exactly as before. It
//! carries every request, and is built at once, when the admin URL is `https://`, carries
//! credentials (reqwest turns them into basic auth), or a proxy is set in the environment
//! (reqwest honours it, the plain client would not).
//!
//! The plain client's request body is reqwest's `Body`, so that hyper's code for it is the
//! instance reqwest already has (82 KB less than `Full<Bytes>` in the release binary).

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use reqwest::{header, Method, ResponseBuilderExt, Url};

use super::error::{root_cause, ClientError, Result};
use super::tls::TlsOptions;

const USER_AGENT: &str = concat!("pulsar-tui/", env!("CARGO_PKG_VERSION"));

type PlainClient = hyper_util::client::legacy::Client<HttpConnector, reqwest::Body>;

/// The admin API's HTTP clients. Cheap to clone: the clones share connections and the
/// reqwest client once built.
#[derive(Clone)]
pub struct Transport {
    /// `http://` requests without TLS; `None` when reqwest must carry everything.
    plain: Option<PlainClient>,
    reqwest: Arc<tokio::sync::OnceCell<reqwest::Client>>,
    settings: Arc<Settings>,
}

/// What the reqwest client is built with.
struct Settings {
    timeout: Duration,
    tls: TlsOptions,
}

impl Transport {
    /// The transport of the admin API at `base_url`. A bad trust file is reported here, as
    /// when every client was built at once.
    pub fn new(base_url: &str, timeout: Duration, tls: &TlsOptions) -> Result<Transport> {
        let settings = Arc::new(Settings { timeout, tls: tls.clone() });
        let reqwest = Arc::new(tokio::sync::OnceCell::new());
        if plain_capable(base_url) && !proxy_in_environment() {
            tls.trust_pem()?;
            return Ok(Transport { plain: Some(plain_client(timeout)), reqwest, settings });
        }
        let client = build_reqwest(&settings)?;
        reqwest.set(client).map_err(|e| ClientError::Invalid(format!("cannot keep the HTTP client: {e}")))?;
        Ok(Transport { plain: None, reqwest, settings })
    }

    /// True once the reqwest client (and with it the TLS context) exists.
    pub fn tls_ready(&self) -> bool {
        self.reqwest.initialized()
    }

    /// The reqwest client, built on first use on a blocking thread (OpenSSL's set-up is
    /// tens of milliseconds of CPU).
    pub async fn reqwest(&self) -> Result<reqwest::Client> {
        let client = self
            .reqwest
            .get_or_try_init(|| async {
                let settings = self.settings.clone();
                tokio::task::spawn_blocking(move || build_reqwest(&settings))
                    .await
                    .map_err(|e| ClientError::Invalid(format!("cannot build the HTTP client: {e}")))?
            })
            .await?;
        Ok(client.clone())
    }

    /// Sends one request (no redirect followed) and returns its answer; errors are mapped
    /// to our kinds (`what` names the call in them).
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> Result<reqwest::Response> {
        if let Some(plain) = self.plain.as_ref().filter(|_| plain_capable(url)) {
            return self.send_plain(plain, method, url, token, body, what).await;
        }
        let mut req = self.reqwest().await?.request(method, url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.map_err(|e| transport_error(url, what, self.settings.timeout, &e))
    }

    /// The plain-HTTP exchange, with what reqwest would add: the user agent, a sensitive
    /// bearer header, a JSON body's content type, gzip accepted and decoded, and one
    /// timeout over the whole exchange (connect, answer and body). The body is read here:
    /// admin answers are read whole by every caller.
    async fn send_plain(
        &self,
        plain: &PlainClient,
        method: Method,
        url: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> Result<reqwest::Response> {
        let protocol = |reason: String| ClientError::Protocol { what: what.to_string(), reason };
        let mut parsed = Url::parse(url).map_err(|e| protocol(format!("{url}: {e}")))?;
        parsed.set_fragment(None);
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(parsed.as_str())
            .header(header::USER_AGENT, USER_AGENT)
            .header(header::ACCEPT, "*/*")
            .header(header::ACCEPT_ENCODING, "gzip");
        if let Some(t) = token {
            let mut value = header::HeaderValue::from_str(&format!("Bearer {t}"))
                .map_err(|_| protocol("the token is not a valid header value".into()))?;
            value.set_sensitive(true);
            req = req.header(header::AUTHORIZATION, value);
        }
        let payload = match body {
            Some(b) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                serde_json::to_vec(b).map_err(|e| protocol(e.to_string()))?
            }
            None => Vec::new(),
        };
        let req = req.body(reqwest::Body::from(payload)).map_err(|e| protocol(e.to_string()))?;
        let timeout = self.settings.timeout;
        let exchange = async {
            let resp = plain.request(req).await.map_err(|e| plain_error(url, what, timeout, &e))?;
            let (parts, body) = resp.into_parts();
            let bytes = body.collect().await.map_err(|e| protocol(root_cause(&e)))?.to_bytes();
            Ok::<_, ClientError>((parts, bytes))
        };
        let (parts, bytes) = tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| ClientError::Timeout { what: what.to_string(), after: timeout })??;
        let mut headers = parts.headers;
        let gzipped = headers
            .get(header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"));
        let bytes = if gzipped {
            headers.remove(header::CONTENT_ENCODING);
            headers.remove(header::CONTENT_LENGTH);
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_end(&mut out)
                .map_err(|e| protocol(format!("cannot decode the gzip answer: {e}")))?;
            Bytes::from(out)
        } else {
            bytes
        };
        let mut resp = hyper::Response::builder().status(parts.status).version(parts.version).url(parsed);
        if let Some(h) = resp.headers_mut() {
            *h = headers;
        }
        let resp = resp.body(reqwest::Body::from(bytes)).map_err(|e| protocol(e.to_string()))?;
        Ok(reqwest::Response::from(resp))
    }
}

/// A URL the plain client can serve: `http://` without credentials in it.
fn plain_capable(url: &str) -> bool {
    Url::parse(url).is_ok_and(|u| u.scheme() == "http" && u.username().is_empty() && u.password().is_none())
}

/// A proxy reqwest would use for `http://` (its system proxy reads these variables).
fn proxy_in_environment() -> bool {
    ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|value| !value.is_empty()))
}

fn plain_client(timeout: Duration) -> PlainClient {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(timeout.min(Duration::from_secs(5))));
    connector.set_nodelay(true);
    hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(connector)
}

/// The reqwest client of the admin API, `/metrics` and health checks, with `tls`'s checks.
fn build_reqwest(settings: &Settings) -> Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
        .timeout(settings.timeout)
        // Redirects are followed by hand (see `AdminClient::send`): reqwest drops the
        // Authorization header when a 307 sends us to another broker.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT);
    settings
        .tls
        .apply_to_reqwest(builder)?
        .build()
        .map_err(|e| ClientError::Invalid(format!("cannot build the HTTP client: {e}")))
}

/// A reqwest failure as one of our kinds: a certificate problem says which, then timeout,
/// unreachable, or a protocol error with the innermost cause.
pub(crate) fn transport_error(url: &str, what: &str, timeout: Duration, e: &reqwest::Error) -> ClientError {
    if let Some(tls) = super::tls::tls_error_in_chain(url, e) {
        return tls;
    }
    if e.is_timeout() {
        ClientError::Timeout { what: what.to_string(), after: timeout }
    } else if e.is_connect() {
        ClientError::Unreachable { url: super::redact_url(url), reason: root_cause(e) }
    } else {
        ClientError::Protocol { what: what.to_string(), reason: root_cause(e) }
    }
}

/// A plain-client failure as one of our kinds (a connect timeout is a timeout, as reqwest
/// reports it).
fn plain_error(url: &str, what: &str, timeout: Duration, e: &hyper_util::client::legacy::Error) -> ClientError {
    if !e.is_connect() {
        return ClientError::Protocol { what: what.to_string(), reason: root_cause(e) };
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut) {
            return ClientError::Timeout { what: what.to_string(), after: timeout };
        }
        cause = c.source();
    }
    ClientError::Unreachable { url: super::redact_url(url), reason: root_cause(e) }
}

#[cfg(test)]
#[path = "transport_tests.rs"]
mod tests;
