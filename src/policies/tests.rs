use serde_json::json;

use super::edit::{
    drops_data, parse_bytes, parse_seconds, preview_remove, preview_set, remove_call, set_call, EditKey, Reach,
};
use super::*;

fn broker() -> BrokerConfig {
    let kv = [
        ("defaultRetentionTimeInMinutes", "0"),
        ("defaultRetentionSizeInMB", "0"),
        ("ttlDurationDefaultInSeconds", "0"),
        ("backlogQuotaDefaultLimitGB", "10"),
        ("backlogQuotaDefaultLimitBytes", "-1"),
        ("backlogQuotaDefaultLimitSecond", "-1"),
        ("backlogQuotaDefaultRetentionPolicy", "producer_request_hold"),
        ("maxUnackedMessagesPerConsumer", "50000"),
        ("maxUnackedMessagesPerSubscription", "200000"),
        ("schemaCompatibilityStrategy", "FULL"),
        ("subscriptionTypesEnabled", "[Failover, Shared]"),
        ("topicLevelPoliciesEnabled", "true"),
        ("systemTopicEnabled", "true"),
    ];
    BrokerConfig(kv.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

fn topic() -> Target {
    Target::parse("persistent://t/ns/orders").unwrap()
}

#[test]
fn every_edit_key_names_a_policy_of_the_catalogue() {
    for k in EditKey::ALL {
        assert!(PolicyDef::by_key(k.policy()).is_some(), "{}", k.name());
        assert_eq!(EditKey::parse(k.name()), Ok(k));
    }
    let mut keys: Vec<_> = CATALOGUE.iter().map(|d| d.key).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), CATALOGUE.len(), "catalogue keys are unique");
}

#[test]
fn targets_parse_namespaces_and_topics() {
    assert_eq!(Target::parse("public/default"), Ok(Target::Namespace("public/default".into())));
    assert!(matches!(Target::parse("public/default/t-partition-2"), Ok(Target::Topic(t)) if t.local == "t"));
    assert!(Target::parse("public").is_err());
    assert_eq!(topic().path("messageTTL"), "/admin/v2/persistent/t/ns/orders/messageTTL");
    assert_eq!(Target::Namespace("t/ns".into()).path("retention"), "/admin/v2/namespaces/t/ns/retention");
}

#[test]
fn topic_then_namespace_then_broker_default() {
    let def = PolicyDef::by_key("message-ttl").unwrap();
    let b = broker();
    let r =
        resolve(def, Level::Topic, &Raw { topic: Some(json!(60)), namespace: Some(json!(3600)), applied: None }, &b);
    assert_eq!((r.value, r.source), (Some(json!(60)), Source::Topic));
    let r = resolve(def, Level::Topic, &Raw { topic: None, namespace: Some(json!(3600)), applied: None }, &b);
    assert_eq!((r.value.clone(), r.source), (Some(json!(3600)), Source::Namespace));
    assert_eq!(r.display, "3600 s (1h)");
    let r = resolve(def, Level::Topic, &Raw::default(), &b);
    assert_eq!((r.value, r.source, r.display.as_str()), (Some(json!(0)), Source::Broker, "0 (off)"));
    // a namespace target ignores a topic value
    let r = resolve(def, Level::Namespace, &Raw { topic: Some(json!(1)), namespace: None, applied: None }, &b);
    assert_eq!(r.source, Source::Broker);
}

#[test]
fn broker_defaults_follow_the_runtime_configuration() {
    let b = broker();
    // standalone.conf's 10 GB: BacklogQuotaManager uses GB × 2^30
    let q = resolve(PolicyDef::by_key("backlog-quota-size").unwrap(), Level::Namespace, &Raw::default(), &b);
    assert_eq!(q.value, Some(json!({"limitSize": 10737418240i64, "limitTime": -1, "policy": "producer_request_hold"})));
    let s = resolve(
        PolicyDef::by_key("subscription-types").unwrap(),
        Level::Namespace,
        &Raw { namespace: Some(json!([])), ..Raw::default() },
        &b,
    );
    assert_eq!((s.value, s.source), (Some(json!(["Failover", "Shared"])), Source::Broker));
    let c = resolve(
        PolicyDef::by_key("schema-compatibility").unwrap(),
        Level::Namespace,
        &Raw { namespace: Some(json!("UNDEFINED")), ..Raw::default() },
        &b,
    );
    assert_eq!((c.value, c.source), (Some(json!("FULL")), Source::Broker));
    let o = resolve(PolicyDef::by_key("offload-policies").unwrap(), Level::Namespace, &Raw::default(), &b);
    assert_eq!((o.value, o.source, o.display.as_str()), (None, Source::Unset, "not set"));
}

#[test]
fn backlog_quota_types_resolve_separately() {
    let b = broker();
    let map_topic = json!({"destination_storage": {"limitSize": 1000, "limitTime": 0, "policy": "producer_exception"}});
    let map_ns = json!({"message_age": {"limitSize": 0, "limitTime": 60, "policy": "consumer_backlog_eviction"}});
    let raw = Raw { topic: Some(map_topic), namespace: Some(map_ns), applied: None };
    let size = resolve(PolicyDef::by_key("backlog-quota-size").unwrap(), Level::Topic, &raw, &b);
    let time = resolve(PolicyDef::by_key("backlog-quota-time").unwrap(), Level::Topic, &raw, &b);
    assert_eq!(size.source, Source::Topic);
    assert_eq!(size.display, "1000 B, producer_exception");
    assert_eq!(time.source, Source::Namespace);
    assert_eq!(time.display, "60 s (1m), consumer_backlog_eviction");
}

#[test]
fn values_parse_with_units() {
    assert_eq!(parse_seconds("2h"), Some(7200));
    assert_eq!(parse_seconds("-1"), Some(-1));
    assert_eq!(parse_seconds("x"), None);
    assert_eq!(parse_bytes("64K"), Some(65536));
    assert_eq!(parse_bytes("1.5MiB"), Some(1572864));
    assert_eq!(EditKey::RetentionTime.parse_value("7d"), Ok(json!(10080)));
    assert_eq!(EditKey::RetentionTime.parse_value("90"), Ok(json!(90)));
    assert_eq!(EditKey::RetentionSize.parse_value("2G"), Ok(json!(2048)));
    assert_eq!(EditKey::SchemaCompatibility.parse_value("backward"), Ok(json!("BACKWARD")));
    assert!(EditKey::BacklogQuotaSizePolicy.parse_value("drop").is_err());
    assert!(EditKey::Ttl.parse_value("-5").is_err());
    assert_eq!(EditKey::Deduplication.parse_value("on"), Ok(json!(true)));
}

#[test]
fn calls_follow_the_admin_api_quirks() {
    let t = topic();
    let ns = Target::Namespace("t/ns".into());
    // topic TTL is a query parameter: a body is accepted and ignored
    let c = set_call(&t, "message-ttl", &json!(60)).unwrap();
    assert_eq!(
        (c.method, c.path.as_str(), c.body),
        ("POST", "/admin/v2/persistent/t/ns/orders/messageTTL?messageTTL=60", None)
    );
    assert_eq!(set_call(&ns, "message-ttl", &json!(60)).unwrap().body, Some(json!(60)));
    assert_eq!(set_call(&ns, "compaction-threshold", &json!(1)).unwrap().method, "PUT");
    assert_eq!(set_call(&t, "compaction-threshold", &json!(1)).unwrap().method, "POST");
    assert_eq!(
        set_call(&t, "deduplication", &json!(true)).unwrap().path,
        "/admin/v2/persistent/t/ns/orders/deduplicationEnabled"
    );
    assert_eq!(
        set_call(&t, "max-unacked-per-consumer", &json!(1)).unwrap().path,
        "/admin/v2/persistent/t/ns/orders/maxUnackedMessagesOnConsumer"
    );
    let q = set_call(&t, "backlog-quota-time", &json!({"limit": 0, "limitTime": 9, "policy": "producer_exception"}))
        .unwrap();
    assert_eq!(q.path, "/admin/v2/persistent/t/ns/orders/backlogQuota?backlogQuotaType=message_age");
    assert_eq!(q.body, Some(json!({"limitTime": 9, "policy": "producer_exception"})));
    // the namespace schema strategy has no DELETE: UNDEFINED removes it
    let r = remove_call(&ns, "schema-compatibility").unwrap();
    assert_eq!((r.method, r.body), ("PUT", Some(json!("UNDEFINED"))));
    assert_eq!(
        remove_call(&t, "backlog-quota-size").unwrap().path,
        "/admin/v2/persistent/t/ns/orders/backlogQuota?backlogQuotaType=destination_storage"
    );
    assert!(set_call(&ns, "max-message-size", &json!(1)).is_none());
}

#[test]
fn what_can_drop_data() {
    assert!(drops_data("message-ttl", &json!(0), &json!(3600)).is_some(), "off → on expires messages");
    assert!(drops_data("message-ttl", &json!(3600), &json!(60)).is_some());
    assert!(drops_data("message-ttl", &json!(60), &json!(3600)).is_none());
    assert!(drops_data("message-ttl", &json!(60), &json!(0)).is_none(), "turning TTL off keeps everything");
    let r = |t: i64, s: i64| json!({"retentionTimeInMinutes": t, "retentionSizeInMB": s});
    assert!(drops_data("retention", &r(-1, -1), &r(60, -1)).is_some());
    assert!(drops_data("retention", &r(60, 100), &r(60, 10)).is_some());
    assert!(drops_data("retention", &r(60, 10), &r(120, -1)).is_none());
    let q = |n: i64, p: &str| json!({"limitSize": n, "limitTime": -1, "policy": p});
    assert!(drops_data("backlog-quota-size", &q(100, "producer_request_hold"), &q(100, "consumer_backlog_eviction"))
        .is_some());
    assert!(drops_data(
        "backlog-quota-size",
        &q(100, "consumer_backlog_eviction"),
        &q(10, "consumer_backlog_eviction")
    )
    .is_some());
    assert!(drops_data(
        "backlog-quota-size",
        &q(10, "consumer_backlog_eviction"),
        &q(100, "consumer_backlog_eviction")
    )
    .is_none());
    assert!(drops_data("backlog-quota-size", &q(100, "producer_request_hold"), &q(10, "producer_exception")).is_none());
    assert!(drops_data("max-unacked-per-consumer", &json!(10), &json!(1)).is_none());
}

fn effectives(target: &Target, raws: &[(&'static str, Raw)]) -> Effectives {
    resolve_all(target, &raws.iter().cloned().collect(), &broker())
}

#[test]
fn previews_say_before_after_and_who() {
    let t = topic();
    let eff = effectives(&t, &[("message-ttl", Raw { namespace: Some(json!(3600)), ..Raw::default() })]);
    let reach = Reach { subscriptions: Some(2), producers: Some(1), consumers: Some(0), topics: None };
    let p = preview_set(&t, &eff, EditKey::Ttl, "10m", &reach).unwrap();
    assert_eq!((p.before.as_str(), p.before_source), ("3600 s (1h)", Source::Namespace));
    assert_eq!((p.after.as_str(), p.after_source), ("600 s (10m)", Source::Topic));
    assert_eq!(p.confirm.as_deref(), Some("orders"), "a shorter TTL asks for the topic's name");
    assert_eq!(p.affects, "only orders: 2 subscriptions, 1 producer, 0 consumers");
    let p = preview_set(&t, &eff, EditKey::Ttl, "2h", &reach).unwrap();
    assert_eq!(p.confirm, None);
    // a field edit keeps the other fields' effective values
    let p = preview_set(&t, &eff, EditKey::RetentionSize, "100", &reach).unwrap();
    assert_eq!(
        p.after_value,
        Some(json!({"retentionTimeInMinutes": -1, "retentionSizeInMB": 100})),
        "0 beside a limit is refused: -1"
    );
    // removing: nothing set on the topic
    assert!(preview_remove(&t, &eff, "ttl", &reach).is_err());
    let eff = effectives(
        &t,
        &[("message-ttl", Raw { topic: Some(json!(60)), namespace: Some(json!(30)), ..Raw::default() })],
    );
    let p = preview_remove(&t, &eff, "ttl", &reach).unwrap();
    assert_eq!((p.after.as_str(), p.after_source, p.remove), ("30 s", Source::Namespace, true));
    assert!(p.drops_data.is_some(), "back to a shorter namespace TTL drops data");
    let ns = Target::Namespace("t/ns".into());
    let eff = effectives(
        &ns,
        &[(
            "retention",
            Raw { namespace: Some(json!({"retentionTimeInMinutes": 60, "retentionSizeInMB": 10})), ..Raw::default() },
        )],
    );
    let p = preview_remove(&ns, &eff, "retention.time", &Reach { topics: Some(4), ..Reach::default() }).unwrap();
    assert_eq!((p.after_source, p.confirm.as_deref()), (Source::Broker, Some("t/ns")));
    assert!(p.affects.contains("(4 topics)"), "{}", p.affects);
}

#[test]
fn capacity_estimates_carry_their_numbers() {
    use super::capacity::*;
    let s = Sample {
        topic: "t".into(),
        partitions: 4,
        rate_in_msgs: 400.0,
        rate_in_bytes: 100_000.0,
        backlog_bytes: 1_000_000,
        backlog_msgs: 36_000,
        slowest_out_msgs: 100.0,
        slowest_out_bytes: 50_000.0,
        storage_bytes: 5_000_000,
        oldest_backlog_age_s: 100,
        subscriptions: 2,
    };
    let l = Limits {
        retention_minutes: 60,
        retention_mb: -1,
        quota_size: 3_000_000,
        quota_size_policy: "producer_exception".into(),
        quota_time: 3600,
        quota_time_policy: "consumer_backlog_eviction".into(),
    };
    let st = storage(&s, &l);
    assert_eq!(st.value, Some(360_000_000.0));
    assert_eq!(st.numbers["rate_in_bytes_per_s"], 100_000.0);
    let capped = storage(&s, &Limits { retention_mb: 100, ..l.clone() });
    assert_eq!(capped.value, Some(104_857_600.0));
    let q = time_to_size_quota(&s, &l);
    assert_eq!(q.value, Some(40.0), "2 MB left at 50 kB/s growth");
    assert!(q.text.contains("refused"), "{}", q.text);
    assert_eq!(q.numbers["growth_bytes_per_s"], 50_000.0);
    assert_eq!(time_to_size_quota(&Sample { slowest_out_bytes: 200_000.0, ..s.clone() }, &l).value, None);
    assert_eq!(time_to_size_quota(&Sample { backlog_bytes: 4_000_000, ..s.clone() }, &l).value, Some(0.0));
    let a = time_to_age_quota(&s, &l);
    assert_eq!(a.value, Some(3500.0));
    assert!(a.text.contains("evicted"), "{}", a.text);
    let d = drain_in_hour(&s);
    assert_eq!(d.value, Some(410.0), "36,000/3600 + 400 in");
    let p = partitions_for(&s, 1000.0);
    assert_eq!(p.value, Some(10.0), "100 msg/s per partition now");
    assert_eq!(partitions_for(&Sample { rate_in_msgs: 0.0, ..s.clone() }, 1000.0).value, None);
    let ns = namespace_estimates(&[s.clone(), Sample { topic: "u".into(), backlog_bytes: 2_900_000, ..s.clone() }], &l);
    assert_eq!(ns[1].value, Some(2.0), "the nearest topic: 100 kB left at 50 kB/s");
    assert!(ns[1].text.starts_with("u: "), "{}", ns[1].text);
}

#[test]
fn topic_level_policies_off_is_said() {
    let mut b = broker();
    assert!(resolve_all(&topic(), &Default::default(), &b).topic_policies_enabled);
    b.0.insert("systemTopicEnabled".into(), "false".into());
    let eff = resolve_all(&topic(), &Default::default(), &b);
    assert!(!eff.topic_policies_enabled, "topic policies need the system topic");
    // the namespace and broker levels still resolve
    assert_eq!(eff.get("message-ttl").map(|e| e.source), Some(Source::Broker));
}

#[test]
fn structured_values_and_off_thresholds_read_as_words() {
    let show = |k: &str, v: serde_json::Value| super::catalogue::display(PolicyDef::by_key(k).unwrap(), &v);
    assert_eq!(show("offload-threshold", json!(-1)), "off");
    assert_eq!(show("offload-threshold-seconds", json!(-1)), "off");
    assert_eq!(show("offload-threshold-seconds", json!(3600)), "3600 s (1h)");
    let inactive = json!({"inactiveTopicDeleteMode": "delete_when_no_subscriptions",
                          "maxInactiveDurationSeconds": 60, "deleteWhileInactive": true});
    assert_eq!(show("inactive-topics", inactive), "deleted after 60 s (1m) inactive (delete when no subscriptions)");
    let kept = json!({"inactiveTopicDeleteMode": "delete_when_no_subscriptions", "deleteWhileInactive": false});
    assert_eq!(show("inactive-topics", kept), "off (inactive topics are kept)");
    let delayed = json!({"tickTime": 1000, "active": true, "maxDeliveryDelayInMillis": 0});
    assert_eq!(show("delayed-delivery", delayed), "on (tick 1000 ms, no maximum delay)");
    let p = json!({"bookkeeperEnsemble": 2, "bookkeeperWriteQuorum": 2, "bookkeeperAckQuorum": 1,
                   "managedLedgerMaxMarkDeleteRate": 0.0});
    assert_eq!(show("persistence", p), "ensemble 2, write quorum 2, ack quorum 1; mark-delete rate unlimited");
}
