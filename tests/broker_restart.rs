//! The app survives the broker going away and recovers on its own when it comes back.
//! This binary stops and starts the shared broker, so it holds a single test (cargo runs
//! test binaries one after another, so no other test sees the broker down).

mod common;

use std::process::Command;
use std::time::Duration;

use common::{target, unique, Driver};
use pulsar_tui::app::keys::Action;
use pulsar_tui::app::tree::{Load, NodeKey};
use pulsar_tui::app::{Connection, Settings};
use pulsar_tui::pulsar::{Client, TopicName};

fn standalone(args: &[&str]) {
    let script = std::env::var("PULSAR_TUI_STANDALONE")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pulsar-standalone").to_string());
    let status =
        Command::new(&script).args(args).env("PULSAR_KEEP_DATA", "1").status().expect("runs the broker script");
    assert!(status.success(), "{script} {args:?} failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_survives_a_broker_restart() {
    let client = Client::new(target()).unwrap();
    let tenant = unique("it-restart");
    let clusters = client.admin.clusters().await.expect("broker is running (scripts/pulsar-standalone start)");
    client.admin.create_tenant(&tenant, &clusters).await.unwrap();
    client.admin.create_namespace(&format!("{tenant}/ns")).await.unwrap();
    let topic = TopicName::parse(&format!("persistent://{tenant}/ns/t")).unwrap();
    client.admin.create_topic(&topic, 0).await.unwrap();

    let settings = Settings { reconnect_interval: Duration::from_millis(500), ..Settings::default() };
    let mut d = Driver::new(client.clone(), settings);
    d.until("tenants", Duration::from_secs(30), |app| app.tree.roots_load == Load::Loaded).await;
    let reqs = d.app.jump_to(topic.clone());
    d.submit(reqs);
    let key = NodeKey::Topic(topic.clone());
    d.until("topic selected with stats", Duration::from_secs(30), |app| {
        app.tree.selected_key().as_ref() == Some(&key) && app.details.stats.is_some()
    })
    .await;

    standalone(&["stop"]);
    // the next refresh finds the broker gone; the app says so and stays usable
    d.act(Action::Refresh);
    d.until("connection marked down", Duration::from_secs(60), |app| matches!(app.connection, Connection::Down { .. }))
        .await;
    let before = d.app.tree.selected_index();
    d.act(Action::Up);
    assert_ne!(d.app.tree.selected_index(), before, "keys still move the selection while the broker is down");
    d.act(Action::Down);
    let text = common::screen(&common::draw(&d.app, 120, 30));
    assert!(text.contains("broker unreachable"), "{text}");

    standalone(&["start"]);
    // recovery needs no key press: the probe notices, the tree and stats reload
    d.until("reconnected", Duration::from_secs(60), |app| app.connection == Connection::Connected).await;
    d.until("stats again", Duration::from_secs(60), |app| {
        app.details.key.as_ref() == Some(&key) && app.details.stats.is_some() && app.details.error.is_none()
    })
    .await;
    assert!(d.app.tree.find(&NodeKey::Tenant(tenant.clone())).is_some());
    let text = common::screen(&common::draw(&d.app, 120, 30));
    assert!(text.contains("● connected"), "{text}");
    let _ = client
        .admin
        .write(reqwest::Method::DELETE, &format!("/admin/v2/namespaces/{tenant}/ns?force=true"), None)
        .await;
    let _ = client.admin.write(reqwest::Method::DELETE, &format!("/admin/v2/tenants/{tenant}?force=true"), None).await;
}
