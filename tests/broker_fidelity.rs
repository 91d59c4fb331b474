//! Message-model fidelity against the real broker: messages written by the official Python
//! client (tests/clients/fidelity.py) in every shape a real topic holds (batching on and
//! off, every compression codec, a 7 MiB chunked message with every codec, encrypted
//! messages, delayed messages, tombstones, a partitioned topic) are read by `pulsar-tui read`
//! and by the browser exactly as the Python client's own reader gets them: same count, same
//! order per partition, same ids, keys, properties and payload bytes.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use base64::Engine;
use common::dlq::{drop_namespace, json_lines, namespace, pulsar_tui, temp};
use common::{target, Driver};
use pulsar::proto::CompressionType;
use pulsar_tui::app::tree::Load;
use pulsar_tui::app::Settings;
use pulsar_tui::pulsar::message::{MessageId, StartFrom};
use pulsar_tui::pulsar::wire::RawReader;
use pulsar_tui::pulsar::{Client, TopicName};
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(60);

fn script() -> String {
    format!("{}/tests/clients/fidelity.py", env!("CARGO_MANIFEST_DIR"))
}

fn keys_dir() -> PathBuf {
    let dir = std::env::temp_dir().join("pulsar-tui-fidelity-keys");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fidelity(args: &[&str]) {
    let out = Command::new("python3")
        .arg(script())
        .args(args)
        .env("FIDELITY_KEYS_DIR", keys_dir())
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "fidelity.py {args:?}:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One message, as both sides are compared: id, key, properties, payload bytes.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    id: String,
    key: Option<String>,
    properties: BTreeMap<String, String>,
    payload: Vec<u8>,
}

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn properties(v: &Value) -> BTreeMap<String, String> {
    serde_json::from_value(v.clone()).unwrap_or_default()
}

/// What the official Python reader gets, per partition in its order.
fn python_view(topic: &str) -> BTreeMap<i64, Vec<Seen>> {
    let out = temp("python.jsonl");
    fidelity(&["read", &target().service_url, topic, out.to_str().unwrap()]);
    let mut by_part: BTreeMap<i64, Vec<Seen>> = BTreeMap::new();
    for l in json_lines(&std::fs::read(&out).unwrap()) {
        let part = l["partition"].as_i64().unwrap();
        let id = format!("{}:{}:{}:{}", l["ledger"], l["entry"], part, l["batch_index"]);
        by_part.entry(part).or_default().push(Seen {
            id,
            key: l["key"].as_str().filter(|k| !k.is_empty()).map(str::to_string),
            properties: properties(&l["properties"]),
            payload: b64(l["payload_b64"].as_str().unwrap()),
        });
    }
    by_part
}

/// `pulsar-tui read --format jsonl --raw`: the envelopes, and the same per partition.
fn our_view(topic: &str) -> (Vec<Value>, BTreeMap<i64, Vec<Seen>>) {
    let out = pulsar_tui(&["read", topic, "--format", "jsonl", "--raw"]);
    assert!(out.status.success(), "read {topic}: {}", String::from_utf8_lossy(&out.stderr));
    let lines = json_lines(&out.stdout);
    let mut by_part: BTreeMap<i64, Vec<Seen>> = BTreeMap::new();
    for l in &lines {
        by_part.entry(l["partition"].as_i64().unwrap()).or_default().push(Seen {
            id: l["message_id"].as_str().unwrap().to_string(),
            key: l["key"].as_str().map(str::to_string),
            properties: properties(&l["properties"]),
            payload: l["raw_base64"].as_str().map(b64).unwrap_or_default(),
        });
    }
    (lines, by_part)
}

/// What the browser shows for the topic, per partition in table order.
async fn browser_view(client: &Client, topic: &str) -> BTreeMap<i64, Vec<Seen>> {
    let settings = Settings { page_size: 100, window: 200, ..Settings::default() };
    let mut d = Driver::new(client.clone(), settings);
    d.until("tenants", LIMIT, |app| app.explorer.tree.roots_load == Load::Loaded).await;
    let reqs = d.app.open_browser(TopicName::parse(topic).unwrap(), StartFrom::Earliest);
    d.submit(reqs);
    d.until("the whole topic", LIMIT, |app| app.browser.as_ref().is_some_and(|b| b.loading.is_none() && b.at_end))
        .await;
    let b = d.app.browser.as_ref().unwrap();
    let mut by_part: BTreeMap<i64, Vec<Seen>> = BTreeMap::new();
    for r in &b.rows {
        let m = &r.message;
        by_part.entry(i64::from(m.id.partition)).or_default().push(Seen {
            id: m.id.to_string(),
            key: m.key.clone(),
            properties: m.properties.clone(),
            payload: m.payload.clone(),
        });
    }
    by_part
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn every_kind_of_message_reads_as_the_python_client_reads_it() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let mut kinds: Vec<String> = Vec::new();
    for codec in ["NONE", "LZ4", "ZLIB", "ZSTD", "SNAPPY"] {
        kinds.push(format!("plain-{codec}"));
        kinds.push(format!("batched-{codec}"));
        kinds.push(format!("chunked-{codec}"));
    }
    kinds.extend(["encrypted", "encrypted-batched", "delayed", "tombstone", "partitioned"].map(String::from));
    for kind in &kinds {
        let topic = format!("persistent://{ns}/fidelity-{}", kind.to_lowercase());
        if kind == "partitioned" {
            client.admin.create_topic(&TopicName::parse(&topic).unwrap(), 3).await.unwrap();
        }
        let sent = temp("sent.json");
        fidelity(&["write", &target().service_url, &topic, kind, sent.to_str().unwrap()]);
        let python = python_view(&topic);
        let (envelopes, ours) = our_view(&topic);
        assert!(!python.is_empty(), "{kind}: the Python reader got nothing");
        assert_eq!(ours, python, "{kind}: pulsar-tui read differs from the Python reader");
        let browser = browser_view(&client, &topic).await;
        assert_eq!(browser, python, "{kind}: the browser differs from the Python reader");
        // a filter scan sees the same messages: exactly the Python reader's matching subset
        let out = pulsar_tui(&["read", &topic, "--format", "jsonl", "--raw", "--filter", "key.endsWith('1')"]);
        assert!(out.status.success(), "{kind}: {}", String::from_utf8_lossy(&out.stderr));
        let filtered: Vec<String> =
            json_lines(&out.stdout).iter().map(|l| l["message_id"].as_str().unwrap().to_string()).collect();
        let mut want: Vec<String> = python
            .values()
            .flatten()
            .filter(|m| m.key.as_deref().is_some_and(|k| k.ends_with('1')))
            .map(|m| m.id.clone())
            .collect();
        let mut got = filtered.clone();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{kind}: the filtered read");

        // what the envelope says beyond the bytes
        let count = envelopes.len();
        match kind.as_str() {
            k if k.starts_with("batched-") => {
                assert_eq!(count, 25, "{kind}");
                assert!(envelopes.iter().all(|e| e["batch"]["size"].as_u64().is_some()), "{kind}: batch info");
                assert!(envelopes.iter().all(|e| e["decode_error"].is_null()), "{kind}: {envelopes:?}");
            }
            k if k.starts_with("plain-") => {
                assert_eq!(count, 20, "{kind}");
                assert!(envelopes.iter().all(|e| e["decode_error"].is_null()), "{kind}");
                if k != "plain-NONE" {
                    let codec = &k["plain-".len()..];
                    assert!(envelopes.iter().all(|e| e["compression"] == codec), "{kind}: compression shown");
                }
            }
            k if k.starts_with("chunked-") => {
                assert_eq!(count, 3, "{kind}");
                let big = &envelopes[1];
                assert_eq!(big["size"], 7 * 1024 * 1024, "{kind}: the whole message, not a chunk");
                assert_eq!(big["chunks"]["count"], 2, "{kind}");
                let ids = big["chunks"]["ids"].as_array().unwrap();
                assert_eq!(ids.len(), 2, "{kind}");
                assert!(big["decode_error"].is_null(), "{kind}: {}", big["decode_error"]);
                // as stored: the codec on every chunk, with it the whole message's uncompressed
                // size on each, the compressed size as the total (README-fidelity.md)
                let name = TopicName::parse(&topic).unwrap();
                let mut raw = RawReader::new(&client, &name);
                let codec = &k["chunked-".len()..];
                let mut stored = 0;
                for id in ids {
                    let id: MessageId = id.as_str().unwrap().parse().unwrap();
                    let e = raw.fetch((id.ledger, id.entry)).await.unwrap().expect("the chunk's entry");
                    let md = &e.metadata;
                    let named = md.compression.and_then(|c| CompressionType::try_from(c).ok()).unwrap_or_default();
                    assert_eq!(named.as_str_name(), codec, "{kind}");
                    if codec != "NONE" {
                        assert_eq!(md.uncompressed_size, Some(7 * 1024 * 1024), "{kind}: the whole message's");
                    }
                    stored += e.payload.len();
                    if md.chunk_id == Some(1) {
                        assert_eq!(md.total_chunk_msg_size, Some(stored as i32), "{kind}: the compressed total");
                    }
                }
                raw.close().await;
            }
            "encrypted" | "encrypted-batched" => {
                for e in &envelopes {
                    let err = e["decode_error"].as_str().unwrap_or_default();
                    assert!(err.starts_with("encrypted (keys: fidelity-key)"), "{kind}: {err}");
                    assert!(e["value"].is_null(), "{kind}: ciphertext is never decoded");
                    assert_eq!(e["encryption"]["keys"][0], "fidelity-key");
                }
            }
            "delayed" => {
                assert!(envelopes.iter().all(|e| e["deliver_at"].is_string()), "{envelopes:?}");
            }
            "tombstone" => {
                assert_eq!(envelopes[1]["null_value"], true, "k-1 is a null value");
                assert!(envelopes[2].get("null_value").is_none(), "k-2 is empty, not null");
            }
            "partitioned" => assert_eq!(python.len(), 3, "three partitions"),
            _ => {}
        }
    }
    drop_namespace(&client, &ns).await;
}

/// A read that starts between the chunks of a chunked message (compressed as a whole, so
/// only the reassembled chunks decompress) cannot complete it: the lone last chunk is one row
/// that says so, with no payload, never garbage; the message after it is read. The same from
/// the start gives the whole message (the test above).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn a_read_starting_between_chunks_is_one_error_row_never_garbage() {
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    for kind in ["chunked-SNAPPY", "chunked-NONE"] {
        let topic = format!("persistent://{ns}/fidelity-between-{}", kind.to_lowercase());
        let sent = temp("sent.json");
        fidelity(&["write", &target().service_url, &topic, kind, sent.to_str().unwrap()]);
        let (whole, _) = our_view(&topic);
        let last_chunk = whole[1]["message_id"].as_str().unwrap().to_string();
        let out = pulsar_tui(&["read", &topic, "--format", "jsonl", "--raw", "--from", &last_chunk]);
        assert!(out.status.success(), "{kind}: {}", String::from_utf8_lossy(&out.stderr));
        let envelopes = json_lines(&out.stdout);
        assert_eq!(envelopes.len(), 2, "{kind}: the lone chunk and k-2: {envelopes:?}");
        let lone = &envelopes[0];
        assert_eq!(lone["message_id"], last_chunk.as_str(), "{kind}");
        assert!(
            lone["value"].is_null() && lone["raw_base64"].as_str().unwrap_or_default().is_empty(),
            "{kind}: {lone}"
        );
        let err = lone["decode_error"].as_str().unwrap_or_default();
        assert!(
            err.contains("incomplete chunked message") && err.contains("without the chunks before it"),
            "{kind}: {err}"
        );
        assert_eq!(envelopes[1]["key"], "k-2", "{kind}");
        assert!(envelopes[1]["decode_error"].is_null(), "{kind}");
    }
    drop_namespace(&client, &ns).await;
}

/// A requeue of a DLQ that holds Snappy messages, LZ4 batches and encrypted messages written
/// by the Python client: the readable ones move byte for byte (Snappy entries read again by
/// position), a filter leaves whole batches behind, the encrypted ones stay with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn a_dlq_of_every_codec_and_encryption_requeues_what_can_be_copied_exactly() {
    use common::dlq::sub_backlog;
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    let dlq = format!("persistent://{ns}/mixed-s-DLQ");
    let to = format!("persistent://{ns}/mixed-target");
    client.admin.create_subscription(&TopicName::parse(&dlq).unwrap(), "pulsar-tui-requeue").await.unwrap();
    let mut sent: BTreeMap<(String, String), Vec<u8>> = BTreeMap::new();
    for kind in ["plain-SNAPPY", "batched-LZ4", "encrypted"] {
        let out = temp("sent.json");
        fidelity(&["write", &target().service_url, &dlq, kind, out.to_str().unwrap()]);
        let v: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        for m in v.as_array().unwrap() {
            let key = m["key"].as_str().unwrap().to_string();
            sent.insert((kind.to_string(), key), b64(m["payload_b64"].as_str().unwrap()));
        }
    }
    let journal = temp("journal.jsonl");
    let j = journal.to_str().unwrap();
    let run = |filter: Option<&str>| {
        let mut args = vec!["dlq", "requeue", &dlq, "--to", &to, "--yes", "--journal", j];
        if let Some(f) = filter {
            args.extend(["--filter", f]);
        }
        let out = pulsar_tui(&args);
        assert_eq!(out.status.code(), Some(1), "the encrypted messages fail: {}", String::from_utf8_lossy(&out.stderr));
        json_lines(&out.stdout).pop().unwrap()["summary"].clone()
    };
    let first = run(Some("key.endsWith('1')"));
    // k-1, k-11 (Snappy), k-1, k-11, k-21 (LZ4 batches) move; the encrypted k-1 stays
    assert_eq!((first["moved"].as_u64(), first["failed"].as_u64()), (Some(5), Some(1)), "{first}");
    let reason = first["failures"][0][1].as_str().unwrap();
    assert!(reason.starts_with("encrypted (keys: fidelity-key)"), "{reason}");
    let second = run(None);
    assert_eq!(second["moved"], 18 + 22, "{second}");
    // the moved Snappy entries were acknowledged; the LZ4 batches come again whole, and the
    // journal skips their three moved members
    assert_eq!(second["skipped"], 3, "{second}");
    assert_eq!(second["failed"], 3, "{second}");
    // the copies, as the official client reads them: every readable message once, exactly
    let got = common::python_read_raw(&to);
    assert_eq!(got.len(), 45);
    for m in &got {
        let kind = m["properties"]["kind"].as_str().unwrap().to_string();
        let key = m["key"].as_str().unwrap().to_string();
        let want = sent.get(&(kind.clone(), key.clone())).unwrap_or_else(|| panic!("unexpected {kind} {key}"));
        assert_eq!(&b64(m["payload_b64"].as_str().unwrap()), want, "{kind} {key}");
        assert_ne!(kind, "encrypted");
    }
    // only the three encrypted entries are left unacknowledged
    assert_eq!(sub_backlog(&dlq, "pulsar-tui-requeue", false), 3);
    drop_namespace(&client, &ns).await;
}

/// Paging resumes after the last message of a page (`PartStart::After`) with fresh readers:
/// when the entries are Snappy (read again through the admin API), the page after still
/// holds exactly the messages after it, none twice, none lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the broker: scripts/test runs it"]
async fn pages_of_snappy_entries_resume_exactly_after_the_last_message() {
    use pulsar_tui::pulsar::reader::{Cursor, PartStart, TopicReader};
    let client = Client::new(target()).unwrap();
    let ns = namespace(&client).await;
    for kind in ["plain-SNAPPY", "batched-SNAPPY"] {
        let topic = format!("persistent://{ns}/paging-{}", kind.to_lowercase());
        let sent = temp("sent.json");
        fidelity(&["write", &target().service_url, &topic, kind, sent.to_str().unwrap()]);
        let name = TopicName::parse(&topic).unwrap();
        let mut all = Vec::new();
        let mut r = TopicReader::open(&client, &name, &StartFrom::Earliest, false).await.unwrap();
        while let Some(m) = r.next().await.unwrap() {
            all.push(m);
        }
        assert!(all.len() >= 20, "{kind}: {}", all.len());
        for cut in [0usize, 3, 9, 10, all.len() - 2] {
            let cursor = Cursor { parts: vec![PartStart::After(all[cut].id)] };
            let mut r = TopicReader::open_at(&client, &name, &cursor, false).await.unwrap();
            let mut rest = Vec::new();
            while let Some(m) = r.next().await.unwrap() {
                rest.push(m.id);
            }
            let want: Vec<_> = all[cut + 1..].iter().map(|m| m.id).collect();
            assert_eq!(rest, want, "{kind}: the page after message {cut}");
        }
    }
    drop_namespace(&client, &ns).await;
}
