//! A real two-broker cluster (scripts/pulsar-cluster, token auth): partition lookups across
//! brokers, admin redirects carrying the token, per-broker metrics scraping. Ignored by default;
//! `scripts/cluster-test` starts the cluster, runs these with `--ignored` and stops it.
//!
//! Environment (from `scripts/pulsar-cluster env`): PULSAR_SERVICE_URL / PULSAR_ADMIN_URL
//! (broker-1), PULSAR_CLUSTER_BROKER2_ADMIN_URL, PULSAR_TOKEN (the super-user's).

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Output};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const PARTITIONS: usize = 6;

struct Cluster {
    service: String,
    admin1: String,
    admin2: String,
    token: String,
}

fn cluster() -> Cluster {
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set: run scripts/cluster-test"));
    Cluster {
        service: var("PULSAR_SERVICE_URL"),
        admin1: var("PULSAR_ADMIN_URL"),
        admin2: var("PULSAR_CLUSTER_BROKER2_ADMIN_URL"),
        token: var("PULSAR_TOKEN"),
    }
}

fn unique(prefix: &str) -> String {
    let n = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}-{:x}", n % 0xffff_ffff_ffff)
}

/// One admin call with curl (independent of our client), redirects NOT followed:
/// (HTTP status, Location header, body).
fn curl(c: &Cluster, method: &str, url: &str, body: Option<&str>) -> (u16, Option<String>, String) {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "-m", "60", "-X", method, "-H", &format!("Authorization: Bearer {}", c.token)]).args([
        "-D",
        "-",
        "-w",
        "\n%{http_code}",
    ]);
    if let Some(b) = body {
        cmd.args(["-H", "Content-Type: application/json", "--data", b]);
    }
    let out = cmd.arg(url).output().expect("curl runs");
    assert!(out.status.success(), "curl {method} {url}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (rest, code) = text.rsplit_once('\n').unwrap();
    let (head, body) = rest.split_once("\r\n\r\n").unwrap_or((rest, ""));
    let location = head
        .lines()
        .find_map(|l| l.strip_prefix("Location: ").or_else(|| l.strip_prefix("location: ")))
        .map(|l| l.trim().to_string());
    (code.trim().parse().unwrap(), location, body.to_string())
}

/// An admin call that follows redirects itself, sending the token to every hop.
fn admin(c: &Cluster, method: &str, base: &str, path: &str, body: Option<&str>) -> String {
    let mut url = format!("{base}{path}");
    for _ in 0..5 {
        let (code, location, text) = curl(c, method, &url, body);
        match code {
            200..=299 => return text,
            307 | 302 => url = location.expect("a redirect has a Location"),
            _ => panic!("{method} {url}: HTTP {code}: {text}"),
        }
    }
    panic!("{method} {path}: too many redirects");
}

fn admin_json(c: &Cluster, path: &str) -> serde_json::Value {
    serde_json::from_str(&admin(c, "GET", &c.admin1, path, None)).unwrap()
}

/// `tenant/ns` (8 bundles) with a 6-partition topic; returns (namespace, topic).
fn partitioned_topic(c: &Cluster, prefix: &str) -> (String, String) {
    let ns = format!("public/{}", unique(prefix));
    admin(c, "PUT", &c.admin1, &format!("/admin/v2/namespaces/{ns}"), Some(r#"{"bundles":{"numBundles":8}}"#));
    let topic = format!("persistent://{ns}/orders");
    admin(c, "PUT", &c.admin1, &format!("/admin/v2/persistent/{ns}/orders/partitions"), Some(&PARTITIONS.to_string()));
    (ns, topic)
}

/// The broker (its binary URL) owning each partition, by the HTTP lookup.
fn owners(c: &Cluster, topic: &str) -> BTreeMap<usize, String> {
    let rest = topic.strip_prefix("persistent://").unwrap();
    (0..PARTITIONS)
        .map(|i| {
            let v: serde_json::Value = serde_json::from_str(&admin(
                c,
                "GET",
                &c.admin1,
                &format!("/lookup/v2/topic/persistent/{rest}-partition-{i}"),
                None,
            ))
            .unwrap();
            (i, v["brokerUrl"].as_str().unwrap().to_string())
        })
        .collect()
}

/// Makes sure both brokers own partitions: while the load manager keeps them all on one, the
/// namespace is unloaded and the partitions looked up again (assigned anew).
fn spread_over_both_brokers(c: &Cluster, ns: &str, topic: &str) -> BTreeMap<usize, String> {
    let mut owned = owners(c, topic);
    for _ in 0..5 {
        if owned.values().collect::<BTreeSet<_>>().len() == 2 {
            break;
        }
        admin(c, "PUT", &c.admin1, &format!("/admin/v2/namespaces/{ns}/unload"), None);
        owned = owners(c, topic);
    }
    owned
}

fn port_of(url: &str) -> String {
    url.rsplit(':').next().unwrap().to_string()
}

/// Produces `n` messages (key `k-i`, payload `m-i`) with the official Python client and the token.
fn python_produce(c: &Cluster, topic: &str, n: usize) {
    let script = r#"
import sys, pulsar
service, token, topic, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
client = pulsar.Client(service, authentication=pulsar.AuthenticationToken(token), operation_timeout_seconds=60)
producer = client.create_producer(topic, batching_enabled=False, block_if_queue_full=True)
for i in range(n):
    producer.send_async(f"m-{i}".encode(), None, partition_key=f"k-{i}")
producer.flush()
producer.close()
client.close()
"#;
    let out = Command::new("python3")
        .args(["-c", script, &c.service, &c.token, topic, &n.to_string()])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "python producer: {}", String::from_utf8_lossy(&out.stderr));
}

fn pulsar_tui(c: &Cluster, admin_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
        .args(args)
        .args(["--timeout", "30"])
        .env("PULSAR_SERVICE_URL", &c.service)
        .env("PULSAR_ADMIN_URL", admin_url)
        .env("PULSAR_TOKEN", &c.token)
        .env("PULSAR_TUI_LOG_FILE", std::env::temp_dir().join("pulsar-tui-it-cluster.log"))
        .output()
        .unwrap()
}

fn json_lines(out: &Output, what: &str) -> Vec<serde_json::Value> {
    assert!(out.status.success(), "{what} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// (a) the partitions of one topic live on both brokers, and `read` gets every message of all.
#[test]
#[ignore = "needs scripts/pulsar-cluster (run scripts/cluster-test)"]
fn partitions_owned_by_both_brokers_are_read_completely() {
    let c = cluster();
    let (ns, topic) = partitioned_topic(&c, "cl-read");
    python_produce(&c, &topic, 120);
    let owned = spread_over_both_brokers(&c, &ns, &topic);
    let brokers: BTreeSet<_> = owned.values().cloned().collect();
    eprintln!("partition owners: {owned:?}");
    assert_eq!(brokers.len(), 2, "the partitions are owned by both brokers: {owned:?}");

    let rows = json_lines(&pulsar_tui(&c, &c.admin1, &["read", &topic, "--format", "jsonl"]), "read");
    assert_eq!(rows.len(), 120, "every message of every partition");
    let values: BTreeSet<_> = rows.iter().map(|r| r["value"].as_str().unwrap().to_string()).collect();
    assert_eq!(values, (0..120).map(|i| format!("m-{i}")).collect::<BTreeSet<_>>());
    // messages came from partitions owned by each broker
    let parts: BTreeSet<_> = rows.iter().map(|r| r["partition"].as_u64().unwrap() as usize).collect();
    let read_from: BTreeSet<_> = parts.iter().map(|p| owned[p].clone()).collect();
    assert_eq!(read_from, brokers, "partitions read: {parts:?}");
}

/// (b) admin calls sent to broker-2 for a topic broker-1 owns: broker-2 answers 307 to
/// broker-1, and our client follows it with the token.
#[test]
#[ignore = "needs scripts/pulsar-cluster (run scripts/cluster-test)"]
fn admin_calls_redirected_between_brokers_keep_the_token() {
    let c = cluster();
    let (ns, topic) = partitioned_topic(&c, "cl-redirect");
    python_produce(&c, &topic, 30);
    let owned = spread_over_both_brokers(&c, &ns, &topic);
    let (&i, _) = owned
        .iter()
        .find(|(_, url)| url.ends_with(&port_of(&c.service)))
        .unwrap_or_else(|| panic!("a partition owned by broker-1: {owned:?}"));
    let partition = format!("{topic}-partition-{i}");
    let rest = partition.strip_prefix("persistent://").unwrap();
    // the redirect is real: broker-2 sends stats of broker-1's partition to broker-1
    let (code, location, _) = curl(&c, "GET", &format!("{}/admin/v2/persistent/{rest}/stats", c.admin2), None);
    assert_eq!(code, 307, "broker-2 redirects");
    assert!(location.as_deref().unwrap_or("").starts_with(&c.admin1), "to broker-1: {location:?}");
    let expected = admin_json(&c, &format!("/admin/v2/persistent/{rest}/stats"))["msgInCounter"].as_u64().unwrap();

    let out = pulsar_tui(&c, &c.admin2, &["stats", &partition]);
    assert!(
        out.status.success(),
        "`pulsar-tui stats` through broker-2 (307 to broker-1) failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["msgInCounter"].as_u64(), Some(expected), "the owner's stats: {stats}");
    // and the partitioned topic as a whole, each partition from its owner
    let out = pulsar_tui(&c, &c.admin2, &["stats", &topic]);
    assert!(out.status.success(), "stats {topic} through broker-2: {}", String::from_utf8_lossy(&out.stderr));
    let out = pulsar_tui(&c, &c.admin2, &["ls", &topic]);
    assert!(out.status.success(), "ls {topic} through broker-2: {}", String::from_utf8_lossy(&out.stderr));
}

/// (c) `metrics` finds both brokers through the admin API, scrapes each, and the merged
/// per-topic backlog equals the admin API's partitioned stats.
#[test]
#[ignore = "needs scripts/pulsar-cluster (run scripts/cluster-test)"]
fn metrics_scrapes_both_brokers_and_the_backlog_matches_the_admin_api() {
    let c = cluster();
    let (ns, topic) = partitioned_topic(&c, "cl-metrics");
    let rest = topic.strip_prefix("persistent://").unwrap();
    // a subscription from the earliest message, so everything produced is its backlog
    admin(
        &c,
        "PUT",
        &c.admin1,
        &format!("/admin/v2/persistent/{rest}/subscription/lagging"),
        Some(r#"{"ledgerId":-1,"entryId":-1,"partitionIndex":-1}"#),
    );
    python_produce(&c, &topic, 90);
    let owned = spread_over_both_brokers(&c, &ns, &topic);
    assert_eq!(owned.values().collect::<BTreeSet<_>>().len(), 2, "{owned:?}");
    let admin_backlog = admin_json(&c, &format!("/admin/v2/persistent/{rest}/partitioned-stats"))["subscriptions"]
        ["lagging"]["msgBacklog"]
        .as_u64()
        .unwrap();
    assert_eq!(admin_backlog, 90);

    // /metrics refreshes every 5 s (statsUpdateFrequencyInSecs): poll until it caught up
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let rows =
            json_lines(&pulsar_tui(&c, &c.admin1, &["metrics", "--format", "json", "--namespace", &ns]), "metrics");
        let brokers: Vec<_> = rows.iter().filter(|r| r["type"] == "broker").collect();
        assert_eq!(brokers.len(), 2, "both brokers are scraped: {brokers:?}");
        assert!(brokers.iter().all(|b| b["ok"] == true), "{brokers:?}");
        let backlog =
            rows.iter().find(|r| r["type"] == "topic" && r["name"] == topic.as_str()).map(|r| r["msg_backlog"].clone());
        let sub = rows
            .iter()
            .find(|r| r["type"] == "subscription" && r["topic"] == topic.as_str() && r["name"] == "lagging")
            .map(|r| r["backlog"].clone());
        if backlog == Some(serde_json::json!(admin_backlog)) && sub == Some(serde_json::json!(admin_backlog)) {
            break;
        }
        assert!(Instant::now() < deadline, "metrics backlog {backlog:?} / {sub:?}, admin API {admin_backlog}");
        std::thread::sleep(Duration::from_secs(2));
    }
}

/// `scripts/pulsar-cluster ARGS` (stop-broker / start-broker), with the environment
/// `scripts/cluster-test` runs under.
fn cluster_script(args: &[&str]) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pulsar-cluster");
    let out = Command::new(script).args(args).output().expect("scripts/pulsar-cluster runs");
    assert!(out.status.success(), "pulsar-cluster {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Broker-2 stopped by a test: started again when the guard goes, even if the test failed
/// (the tests after it need both brokers).
struct Stopped(bool);

impl Stopped {
    fn broker_2() -> Stopped {
        cluster_script(&["stop-broker", "2"]);
        Stopped(true)
    }

    fn start(&mut self) {
        if std::mem::take(&mut self.0) {
            cluster_script(&["start-broker", "2"]);
        }
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        if self.0 {
            self.0 = false;
            let _ = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pulsar-cluster"))
                .args(["start-broker", "2"])
                .output();
        }
    }
}

/// `health` with broker-2's `/metrics` configured (as a Nagios-style check names the brokers
/// it watches) and broker-1 found by discovery (the admin API lists the active brokers): its
/// findings, summary and exit code.
fn health(c: &Cluster, ns: &str) -> (Vec<serde_json::Value>, serde_json::Value, i32) {
    let m2 = format!("{}/metrics/", c.admin2);
    let out = pulsar_tui(c, &c.admin1, &["health", "--namespace", ns, "--format", "jsonl", "--metrics-url", &m2]);
    let code = out.status.code().unwrap_or(-1);
    assert!((0..=2).contains(&code), "health failed: {}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let summary = rows.iter().find(|r| r["type"] == "summary").cloned().expect("a summary line");
    (rows.into_iter().filter(|r| r["type"] == "finding").collect(), summary, code)
}

/// Polls `health` until `pred` holds of (findings, exit code), within 180 s.
fn health_until(
    c: &Cluster,
    ns: &str,
    what: &str,
    pred: impl Fn(&[serde_json::Value], i32) -> bool,
) -> (Vec<serde_json::Value>, serde_json::Value, i32) {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let (rows, summary, code) = health(c, ns);
        if pred(&rows, code) {
            return (rows, summary, code);
        }
        assert!(Instant::now() < deadline, "{what}: not within 180 s; last (exit {code}): {rows:#?}");
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// (d) `health` finds both brokers fine; broker-2 stopped is critical (its scrape and its
/// health check fail; exit 2); back, the findings clear (exit 0).
#[test]
#[ignore = "needs scripts/pulsar-cluster (run scripts/cluster-test)"]
fn health_finds_a_stopped_broker_critical_and_clears_when_it_is_back() {
    let c = cluster();
    // a namespace of its own: the other tests' stalled subscriptions are not this test's
    let ns = format!("public/{}", unique("cl-health"));
    admin(&c, "PUT", &c.admin1, &format!("/admin/v2/namespaces/{ns}"), None);
    // a broker finding names the broker by its /metrics URL, as given or its root
    let on = |f: &serde_json::Value, admin: &str| f["place"]["broker"].as_str().is_some_and(|b| b.starts_with(admin));
    let (rows, summary, _) = health_until(&c, &ns, "both brokers fine", |r, code| r.is_empty() && code == 0);
    // the discovered broker-1 and the configured broker-2, each once
    assert_eq!(summary["brokers"], 2, "{summary}");
    assert!(rows.is_empty());

    // and `--watch` with the brokers discovered (the admin API lists the active ones only),
    // on a namespace with a stalled subscription: its first line says its first pass is done
    // (it knows both brokers before one stops)
    let ns2 = format!("public/{}", unique("cl-health-w"));
    admin(&c, "PUT", &c.admin1, &format!("/admin/v2/namespaces/{ns2}"), None);
    let topic2 = format!("persistent://{ns2}/parked");
    admin(&c, "PUT", &c.admin1, &format!("/admin/v2/persistent/{ns2}/parked/subscription/idle"), None);
    python_produce(&c, &topic2, 1);
    let mut watch = Watch::start(&c, &ns2);
    watch.next("the first pass", |v| {
        v["event"] == "new" && v["kind"] == "stalled" && v["place"]["topic"] == topic2.as_str()
    });
    let mut stopped = Stopped::broker_2();
    let answered = Command::new("curl").args(["-sS", "-f", "-m", "10", &format!("{}/status.html", c.admin2)]).output();
    assert!(!answered.unwrap().status.success(), "broker-2 does not answer any more");
    let of = |r: &[serde_json::Value], kind: &str| r.iter().find(|f| f["kind"] == kind && on(f, &c.admin2)).cloned();
    let (rows, summary, code) = health_until(&c, &ns, "broker-2 found stopped", |r, _| {
        of(r, "scrape_failed").is_some() && of(r, "broker_unhealthy").is_some()
    });
    assert_eq!(code, 2, "a stopped broker is critical: {rows:#?}");
    assert_eq!(summary["brokers"], 2, "{summary}");
    for kind in ["scrape_failed", "broker_unhealthy"] {
        let f = of(&rows, kind).unwrap();
        assert_eq!(f["severity"], "critical", "{f}");
        assert_eq!(f["action"], serde_json::json!({"open": "brokers"}), "{f}");
    }
    assert!(of(&rows, "broker_unhealthy").unwrap()["what"].as_str().unwrap().contains("unreachable"), "{rows:#?}");
    // broker-1 is fine all along
    assert!(!rows.iter().any(|f| on(f, &c.admin1)), "{rows:#?}");

    // the watcher, which discovered both brokers at first, saw broker-2 leave the list
    let left = watch.next("broker-2 gone from the list", |v| {
        v["event"] == "new" && v["kind"] == "broker_unhealthy" && on(v, &c.admin2)
    });
    assert_eq!(left["severity"], "critical", "{left}");
    assert!(left["what"].as_str().unwrap().contains("no longer among"), "{left}");

    stopped.start();
    let (_, summary, code) = health_until(&c, &ns, "broker-2 back", |r, code| r.is_empty() && code == 0);
    assert_eq!((summary["brokers"].clone(), code), (serde_json::json!(2), 0));
    watch.next("broker-2 back in the list", |v| {
        v["event"] == "cleared" && v["kind"] == "broker_unhealthy" && on(v, &c.admin2)
    });
}

/// `pulsar-tui health --watch` in the background: its JSON lines through a channel.
struct Watch {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<serde_json::Value>,
}

impl Watch {
    fn start(c: &Cluster, ns: &str) -> Watch {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
            .args(["health", "--watch", "--format", "jsonl", "--namespace", ns, "--timeout", "30"])
            .env("PULSAR_SERVICE_URL", &c.service)
            .env("PULSAR_ADMIN_URL", &c.admin1)
            .env("PULSAR_TOKEN", &c.token)
            .env("PULSAR_TUI_LOG_FILE", std::env::temp_dir().join("pulsar-tui-it-cluster.log"))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for l in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str(&l) {
                    if tx.send(v).is_err() {
                        return;
                    }
                }
            }
        });
        Watch { child, lines }
    }

    /// The next line for which `pred` holds, within 180 s.
    fn next(&mut self, what: &str, pred: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(v) if pred(&v) => return v,
                Ok(_) => {}
                Err(_) => {
                    let ended = self.child.try_wait().ok().flatten();
                    panic!("health --watch: no {what} within 180 s (exited: {ended:?})")
                }
            }
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
