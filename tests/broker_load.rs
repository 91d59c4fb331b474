//! Load: a namespace of many topics and a topic of 100 partitions list, filter and render
//! through the real admin API. CI runs it with 1,000 topics (creating topics is slow on a
//! 2-core machine: ~25 per second); `PULSAR_TUI_LOAD_TOPICS=10000` is the long run the README
//! records. Speed is measured by `cargo bench --bench render`, not here: this proves the
//! app stays correct and usable at that size.

mod common;

use std::time::Duration;

use common::{draw, screen, target, unique, Driver};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use futures::stream::{self, StreamExt};
use pulsar_tui::app::keys::Action;
use pulsar_tui::app::tree::{Load, NodeKey, NodeKind};
use pulsar_tui::app::{Event, Settings};
use pulsar_tui::pulsar::{Client, TopicName};

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn many_topics_and_partitions_list_filter_and_render() {
    let n: usize = std::env::var("PULSAR_TUI_LOAD_TOPICS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let client = Client::new(target()).unwrap();
    let ns = format!("public/{}", unique("load"));
    client.admin.create_namespace(&ns).await.unwrap();
    let created: Vec<_> = stream::iter(0..n)
        .map(|i| {
            let c = client.clone();
            let t = TopicName::parse(&format!("persistent://{ns}/t-{i:05}")).unwrap();
            async move { c.admin.create_topic(&t, 0).await }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    assert!(created.iter().all(Result::is_ok), "{:?}", created.iter().find(|r| r.is_err()));
    let wide = TopicName::parse(&format!("persistent://{ns}/wide")).unwrap();
    client.admin.create_topic(&wide, 100).await.unwrap();

    let mut d = Driver::new(client.clone(), Settings::default());
    let limit = Duration::from_secs(120);
    let ns_key = NodeKey::Namespace(ns.clone());
    let reqs = d.app.jump_to(wide.clone());
    d.submit(reqs);
    let wide_key = NodeKey::Topic(wide.clone());
    d.until("the wide topic selected", limit, |app| app.explorer.tree.selected_key().as_ref() == Some(&wide_key)).await;
    let listed = {
        let path = d.app.explorer.tree.find(&ns_key).unwrap();
        let node = d.app.explorer.tree.node(&path).unwrap();
        assert_eq!(node.load, Load::Loaded);
        node.children.iter().map(|c| c.label.clone()).collect::<Vec<_>>()
    };
    assert_eq!(listed.len(), n + 1, "every topic once, the 100 partitions grouped under one");
    assert_eq!(listed.first().map(String::as_str), Some("t-00000"));
    assert!(listed.contains(&format!("t-{:05}", n - 1)));
    let wide_node = d.app.explorer.tree.node(&d.app.explorer.tree.find(&wide_key).unwrap()).unwrap();
    assert_eq!(wide_node.kind, NodeKind::Topic { partitions: 100 });

    // its partitions, expanded
    d.act(Action::Expand);
    d.until_loaded("partitions listed", limit, &wide_key).await;
    let parts = d.app.explorer.tree.node(&d.app.explorer.tree.find(&wide_key).unwrap()).unwrap().children.len();
    assert_eq!(parts, 100);

    // filter down to one topic by typing, as a user does
    let target_name = format!("t-{:05}", n / 2);
    d.act(Action::StartFilter);
    for c in target_name.chars() {
        d.handle(key(KeyCode::Char(c)));
    }
    d.handle(key(KeyCode::Enter));
    let shown: Vec<String> = d
        .app
        .explorer
        .tree
        .rows()
        .iter()
        .filter_map(|r| d.app.explorer.tree.node(&r.path))
        .filter(|node| matches!(node.kind, NodeKind::Topic { .. }))
        .map(|node| node.label.clone())
        .collect();
    assert_eq!(shown, vec![target_name.clone()], "the filter keeps exactly the matching topic");
    let text = screen(&draw(&d.app, 160, 48));
    assert!(text.contains(&target_name), "{text}");
    d.act(Action::ClearFilter);
    assert!(d.app.explorer.tree.rows().len() > n, "everything is back");
    let text = screen(&draw(&d.app, 160, 48));
    assert!(text.contains("t-0"), "{text}");

    let _ = client.admin.write(reqwest::Method::DELETE, &format!("/admin/v2/namespaces/{ns}?force=true"), None).await;
}
