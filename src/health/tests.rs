use super::*;
use crate::metrics::model::snapshot_from_str;

const NS: &str = "cluster=\"standalone\",namespace=\"acme/shop\"";
const MIN: i64 = 60_000;
const T0: i64 = 1_700_000_000_000;

fn topic_line(topic: &str, name: &str, v: f64) -> String {
    format!("pulsar_{name}{{{NS},topic=\"persistent://acme/shop/{topic}\"}} {v}\n")
}

fn sub_line(topic: &str, sub: &str, name: &str, v: f64) -> String {
    format!("pulsar_subscription_{name}{{{NS},topic=\"persistent://acme/shop/{topic}\",subscription=\"{sub}\"}} {v}\n")
}

/// A subscription's series: backlog, consumers, and the rest given.
fn sub(topic: &str, s: &str, backlog: u64, consumers: u64, extra: &[(&str, f64)]) -> String {
    let mut text = topic_line(topic, "msg_backlog", backlog as f64);
    text += &sub_line(topic, s, "back_log", backlog as f64);
    text += &sub_line(topic, s, "consumers_count", consumers as f64);
    for (n, v) in extra {
        text += &sub_line(topic, s, n, *v);
    }
    text
}

fn snap(text: &str) -> MetricsSnapshot {
    snapshot_from_str(text, "http://b1:8080/metrics/", 0)
}

fn observe(e: &mut Engine, text: &str, details: &Details, at: i64) -> Changes {
    let s = snap(text);
    e.observe(&Input { snapshot: &s, details }, at)
}

fn kinds(e: &Engine) -> Vec<(Kind, Severity, bool)> {
    e.findings().iter().map(|f| (f.kind, f.severity, f.is_cleared())).collect()
}

const ORDERS: &str = "persistent://acme/shop/orders";

#[test]
fn a_stalled_subscription_keeps_its_first_seen_time_clears_greys_then_leaves() {
    let mut e = Engine::new(Thresholds::default());
    let d = Details::default();
    let c = observe(&mut e, &sub("orders", "billing", 120, 0, &[]), &d, T0);
    assert_eq!(c.new.len(), 1);
    let f = &c.new[0];
    assert_eq!((f.kind, f.severity), (Kind::Stalled, Severity::Warn));
    assert_eq!(f.place.topic.as_deref(), Some(ORDERS));
    assert_eq!(f.place.subscription.as_deref(), Some("billing"));
    assert_eq!(f.number("backlog"), Some(120.0));
    assert_eq!(f.action, Target::Subscription { topic: ORDERS.into(), subscription: "billing".into() });
    assert!(f.threshold.contains("health.stalled_min_backlog"), "{}", f.threshold);
    // still there later: same first-seen time, new numbers, nothing new
    let c = observe(&mut e, &sub("orders", "billing", 130, 0, &[]), &d, T0 + 5_000);
    assert!(c.new.is_empty() && c.cleared.is_empty());
    assert_eq!(e.findings()[0].since_ms, T0);
    assert_eq!(e.findings()[0].number("backlog"), Some(130.0));
    // a consumer arrives: cleared, greyed for a minute
    let c = observe(
        &mut e,
        &sub("orders", "billing", 130, 1, &[("last_acked_timestamp", (T0 + 9_000) as f64)]),
        &d,
        T0 + 10_000,
    );
    assert_eq!(c.cleared.len(), 1);
    assert_eq!(kinds(&e), vec![(Kind::Stalled, Severity::Warn, true)]);
    assert_eq!(e.counts(), Counts { critical: 0, warn: 0, cleared: 1, unlisted: 0 });
    assert!(!e.expire(T0 + 10_000 + CLEARED_FOR_MS - 1));
    assert!(e.expire(T0 + 10_000 + CLEARED_FOR_MS));
    assert!(e.findings().is_empty());
}

#[test]
fn a_finding_that_comes_back_after_clearing_is_new_again() {
    let mut e = Engine::new(Thresholds::default());
    let d = Details::default();
    observe(&mut e, &sub("orders", "billing", 5, 0, &[]), &d, T0);
    observe(&mut e, &sub("orders", "billing", 0, 0, &[]), &d, T0 + 5_000);
    let c = observe(&mut e, &sub("orders", "billing", 5, 0, &[]), &d, T0 + 10_000);
    assert_eq!(c.new.len(), 1);
    assert_eq!(c.new[0].since_ms, T0 + 10_000);
}

#[test]
fn a_backlog_growing_for_the_window_is_found_with_its_rate_and_drain() {
    let t = Thresholds { growth_minutes: 2, ..Default::default() };
    let mut e = Engine::new(t);
    let d = Details::default();
    let scrape = |i: i64| {
        let b = 1000 + i as u64 * 50;
        let mut s =
            sub("orders", "billing", b, 1, &[("msg_rate_out", 5.0), ("last_acked_timestamp", (T0 + i * 5_000) as f64)]);
        s += &topic_line("orders", "rate_in", 15.0);
        s
    };
    for i in 0..24 {
        observe(&mut e, &scrape(i), &d, T0 + i * 5_000);
        assert!(e.findings().is_empty(), "too early at {i}: {:?}", kinds(&e));
    }
    let c = observe(&mut e, &scrape(24), &d, T0 + 24 * 5_000);
    assert_eq!(c.new.len(), 1, "{:?}", kinds(&e));
    let f = &c.new[0];
    assert_eq!(f.kind, Kind::BacklogGrowing);
    assert_eq!(f.number("backlog"), Some(2200.0));
    assert_eq!(f.number("grew_by"), Some(1200.0));
    assert_eq!(f.number("per_min"), Some(600.0));
    assert!(f.what.contains("never drains at current rates"), "{}", f.what);
    // draining again: cleared
    let mut s = sub("orders", "billing", 100, 1, &[("last_acked_timestamp", (T0 + 130_000) as f64)]);
    s += &topic_line("orders", "rate_in", 1.0);
    let c = observe(&mut e, &s, &d, T0 + 130_000);
    assert_eq!(c.cleared.len(), 1);
}

#[test]
fn the_oldest_unacked_message_is_a_warning_then_critical() {
    let t = Thresholds { oldest_unacked_warn_secs: 600, oldest_unacked_critical_secs: 3600, ..Default::default() };
    let mut e = Engine::new(t);
    let mut d = Details::default();
    let key = (ORDERS.to_string(), "billing".to_string());
    let text = sub("orders", "billing", 10, 1, &[("last_acked_timestamp", (T0 - 1_000) as f64)]);
    d.subscriptions.insert(key.clone(), SubDetail { earliest_publish_ms: Some(T0 - 5 * MIN) });
    observe(&mut e, &text, &d, T0);
    assert!(e.findings().is_empty(), "5 min is young");
    d.subscriptions.insert(key.clone(), SubDetail { earliest_publish_ms: Some(T0 - 11 * MIN) });
    observe(&mut e, &text, &d, T0);
    let f = e.findings()[0].clone();
    assert_eq!((f.kind, f.severity), (Kind::OldestUnacked, Severity::Warn));
    assert_eq!(f.number("age_secs"), Some(660.0));
    assert!(f.threshold.contains("oldest_unacked_warn_secs"), "{}", f.threshold);
    d.subscriptions.insert(key, SubDetail { earliest_publish_ms: Some(T0 - 2 * 3600 * 1000) });
    observe(&mut e, &text, &d, T0);
    assert_eq!(kinds(&e), vec![(Kind::OldestUnacked, Severity::Critical, false)]);
}

#[test]
fn blocked_redelivering_and_expiring_subscriptions() {
    let mut e = Engine::new(Thresholds::default());
    let text = sub(
        "orders",
        "billing",
        500,
        1,
        &[
            ("blocked_on_unacked_messages", 1.0),
            ("unacked_messages", 200.0),
            ("msg_rate_redeliver", 12.5),
            ("last_acked_timestamp", T0 as f64),
            ("total_msg_expired", 40.0),
            ("last_expire_timestamp", (T0 - 10 * MIN) as f64),
        ],
    );
    observe(&mut e, &text, &Details::default(), T0);
    assert_eq!(
        kinds(&e),
        vec![
            (Kind::Blocked, Severity::Critical, false),
            (Kind::Redelivery, Severity::Warn, false),
            (Kind::Expired, Severity::Warn, false),
        ]
    );
    let f = e.findings();
    assert_eq!(f[0].number("unacked"), Some(200.0));
    assert_eq!(f[1].number("rate_redeliver"), Some(12.5));
    assert_eq!(f[2].number("total_expired"), Some(40.0));
    assert!(f[2].what.contains("the last 10m ago") || f[2].what.contains("10m"), "{}", f[2].what);
    // an expiry two hours ago is not news
    let mut e = Engine::new(Thresholds::default());
    let old = sub("orders", "billing", 0, 1, &[("last_expire_timestamp", (T0 - 120 * MIN) as f64)]);
    observe(&mut e, &old, &Details::default(), T0);
    assert!(e.findings().is_empty(), "{:?}", kinds(&e));
}

#[test]
fn dead_letters_name_their_origin_and_the_last_arrival() {
    let mut e = Engine::new(Thresholds::default());
    let mut text = sub("orders", "billing", 0, 1, &[("last_acked_timestamp", T0 as f64)]);
    text += &topic_line("orders-billing-DLQ", "in_messages_total", 7.0);
    text += &topic_line("orders-billing-DLQ", "storage_size", 700.0);
    let mut d = Details::default();
    // nothing recent known yet: quiet
    observe(&mut e, &text, &d, T0);
    assert!(e.findings().is_empty(), "{:?}", kinds(&e));
    d.letters.insert(format!("{ORDERS}-billing-DLQ"), LetterFact { newest_publish_ms: Some(T0 - 2 * MIN) });
    observe(&mut e, &text, &d, T0);
    let f = e.findings()[0].clone();
    assert_eq!(f.kind, Kind::DeadLetters);
    assert_eq!(f.place.origin.as_deref(), Some(ORDERS));
    assert_eq!(f.place.subscription.as_deref(), Some("billing"));
    assert_eq!(f.action, Target::DeadLetters { topic: format!("{ORDERS}-billing-DLQ") });
    assert!(f.what.contains("from orders ⤷ billing"), "{}", f.what);
    // the counter rising is an arrival too, even without the admin fact
    let mut e = Engine::new(Thresholds::default());
    let d = Details::default();
    observe(&mut e, &text, &d, T0);
    let more = text.replace("in_messages_total{cluster=\"standalone\",namespace=\"acme/shop\",topic=\"persistent://acme/shop/orders-billing-DLQ\"} 7", "in_messages_total{cluster=\"standalone\",namespace=\"acme/shop\",topic=\"persistent://acme/shop/orders-billing-DLQ\"} 9");
    observe(&mut e, &more, &d, T0 + 5_000);
    assert_eq!(kinds(&e), vec![(Kind::DeadLetters, Severity::Warn, false)]);
    // a DLQ without consumer is not "stalled": the DLQ finding covers it
    assert!(!kinds(&e).iter().any(|k| k.0 == Kind::Stalled));
}

#[test]
fn backlog_quota_at_80_percent_then_over_with_its_policy() {
    let mut e = Engine::new(Thresholds::default());
    let q = |size: f64| {
        let mut s = sub("orders", "billing", 10, 0, &[]);
        s += &topic_line("orders", "storage_backlog_size", size);
        s += &topic_line("orders", "storage_backlog_quota_limit", 1000.0);
        s += &topic_line("orders", "storage_backlog_quota_limit_time", -1.0);
        s
    };
    let mut d = Details::default();
    observe(&mut e, &q(700.0), &d, T0);
    assert!(!kinds(&e).iter().any(|k| k.0 == Kind::QuotaNear));
    observe(&mut e, &q(850.0), &d, T0 + 10_000);
    let f = e.findings().into_iter().find(|f| f.kind == Kind::QuotaNear).unwrap().clone();
    assert_eq!(f.number("percent"), Some(85.0));
    assert_eq!(f.number("limit_bytes"), Some(1000.0));
    // 150 bytes in 10 s: 15 B/s, 150 bytes left: 10 s
    assert_eq!(f.number("time_left_secs"), Some(10.0));
    d.quotas.insert(ORDERS.into(), QuotaPolicy { size: Some("producer_exception".into()), time: None });
    observe(&mut e, &q(1000.0), &d, T0 + 20_000);
    let over = e.findings()[0].clone();
    assert_eq!((over.kind, over.severity), (Kind::QuotaExceeded, Severity::Critical));
    assert!(over.what.contains("producers are refused"), "{}", over.what);
    assert_eq!(e.counts().cleared, 1, "the 80 % finding cleared as the exceeded one came");
}

#[test]
fn one_scrape_estimates_the_time_left_from_the_rates_in_and_out() {
    let mut e = Engine::new(Thresholds::default());
    // 900 of 1000 bytes; 20 B/s in, the slowest subscription takes 5 B/s out: 15 B/s net
    let mut s = sub("orders", "billing", 10, 1, &[("msg_throughput_out", 5.0)]);
    s += &sub_line("orders", "fast", "back_log", 0.0);
    s += &sub_line("orders", "fast", "msg_throughput_out", 20.0);
    s += &topic_line("orders", "throughput_in", 20.0);
    s += &topic_line("orders", "storage_backlog_size", 900.0);
    s += &topic_line("orders", "storage_backlog_quota_limit", 1000.0);
    observe(&mut e, &s, &Details::default(), T0);
    let f = e.findings().into_iter().find(|f| f.kind == Kind::QuotaNear).unwrap().clone();
    assert_eq!(f.number("growth_bytes_per_sec"), Some(15.0));
    assert_eq!(f.number("time_left_secs"), Some(7.0), "100 bytes at 15 B/s");
    assert!(f.what.contains("full in"), "{}", f.what);
    // nothing coming in: not growing, no time left
    let flat = s.replace("throughput_in{", "throughput_in_unused{");
    let mut e = Engine::new(Thresholds::default());
    observe(&mut e, &flat, &Details::default(), T0);
    let f = e.findings().into_iter().find(|f| f.kind == Kind::QuotaNear).unwrap().clone();
    assert_eq!(f.number("time_left_secs"), None);
    assert!(f.what.contains("not growing"), "{}", f.what);
}

#[test]
fn a_broker_that_leaves_the_discovered_list_is_critical_until_it_is_back() {
    let scrape = |urls: &[&str]| {
        let mut b = crate::metrics::SnapshotBuilder::new();
        for u in urls {
            b.add_broker_result(*u, Ok(Default::default()), 0);
        }
        b.finish()
    };
    let (b1, b2) = ("http://b1:8080/metrics/", "http://b2:8080/metrics/");
    let d = Details::default();
    let mut e = Engine::new(Thresholds::default());
    let both = scrape(&[b1, b2]);
    assert!(e.observe(&Input { snapshot: &both, details: &d }, T0).new.is_empty());
    let one = scrape(&[b1]);
    let c = e.observe(&Input { snapshot: &one, details: &d }, T0 + 5_000);
    assert_eq!(c.new.len(), 1, "{:?}", c.new);
    let f = &c.new[0];
    assert_eq!((f.kind, f.severity), (Kind::BrokerUnhealthy, Severity::Critical));
    assert_eq!(f.place.broker.as_deref(), Some(b2));
    // listed again: cleared
    let c = e.observe(&Input { snapshot: &both, details: &d }, T0 + 10_000);
    assert_eq!(c.cleared.len(), 1);
    assert_eq!(e.counts().critical, 0);
}

#[test]
fn brokers_failed_scrape_health_and_version_skew() {
    let mut b = crate::metrics::SnapshotBuilder::new();
    b.add_broker_result("http://b1:8080/metrics/", Ok(Default::default()), 0);
    b.add_broker_result("http://b2:8080/metrics/", Err("connection refused".into()), 0);
    let s = b.finish();
    let d = Details {
        brokers: vec![
            BrokerFact { broker: "http://b1:8080/metrics/".into(), health_error: None, version: Some("4.0.8".into()) },
            BrokerFact {
                broker: "http://b2:8080/metrics/".into(),
                health_error: Some("unreachable".into()),
                version: None,
            },
            BrokerFact { broker: "http://b3:8080/metrics/".into(), health_error: None, version: Some("4.0.8".into()) },
            BrokerFact { broker: "http://b4:8080/metrics/".into(), health_error: None, version: Some("3.3.1".into()) },
        ],
        ..Default::default()
    };
    let mut e = Engine::new(Thresholds::default());
    e.observe(&Input { snapshot: &s, details: &d }, T0);
    assert_eq!(
        kinds(&e),
        vec![
            (Kind::ScrapeFailed, Severity::Critical, false),
            (Kind::BrokerUnhealthy, Severity::Critical, false),
            (Kind::VersionSkew, Severity::Warn, false),
        ]
    );
    let skew = e.findings()[2];
    assert_eq!(skew.place.broker.as_deref(), Some("http://b4:8080/metrics/"));
    assert!(skew.what.contains("3.3.1") && skew.what.contains("4.0.8"), "{}", skew.what);
}

#[test]
fn wants_are_bounded_and_pick_the_largest_suspects() {
    let mut text = String::new();
    for i in 0..30 {
        text += &sub(&format!("t{i:02}"), "s", 100 + i, 0, &[]);
    }
    // a healthy subscription that acked just now needs no call
    text += &sub("healthy", "s", 10_000, 1, &[("last_acked_timestamp", T0 as f64)]);
    text += &topic_line("x-s-DLQ", "storage_size", 10.0);
    let s = snap(&text);
    let t = Thresholds { detail_limit: 5, ..Default::default() };
    let w = wants(&s, &t, T0);
    let names: Vec<&str> = w.ages.iter().map(|(n, _)| n.rsplit('/').next().unwrap()).collect();
    assert_eq!(names, ["t29", "t28", "t27", "t26", "t25"]);
    assert_eq!(w.letters.len(), 1);
    assert_eq!(w.brokers, ["http://b1:8080/metrics/"]);
    // ages, one letter, the broker's two, the open transactions
    assert!(w.calls() <= 5 + 1 + 2 + 1);
}

#[test]
fn ranking_is_critical_first_then_by_size() {
    let mut e = Engine::new(Thresholds::default());
    let mut text = sub("small", "s", 5, 0, &[]);
    text += &sub("big", "s", 5000, 0, &[]);
    text += &sub("stuck", "s", 1, 1, &[("blocked_on_unacked_messages", 1.0), ("last_acked_timestamp", T0 as f64)]);
    observe(&mut e, &text, &Details::default(), T0);
    let order: Vec<String> = e.findings().iter().map(|f| f.place.display()).collect();
    assert_eq!(order, ["acme/shop/stuck ⤷ s", "acme/shop/big ⤷ s", "acme/shop/small ⤷ s"]);
    assert_eq!(e.counts(), Counts { critical: 1, warn: 2, cleared: 0, unlisted: 0 });
}

#[test]
fn thresholds_from_toml_keep_defaults_and_refuse_unknown_keys() {
    let t: Thresholds = toml::from_str("growth_minutes = 3").unwrap();
    assert_eq!(t.growth_minutes, 3);
    assert_eq!(t.quota_warn_percent, 80.0);
    assert!(toml::from_str::<Thresholds>("growth_minute = 3").is_err());
    let bad = Thresholds { growth_minutes: 0, quota_warn_percent: 120.0, ..Default::default() };
    assert_eq!(bad.problems().len(), 2);
    assert_eq!(bad.sane().growth_minutes, 5);
}

/// A replicator towards `remote` of `orders`, as the broker exports it.
fn repl(remote: &str, connected: u64, backlog: u64, delay: f64) -> String {
    let line = |name: &str, v: f64| {
        format!("pulsar_replication_{name}{{{NS},topic=\"{ORDERS}\",remote_cluster=\"{remote}\"}} {v}\n")
    };
    line("connected_count", connected as f64) + &line("backlog", backlog as f64) + &line("delay_in_seconds", delay)
}

#[test]
fn a_disconnected_replicator_is_critical_and_a_delay_over_the_threshold_warns() {
    let t = Thresholds { replication_delay_warn_secs: 60, ..Thresholds::default() };
    let mut e = Engine::new(t);
    let d = Details::default();
    // connected, caught up: nothing
    let c = observe(&mut e, &repl("west", 1, 0, 0.0), &d, T0);
    assert!(c.new.is_empty(), "{:?}", c.new);
    // disconnected, 40 s behind: critical, no delay finding yet
    let c = observe(&mut e, &repl("west", 0, 12, 40.0), &d, T0 + 5_000);
    assert_eq!(c.new.len(), 1, "{:?}", c.new);
    let f = &c.new[0];
    assert_eq!((f.kind, f.severity), (Kind::ReplicatorDisconnected, Severity::Critical));
    assert_eq!(f.place.remote.as_deref(), Some("west"));
    assert_eq!(f.place.topic.as_deref(), Some(ORDERS));
    assert_eq!(f.number("backlog"), Some(12.0));
    // 90 s behind: the delay finding too, with its threshold key
    let c = observe(&mut e, &repl("west", 0, 30, 90.0), &d, T0 + 55_000);
    assert_eq!(c.new.len(), 1, "{:?}", c.new);
    let f = &c.new[0];
    assert_eq!((f.kind, f.severity), (Kind::ReplicationDelayed, Severity::Warn));
    assert_eq!(f.number("delay_secs"), Some(90.0));
    assert!(f.threshold.contains("health.replication_delay_warn_secs"), "{}", f.threshold);
    // back and drained: both clear
    let c = observe(&mut e, &repl("west", 1, 0, 0.0), &d, T0 + 60_000);
    assert_eq!(c.cleared.len(), 2, "{:?}", c.cleared);
    assert!(kinds(&e).iter().all(|(_, _, cleared)| *cleared));
}

#[test]
fn a_replication_backlog_that_only_grows_warns_after_growth_minutes() {
    let t = Thresholds { growth_minutes: 2, growth_min_messages: 10, ..Thresholds::default() };
    let mut e = Engine::new(t);
    let d = Details::default();
    for (i, backlog) in [5u64, 20, 40, 60].into_iter().enumerate() {
        observe(&mut e, &repl("west", 1, backlog, 1.0), &d, T0 + i as i64 * MIN);
    }
    let f: Vec<_> = e.findings().into_iter().filter(|f| f.kind == Kind::ReplicationGrowing).collect();
    assert_eq!(f.len(), 1, "{:?}", kinds(&e));
    assert_eq!(f[0].number("backlog"), Some(60.0));
    assert!(f[0].number("grew_by").is_some_and(|g| g >= 10.0));
    // drained: cleared
    observe(&mut e, &repl("west", 1, 0, 0.0), &d, T0 + 4 * MIN);
    assert!(e.findings().iter().filter(|f| f.kind == Kind::ReplicationGrowing).all(|f| f.is_cleared()));
}

fn txn_fact(open_ms: i64, held: u64) -> TxnFact {
    let part = format!("{ORDERS}-partition-1");
    TxnFact {
        txn: "(0,7)".into(),
        open_ms,
        timeout_ms: 3_600_000,
        produced: vec![part.clone()],
        acked: vec![(ORDERS.into(), "audit".into())],
        holds_back: (held > 0)
            .then(|| HeldBackFact {
                topic: part,
                entries: held,
                max_read_position: "12:4".into(),
                last_entry: "12:9".into(),
            })
            .into_iter()
            .collect(),
    }
}

#[test]
fn a_transaction_open_too_long_warns_and_is_critical_when_it_holds_readers_back() {
    let t = Thresholds { txn_open_warn_secs: 60, ..Thresholds::default() };
    let mut e = Engine::new(t.clone());
    // open 30 s: under the threshold (the facts may list it: the broker's clock is not ours)
    let d = Details { transactions: vec![txn_fact(T0 - 30_000, 0)], ..Default::default() };
    assert!(observe(&mut e, "", &d, T0).new.is_empty());
    // open 2 min, nothing held back: a warning on the topic it produced to
    let c = observe(&mut e, "", &d, T0 + 90_000);
    assert_eq!(c.new.len(), 1);
    let f = &c.new[0];
    assert_eq!((f.kind, f.severity), (Kind::TxnStuck, Severity::Warn));
    assert_eq!(f.place.topic.as_deref(), Some(ORDERS), "a partition's parent");
    assert_eq!(f.place.namespace.as_deref(), Some("acme/shop"));
    assert_eq!(f.number("age_secs"), Some(120.0));
    assert_eq!(f.number("held_back"), Some(0.0));
    assert_eq!(f.action, Target::Transaction { txn: "(0,7)".into() });
    assert!(f.what.contains("transaction (0,7) open 2m"), "{}", f.what);
    assert!(f.threshold.contains("health.txn_open_warn_secs"), "{}", f.threshold);
    // it now pins the max read position: critical, same finding (first seen kept)
    let d = Details { transactions: vec![txn_fact(T0 - 30_000, 5)], ..Default::default() };
    let c = observe(&mut e, "", &d, T0 + 95_000);
    assert!(c.new.is_empty() && c.cleared.is_empty(), "{c:?}");
    let f = e.findings()[0].clone();
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.since_ms, T0 + 90_000);
    assert_eq!(f.number("held_back"), Some(5.0));
    assert!(f.what.contains("≥ 5 entries held back") && f.what.contains("12:4"), "{}", f.what);
    // committed or aborted: the coordinator lists it no more, the finding clears
    let c = observe(&mut e, "", &Details::default(), T0 + 100_000);
    assert_eq!(c.cleared.len(), 1);
    assert_eq!(kinds(&e), [(Kind::TxnStuck, Severity::Critical, true)]);
    // 0 turns the rule off, and the wants no longer ask
    let off = Thresholds { txn_open_warn_secs: 0, ..Thresholds::default() };
    let mut e = Engine::new(off.clone());
    assert!(observe(&mut e, "", &d, T0 + 95_000).new.is_empty());
    assert_eq!(wants(&snap(""), &off, T0).transactions_older_than_ms, None);
    assert_eq!(wants(&snap(""), &t, T0).transactions_older_than_ms, Some(60_000));
}

#[test]
fn beyond_the_listed_per_kind_findings_are_counted_keep_their_age_and_never_clear_by_ranking() {
    let mut e = Engine::listing_per_kind(Thresholds::default(), 2);
    let d = Details::default();
    let stalled = |backlogs: &[u64]| -> String {
        backlogs.iter().enumerate().map(|(i, &b)| sub(&format!("t{i}"), "s", b, 0, &[])).collect()
    };
    let names = |e: &Engine| -> Vec<String> {
        e.findings()
            .iter()
            .filter_map(|f| f.place.topic.as_deref().map(|t| t.rsplit('/').next().unwrap_or(t).to_string()))
            .collect()
    };
    // four stalled subscriptions: the two largest are listed, all four counted
    let c = observe(&mut e, &stalled(&[500, 400, 300, 200]), &d, T0);
    assert_eq!(c.new.len(), 2, "only listed findings are reported new");
    assert_eq!(names(&e), vec!["t0", "t1"]);
    assert_eq!(e.counts(), Counts { critical: 0, warn: 4, cleared: 0, unlisted: 2 });
    // t3 grows past the others: listed, with the age it has had since T0; t1 leaves the
    // list without being reported cleared (its condition still holds)
    let c = observe(&mut e, &stalled(&[500, 400, 300, 900]), &d, T0 + 5_000);
    assert!(c.cleared.is_empty(), "{:?}", c.cleared);
    assert_eq!(names(&e), vec!["t3", "t0"]);
    assert!(e.findings().iter().all(|f| f.since_ms == T0), "ages kept across the list's edge");
    assert_eq!(c.new.len(), 0, "t3 was already a finding, only unlisted");
    // t0's consumer arrives: t0 clears (greyed, listed), t1 rises into the list
    let mut text = stalled(&[0, 400, 300, 900]);
    text += &sub("t0", "s", 500, 1, &[]);
    let c = observe(&mut e, &text, &d, T0 + 10_000);
    assert_eq!(c.cleared.len(), 1);
    assert_eq!(names(&e), vec!["t3", "t1", "t0"], "active first, then the cleared one");
    assert_eq!(e.counts(), Counts { critical: 0, warn: 3, cleared: 1, unlisted: 1 });
    // the one-off engine lists everything
    let mut all = Engine::new(Thresholds::default());
    observe(&mut all, &stalled(&[500, 400, 300, 200]), &d, T0);
    assert_eq!(all.findings().len(), 4);
    assert_eq!(all.counts().unlisted, 0);
}
