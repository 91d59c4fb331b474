//! The health findings on the real broker: each condition built on purpose with the official
//! Python client, found by `pulsar-tui health` with the right numbers and exit code, and
//! gone once the condition is. Every wait polls with a deadline.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{curl_json, python_produce, target, unique};
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(120);

/// A config file with these `[health]` lines.
fn config(health: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique("pulsar-tui-health"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.toml");
    std::fs::write(&path, format!("metrics_interval_secs = 2\n[health]\n{health}\n")).unwrap();
    path
}

fn health_cmd(cfg: &PathBuf, args: &[&str]) -> Command {
    let t = target();
    let mut c = Command::new(env!("CARGO_BIN_EXE_pulsar-tui"));
    c.args(["--service-url", &t.service_url, "--admin-url", &t.admin_url, "--config"])
        .arg(cfg)
        .arg("health")
        .args(args)
        .env("PULSAR_TUI_LOG_FILE", std::env::temp_dir().join("pulsar-tui-it-health.log"));
    c
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON {l:?}: {e}")))
        .collect()
}

/// Runs `health --namespace ns` until `pred` holds for its findings; returns them and the
/// exit code.
fn until(cfg: &PathBuf, ns: &str, what: &str, pred: impl Fn(&[Value]) -> bool) -> (Vec<Value>, i32) {
    let start = Instant::now();
    loop {
        let out = health_cmd(cfg, &["--namespace", ns]).output().unwrap();
        let code = out.status.code().unwrap_or(-1);
        assert!((0..=2).contains(&code), "health failed: {}", String::from_utf8_lossy(&out.stderr));
        let rows: Vec<Value> = lines(&out).into_iter().filter(|r| r["type"] == "finding").collect();
        if pred(&rows) {
            return (rows, code);
        }
        assert!(start.elapsed() < LIMIT, "{what}: not within {LIMIT:?}; last: {rows:#?}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn of<'a>(rows: &'a [Value], kind: &str, sub: &str) -> Option<&'a Value> {
    rows.iter().find(|r| r["kind"] == kind && r["place"]["subscription"] == sub)
}

fn namespace() -> String {
    let ns = format!("public/{}", unique("health"));
    let t = target();
    let out = Command::new("curl")
        .args(["-sS", "-f", "-X", "PUT", &format!("{}/admin/v2/namespaces/{ns}", t.admin_url)])
        .output()
        .unwrap();
    assert!(out.status.success(), "create {ns}: {}", String::from_utf8_lossy(&out.stderr));
    ns
}

fn admin(method: &str, path: &str, body: Option<&str>) {
    let url = format!("{}{path}", target().admin_url);
    let mut c = Command::new("curl");
    c.args(["-sS", "-f", "-X", method, &url]);
    if let Some(b) = body {
        c.args(["-H", "Content-Type: application/json", "-d", b]);
    }
    let out = c.output().unwrap();
    assert!(out.status.success(), "{method} {path}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A Python client flow in the background, once it says it is under way.
struct Flow(Child);

impl Flow {
    fn start(args: &[&str]) -> Flow {
        let ready = std::env::temp_dir().join(unique("health-ready"));
        let script = format!("{}/tests/clients/health_flow.py", env!("CARGO_MANIFEST_DIR"));
        let child = Command::new("python3")
            .arg(script)
            .args(args)
            .arg(&ready)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut flow = Flow(child);
        let start = Instant::now();
        while !ready.exists() {
            if let Ok(Some(status)) = flow.0.try_wait() {
                panic!("python {args:?} ended early: {status}");
            }
            assert!(start.elapsed() < LIMIT, "python {args:?} not ready");
            std::thread::sleep(Duration::from_millis(100));
        }
        flow
    }

    fn wait(mut self) -> bool {
        let start = Instant::now();
        loop {
            if let Ok(Some(s)) = self.0.try_wait() {
                return s.success();
            }
            assert!(start.elapsed() < LIMIT, "python flow did not finish");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Flow {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
#[ignore = "needs the broker: scripts/test runs it"]
fn a_stalled_subscription_is_found_with_its_backlog_and_age_then_clears() {
    let ns = namespace();
    let topic = format!("persistent://{ns}/orders");
    let cfg = config("");
    admin("PUT", &format!("/admin/v2/persistent/{ns}/orders/subscription/billing"), None);
    python_produce(&topic, 25, "stalled");
    let (rows, code) =
        until(&cfg, &ns, "stalled", |r| of(r, "stalled", "billing").is_some_and(|f| f["numbers"]["backlog"] == 25.0));
    let f = of(&rows, "stalled", "billing").unwrap();
    assert_eq!(code, 1, "a warning exits 1");
    assert_eq!(f["severity"], "warn");
    assert_eq!(f["place"]["topic"], topic.as_str());
    assert_eq!(f["action"], serde_json::json!({"open": "subscription", "topic": topic, "subscription": "billing"}));
    // the age of the oldest message came from the admin API, as the broker tells it
    let stats = curl_json(&format!("/admin/v2/persistent/{ns}/orders/stats?getEarliestTimeInBacklog=true"));
    let earliest = stats["subscriptions"]["billing"]["earliestMsgPublishTimeInBacklog"].as_i64().unwrap();
    let age = f["numbers"]["age_secs"].as_f64().expect("an age");
    let since = (chrono::Utc::now().timestamp_millis() - earliest) as f64 / 1000.0;
    assert!(age >= 0.0 && age <= since + 1.0, "age {age} vs {since}");
    // a subscription that has a consumer and no backlog is no finding: clear it
    admin("POST", &format!("/admin/v2/persistent/{ns}/orders/subscription/billing/skip_all"), None);
    let (_, code) = until(&cfg, &ns, "cleared", |r| of(r, "stalled", "billing").is_none());
    assert_eq!(code, 0, "nothing wrong exits 0");
}

#[test]
#[ignore = "needs the broker: scripts/test runs it"]
fn a_subscription_blocked_by_max_unacked_is_critical_and_clears_with_its_consumer() {
    let ns = namespace();
    let topic = format!("persistent://{ns}/payments");
    admin("POST", &format!("/admin/v2/namespaces/{ns}/maxUnackedMessagesPerSubscription"), Some("10"));
    let cfg = config("");
    let holder = Flow::start(&["hold", &target().service_url, &topic, "ledger"]);
    python_produce(&topic, 40, "held");
    let (rows, code) = until(&cfg, &ns, "blocked", |r| of(r, "blocked", "ledger").is_some());
    let f = of(&rows, "blocked", "ledger").unwrap();
    assert_eq!(code, 2, "a critical finding exits 2");
    assert_eq!(f["severity"], "critical");
    let unacked = f["numbers"]["unacked"].as_f64().unwrap();
    assert!(unacked >= 10.0, "{f}");
    let admin_view = curl_json(&format!("/admin/v2/persistent/{ns}/payments/stats"));
    assert_eq!(admin_view["subscriptions"]["ledger"]["blockedSubscriptionOnUnackedMsgs"], true);
    // the consumer goes: its unacked messages return to the backlog, the block lifts
    drop(holder);
    let (rows, _) = until(&cfg, &ns, "unblocked", |r| of(r, "blocked", "ledger").is_none());
    // ... and the subscription is now stalled instead
    assert!(of(&rows, "stalled", "ledger").is_some(), "{rows:#?}");
}

#[test]
#[ignore = "needs the broker: scripts/test runs it"]
fn a_nack_storm_filling_a_dlq_through_the_python_dead_letter_policy_is_found_with_its_origin() {
    let ns = namespace();
    let topic = format!("persistent://{ns}/jobs");
    let dlq = format!("{topic}-worker-DLQ");
    let cfg = config("");
    let flow = Flow::start(&["nack", &target().service_url, &topic, "worker", &dlq, "15"]);
    assert!(flow.wait(), "every message reached the DLQ");
    let (rows, code) = until(&cfg, &ns, "dead letters", |r| r.iter().any(|f| f["kind"] == "dead_letters"));
    let f = rows.iter().find(|f| f["kind"] == "dead_letters").unwrap();
    assert!(code >= 1);
    assert_eq!(f["place"]["topic"], dlq.as_str());
    assert_eq!(f["place"]["origin"], topic.as_str());
    assert_eq!(f["place"]["subscription"], "worker");
    assert_eq!(f["action"], serde_json::json!({"open": "dead_letters", "topic": dlq}));
    let last = f["numbers"]["last_message_ms"].as_f64().expect("the newest dead letter's time");
    assert!(chrono::Utc::now().timestamp_millis() as f64 - last < 3_600_000.0, "{f}");
}

#[test]
#[ignore = "needs the broker: scripts/test runs it"]
fn a_redelivery_storm_is_found_with_its_rate_and_clears_when_the_consumer_stops() {
    let ns = namespace();
    let topic = format!("persistent://{ns}/retries");
    let cfg = config("redelivery_rate_warn = 5.0");
    let flow = Flow::start(&["redeliver", &target().service_url, &topic, "flaky", "20"]);
    let (rows, code) = until(&cfg, &ns, "redelivery", |r| of(r, "redelivery", "flaky").is_some());
    let f = of(&rows, "redelivery", "flaky").unwrap();
    assert!(code >= 1);
    assert_eq!(f["place"]["topic"], topic.as_str());
    let rate = f["numbers"]["rate_redeliver"].as_f64().expect("the redelivery rate");
    assert!(rate >= 5.0, "{f}");
    // the broker's own number for the same subscription (its rates update every 5 s here)
    let stats = curl_json(&format!("/admin/v2/persistent/{ns}/retries/stats"));
    let broker_rate = stats["subscriptions"]["flaky"]["msgRateRedeliver"].as_f64().unwrap_or(0.0);
    assert!(broker_rate > 0.0, "the broker counts redeliveries too: {stats}");
    drop(flow); // the consumer goes: no more redeliveries
    let (rows, _) = until(&cfg, &ns, "redelivery cleared", |r| of(r, "redelivery", "flaky").is_none());
    assert!(of(&rows, "redelivery", "flaky").is_none());
}

#[test]
#[ignore = "needs the broker: scripts/test runs it"]
fn expired_messages_are_found_with_their_count() {
    let ns = namespace();
    let topic = format!("persistent://{ns}/events");
    let cfg = config("");
    admin("PUT", &format!("/admin/v2/persistent/{ns}/events/subscription/audit"), None);
    python_produce(&topic, 12, "ttl");
    // what the broker's TTL task does every messageExpiryCheckIntervalInMinutes (5 min by
    // default), asked for now: expire what is older than 1 s, on every subscription
    std::thread::sleep(Duration::from_millis(1_100)); // the messages must be older than the TTL
    admin("POST", &format!("/admin/v2/persistent/{ns}/events/all_subscription/expireMessages/1"), None);
    let (rows, _) = until(&cfg, &ns, "expired", |r| {
        of(r, "expired", "audit").is_some_and(|f| f["numbers"]["total_expired"].as_f64() >= Some(12.0))
    });
    let f = of(&rows, "expired", "audit").unwrap();
    assert!(f["threshold"].as_str().unwrap().contains("health.expired_window_secs"), "{f}");
    // nothing left behind: not stalled any more
    assert!(of(&rows, "stalled", "audit").is_none(), "{rows:#?}");
}

#[test]
#[ignore = "needs the broker: scripts/test runs it"]
fn a_backlog_growing_under_a_running_producer_is_found_by_watch_then_clears() {
    let ns = namespace();
    let topic = format!("persistent://{ns}/clicks");
    let cfg = config("growth_minutes = 1\ngrowth_min_messages = 5\nstalled_min_backlog = 1000000");
    admin("PUT", &format!("/admin/v2/persistent/{ns}/clicks/subscription/stats"), None);
    let producer = Flow::start(&["produce", &target().service_url, &topic, "100"]);
    let mut watch = health_cmd(&cfg, &["--namespace", &ns, "--watch"]).stdout(Stdio::piped()).spawn().unwrap();
    let stdout = watch.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str(&l) {
                if tx.send(v).is_err() {
                    return;
                }
            }
        }
    });
    let next = |event: &str| -> Value {
        let deadline = Instant::now() + Duration::from_secs(240);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let v = rx.recv_timeout(left).unwrap_or_else(|_| panic!("no {event} backlog_growing in time"));
            if v["kind"] == "backlog_growing" && v["event"] == event {
                return v;
            }
        }
    };
    let f = next("new");
    assert_eq!(f["place"]["subscription"], "stats");
    assert!(f["numbers"]["grew_by"].as_f64().unwrap() >= 5.0, "{f}");
    assert!(f["numbers"]["per_min"].as_f64().unwrap() > 0.0, "{f}");
    assert!(f["what"].as_str().unwrap().contains("never drains at current rates"), "{f}");
    // the producer stops: the backlog is flat, no longer "only grew for a minute"
    drop(producer);
    let c = next("cleared");
    assert_eq!(c["place"]["subscription"], "stats");
    let _ = watch.kill();
    let _ = watch.wait();
}

/// A namespace whose size quota is `limit` bytes with this policy, and a subscription
/// `sub` on `topic` (so the backlog counts).
fn quota_namespace(limit: u64, policy: &str, topic: &str, sub: &str) -> String {
    let ns = namespace();
    let body = format!(r#"{{"limitSize":{limit},"limitTime":-1,"policy":"{policy}"}}"#);
    admin("POST", &format!("/admin/v2/namespaces/{ns}/backlogQuota?backlogQuotaType=destination_storage"), Some(&body));
    admin("PUT", &format!("/admin/v2/persistent/{ns}/{topic}/subscription/{sub}"), None);
    ns
}

/// Whether the official Python client may create a producer on `topic` now; the broker's
/// error when not.
fn python_producer_allowed(topic: &str) -> Result<(), String> {
    let script = r#"
import sys, pulsar
client = pulsar.Client(sys.argv[1], operation_timeout_seconds=10)
try:
    client.create_producer(sys.argv[2]).close()
except Exception as e:
    print("REFUSED " + type(e).__name__)
    sys.exit(3)
client.close()
"#;
    let out = Command::new("python3").args(["-c", script, &target().service_url, topic]).output().unwrap();
    match out.status.code() {
        Some(0) => Ok(()),
        // the client logs to stdout too: the last word of the marked line
        Some(3) => Err(String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("REFUSED "))
            .unwrap_or_default()
            .to_string()),
        _ => panic!("python: {}", String::from_utf8_lossy(&out.stderr)),
    }
}

fn quota_of<'a>(rows: &'a [Value], kind: &str, topic: &str) -> Option<&'a Value> {
    rows.iter().find(|r| r["kind"] == kind && r["place"]["topic"] == topic)
}

#[test]
#[ignore = "needs the broker: scripts/test runs it"]
fn a_backlog_at_80_percent_of_its_size_quota_is_found_with_the_time_left_at_the_current_growth() {
    const LIMIT_BYTES: u64 = 200_000;
    let ns = quota_namespace(LIMIT_BYTES, "producer_request_hold", "ingest", "etl");
    let topic = format!("persistent://{ns}/ingest");
    let cfg = config("stalled_min_backlog = 1000000");
    // ~1 KB messages to 80 % and a little more (the broker counts entries with their metadata)
    let big = "x".repeat(1000);
    python_produce(&topic, 165, &big);
    let stats = curl_json(&format!("/admin/v2/persistent/{ns}/ingest/stats"));
    let filled = stats["backlogSize"].as_f64().unwrap();
    assert_eq!(stats["backlogQuotaLimitSize"], LIMIT_BYTES, "{stats}");
    assert!(filled >= 0.8 * LIMIT_BYTES as f64 && filled < LIMIT_BYTES as f64, "filled {filled}");
    // still growing, slowly: a producer every 400 ms
    let producer = Flow::start(&["produce", &target().service_url, &topic, "400"]);
    let (rows, code) = until(&cfg, &ns, "80 % of the quota, growing", |r| {
        quota_of(r, "quota_near", &topic).is_some_and(|f| f["numbers"]["time_left_secs"].is_number())
    });
    let f = quota_of(&rows, "quota_near", &topic).unwrap();
    assert_eq!(code, 1, "a warning exits 1: {rows:#?}");
    assert_eq!(f["severity"], "warn");
    assert_eq!(f["action"], serde_json::json!({"open": "topic", "topic": topic}));
    assert!(f["threshold"].as_str().unwrap().contains("health.quota_warn_percent"), "{f}");
    let n = |k: &str| f["numbers"][k].as_f64().unwrap_or_else(|| panic!("no {k} in {f}"));
    // the numbers are the broker's: its limit, a backlog between the fill and now
    assert_eq!(n("limit_bytes"), LIMIT_BYTES as f64);
    let now = curl_json(&format!("/admin/v2/persistent/{ns}/ingest/stats"));
    let (used, latest) = (n("backlog_bytes"), now["backlogSize"].as_f64().unwrap());
    assert!(used >= filled && used <= latest, "{used} not in {filled}..={latest}");
    assert!((n("percent") - used * 100.0 / LIMIT_BYTES as f64).abs() < 1e-6, "{f}");
    // time left = what is left of the quota at the growth the broker measures
    let growth = n("growth_bytes_per_sec");
    assert!(growth > 0.0, "{f}");
    let expect = ((LIMIT_BYTES as f64 - used) / growth).round();
    assert_eq!(n("time_left_secs"), expect, "{f}");
    assert!(f["what"].as_str().unwrap().contains("full in"), "{f}");
    // the growth is the broker's rate in (the subscription takes nothing out): about what
    // the admin API says the topic receives
    let rate_in = now["msgThroughputIn"].as_f64().unwrap();
    assert!(growth <= 3.0 * rate_in.max(1.0) && rate_in <= 3.0 * growth, "growth {growth} vs stats {rate_in}");
    // the producer stops and the backlog is read away: the finding clears, exit 0
    drop(producer);
    admin("POST", &format!("/admin/v2/persistent/{ns}/ingest/subscription/etl/skip_all"), None);
    let (_, code) = until(&cfg, &ns, "quota cleared", |r| quota_of(r, "quota_near", &topic).is_none());
    assert_eq!(code, 0);
}

#[test]
#[ignore = "needs the broker: scripts/test runs it"]
fn a_backlog_over_its_quota_with_producer_exception_is_critical_refused_producers_then_clears() {
    const LIMIT_BYTES: u64 = 100_000;
    let ns = quota_namespace(LIMIT_BYTES, "producer_exception", "audit", "archive");
    let topic = format!("persistent://{ns}/audit");
    let cfg = config("");
    assert_eq!(python_producer_allowed(&topic), Ok(()));
    // one producer already connected keeps writing past the limit
    python_produce(&topic, 130, &"y".repeat(1000));
    // the broker now refuses new producers (the official client is told so)
    assert_eq!(python_producer_allowed(&topic), Err("ProducerBlockedQuotaExceededException".into()));
    let (rows, code) = until(&cfg, &ns, "quota exceeded", |r| quota_of(r, "quota_exceeded", &topic).is_some());
    let f = quota_of(&rows, "quota_exceeded", &topic).unwrap();
    assert_eq!(code, 2, "a critical finding exits 2");
    assert_eq!(f["severity"], "critical");
    assert!(f["what"].as_str().unwrap().contains("producers are refused"), "{f}");
    let stats = curl_json(&format!("/admin/v2/persistent/{ns}/audit/stats"));
    assert_eq!(f["numbers"]["limit_bytes"], LIMIT_BYTES as f64);
    assert_eq!(f["numbers"]["backlog_bytes"], stats["backlogSize"].as_f64().unwrap(), "{f} vs {stats}");
    assert!(f["numbers"]["percent"].as_f64().unwrap() > 100.0, "{f}");
    assert!(quota_of(&rows, "quota_near", &topic).is_none(), "over, not near: {rows:#?}");
    // the backlog is dropped: producers are accepted again and the finding clears
    admin("POST", &format!("/admin/v2/persistent/{ns}/audit/subscription/archive/skip_all"), None);
    let (rows, code) = until(&cfg, &ns, "quota cleared", |r| quota_of(r, "quota_exceeded", &topic).is_none());
    assert_eq!(code, 0, "{rows:#?}");
    assert_eq!(python_producer_allowed(&topic), Ok(()));
}
