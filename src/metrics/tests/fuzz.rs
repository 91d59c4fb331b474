//! Property-style robustness: random bytes and random mutations of the real
//! fixture must never panic, and the line accounting must always add up.

use super::STANDALONE_4_0_8;
use crate::metrics::history::MetricsHistory;
use crate::metrics::model::SnapshotBuilder;
use crate::metrics::prom::{parse_chunked_with, parse_str_with, ParseOptions, ParseStats};

/// xorshift64* — deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const INTERESTING: &[&[u8]] = &[
    b"\"",
    b"\\",
    b"\\\"",
    b"{",
    b"}",
    b",",
    b"=",
    b"\n",
    b"\r\n",
    b" ",
    b"\t",
    b"#",
    b"# EOF\n",
    b"NaN",
    b"+Inf",
    b"-Inf",
    b"1e308",
    b"-",
    b"partition-",
    b"-partition-0",
    b"\xff",
    b"\xe2\x82",
    b"pulsar_subscription_back_log{topic=\"",
    b"subscription=\"",
    b"consumer_name=\"x\",",
    b"{\"q\"",
    b"9999999999999999999999",
];

fn mutate(rng: &mut Rng, data: &mut Vec<u8>) {
    for _ in 0..(1 + rng.below(8)) {
        let pos = rng.below(data.len() + 1);
        match rng.below(6) {
            0 if !data.is_empty() => {
                let p = pos.min(data.len() - 1);
                data[p] = rng.next() as u8;
            }
            1 => {
                let ins = INTERESTING[rng.below(INTERESTING.len())];
                data.splice(pos..pos, ins.iter().copied());
            }
            2 if !data.is_empty() => {
                let end = (pos + rng.below(64)).min(data.len());
                data.drain(pos.min(end)..end);
            }
            3 if pos < data.len() => {
                let end = (pos + rng.below(200)).min(data.len());
                let chunk: Vec<u8> = data[pos..end].to_vec();
                let at = rng.below(data.len() + 1);
                data.splice(at..at, chunk);
            }
            4 => {
                let n = rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                data.splice(pos..pos, bytes);
            }
            _ => {
                let p = pos.min(data.len());
                data.insert(p, b'\n');
            }
        }
    }
}

fn check(data: &[u8], opts: &ParseOptions) {
    let mut builder = SnapshotBuilder::new();
    let mut n = 0u64;
    let stats = parse_chunked_with(data, opts, |s| {
        n += 1;
        builder.ingest(s);
        // Touch everything a consumer may touch.
        let _ = s.labels.iter().count();
        let _ = s.label("topic");
    })
    .expect("in-memory reader without size limit cannot fail");
    assert_accounting(&stats, n);
    assert!(stats.bytes <= data.len() as u64);
    if !stats.saw_eof {
        assert_eq!(stats.bytes, data.len() as u64);
    }
    builder.add_broker_result("fuzz", Ok(stats), 0);
    let snap = builder.finish();
    serde_json::to_string(&snap).expect("snapshot serializes");
    let mut h = MetricsHistory::new(60_000, 8);
    h.ingest(&snap, 0);
    h.ingest(&snap, 1);

    let text = String::from_utf8_lossy(data);
    let mut m = 0u64;
    let st = parse_str_with(&text, opts, |_| m += 1);
    assert_accounting(&st, m);
}

fn assert_accounting(stats: &ParseStats, delivered: u64) {
    assert_eq!(stats.samples, delivered);
    assert_eq!(stats.samples + stats.comment_lines + stats.blank_lines + stats.skipped_lines, stats.lines, "{stats:?}");
    assert!(stats.skipped.len() as u64 <= stats.skipped_lines);
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let opts = ParseOptions { max_bytes: None, max_line_bytes: 256, ..ParseOptions::default() };
    for case in 0..6_000 {
        let len = rng.below(600);
        let data: Vec<u8> = if case % 2 == 0 {
            (0..len).map(|_| rng.next() as u8).collect()
        } else {
            // Biased towards the exposition alphabet.
            const ALPHA: &[u8] = b"pulsar_{}=\",\\ \n#0123456789.eE+-NaInf:/\r\t";
            (0..len).map(|_| ALPHA[rng.below(ALPHA.len())]).collect()
        };
        check(&data, &opts);
    }
}

#[test]
fn mutated_fixture_never_panics() {
    let src = STANDALONE_4_0_8.as_bytes();
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for case in 0..6_000 {
        let start = rng.below(src.len());
        let len = 512 + rng.below(4096);
        let end = (start + len).min(src.len());
        let mut data = src[start..end].to_vec();
        mutate(&mut rng, &mut data);
        let opts = ParseOptions {
            max_bytes: None,
            max_line_bytes: if case % 3 == 0 { 64 } else { 1 << 20 },
            ..ParseOptions::default()
        };
        check(&data, &opts);
    }
}

#[test]
fn swar_scan_matches_naive_scan() {
    let mut rng = Rng(42);
    const ALPHA: &[u8] = b"ab\"\\\x80\xff\x22\x5c\x00 ";
    for _ in 0..20_000 {
        let len = rng.below(40);
        let data: Vec<u8> = (0..len).map(|_| ALPHA[rng.below(ALPHA.len())]).collect();
        let from = rng.below(len + 1);
        let naive = data[from..].iter().position(|&c| c == b'"' || c == b'\\').map(|p| p + from);
        assert_eq!(crate::metrics::prom::find_quote_or_backslash(&data, from), naive, "{data:?} from {from}");
    }
}
