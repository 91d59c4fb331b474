//! Snapshots of the replication lines of the details pane (insta) and the replication check,
//! with colour assertions: a disconnected replicator and missing messages stand out.

mod common;

use std::time::Instant;

use common::tui::{
    answer_cluster_info, answer_namespaces, answer_tenants, answer_topics, fg_at, namespaces_listed, topic,
    topics_listed,
};
use common::{answer, draw, expand_with, find, screen};
use pulsar_tui::app::keys::Action;
use pulsar_tui::app::{App, Settings};
use pulsar_tui::pulsar::replication::{
    CheckReport, LastMessage, PartitionCheck, ReplicationRequest, ReplicationResponse, ReplicationStatus, ReplicatorRow,
};
use pulsar_tui::pulsar::request::{ExplorerRequest, ExplorerResponse, RequestKind, ResponseKind};
use pulsar_tui::pulsar::stats::{PartitionedMetadata, ReplicatorStats, TopicStats};
use pulsar_tui::pulsar::{ClusterTarget, TopicEntry};
use pulsar_tui::ui::theme::Theme;

/// geo/replicated/orders (2 partitions) selected on geo-a, its stats answered with a
/// replication map: the app asks for its replicators.
fn selected() -> (App, pulsar_tui::pulsar::request::Request) {
    let settings = Settings {
        context: Some(("geo-a".into(), None)),
        contexts: vec!["geo-a".into(), "geo-b".into()],
        peers: vec![
            ("geo-a".into(), ClusterTarget::new("pulsar://127.0.0.1:36650", "http://127.0.0.1:36080")),
            ("geo-b".into(), ClusterTarget::new("pulsar://127.0.0.1:36651", "http://127.0.0.1:36081")),
        ],
        ..Settings::default()
    };
    let mut app = App::new(settings, Instant::now());
    let reqs = app.start();
    answer_cluster_info(&mut app, &reqs, &["geo-a"]);
    answer_tenants(&mut app, &reqs, &["geo"]);
    expand_with(&mut app, namespaces_listed("geo", &["geo/replicated"]));
    app.update(Action::Down);
    let orders = topic("persistent://geo/replicated/orders");
    expand_with(&mut app, topics_listed("geo/replicated", vec![TopicEntry { name: orders.clone(), partitions: 2 }]));
    let reqs = app.update(Action::Down);
    let stats_req =
        find(&reqs, |k| matches!(k, RequestKind::Explorer(ExplorerRequest::FetchTopicStats { .. }))).clone();
    let mut stats = TopicStats { msg_rate_in: 40.0, msg_in_counter: 170, ..Default::default() };
    stats.metadata = Some(PartitionedMetadata { partitions: 2 });
    // the broker's partitioned aggregate says "not connected": the rows come from the partitions
    stats.replication.insert("geo-b".into(), ReplicatorStats::default());
    stats.replication.insert("geo-c".into(), ReplicatorStats::default());
    let reqs = answer(
        &mut app,
        &stats_req,
        ResponseKind::Explorer(ExplorerResponse::TopicStatsFetched { topic: orders, stats: Box::new(stats) }),
    );
    let fetch =
        find(&reqs, |k| matches!(k, RequestKind::Replication(ReplicationRequest::Fetch { partitions: 2, .. }))).clone();
    (app, fetch)
}

fn status() -> ReplicationStatus {
    ReplicationStatus {
        local_cluster: Some("geo-a".into()),
        clusters: vec!["geo-a".into(), "geo-b".into(), "geo-c".into()],
        rows: vec![
            ReplicatorRow {
                remote: "geo-b".into(),
                connected: false,
                replicators: 2,
                connected_replicators: 0,
                connected_since: None,
                backlog: 1500,
                rate_out: 0.0,
                delay_secs: 95,
                ..Default::default()
            },
            ReplicatorRow {
                remote: "geo-c".into(),
                connected: true,
                replicators: 2,
                connected_replicators: 2,
                connected_since: Some("2026-12-04T01:00:11.886202816Z".into()),
                rate_out: 40.0,
                throughput_out: 51_200.0,
                msg_out_count: 170,
                ..Default::default()
            },
        ],
    }
}

fn last(id: &str, ms: i64, from: Option<&str>) -> Option<LastMessage> {
    Some(LastMessage {
        message_id: id.into(),
        publish_time_ms: ms,
        producer: "geo-a-0-3".into(),
        sequence_id: 7,
        replicated_from: from.map(String::from),
    })
}

fn report() -> CheckReport {
    let part = |p: i32, missing: u64| PartitionCheck {
        partition: p,
        local_last: last(&format!("17:{}:{p}:-1", 100 + missing), 1_796_346_011_198 + missing as i64, None),
        remote_last: last(&format!("25:0:{p}:-1"), 1_796_346_000_000, Some("geo-a")),
        last_replicated: last(&format!("25:0:{p}:-1"), 1_796_346_000_000, Some("geo-a")),
        missing,
        exact: true,
    };
    CheckReport {
        topic: "persistent://geo/replicated/orders".into(),
        local_cluster: "geo-a".into(),
        remote_cluster: "geo-b".into(),
        partitions: vec![part(0, 24), part(1, 76)],
        missing: 100,
        exact: true,
    }
}

#[test]
fn replication_rows_and_check_in_the_details_pane() {
    let (mut app, fetch) = selected();
    let status =
        ReplicationResponse::Fetched { topic: topic("persistent://geo/replicated/orders"), status: Box::new(status()) };
    answer(&mut app, &fetch, ResponseKind::Replication(status));
    let term = draw(&app, 160, 30);
    insta::assert_snapshot!("replication__rows__160x30", screen(&term));
    let theme = Theme::default();
    assert_eq!(fg_at(&term, "○ disconnected"), theme.status_error);
    assert_eq!(fg_at(&term, "● connected since 2026-12-04 01:00:11 UTC"), theme.backlog_ok);
    assert_eq!(fg_at(&term, "1,500"), theme.backlog_crit, "a large replication backlog");

    // V: the check against the other cluster's context (geo-b: named like a remote)
    let reqs = app.update(Action::CheckReplication);
    let check = find(&reqs, |k| matches!(k, RequestKind::Replication(ReplicationRequest::Check { .. }))).clone();
    let RequestKind::Replication(ReplicationRequest::Check { remote, remote_context, .. }) = &check.kind else {
        unreachable!()
    };
    assert_eq!((remote_context.as_str(), remote.admin_url.as_str()), ("geo-b", "http://127.0.0.1:36081"));
    let term = draw(&app, 160, 30);
    assert!(screen(&term).contains("Check against geo-b: reading both sides…"), "{}", screen(&term));
    let done = ReplicationResponse::Checked {
        topic: topic("persistent://geo/replicated/orders"),
        remote_context: "geo-b".into(),
        report: Box::new(report()),
    };
    answer(&mut app, &check, ResponseKind::Replication(done));
    let term = draw(&app, 160, 30);
    insta::assert_snapshot!("replication__check__160x30", screen(&term));
    assert_eq!(fg_at(&term, "100 missing"), theme.backlog_crit);
}

#[test]
fn x_switches_to_the_other_clusters_context_and_selects_the_topic_there() {
    let (mut app, fetch) = selected();
    let status =
        ReplicationResponse::Fetched { topic: topic("persistent://geo/replicated/orders"), status: Box::new(status()) };
    answer(&mut app, &fetch, ResponseKind::Replication(status));
    app.update(Action::OtherCluster);
    assert_eq!(app.take_context_switch().as_deref(), Some("geo-b"), "geo-b is a context named like a remote");
    let settings = Settings {
        context: Some(("geo-b".into(), None)),
        contexts: app.settings.contexts.clone(),
        ..Settings::default()
    };
    let reqs = app.switch_context(settings);
    // the explorer loads its way to the same topic on geo-b
    let reqs = answer_tenants(&mut app, &reqs, &["geo"]);
    let reqs = answer_namespaces(&mut app, &reqs, "geo", &["geo/replicated"]);
    let orders = topic("persistent://geo/replicated/orders");
    answer_topics(&mut app, &reqs, "geo/replicated", vec![TopicEntry { name: orders.clone(), partitions: 2 }]);
    assert_eq!(app.explorer.current_topic(), Some(orders));
}
