use crate::metrics::prom::*;
use std::io::{BufReader, Cursor};

/// Owned copy of a sample, for assertions.
#[derive(Debug, Clone, PartialEq)]
struct Owned {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
    ts: Option<i64>,
}

fn collect(s: &str) -> (Vec<Owned>, ParseStats) {
    let mut out = Vec::new();
    let stats = parse_str(s, |smp| out.push(own(smp)));
    (out, stats)
}

fn collect_chunked(bytes: &[u8], opts: &ParseOptions) -> (Vec<Owned>, std::io::Result<ParseStats>) {
    let mut out = Vec::new();
    // A tiny BufReader capacity exercises lines spanning buffer refills.
    let reader = BufReader::with_capacity(7, Cursor::new(bytes));
    let res = parse_chunked_with(reader, opts, |smp| out.push(own(smp)));
    (out, res)
}

fn own(s: &Sample<'_>) -> Owned {
    Owned {
        name: s.name.to_string(),
        labels: s.labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        value: s.value,
        ts: s.timestamp_ms,
    }
}

fn one(line: &str) -> Owned {
    let (v, stats) = collect(line);
    assert_eq!(stats.skipped_lines, 0, "{line:?}: {:?}", stats.skipped);
    assert_eq!(v.len(), 1, "{line:?}");
    v.into_iter().next().unwrap()
}

fn skip_reason(line: &str) -> SkipReason {
    let (v, stats) = collect(line);
    assert!(v.is_empty(), "{line:?} parsed as {v:?}");
    assert_eq!(stats.skipped_lines, 1, "{line:?}");
    stats.skipped[0].reason
}

fn label<'a>(o: &'a Owned, k: &str) -> Option<&'a str> {
    o.labels.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

#[test]
fn plain_and_labelled_samples() {
    let s = one("foo 1");
    assert_eq!(s.name, "foo");
    assert!(s.labels.is_empty());
    assert_eq!(s.value, 1.0);
    assert_eq!(s.ts, None);

    let s = one(
        r#"pulsar_rate_in{cluster="standalone",namespace="public/default",topic="persistent://public/default/t"} 12.733"#,
    );
    assert_eq!(s.name, "pulsar_rate_in");
    assert_eq!(label(&s, "namespace"), Some("public/default"));
    assert_eq!(label(&s, "topic"), Some("persistent://public/default/t"));
    assert_eq!(s.value, 12.733);

    // Java doubles, integers, empty label set, colon in name.
    assert_eq!(one("a:b_c{} 1.073741824E9").value, 1.073741824e9);
    assert_eq!(one("x -3").value, -3.0);
}

#[test]
fn spaces_inside_label_sets_and_trailing_comma() {
    let s = one(r#"pulsar_health{cluster="standalone", broker="127.0.0.1", metric="broker_health"} -1"#);
    assert_eq!(label(&s, "broker"), Some("127.0.0.1"));
    assert_eq!(label(&s, "metric"), Some("broker_health"));
    let s = one("m{ a = \"b\" , c=\"d\", } 2");
    assert_eq!(s.labels, vec![("a".into(), "b".into()), ("c".into(), "d".into())]);
    let s = one("m\t{a=\"b\"}\t3");
    assert_eq!(s.value, 3.0);
}

#[test]
fn escapes_in_label_values() {
    let s = one(r#"m{a="x\"y\\z\nw"} 1"#);
    assert_eq!(label(&s, "a"), Some("x\"y\\z\nw"));
}

#[test]
fn separators_and_quotes_inside_label_values() {
    let s = one(r#"m{subscription="a,b=c",x="\"q\"",y="}{",z="persistent://t/ns:1/x"} 2"#);
    assert_eq!(label(&s, "subscription"), Some("a,b=c"));
    assert_eq!(label(&s, "x"), Some("\"q\""));
    assert_eq!(label(&s, "y"), Some("}{"));
    assert_eq!(label(&s, "z"), Some("persistent://t/ns:1/x"));
}

#[test]
fn pulsar_unescaped_backslashes() {
    // Pulsar escapes `"` but not `\`: subscription `q"uote\back`.
    let s = one(r#"m{subscription="q\"uote\back"} 1"#);
    assert_eq!(label(&s, "subscription"), Some("q\"uote\\back"));
    // A value ending with a backslash (`a\`) renders as `"a\"`.
    let (v, stats) = collect("m{s=\"a\\\",t=\"b\"} 1\nm{s=\"c\\\"} 2\n");
    assert_eq!(stats.skipped_lines, 0, "{:?}", stats.skipped);
    assert_eq!(stats.lenient_lines, 2);
    assert_eq!(label(&v[0], "s"), Some("a\\"));
    assert_eq!(label(&v[0], "t"), Some("b"));
    assert_eq!(label(&v[1], "s"), Some("c\\"));
}

#[test]
fn special_values() {
    assert!(one("m NaN").value.is_nan());
    assert_eq!(one("m +Inf").value, f64::INFINITY);
    assert_eq!(one("m -Inf").value, f64::NEG_INFINITY);
    assert_eq!(one("m Inf").value, f64::INFINITY);
    assert_eq!(one("m 1e-3").value, 0.001);
    assert_eq!(skip_reason("m one"), SkipReason::InvalidValue);
    assert_eq!(skip_reason("m{a=\"b\"} 1..2"), SkipReason::InvalidValue);
}

#[test]
fn timestamps() {
    let s = one(r#"pulsar_rate_in{cluster="standalone",namespace="sample/dev"} 48.004 1583775788853"#);
    assert_eq!(s.ts, Some(1_583_775_788_853));
    assert_eq!(one("m 1 -5").ts, Some(-5));
    // OpenMetrics float seconds.
    assert_eq!(one("m 1 1520879607.789").ts, Some(1_520_879_607_789));
    // Exemplar after value or timestamp is ignored.
    assert_eq!(one("m 1 # {trace_id=\"x\"} 2").value, 1.0);
    assert_eq!(one("m 1 123 # {trace_id=\"x\"} 2").ts, Some(123));
    assert_eq!(skip_reason("m 1 abc"), SkipReason::InvalidTimestamp);
    assert_eq!(skip_reason("m 1 2 3"), SkipReason::TrailingGarbage);
}

#[test]
fn comments_blank_lines_and_eof() {
    let text = "# HELP m help text\n# TYPE m gauge\n\n   \nm 1\n#other\n# EOF\nm 2\n";
    let (v, stats) = collect(text);
    assert_eq!(v.len(), 1);
    assert!(stats.saw_eof);
    assert_eq!(stats.comment_lines, 4);
    assert_eq!(stats.blank_lines, 2);
    assert_eq!(stats.lines, 7, "stops at # EOF");
    let (v2, res) = collect_chunked(text.as_bytes(), &ParseOptions::default());
    assert_eq!(v2, v);
    assert_eq!(res.unwrap(), stats);
}

#[test]
fn crlf_line_endings() {
    let text = "# TYPE m gauge\r\nm{a=\"b\"} 1\r\nn 2 1000\r\n\r\n";
    let (v, stats) = collect(text);
    assert_eq!(stats.skipped_lines, 0, "{:?}", stats.skipped);
    assert_eq!(v.len(), 2);
    assert_eq!(label(&v[0], "a"), Some("b"));
    assert_eq!(v[1].ts, Some(1000));
    assert_eq!(stats.blank_lines, 1);
    let (v2, _) = collect_chunked(text.as_bytes(), &ParseOptions::default());
    assert_eq!(v2, v);
}

#[test]
fn garbage_lines_are_counted_with_line_numbers() {
    let text = "m 1\n!!!\nm{a=\"b\"} 2\nfoo\n{}\n9lives 3\nm{a=\"b\" c=\"d\"} 1\nm 3\n";
    let (v, stats) = collect(text);
    assert_eq!(v.len(), 3);
    assert_eq!(stats.skipped_lines, 5);
    let got: Vec<(u64, SkipReason)> = stats.skipped.iter().map(|s| (s.line, s.reason)).collect();
    assert_eq!(
        got,
        vec![
            (2, SkipReason::InvalidMetricName),
            (4, SkipReason::MissingValue),
            (5, SkipReason::InvalidMetricName),
            (6, SkipReason::InvalidMetricName),
            (7, SkipReason::MissingLabelSeparator),
        ]
    );
    assert_eq!(stats.skipped[0].excerpt, "!!!");
    assert_eq!(stats.samples + stats.skipped_lines, stats.lines);
}

#[test]
fn recorded_skips_are_capped() {
    let text = "bad line here\n".repeat(50);
    let (_, stats) = collect(&text);
    assert_eq!(stats.skipped_lines, 50);
    assert_eq!(stats.skipped.len(), DEFAULT_MAX_RECORDED_SKIPS);
}

#[test]
fn labels_without_values() {
    assert_eq!(skip_reason("m{a} 1"), SkipReason::LabelWithoutValue);
    assert_eq!(skip_reason("m{a=} 1"), SkipReason::LabelWithoutValue);
    assert_eq!(skip_reason("m{a=b} 1"), SkipReason::LabelWithoutValue);
    assert_eq!(skip_reason("m{=\"b\"} 1"), SkipReason::InvalidLabelName);
    assert_eq!(skip_reason("m{a=\"b\"} "), SkipReason::MissingValue);
    assert_eq!(skip_reason("m{a=\"b\""), SkipReason::UnterminatedLabelSet);
}

#[test]
fn unterminated_quote() {
    assert_eq!(skip_reason("m{a=\"b} 1"), SkipReason::UnterminatedLabelValue);
    assert_eq!(skip_reason("m{a=\"b\\"), SkipReason::UnterminatedLabelValue);
    // The next line is unaffected.
    let (v, stats) = collect("m{a=\"b} 1\nm{a=\"c\"} 2\n");
    assert_eq!(v.len(), 1);
    assert_eq!(stats.skipped[0].line, 1);
}

#[test]
fn quoted_metric_names() {
    let s = one(r#"{"my.metric", a="b"} 1"#);
    assert_eq!(s.name, "my.metric");
    assert_eq!(label(&s, "a"), Some("b"));
    assert_eq!(one(r#"{"only.name"} 4"#).name, "only.name");
    let s = one(r#"m{"quoted.label"="v"} 1"#);
    assert_eq!(label(&s, "quoted.label"), Some("v"));
}

#[test]
fn many_labels_spill_to_heap() {
    let labels: Vec<String> = (0..30).map(|i| format!("l{i}=\"v{i}\"")).collect();
    let s = one(&format!("m{{{}}} 1", labels.join(",")));
    assert_eq!(s.labels.len(), 30);
    assert_eq!(label(&s, "l29"), Some("v29"));
    assert_eq!(label(&s, "l0"), Some("v0"));
}

#[test]
fn huge_line_is_skipped_without_buffering() {
    let big = format!("m{{a=\"{}\"}} 1\n", "x".repeat(3 << 20));
    let text = format!("m 1\n{big}n 2\n");
    let (v, res) = collect_chunked(text.as_bytes(), &ParseOptions::default());
    let stats = res.unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[1].name, "n");
    assert_eq!(stats.skipped[0].line, 2);
    assert_eq!(stats.skipped[0].reason, SkipReason::LineTooLong);
    assert_eq!(stats.lines, 3);
    assert_eq!(stats.bytes, text.len() as u64);
    // Same in parse_str.
    let (v, stats) = collect(&text);
    assert_eq!(v.len(), 2);
    assert_eq!(stats.skipped[0].reason, SkipReason::LineTooLong);
    // A huge line that fits the limit parses.
    let opts = ParseOptions { max_line_bytes: 8 << 20, ..ParseOptions::default() };
    let (v, res) = collect_chunked(text.as_bytes(), &opts);
    assert_eq!(res.unwrap().skipped_lines, 0);
    assert_eq!(v.len(), 3);
}

#[test]
fn size_guard_refuses_absurd_scrapes() {
    let text = "m 1\n".repeat(1000);
    let opts = ParseOptions { max_bytes: Some(100), ..ParseOptions::default() };
    let (v, res) = collect_chunked(text.as_bytes(), &opts);
    let err = res.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert_eq!(ScrapeTooLarge::from_io(&err), Some(&ScrapeTooLarge { limit_bytes: 100 }));
    assert!(v.len() <= 25);
    // Exactly at the limit is fine.
    let opts = ParseOptions { max_bytes: Some(text.len() as u64), ..ParseOptions::default() };
    let (v, res) = collect_chunked(text.as_bytes(), &opts);
    assert_eq!(res.unwrap().samples, 1000);
    assert_eq!(v.len(), 1000);
    // Also when the limit falls inside an over-long line.
    let long = format!("m 1\n{}\n", "y".repeat(10_000));
    let opts = ParseOptions { max_bytes: Some(5_000), max_line_bytes: 100, ..ParseOptions::default() };
    let (_, res) = collect_chunked(long.as_bytes(), &opts);
    assert!(ScrapeTooLarge::from_io(&res.unwrap_err()).is_some());
}

#[test]
fn invalid_utf8_is_replaced_not_fatal() {
    let mut bytes = b"m{a=\"".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(b"\"} 1\nn 2\n");
    let (v, res) = collect_chunked(&bytes, &ParseOptions::default());
    assert_eq!(res.unwrap().samples, 2);
    assert_eq!(label(&v[0], "a"), Some("\u{fffd}\u{fffd}"));
}

#[test]
fn last_line_without_newline() {
    let (v, res) = collect_chunked(b"m 1\nn 2", &ParseOptions::default());
    assert_eq!(v.len(), 2);
    assert_eq!(res.unwrap().lines, 2);
}

#[test]
fn parse_sample_line_direct() {
    let s = parse_sample_line("  m{a=\"1\"} 2 3\r\n").unwrap();
    assert_eq!(s.name, "m");
    assert_eq!(s.label("a"), Some("1"));
    assert_eq!(s.timestamp_ms, Some(3));
    assert!(parse_sample_line("m{").is_err());
}

#[test]
fn chunked_and_str_agree_on_fixture() {
    let text = super::STANDALONE_4_0_8;
    let (a, sa) = collect(text);
    let (b, sb) = collect_chunked(text.as_bytes(), &ParseOptions::default());
    let sb = sb.unwrap();
    assert_eq!(sa, sb);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.name, y.name);
        assert_eq!(x.labels, y.labels);
        assert!(x.value == y.value || (x.value.is_nan() && y.value.is_nan()));
    }
}
