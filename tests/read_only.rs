//! Read-only mode is enforced in the client layer: every write is refused before any I/O.
//! The "broker" here is a TCP listener that counts connections: it must see none.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pulsar_tui::dlq::Target;
use pulsar_tui::pulsar::actions::WriteAction;
use pulsar_tui::pulsar::dlq::RequeueOptions;
use pulsar_tui::pulsar::request::{ExplorerRequest, RequestKind, ResponseKind};
use pulsar_tui::pulsar::worker::execute;
use pulsar_tui::pulsar::{Client, ClientError, ClusterTarget, TopicName};

/// A listener on a free port counting every connection it accepts.
fn counting_listener() -> (u16, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            c.fetch_add(1, Ordering::SeqCst);
            drop(s);
        }
    });
    (port, count)
}

fn read_only_client(port: u16) -> Client {
    let mut t = ClusterTarget::new(&format!("pulsar://127.0.0.1:{port}"), &format!("http://127.0.0.1:{port}"));
    t.read_only = true;
    t.op_timeout = Duration::from_secs(2);
    Client::new(t).unwrap()
}

fn topic() -> TopicName {
    TopicName::parse("persistent://acme/shop/orders").unwrap()
}

#[tokio::test]
async fn every_write_action_is_refused_without_a_request() {
    let (port, count) = counting_listener();
    let client = read_only_client(port);
    let sub = || "payments".to_string();
    let actions = vec![
        WriteAction::Skip { topic: topic(), subscription: sub(), n: 1, partitions: 0 },
        WriteAction::Skip { topic: topic(), subscription: sub(), n: 1, partitions: 4 },
        WriteAction::ClearBacklog { topic: topic(), subscription: sub() },
        WriteAction::ResetCursorToTime { topic: topic(), subscription: sub(), time_ms: 0 },
        WriteAction::ResetCursorToId { topic: topic(), subscription: sub(), id: "1:2:3".parse().unwrap() },
        WriteAction::CreateSubscription { topic: topic(), subscription: sub(), earliest: true },
        WriteAction::DeleteSubscription { topic: topic(), subscription: sub() },
        WriteAction::IncreasePartitions { topic: topic(), from: 4, to: 8 },
        WriteAction::Unload { topic: topic() },
    ];
    for action in actions {
        let r = execute(&client, RequestKind::Explorer(ExplorerRequest::RunAction { action: action.clone() })).await;
        match r {
            ResponseKind::Failed { error: ClientError::ReadOnly { .. }, .. } => {}
            other => panic!("{action:?} was not refused: {other:?}"),
        }
    }
    // the other writes of the client layer
    assert!(matches!(client.admin.create_subscription(&topic(), "x").await, Err(ClientError::ReadOnly { .. })));
    assert!(matches!(client.admin.create_topic(&topic(), 2).await, Err(ClientError::ReadOnly { .. })));
    assert!(matches!(client.admin.create_namespace("a/b").await, Err(ClientError::ReadOnly { .. })));
    let options = RequeueOptions {
        dlq: TopicName::parse("persistent://acme/shop/orders-payments-DLQ").unwrap(),
        target: Target::Original,
        filter: None,
        only: None,
        fixes: Default::default(),
        limit: None,
        rate: None,
        keep_dlq_properties: false,
        subscription: "pulsar-tui-requeue".into(),
        journal: std::env::temp_dir().join("pulsar-tui-ro-journal.jsonl"),
    };
    let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let r = pulsar_tui::pulsar::requeue::requeue(&client, &options, cancel, |_| {}).await;
    assert!(matches!(r, Err(ClientError::ReadOnly { .. })), "{r:?}");
    let mut out = Vec::new();
    let args = pulsar_tui::headless::produce::ProduceArgs {
        topic: "acme/shop/orders",
        format: pulsar_tui::headless::produce::InputFormat::Jsonl,
        encoding: Default::default(),
        key: None,
        properties: &[],
        rate: None,
        options: Default::default(),
        skip_bad: false,
        event_time_ms: None,
        deliver_after: None,
    };
    let r = pulsar_tui::headless::produce::produce(&client, &args, &b"1\n"[..], &mut out).await;
    assert!(r.unwrap_err().to_string().contains("read-only"));
    // the compose dialog's request is refused the same way
    let draft = pulsar_tui::pulsar::produce::Draft::of(pulsar_tui::pulsar::produce::DraftValue::Bytes(b"x".to_vec()));
    let send = pulsar_tui::pulsar::produce::ProduceRequest::Send {
        topic: pulsar_tui::pulsar::TopicName::parse("persistent://acme/shop/orders").unwrap(),
        drafts: vec![draft],
        options: Default::default(),
    };
    let r = pulsar_tui::pulsar::produce::execute(&client, send).await;
    assert!(matches!(r, Err(ClientError::ReadOnly { .. })), "{r:?}");
    assert_eq!(count.load(Ordering::SeqCst), 0, "a write reached the network");
}

#[tokio::test]
async fn reads_still_go_out_in_read_only_mode() {
    // the control: the same client does reach the listener for a read, so the test above
    // would see a write that slipped through
    let (port, count) = counting_listener();
    let client = read_only_client(port);
    let _ = client.admin.tenants().await;
    assert!(count.load(Ordering::SeqCst) >= 1);
}
