//! Cross-cutting tests: every fixture case, and robustness against
//! arbitrary bytes for every decoder.

use proptest::prelude::*;

use super::test_support::{all_case_names, check_case, load_case};
use super::*;

#[test]
fn every_fixture_case() {
    let names = all_case_names();
    assert!(names.len() >= 50, "only {} cases", names.len());
    for name in names {
        check_case(&load_case(&name));
    }
}

#[test]
fn every_schema_type_has_a_fixture() {
    let mut seen = std::collections::HashSet::new();
    for name in all_case_names() {
        let case = load_case(&name);
        match &case.info {
            Some(info) => {
                seen.insert(info.schema_type);
            }
            None => {
                seen.insert(SchemaType::None);
            }
        }
    }
    for t in SchemaType::ALL {
        let covered = seen.contains(t)
            // AUTO and AUTO_PUBLISH share the schemaless path with NONE,
            // BYTES and AUTO_CONSUME, which have fixtures.
            || matches!(t, SchemaType::Auto | SchemaType::AutoPublish);
        assert!(covered, "no fixture for {t}");
    }
    for t in [SchemaType::Auto, SchemaType::AutoPublish] {
        let info = SchemaInfo {
            schema_type: t,
            version: None,
            timestamp_ms: None,
            data: String::new(),
            properties: Default::default(),
        };
        let out = Decoder::new(&info).unwrap().decode(b"{\"a\":1}", None);
        assert_eq!(out.value, serde_json::json!({"a": 1}));
        assert_eq!(out.kind, ValueKind::Json);
    }
}

#[test]
fn decoder_is_send_sync_clone() {
    fn assert_traits<T: Send + Sync + Clone + 'static>() {}
    assert_traits::<Decoder>();
    assert_traits::<Decoded>();
    assert_traits::<SchemaInfo>();
    assert_traits::<DecodeError>();
}

/// The decoders exercised by the robustness tests (built once).
fn fuzz_decoders() -> &'static [(String, Decoder)] {
    static DECODERS: std::sync::OnceLock<Vec<(String, Decoder)>> = std::sync::OnceLock::new();
    DECODERS.get_or_init(build_fuzz_decoders)
}

fn build_fuzz_decoders() -> Vec<(String, Decoder)> {
    let mut out = Vec::new();
    for name in [
        "avro_everything",
        "avro_node",
        "order_v2",
        "json_user",
        "protobuf_native_person",
        "protobuf_legacy_person",
        "protobuf_legacy_noinfo",
        "kv_inline",
        "kv_separated",
        "kv_primitive",
    ] {
        let case = load_case(name);
        let info = case.info.expect("schema");
        out.push((name.to_string(), Decoder::new(&info).expect("compiles")));
    }
    for t in SchemaType::ALL {
        if let Some(p) = primitive::Primitive::from_type(*t) {
            out.push((t.name().to_string(), Decoder { schema_type: *t, inner: Inner::Primitive(p) }));
        }
    }
    out.push(("schemaless".into(), Decoder::schemaless()));
    out
}

fn check_invariants(name: &str, out: &Decoded) {
    if out.error.is_some() {
        assert_eq!(out.value, serde_json::Value::Null, "{name}");
        assert_eq!(out.kind, ValueKind::Binary, "{name}");
    }
    // rendering helpers must cope with whatever came out
    let _ = preview(&out.value, 40);
}

/// Deterministic xorshift so the loop needs no extra dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// One of `seeds`, with 1 to `max_edits` random edits (a byte replaced, flipped or
/// inserted, or the tail cut).
fn mutate(rng: &mut XorShift, seeds: &[Vec<u8>], max_edits: u64) -> Vec<u8> {
    let mut b = seeds[(rng.next() as usize) % seeds.len()].clone();
    for _ in 0..1 + rng.next() % max_edits {
        if b.is_empty() {
            break;
        }
        let at = (rng.next() as usize) % b.len();
        match rng.next() % 4 {
            0 => b[at] = rng.next() as u8,
            1 => b.truncate(at),
            2 => b.insert(at, rng.next() as u8),
            _ => b[at] ^= 1 << (rng.next() % 8),
        }
    }
    b
}

/// ≥ 10k pseudo-random byte strings per decoder, plus mutations of the
/// valid fixture payloads (which reach far deeper into each decoder).
#[test]
fn pseudo_random_bytes_never_panic() {
    let decoders = fuzz_decoders();
    assert!(decoders.len() > 20);
    let seeds: Vec<Vec<u8>> =
        ["avro_everything", "protobuf_native_person", "kv_inline", "kv_separated", "json_user", "prim_local_date_time"]
            .iter()
            .map(|n| load_case(n).payload)
            .collect();
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for (name, dec) in decoders {
        for i in 0..10_000u32 {
            let bytes: Vec<u8> = if i % 2 == 0 {
                let len = (rng.next() % 64) as usize;
                (0..len).map(|_| rng.next() as u8).collect()
            } else {
                mutate(&mut rng, &seeds, 4)
            };
            let key: Vec<u8> = (0..(rng.next() % 8)).map(|_| rng.next() as u8).collect();
            let out = dec.decode(&bytes, Some(&key));
            check_invariants(name, &out);
        }
    }
}

/// The long fuzz run: `PULSAR_TUI_FUZZ_SECONDS=180 cargo test --release --lib long_fuzz --
/// --ignored --nocapture` mutates the fixture payloads of every Avro, Protobuf and
/// KeyValue decoder (and random bytes) for that many seconds per decoder, with a seed from
/// the clock (printed, so a failure can be replayed with PULSAR_TUI_FUZZ_SEED). CI runs the
/// short, deterministic versions above and below.
#[test]
#[ignore]
fn long_fuzz() {
    let seconds: u64 = std::env::var("PULSAR_TUI_FUZZ_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let seed: u64 = std::env::var("PULSAR_TUI_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
    });
    println!("long_fuzz: seed {seed}, {seconds} s per decoder");
    let seeds: Vec<Vec<u8>> = [
        "avro_everything",
        "avro_node",
        "protobuf_native_person",
        "kv_inline",
        "kv_separated",
        "kv_primitive",
        "json_user",
    ]
    .iter()
    .map(|n| load_case(n).payload)
    .collect();
    let mut rng = XorShift(seed);
    for (name, dec) in fuzz_decoders()
        .iter()
        .filter(|(n, _)| n.starts_with("avro") || n.starts_with("protobuf") || n.starts_with("kv") || n == "order_v2")
    {
        let start = std::time::Instant::now();
        let mut runs = 0u64;
        while start.elapsed().as_secs() < seconds {
            let bytes: Vec<u8> = if runs.is_multiple_of(4) {
                let len = (rng.next() % 300) as usize;
                (0..len).map(|_| rng.next() as u8).collect()
            } else {
                mutate(&mut rng, &seeds, 8)
            };
            let key: Vec<u8> = (0..(rng.next() % 12)).map(|_| rng.next() as u8).collect();
            let out = dec.decode(&bytes, Some(&key));
            check_invariants(name, &out);
            runs += 1;
        }
        println!("long_fuzz: {name}: {runs} inputs in {:.0} s, no panic", start.elapsed().as_secs_f64());
    }
}

proptest! {
    // PROPTEST_CASES raises the case count for a longer run
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256),
                                   key in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..16))) {
        for (name, dec) in fuzz_decoders() {
            let out = dec.decode(&bytes, key.as_deref());
            check_invariants(name, &out);
        }
    }

    #[test]
    fn arbitrary_schema_text_never_panics(data in ".{0,200}", props in ".{0,100}") {
        for t in SchemaType::ALL {
            let mut properties = std::collections::BTreeMap::new();
            properties.insert("__PARSING_INFO__".to_string(), props.clone());
            properties.insert("key.schema.type".to_string(), "AVRO".to_string());
            properties.insert("key.schema.properties".to_string(), props.clone());
            let info = SchemaInfo {
                schema_type: *t,
                version: None,
                timestamp_ms: None,
                data: data.clone(),
                properties,
            };
            if let Ok(dec) = Decoder::new(&info) {
                let _ = dec.decode(data.as_bytes(), None);
            }
        }
    }

    #[test]
    fn arbitrary_descriptor_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = SchemaInfo::from_descriptor_set(&bytes, "a.B");
    }

    #[test]
    fn hex_dump_and_preview_total(bytes in proptest::collection::vec(any::<u8>(), 0..100),
                                  max in 0usize..120,
                                  text in ".{0,50}") {
        let dump = hex_dump(&bytes, max);
        let shown = bytes.len().min(max);
        let lines = dump.len();
        let expected_lines = shown.div_ceil(16) + usize::from(bytes.len() > max);
        prop_assert_eq!(lines, expected_lines);
        let p = preview(&serde_json::Value::String(text.clone()), max);
        prop_assert!(p.chars().count() <= max);
        let p = preview(&serde_json::json!({"t": text, "b": bytes}), max);
        prop_assert!(p.chars().count() <= max);
    }
}
