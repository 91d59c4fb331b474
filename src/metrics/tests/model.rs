use super::fixture;
use crate::metrics::model::*;
use crate::metrics::prom::{parse_str, ParseOptions};

fn build(text: &str) -> MetricsSnapshot {
    snapshot_from_str(text, "b1", 1_000)
}

const NS: &str = r#"cluster="c",namespace="t/n""#;

#[test]
fn namespace_level_only_is_detected() {
    let s = build(&fixture("namespace-level-synthetic.txt"));
    assert!(!s.topic_level);
    assert_eq!(s.brokers[0].topic_level, Some(false));
    assert!(s.topics.is_empty());
    assert!(s.subscriptions.is_empty());
    let ns = &s.namespaces["acme/orders"];
    assert_eq!(ns.topics, 4);
    assert_eq!(ns.subscriptions, 6);
    assert_eq!(ns.producers, 3);
    assert_eq!(ns.consumers, 7);
    assert_eq!(ns.rate_in, 120.5);
    assert_eq!(ns.rate_out, 240.25);
    assert_eq!(ns.msg_backlog, 1500, "remote_cluster=\"local\" backlog");
    assert_eq!(ns.backlog_size, 150_000);
    assert_eq!(ns.storage_size, 987_654);
    assert_eq!(ns.delayed, 12);
    let lat = ns.publish_latency.as_ref().unwrap();
    assert_eq!(lat.count, 100);
    assert_eq!(lat.mean_ms(), Some(3.0));
    let west = &ns.replication["west"];
    assert_eq!(west.backlog, 42);
    assert_eq!(west.rate_out, 119.0);
    assert!(!ns.replication.contains_key("local"));
    // NaN storage is ignored.
    assert_eq!(s.namespaces["acme/billing"].storage_size, 0);
    assert_eq!(s.namespaces["acme/billing"].topics, 1);
}

#[test]
fn topic_level_flag_on_real_fixture() {
    let s = build(super::STANDALONE_4_0_8);
    assert!(s.topic_level);
}

#[test]
fn per_consumer_series_are_not_double_counted() {
    let text = format!(
        "# TYPE pulsar_out_bytes_total gauge\n\
         pulsar_out_bytes_total{{{NS},topic=\"persistent://t/n/x\",subscription=\"s\"}} 100\n\
         pulsar_out_bytes_total{{{NS},topic=\"persistent://t/n/x\",subscription=\"s\",consumer_name=\"c1\",consumer_id=\"0\"}} 60\n\
         pulsar_out_bytes_total{{{NS},topic=\"persistent://t/n/x\",subscription=\"s\",consumer_name=\"c2\",consumer_id=\"1\"}} 40\n\
         pulsar_out_messages_total{{{NS},topic=\"persistent://t/n/x\",subscription=\"s\"}} 10\n\
         pulsar_out_messages_total{{{NS},topic=\"persistent://t/n/x\",subscription=\"s\",consumer_name=\"c1\",consumer_id=\"0\"}} 10\n\
         pulsar_subscription_back_log{{{NS},topic=\"persistent://t/n/x\",subscription=\"s\"}} 7\n\
         pulsar_rate_in{{{NS},topic=\"persistent://t/n/x\"}} 3\n\
         pulsar_rate_in{{{NS},topic=\"persistent://t/n/x\",producer_name=\"p\",producer_id=\"0\"}} 3\n\
         pulsar_out_bytes_total{{{NS},topic=\"persistent://t/n/x\"}} 999\n"
    );
    let s = build(&text);
    let sub = &s.subscriptions[&("persistent://t/n/x".into(), "s".into())];
    assert_eq!(sub.out_bytes_total, 100);
    assert_eq!(sub.out_messages_total, 10);
    assert_eq!(sub.backlog, 7);
    assert_eq!(s.topics["persistent://t/n/x"].rate_in, 3.0);
}

#[test]
fn split_topic_and_partition_labels() {
    let text = format!(
        "pulsar_msg_backlog{{{NS},topic=\"persistent://t/n/x\",partition=\"0\"}} 5\n\
         pulsar_msg_backlog{{{NS},topic=\"persistent://t/n/x\",partition=\"1\"}} 7\n\
         pulsar_subscription_back_log{{{NS},topic=\"persistent://t/n/x\",partition=\"1\",subscription=\"s\"}} 7\n"
    );
    let s = build(&text);
    let t = &s.topics["persistent://t/n/x"];
    assert_eq!(t.msg_backlog, 12);
    assert_eq!(t.partitions.len(), 2);
    assert_eq!(s.partitions["persistent://t/n/x-partition-1"].msg_backlog, 7);
    assert_eq!(s.subscriptions[&("persistent://t/n/x".into(), "s".into())].backlog, 7);
}

#[test]
fn partitions_sort_numerically_and_bad_suffixes_are_topics() {
    let mut text = String::new();
    for i in [10, 2, 0, 1] {
        text.push_str(&format!("pulsar_rate_in{{{NS},topic=\"persistent://t/n/p-partition-{i}\"}} 1\n"));
    }
    // Not partitions by Pulsar's rules.
    for name in ["q-partition-01", "r-partition--1", "s-partition-", "-partition-3"] {
        text.push_str(&format!("pulsar_rate_in{{{NS},topic=\"persistent://t/n/{name}\"}} 1\n"));
    }
    let s = build(&text);
    let p = &s.topics["persistent://t/n/p"];
    let idx: Vec<u32> = p.partitions.iter().map(|n| split_partition(n).unwrap().1).collect();
    assert_eq!(idx, vec![0, 1, 2, 10]);
    assert_eq!(p.rate_in, 4.0);
    assert!(s.topics.contains_key("persistent://t/n/q-partition-01"));
    assert!(s.topics.contains_key("persistent://t/n/r-partition--1"));
    assert!(s.topics.contains_key("persistent://t/n/s-partition-"));
    assert_eq!(s.namespaces["t/n"].topics, 8);
}

#[test]
fn replication_per_remote_cluster() {
    let text = format!(
        "pulsar_replication_backlog{{{NS},topic=\"persistent://t/n/x-partition-0\",remote_cluster=\"west\"}} 4\n\
         pulsar_replication_backlog{{{NS},topic=\"persistent://t/n/x-partition-1\",remote_cluster=\"west\"}} 6\n\
         pulsar_replication_rate_out{{{NS},topic=\"persistent://t/n/x-partition-1\",remote_cluster=\"west\"}} 2.5\n\
         pulsar_replication_delay_in_seconds{{{NS},topic=\"persistent://t/n/x-partition-0\",remote_cluster=\"west\"}} 9\n\
         pulsar_replication_delay_in_seconds{{{NS},topic=\"persistent://t/n/x-partition-1\",remote_cluster=\"west\"}} 3\n\
         pulsar_replication_backlog{{{NS},topic=\"persistent://t/n/x-partition-1\",remote_cluster=\"south\"}} 1\n"
    );
    let s = build(&text);
    let r = &s.topics["persistent://t/n/x"].replication;
    assert_eq!(r["west"].backlog, 10);
    assert_eq!(r["west"].rate_out, 2.5);
    assert_eq!(r["west"].delay_secs, 9.0);
    assert_eq!(r["south"].backlog, 1);
    assert_eq!(s.namespaces["t/n"].replication["west"].backlog, 10);
}

#[test]
fn blocked_flag_and_connection_counts_over_partitions() {
    let mut text = String::new();
    for i in 0..3 {
        let t = format!("persistent://t/n/x-partition-{i}");
        text.push_str(&format!(
            "pulsar_subscription_blocked_on_unacked_messages{{{NS},topic=\"{t}\",subscription=\"s\"}} {}\n",
            u8::from(i == 1)
        ));
        text.push_str(&format!("pulsar_subscription_consumers_count{{{NS},topic=\"{t}\",subscription=\"s\"}} 2\n"));
        text.push_str(&format!("pulsar_producers_count{{{NS},topic=\"{t}\"}} 1\n"));
        text.push_str(&format!("pulsar_consumers_count{{{NS},topic=\"{t}\"}} 2\n"));
    }
    let s = build(&text);
    let sub = &s.subscriptions[&("persistent://t/n/x".into(), "s".into())];
    assert!(sub.blocked);
    assert_eq!(sub.consumers, 2);
    assert_eq!(sub.partitions, 3);
    let t = &s.topics["persistent://t/n/x"];
    assert_eq!((t.producers, t.consumers), (1, 2));
    // Namespace totals count per partition, like Pulsar's namespace series.
    assert_eq!(s.namespaces["t/n"].producers, 3);
}

#[test]
fn merging_brokers_sums_and_records_failures() {
    let b1 = format!(
        "pulsar_msg_backlog{{{NS},topic=\"persistent://t/n/a\"}} 5\n\
         pulsar_subscription_back_log{{{NS},topic=\"persistent://t/n/a\",subscription=\"s\"}} 5\n"
    );
    let b2 = format!(
        "pulsar_msg_backlog{{{NS},topic=\"persistent://t/n/b\"}} 1\n\
         pulsar_msg_backlog{{{NS},topic=\"persistent://t/n/a\"}} 2\n\
         pulsar_subscription_back_log{{{NS},topic=\"persistent://t/n/a\",subscription=\"s\"}} 2\n"
    );
    // One builder fed sequentially.
    let mut b = SnapshotBuilder::new();
    let st = parse_str(&b1, |s| b.ingest(s));
    b.add_broker_result("b1", Ok(st), 10);
    let st = parse_str(&b2, |s| b.ingest(s));
    b.add_broker_result("b2", Ok(st), 11);
    b.add_broker_result("b3", Err("connection refused".into()), 12);
    let s1 = b.finish();
    // Per-broker builders merged.
    let mut x = SnapshotBuilder::new();
    x.ingest_scrape("b1", b1.as_bytes(), &ParseOptions::default(), 10);
    let mut y = SnapshotBuilder::new();
    y.ingest_scrape("b2", b2.as_bytes(), &ParseOptions::default(), 11);
    let mut z = SnapshotBuilder::new();
    z.add_broker_result("b3", Err("connection refused".into()), 12);
    x.merge(y);
    x.merge(z);
    let s2 = x.finish();
    assert_eq!(s1, s2);
    assert_eq!(s1.topics["persistent://t/n/a"].msg_backlog, 7);
    assert_eq!(s1.subscriptions[&("persistent://t/n/a".into(), "s".into())].backlog, 7);
    assert_eq!(s1.namespaces["t/n"].msg_backlog, 8);
    assert_eq!(s1.brokers.len(), 3);
    assert_eq!(s1.failed_brokers().count(), 1);
    assert_eq!(s1.brokers[2].topic_level, None);
    assert_eq!(s1.brokers[0].topic_level, Some(true));
}

#[test]
fn scrape_too_large_is_a_broker_failure() {
    let text = format!("pulsar_msg_backlog{{{NS},topic=\"persistent://t/n/a\"}} 5\n").repeat(100);
    let mut b = SnapshotBuilder::new();
    let opts = ParseOptions { max_bytes: Some(1000), ..ParseOptions::default() };
    let st = b.ingest_scrape("big", text.as_bytes(), &opts, 1);
    let err = st.result.as_ref().unwrap_err();
    assert!(err.contains("size limit"), "{err}");
}

#[test]
fn namespace_from_topic_name_when_label_missing() {
    assert_eq!(namespace_of_topic("persistent://t/n/x"), "t/n");
    assert_eq!(namespace_of_topic("persistent://t/c/n/x"), "t/c/n");
    assert_eq!(namespace_of_topic("x"), "");
    assert_eq!(parent_topic("persistent://t/n/x-partition-3"), "persistent://t/n/x");
    assert!(is_system_topic("persistent://public/default/__change_events"));
    let s = build("pulsar_rate_in{topic=\"persistent://a/b/c\"} 1\n");
    assert_eq!(s.topics["persistent://a/b/c"].namespace, "a/b");
}

#[test]
fn non_finite_and_negative_values() {
    let text = format!(
        "pulsar_msg_backlog{{{NS},topic=\"persistent://t/n/a\"}} NaN\n\
         pulsar_rate_in{{{NS},topic=\"persistent://t/n/a\"}} +Inf\n\
         pulsar_storage_size{{{NS},topic=\"persistent://t/n/a\"}} -1\n\
         pulsar_storage_backlog_size{{{NS},topic=\"persistent://t/n/a\"}} 1e300\n"
    );
    let mut b = SnapshotBuilder::new();
    parse_str(&text, |s| b.ingest(s));
    assert_eq!(b.ignored_non_finite(), 2);
    let s = b.finish();
    let t = &s.topics["persistent://t/n/a"];
    assert_eq!(t.msg_backlog, 0);
    assert_eq!(t.rate_in, 0.0);
    assert_eq!(t.storage_size, 0);
    assert_eq!(t.backlog_size, u64::MAX);
    serde_json::to_string(&s).unwrap();
}

/// A real scrape of a 4.0.8 standalone broker started with
/// `exposeTopicLevelMetricsInPrometheus=false` (see the fixtures README).
const NAMESPACE_LEVEL_4_0_8: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/metrics/standalone-4.0.8-namespace-level.txt"));

#[test]
fn a_real_namespace_level_scrape_is_detected_and_needs_the_admin_fallback() {
    let s = build(NAMESPACE_LEVEL_4_0_8);
    assert!(!s.topic_level);
    assert_eq!(s.brokers[0].topic_level, Some(false));
    assert!(s.topics.is_empty() && s.subscriptions.is_empty() && s.partitions.is_empty());
    let ns = &s.namespaces["public/default"];
    // nsfix-a (20 messages, sub1 unread) + nsfix-p (2 partitions, 30 messages, psub acked 10)
    assert_eq!(ns.msg_backlog, 40);
    assert_eq!(ns.storage_size, 770 + 1160, "the admin API's storageSize of both topics");
    assert_eq!(ns.in_messages_total, 50);
    assert_eq!(ns.subscriptions, 5);
    assert_eq!(ns.producers, 3);
    assert_eq!(ns.topics, 4, "pulsar_topics_count: a, p-0, p-1 and __change_events");
    // The heartbeat namespace (v1 name) is namespace-level too, but has no v2 admin listing.
    assert_eq!(s.namespace_level, vec!["public/default".to_string(), "pulsar/standalone/127.0.0.1:8090".to_string()]);
    assert_eq!(s.fallback_namespaces(), vec!["public/default".to_string()]);
}

#[test]
fn a_topic_level_scrape_needs_no_fallback() {
    let s = build(super::STANDALONE_4_0_8);
    assert!(s.namespace_level.is_empty(), "{:?}", s.namespace_level);
    assert!(s.fallback_namespaces().is_empty());
}

#[test]
fn only_the_namespace_level_broker_s_namespaces_fall_back() {
    // broker 1 exports topic-level series for t/a, broker 2 only namespace totals for t/b
    let mut b = SnapshotBuilder::new();
    let one = "pulsar_msg_backlog{cluster=\"c\",namespace=\"t/a\",topic=\"persistent://t/a/x\"} 5\n\
               pulsar_topics_count{cluster=\"c\",namespace=\"t/a\"} 1\n";
    let st = parse_str(one, |s| b.ingest(s));
    b.add_broker_result("b1", Ok(st), 0);
    let two = "pulsar_msg_backlog{cluster=\"c\",namespace=\"t/b\",remote_cluster=\"local\"} 7\n";
    let st = parse_str(two, |s| b.ingest(s));
    b.add_broker_result("b2", Ok(st), 0);
    let mut s = b.finish();
    assert!(!s.topic_level);
    assert_eq!(s.brokers.iter().map(|b| b.topic_level).collect::<Vec<_>>(), vec![Some(true), Some(false)]);
    assert_eq!(s.fallback_namespaces(), vec!["t/b".to_string()]);
    // a fallback topic is added once, with its subscriptions; one the scrape has is not replaced
    let topic = TopicMetrics {
        name: "persistent://t/b/y".into(),
        namespace: "t/b".into(),
        msg_backlog: 7,
        ..Default::default()
    };
    let sub = SubscriptionMetrics { name: "s".into(), backlog: 7, ..Default::default() };
    assert!(s.add_admin_topic(topic, vec![sub]));
    assert_eq!(
        s.subscriptions_of("persistent://t/b/y").map(|s| (s.topic.as_str(), s.backlog)).collect::<Vec<_>>(),
        [("persistent://t/b/y", 7)]
    );
    let dup = TopicMetrics { name: "persistent://t/a/x".into(), msg_backlog: 99, ..Default::default() };
    assert!(!s.add_admin_topic(dup, Vec::new()));
    assert_eq!(s.topics["persistent://t/a/x"].msg_backlog, 5);
    // namespace totals still come from the series
    assert_eq!(s.namespaces["t/b"].msg_backlog, 7);
}
