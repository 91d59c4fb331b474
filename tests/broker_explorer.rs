//! The explorer end to end on the real broker: tenants, namespaces, partitioned and
//! non-partitioned topics and subscriptions are created through the admin API (and messages
//! by the official Python client), then the app, driven with the real worker, must show them.

mod common;

use std::time::Duration;

use common::{curl_json, draw, node_loaded, python_produce, screen, target, unique, Driver};
use pulsar_tui::app::keys::Action;
use pulsar_tui::app::tree::{Load, NodeKey, NodeKind};
use pulsar_tui::app::{Connection, Settings};
use pulsar_tui::pulsar::{Client, TopicName};

const LIMIT: Duration = Duration::from_secs(60);

struct Fixture {
    client: Client,
    tenant: String,
    plain: TopicName,
    parted: TopicName,
}

/// tenant/{ns1,ns2}; ns1 holds `plain` (sub-a, 5 messages) and `parted` (3 partitions,
/// sub-b and sub-c, 6 messages).
async fn fixture() -> Fixture {
    let client = Client::new(target()).unwrap();
    let tenant = unique("it-explorer");
    let clusters =
        client.admin.clusters().await.expect("broker answers: is it running? (scripts/pulsar-standalone start)");
    client.admin.create_tenant(&tenant, &clusters).await.unwrap();
    for ns in ["ns1", "ns2"] {
        client.admin.create_namespace(&format!("{tenant}/{ns}")).await.unwrap();
    }
    let plain = TopicName::parse(&format!("persistent://{tenant}/ns1/plain")).unwrap();
    let parted = TopicName::parse(&format!("persistent://{tenant}/ns1/parted")).unwrap();
    client.admin.create_topic(&plain, 0).await.unwrap();
    client.admin.create_topic(&parted, 3).await.unwrap();
    client.admin.create_subscription(&plain, "sub-a").await.unwrap();
    client.admin.create_subscription(&parted, "sub-b").await.unwrap();
    client.admin.create_subscription(&parted, "sub-c").await.unwrap();
    python_produce(&plain.to_string(), 5, "plain");
    python_produce(&parted.to_string(), 6, "parted");
    Fixture { client, tenant, plain, parted }
}

impl Fixture {
    async fn cleanup(&self) {
        use reqwest::Method;
        let a = &self.client.admin;
        for ns in ["ns1", "ns2"] {
            let _ =
                a.write(Method::DELETE, &format!("/admin/v2/namespaces/{}/{ns}?force=true", self.tenant), None).await;
        }
        let _ = a.write(Method::DELETE, &format!("/admin/v2/tenants/{}?force=true", self.tenant), None).await;
    }
}

fn select_and_expand(d: &mut Driver, key: &NodeKey) {
    d.app.explorer.tree.reveal(key);
    assert!(d.app.explorer.tree.select_key(key), "{key:?} is visible");
    d.act(Action::Expand);
}

fn child_labels(d: &Driver, key: &NodeKey) -> Vec<String> {
    let path = d.app.explorer.tree.find(key).unwrap();
    d.app.explorer.tree.node(&path).unwrap().children.iter().map(|c| c.label.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn explorer_shows_what_the_cluster_holds() {
    let fx = fixture().await;
    let mut d = Driver::new(fx.client.clone(), Settings::default());
    let tenant_key = NodeKey::Tenant(fx.tenant.clone());
    d.until("tenants and cluster info", LIMIT, |app| {
        app.explorer.tree.find(&tenant_key).is_some() && app.cluster.is_some()
    })
    .await;
    assert_eq!(d.app.connection, Connection::Connected);
    assert_eq!(d.app.cluster.as_deref(), Some("standalone"));
    assert!(d.app.broker_version.as_deref().unwrap_or("").starts_with("4."), "{:?}", d.app.broker_version);

    // tenant → namespaces
    select_and_expand(&mut d, &tenant_key);
    d.until_loaded("namespaces", LIMIT, &tenant_key).await;
    assert_eq!(child_labels(&d, &tenant_key), vec!["ns1", "ns2"]);

    // namespace → topics, the partitioned one grouped with its partition count
    let ns1 = NodeKey::Namespace(format!("{}/ns1", fx.tenant));
    select_and_expand(&mut d, &ns1);
    d.until_loaded("topics of ns1", LIMIT, &ns1).await;
    assert_eq!(child_labels(&d, &ns1), vec!["parted", "plain"]);
    let parted_key = NodeKey::Topic(fx.parted.clone());
    let parted_node = d.app.explorer.tree.node(&d.app.explorer.tree.find(&parted_key).unwrap()).unwrap();
    assert_eq!(parted_node.kind, NodeKind::Topic { partitions: 3 });

    // partitioned topic → its subscriptions, then its partitions
    select_and_expand(&mut d, &parted_key);
    d.until_loaded("subscriptions of parted", LIMIT, &parted_key).await;
    assert_eq!(
        child_labels(&d, &parted_key),
        vec!["sub-b", "sub-c", "parted-partition-0", "parted-partition-1", "parted-partition-2"]
    );

    // the stats pane of the partitioned topic: aggregated over partitions, as the admin API says
    d.until("stats of parted", LIMIT, |app| app.explorer.details.stats.is_some()).await;
    let stats = d.app.explorer.details.stats.clone().unwrap();
    let expected = curl_json(&format!("/admin/v2/{}/partitioned-stats", fx.parted.rest_path()));
    assert_eq!(stats.subscriptions.len(), 2);
    for sub in ["sub-b", "sub-c"] {
        assert_eq!(stats.subscriptions[sub].msg_backlog, 6, "{sub}");
        assert_eq!(
            stats.subscriptions[sub].msg_backlog,
            expected["subscriptions"][sub]["msgBacklog"].as_i64().unwrap()
        );
    }
    assert_eq!(stats.msg_in_counter, expected["msgInCounter"].as_i64().unwrap());
    assert_eq!(stats.msg_in_counter, 6);

    // the plain topic and its subscription, shown on screen
    let plain_key = NodeKey::Topic(fx.plain.clone());
    select_and_expand(&mut d, &plain_key);
    d.until("plain loaded with stats", LIMIT, |app| {
        app.explorer.details.key.as_ref() == Some(&plain_key)
            && app.explorer.details.stats.is_some()
            && node_loaded(app, &plain_key)
    })
    .await;
    let sub_a = NodeKey::Subscription(fx.plain.clone(), "sub-a".into());
    assert!(d.app.explorer.tree.select_key(&sub_a));
    d.act(Action::Down);
    d.act(Action::Up);
    d.until("sub-a stats", LIMIT, |app| {
        app.explorer.details.key.as_ref() == Some(&sub_a) && app.explorer.details.fetched_at.is_some()
    })
    .await;
    let text = screen(&draw(&d.app, 160, 48));
    assert!(text.contains("parted [3 partitions]"), "{text}");
    assert!(text.contains(&format!("{} ▸ ns1 ▸ plain ▸ sub-a", fx.tenant)), "breadcrumbs:\n{text}");
    let admin = curl_json(&format!("/admin/v2/{}/stats", fx.plain.rest_path()));
    let admin_sub = &admin["subscriptions"]["sub-a"];
    assert_eq!(admin_sub["msgBacklog"].as_i64(), Some(5));
    // the subscriptions table of the details pane (right of the explorer's border)
    let details = |l: &str| l.split('│').nth(1).unwrap_or("").trim_start().to_string();
    let row = text.lines().map(details).find(|d| d.starts_with("sub-a ")).unwrap_or_else(|| panic!("{text}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    // with no consumer connected the broker reports the type "None", shown as "—"
    let ty = match admin_sub["type"].as_str().unwrap() {
        "None" => "—",
        t => t,
    };
    assert_eq!(cells[..3], ["sub-a", ty, "5"], "{row}");
    fx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn jump_and_broker_errors_keep_the_app_usable() {
    let fx = fixture().await;
    let mut d = Driver::new(fx.client.clone(), Settings::default());
    d.until("tenants", LIMIT, |app| app.explorer.tree.roots_load == Load::Loaded).await;

    // jump straight to a topic: tenant and namespace are loaded on the way
    let reqs = d.app.jump_to(fx.plain.clone());
    d.submit(reqs);
    let plain_key = NodeKey::Topic(fx.plain.clone());
    d.until("jumped to plain", LIMIT, |app| app.explorer.tree.selected_key().as_ref() == Some(&plain_key)).await;

    // a namespace of a tenant that does not exist: a 404, shown, and nothing breaks
    let reqs = d.app.jump_to(TopicName::parse(&format!("persistent://{}/nope/x", fx.tenant)).unwrap());
    d.submit(reqs);
    d.until("error in the status line", LIMIT, |app| {
        app.status.as_ref().is_some_and(|s| s.text.contains("namespace") && s.text.contains("not found"))
    })
    .await;
    // a topic the broker never heard of: the stats request fails with 404 in the details pane
    let ghost = TopicName::parse(&format!("persistent://{}/ns1/ghost", fx.tenant)).unwrap();
    let tenant_key = NodeKey::Tenant(fx.tenant.clone());
    assert!(node_loaded(&d.app, &tenant_key));
    let reqs = d.app.jump_to(ghost);
    d.submit(reqs);
    d.until("ghost not found", LIMIT, |app| app.status.as_ref().is_some_and(|s| s.text.contains("ghost not found")))
        .await;
    assert_eq!(d.app.connection, Connection::Connected);
    // and the tree still works
    d.act(Action::Top);
    d.act(Action::Expand);
    d.settle(LIMIT).await;
    assert!(d.app.explorer.tree.rows().len() > 1);
    fx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn headless_ls_and_stats_match_the_tree() {
    let fx = fixture().await;
    let bin = env!("CARGO_BIN_EXE_pulsar-tui");
    let t = target();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(bin)
            .args(["--service-url", &t.service_url, "--admin-url", &t.admin_url])
            .args(args)
            .env("PULSAR_TUI_LOG_FILE", std::env::temp_dir().join("pulsar-tui-it.log"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let ns = run(&["ls", &fx.tenant]);
    let names: Vec<String> = ns
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, vec![format!("{}/ns1", fx.tenant), format!("{}/ns2", fx.tenant)]);
    let topics = run(&["ls", &format!("{}/ns1", fx.tenant)]);
    let rows: Vec<serde_json::Value> = topics.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 2, "{topics}");
    assert_eq!(rows[0]["name"], fx.parted.to_string());
    assert_eq!(rows[0]["partitions"], 3);
    assert_eq!(rows[1]["name"], fx.plain.to_string());
    assert_eq!(rows[1]["partitions"], 0);
    let subs = run(&["ls", &fx.parted.to_string()]);
    assert_eq!(subs.lines().count(), 2, "{subs}");
    let stats: serde_json::Value = serde_json::from_str(run(&["stats", &fx.plain.to_string()]).trim()).unwrap();
    assert_eq!(stats["subscriptions"]["sub-a"]["msgBacklog"], 5);
    // a missing tenant is an error on stderr with a non-zero exit
    let out = std::process::Command::new(bin)
        .args(["--admin-url", &t.admin_url, "ls", "no-such-tenant-xyz"])
        .env("PULSAR_TUI_LOG_FILE", std::env::temp_dir().join("pulsar-tui-it.log"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("namespaces of no-such-tenant-xyz"), "{err}");
    fx.cleanup().await;
}
