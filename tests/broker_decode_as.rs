//! "Decode as…" on the real broker: payloads written without a schema (raw Avro and
//! protobuf bytes, by the Python client) decode with a user's .avsc or descriptor set, in
//! `pulsar-tui read --decode-as` and in the browser (`d`).

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::{target, unique, Driver};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pulsar_tui::app::keys::Action;
use pulsar_tui::app::{Event, Settings};
use pulsar_tui::pulsar::message::StartFrom;
use pulsar_tui::pulsar::{Client, TopicName};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/decode").join(name)
}

fn expected(payload: &str) -> Value {
    let cases: Value = serde_json::from_str(&std::fs::read_to_string(fixture("cases.json")).unwrap()).unwrap();
    let list = cases.as_array().cloned().unwrap_or_else(|| cases["cases"].as_array().unwrap().clone());
    list.into_iter()
        .find(|c| c["payload"] == payload && c["compile_error"].is_null() && c["expect"]["value"].is_object())
        .unwrap()["expect"]["value"]
        .clone()
}

/// Sends the bytes of a fixture file as one message with the Python client (no schema).
fn python_send_bytes(topic: &str, file: &std::path::Path) {
    let script = r#"
import sys, pulsar
client = pulsar.Client(sys.argv[1], operation_timeout_seconds=30)
p = client.create_producer(sys.argv[2], batching_enabled=False)
p.send(open(sys.argv[3], "rb").read(), partition_key="k")
p.close(); client.close()
"#;
    let out = Command::new("python3")
        .args(["-c", script, &target().service_url, topic, file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn read(topic: &str, decode_as: Option<&str>) -> Value {
    let mut args = vec!["read", topic, "--format", "jsonl"];
    if let Some(d) = decode_as {
        args.extend(["--decode-as", d]);
    }
    let out = Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
        .args(&args)
        .env("PULSAR_SERVICE_URL", target().service_url)
        .env("PULSAR_ADMIN_URL", target().admin_url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let line = String::from_utf8_lossy(&out.stdout).lines().next().expect("one message").to_string();
    serde_json::from_str(&line).unwrap()
}

#[test]
#[ignore = "needs the broker: scripts/test runs it"]
fn read_decodes_schemaless_payloads_with_a_users_avsc_or_descriptor_set() {
    let avro = format!("persistent://public/default/{}", unique("decode-as-avro"));
    python_send_bytes(&avro, &fixture("avro_everything.bin"));
    let plain = read(&avro, None);
    assert_ne!(plain["value"], expected("avro_everything.bin"), "without a schema it is not decoded");
    let avsc = format!("avro {}", fixture("everything.avsc").display());
    let decoded = read(&avro, Some(&avsc));
    assert_eq!(decoded["decode_error"], Value::Null, "{decoded}");
    assert_eq!(decoded["value"], expected("avro_everything.bin"));

    let proto = format!("persistent://public/default/{}", unique("decode-as-proto"));
    python_send_bytes(&proto, &fixture("protobuf_person.bin"));
    let desc = format!("proto {} pulsar.test.Person", fixture("person.desc").display());
    let decoded = read(&proto, Some(&desc));
    assert_eq!(decoded["decode_error"], Value::Null, "{decoded}");
    assert_eq!(decoded["value"]["name"], "Ada Lovelace");
    assert_eq!(decoded["value"], expected("protobuf_person.bin"));

    // the wrong decoder says why, with the message still there
    let wrong = read(&proto, Some("int32"));
    assert!(wrong["decode_error"].as_str().unwrap().contains("4"), "{wrong}");
    // a missing file is a clear error, not a panic
    let out = Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
        .args(["read", &proto, "--decode-as", "avro /nonexistent/x.avsc"])
        .env("PULSAR_SERVICE_URL", target().service_url)
        .env("PULSAR_ADMIN_URL", target().admin_url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/x.avsc"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn the_browser_decodes_as_the_users_choice_and_back() {
    let topic = format!("persistent://public/default/{}", unique("decode-as-tui"));
    python_send_bytes(&topic, &fixture("protobuf_person.bin"));
    let client = Client::new(target()).unwrap();
    let mut d = Driver::new(client, Settings::default());
    let reqs = d.app.open_browser(TopicName::parse(&topic).unwrap(), StartFrom::Earliest);
    d.submit(reqs);
    let loaded = |app: &pulsar_tui::app::App| app.browser.as_ref().is_some_and(|b| !b.rows.is_empty());
    d.until("the message", Duration::from_secs(20), loaded).await;
    assert_ne!(d.app.browser.as_ref().unwrap().rows[0].decoded.value["name"], "Ada Lovelace");
    d.act(Action::DecodeAs);
    let spec = format!("proto {} pulsar.test.Person", fixture("person.desc").display());
    for c in spec.chars() {
        d.handle(Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
    }
    d.handle(Event::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    d.until("decoded as the descriptor", Duration::from_secs(20), |app| {
        app.browser.as_ref().and_then(|b| b.rows.front()).is_some_and(|r| r.decoded.value["name"] == "Ada Lovelace")
    })
    .await;
    let row = &d.app.browser.as_ref().unwrap().rows[0];
    assert!(row.decoded.notes.iter().any(|n| n.contains("decoded as proto")), "{:?}", row.decoded.notes);
    // `auto` goes back to the registry (no schema: not decoded as a Person)
    d.act(Action::DecodeAs);
    for _ in 0..spec.len() {
        d.handle(Event::Key(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE)));
    }
    for c in "auto".chars() {
        d.handle(Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
    }
    d.handle(Event::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    d.until("the registry again", Duration::from_secs(20), |app| {
        app.browser.as_ref().and_then(|b| b.rows.front()).is_some_and(|r| r.decoded.value["name"] != "Ada Lovelace")
    })
    .await;
    assert!(d.app.decode_as.is_empty());
}
