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

const LIMIT: Duration = Duration::from_secs(180);

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
    let meta = admin_json(&g.b, &path);
    assert_eq!(meta["partitions"], partitions, "B has the same partitioned topic: {meta}");
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
