//! `pulsar-tui produce` on the real broker, read back by the official Python client with its
//! schema classes (tests/clients/produce_check.py): JSON lines for each schema type, a bad
//! line refused at its field with nothing after it sent, `read --raw | produce --format
//! envelope` byte for byte, compression in the entries' metadata and routing per partition.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::{target, unique};
use serde_json::{json, Value};

fn script() -> String {
    format!("{}/tests/clients/produce_check.py", env!("CARGO_MANIFEST_DIR"))
}

fn python(args: &[&str]) {
    let out = Command::new("python3").arg(script()).args(args).output().expect("python3 runs");
    assert!(out.status.success(), "python {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The official client's reading of `topic` with `kind`'s schema class.
fn python_read(topic: &str, kind: &str) -> Vec<Value> {
    let path = std::env::temp_dir().join(format!("{}.json", unique("produce-read")));
    python(&["read", &target().service_url, topic, kind, path.to_str().unwrap()]);
    let rows: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let _ = std::fs::remove_file(&path);
    rows.as_array().unwrap().clone()
}

/// `pulsar-tui ARGS` with `stdin` as its standard input.
fn pulsar_tui(args: &[&str], stdin: &str) -> Output {
    let t = target();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
        .args(["--service-url", &t.service_url, "--admin-url", &t.admin_url])
        .args(args)
        .env("PULSAR_TUI_LOG_FILE", std::env::temp_dir().join("pulsar-tui-it-produce.log"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pulsar-tui runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn produce_ok(topic: &str, extra: &[&str], lines: &[Value]) -> Vec<Value> {
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let mut args = vec!["produce", topic];
    args.extend_from_slice(extra);
    let out = pulsar_tui(&args, &input);
    assert!(out.status.success(), "produce {topic} {extra:?}: {}", String::from_utf8_lossy(&out.stderr));
    common::dlq::json_lines(&out.stdout)
}

fn curl(method: &str, path: &str, body: Option<&str>) {
    let url = format!("{}{}", target().admin_url, path);
    let mut c = Command::new("curl");
    c.args(["-sS", "-f", "-m", "20", "-X", method, &url]);
    if let Some(b) = body {
        c.args(["-H", "Content-Type: application/json", "-d", b]);
    }
    let out = c.output().expect("curl runs");
    assert!(out.status.success(), "curl {method} {url}: {}", String::from_utf8_lossy(&out.stderr));
}

fn values(rows: &[Value]) -> Vec<Value> {
    rows.iter().map(|r| r["value"].clone()).collect()
}

#[test]
#[ignore = "needs the broker: scripts/test runs it"]
fn json_lines_for_each_schema_type_read_back_by_the_python_schema_classes() {
    let prefix = format!("persistent://public/default/{}", unique("it-produce"));
    python(&["setup", &target().service_url, &prefix]);

    let orders = vec![
        json!({"id": "o-1", "qty": 2, "price": 1.5, "tags": ["a", "b"], "note": null}),
        json!({"id": "o-2", "qty": -7, "price": 0.25, "tags": [], "note": "fragile"}),
    ];
    produce_ok(&format!("{prefix}-avro"), &["--format", "jsonl"], &orders);
    assert_eq!(values(&python_read(&format!("{prefix}-avro"), "avro")), orders);

    let users = vec![json!({"name": "Ann", "age": 31}), json!({"name": "Bo", "age": null})];
    produce_ok(&format!("{prefix}-json"), &["--format", "jsonl"], &users);
    assert_eq!(values(&python_read(&format!("{prefix}-json"), "json")), users);

    let tickets = vec![
        json!({"id": "t-1", "seats": 9007199254740993i64, "lines": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}]}),
        json!({"id": "t-2", "seats": 0, "lines": []}),
    ];
    produce_ok(&format!("{prefix}-proto"), &["--format", "jsonl", "--batching"], &tickets);
    // the protobuf JSON mapping (MessageToDict) writes 64-bit integers as strings
    assert_eq!(
        values(&python_read(&format!("{prefix}-proto"), "proto")),
        vec![
            json!({"id": "t-1", "seats": "9007199254740993", "lines": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}]}),
            json!({"id": "t-2", "seats": "0", "lines": []}),
        ]
    );

    let notes = vec![json!("héllo → wörld"), json!("")];
    produce_ok(&format!("{prefix}-string"), &["--format", "jsonl"], &notes);
    assert_eq!(values(&python_read(&format!("{prefix}-string"), "string")), notes);

    // primitives without a Python schema class: the official layouts, read as bytes
    for (t, lines, want) in [
        (
            "INT64",
            vec![json!(-2), json!(9007199254740993i64)],
            vec![(-2i64).to_be_bytes().to_vec(), 9007199254740993i64.to_be_bytes().to_vec()],
        ),
        ("DOUBLE", vec![json!(1.25)], vec![1.25f64.to_be_bytes().to_vec()]),
        ("BOOLEAN", vec![json!(true), json!(false)], vec![vec![1], vec![0]]),
        ("TIMESTAMP", vec![json!("1970-01-01T00:00:01.5Z")], vec![1500i64.to_be_bytes().to_vec()]),
    ] {
        let topic = format!("{prefix}-{}", t.to_lowercase());
        let rest = topic.trim_start_matches("persistent://");
        curl(
            "POST",
            &format!("/admin/v2/schemas/{rest}/schema"),
            Some(&json!({"type": t, "schema": "", "properties": {}}).to_string()),
        );
        produce_ok(&topic, &["--format", "jsonl"], &lines);
        let got: Vec<Vec<u8>> =
            python_read(&topic, "bytes").iter().map(|r| base64_decode(r["payload_b64"].as_str().unwrap())).collect();
        assert_eq!(got, want, "{t}");
    }

    // a value that does not fit: refused at its field with its line number; the line before
    // it is confirmed, nothing after it is sent
    let avro = format!("{prefix}-avro");
    let bad = [
        json!({"id": "o-3", "qty": 1, "price": 1.0, "tags": [], "note": null}),
        json!({"id": "o-4", "qty": 1, "price": 1.0, "tags": ["x", "y", 3], "note": null}),
        json!({"id": "o-5", "qty": 1, "price": 1.0, "tags": [], "note": null}),
    ];
    let input: String = bad.iter().map(|l| format!("{l}\n")).collect();
    let out = pulsar_tui(&["produce", &avro, "--format", "jsonl"], &input);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2: $.tags[2]: expected string, got 3"), "{err}");
    assert_eq!(common::dlq::json_lines(&out.stdout).len(), 1);
    let ids: Vec<Value> = python_read(&avro, "avro").iter().map(|r| r["value"]["id"].clone()).collect();
    assert_eq!(ids, vec![json!("o-1"), json!("o-2"), json!("o-3")]);
    // --skip-bad counts it and goes on
    let out = pulsar_tui(&["produce", &avro, "--format", "jsonl", "--skip-bad"], &input);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipped 1 bad lines"));
    let ids: Vec<Value> = python_read(&avro, "avro").iter().map(|r| r["value"]["id"].clone()).collect();
    assert_eq!(ids.len(), 5);
    assert_eq!(ids[3..], [json!("o-3"), json!("o-5")]);

    // read-only refuses before any I/O
    let out = pulsar_tui(&["--read-only", "produce", &avro, "--format", "jsonl"], &input);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("read-only"));
    assert_eq!(python_read(&avro, "avro").len(), 5);
    // SNAPPY goes as raw blocks, which the Python (C++) client decodes
    let out = pulsar_tui(
        &["produce", &avro, "--format", "jsonl", "--batching", "--compression", "snappy", "--skip-bad"],
        &input,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ids: Vec<Value> = python_read(&avro, "avro").iter().map(|r| r["value"]["id"].clone()).collect();
    assert_eq!(ids[5..], [json!("o-3"), json!("o-5")]);
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

#[test]
#[ignore = "needs the broker: scripts/test runs it"]
fn read_raw_then_produce_envelope_copies_byte_for_byte() {
    let src = format!("persistent://public/default/{}", unique("it-replay-src"));
    let dst = format!("persistent://public/default/{}", unique("it-replay-dst"));
    python(&["fill", &target().service_url, &src, "40"]);
    let t = target();
    let read = Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
        .args(["--service-url", &t.service_url, "--admin-url", &t.admin_url, "read", &src, "--raw", "--count", "40"])
        .env("PULSAR_TUI_LOG_FILE", std::env::temp_dir().join("pulsar-tui-it-produce.log"))
        .output()
        .unwrap();
    assert!(read.status.success(), "{}", String::from_utf8_lossy(&read.stderr));
    let exported = String::from_utf8(read.stdout).unwrap();
    assert_eq!(exported.lines().count(), 40);
    let out = pulsar_tui(&["produce", &dst, "--format", "envelope", "--batching", "--compression", "zstd"], &exported);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(common::dlq::json_lines(&out.stdout).len(), 40);
    let fields = |rows: Vec<Value>| -> Vec<Value> {
        rows.into_iter().map(|r| json!([r["payload_b64"], r["key"], r["properties"], r["event_time"]])).collect()
    };
    let (a, b) = (fields(python_read(&src, "bytes")), fields(python_read(&dst, "bytes")));
    assert_eq!(a.len(), 40);
    assert_eq!(a, b);
    // the keyless one stayed keyless, the empty payload empty
    assert_eq!(b[3][1], Value::Null);
    assert_eq!(b[5][0], json!(""));
}

#[test]
#[ignore = "needs the broker: scripts/test runs it"]
fn compression_and_routing_on_a_partitioned_topic() {
    use pulsar_tui::pulsar::wire::producer::java_partition;
    let topic = format!("persistent://public/default/{}", unique("it-produce-parts"));
    let rest = topic.trim_start_matches("persistent://").to_string();
    curl("PUT", &format!("/admin/v2/persistent/{rest}/partitions"), Some("4"));
    let lines: Vec<Value> = (0..40).map(|i| json!(format!("v-{i}"))).collect();

    // by key: the Java client's hash, in ZSTD batches
    let ids = produce_ok(
        &topic,
        &["--format", "jsonl", "--routing", "key", "--key", "key-{n}", "--batching", "--compression", "zstd"],
        &lines,
    );
    let mut want = [0usize; 4];
    for i in 0..40 {
        want[java_partition(&format!("key-{i}"), 4) as usize] += 1;
    }
    let rows = python_read(&topic, "bytes");
    let mut got = [0usize; 4];
    for r in &rows {
        got[r["partition"].as_i64().unwrap() as usize] += 1;
        let value = String::from_utf8(base64_decode(r["payload_b64"].as_str().unwrap())).unwrap();
        let i: usize = value.trim_start_matches("v-").parse().unwrap();
        assert_eq!(r["key"], json!(format!("key-{i}")));
        assert_eq!(r["partition"], json!(java_partition(&format!("key-{i}"), 4)), "{r}");
    }
    assert_eq!(got, want);
    // the ids printed name the partitions the messages are in
    let mut printed = [0usize; 4];
    for id in &ids {
        let p: usize = id["message_id"].as_str().unwrap().split(':').nth(2).unwrap().parse().unwrap();
        printed[p] += 1;
    }
    assert_eq!(printed, want);
    // the compression is in the entries' metadata (pulsar-tui's reader shows it per message)
    let t = target();
    let read = Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
        .args(["--service-url", &t.service_url, "--admin-url", &t.admin_url, "read", &topic, "--count", "40"])
        .output()
        .unwrap();
    let envelopes = common::dlq::json_lines(&read.stdout);
    assert_eq!(envelopes.len(), 40);
    assert!(envelopes.iter().all(|e| e["compression"] == json!("ZSTD")), "{:?}", envelopes.first());
    assert!(envelopes.iter().any(|e| e["batch"]["size"].as_u64().unwrap_or(0) > 1), "batched");

    // one chosen partition; single (all in one); round-robin (keyless: evenly)
    let counts = || -> [usize; 4] {
        let mut c = [0usize; 4];
        for r in python_read(&topic, "bytes") {
            c[r["partition"].as_i64().unwrap() as usize] += 1;
        }
        c
    };
    let before = counts();
    produce_ok(&topic, &["--format", "jsonl", "--routing", "2", "--compression", "lz4"], &lines[..10]);
    let after = counts();
    assert_eq!([after[0] - before[0], after[1] - before[1], after[2] - before[2], after[3] - before[3]], [0, 0, 10, 0]);
    let ids = produce_ok(&topic, &["--format", "jsonl", "--routing", "single", "--compression", "zlib"], &lines[..10]);
    let parts: std::collections::BTreeSet<&str> =
        ids.iter().map(|i| i["message_id"].as_str().unwrap().split(':').nth(2).unwrap()).collect();
    assert_eq!(parts.len(), 1, "{ids:?}");
    let before = counts();
    produce_ok(&topic, &["--format", "jsonl", "--routing", "round-robin"], &lines[..20]);
    let after = counts();
    assert_eq!([after[0] - before[0], after[1] - before[1], after[2] - before[2], after[3] - before[3]], [5, 5, 5, 5]);
}

#[test]
#[ignore = "needs the broker: scripts/test runs it"]
fn fix_and_requeue_moves_the_fixed_value_and_survives_sigkill() {
    let prefix = format!("persistent://public/default/{}", unique("it-fix"));
    python(&["setup", &target().service_url, &prefix]);
    let origin = format!("{prefix}-avro");
    let dlq = format!("{origin}-sub-DLQ");
    let n = 60;
    python(&["letters", &target().service_url, &dlq, &origin, &n.to_string()]);
    let t = target();
    let read = Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
        .args(["--service-url", &t.service_url, "--admin-url", &t.admin_url, "read", &dlq, "--count", &n.to_string()])
        .output()
        .unwrap();
    let letters = common::dlq::json_lines(&read.stdout);
    assert_eq!(letters.len(), n);
    let dir = common::dlq::temp("fixes");
    let fix_file = |i: usize, value: Value| -> String {
        let path = dir.with_file_name(format!("fix-{i}.json"));
        std::fs::write(&path, value.to_string()).unwrap();
        format!("{}={}", letters[i]["message_id"].as_str().unwrap(), path.display())
    };
    let order = |i: usize| json!({"id": format!("fixed-{i}"), "qty": i, "price": 1.5, "tags": ["f"], "note": null});
    let journal = common::dlq::temp("journal.jsonl");
    let j = journal.to_str().unwrap().to_string();

    // a fixed value that does not fit the original's schema: refused at its field, nothing moves
    let bad = fix_file(0, json!({"id": 3, "qty": 1, "price": 1.5, "tags": [], "note": null}));
    let out = pulsar_tui(&["dlq", "requeue", &dlq, "--fix", &bad, "--yes", "--journal", &j], "");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("$.id: expected string, got 3"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(python_read(&origin, "avro").is_empty());

    // one letter fixed: its fixed value arrives at the original topic, the others stay
    let one = fix_file(0, order(0));
    let out = pulsar_tui(&["dlq", "requeue", &dlq, "--fix", &one, "--yes", "--journal", &j], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = python_read(&origin, "avro");
    assert_eq!(values(&rows), vec![order(0)]);
    assert_eq!(rows[0]["key"], json!("k-0"));
    let from = rows[0]["properties"]["PULSAR_TUI_REQUEUED_FROM"].as_str().unwrap_or_default();
    assert!(from.contains("-sub-DLQ@"), "{}", rows[0]);
    assert!(rows[0]["properties"].get("REAL_TOPIC").is_none());
    assert_eq!(common::dlq::sub_backlog(&dlq, "pulsar-tui-requeue", false), n as i64 - 1);

    // the rest fixed under SIGKILL: a copy confirmed but not journaled when the kill came is
    // sent again (a duplicate), none is lost, and the DLQ is drained
    let fixes: Vec<String> = (1..n).map(|i| fix_file(i, order(i))).collect();
    let mut args = vec!["dlq", "requeue", &dlq, "--rate", "12", "--yes", "--journal", &j];
    for f in &fixes {
        args.extend(["--fix", f.as_str()]);
    }
    let (kills, runs) = common::dlq::requeue_under_kills(&args, &dlq, 3);
    assert!(kills >= 2, "only {kills} runs were killed: the runs were too fast");
    let rows = python_read(&origin, "avro");
    let mut counts = std::collections::BTreeMap::new();
    for r in &rows {
        *counts.entry(r["value"]["id"].as_str().unwrap().to_string()).or_insert(0usize) += 1;
    }
    let missing: Vec<usize> = (0..n).filter(|i| !counts.contains_key(&format!("fixed-{i}"))).collect();
    assert!(missing.is_empty(), "missing {missing:?} after {kills} kills in {runs} runs");
    assert_eq!(counts.len(), n, "only fixed values arrive: {counts:?}");
    assert_eq!(common::dlq::sub_backlog(&dlq, "pulsar-tui-requeue", false), 0);
    eprintln!("fix and requeue under SIGKILL: {kills} kills, {runs} runs, {} duplicates", rows.len() - n);
}

fn press(d: &mut common::Driver, code: crossterm::event::KeyCode) {
    use crossterm::event::{KeyEvent, KeyModifiers};
    d.handle(pulsar_tui::app::Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the broker: scripts/test runs it"]
async fn the_compose_dialog_sends_through_the_worker_and_shows_the_refusal_at_the_field() {
    use crossterm::event::KeyCode;
    use pulsar_tui::app::compose::{ComposeDialog, ComposeStage, VALUE};
    use std::time::Duration;
    let prefix = format!("persistent://public/default/{}", unique("it-compose"));
    python(&["setup", &target().service_url, &prefix]);
    let avro = format!("{prefix}-avro");
    let client = pulsar_tui::pulsar::Client::new(target()).unwrap();
    let mut d = common::Driver::new(client, pulsar_tui::app::Settings::default());
    d.app.compose = Some(ComposeDialog::new(pulsar_tui::pulsar::TopicName::parse(&avro).unwrap()));
    for c in r#"{"id": "o-1", "qty": "2", "price": 1.5, "tags": [], "note": null}"#.chars() {
        press(&mut d, KeyCode::Char(c));
    }
    press(&mut d, KeyCode::Enter);
    d.until("the refusal", Duration::from_secs(30), |a| a.compose.as_ref().is_some_and(|c| c.error.is_some())).await;
    let (field, error) = d.app.compose.as_ref().unwrap().error.clone().unwrap();
    assert_eq!(field, VALUE);
    assert_eq!(error, r#"$.qty: expected int, got "2""#);
    assert!(python_read(&avro, "avro").is_empty(), "nothing was sent");
    // fixed: `"2"` becomes `2`
    let fixed = r#"{"id": "o-1", "qty": 2, "price": 1.5, "tags": [], "note": null}"#;
    d.app.compose.as_mut().unwrap().inputs[VALUE].set(fixed);
    press(&mut d, KeyCode::Tab);
    for c in "u-1".chars() {
        press(&mut d, KeyCode::Char(c));
    }
    press(&mut d, KeyCode::Enter);
    d.until("the confirmation", Duration::from_secs(30), |a| {
        a.compose.as_ref().is_some_and(|c| matches!(c.stage, ComposeStage::Sent(_)))
    })
    .await;
    let rows = python_read(&avro, "avro");
    assert_eq!(values(&rows), vec![serde_json::from_str::<Value>(fixed).unwrap()]);
    assert_eq!(rows[0]["key"], json!("u-1"));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the broker: scripts/test runs it"]
async fn the_browsers_fix_and_requeue_request_moves_the_fixed_letter() {
    use pulsar_tui::pulsar::produce::{execute, ProduceRequest, ProduceResponse};
    let prefix = format!("persistent://public/default/{}", unique("it-fix-ui"));
    python(&["setup", &target().service_url, &prefix]);
    let origin = format!("{prefix}-avro");
    let dlq = format!("{origin}-sub-DLQ");
    python(&["letters", &target().service_url, &dlq, &origin, "2"]);
    let client = pulsar_tui::pulsar::Client::new(target()).unwrap();
    let t = target();
    let read = Command::new(env!("CARGO_BIN_EXE_pulsar-tui"))
        .args(["--service-url", &t.service_url, "--admin-url", &t.admin_url, "read", &dlq, "--count", "2"])
        .output()
        .unwrap();
    let letters = common::dlq::json_lines(&read.stdout);
    let id = letters[1]["message_id"].as_str().unwrap().parse().unwrap();
    let value = json!({"id": "fixed", "qty": 1, "price": 2.0, "tags": [], "note": null});
    let journal = common::dlq::temp("journal.jsonl");
    let dlq_topic = pulsar_tui::pulsar::TopicName::parse(&dlq).unwrap();
    let r = ProduceRequest::FixAndRequeue { dlq: dlq_topic, id, value: value.clone(), journal };
    match execute(&client, r).await.unwrap() {
        ProduceResponse::Requeued { moved, failures } => assert_eq!((moved, failures.len()), (1, 0)),
        other => panic!("{other:?}"),
    }
    let rows = python_read(&origin, "avro");
    assert_eq!(values(&rows), vec![value]);
    assert_eq!(rows[0]["key"], json!("k-1"));
    assert_eq!(common::dlq::sub_backlog(&dlq, "pulsar-tui-requeue", false), 1, "the other letter stays");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the broker: scripts/test runs it"]
async fn w_re_sends_the_filters_matches_as_they_are_after_the_typed_confirmation() {
    use crossterm::event::KeyCode;
    use pulsar_tui::app::compose::{ComposeStage, CONFIRM};
    use pulsar_tui::app::keys::Action;
    use pulsar_tui::pulsar::message::StartFrom;
    use std::time::Duration;
    let prefix = format!("persistent://public/default/{}", unique("it-resend-matches"));
    python(&["setup", &target().service_url, &prefix]);
    let avro = format!("{prefix}-avro");
    let order = |id: &str| json!({"id": id, "qty": 1, "price": 1.5, "tags": ["t"], "note": null});
    produce_ok(&avro, &["--format", "jsonl"], &[order("keep-1"), order("drop-2"), order("keep-3")]);
    let client = pulsar_tui::pulsar::Client::new(target()).unwrap();
    let mut d = common::Driver::new(client, pulsar_tui::app::Settings::default());
    let reqs = d.app.open_browser(pulsar_tui::pulsar::TopicName::parse(&avro).unwrap(), StartFrom::Earliest);
    d.submit(reqs);
    d.until("the page", Duration::from_secs(30), |a| a.browser.as_ref().is_some_and(|b| b.rows.len() == 3)).await;
    // W before a filter: nothing opens
    d.act(Action::ResendMatches);
    assert!(d.app.compose.is_none());
    d.act(Action::StartFilter);
    for c in r#"value.id.startsWith("keep")"#.chars() {
        press(&mut d, KeyCode::Char(c));
    }
    press(&mut d, KeyCode::Enter);
    d.until("the scan's end", Duration::from_secs(30), |a| {
        a.browser.as_ref().and_then(|b| b.scan.as_ref()).is_some_and(|s| s.done)
    })
    .await;
    d.act(Action::ResendMatches);
    let bulk = d.app.compose.as_ref().and_then(|c| c.bulk.as_ref()).expect("the dialog");
    assert_eq!(bulk.drafts.len(), 2);
    // Enter without the typed name: refused at the confirmation, nothing sent
    press(&mut d, KeyCode::Enter);
    let c = d.app.compose.as_ref().unwrap();
    assert_eq!(c.stage, ComposeStage::Editing);
    assert!(c.error.as_ref().is_some_and(|(f, e)| *f == CONFIRM && e.contains("to re-send 2 messages")), "{c:?}");
    let local = avro.rsplit('/').next().unwrap().to_string();
    for ch in local.chars() {
        press(&mut d, KeyCode::Char(ch));
    }
    press(&mut d, KeyCode::Enter);
    d.until("the confirmation", Duration::from_secs(30), |a| {
        a.compose.as_ref().is_some_and(|c| matches!(&c.stage, ComposeStage::Sent(ids) if ids.len() == 2))
    })
    .await;
    // the official client reads the two copies after the originals: same bytes, the source named
    let rows = python_read(&avro, "avro");
    assert_eq!(
        values(&rows),
        vec![order("keep-1"), order("drop-2"), order("keep-3"), order("keep-1"), order("keep-3")]
    );
    for (copy, original) in [(3, 0), (4, 2)] {
        assert_eq!(rows[copy]["payload_b64"], rows[original]["payload_b64"]);
        let from = rows[copy]["properties"]["PULSAR_TUI_RESENT_FROM"].as_str().unwrap_or_default();
        assert!(from.starts_with(&format!("{avro}@")), "{:?}", rows[copy]);
    }
}

#[test]
#[ignore = "needs the broker: scripts/test runs it"]
fn key_value_inline_and_separated_read_back_by_the_java_client() {
    let prefix = format!("persistent://public/default/{}-", unique("it-kv"));
    // the distribution's Java client creates the KEY_VALUE<STRING, JSON> topics (two messages each)
    let cp = common::java_classpath("ProduceTyped.java");
    let out = Command::new("java").args(["-cp", &cp, "ProduceTyped", &target().service_url, &prefix]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("PRODUCED"), "{}", String::from_utf8_lossy(&out.stderr));
    let reader = common::java_classpath("ReadKeyValue.java");
    for enc in ["INLINE", "SEPARATED"] {
        let topic = format!("{prefix}kv-{}", enc.to_lowercase());
        produce_ok(&topic, &["--format", "jsonl"], &[json!({"key": "SKU-9", "value": {"sku": "SKU-9", "onHand": 42}})]);
        // a value that does not fit the value's schema is refused at its field
        let bad = pulsar_tui(
            &["produce", &topic, "--format", "jsonl"],
            "{\"key\": \"k\", \"value\": {\"sku\": 1, \"onHand\": 1}}\n",
        );
        assert!(!bad.status.success());
        let out = Command::new("java")
            .args(["-cp", &reader, "ReadKeyValue", &target().service_url, &topic, enc])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("READ"), "{enc}: {}", String::from_utf8_lossy(&out.stderr));
        let rows: Vec<Value> =
            text.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(rows.len(), 3, "{enc}: {text}");
        assert_eq!(rows[2]["key"], json!("SKU-9"), "{enc}: {text}");
        assert_eq!((rows[2]["sku"].clone(), rows[2]["onHand"].clone()), (json!("SKU-9"), json!(42)), "{enc}: {text}");
        // as Java wrote its own: the same shape
        assert_eq!(rows[0]["sku"], json!("SKU-1"), "{enc}: {text}");
    }
}
