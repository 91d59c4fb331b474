use super::*;

fn raw(connected: bool, backlog: i64, delay: i64, since: Option<&str>) -> RawReplicator {
    RawReplicator {
        msg_rate_out: 2.0,
        msg_throughput_out: 100.0,
        msg_out_count: 5,
        replication_backlog: backlog,
        connected,
        replication_delay_in_seconds: delay,
        outbound_connected_since: since.map(str::to_string),
        ..RawReplicator::default()
    }
}

#[test]
fn partitions_sum_into_one_row_per_remote() {
    let p0 = BTreeMap::from([
        ("west".to_string(), raw(true, 4, 9, Some("2026-12-04T01:00:11.1Z"))),
        ("south".to_string(), raw(true, 0, 0, Some("2026-12-04T01:00:10Z"))),
    ]);
    let p1 = BTreeMap::from([("west".to_string(), raw(false, 6, 3, Some("2026-12-04T01:00:12Z")))]);
    let rows = rows_of(&[&p0, &p1]);
    assert_eq!(rows.iter().map(|r| r.remote.as_str()).collect::<Vec<_>>(), ["south", "west"]);
    let west = &rows[1];
    assert!(!west.connected, "one partition's replicator is down");
    assert_eq!((west.replicators, west.connected_replicators), (2, 1));
    assert_eq!(west.backlog, 10);
    assert_eq!(west.delay_secs, 9, "the largest delay");
    assert_eq!(west.rate_out, 4.0);
    assert_eq!(west.throughput_out, 200.0);
    assert_eq!(west.msg_out_count, 10);
    // the disconnected partition's time does not count
    assert_eq!(west.connected_since.as_deref(), Some("2026-12-04T01:00:11.1Z"));
    assert!(rows[0].connected);
}

#[test]
fn broker_stats_parse() {
    let json = r#"{"msgRateIn":0.0,"replication":{"geo-b":{"msgRateOut":1.5,"msgOutCount":5,
        "replicationBacklog":3,"connected":true,"replicationDelayInSeconds":2,
        "outboundConnectedSince":"2026-12-04T01:00:11.886202816Z","inboundConnection":"/127.0.0.1:35958"}}}"#;
    let s: RawStats = serde_json::from_str(json).unwrap();
    let rows = rows_of(&[&s.replication]);
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].backlog, rows[0].delay_secs, rows[0].msg_out_count), (3, 2, 5));
    assert_eq!(rows[0].connected_since.as_deref(), Some("2026-12-04T01:00:11.886202816Z"));
}

#[test]
fn endpoints_compare_host_and_port() {
    assert_eq!(endpoint("http://127.0.0.1:36080"), "127.0.0.1:36080");
    assert_eq!(endpoint("http://localhost:36080/"), "127.0.0.1:36080");
    assert_eq!(endpoint("pulsar://127.0.0.1:36650,other:6650"), "127.0.0.1:36650");
    assert_ne!(endpoint("http://127.0.0.1:36080"), endpoint("http://127.0.0.1:36081"));
}
