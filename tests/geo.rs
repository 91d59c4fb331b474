//! Geo-replication on two real clusters (scripts/pulsar-geo: two standalones, geo-a and geo-b,
//! each registered on the other, a namespace replicated to both). Ignored by default;
//! `scripts/geo-test` starts the pair, runs these with `--include-ignored` and stops it.
//!
//! Environment (from `scripts/pulsar-geo env`): PULSAR_GEO_{A,B}_{CLUSTER,SERVICE_URL,ADMIN_URL},
//! PULSAR_GEO_NAMESPACE.

use std::collections::BTreeMap;
use std::process::{Command, Output};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

mod common;

const LIMIT: Duration = Duration::from_secs(180);

/// Held for reading by the tests that need cluster B up, for writing by the one that stops it
/// (so the tests may run in parallel).
static B_UP: std::sync::RwLock<()> = std::sync::RwLock::new(());

fn b_up() -> std::sync::RwLockReadGuard<'static, ()> {
    B_UP.read().unwrap_or_else(|e| e.into_inner())
}

#[derive(Clone)]
struct Side {
    cluster: String,
    service: String,
    admin: String,
}

struct Geo {
    a: Side,
    b: Side,
    namespace: String,
}

fn geo() -> Geo {
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set: run scripts/geo-test"));
    let side = |s: &str| Side {
        cluster: var(&format!("PULSAR_GEO_{s}_CLUSTER")),
        service: var(&format!("PULSAR_GEO_{s}_SERVICE_URL")),
        admin: var(&format!("PULSAR_GEO_{s}_ADMIN_URL")),
    };
    Geo { a: side("A"), b: side("B"), namespace: var("PULSAR_GEO_NAMESPACE") }
}

fn unique(prefix: &str) -> String {
    let n = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}-{:x}", n % 0xffff_ffff_ffff)
}

/// One admin call with curl (independent of our client): (HTTP status, body).
fn curl(side: &Side, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "-m", "60", "-X", method, "-w", "\n%{http_code}"]);
    if let Some(b) = body {
        cmd.args(["-H", "Content-Type: application/json", "--data", b]);
    }
    let out = cmd.arg(format!("{}{path}", side.admin)).output().expect("curl runs");
    assert!(out.status.success(), "curl {method} {path}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.trim().parse().unwrap(), body.to_string())
}

fn admin_json(side: &Side, path: &str) -> Value {
    let (code, body) = curl(side, "GET", path, None);
    assert!((200..300).contains(&code), "GET {path} on {}: HTTP {code}: {body}", side.cluster);
    serde_json::from_str(&body).unwrap()
}

/// A partitioned topic of the replicated namespace. Created on A, the broker creates it on B
/// too (Pulsar 4.0, verified here: the remote partition count must be equal).
fn partitioned_topic(g: &Geo, name: &str, partitions: u32) -> String {
    let topic = format!("persistent://{}/{}", g.namespace, unique(name));
    let path = format!("/admin/v2/{}/partitions", topic.replace("://", "/"));
    let (code, body) = curl(&g.a, "PUT", &path, Some(&partitions.to_string()));
    assert_eq!(code, 204, "create {topic} on A: {body}");
    // the broker creates it on B soon after, as an admin call does
    poll("B has the same partitioned topic", || {
        let (code, body) = curl(&g.b, "GET", &path, None);
        let meta: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        if code == 200 && meta["partitions"] == partitions {
            Ok(())
        } else {
            Err(format!("HTTP {code}: {body}"))
        }
    });
    topic
}

/// Produces `n` messages with the official Python client (batched, key `k-i`, properties
/// `i` and `origin`, payload `m-i`).
fn python_produce(side: &Side, topic: &str, n: usize) {
    let script = r#"
import sys, pulsar
service, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
client = pulsar.Client(service, operation_timeout_seconds=60)
producer = client.create_producer(topic, batching_enabled=True, batching_max_messages=50,
                                  batching_max_publish_delay_ms=5, block_if_queue_full=True)
for i in range(n):
    producer.send_async(f"m-{i}".encode(), None, partition_key=f"k-{i}",
                        properties={"i": str(i), "origin": "python"})
producer.flush()
producer.close()
client.close()
"#;
    let out = Command::new("python3")
        .args(["-c", script, &side.service, topic, &n.to_string()])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "python producer: {}", String::from_utf8_lossy(&out.stderr));
}

fn pulsar_tui(side: &Side, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
        .args(args)
        .args(["--timeout", "30"])
        .env("PULSAR_SERVICE_URL", &side.service)
        .env("PULSAR_ADMIN_URL", &side.admin)
        .env("PULSAR_TUI_LOG_FILE", std::env::temp_dir().join("pulsar-tui-it-geo.log"))
        .output()
        .unwrap()
}

fn json_lines(out: &Output, what: &str) -> Vec<Value> {
    assert!(out.status.success(), "{what} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{what}: not JSON {l:?}: {e}")))
        .collect()
}

/// Polls `f` until it returns Some, within LIMIT.
fn poll<T>(what: &str, mut f: impl FnMut() -> Result<T, String>) -> T {
    let start = Instant::now();
    loop {
        match f() {
            Ok(v) => return v,
            Err(last) => {
                assert!(start.elapsed() < LIMIT, "{what}: not within {LIMIT:?}; last: {last}");
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    }
}

/// Messages produced by the official Python client on A are read with `pulsar-tui read` on B:
/// the same payloads, keys and properties, and `replicated_from` = A's cluster.
#[test]
#[ignore = "geo: scripts/geo-test runs it"]
fn python_messages_on_a_are_read_on_b_with_replicated_from() {
    let _b = b_up();
    let g = geo();
    let topic = partitioned_topic(&g, "read", 3);
    python_produce(&g.a, &topic, 300);
    let rows = poll("300 messages on B", || {
        let rows = json_lines(&pulsar_tui(&g.b, &["read", &topic, "--format", "jsonl"]), "read on B");
        if rows.len() == 300 {
            Ok(rows)
        } else {
            Err(format!("{} messages", rows.len()))
        }
    });
    let mut seen = BTreeMap::new();
    for r in &rows {
        let value = r["value"].as_str().unwrap().to_string();
        let i: usize = value.strip_prefix("m-").unwrap().parse().unwrap();
        assert_eq!(r["key"], format!("k-{i}"), "{r}");
        assert_eq!(r["replicated_from"], g.a.cluster.as_str(), "{r}");
        let props = r["properties"].as_object().unwrap();
        assert_eq!(props["i"], i.to_string(), "{r}");
        assert_eq!(props["origin"], "python", "{r}");
        // nothing else: the replicator's `__MSG_PROP_REPL_SOURCE_POSITION` goes into the entry's
        // metadata, which a batched entry's messages do not show (their own properties do)
        let extra: Vec<_> = props.keys().filter(|k| !["i", "origin"].contains(&k.as_str())).collect();
        assert!(extra.is_empty(), "{r}");
        assert!(r["batch"]["size"].as_u64().is_some(), "batched on B too: {r}");
        assert!(seen.insert(i, r["partition"].clone()).is_none(), "message {i} twice");
    }
    assert_eq!(seen.len(), 300);
    // the metrics of A: the topic's replication towards B, every partition's replicator
    // connected, nothing left to send
    let cfg = config(&g, "");
    poll("the metrics show the replicators", || {
        let m = metrics_row(&cfg, &g, &topic);
        let r = &m["replication"][g.b.cluster.as_str()];
        if r["connected"].as_f64() == Some(3.0) && r["backlog"].as_f64() == Some(0.0) {
            Ok(())
        } else {
            Err(m.to_string())
        }
    });
    // on A the same messages are not replicated from anywhere
    let on_a = json_lines(&pulsar_tui(&g.a, &["read", &topic, "--format", "jsonl"]), "read on A");
    assert_eq!(on_a.len(), 300);
    assert!(on_a.iter().all(|r| r["replicated_from"].is_null()), "{:?}", on_a.first());
    // the same key lands on the same partition on both sides (the replicator keeps the partition)
    for r in &on_a {
        let i: usize = r["value"].as_str().unwrap().strip_prefix("m-").unwrap().parse().unwrap();
        assert_eq!(seen[&i], r["partition"], "message {i}");
    }
}

/// `scripts/pulsar-geo ARGS` (stop-cluster / start-cluster), with the environment
/// `scripts/geo-test` runs under.
fn geo_script(args: &[&str]) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pulsar-geo");
    let out = Command::new(script).args(args).output().expect("scripts/pulsar-geo runs");
    assert!(out.status.success(), "pulsar-geo {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Cluster B stopped by a test: started again when the guard goes, even if the test failed.
struct Stopped(Option<String>);

impl Stopped {
    fn cluster(name: &str) -> Stopped {
        geo_script(&["stop-cluster", name]);
        Stopped(Some(name.to_string()))
    }

    fn start(&mut self) {
        if let Some(name) = self.0.take() {
            geo_script(&["start-cluster", &name]);
        }
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        if let Some(name) = self.0.take() {
            let _ = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pulsar-geo"))
                .args(["start-cluster", &name])
                .output();
        }
    }
}

/// A config with both clusters as contexts (named after their clusters) and fast scrapes.
fn config(g: &Geo, extra: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(unique("pulsar-tui-geo"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.toml");
    let ctx =
        |s: &Side| format!("[contexts.{}]\nservice_url = \"{}\"\nadmin_url = \"{}\"\n", s.cluster, s.service, s.admin);
    std::fs::write(&path, format!("metrics_interval_secs = 2\n{extra}\n{}\n{}", ctx(&g.a), ctx(&g.b))).unwrap();
    path
}

/// `pulsar-tui --config CFG ARGS` (the contexts of the config name the clusters).
fn with_config(cfg: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
        .arg("--config")
        .arg(cfg)
        .args(args)
        .args(["--timeout", "30"])
        .env_remove("PULSAR_SERVICE_URL")
        .env_remove("PULSAR_ADMIN_URL")
        .env("PULSAR_TUI_LOG_FILE", std::env::temp_dir().join("pulsar-tui-it-geo.log"))
        .output()
        .unwrap()
}

/// `replication status TOPIC` on A: the row of B.
fn row_of_b(g: &Geo, topic: &str) -> Value {
    let out = pulsar_tui(&g.a, &["replication", "status", topic]);
    let v = json_lines(&out, "replication status").remove(0);
    assert_eq!(v["local_cluster"], g.a.cluster.as_str(), "{v}");
    let clusters: Vec<_> = v["clusters"].as_array().unwrap().iter().filter_map(|c| c.as_str()).collect();
    assert!(clusters.contains(&g.a.cluster.as_str()) && clusters.contains(&g.b.cluster.as_str()), "{v}");
    v["rows"].as_array().unwrap().iter().find(|r| r["remote"] == g.b.cluster.as_str()).cloned().unwrap_or(Value::Null)
}

/// The admin API's replication backlog towards B, summed over the partitions (curl).
fn admin_backlog(g: &Geo, topic: &str) -> i64 {
    let v = admin_json(&g.a, &format!("/admin/v2/{}/partitioned-stats?perPartition=true", topic.replace("://", "/")));
    v["partitions"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p["replication"][g.b.cluster.as_str()]["replicationBacklog"].as_i64().unwrap_or(0))
        .sum()
}

/// `replication check TOPIC --context A --context B`: (partition lines, summary, exit code).
fn check(cfg: &std::path::Path, g: &Geo, topic: &str) -> (Vec<Value>, Value, i32) {
    let out = with_config(cfg, &["replication", "check", topic, "--context", &g.a.cluster, "--context", &g.b.cluster]);
    let code = out.status.code().unwrap_or(-1);
    assert!(code == 0 || code == 1, "check failed: {}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let summary = rows.iter().find(|r| r["type"] == "summary").cloned().expect("a summary line");
    (rows.into_iter().filter(|r| r["type"] == "partition").collect(), summary, code)
}

/// `metrics --namespace NS` on A: the topic's row.
fn metrics_row(cfg: &std::path::Path, g: &Geo, topic: &str) -> Value {
    let out = with_config(cfg, &["--context", &g.a.cluster, "metrics", "--namespace", &g.namespace]);
    let rows = json_lines(&out, "metrics");
    rows.into_iter().find(|r| r["type"] == "topic" && r["name"] == topic).unwrap_or(Value::Null)
}

/// `health --namespace NS` on A: the replication findings of the topic (towards B).
fn replication_findings(cfg: &std::path::Path, g: &Geo, topic: &str) -> Vec<Value> {
    let out = with_config(cfg, &["--context", &g.a.cluster, "health", "--namespace", &g.namespace]);
    let code = out.status.code().unwrap_or(-1);
    assert!((0..=2).contains(&code), "health failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| {
            r["type"] == "finding" && r["place"]["topic"] == topic && r["place"]["remote"] == g.b.cluster.as_str()
        })
        .collect()
}

/// B stopped: A's replicator to B is disconnected and its backlog grows, as the replication
/// rows, the metrics and the health findings show (each equal to the admin API's numbers);
/// the check says it cannot reach B. B back: the backlog drains to 0, the findings clear,
/// the check finds nothing missing and B holds every message.
#[test]
#[ignore = "geo: scripts/geo-test runs it"]
fn replication_backlog_while_b_is_down_drains_when_it_is_back() {
    let _b = B_UP.write().unwrap_or_else(|e| e.into_inner());
    let g = geo();
    let cfg = config(&g, "[health]\nreplication_delay_warn_secs = 5");
    let topic = partitioned_topic(&g, "down", 2);
    python_produce(&g.a, &topic, 20);
    poll("the first 20 replicated", || {
        let (_, s, code) = check(&cfg, &g, &topic);
        if code == 0 && s["missing"] == 0 && s["exact"] == true {
            Ok(())
        } else {
            Err(s.to_string())
        }
    });
    let row = row_of_b(&g, &topic);
    assert_eq!((row["connected"].clone(), row["backlog"].clone()), (Value::Bool(true), Value::from(0)), "{row}");
    assert_eq!(row["replicators"], 2, "one replicator per partition: {row}");
    assert!(row["connected_since"].as_str().is_some_and(|s| s.starts_with("20")), "{row}");

    let mut stopped = Stopped::cluster(&g.b.cluster);
    python_produce(&g.a, &topic, 150);
    let (row, admin) = poll("B's replicator disconnected with a backlog", || {
        let row = row_of_b(&g, &topic);
        let admin = admin_backlog(&g, &topic);
        if row["connected"] == false && admin > 0 && row["backlog"] == admin {
            Ok((row, admin))
        } else {
            Err(format!("{row}; admin API backlog {admin}"))
        }
    });
    eprintln!("B down: {row}");
    assert_eq!(row["connected_replicators"], 0, "{row}");
    // the metrics view's replication columns: the same backlog, not connected
    let m = poll("the metrics show the replication backlog", || {
        let m = metrics_row(&cfg, &g, &topic);
        let r = &m["replication"][g.b.cluster.as_str()];
        if r["backlog"].as_f64() == Some(admin as f64) && r["connected"].as_f64() == Some(0.0) {
            Ok(m)
        } else {
            Err(m.to_string())
        }
    });
    eprintln!("metrics: {}", m["replication"]);
    // the health findings: disconnected (critical), and the delay above 5 s
    let found = poll("health finds the replicator down", || {
        let f = replication_findings(&cfg, &g, &topic);
        let kinds: Vec<_> = f.iter().map(|f| f["kind"].as_str().unwrap_or("").to_string()).collect();
        if kinds.contains(&"replicator_disconnected".to_string()) && kinds.contains(&"replication_delayed".to_string())
        {
            Ok(f)
        } else {
            Err(format!("{f:?}"))
        }
    });
    let down = found.iter().find(|f| f["kind"] == "replicator_disconnected").unwrap();
    assert_eq!(down["severity"], "critical", "{down}");
    // the TUI on A (the real worker): the details pane's replication rows, the metrics view
    // and the health engine show it within a refresh
    tui_shows_b_down(&g, &topic, admin);
    // a stopped cluster cannot be compared: the check says which one it cannot reach
    let out =
        with_config(&cfg, &["replication", "check", &topic, "--context", &g.a.cluster, "--context", &g.b.cluster]);
    assert!(!out.status.success(), "a check against a stopped cluster fails");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&g.b.admin) || err.contains(&g.b.service), "names B: {err}");

    stopped.start();
    poll("the backlog drains to 0", || {
        let row = row_of_b(&g, &topic);
        if row["connected"] == true && row["backlog"] == 0 && admin_backlog(&g, &topic) == 0 {
            Ok(())
        } else {
            Err(row.to_string())
        }
    });
    poll("the findings clear", || {
        let f = replication_findings(&cfg, &g, &topic);
        if f.is_empty() {
            Ok(())
        } else {
            Err(format!("{f:?}"))
        }
    });
    let (parts, summary, code) = check(&cfg, &g, &topic);
    assert_eq!((summary["missing"].clone(), code), (Value::from(0), 0), "{summary}");
    assert_eq!(parts.len(), 2);
    let rows = json_lines(&pulsar_tui(&g.b, &["read", &topic, "--format", "jsonl"]), "read on B");
    assert_eq!(rows.len(), 170, "B holds every message");
    assert!(rows.iter().all(|r| r["replicated_from"] == g.a.cluster.as_str()));
}

/// Messages on B counted by the official Python client (a reader from the earliest).
fn python_count(side: &Side, topic: &str) -> usize {
    let script = r#"
import sys, pulsar
client = pulsar.Client(sys.argv[1], operation_timeout_seconds=60)
reader = client.create_reader(sys.argv[2], pulsar.MessageId.earliest)
n = 0
while reader.has_message_available():
    reader.read_next(30000)
    n += 1
print("COUNT", n, flush=True)
client.close()
"#;
    let out = Command::new("python3").args(["-c", script, &side.service, topic]).output().expect("python3 runs");
    assert!(out.status.success(), "python reader: {}", String::from_utf8_lossy(&out.stderr));
    // the client logs to stdout too
    let text = String::from_utf8_lossy(&out.stdout);
    let count = text.lines().find_map(|l| l.strip_prefix("COUNT ")).unwrap_or_else(|| panic!("no count: {text}"));
    count.trim().parse().unwrap()
}

/// Replication held back on purpose (a topic-level replicator dispatch rate of one message an
/// hour): while B misses messages, the check counts exactly how many (what A has less what
/// the official client reads on B), per partition; the rate lifted, it finds 0.
#[test]
#[ignore = "geo: scripts/geo-test runs it"]
fn check_counts_exactly_what_a_held_back_replicator_has_not_sent() {
    let _b = b_up();
    let g = geo();
    let cfg = config(&g, "");
    let topic = partitioned_topic(&g, "held", 2);
    let rate = format!("/admin/v2/{}/replicatorDispatchRate", topic.replace("://", "/"));
    let body = r#"{"dispatchThrottlingRateInMsg":1,"dispatchThrottlingRateInByte":-1,"ratePeriodInSecond":3600}"#;
    let (code, text) = curl(&g.a, "POST", &rate, Some(body));
    assert_eq!(code, 204, "{text}");
    poll("the rate applies", || {
        let (code, text) = curl(&g.a, "GET", &rate, None);
        if code == 200 && text.contains("3600") {
            Ok(())
        } else {
            Err(text)
        }
    });
    python_produce(&g.a, &topic, 200);
    // the replicator sends what its one permit allows, then waits: the backlog stays
    let backlog = poll("a replication backlog that stays", || {
        let row = row_of_b(&g, &topic);
        if row["connected"] == true
            && row["backlog"].as_i64().unwrap_or(0) > 0
            && row["msg_out_count"].as_i64() > Some(0)
        {
            Ok(row["backlog"].as_i64().unwrap())
        } else {
            Err(row.to_string())
        }
    });
    let on_b = python_count(&g.b, &topic);
    let (parts, summary, code) = check(&cfg, &g, &topic);
    eprintln!("held back: backlog {backlog} entries, {on_b} of 200 messages on B: {summary}");
    assert!(on_b < 200, "the rate holds messages back ({on_b} on B)");
    assert_eq!(summary["missing"], 200 - on_b as u64, "A has 200, B {on_b}: {summary}");
    assert_eq!((summary["exact"].clone(), code), (Value::Bool(true), 1), "{summary}");
    let per_partition: u64 = parts.iter().map(|p| p["missing"].as_u64().unwrap()).sum();
    assert_eq!(per_partition, 200 - on_b as u64, "{parts:?}");
    for p in &parts {
        assert!(p["local_last"]["message_id"].is_string(), "{p}");
        assert_eq!(p["last_replicated"]["replicated_from"], g.a.cluster.as_str(), "{p}");
    }
    // the same count again: a check has no side effects (no cursor moved, nothing sent)
    assert_eq!(python_count(&g.b, &topic), on_b);
    let (_, again, _) = check(&cfg, &g, &topic);
    assert_eq!(again["missing"], summary["missing"], "{again}");

    let (code, text) = curl(&g.a, "DELETE", &rate, None);
    assert_eq!(code, 204, "{text}");
    // a replicator waiting on its rate limiter waits out its period: unloading the topic
    // starts it again without one
    let (code, text) = curl(&g.a, "PUT", &format!("/admin/v2/{}/unload", topic.replace("://", "/")), None);
    assert_eq!(code, 204, "{text}");
    poll("nothing missing once the rate is lifted", || {
        let (_, s, code) = check(&cfg, &g, &topic);
        if code == 0 && s["missing"] == 0 {
            Ok(())
        } else {
            Err(s.to_string())
        }
    });
    assert_eq!(python_count(&g.b, &topic), 200);
}

/// The app on A, driven by the real worker: the topic selected, its replication rows say B is
/// disconnected with the admin API's backlog, the metrics view has the same backlog towards
/// B, the health engine a critical `replicator_disconnected`; the header names A (A's admin
/// API lists both clusters).
fn tui_shows_b_down(g: &Geo, topic: &str, admin: i64) {
    use pulsar_tui::app::{Event, Settings};
    use pulsar_tui::health::Kind;
    use pulsar_tui::pulsar::{Client, ClusterTarget, TopicName};
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let client = Client::new(ClusterTarget::new(&g.a.service, &g.a.admin)).unwrap();
        let settings = Settings {
            refresh_interval: Duration::from_secs(2),
            metrics_interval: Duration::from_secs(2),
            ..Settings::default()
        };
        let mut d = common::Driver::new(client, settings);
        let t = TopicName::parse(topic).unwrap();
        let reqs = d.app.jump_to(t.clone());
        d.submit(reqs);
        let b = g.b.cluster.clone();
        d.until("the details show B's replicator down", LIMIT, |app| {
            let row = app.replication.status_of(&t).and_then(|s| s.rows.iter().find(|r| r.remote == b).cloned());
            row.is_some_and(|r| !r.connected && r.backlog == admin)
        })
        .await;
        assert_eq!(d.app.cluster.as_deref(), Some(g.a.cluster.as_str()), "the header names this cluster");
        d.until("the metrics view and the health engine show it", LIMIT, |app| {
            let m = app.metrics.snapshot.as_ref().and_then(|s| s.topics.values().find(|m| m.name == topic));
            let r = m.and_then(|m| m.replication.get(&b));
            let found = app.health.findings().iter().any(|f| {
                f.kind == Kind::ReplicatorDisconnected
                    && f.place.topic.as_deref() == Some(topic)
                    && f.place.remote.as_deref() == Some(b.as_str())
            });
            r.is_some_and(|r| r.backlog as i64 == admin && r.connected == 0) && found
        })
        .await;
        d.handle(Event::Tick(std::time::Instant::now()));
        let screen = common::screen(&common::draw(&d.app, 200, 40));
        assert!(screen.contains("○ disconnected") && screen.contains(&format!("→ {b}")), "{screen}");
        // the metrics view: its replication column holds the backlog on the topic's row
        d.act(pulsar_tui::app::keys::Action::ToggleMetrics);
        let screen = common::screen(&common::draw(&d.app, 200, 40));
        let local = t.local.as_str();
        assert!(screen.contains("Repl backlog"), "{screen}");
        // the topic's row (not the breadcrumbs) holds the backlog as a cell of its own
        let rows: Vec<&str> = screen.lines().filter(|l| l.contains(local) && !l.contains('▸')).collect();
        let has = |l: &&str| l.split(|c: char| c.is_whitespace() || c == '│').any(|w| w == admin.to_string());
        assert!(rows.iter().any(has), "backlog {admin} in {rows:#?}\n{screen}");
    });
}
