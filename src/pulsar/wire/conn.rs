//! One connection to a broker: TCP or TLS (`pulsar+ssl://`, with the context's
//! [`TlsOptions`](super::super::TlsOptions)), the CONNECT handshake with our credentials
//! (the token, or the OAuth2 source's, as [`Client::pulsar`] gives the `pulsar` crate), PING
//! answered with PONG and AUTH_CHALLENGE with a fresh token while waiting for anything else,
//! and request/answer by request id. Every wait is bounded by the context's operation
//! timeout. One task owns a connection: the callers here do one thing at a time.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::BytesMut;
use pulsar::proto::base_command::Type;
use pulsar::proto::{AuthData, BaseCommand, CommandAuthResponse, CommandConnect, FeatureFlags, ServerError};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::frame::{self, Frame};
use crate::pulsar::error::{ClientError, Result, TlsProblem};
use crate::pulsar::{redact_url, Client};

/// The protocol version we speak: v18 (broker entry metadata for clients) is the newest
/// feature we read; v19 adds nothing we send.
const PROTOCOL_VERSION: i32 = 19;
/// The broker's `maxMessageSize` when CONNECTED does not say (Pulsar's default).
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 5 << 20;
/// What a frame from the broker may hold beyond `maxMessageSize` (the broker's own frame
/// padding is 10 KiB; the command and the broker entry metadata come on top of an entry).
const FRAME_ROOM: usize = 1 << 20;

trait Io: AsyncRead + AsyncWrite + Unpin + Send + Sync {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Sync> Io for T {}

/// A command of the given type with nothing set yet.
pub fn command(t: Type) -> BaseCommand {
    BaseCommand { r#type: t as i32, ..Default::default() }
}

/// A connection to one broker, after CONNECTED.
pub struct Connection {
    io: Box<dyn Io>,
    buf: BytesMut,
    /// Frames read while waiting for something else (a MESSAGE while a SUCCESS was awaited).
    stash: VecDeque<Frame>,
    client: Client,
    /// The broker's address, for messages (credentials redacted).
    url: String,
    /// The broker's `maxMessageSize` (CONNECTED), a chunk's bound.
    pub max_message_size: usize,
    next_id: u64,
    pub timeout: Duration,
}

/// `(tls, [(host, port)])` of `pulsar://h1:6650,h2:6650` or `pulsar+ssl://h:6651/`.
pub fn parse_url(url: &str) -> Result<(bool, Vec<(String, u16)>)> {
    let bad = || ClientError::Invalid(format!("bad broker URL {}: expected pulsar://host:port", redact_url(url)));
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    let tls = match scheme {
        "pulsar" => false,
        "pulsar+ssl" => true,
        _ => return Err(bad()),
    };
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let hosts = rest.split('/').next().unwrap_or_default();
    let default_port = if tls { 6651 } else { 6650 };
    let mut out = Vec::new();
    for h in hosts.split(',').map(str::trim).filter(|h| !h.is_empty()) {
        let (host, port) = if let Some(v6) = h.strip_prefix('[') {
            let (host, p) = v6.split_once(']').ok_or_else(bad)?;
            (host, p.strip_prefix(':'))
        } else {
            match h.rsplit_once(':') {
                Some((host, p)) => (host, Some(p)),
                None => (h, None),
            }
        };
        let port = match port {
            Some(p) => p.parse().map_err(|_| bad())?,
            None => default_port,
        };
        out.push((host.to_string(), port));
    }
    if out.is_empty() {
        return Err(bad());
    }
    Ok((tls, out))
}

/// A broker's error answer as one of our kinds.
pub fn server_error(code: i32, message: &str, what: &str, url: &str) -> ClientError {
    let name = ServerError::try_from(code).map_or_else(|_| format!("error {code}"), |e| e.as_str_name().to_string());
    match ServerError::try_from(code) {
        Ok(ServerError::AuthenticationError) => {
            ClientError::Unauthorized { what: format!("binary protocol at {url}: {what}: {message}") }
        }
        Ok(ServerError::AuthorizationError) => ClientError::Forbidden { what: format!("{what}: {message}") },
        Ok(ServerError::TopicNotFound) => ClientError::NotFound { what: format!("{what}: {message}") },
        // a broker that is starting or moving a bundle: transient, as for the pulsar crate
        Ok(ServerError::ServiceNotReady | ServerError::TooManyRequests) => ClientError::Unreachable {
            url: url.to_string(),
            reason: format!("the broker is not ready yet ({what}: {name}: {message})"),
        },
        _ => ClientError::Binary(format!("{what}: {name}: {message}")),
    }
}

/// The request id a broker's answer refers to.
fn answers_request(c: &BaseCommand) -> Option<u64> {
    c.success
        .as_ref()
        .map(|s| s.request_id)
        .or_else(|| c.error.as_ref().map(|e| e.request_id))
        .or_else(|| c.producer_success.as_ref().map(|s| s.request_id))
        .or_else(|| c.lookup_topic_response.as_ref().map(|s| s.request_id))
        .or_else(|| c.partition_metadata_response.as_ref().map(|s| s.request_id))
        .or_else(|| c.get_last_message_id_response.as_ref().map(|s| s.request_id))
}

impl Connection {
    /// Connects to `url` (each of its hosts in turn) and makes the CONNECT handshake;
    /// `proxy_to` asks a Pulsar proxy at `url` to forward to that broker.
    pub async fn open(client: &Client, url: &str, proxy_to: Option<&str>) -> Result<Connection> {
        let (tls, hosts) = parse_url(url)?;
        let shown = redact_url(url);
        let timeout = client.target.op_timeout;
        let mut last = None;
        for (host, port) in hosts {
            let tcp = match tokio::time::timeout(timeout, tokio::net::TcpStream::connect((host.as_str(), port))).await {
                Ok(Ok(tcp)) => tcp,
                Ok(Err(e)) => {
                    last = Some(ClientError::Unreachable { url: shown.clone(), reason: e.to_string() });
                    continue;
                }
                Err(_) => {
                    last = Some(ClientError::Timeout { what: format!("connect to {shown}"), after: timeout });
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            let io: Box<dyn Io> = if tls {
                let connector = tokio_native_tls::TlsConnector::from(client.target.tls.connector()?);
                match tokio::time::timeout(timeout, connector.connect(&host, tcp)).await {
                    Ok(Ok(s)) => Box::new(s),
                    Ok(Err(e)) => {
                        return Err(crate::pulsar::tls::tls_error_in_chain(&shown, &e).unwrap_or_else(|| {
                            ClientError::Tls {
                                url: shown.clone(),
                                problem: TlsProblem::Handshake,
                                detail: e.to_string(),
                            }
                        }))
                    }
                    Err(_) => {
                        return Err(ClientError::Timeout {
                            what: format!("TLS handshake with {shown}"),
                            after: timeout,
                        })
                    }
                }
            } else {
                Box::new(tcp)
            };
            let mut conn = Connection {
                io,
                buf: BytesMut::with_capacity(64 << 10),
                stash: VecDeque::new(),
                client: client.clone(),
                url: shown.clone(),
                max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
                next_id: 1,
                timeout,
            };
            conn.handshake(proxy_to).await?;
            return Ok(conn);
        }
        Err(last.unwrap_or_else(|| ClientError::Invalid(format!("no host in {shown}"))))
    }

    /// The broker's address (credentials redacted).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A fresh id for a request, a producer or a consumer.
    pub fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// The credentials as the binary protocol carries them: `("token", bytes)`.
    async fn auth_data(&self) -> Result<Option<Vec<u8>>> {
        if let Some(source) = self.client.oauth2() {
            return Ok(Some(source.token().await?.into_bytes()));
        }
        Ok(self.client.target.token.as_ref().map(|t| t.clone().into_bytes()))
    }

    async fn handshake(&mut self, proxy_to: Option<&str>) -> Result<()> {
        let auth = self.auth_data().await?;
        let mut c = command(Type::Connect);
        c.connect = Some(CommandConnect {
            client_version: format!("pulsar-tui {}", env!("CARGO_PKG_VERSION")),
            auth_method_name: auth.as_ref().map(|_| "token".to_string()),
            auth_data: auth,
            protocol_version: Some(PROTOCOL_VERSION),
            proxy_to_broker_url: proxy_to.map(str::to_string),
            feature_flags: Some(FeatureFlags {
                supports_auth_refresh: Some(true),
                supports_broker_entry_metadata: Some(true),
                supports_partial_producer: Some(false),
            }),
            ..Default::default()
        });
        self.write(&frame::encode_command(&c)).await?;
        loop {
            let f = self.next_frame().await?;
            if let Some(connected) = f.command.connected {
                if let Some(n) = connected.max_message_size.filter(|n| *n > 0) {
                    self.max_message_size = n as usize;
                }
                return Ok(());
            }
            if let Some(e) = f.command.error {
                return Err(server_error(e.error, &e.message, "CONNECT", &self.url));
            }
            // nothing else is expected before CONNECTED
            tracing::debug!("wire: {} before CONNECTED: type {}", self.url, f.command.r#type);
        }
    }

    /// Writes whole frames.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let (timeout, url) = (self.timeout, self.url.clone());
        match tokio::time::timeout(timeout, async {
            self.io.write_all(bytes).await?;
            self.io.flush().await
        })
        .await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(ClientError::Unreachable { url, reason: format!("writing to the broker: {e}") }),
            Err(_) => Err(ClientError::Timeout { what: format!("writing to {url}"), after: timeout }),
        }
    }

    /// Sends one command and waits for the answer to `request_id`: SUCCESS, PRODUCER_SUCCESS,
    /// a lookup's... An ERROR answer is an error of ours; frames for others are kept.
    pub async fn request(&mut self, c: &BaseCommand, request_id: u64, what: &str) -> Result<BaseCommand> {
        self.write(&frame::encode_command(c)).await?;
        self.answer(request_id, what).await
    }

    /// Waits for the answer to `request_id` (see [`Connection::request`]).
    pub async fn answer(&mut self, request_id: u64, what: &str) -> Result<BaseCommand> {
        if let Some(i) = self.stash.iter().position(|f| answers_request(&f.command) == Some(request_id)) {
            let f = self.stash.remove(i).expect("found above");
            if let Some(e) = &f.command.error {
                return Err(server_error(e.error, &e.message, what, &self.url));
            }
            return Ok(f.command);
        }
        let deadline = tokio::time::Instant::now() + self.timeout;
        loop {
            let f = match tokio::time::timeout_at(deadline, self.read_frame()).await {
                Ok(f) => f?,
                Err(_) => {
                    return Err(ClientError::Timeout { what: format!("{what} at {}", self.url), after: self.timeout })
                }
            };
            if answers_request(&f.command) != Some(request_id) {
                self.stash.push_back(f);
                continue;
            }
            if let Some(e) = &f.command.error {
                return Err(server_error(e.error, &e.message, what, &self.url));
            }
            return Ok(f.command);
        }
    }

    /// The next frame not answered here (PING, AUTH_CHALLENGE), kept ones first, within the
    /// operation timeout.
    pub async fn next_frame(&mut self) -> Result<Frame> {
        self.next_frame_within(self.timeout).await
    }

    /// [`Connection::next_frame`] with another bound.
    pub async fn next_frame_within(&mut self, limit: Duration) -> Result<Frame> {
        if let Some(f) = self.stash.pop_front() {
            return Ok(f);
        }
        match tokio::time::timeout(limit, self.read_frame()).await {
            Ok(f) => f,
            Err(_) => Err(ClientError::Timeout { what: format!("waiting for {}", self.url), after: limit }),
        }
    }

    /// Reads the next frame from the socket, answering PING and AUTH_CHALLENGE on the way.
    async fn read_frame(&mut self) -> Result<Frame> {
        loop {
            let f = self.read_one().await?;
            if !self.answer_control(&f.command).await? {
                return Ok(f);
            }
        }
    }

    /// Answers PING (PONG) and AUTH_CHALLENGE (a fresh token); true when `c` was one of
    /// them (or a PONG), which the caller then drops.
    pub async fn answer_control(&mut self, c: &BaseCommand) -> Result<bool> {
        match Type::try_from(c.r#type) {
            Ok(Type::Ping) => self.write(&frame::encode_command(&command(Type::Pong))).await?,
            Ok(Type::Pong) => {}
            Ok(Type::AuthChallenge) => {
                let data = self.auth_data().await?;
                let mut c = command(Type::AuthResponse);
                c.auth_response = Some(CommandAuthResponse {
                    client_version: Some(format!("pulsar-tui {}", env!("CARGO_PKG_VERSION"))),
                    response: Some(AuthData { auth_method_name: Some("token".into()), auth_data: data }),
                    protocol_version: Some(PROTOCOL_VERSION),
                });
                self.write(&frame::encode_command(&c)).await?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// A frame kept while a request waited for its answer, oldest first.
    pub fn take_stashed(&mut self) -> Option<Frame> {
        self.stash.pop_front()
    }

    /// The next whole frame already read from the socket (its size field included), taken
    /// out of the buffer without copying; `None` when the buffer holds no whole frame. With
    /// [`Connection::fill`], a consumer reads without a task or a copy of its own.
    pub fn try_frame_bytes(&mut self) -> Result<Option<BytesMut>> {
        let max = self.max_message_size + FRAME_ROOM;
        let len = frame::frame_len(&self.buf, max)
            .map_err(|e| ClientError::Protocol { what: "a frame from the broker".into(), reason: e.to_string() })?;
        match len {
            Some(len) if self.buf.len() >= len => Ok(Some(self.buf.split_to(len))),
            Some(len) => {
                self.buf.reserve(len - self.buf.len());
                Ok(None)
            }
            None => Ok(None),
        }
    }

    /// Reads what the socket has into the buffer (at least one byte). Cancel-safe: dropped
    /// before it completes, nothing read is lost, so it may race a timer or other sockets.
    pub async fn fill(&mut self) -> Result<()> {
        if self.buf.capacity() - self.buf.len() < 16 << 10 {
            self.buf.reserve(64 << 10);
        }
        let n = self.io.read_buf(&mut self.buf).await.map_err(|e| ClientError::Unreachable {
            url: self.url.clone(),
            reason: format!("reading from the broker: {e}"),
        })?;
        if n == 0 {
            return Err(ClientError::Unreachable {
                url: self.url.clone(),
                reason: "the broker closed the connection".into(),
            });
        }
        Ok(())
    }

    async fn read_one(&mut self) -> Result<Frame> {
        let max = self.max_message_size + FRAME_ROOM;
        loop {
            let protocol = |e: frame::FrameError| ClientError::Protocol {
                what: "a frame from the broker".into(),
                reason: e.to_string(),
            };
            if let Some(len) = frame::frame_len(&self.buf, max).map_err(protocol)? {
                if self.buf.len() >= len {
                    let bytes = self.buf.split_to(len);
                    return frame::decode(&bytes).map_err(protocol);
                }
                self.buf.reserve(len - self.buf.len());
            }
            self.fill().await?;
        }
    }
}
