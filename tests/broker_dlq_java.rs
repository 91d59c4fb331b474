//! A dead letter as the Java client writes it: its dead-letter producer enables chunking, so
//! a 7 MiB letter is stored as chunks (tests/clients/DeadLetterChunked.java, compiled with
//! javac against the distribution's client). pulsar-tui reads it whole, and a requeue copies it as
//! ONE chunked message (never its chunks as messages of their own).

mod common;

use std::process::Command;

use base64::Engine;
use common::dlq::{drop_namespace, json_lines, namespace, pulsar_tui, sub_backlog, temp};
use common::{java_classpath, python_read_raw, target};
use pulsar_tui::pulsar::Client;
use serde_json::Value;

fn sha256_hex(data: &[u8]) -> String {
    let out = Command::new("python3")
        .args(["-c", "import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(data)?;
            c.wait_with_output()
        })
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn a_chunked_java_dead_letter_reads_whole_and_a_requeue_never_splits_it() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let topic = format!("persistent://{ns}/payments");
    let dlq = format!("persistent://{ns}/payments-billing-DLQ");
    let to = format!("persistent://{ns}/payments-retried");
    let cp = java_classpath("DeadLetterChunked.java");
    let out_file = temp("dead-letter.json");
    let run = Command::new("java")
        .args(["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", &cp, "DeadLetterChunked"])
        .args([&target().service_url, &topic, "billing", &dlq, out_file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "java: {}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let written: Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();

    // read: the letter is one message of the whole payload, byte for byte
    let out = pulsar_tui(&["read", &dlq, "--format", "jsonl", "--raw"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let letters = json_lines(&out.stdout);
    assert_eq!(letters.len(), 3, "two small letters and the big one: {letters:?}");
    let big = letters.iter().find(|l| l["key"] == "big").expect("the big letter");
    let raw = base64::engine::general_purpose::STANDARD.decode(big["raw_base64"].as_str().unwrap()).unwrap();
    assert_eq!(raw.len() as u64, written["big_size"].as_u64().unwrap());
    assert_eq!(sha256_hex(&raw), written["big_sha256"].as_str().unwrap());
    assert_eq!(big["chunks"]["count"], 2);
    assert!(big["decode_error"].is_null());
    assert!(big["properties"]["REAL_TOPIC"].as_str().unwrap().ends_with("payments"));

    // requeue: all three move; the big one is larger than one message may be, so it is
    // published as ONE chunked message (pulsar-tui's own producer, src/pulsar/wire), never
    // as its chunks, and both chunk entries are acknowledged only after the broker confirmed
    let journal = temp("journal.jsonl");
    let args = ["dlq", "requeue", &dlq, "--to", &to, "--yes", "--journal", journal.to_str().unwrap()];
    let out = pulsar_tui(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let summary = json_lines(&out.stdout).pop().unwrap()["summary"].clone();
    assert_eq!((summary["moved"].as_u64(), summary["failed"].as_u64()), (Some(3), Some(0)), "{summary}");
    // the official client reads three messages: the big one whole, byte for byte
    let got = python_read_raw(&to);
    let keys: Vec<&str> = got.iter().map(|m| m["key"].as_str().unwrap()).collect();
    assert_eq!(keys.len(), 3, "one message per letter, no chunk on its own: {keys:?}");
    assert!(keys.contains(&"small-1") && keys.contains(&"small-2"));
    let copy = got.iter().find(|m| m["key"] == "big").unwrap();
    let copy_raw = base64::engine::general_purpose::STANDARD.decode(copy["payload_b64"].as_str().unwrap()).unwrap();
    assert_eq!(sha256_hex(&copy_raw), written["big_sha256"].as_str().unwrap(), "the copy is identical");
    // the letter's own properties, without the DLQ's bookkeeping (Java's included), and where
    // it came from
    let props = copy["properties"].as_object().unwrap();
    assert_eq!(props.get("i").and_then(|v| v.as_str()), Some("0"), "{copy}");
    for k in ["REAL_TOPIC", "ORIGIN_MESSAGE_ID", "REAL_SUBSCRIPTION", "ORIGIN_MESSAGE_IDY_TIME"] {
        assert!(!props.contains_key(k), "{k} is stripped: {copy}");
    }
    assert!(props["PULSAR_TUI_REQUEUED_FROM"].as_str().unwrap().starts_with(&dlq), "{copy}");
    // pulsar-tui reads the copy as one chunked message too
    let out = pulsar_tui(&["read", &to, "--format", "jsonl"]);
    let copies = json_lines(&out.stdout);
    let big_copy = copies.iter().find(|l| l["key"] == "big").expect("the big copy");
    assert_eq!(big_copy["size"].as_u64(), written["big_size"].as_u64());
    assert!(big_copy["chunks"]["count"].as_u64().unwrap() >= 2, "{big_copy}");
    // the journal names the copy's id; nothing is left in the DLQ
    let journal_text = std::fs::read_to_string(&journal).unwrap();
    assert_eq!(journal_text.lines().count(), 3, "{journal_text}");
    assert_eq!(sub_backlog(&dlq, "pulsar-tui-requeue", false), 0);
    // a second run finds nothing to move
    let out = pulsar_tui(&args);
    let summary = json_lines(&out.stdout).pop().unwrap()["summary"].clone();
    assert_eq!((summary["moved"].as_u64(), summary["failed"].as_u64()), (Some(0), Some(0)), "{summary}");
    drop_namespace(&client, &ns).await;
}
