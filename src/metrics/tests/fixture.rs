//! Cross-checks of the real Pulsar 4.0.8 scrape against the admin stats
//! captured right after it (see tests/fixtures/metrics/README.md).

use super::{fixture, STANDALONE_4_0_8};
use crate::metrics::model::{snapshot_from_str, MetricsSnapshot};
use crate::metrics::prom::parse_str;
use serde_json::Value;

const A: &str = "persistent://public/default/promfix-a";
const P: &str = "persistent://public/default/promfix-p";
const D: &str = "persistent://public/default/promfix-d";

fn snap() -> MetricsSnapshot {
    snapshot_from_str(STANDALONE_4_0_8, "http://127.0.0.1:8080", 1_795_754_990_000)
}

fn admin(name: &str) -> Value {
    serde_json::from_str(&fixture(&format!("admin-stats-{name}.json"))).expect("admin json")
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a u64: {v}"))
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn fixture_parses_cleanly() {
    let text = STANDALONE_4_0_8;
    let mut n = 0u64;
    let stats = parse_str(text, |_| n += 1);
    let comments = text.lines().filter(|l| l.starts_with('#')).count() as u64;
    let samples = text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')).count() as u64;
    assert_eq!(stats.skipped_lines, 0, "{:?}", stats.skipped);
    assert_eq!(stats.samples, samples);
    assert_eq!(n, samples);
    assert_eq!(stats.comment_lines, comments);
    assert_eq!(stats.lenient_lines, 0);
    assert!(!stats.saw_eof);
    assert!(samples > 1000);
}

#[test]
fn subscription_backlogs_match_admin_stats() {
    let s = snap();
    assert!(s.topic_level);
    assert_eq!(s.brokers.len(), 1);
    assert_eq!(s.brokers[0].topic_level, Some(true));
    let a = admin("promfix-a");
    let subs = a["subscriptions"].as_object().unwrap();
    // Includes `sub,weird=name` and `q"uote\back` (Pulsar leaves `\` unescaped).
    assert_eq!(subs.len(), 3);
    assert!(subs.contains_key("sub,weird=name"));
    assert!(subs.contains_key("q\"uote\\back"));
    for (name, st) in subs {
        let m = s
            .subscriptions
            .get(&(A.to_string(), name.clone()))
            .unwrap_or_else(|| panic!("missing subscription {name:?}"));
        assert_eq!(m.backlog, u(&st["msgBacklog"]), "{name}");
        assert_eq!(m.backlog_no_delayed, u(&st["msgBacklogNoDelayed"]), "{name}");
        assert_eq!(m.unacked, u(&st["unackedMessages"]), "{name}");
        assert_eq!(m.delayed, u(&st["msgDelayed"]), "{name}");
        assert_eq!(m.blocked, st["blockedSubscriptionOnUnackedMsgs"].as_bool().unwrap());
        assert_eq!(m.consumers, st["consumers"].as_array().unwrap().len() as u64, "{name}");
        assert!(close(m.rate_out, st["msgRateOut"].as_f64().unwrap(), 1e-3), "{name}");
        assert_eq!(m.partitions, 0);
    }
    assert_eq!(s.subscriptions_of(A).count(), 3);
    let t = &s.topics[A];
    let total: u64 = subs.values().map(|v| u(&v["msgBacklog"])).sum();
    assert_eq!(t.msg_backlog, total);
    assert_eq!(t.storage_size, u(&a["storageSize"]));
    assert_eq!(t.backlog_size, u(&a["backlogSize"]));
    assert_eq!(t.subscriptions, 3);
    assert_eq!(t.producers, a["publishers"].as_array().unwrap().len() as u64);
    assert!(close(t.rate_in, a["msgRateIn"].as_f64().unwrap(), 1e-3));
    assert!(close(t.throughput_in, a["msgThroughputIn"].as_f64().unwrap(), 1e-3));
    assert_eq!(t.in_messages_total, u(&a["msgInCounter"]));
    assert_eq!(t.in_bytes_total, u(&a["bytesInCounter"]));
    assert!(!t.is_partitioned());
}

#[test]
fn delayed_messages_match_admin_stats() {
    let s = snap();
    let d = admin("promfix-d");
    let st = &d["subscriptions"]["dsub"];
    let m = &s.subscriptions[&(D.to_string(), "dsub".to_string())];
    assert_eq!(m.delayed, u(&st["msgDelayed"]));
    assert_eq!(m.delayed, 5);
    assert_eq!(m.backlog, u(&st["msgBacklog"]));
    assert_eq!(m.backlog_no_delayed, u(&st["msgBacklogNoDelayed"]));
}

#[test]
fn partitions_aggregate_to_parent() {
    let s = snap();
    let p = admin("promfix-p");
    let t = &s.topics[P];
    assert_eq!(t.partitions, vec![format!("{P}-partition-0"), format!("{P}-partition-1"), format!("{P}-partition-2")]);
    assert!(t.is_partitioned());
    // No partition leaks into the topic map.
    assert!(s.topics.keys().all(|k| !k.contains("-partition-")));
    assert_eq!(s.partitions_of(P).count(), 3);

    let mut backlog_sum = 0;
    for (pname, pst) in p["partitions"].as_object().unwrap() {
        let row = &s.partitions[pname];
        let sub_backlog = u(&pst["subscriptions"]["psub"]["msgBacklog"]);
        assert_eq!(row.msg_backlog, sub_backlog, "{pname}");
        assert_eq!(row.storage_size, u(&pst["storageSize"]), "{pname}");
        backlog_sum += sub_backlog;
    }
    assert_eq!(t.msg_backlog, backlog_sum);
    assert_eq!(t.storage_size, u(&p["storageSize"]));
    assert_eq!(t.backlog_size, u(&p["backlogSize"]));
    assert!(close(t.rate_in, p["msgRateIn"].as_f64().unwrap(), 0.01));
    // A partitioned producer/consumer counts once (like partitioned-stats).
    assert_eq!(t.producers, p["publishers"].as_array().unwrap().len() as u64);
    assert_eq!(t.subscriptions, 1);

    let sub = &s.subscriptions[&(P.to_string(), "psub".to_string())];
    assert_eq!(sub.backlog, u(&p["subscriptions"]["psub"]["msgBacklog"]));
    assert_eq!(sub.partitions, 3);
    assert_eq!(sub.consumers, 1);
    assert_eq!(sub.topic, P);
}

#[test]
fn namespace_totals() {
    let s = snap();
    let ns = &s.namespaces["public/default"];
    // pulsar_topics_count counts partitions and the system topic.
    assert_eq!(ns.topics, 6);
    let sum: u64 = s.topics_in_namespace("public/default").map(|t| t.msg_backlog).sum();
    assert_eq!(ns.msg_backlog, sum);
    let storage: u64 = s.topics_in_namespace("public/default").map(|t| t.storage_size).sum();
    assert_eq!(ns.storage_size, storage);
    assert_eq!(ns.delayed, 5);
    assert!(s.topics.values().any(|t| t.is_system()));
    assert!(s.namespaces.contains_key("pulsar/standalone/127.0.0.1:8080"));
    // `pulsar_ml_*` carries namespace="public/default/persistent": not a namespace.
    assert!(!s.namespaces.contains_key("public/default/persistent"));
}

#[test]
fn publish_latency_from_pulsar_buckets() {
    let s = snap();
    let l = s.topics[A].publish_latency.as_ref().expect("latency");
    assert_eq!(l.count, 20);
    assert_eq!(l.buckets.iter().sum::<u32>(), 20, "non-cumulative buckets");
    let mean = l.mean_ms().unwrap();
    // Mean must fall within the populated buckets (1 ms .. 20 ms).
    assert!((1.0..=20.0).contains(&mean), "{mean}");
    assert_eq!(l.quantile_upper_bound_ms(0.99), Some(20.0));
    assert_eq!(l.quantile_upper_bound_ms(0.1), Some(5.0));
}

#[test]
fn snapshot_round_trips_through_json() {
    let s = snap();
    let json = serde_json::to_string(&s).expect("serialize");
    let back: MetricsSnapshot = serde_json::from_str(&json).expect("deserialize");
    // serde_json's default float parsing may be 1 ulp off: compare floats
    // approximately, everything else exactly.
    assert_eq!(back.topics.keys().collect::<Vec<_>>(), s.topics.keys().collect::<Vec<_>>());
    assert_eq!(back.subscriptions.keys().collect::<Vec<_>>(), s.subscriptions.keys().collect::<Vec<_>>());
    for (k, t) in &s.topics {
        let b = &back.topics[k];
        assert_eq!((b.msg_backlog, b.storage_size, &b.partitions), (t.msg_backlog, t.storage_size, &t.partitions));
        assert!(close(b.throughput_out, t.throughput_out, 1e-9));
    }
    for (k, v) in &s.subscriptions {
        let b = &back.subscriptions[k];
        assert_eq!((b.backlog, b.unacked, b.blocked, &b.name), (v.backlog, v.unacked, v.blocked, &v.name));
        assert!(close(b.rate_out, v.rate_out, 1e-9));
    }
    assert_eq!(back.brokers, s.brokers);
    assert_eq!(back.topic_level, s.topic_level);
    assert_eq!(back.namespaces.len(), s.namespaces.len());
}
