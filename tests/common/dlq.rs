//! Helpers of the DLQ and requeue tests (tests/broker_dlq.rs, tests/broker_requeue_batches.rs).

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use pulsar_tui::pulsar::{Client, TopicName};
use serde_json::Value;

use super::{curl_json, target, unique};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pulsar-tui")
}

pub fn pulsar_tui(args: &[&str]) -> Output {
    let t = target();
    Command::new(bin())
        .args(args)
        .env("PULSAR_SERVICE_URL", &t.service_url)
        .env("PULSAR_ADMIN_URL", &t.admin_url)
        .env("PULSAR_TUI_LOG_FILE", std::env::temp_dir().join("pulsar-tui-it-dlq.log"))
        .output()
        .expect("pulsar-tui runs")
}

pub fn json_lines(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect()
}

pub fn script() -> String {
    format!("{}/tests/clients/dlq_flow.py", env!("CARGO_MANIFEST_DIR"))
}

pub fn python(args: &[&str]) {
    let out = Command::new("python3").arg(script()).args(args).output().expect("python3 runs");
    assert!(
        out.status.success(),
        "python {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique("pulsar-tui-dlq"));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A namespace of its own, so that `dlq list` sees only this test's topics.
pub async fn namespace(client: &Client) -> String {
    let ns = format!("public/{}", unique("dlq"));
    client.admin.create_namespace(&ns).await.expect("create namespace");
    ns
}

pub async fn drop_namespace(client: &Client, ns: &str) {
    let _ = client.admin.write(reqwest::Method::DELETE, &format!("/admin/v2/namespaces/{ns}?force=true"), None).await;
}

pub fn sub_backlog(topic: &str, sub: &str, partitioned: bool) -> i64 {
    let t = TopicName::parse(topic).unwrap();
    let path = if partitioned {
        format!("/admin/v2/{}/partitioned-stats", t.rest_path())
    } else {
        format!("/admin/v2/{}/stats", t.rest_path())
    };
    let stats = curl_json(&path);
    stats["subscriptions"][sub]["msgBacklog"].as_i64().unwrap_or_else(|| panic!("no subscription {sub} on {topic}"))
}

/// Runs `pulsar-tui ARGS` (a requeue with `--yes`) until the DLQ subscription's backlog is
/// 0, killing the first `kills` runs with SIGKILL at pseudo-random points between 0.3 and
/// 1.3 s (from connecting to copying at full pace: at most 5 x 1.3 s of a paced run's work, so
/// a quiet machine that moves the messages at their pace still sees every kill); returns
/// (kills, runs).
pub fn requeue_under_kills(args: &[&str], dlq: &str, kills_wanted: usize) -> (usize, usize) {
    let t = target();
    let mut seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u64;
    let mut kills = 0;
    let mut runs = 0;
    loop {
        runs += 1;
        assert!(runs < 40, "requeue did not complete in 40 runs");
        let mut child = Command::new(bin())
            .args(args)
            .env("PULSAR_SERVICE_URL", &t.service_url)
            .env("PULSAR_ADMIN_URL", &t.admin_url)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if kills < kills_wanted {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let wait = Duration::from_millis(300 + (seed >> 33) % 1000);
            let started = Instant::now();
            while started.elapsed() < wait && child.try_wait().unwrap().is_none() {
                std::thread::sleep(Duration::from_millis(10));
            }
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap(); // SIGKILL
                let _ = child.wait();
                kills += 1;
                continue;
            }
        }
        let out = child.wait_with_output().unwrap();
        let summary = json_lines(&out.stdout);
        assert!(out.status.success(), "run {runs}: {summary:?}");
        if sub_backlog(dlq, "pulsar-tui-requeue", false) == 0 {
            return (kills, runs);
        }
    }
}

/// How many times each value (`--format value`) is in `topic`.
pub fn value_counts(topic: &str) -> std::collections::BTreeMap<String, usize> {
    let out = pulsar_tui(&["read", topic, "--format", "value"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut counts = std::collections::BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        *counts.entry(line.trim_matches('"').to_string()).or_default() += 1;
    }
    counts
}

/// Requeues `dlq` to `to` (at most `rate` messages/s) while killing the first 5 runs with
/// SIGKILL, then checks that every one of the `n` messages `m-0`…`m-{n-1}` arrived (a copy
/// confirmed but not yet journaled when the kill came is sent again: duplicates are allowed,
/// losses are not) and that the DLQ subscription is drained.
pub fn requeue_under_kills_loses_nothing(dlq: &str, to: &str, rate: &str, n: usize, what: &str) {
    let journal = temp("journal.jsonl");
    let j = journal.to_str().unwrap().to_string();
    let args = ["dlq", "requeue", dlq, "--to", to, "--rate", rate, "--yes", "--journal", &j];
    let (kills, runs) = requeue_under_kills(&args, dlq, 5);
    assert!(kills >= 5, "only {kills} kills: the runs were too fast");
    let counts = value_counts(to);
    let missing: Vec<usize> = (0..n).filter(|i| !counts.contains_key(&format!("m-{i}"))).collect();
    assert!(missing.is_empty(), "{} messages missing, e.g. {:?}", missing.len(), &missing[..missing.len().min(10)]);
    let duplicates: usize = counts.values().map(|c| c - 1).sum();
    eprintln!("{what} under SIGKILL: {kills} kills, {runs} runs, {n} messages, {duplicates} duplicates");
    assert_eq!(counts.len(), n);
    assert_eq!(sub_backlog(dlq, "pulsar-tui-requeue", false), 0);
}
