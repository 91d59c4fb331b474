//! The browser's request group (ARCHITECTURE.md, "Adding a request group"): pages of
//! messages, follow mode and filter scans (both streamed), and exports.

use super::error::{ClientError, Result};
use super::message::{Message, StartFrom};
use super::reader::{Cursor, TopicReader};
use super::schemas::MessageDecoder;
use super::topic::TopicName;
use super::Client;
use crate::decode::{DecodeAs, Decoded};

#[derive(Debug, Clone, PartialEq)]
pub enum BrowseRequest {
    /// Up to `limit` messages from a start position or a saved cursor (fresh readers each time).
    ReadPage {
        topic: TopicName,
        from: PageFrom,
        limit: usize,
        /// "Decode as…" instead of the registry's schema.
        decode_as: Option<DecodeAs>,
    },
    /// New messages from a cursor on, streamed as `MessagesArrived` until cancelled.
    Follow { topic: TopicName, cursor: Cursor, decode_as: Option<DecodeAs> },
    /// Read from `from` to the end, keeping messages that match a CEL filter (streamed as
    /// `ScanProgressed`), at most `limit` matches.
    Scan { topic: TopicName, from: PageFrom, filter: String, limit: usize, decode_as: Option<DecodeAs> },
    /// Write JSON lines (an export) to a file, creating its directory.
    WriteExport { path: std::path::PathBuf, lines: Vec<String> },
}

#[derive(Debug, Clone, PartialEq)]
pub enum BrowseResponse {
    PageRead {
        topic: TopicName,
        messages: Vec<Browsed>,
        next: Cursor,
        at_end: bool,
    },
    /// A batch of a follow (not the last response of its request).
    MessagesArrived {
        topic: TopicName,
        messages: Vec<Browsed>,
        next: Cursor,
    },
    /// Matches found since the last progress, and the totals so far; `done` ends the scan.
    ScanProgressed {
        matches: Vec<Browsed>,
        scanned: u64,
        decode_errors: u64,
        done: bool,
    },
    ExportWritten {
        path: std::path::PathBuf,
        count: usize,
    },
}

/// Where a page read starts.
#[derive(Debug, Clone, PartialEq)]
pub enum PageFrom {
    Start(StartFrom),
    Cursor(Cursor),
}

/// A message with its decoded value, as the browser shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Browsed {
    pub message: Message,
    pub decoded: Decoded,
}

impl BrowseRequest {
    /// A short description for status messages.
    pub fn describe(&self) -> String {
        match self {
            BrowseRequest::ReadPage { topic, .. } => format!("reading {topic}"),
            BrowseRequest::Follow { topic, .. } => format!("following {topic}"),
            BrowseRequest::Scan { topic, .. } => format!("scanning {topic}"),
            BrowseRequest::WriteExport { path, .. } => format!("export to {}", path.display()),
        }
    }

    /// True for the requests that answer as a stream (run by [`stream`]).
    pub fn streams(&self) -> bool {
        matches!(self, BrowseRequest::Follow { .. } | BrowseRequest::Scan { .. })
    }
}

impl BrowseResponse {
    /// False for the responses of a stream that go on after this one.
    pub fn is_final(&self) -> bool {
        !matches!(self, BrowseResponse::MessagesArrived { .. } | BrowseResponse::ScanProgressed { done: false, .. })
    }
}

/// The one-answer requests.
pub async fn execute(client: &Client, r: &BrowseRequest) -> Result<BrowseResponse> {
    match r {
        BrowseRequest::ReadPage { topic, from, limit, decode_as } => {
            read_page(client, topic, from, *limit, decode_as.as_ref()).await
        }
        BrowseRequest::WriteExport { path, lines } => write_export(path, lines).await,
        BrowseRequest::Follow { .. } | BrowseRequest::Scan { .. } => {
            Err(ClientError::Invalid(format!("{} answers as a stream: run it with Worker::submit", r.describe())))
        }
    }
}

/// Runs a streamed request (follow, scan) until it ends, its task is aborted or
/// `answer` returns false (nobody listens any more). The worker passes a closure
/// that tags each answer with the request's id, so this module needs nothing
/// from `request.rs` (which names this module's types: no import cycle).
pub async fn stream(client: Client, r: BrowseRequest, answer: impl Fn(Result<BrowseResponse>) -> bool + Send) {
    match r {
        BrowseRequest::Follow { topic, cursor, decode_as } => follow(client, topic, cursor, decode_as, &answer).await,
        BrowseRequest::Scan { topic, from, filter, limit, decode_as } => {
            scan(client, ScanJob { topic, from, filter, limit, decode_as }, &answer).await
        }
        other => {
            answer(execute(&client, &other).await);
        }
    }
}

/// How many followed messages go into one response at most.
const FOLLOW_BATCH: usize = 256;

async fn browsed(client: &Client, decoder: &mut MessageDecoder, m: Message) -> Browsed {
    let decoded = decoder.decode(client, &m).await;
    Browsed { message: m, decoded }
}

async fn read_page(
    client: &Client,
    topic: &TopicName,
    from: &PageFrom,
    limit: usize,
    decode_as: Option<&DecodeAs>,
) -> Result<BrowseResponse> {
    let mut decoder = MessageDecoder::new(topic).forcing(decode_as).map_err(ClientError::Invalid)?;
    let mut reader = match from {
        PageFrom::Start(s) => TopicReader::open(client, topic, s, false).await?,
        PageFrom::Cursor(c) => TopicReader::open_at(client, topic, c, false).await?,
    };
    let mut messages = Vec::with_capacity(limit.min(4096));
    let mut at_end = true;
    while messages.len() < limit {
        match reader.next().await? {
            Some(m) => messages.push(browsed(client, &mut decoder, m).await),
            None => break,
        }
        if messages.len() == limit {
            at_end = false;
        }
    }
    Ok(BrowseResponse::PageRead { topic: topic.clone(), messages, next: reader.cursor(), at_end })
}

async fn write_export(path: &std::path::Path, lines: &[String]) -> Result<BrowseResponse> {
    let io = |e: std::io::Error| ClientError::Invalid(format!("cannot write {}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(io)?;
    }
    let mut text = lines.join("\n");
    text.push('\n');
    tokio::fs::write(path, text).await.map_err(io)?;
    Ok(BrowseResponse::ExportWritten { path: path.to_path_buf(), count: lines.len() })
}

/// What a scan reads and keeps.
struct ScanJob {
    topic: TopicName,
    from: PageFrom,
    filter: String,
    limit: usize,
    decode_as: Option<DecodeAs>,
}

/// Scans a topic with a filter, sending progress about every 200 ms.
async fn scan(client: Client, job: ScanJob, answer: &impl Fn(Result<BrowseResponse>) -> bool) {
    let ScanJob { topic, from, filter, limit, decode_as } = &job;
    let fail = |error: ClientError| {
        answer(Err(error));
    };
    let filter = match crate::filter::Filter::compile(filter) {
        Ok(f) => f,
        Err(e) => return fail(ClientError::Invalid(format!("filter: {e}"))),
    };
    let mut decoder = match MessageDecoder::new(topic).forcing(decode_as.as_ref()) {
        Ok(d) => d,
        Err(e) => return fail(ClientError::Invalid(e)),
    };
    let opened = match from {
        PageFrom::Start(s) => TopicReader::open(&client, topic, s, false).await,
        PageFrom::Cursor(c) => TopicReader::open_at(&client, topic, c, false).await,
    };
    let mut reader = match opened {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let (mut scanned, mut errors, mut found) = (0u64, 0u64, 0usize);
    let mut batch = Vec::new();
    let mut last = std::time::Instant::now();
    loop {
        let m = match reader.next().await {
            Ok(Some(m)) => m,
            Ok(None) => break,
            Err(e) => return fail(e),
        };
        scanned += 1;
        let b = browsed(&client, &mut decoder, m).await;
        if b.decoded.error.is_some() {
            errors += 1;
        }
        // an expression that fails on a message (e.g. a type mismatch) does not match it
        if crate::envelope::filter_matches(&filter, &b.message, &b.decoded).unwrap_or(false) {
            batch.push(b);
            found += 1;
        }
        if last.elapsed() >= std::time::Duration::from_millis(200) {
            let r = BrowseResponse::ScanProgressed {
                matches: std::mem::take(&mut batch),
                scanned,
                decode_errors: errors,
                done: false,
            };
            if !answer(Ok(r)) {
                return;
            }
            last = std::time::Instant::now();
        }
        if found >= *limit {
            break;
        }
    }
    answer(Ok(BrowseResponse::ScanProgressed { matches: batch, scanned, decode_errors: errors, done: true }));
}

/// Streams new messages until the task is aborted (or the channel closes).
async fn follow(
    client: Client,
    topic: TopicName,
    cursor: Cursor,
    decode_as: Option<DecodeAs>,
    answer: &impl Fn(Result<BrowseResponse>) -> bool,
) {
    let mut decoder = match MessageDecoder::new(&topic).forcing(decode_as.as_ref()) {
        Ok(d) => d,
        Err(e) => {
            answer(Err(ClientError::Invalid(e)));
            return;
        }
    };
    let mut reader = match TopicReader::open_at(&client, &topic, &cursor, true).await {
        Ok(r) => r,
        Err(error) => {
            answer(Err(error));
            return;
        }
    };
    loop {
        let first = match reader.next().await {
            Ok(Some(m)) => m,
            Ok(None) => continue,
            Err(error) => {
                answer(Err(error));
                return;
            }
        };
        let mut messages = vec![browsed(&client, &mut decoder, first).await];
        // take whatever else is already there, without waiting
        while messages.len() < FOLLOW_BATCH {
            match tokio::time::timeout(std::time::Duration::from_millis(5), reader.next()).await {
                Ok(Ok(Some(m))) => messages.push(browsed(&client, &mut decoder, m).await),
                _ => break,
            }
        }
        let r = BrowseResponse::MessagesArrived { topic: topic.clone(), messages, next: reader.cursor() };
        if !answer(Ok(r)) {
            return;
        }
    }
}
