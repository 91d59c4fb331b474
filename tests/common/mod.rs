//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod auth_broker;
pub mod dlq;
pub mod tui;

use std::time::{Duration, Instant};

use pulsar_tui::app::tree::{Load, NodeKey};
use pulsar_tui::app::{App, Event, Settings};
use pulsar_tui::pulsar::request::{ExplorerRequest, Request, RequestKind, Response, ResponseKind};
use pulsar_tui::pulsar::worker::Worker;
use pulsar_tui::pulsar::{Client, ClusterTarget, TopicName};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tokio::sync::mpsc;

/// The broker of the integration tests (started by scripts/test).
pub fn target() -> ClusterTarget {
    let service = std::env::var("PULSAR_TUI_IT_SERVICE_URL").unwrap_or_else(|_| "pulsar://127.0.0.1:6650".into());
    let admin = std::env::var("PULSAR_TUI_IT_ADMIN_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let mut t = ClusterTarget::new(&service, &admin);
    t.op_timeout = Duration::from_secs(10);
    t
}

/// A name no other test run uses.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}-{}-{}", std::process::id(), nanos % 1_000_000_000)
}

/// Answers a request the app made with the given response kind.
pub fn answer(app: &mut App, req: &Request, kind: ResponseKind) -> Vec<Request> {
    app.handle(Event::Response(Response { id: req.id, kind }))
}

/// The first request of a kind matching `pred`.
pub fn find(reqs: &[Request], pred: impl Fn(&RequestKind) -> bool) -> &Request {
    reqs.iter().find(|r| pred(&r.kind)).unwrap_or_else(|| panic!("no matching request in {reqs:#?}"))
}

/// Renders the app into a test terminal and returns it.
pub fn draw(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let theme = pulsar_tui::ui::theme::Theme::default();
    term.draw(|f| pulsar_tui::ui::render(f, app, &theme)).unwrap();
    term
}

/// The screen as text, one line per row.
pub fn screen(term: &Terminal<TestBackend>) -> String {
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// Whether the explorer node `key` is there and has loaded its children.
pub fn node_loaded(app: &App, key: &NodeKey) -> bool {
    app.explorer.tree.find(key).and_then(|p| app.explorer.tree.node(&p)).is_some_and(|n| n.load == Load::Loaded)
}

/// The app driven by the real worker on the real broker, without a terminal.
pub struct Driver {
    pub app: App,
    pub worker: Worker,
    rx: mpsc::UnboundedReceiver<Response>,
}

impl Driver {
    pub fn new(client: Client, settings: Settings) -> Driver {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut app = App::new(settings, Instant::now());
        let worker = Worker::new(client, tx);
        let reqs = app.start();
        let mut d = Driver { app, worker, rx };
        d.submit(reqs);
        d
    }

    pub fn submit(&mut self, reqs: Vec<Request>) {
        for r in reqs {
            self.worker.submit(r);
        }
    }

    pub fn handle(&mut self, e: Event) {
        let reqs = self.app.handle(e);
        self.submit(reqs);
    }

    pub fn act(&mut self, a: pulsar_tui::app::keys::Action) {
        let reqs = self.app.update(a);
        self.submit(reqs);
    }

    /// Feeds worker responses (and ticks) to the app until `cond` holds. Waits on events,
    /// never on fixed sleeps; fails after `limit` with `what`.
    pub async fn until(&mut self, what: &str, limit: Duration, mut cond: impl FnMut(&App) -> bool) {
        let deadline = tokio::time::Instant::now() + limit;
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        while !cond(&self.app) {
            let event = tokio::select! {
                Some(r) = self.rx.recv() => Event::Response(r),
                _ = tick.tick() => Event::Tick(Instant::now()),
                _ = tokio::time::sleep_until(deadline) => {
                    let term = draw(&self.app, 160, 48);
                    panic!("timed out waiting for {what}; screen:\n{}", screen(&term));
                }
            };
            self.handle(event);
        }
    }

    /// Waits until no request of the app is pending any more.
    pub async fn settle(&mut self, limit: Duration) {
        self.until("all requests answered", limit, |app| app.pending_requests() == 0).await;
    }

    /// Waits until the explorer node `key` has loaded its children.
    pub async fn until_loaded(&mut self, what: &str, limit: Duration, key: &NodeKey) {
        self.until(what, limit, |app| node_loaded(app, key)).await;
    }
}

/// Produces `n` messages with the official Python `pulsar-client` (the independent client),
/// key `k-<i>` and property `i=<i>`, payload `<prefix>-<i>`; waits until all are acknowledged.
pub fn python_produce(topic: &str, n: usize, prefix: &str) {
    python_produce_paced(topic, n, prefix, 0);
}

/// Like [`python_produce`], waiting `gap_ms` between sends (distinct publish times), with
/// event times set to 1,000,000 + i.
pub fn python_produce_paced(topic: &str, n: usize, prefix: &str, gap_ms: u64) {
    let service = target().service_url;
    let script = r#"
import sys, time, pulsar
service, topic, n, prefix, gap = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
client = pulsar.Client(service, operation_timeout_seconds=30)
producer = client.create_producer(topic, batching_enabled=False, block_if_queue_full=True)
for i in range(n):
    kw = dict(partition_key=f"k-{i}", properties={"i": str(i)}, event_timestamp=1000000 + i)
    if gap:
        producer.send(f"{prefix}-{i}".encode(), **kw)
        time.sleep(gap / 1000.0)
    else:
        producer.send_async(f"{prefix}-{i}".encode(), None, **kw)
producer.flush()
producer.close()
client.close()
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, &service, topic, &n.to_string(), prefix, &gap_ms.to_string()])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "python producer failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// Produces `n` messages in batches of `batch` with the official Python client
/// (tests/clients/produce_batched.py).
pub fn produce_batched(topic: &str, n: usize, batch: usize) {
    let script = format!("{}/tests/clients/produce_batched.py", env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("python3")
        .args([&script, &target().service_url, topic, &n.to_string(), &batch.to_string()])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// A new tenant named after `prefix` with namespace `ns`, holding `plain` (not partitioned)
/// and `parted` (2 partitions), each with a subscription `lagging`: (tenant, plain, parted).
pub async fn tenant_with_lagging_topics(client: &Client, prefix: &str) -> (String, TopicName, TopicName) {
    let tenant = unique(prefix);
    let clusters = client.admin.clusters().await.unwrap();
    client.admin.create_tenant(&tenant, &clusters).await.unwrap();
    client.admin.create_namespace(&format!("{tenant}/ns")).await.unwrap();
    let plain = TopicName::parse(&format!("persistent://{tenant}/ns/plain")).unwrap();
    let parted = TopicName::parse(&format!("persistent://{tenant}/ns/parted")).unwrap();
    client.admin.create_topic(&plain, 0).await.unwrap();
    client.admin.create_topic(&parted, 2).await.unwrap();
    client.admin.create_subscription(&plain, "lagging").await.unwrap();
    client.admin.create_subscription(&parted, "lagging").await.unwrap();
    (tenant, plain, parted)
}

/// The admin API's JSON at `path`, read with curl (independently of our own client).
pub fn curl_json(path: &str) -> serde_json::Value {
    let url = format!("{}{}", target().admin_url, path);
    let out = std::process::Command::new("curl").args(["-sS", "-f", "-m", "20", &url]).output().expect("curl runs");
    assert!(out.status.success(), "curl {url}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("curl {url}: not JSON: {e}"))
}

/// Reads a whole topic with the official Python client's Reader (from the earliest message,
/// every partition) and returns one JSON object per message: message_id, key, properties,
/// payload (UTF-8), publish_time (ms).
pub fn python_read(topic: &str) -> Vec<serde_json::Value> {
    python_read_as(topic, r#"m.data().decode("utf-8")"#, "payload")
}

/// Like [`python_read`], with the payload as base64 in `payload_b64` (any bytes).
pub fn python_read_raw(topic: &str) -> Vec<serde_json::Value> {
    python_read_as(topic, "base64.b64encode(m.data()).decode()", "payload_b64")
}

fn python_read_as(topic: &str, payload_expr: &str, payload_field: &str) -> Vec<serde_json::Value> {
    let service = target().service_url;
    let script = r#"
import sys, json, base64, pulsar
service, topic, path = sys.argv[1], sys.argv[2], sys.argv[3]
client = pulsar.Client(service, operation_timeout_seconds=30)
parts = client.get_topic_partitions(topic)
out = []
for p in parts:
    r = client.create_reader(p, pulsar.MessageId.earliest)
    while r.has_message_available():
        m = r.read_next(timeout_millis=10000)
        i = m.message_id()
        out.append({"message_id": f"{i.ledger_id()}:{i.entry_id()}:{i.partition()}:{i.batch_index()}",
                    "key": m.partition_key() or None, "properties": m.properties(),
                    PAYLOAD_FIELD: PAYLOAD_EXPR, "publish_time": m.publish_timestamp()})
    r.close()
client.close()
with open(path, "w") as f:
    json.dump(out, f)
"#;
    let script = script.replace("PAYLOAD_FIELD", &format!("{payload_field:?}")).replace("PAYLOAD_EXPR", payload_expr);
    let path = std::env::temp_dir().join(format!("{}.json", unique("py-read")));
    let out = std::process::Command::new("python3")
        .args(["-c", &script, &service, topic, path.to_str().unwrap()])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "python reader failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read(&path).expect("python reader wrote its output");
    let _ = std::fs::remove_file(&path);
    serde_json::from_slice(&text).expect("python reader wrote JSON")
}

/// A synthetic message for state and render tests (publish times 1 s apart from a fixed epoch).
pub fn message(i: i64, payload: &[u8]) -> pulsar_tui::pulsar::message::Message {
    use pulsar_tui::pulsar::message::{Message, MessageId};
    Message {
        topic: "persistent://acme/shop/orders-partition-1".into(),
        id: MessageId { ledger: 7, entry: i, partition: 1, batch: -1 },
        key: Some(format!("k-{i}")),
        key_is_base64: false,
        ordering_key: None,
        properties: [("trace".to_string(), format!("t{i}"))].into_iter().collect(),
        publish_time_ms: 1_764_237_600_000 + i * 1000,
        event_time_ms: None,
        producer: "p-1".into(),
        sequence_id: i,
        schema_version: Some(1),
        redelivery_count: None,
        compression: None,
        payload: payload.to_vec(),
        meta: Default::default(),
    }
}

/// A browsed message decoded without schema.
pub fn browsed(i: i64, payload: &[u8]) -> pulsar_tui::pulsar::request::Browsed {
    let decoded = pulsar_tui::envelope::decode_schemaless(payload);
    pulsar_tui::pulsar::request::Browsed { message: message(i, payload), decoded }
}

/// A browsed message, decoded without schema as the reader would: a message whose payload
/// cannot be decoded (`meta.error`: encrypted, chunks missing...) is not fed to the decoder.
pub fn browsed_message(message: pulsar_tui::pulsar::message::Message) -> pulsar_tui::pulsar::request::Browsed {
    let decoded = pulsar_tui::envelope::decode_message_schemaless(&message);
    pulsar_tui::pulsar::request::Browsed { message, decoded }
}

/// Expands the selected node and answers the load request it makes with `children`.
pub fn expand_with(app: &mut App, children: ResponseKind) -> Vec<Request> {
    let reqs = app.update(pulsar_tui::app::keys::Action::Expand);
    let r = find(&reqs, |k| {
        matches!(
            k,
            RequestKind::Explorer(ExplorerRequest::ListNamespaces { .. })
                | RequestKind::Explorer(ExplorerRequest::ListTopics { .. })
                | RequestKind::Explorer(ExplorerRequest::ListSubscriptions { .. })
        )
    })
    .clone();
    answer(app, &r, children)
}

/// Publishes `lines` (one message each) with `pulsar-tui produce TOPIC ARGS...` against
/// `service`/`admin` (with `token` when given); panics when it fails.
pub fn produce_lines(service: &str, admin: &str, token: Option<&str>, topic: &str, args: &[&str], lines: &str) {
    use std::io::Write;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pulsar-tui"));
    cmd.arg("produce")
        .arg(topic)
        .args(args)
        .env("PULSAR_SERVICE_URL", service)
        .env("PULSAR_ADMIN_URL", admin)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null());
    if let Some(t) = token {
        cmd.env("PULSAR_TOKEN", t);
    }
    let mut child = cmd.spawn().expect("pulsar-tui produce runs");
    child.stdin.take().unwrap().write_all(lines.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success(), "pulsar-tui produce to {topic} failed");
}

/// A broker of one test's own (token auth, TLS...), started by `scripts/pulsar-standalone`
/// with `env` (its ports and knobs) in a run dir of its own; stopped when dropped, also when
/// the test fails (unless `PULSAR_TUI_KEEP_TEST_BROKER` is set, for debugging).
pub struct OwnBroker {
    pub run_dir: std::path::PathBuf,
    env: Vec<(String, String)>,
}

impl OwnBroker {
    /// Starts it in `$TMPDIR/pulsar-tui-it-NAME-broker`.
    pub fn start(name: &str, env: &[(&str, &str)]) -> OwnBroker {
        let b = OwnBroker {
            run_dir: std::env::temp_dir().join(format!("pulsar-tui-it-{name}-broker")),
            env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        };
        let out = b.command(&["start"]).stderr(std::process::Stdio::inherit()).output().expect("run pulsar-standalone");
        assert!(out.status.success(), "the {name} broker did not start: {}", String::from_utf8_lossy(&out.stdout));
        b
    }

    /// A token-mode broker (`PULSAR_AUTH=1`) on the given broker, web and BookKeeper ports.
    pub fn token_mode(name: &str, broker_port: &str, web_port: &str, bk_port: &str) -> OwnBroker {
        OwnBroker::start(
            name,
            &[
                ("PULSAR_AUTH", "1"),
                ("PULSAR_BROKER_PORT", broker_port),
                ("PULSAR_WEB_PORT", web_port),
                ("PULSAR_BK_PORT", bk_port),
            ],
        )
    }

    /// `scripts/pulsar-standalone ARGS` for this broker.
    pub fn command(&self, args: &[&str]) -> std::process::Command {
        let script = std::env::var_os("PULSAR_TUI_STANDALONE")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/pulsar-standalone"));
        let mut c = std::process::Command::new(script);
        c.args(args)
            .env("PULSAR_RUN_DIR", &self.run_dir)
            // a loaded machine (2 cores, other brokers) can need more than the default 180 s
            .env("PULSAR_START_TIMEOUT", std::env::var("PULSAR_START_TIMEOUT").unwrap_or_else(|_| "600".into()))
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        c
    }

    /// A token for `role` (token-auth brokers).
    pub fn token(&self, role: &str) -> String {
        let out = self.command(&["token", role]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for OwnBroker {
    fn drop(&mut self) {
        if std::env::var_os("PULSAR_TUI_KEEP_TEST_BROKER").is_none() {
            let _ = self.command(&["stop"]).output();
        }
    }
}

/// The Pulsar distribution of the tests' broker (its lib/ holds the Java client).
pub fn pulsar_home() -> String {
    if let Ok(h) = std::env::var("PULSAR_TUI_PULSAR_HOME") {
        return h;
    }
    let out = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pulsar-standalone"))
        .arg("home")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Compiles `tests/clients/FILE` (with tests/clients/JsonText.java) with `javac` against the
/// distribution's Java client and returns the class path that runs it.
pub fn java_classpath(file: &str) -> String {
    let classes = std::env::temp_dir().join(unique("java-classes"));
    std::fs::create_dir_all(&classes).unwrap();
    let cp = format!("{}/lib/*", pulsar_home());
    let javac = std::process::Command::new("javac")
        .args(["-nowarn", "-cp", &cp, "-d", classes.to_str().unwrap()])
        .arg(format!("{}/tests/clients/{file}", env!("CARGO_MANIFEST_DIR")))
        // the JSON text helper the clients share
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/JsonText.java"))
        .output()
        .expect("javac runs (Java 17 JDK)");
    assert!(javac.status.success(), "javac {file}: {}", String::from_utf8_lossy(&javac.stderr));
    format!("{cp}:{}", classes.display())
}
