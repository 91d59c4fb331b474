//! Decode throughput of ~200-byte order records through the public
//! [`Decoder`] API: AVRO, JSON (the same record as JSON text, validated
//! against the same Avro-style definition) and PROTOBUF_NATIVE (the protobuf
//! twin of the record).
//!
//! The payloads are written by `scripts/bench-decode-fixtures.py` (fastavro,
//! python `json`, python `protobuf`) into `target/bench-decode/` (or
//! `$PULSAR_TUI_BENCH_DECODE_DIR`), so Python decodes the very same bytes:
//! `scripts/bench-decode` runs the generator, this bench and the Python
//! timings, and prints one table.
//!
//! ```sh
//! python3 scripts/bench-decode-fixtures.py
//! cargo bench --bench decode -- --noplot
//! ```
//!
//! One iteration decodes every record of a format (1000 by default). The
//! group `decode` reports records/s (`elem/s`), `decode_bytes` the same work
//! in MB/s (criterion's defaults; pass `--measurement-time 2 --warm-up-time 1`
//! for a quick run). Before timing, every record is decoded once and the three formats
//! are checked to give the same JSON values.

// the binary's allocator (src/main.rs), so that the numbers are the binary's
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pulsar_tui::decode::{Decoder, SchemaInfo};
use serde_json::Value;

const FORMATS: [&str; 3] = ["avro", "json", "protobuf"];

struct Set {
    name: &'static str,
    decoder: Decoder,
    payloads: Vec<Vec<u8>>,
    bytes: u64,
}

fn fixture_dir() -> PathBuf {
    match std::env::var_os("PULSAR_TUI_BENCH_DECODE_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-decode"),
    }
}

/// Reads a `.records` file: `[u32 LE length][payload]`*.
fn read_records(path: &Path) -> Result<Vec<Vec<u8>>, String> {
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    let mut rest = data.as_slice();
    while !rest.is_empty() {
        let (len, tail) = rest.split_first_chunk::<4>().ok_or_else(|| format!("{}: truncated", path.display()))?;
        let len = u32::from_le_bytes(*len) as usize;
        if tail.len() < len {
            return Err(format!("{}: truncated", path.display()));
        }
        out.push(tail[..len].to_vec());
        rest = &tail[len..];
    }
    if out.is_empty() {
        return Err(format!("{}: no records", path.display()));
    }
    Ok(out)
}

fn load(dir: &Path, name: &'static str) -> Result<Set, String> {
    let schema_path = dir.join(format!("{name}.schema.json"));
    let text = std::fs::read_to_string(&schema_path).map_err(|e| format!("{}: {e}", schema_path.display()))?;
    let json: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", schema_path.display()))?;
    let info = SchemaInfo::from_admin_json(&json).map_err(|e| format!("{}: {e}", schema_path.display()))?;
    let decoder = Decoder::new(&info).map_err(|e| format!("{}: {e}", schema_path.display()))?;
    let payloads = read_records(&dir.join(format!("{name}.records")))?;
    let bytes = payloads.iter().map(|p| p.len() as u64).sum();
    Ok(Set { name, decoder, payloads, bytes })
}

/// Decodes everything once: no errors, no notes, and the same values in
/// every format (the generator wrote the same records three times).
fn check(sets: &[Set]) {
    let decoded: Vec<Vec<Value>> = sets
        .iter()
        .map(|s| {
            s.payloads
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let d = s.decoder.decode(p, None);
                    assert!(d.is_ok() && d.notes.is_empty(), "{} record {i}: {:?} {:?}", s.name, d.error, d.notes);
                    d.value
                })
                .collect()
        })
        .collect();
    for (s, values) in sets.iter().zip(&decoded).skip(1) {
        assert_eq!(values.len(), decoded[0].len(), "{}: record count differs from {}", s.name, sets[0].name);
        for (i, (a, b)) in decoded[0].iter().zip(values).enumerate() {
            assert_eq!(a, b, "record {i}: {} and {} decode differently", sets[0].name, s.name);
        }
    }
}

fn bench(c: &mut Criterion) {
    let dir = fixture_dir();
    let sets: Result<Vec<Set>, String> = FORMATS.iter().map(|n| load(&dir, n)).collect();
    let sets = match sets {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "decode bench: fixtures missing or unreadable ({e}).\n\
                 Create them with `python3 scripts/bench-decode-fixtures.py` \
                 (pip install -r scripts/requirements.txt grpcio-tools), or run `scripts/bench-decode`."
            );
            // `cargo bench` fails loudly; `cargo test --benches` (no --bench) only skips.
            if std::env::args().any(|a| a == "--bench") {
                std::process::exit(1);
            }
            return;
        }
    };
    check(&sets);
    for s in &sets {
        eprintln!(
            "decode bench: {} {} records, {:.1} bytes on average",
            s.name,
            s.payloads.len(),
            s.bytes as f64 / s.payloads.len() as f64
        );
    }

    let run = |s: &Set| {
        for p in &s.payloads {
            black_box(s.decoder.decode(black_box(p), None));
        }
    };
    for (group, bytes) in [("decode", false), ("decode_bytes", true)] {
        let mut g = c.benchmark_group(group);
        for s in &sets {
            g.throughput(if bytes {
                Throughput::BytesDecimal(s.bytes)
            } else {
                Throughput::Elements(s.payloads.len() as u64)
            });
            g.bench_function(s.name, |b| b.iter(|| run(s)));
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
