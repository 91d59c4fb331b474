//! Reliability under bad input and a slow broker: malformed payloads of every schema type
//! browse without a panic, each with its decode error; a 5 MB message opens; an admin API
//! that never answers times the request out with a message while the UI keeps working; a
//! 200 MB `/metrics` scrape is parsed in bounded memory.

mod common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::{draw, screen, target, unique, Driver};
use pulsar_tui::app::keys::Action;
use pulsar_tui::app::{Connection, Settings};
use pulsar_tui::pulsar::message::StartFrom;
use pulsar_tui::pulsar::{Client, ClusterTarget, TopicName};
use serde_json::Value;

fn read_all(topic: &str) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
        .args(["read", topic, "--format", "jsonl"])
        .env("PULSAR_SERVICE_URL", target().service_url)
        .env("PULSAR_ADMIN_URL", target().admin_url)
        .output()
        .unwrap();
    assert!(out.status.success(), "read {topic}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
#[ignore = "needs the broker: scripts/test runs it"]
fn a_thousand_malformed_payloads_of_every_schema_type_each_get_a_decode_error() {
    let prefix = format!("persistent://public/default/{}-", unique("garbage"));
    let dir = std::env::temp_dir().join(unique("pulsar-tui-garbage"));
    std::fs::create_dir_all(&dir).unwrap();
    let produced = dir.join("produced.json");
    // one valid message of each type registers the schemas (the official Python client)
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients/produce_schemas.py");
    let out = Command::new("python3")
        .arg(&script)
        .args([&target().service_url, &prefix, produced.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // then 1,000 payloads that match no schema, from a schema-less producer
    let garbage = r#"
import random, sys, pulsar
client = pulsar.Client(sys.argv[1], operation_timeout_seconds=30)
rnd = random.Random(42)
for topic in sys.argv[2:]:
    p = client.create_producer(topic, batching_enabled=True, block_if_queue_full=True)
    for i in range(1000):
        n = rnd.choice([0, 1, 3, 7, 50, 300])
        # bytes 0x80-0xff are never valid UTF-8 on their own, nor a complete varint/Avro datum
        p.send_async(bytes([0xff]) + bytes(rnd.randrange(128, 256) for _ in range(n)), None)
    p.flush(); p.close()
client.close()
"#;
    let kinds = ["orders", "customers", "tickets", "notes"];
    let topics: Vec<String> = kinds.iter().map(|k| format!("{prefix}{k}")).collect();
    let out = Command::new("python3").args(["-c", garbage, &target().service_url]).args(&topics).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for (kind, topic) in kinds.iter().zip(&topics) {
        let messages = read_all(topic);
        let errors: Vec<&Value> = messages.iter().filter(|m| !m["decode_error"].is_null()).collect();
        assert!(messages.len() >= 1000, "{kind}: {} messages", messages.len());
        assert_eq!(errors.len(), 1000, "{kind}: every malformed payload has a decode error");
        for e in errors {
            assert_eq!(e["value"], Value::Null, "{kind}: {e}");
            assert!(e["size"].as_u64().unwrap() >= 1);
        }
    }
    // the browser shows them too, with the error and a hex view, without panicking
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut d = Driver::new(Client::new(target()).unwrap(), Settings::default());
        let reqs = d.app.open_browser(TopicName::parse(&topics[0]).unwrap(), StartFrom::Earliest);
        d.submit(reqs);
        d.until("a page", Duration::from_secs(20), |app| app.browser.as_ref().is_some_and(|b| b.rows.len() > 100))
            .await;
        d.act(Action::Bottom);
        d.act(Action::ToggleDetail);
        let text = screen(&draw(&d.app, 120, 40));
        assert!(text.contains("decode error"), "{text}");
        assert!(text.contains("00000000"), "a hex view: {text}");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn a_five_megabyte_message_opens_in_the_browser_and_in_read() {
    let topic = format!("persistent://public/default/{}", unique("big"));
    let script = r#"
import sys, pulsar
client = pulsar.Client(sys.argv[1], operation_timeout_seconds=30)
p = client.create_producer(sys.argv[2], batching_enabled=False)
p.send(b'{"blob": "' + b"x" * 5_000_000 + b'"}')
p.send(b"after")
p.close(); client.close()
"#;
    let out = Command::new("python3").args(["-c", script, &target().service_url, &topic]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let messages = read_all(&topic);
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["size"], 5_000_012);
    assert_eq!(messages[0]["value"]["blob"].as_str().unwrap().len(), 5_000_000);
    let mut d = Driver::new(Client::new(target()).unwrap(), Settings::default());
    let reqs = d.app.open_browser(TopicName::parse(&topic).unwrap(), StartFrom::Earliest);
    d.submit(reqs);
    d.until("both messages", Duration::from_secs(30), |app| app.browser.as_ref().is_some_and(|b| b.rows.len() == 2))
        .await;
    d.act(Action::ToggleDetail);
    let text = screen(&draw(&d.app, 120, 40));
    assert!(text.contains("\"blob\""), "{text}");
    d.act(Action::ToggleHex);
    assert!(screen(&draw(&d.app, 120, 40)).contains("00000000"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_api_that_never_answers_times_out_with_a_message_and_the_ui_keeps_working() {
    // accepts connections and never answers
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let mut t = ClusterTarget::new(&format!("pulsar://127.0.0.1:{port}"), &format!("http://127.0.0.1:{port}"));
    t.op_timeout = Duration::from_secs(2);
    let mut d = Driver::new(Client::new(t).unwrap(), Settings::default());
    // while the requests hang, keys still act (handle never waits on the worker)
    assert!(d.app.pending_requests() > 0);
    d.act(Action::ToggleMetrics);
    assert_eq!(d.app.view, pulsar_tui::app::View::Metrics);
    d.act(Action::Back);
    assert_eq!(d.app.view, pulsar_tui::app::View::Explorer);
    d.act(Action::ToggleHelp);
    assert!(d.app.show_help);
    d.act(Action::ToggleHelp);
    d.until(
        "the timeout in the status line",
        Duration::from_secs(20),
        |app| matches!(&app.connection, Connection::Down { reason, .. } if reason.contains("timed out")),
    )
    .await;
    let text = screen(&draw(&d.app, 120, 10));
    assert!(text.contains("broker unreachable") && text.contains("timed out"), "{text}");
}

/// A `/metrics` endpoint that streams `total` bytes of samples (no Content-Length, so the
/// client cannot refuse it up front) for 1,000 topics, repeated; also returns the backlog
/// that the sum of all its samples gives topic `t-999`.
fn huge_metrics_endpoint(total: usize) -> (u16, u64) {
    use std::io::{Read, Write};
    let mut block = String::new();
    let mut i = 0;
    while block.len() < 1 << 20 {
        let topic = format!("persistent://public/huge/t-{}", i % 1000);
        block.push_str(&format!(
            "pulsar_msg_backlog{{cluster=\"standalone\",namespace=\"public/huge\",topic=\"{topic}\"}} 7\n\
             pulsar_subscription_back_log{{cluster=\"standalone\",namespace=\"public/huge\",topic=\"{topic}\",subscription=\"s\"}} 7\n"
        ));
        i += 1;
    }
    let per_block = block.matches("t-999\"} 7\n").count() as u64;
    let expected = 7 * per_block * total.div_ceil(block.len()) as u64;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            // the whole request head, so that closing never resets the connection
            let (mut head, mut buf) = (Vec::new(), [0u8; 1024]);
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let _ =
                s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nConnection: close\r\n\r\n");
            let mut sent = 0;
            while sent < total {
                if s.write_all(block.as_bytes()).is_err() {
                    break;
                }
                sent += block.len();
            }
        }
    });
    (port, expected)
}

#[test]
#[ignore = "needs GNU time (/usr/bin/time): scripts/test runs it"]
fn a_200_mb_metrics_scrape_is_parsed_in_bounded_memory() {
    const TOTAL: usize = 200 << 20;
    let (port, expected) = huge_metrics_endpoint(TOTAL);
    let out = Command::new("/usr/bin/time")
        .args(["-f", "peak_rss_kb=%M", env!("CARGO_BIN_EXE_pulsar-tui"), "metrics", "--format", "json"])
        .args(["--metrics-url", &format!("http://127.0.0.1:{port}/metrics")])
        .env("PULSAR_SERVICE_URL", target().service_url)
        .env("PULSAR_ADMIN_URL", target().admin_url)
        .env("PULSAR_TUI_LOG_FILE", std::env::temp_dir().join(format!("{}.log", unique("huge-scrape"))))
        .output()
        .expect("/usr/bin/time runs (scripts/setup installs it)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}{}", String::from_utf8_lossy(&out.stdout));
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("metrics --format json prints JSON lines"))
        .collect();
    assert!(
        lines.iter().any(|l| l["type"] == "broker" && l["ok"] == true),
        "the scrape succeeded: {:?}",
        lines.first()
    );
    let t999 = lines
        .iter()
        .find(|l| l["name"] == "persistent://public/huge/t-999")
        .unwrap_or_else(|| panic!("topic t-999 of the scrape is missing"));
    assert_eq!(t999["msg_backlog"].as_u64(), Some(expected), "every sample of the 200 MB was parsed and summed");
    let rss_kb: u64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak_rss_kb="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in {stderr}"));
    // buffered whole, the body alone would take 200 MB
    assert!(rss_kb < 100 * 1024, "peak RSS {rss_kb} kB while parsing a 200 MB scrape");
}

/// `:ctx` away from a cluster that hangs: the worker aborts every request of the old
/// context (their connections close), and the new context's cluster loads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn switching_context_aborts_the_old_contexts_requests() {
    use std::io::Read;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (opened, closed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (o, c) = (opened.clone(), closed.clone());
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            o.fetch_add(1, Ordering::SeqCst);
            let c = c.clone();
            // never answers; counts the connection as closed when the client hangs up
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
                c.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    let mut t = ClusterTarget::new(&format!("pulsar://127.0.0.1:{port}"), &format!("http://127.0.0.1:{port}"));
    t.op_timeout = Duration::from_secs(60);
    let settings = Settings {
        context: Some(("hung".into(), None)),
        contexts: vec!["hung".into(), "live".into()],
        ..Settings::default()
    };
    let mut d = Driver::new(Client::new(t).unwrap(), settings.clone());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while opened.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(opened.load(Ordering::SeqCst) > 0, "the old context's requests reached the hung server");
    let old_in_flight = d.worker.in_flight();
    assert!(old_in_flight > 0);

    d.app.run_command("ctx live");
    assert_eq!(d.app.take_context_switch().as_deref(), Some("live"));
    let aborted = d.worker.switch(Client::new(target()).unwrap());
    assert_eq!(aborted, old_in_flight, "every task of the old context is aborted");
    let reqs = d.app.switch_context(Settings { context: Some(("live".into(), None)), ..settings });
    d.submit(reqs);
    // the hung server sees every connection of the old context close
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while closed.load(Ordering::SeqCst) < opened.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(closed.load(Ordering::SeqCst), opened.load(Ordering::SeqCst), "old connections left open");
    // and the new cluster answers
    d.until("the live cluster's tenants", Duration::from_secs(20), |app| {
        app.explorer.tree.roots.iter().any(|n| n.label == "public") && app.connection == Connection::Connected
    })
    .await;
}
