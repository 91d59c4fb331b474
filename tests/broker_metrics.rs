//! Live metrics on the real broker: the backlog scraped from `/metrics` equals what the
//! admin API reports, per subscription, and drains when a consumer acks.

mod common;

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::{curl_json, python_produce, target, tenant_with_lagging_topics, unique, Driver};
use pulsar_tui::app::Settings;
use pulsar_tui::pulsar::{Client, TopicName};

const LIMIT: Duration = Duration::from_secs(90);

fn metrics_cli(args: &[&str]) -> Vec<serde_json::Value> {
    let t = target();
    let out = Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
        .args(["--service-url", &t.service_url, "--admin-url", &t.admin_url, "metrics"])
        .args(args)
        .env("PULSAR_TUI_LOG_FILE", std::env::temp_dir().join("pulsar-tui-it.log"))
        .output()
        .unwrap();
    assert!(out.status.success(), "metrics {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn sub_backlog(rows: &[serde_json::Value], topic: &str, sub: &str) -> Option<i64> {
    rows.iter()
        .find(|r| r["type"] == "subscription" && r["topic"] == topic && r["name"] == sub)
        .and_then(|r| r["backlog"].as_i64())
}

fn admin_backlog(topic: &TopicName, sub: &str) -> i64 {
    let path = if topic.local.contains("parted") {
        format!("/admin/v2/{}/partitioned-stats", topic.rest_path())
    } else {
        format!("/admin/v2/{}/stats", topic.rest_path())
    };
    curl_json(&path)["subscriptions"][sub]["msgBacklog"].as_i64().unwrap()
}

/// Consumes and acknowledges `n` messages on `sub` with the Python client.
fn python_ack(topic: &str, sub: &str, n: usize) {
    let script = r#"
import sys, pulsar
service, topic, sub, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
client = pulsar.Client(service, operation_timeout_seconds=30)
c = client.subscribe(topic, sub, consumer_type=pulsar.ConsumerType.Shared)
for _ in range(n):
    c.acknowledge(c.receive(timeout_millis=20000))
c.close()
client.close()
"#;
    let out = Command::new("python3")
        .args(["-c", script, &target().service_url, topic, sub, &n.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "python consumer: {}", String::from_utf8_lossy(&out.stderr));
}

/// Polls `f` until it returns Some(true), failing with the last value after `LIMIT`.
fn eventually(what: &str, mut f: impl FnMut() -> (bool, String)) {
    let deadline = Instant::now() + LIMIT;
    loop {
        let (ok, state) = f();
        if ok {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}; last: {state}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn scraped_backlog_matches_the_admin_api_and_drains() {
    let client = Client::new(target()).unwrap();
    let (tenant, plain, parted) = tenant_with_lagging_topics(&client, "it-metrics").await;
    python_produce(&plain.to_string(), 25, "x");
    python_produce(&parted.to_string(), 16, "y");

    // the headless twin: per subscription, the same backlog as the admin API
    let (p, q) = (plain.to_string(), parted.to_string());
    eventually("backlog 25 / 16 in /metrics", || {
        let rows = metrics_cli(&["--topic", &tenant]);
        let got = (sub_backlog(&rows, &p, "lagging"), sub_backlog(&rows, &q, "lagging"));
        (got == (Some(25), Some(16)), format!("{got:?}"))
    });
    assert_eq!(admin_backlog(&plain, "lagging"), 25);
    assert_eq!(admin_backlog(&parted, "lagging"), 16);
    let rows = metrics_cli(&["--namespace", &format!("{tenant}/ns")]);
    let parent = rows.iter().find(|r| r["type"] == "topic" && r["name"] == q.as_str()).expect("partitioned parent row");
    assert_eq!(parent["partitions"].as_array().unwrap().len(), 2, "partitions aggregated to the parent");
    assert_eq!(parent["msg_backlog"], 16);
    assert!(
        rows.iter().all(|r| r["type"] == "broker"
            || r["name"].as_str().unwrap_or("").contains(&tenant)
            || r["topic"].as_str().unwrap_or("").contains(&tenant)),
        "the namespace filter holds"
    );

    // the TUI's metrics view sees the same, then sees it drain when a consumer acks
    let settings = Settings { metrics_interval: Duration::from_millis(500), ..Settings::default() };
    let mut d = Driver::new(client.clone(), settings);
    let backlog_in_app = |app: &pulsar_tui::app::App| {
        app.metrics
            .snapshot
            .as_ref()
            .and_then(|s| s.subscriptions.get(&(p.clone(), "lagging".to_string())).map(|m| m.backlog))
    };
    d.until("app shows backlog 25", LIMIT, |app| backlog_in_app(app) == Some(25)).await;
    python_ack(&p, "lagging", 10);
    d.until("app shows backlog 15", LIMIT, |app| backlog_in_app(app) == Some(15)).await;
    assert_eq!(admin_backlog(&plain, "lagging"), 15);
    let history = d.app.metrics.history.subscription(&p, "lagging").expect("history kept");
    let points: Vec<f64> = history.backlog.iter().map(|(_, v)| v).collect();
    assert_eq!(points.first().copied(), Some(25.0), "{points:?}");
    assert_eq!(points.last().copied(), Some(15.0), "{points:?}");
    eventually("headless shows 15 too", || {
        let got = sub_backlog(&metrics_cli(&["--topic", &tenant]), &p, "lagging");
        (got == Some(15), format!("{got:?}"))
    });
    let _ = client
        .admin
        .write(reqwest::Method::DELETE, &format!("/admin/v2/namespaces/{tenant}/ns?force=true"), None)
        .await;
    let _ = client.admin.write(reqwest::Method::DELETE, &format!("/admin/v2/tenants/{tenant}?force=true"), None).await;
}

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Serves the recorded fixture as `/metrics/` on a free loopback port.
fn fixture_server() -> (Server, u16) {
    let dir = std::env::temp_dir().join(unique("metrics-fixture"));
    std::fs::create_dir_all(dir.join("metrics")).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/metrics/standalone-4.0.8.txt"),
        dir.join("metrics/index.html"),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new("python3")
        .args(["-m", "http.server", &port.to_string(), "--bind", "127.0.0.1", "--directory", dir.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let server = Server(child);
    eventually("fixture server up", || (std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(), String::new()));
    (server, port)
}

#[test]
#[ignore = "needs the broker: scripts/test runs it"]
fn aggregates_across_brokers_and_shows_which_failed() {
    let (_a, pa) = fixture_server();
    let (_b, pb) = fixture_server();
    let real = format!("{}/metrics/", target().admin_url);
    let fa = format!("http://127.0.0.1:{pa}/metrics/");
    let fb = format!("http://127.0.0.1:{pb}/metrics/");
    let dead = "http://127.0.0.1:1/metrics/".to_string();
    let one = metrics_cli(&["--metrics-url", &fa, "--topic", "promfix-a"]);
    let three =
        metrics_cli(&["--metrics-url", &real, "--metrics-url", &fa, "--metrics-url", &fb, "--metrics-url", &dead]);
    let brokers: Vec<(&str, bool)> = three
        .iter()
        .filter(|r| r["type"] == "broker")
        .map(|r| (r["broker"].as_str().unwrap(), r["ok"].as_bool().unwrap()))
        .collect();
    assert_eq!(brokers.len(), 4);
    assert_eq!(brokers.iter().filter(|b| b.1).count(), 3, "{brokers:?}");
    let failed = three.iter().find(|r| r["type"] == "broker" && r["ok"] == false).unwrap();
    assert!(failed["broker"].as_str().unwrap().contains("127.0.0.1:1"));
    assert!(failed["error"].as_str().unwrap().contains("cannot scrape"), "{failed}");
    // the same topic on two brokers is summed
    let topic = "persistent://public/default/promfix-a";
    let single = one.iter().find(|r| r["type"] == "topic" && r["name"] == topic).expect("fixture topic");
    let double = three.iter().find(|r| r["type"] == "topic" && r["name"] == topic).expect("aggregated topic");
    assert!(single["msg_backlog"].as_i64().unwrap() > 0);
    assert_eq!(double["msg_backlog"].as_i64().unwrap(), 2 * single["msg_backlog"].as_i64().unwrap());
    assert_eq!(double["storage_size"].as_i64().unwrap(), 2 * single["storage_size"].as_i64().unwrap());
    // and the real broker's own topics are there too
    // (the seeded demo topics live on the real broker, not in the fixture)
    assert!(
        three.iter().any(|r| r["type"] == "topic" && r["name"].as_str().unwrap().starts_with("persistent://acme/")),
        "the real broker's topics are missing"
    );
}
