//! A pipelined, batching producer on one topic (a partition or a non-partitioned topic)
//! over a connection of its own.
//!
//! - **Pipelined**: [`BatchProducer::send`] returns at once with a [`Receipt`]; up to
//!   `window` messages may wait for their receipts (then `send` waits for room).
//! - **Batches built in place** ([`super::batch`]): a message is appended to the open batch
//!   under a lock, no channel or oneshot per message; the batch goes when it holds
//!   `max_messages` or `max_bytes`, or `max_delay` after its first message (a timer task).
//! - **Per-message receipts**: every message of a batch shares one slot the connection task
//!   fills from the batch's SEND_RECEIPT; a receipt gives (ledger, entry, batch index).
//! - **Sequence ids** grow by one per message from what the broker last stored for this
//!   producer name (PRODUCER_SUCCESS), so the broker's deduplication (producer name +
//!   sequence id) recognizes a resend.
//! - **Failure**: a connection error, a SEND_ERROR or the broker closing the producer fails
//!   EVERY receipt not yet given, and every later send: what has no receipt was not sent, as
//!   far as a caller knows (the requeue journal relies on it). No reconnection: a caller that
//!   wants to go on makes a new producer.
//!
//! Hand-written because the `pulsar` crate's producer takes messages one at a time (a
//! channel send, a oneshot and a receipt clone each, batches built in its own task, one
//! batch in flight), and its `ProducerMessage` and `ConnectionSender::send` are
//! `pub(crate)`: nothing lower is public to build on.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pulsar::proto::base_command::Type;
use pulsar::proto::{CommandCloseProducer, CompressionType};
use tokio::sync::{mpsc, oneshot, Notify, Semaphore};
use tokio::time::Instant;

use super::batch::{self, Batch, Out};
use super::conn::{command, server_error, Connection};
use super::frame;
use super::receipt::{lock, Slot, Stored};
pub use super::receipt::{Receipt, SendError};
use crate::pulsar::error::{ClientError, Result};
use crate::pulsar::topic::TopicName;
use crate::pulsar::Client;

/// How a [`BatchProducer`] batches and how far ahead it sends.
#[derive(Debug, Clone)]
pub struct Options {
    /// Off: every message is an entry of its own (still pipelined).
    pub batching: bool,
    pub max_messages: u32,
    /// Uncompressed bytes of a batch, at most (also kept under a quarter of the broker's
    /// `maxMessageSize`).
    pub max_bytes: usize,
    /// A batch goes this long after its first message at the latest.
    pub max_delay: Duration,
    pub compression: CompressionType,
    /// Messages sent (or in the open batch) without a receipt yet, at most.
    pub window: usize,
    /// The schema the producer declares (so the broker gives its version to what is sent).
    pub schema: Option<pulsar::proto::Schema>,
    /// The producer's name; `None`: the broker names it.
    pub name: Option<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            batching: true,
            max_messages: 1_000,
            max_bytes: 128 << 10,
            max_delay: Duration::from_millis(5),
            compression: CompressionType::None,
            window: 50_000,
            schema: None,
            name: None,
        }
    }
}

/// An entry sent and not yet receipted.
struct Sent {
    sequence: u64,
    /// Receipts still to come (a chunked message has one per chunk).
    parts: u32,
    messages: u32,
    batched: bool,
    slot: Arc<Slot>,
}

/// What the connection task does besides reading.
enum Cmd {
    Frame(Vec<u8>),
    Close { frame: Vec<u8>, request: u64, done: oneshot::Sender<()> },
}

/// The fixed facts of a producer.
struct Config {
    id: u64,
    name: String,
    partition: i32,
    codec: CompressionType,
    max_message: usize,
    opts: Options,
}

struct State {
    batch: Batch,
    /// The slot the open batch's messages wait on.
    batch_slot: Arc<Slot>,
    batch_since: Option<Instant>,
    next_sequence: u64,
    pending: VecDeque<Sent>,
    failed: Option<SendError>,
    out: mpsc::UnboundedSender<Cmd>,
}

struct Shared {
    config: Config,
    state: Mutex<State>,
    /// A batch was opened (the timer task waits for one).
    opened: Notify,
    /// Nothing pending any more, or failed (for close).
    idle: Notify,
    window: Semaphore,
}

fn now_ms() -> u64 {
    chrono::Utc::now().timestamp_millis().max(0) as u64
}

impl Shared {
    /// Sends the open batch (under the state lock, so entries go in sequence order).
    fn flush(&self, st: &mut State) {
        if st.batch.is_empty() {
            return;
        }
        st.batch_since = None;
        let c = &self.config;
        let slot = std::mem::take(&mut st.batch_slot);
        let messages = st.batch.len();
        match st.batch.take(&c.name, c.codec, now_ms()) {
            Ok(entry) => {
                let batched = entry.metadata.num_messages_in_batch.is_some();
                st.pending.push_back(Sent { sequence: entry.first_sequence, parts: 1, messages, batched, slot });
                let _ = st.out.send(Cmd::Frame(entry.frame(c.id)));
            }
            Err(e) => {
                slot.resolve(Err(e.into()));
                self.window.add_permits(messages as usize);
            }
        }
    }

    /// Fails everything not receipted, and every later send.
    fn fail(&self, e: SendError) {
        let mut st = lock(&self.state);
        if st.failed.is_none() {
            tracing::debug!("wire producer {}: {e}", self.config.name);
            st.failed = Some(e.clone());
        }
        let mut freed = st.batch.len() as usize;
        st.batch = Batch::default();
        st.batch_since = None;
        std::mem::take(&mut st.batch_slot).resolve(Err(e.clone()));
        for s in st.pending.drain(..) {
            freed += s.messages as usize;
            s.slot.resolve(Err(e.clone()));
        }
        drop(st);
        self.window.add_permits(freed);
        self.window.close();
        self.idle.notify_waiters();
    }

    /// A SEND_RECEIPT: receipts come in the order the entries were sent.
    fn receipt(&self, sequence: u64, ledger: u64, entry: u64) {
        let mut st = lock(&self.state);
        let Some(front) = st.pending.front_mut() else { return };
        if sequence < front.sequence {
            return; // a duplicate the broker confirmed again
        }
        if sequence > front.sequence {
            let expected = front.sequence;
            drop(st);
            self.fail(SendError::Lost(format!("a receipt for sequence id {sequence} while {expected} was expected")));
            return;
        }
        front.parts -= 1;
        if front.parts > 0 {
            return;
        }
        let Some(done) = st.pending.pop_front() else { return };
        let idle = st.pending.is_empty() && st.batch.is_empty();
        drop(st);
        done.slot.resolve(Ok(Stored { ledger, entry, batched: done.batched }));
        self.window.add_permits(done.messages as usize);
        if idle {
            self.idle.notify_waiters();
        }
    }
}

/// A pipelined, batching producer (see the module docs).
pub struct BatchProducer {
    shared: Arc<Shared>,
    topic: TopicName,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    conn_id: u64,
    timeout: Duration,
}

impl BatchProducer {
    /// A producer on `topic`, a partition or a non-partitioned topic.
    pub async fn create(client: &Client, topic: &TopicName, opts: Options) -> Result<BatchProducer> {
        let opened = super::producer::open_producer(client, topic, opts.name.clone(), opts.schema.clone()).await?;
        let super::producer::Opened { mut conn, id, name, next_sequence } = opened;
        let max_message = conn.max_message_size;
        let mut opts = opts;
        opts.max_bytes = opts.max_bytes.clamp(1, (max_message / 4).max(1));
        opts.window = opts.window.max(opts.max_messages as usize).max(1);
        let (tx, rx) = mpsc::unbounded_channel();
        let config = Config {
            id,
            name,
            partition: topic.partition_index().map_or(-1, |p| p as i32),
            codec: opts.compression,
            max_message,
            opts,
        };
        let shared = Arc::new(Shared {
            window: Semaphore::new(config.opts.window),
            config,
            state: Mutex::new(State {
                batch: Batch::default(),
                batch_slot: Arc::default(),
                batch_since: None,
                next_sequence,
                pending: VecDeque::new(),
                failed: None,
                out: tx,
            }),
            opened: Notify::new(),
            idle: Notify::new(),
        });
        let conn_id = conn.next_id();
        let timeout = conn.timeout;
        let tasks = vec![tokio::spawn(pump(conn, rx, shared.clone())), tokio::spawn(timer(shared.clone()))];
        Ok(BatchProducer { shared, topic: topic.clone(), tasks, conn_id, timeout })
    }

    /// The producer's name (the broker's deduplication key with the sequence ids).
    pub fn name(&self) -> &str {
        &self.shared.config.name
    }

    pub fn topic(&self) -> &TopicName {
        &self.topic
    }

    /// The broker's `maxMessageSize`.
    pub fn max_message_size(&self) -> usize {
        self.shared.config.max_message
    }

    /// Why the producer stopped, if it did (every later send fails with it).
    pub fn failed(&self) -> Option<SendError> {
        lock(&self.shared.state).failed.clone()
    }

    /// Queues `m` (waits only when the window is full) and returns its receipt. A message
    /// with a deliver-at time, a schema version other than the open batch's, or too large to
    /// share an entry goes as an entry of its own after the open batch; one larger than the
    /// broker's `maxMessageSize` as chunks.
    pub async fn send(&self, m: Out) -> std::result::Result<Receipt, SendError> {
        let sh = &self.shared;
        let c = &sh.config;
        match sh.window.acquire().await {
            Ok(p) => p.forget(),
            Err(_) => return Err(lock(&sh.state).failed.clone().unwrap_or(SendError::Closed)),
        }
        let mut st = lock(&sh.state);
        if let Some(e) = &st.failed {
            let e = e.clone();
            drop(st);
            sh.window.add_permits(1);
            return Err(e);
        }
        let sequence = st.next_sequence;
        st.next_sequence += 1;
        let cost = Batch::cost(&m);
        if !c.opts.batching || !st.batch.accepts(&m) || cost > c.opts.max_bytes {
            sh.flush(&mut st);
            if c.opts.batching && cost <= c.opts.max_bytes && m.deliver_at_time.is_none() {
                // it opens a batch of its own (another schema version or replicate_to)
                return Ok(self.push(&mut st, m, sequence));
            }
            let entries = match batch::chunks(m, sequence, &c.name, c.codec, now_ms(), c.max_message) {
                Ok(e) => e,
                Err(e) => {
                    drop(st);
                    sh.window.add_permits(1);
                    return Err(e.into());
                }
            };
            let slot = Arc::new(Slot::default());
            let parts = entries.len() as u32;
            st.pending.push_back(Sent { sequence, parts, messages: 1, batched: false, slot: slot.clone() });
            for e in entries {
                let _ = st.out.send(Cmd::Frame(e.frame(c.id)));
            }
            return Ok(Receipt { slot, index: -1, partition: c.partition });
        }
        if st.batch.len() >= c.opts.max_messages || st.batch.bytes() + cost > c.opts.max_bytes {
            sh.flush(&mut st);
        }
        Ok(self.push(&mut st, m, sequence))
    }

    fn push(&self, st: &mut State, m: Out, sequence: u64) -> Receipt {
        let sh = &self.shared;
        let index = st.batch.len() as i32;
        st.batch.push(m, sequence);
        let receipt = Receipt { slot: st.batch_slot.clone(), index, partition: sh.config.partition };
        if st.batch.len() >= sh.config.opts.max_messages || st.batch.bytes() >= sh.config.opts.max_bytes {
            sh.flush(st);
        } else if index == 0 {
            st.batch_since = Some(Instant::now());
            sh.opened.notify_one();
        }
        receipt
    }

    /// Sends the open batch now.
    pub fn flush(&self) {
        let mut st = lock(&self.shared.state);
        self.shared.flush(&mut st);
    }

    /// Sends the open batch and waits until every message has its receipt (or failed).
    pub async fn drain(&self) {
        self.flush();
        loop {
            let idle = self.shared.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            {
                let st = lock(&self.shared.state);
                if st.failed.is_some() || (st.pending.is_empty() && st.batch.is_empty()) {
                    return;
                }
            }
            idle.await;
        }
    }

    /// Waits for every receipt, then closes the producer on the broker.
    pub async fn close(self) {
        self.drain().await;
        let (done, wait) = oneshot::channel();
        let mut c = command(Type::CloseProducer);
        c.close_producer = Some(CommandCloseProducer { producer_id: self.shared.config.id, request_id: self.conn_id });
        let cmd = Cmd::Close { frame: frame::encode_command(&c), request: self.conn_id, done };
        let sent = lock(&self.shared.state).out.send(cmd).is_ok();
        if sent && tokio::time::timeout(self.timeout, wait).await.is_err() {
            tracing::debug!("wire producer on {}: no answer to CLOSE_PRODUCER", self.topic);
        }
    }
}

impl Drop for BatchProducer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        self.shared.fail(SendError::Closed);
    }
}

/// Sends each open batch `max_delay` after its first message.
async fn timer(shared: Arc<Shared>) {
    let delay = shared.config.opts.max_delay;
    loop {
        let due = {
            let st = lock(&shared.state);
            if st.failed.is_some() {
                return;
            }
            st.batch_since.map(|t| t + delay)
        };
        match due {
            None => shared.opened.notified().await,
            Some(at) => {
                tokio::time::sleep_until(at).await;
                let mut st = lock(&shared.state);
                if st.batch_since.is_some_and(|t| t + delay <= Instant::now()) {
                    shared.flush(&mut st);
                }
            }
        }
    }
}

/// Frames written at once, at most (consecutive small entries share a write).
const WRITE_COALESCE: usize = 1 << 20;

/// The connection's owner: writes what the producer queued, reads receipts (and answers
/// PING and AUTH_CHALLENGE). Ends on a connection error, failing what is pending.
async fn pump(mut conn: Connection, mut rx: mpsc::UnboundedReceiver<Cmd>, shared: Arc<Shared>) {
    let url = conn.url().to_string();
    let lost = |e: ClientError| SendError::Lost(format!("{url}: {e}"));
    let mut closing: Option<(u64, oneshot::Sender<()>)> = None;
    while let Some(f) = conn.take_stashed() {
        on_frame(&shared, &f.command, &url, &mut closing);
    }
    loop {
        tokio::select! {
            biased;
            cmd = rx.recv() => {
                let mut buf = match cmd {
                    Some(Cmd::Frame(f)) => f,
                    Some(Cmd::Close { frame, request, done }) => {
                        closing = Some((request, done));
                        frame
                    }
                    None => return,
                };
                while buf.len() < WRITE_COALESCE {
                    match rx.try_recv() {
                        Ok(Cmd::Frame(f)) => buf.extend_from_slice(&f),
                        Ok(Cmd::Close { frame, request, done }) => {
                            buf.extend_from_slice(&frame);
                            closing = Some((request, done));
                        }
                        Err(_) => break,
                    }
                }
                if let Err(e) = conn.write(&buf).await {
                    shared.fail(lost(e));
                    return;
                }
            }
            filled = conn.fill() => {
                if let Err(e) = filled {
                    shared.fail(lost(e));
                    return;
                }
                loop {
                    let bytes = match conn.try_frame_bytes() {
                        Ok(Some(b)) => b,
                        Ok(None) => break,
                        Err(e) => {
                            shared.fail(lost(e));
                            return;
                        }
                    };
                    let f = match frame::decode(&bytes) {
                        Ok(f) => f,
                        Err(e) => {
                            shared.fail(SendError::Lost(format!("{url}: a frame that does not decode: {e}")));
                            return;
                        }
                    };
                    match conn.answer_control(&f.command).await {
                        Ok(true) => continue,
                        Ok(false) => {}
                        Err(e) => {
                            shared.fail(lost(e));
                            return;
                        }
                    }
                    on_frame(&shared, &f.command, &url, &mut closing);
                }
            }
        }
    }
}

/// A frame for the producer: a receipt, an error, the broker closing it, the close's answer.
fn on_frame(
    shared: &Shared,
    c: &pulsar::proto::BaseCommand,
    url: &str,
    closing: &mut Option<(u64, oneshot::Sender<()>)>,
) {
    let id = shared.config.id;
    if let Some(r) = c.send_receipt.as_ref().filter(|r| r.producer_id == id) {
        match &r.message_id {
            Some(m) => shared.receipt(r.sequence_id, m.ledger_id, m.entry_id),
            None => shared.fail(SendError::Lost("a SEND_RECEIPT without a message id".into())),
        }
    } else if let Some(e) = c.send_error.as_ref().filter(|e| e.producer_id == id) {
        let e = server_error(e.error, &e.message, "publish", url);
        shared.fail(SendError::Refused(e.to_string()));
    } else if c.close_producer.as_ref().is_some_and(|p| p.producer_id == id) {
        shared.fail(SendError::Lost("the broker closed the producer (the topic moved or was unloaded)".into()));
    } else if closing.as_ref().is_some_and(|(request, _)| {
        c.success.as_ref().is_some_and(|s| s.request_id == *request)
            || c.error.as_ref().is_some_and(|e| e.request_id == *request)
    }) {
        if let Some((_, done)) = closing.take() {
            let _ = done.send(());
        }
    }
}
