//! Transactions against the real broker (scripts/test starts it with PULSAR_TRANSACTIONS=1):
//! the distribution's Java client (tests/clients/TxnDriver.java) commits one transaction,
//! aborts one and leaves one open. The headless `txn` commands and the transactions view
//! list them with their states and ages; the open one holds back readers (`read` says so on
//! stderr and still ends; the browser shows the marker with the right count) until it is
//! committed, and a second one until the view's abort action ends it (refused first in
//! read-only mode, with no request reaching the broker). Aborted messages never appear in
//! `read`, and the official Python client reads the same messages.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use common::{draw, java_classpath, python_read, screen, target, unique};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pulsar_tui::app::keys::Action;
use pulsar_tui::app::{App, Event, Settings, View};
use pulsar_tui::health::{Details, Engine, Finding, Input, Kind, Severity, Target, Thresholds};
use pulsar_tui::metrics::MetricsSnapshot;
use pulsar_tui::pulsar::health::pass;
use pulsar_tui::pulsar::message::StartFrom;
use pulsar_tui::pulsar::request::{Request, RequestKind, Response};
use pulsar_tui::pulsar::worker::execute;
use pulsar_tui::pulsar::{Client, TopicName};
use serde_json::Value;

/// The Java transaction driver: one command a line in, one JSON answer a line out.
struct Driver {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Driver {
    fn start(topic: &str) -> Driver {
        let cp = java_classpath("TxnDriver.java");
        let mut child = Command::new("java")
            .args(["-cp", &cp, "TxnDriver", &target().service_url, topic])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("java runs");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut d = Driver { child, stdin, stdout };
        assert_eq!(d.read()["op"], "ready");
        d
    }

    fn read(&mut self) -> Value {
        // the driver answers every command within its own 30-60 s timeouts, or exits; the
        // client's log shares its stdout: answers are the lines that start with `{`
        loop {
            let mut line = String::new();
            let n = self.stdout.read_line(&mut line).expect("the driver answers");
            assert!(n > 0, "the driver exited");
            if line.starts_with('{') {
                return serde_json::from_str(&line).unwrap_or_else(|e| panic!("driver said {line:?}: {e}"));
            }
        }
    }

    fn run(&mut self, command: &str) -> Value {
        writeln!(self.stdin, "{command}").unwrap();
        self.stdin.flush().unwrap();
        let v = self.read();
        assert_eq!(v["ok"], true, "{command}: {v}");
        v
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.stdin.flush();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
    }
}

/// `pulsar-tui ARGS` against the test broker: (exit ok, stdout, stderr). It must end by itself.
fn tui(args: &[&str]) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
        .args(args)
        .env("PULSAR_SERVICE_URL", target().service_url)
        .env("PULSAR_ADMIN_URL", target().admin_url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "pulsar-tui {args:?} did not end (a read waiting forever?)");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn jsonl(text: &str) -> Vec<Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}"))).collect()
}

fn values_read(topic: &str) -> (Vec<String>, String) {
    let (ok, out, err) = tui(&["read", topic, "--format", "value"]);
    assert!(ok, "read: {err}");
    (out.lines().map(|l| serde_json::from_str::<String>(l).unwrap()).collect(), err)
}

fn entry(id: &Value) -> (i64, i64) {
    let s = id.as_str().unwrap();
    let (l, e) = s.split_once(':').unwrap();
    (l.parse().unwrap(), e.parse().unwrap())
}

/// Runs the app's requests on the real broker until it asks for nothing more (streams are
/// not followed: the worker answers them with an error the app shows).
async fn pump(app: &mut App, client: &Client, mut queue: Vec<Request>) {
    let mut rounds = 0;
    while let Some(r) = queue.pop() {
        rounds += 1;
        assert!(rounds < 200, "the app keeps asking");
        if matches!(r.kind, RequestKind::Cancel { .. } | RequestKind::Metrics(_)) {
            continue;
        }
        // boxed: a reader's future is too large for a test thread's stack in debug builds
        let kind = Box::pin(execute(client, r.kind.clone())).await;
        queue.extend(app.handle(Event::Response(Response { id: r.id, kind })));
    }
}

fn key(c: KeyCode) -> Event {
    Event::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// The browser of `app` opened on `topic`, read to its end.
async fn browse(app: &mut App, client: &Client, topic: &TopicName) -> String {
    let out = app.open_browser(topic.clone(), StartFrom::Earliest);
    pump(app, client, out).await;
    let b = app.browser.as_ref().unwrap();
    assert!(b.at_end, "the browser read to the end");
    screen(&draw(app, 180, 30))
}

/// The stuck-transaction finding of `txn` in one health pass (threshold 1 s), as the
/// headless `health` and the view build it (scrape, the admin facts it wants, the engine).
async fn stuck_finding(client: &Client, txn: &str) -> (Option<Finding>, MetricsSnapshot, i64, Details) {
    let t = Thresholds { txn_open_warn_secs: 1, ..Thresholds::default() };
    // boxed: the pass's future is too large for a test thread's stack in debug builds
    let (snapshot, at, details) = Box::pin(pass(client, &[], &t)).await.expect("a health pass");
    let mut e = Engine::new(t);
    e.observe(&Input { snapshot: &snapshot, details: &details }, at);
    let want = Target::Transaction { txn: txn.into() };
    let f = e.findings().into_iter().find(|f| f.kind == Kind::TxnStuck && f.action == want).cloned();
    (f, snapshot, at, details)
}

type Stuck = Option<(Finding, MetricsSnapshot, i64, Details)>;

/// Polls health passes until `txn`'s finding is there (`present`) or gone. Boxed: the test's
/// own future would not fit a test thread's stack in debug builds with this one inlined.
fn await_stuck<'a>(
    client: &'a Client,
    txn: &'a str,
    present: bool,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Stuck> + 'a>> {
    Box::pin(await_stuck_inline(client, txn, present))
}

async fn await_stuck_inline(client: &Client, txn: &str, present: bool) -> Stuck {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (f, s, at, d) = stuck_finding(client, txn).await;
        match f {
            Some(f) if present => return Some((f, s, at, d)),
            None if !present => return None,
            _ => {}
        }
        assert!(Instant::now() < deadline, "the finding of {txn} never {}", if present { "came" } else { "went" });
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn held_back_line(screen: &str) -> Option<String> {
    screen.lines().find(|l| l.contains("held back")).map(|l| l.trim().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a broker with transactions: scripts/txn-test runs it"]
async fn open_committed_and_aborted_transactions_and_what_they_hold_back() {
    let client = Client::new(target()).unwrap();
    let topic = format!("persistent://public/default/{}", unique("txn"));
    let name = TopicName::parse(&topic).unwrap();
    let mut java = Driver::start(&topic);
    let committed = java.run("commit 3 c");
    let aborted = java.run("abort 2 a");
    let open = java.run("open 2 o audit");
    let plain = java.run("plain 3 p");
    let open_id = open["txn"].as_str().unwrap().to_string();

    // the coordinator lists the open transaction only: ended ones are forgotten
    let (ok, out, err) = tui(&["txn", "list"]);
    assert!(ok, "{err}");
    let rows = jsonl(&out);
    let coordinators: Vec<&Value> = rows.iter().filter(|r| r["type"] == "coordinator").collect();
    assert!(!coordinators.is_empty() && coordinators.iter().all(|c| c["state"] == "Ready"), "{out}");
    let txns: Vec<&Value> = rows.iter().filter(|r| r["type"] == "transaction").collect();
    let mine: Vec<&&Value> = txns.iter().filter(|t| t["produced"][0]["topic"] == topic.as_str()).collect();
    assert_eq!(mine.len(), 1, "{out}");
    let t = mine[0];
    assert_eq!(t["txn"], open_id.as_str());
    assert_eq!(t["status"], "OPEN");
    assert_eq!(t["timeout_ms"], 600_000);
    let age = t["age_ms"].as_u64().unwrap();
    assert!(age < 600_000, "age {age}");
    assert_eq!(t["acked"][0]["subscription"], "audit");
    for ended in [&committed, &aborted] {
        assert!(txns.iter().all(|t| t["txn"] != ended["txn"]), "{} listed: {out}", ended["txn"]);
        let (ok, _, err) = tui(&["txn", "show", ended["txn"].as_str().unwrap()]);
        assert!(!ok && err.contains("forgets a transaction once it is committed or aborted"), "{err}");
    }
    let (ok, out, _) = tui(&["txn", "show", &open_id]);
    assert!(ok);
    assert_eq!(jsonl(&out)[0]["status"], "OPEN");
    let open_ms = jsonl(&out)[0]["open_ms"].as_i64().unwrap();
    // --slow: not open for an hour yet
    let (ok, out, _) = tui(&["txn", "list", "--slow", "1h"]);
    assert!(ok && jsonl(&out).iter().all(|r| r["txn"] != open_id.as_str()), "{out}");

    // what it holds back: from its first entry to the last plain one
    let first_open = entry(&open["ids"][0]);
    let last = entry(&plain["ids"][2]);
    assert_eq!(first_open.0, last.0, "one ledger");
    let expected = (last.1 - first_open.1 + 1) as u64;
    let (ok, out, err) = tui(&["txn", "topic", &topic]);
    assert!(ok, "{err}");
    let part = &jsonl(&out)[0];
    assert_eq!(part["held_back"]["entries"], expected, "{out}");
    assert_eq!(part["held_back"]["txn"]["least"], open["least"]);
    assert_eq!(part["held_back"]["since_ms"], open_ms);
    assert_eq!(part["counters"]["ongoing"], 1);
    assert!(part["counters"]["committed"].as_u64() >= Some(1) && part["counters"]["aborted"].as_u64() >= Some(1));
    let audit = part["subscriptions"].as_array().unwrap().iter().find(|s| s["subscription"] == "audit").unwrap();
    assert_eq!(audit["ongoing"], 1, "{out}");
    // the explorer's topic stats (the details pane) carry the same counters
    let (ok, out, err) = tui(&["stats", &topic]);
    assert!(ok, "{err}");
    let stats = &jsonl(&out)[0];
    assert_eq!(stats["ongoingTxnCount"], 1, "{out}");
    assert!(stats["committedTxnCount"].as_i64() >= Some(1) && stats["abortedTxnCount"].as_i64() >= Some(1), "{out}");

    // read ends at the max read position, and says why
    let (values, err) = values_read(&topic);
    assert_eq!(values, ["c-0", "c-1", "c-2"]);
    let marker = format!("≥ {expected} entries held back by open transaction {open_id}");
    assert!(err.contains(&marker), "{err}");

    // the browser shows the same marker
    let mut app = App::new(Settings::default(), Instant::now());
    app.wall_ms = chrono::Utc::now().timestamp_millis();
    let s = browse(&mut app, &client, &name).await;
    let line = held_back_line(&s).unwrap_or_else(|| panic!("no marker:\n{s}"));
    assert!(line.contains(&marker), "{line}");
    assert_eq!(app.browser.as_ref().unwrap().held_back.as_ref().map(|h| h.entries), Some(expected));

    // health: the open transaction is stuck (threshold 1 s) and holds the topic's readers back
    let (f, snapshot, at, details) = await_stuck(&client, &open_id, true).await.unwrap();
    assert_eq!(f.severity, Severity::Critical, "{f:?}");
    assert_eq!(f.number("held_back"), Some(expected as f64), "{f:?}");
    assert_eq!(f.place.topic.as_deref(), Some(topic.as_str()));
    assert!(f.number("age_secs").is_some_and(|a| a >= 1.0), "{f:?}");
    assert!(f.what.contains(&format!("transaction {open_id} open")), "{}", f.what);
    assert!(f.what.contains(&format!("≥ {expected} entries held back")), "{}", f.what);
    // Enter on it in the health view opens the transactions view with it selected
    app.update(Action::OpenHealth);
    assert_eq!(app.view, View::Health);
    app.health.engine = Engine::new(Thresholds { txn_open_warn_secs: 1, ..Thresholds::default() });
    app.health.details = details;
    app.health.observe(&snapshot, at);
    app.health.selected = app.health.findings().iter().position(|g| g.key == f.key).expect("in the view");
    let s = screen(&draw(&app, 180, 30));
    assert!(s.contains("transaction open too long") && s.contains(&open_id), "{s}");
    let out = app.update(Action::Open);
    assert_eq!(app.view, View::Txn);
    pump(&mut app, &client, out).await;
    assert_eq!(app.txn.selected_txn().map(|t| t.id.to_string()), Some(open_id.clone()));
    app.update(Action::Back);

    // committed: everything but the aborted messages, no marker
    java.run("end-open commit");
    let (values, err) = values_read(&topic);
    assert_eq!(values, ["c-0", "c-1", "c-2", "o-0", "o-1", "p-0", "p-1", "p-2"]);
    assert!(!err.contains("held back"), "{err}");
    let s = browse(&mut app, &client, &name).await;
    assert_eq!(held_back_line(&s), None, "{s}");
    assert!(await_stuck(&client, &open_id, false).await.is_none(), "committed: the finding clears");
    let official: Vec<String> =
        python_read(&topic).iter().map(|m| m["payload"].as_str().unwrap().to_string()).collect();
    assert_eq!(official, values, "the official Python client reads the same");

    // a second one left open, refused in read-only mode, then aborted in the view
    let open2 = java.run("open 1 x");
    java.run("plain 1 q");
    let id2 = open2["txn"].as_str().unwrap().to_string();
    let (ok, _, err) = tui(&["--read-only", "txn", "abort", &id2, "--yes"]);
    assert!(!ok && err.contains("read-only"), "{err}");
    let (ok, out, _) = tui(&["txn", "show", &id2]);
    assert!(ok && jsonl(&out)[0]["status"] == "OPEN", "the read-only abort reached the broker: {out}");
    let (ok, out, err) = tui(&["txn", "abort", &id2]);
    assert!(ok && jsonl(&out)[0]["type"] == "preview" && err.contains("--yes"), "{out}{err}");
    let (f, ..) = await_stuck(&client, &id2, true).await.unwrap();
    assert!(f.severity == Severity::Critical && f.number("held_back") >= Some(2.0), "x-0 and q-0: {f:?}");

    let s = browse(&mut app, &client, &name).await;
    assert!(held_back_line(&s).is_some_and(|l| l.contains(&format!("by open transaction {id2}"))), "{s}");
    let out = app.update(Action::OpenTxn);
    assert_eq!(app.view, View::Txn);
    pump(&mut app, &client, out).await;
    let at = app.txn.open_txns().iter().position(|t| t.id.to_string() == id2).expect("listed in the view");
    app.txn.selected = at;
    let out = app.update(Action::Refresh);
    pump(&mut app, &client, out).await;
    let s = screen(&draw(&app, 180, 40));
    assert!(s.contains(&id2) && s.contains("held back by open transaction"), "{s}");
    app.update(Action::AbortTxn);
    assert!(app.txn.abort.is_some());
    let mut out = Vec::new();
    for c in id2.chars() {
        out.extend(app.handle(key(KeyCode::Char(c))));
    }
    out.extend(app.handle(key(KeyCode::Enter)));
    assert!(out.iter().any(|r| matches!(r.kind, RequestKind::Txn(_))), "Enter sends the abort");
    pump(&mut app, &client, out).await;
    assert!(app.txn.abort.is_none(), "the answer closes the dialog");
    assert!(app.status.as_ref().is_some_and(|s| s.text.contains("aborted")), "{:?}", app.status);
    assert!(app.txn.open_txns().iter().all(|t| t.id.to_string() != id2));
    let (ok, _, err) = tui(&["txn", "show", &id2]);
    assert!(!ok && err.contains("not found"), "{err}");
    assert!(await_stuck(&client, &id2, false).await.is_none(), "aborted: the finding clears");
    let (values, err) = values_read(&topic);
    assert_eq!(values.last().map(String::as_str), Some("q-0"));
    assert!(values.iter().all(|v| !v.starts_with("a-") && !v.starts_with("x-")), "{values:?}");
    assert!(!err.contains("held back"), "{err}");
    let s = browse(&mut app, &client, &name).await;
    assert_eq!(held_back_line(&s), None, "{s}");
    drop(java);
    let _ =
        client.admin.write(reqwest::Method::DELETE, &format!("/admin/v2/{}?force=true", name.rest_path()), None).await;
}
