//! One sample line: `name{label="value",...} value [timestamp]`, with Pulsar's escaping.

use std::borrow::Cow;

use super::{Labels, Sample, SkipReason};

fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Parses one sample line (no comments, no line terminator, no leading
/// whitespace). `lenient`: read `\"` followed by `,` or `}` as a literal
/// backslash plus the closing quote.
///
/// Exposed for tests and one-off use; most callers want [`parse_str`](super::parse_str).
pub fn parse_sample_line(line: &str) -> Result<Sample<'_>, SkipReason> {
    let line = line.trim_matches(|c| c == ' ' || c == '\t' || c == '\r' || c == '\n');
    match parse_sample(line, false) {
        Err(reason) if line.contains("\\\"") => parse_sample(line, true).map_err(|_| reason),
        r => r,
    }
}

pub(super) fn parse_sample(line: &str, lenient: bool) -> Result<Sample<'_>, SkipReason> {
    let b = line.as_bytes();
    let mut i = 0;
    let mut name: Option<&str> = None;
    if b.first() != Some(&b'{') {
        i = scan_metric_name(b);
        if i == 0 {
            return Err(SkipReason::InvalidMetricName);
        }
        name = Some(&line[..i]);
    }
    let after_name = i;
    while i < b.len() && is_ws(b[i]) {
        i += 1;
    }
    let mut labels = Labels::new();
    let mut had_labels = false;
    if i < b.len() && b[i] == b'{' {
        had_labels = true;
        i = parse_labels(line, i + 1, lenient, &mut labels, &mut name)?;
    }
    let name = match name {
        Some(n) if !n.is_empty() => n,
        _ => return Err(SkipReason::InvalidMetricName),
    };
    // Value: must be separated from a bare name by whitespace.
    let value_start = {
        let mut j = i;
        while j < b.len() && is_ws(b[j]) {
            j += 1;
        }
        if j == b.len() {
            return Err(SkipReason::MissingValue);
        }
        if !had_labels && j == after_name {
            // e.g. `foo!bar 1`: the name ended on a character that is not
            // whitespace, so this is not a name.
            return Err(SkipReason::InvalidMetricName);
        }
        j
    };
    let mut j = value_start;
    while j < b.len() && !is_ws(b[j]) {
        j += 1;
    }
    let value = parse_value(&line[value_start..j]).ok_or(SkipReason::InvalidValue)?;
    while j < b.len() && is_ws(b[j]) {
        j += 1;
    }
    let mut timestamp_ms = None;
    if j < b.len() && b[j] != b'#' {
        let ts_start = j;
        while j < b.len() && !is_ws(b[j]) {
            j += 1;
        }
        timestamp_ms = Some(parse_timestamp(&line[ts_start..j]).ok_or(SkipReason::InvalidTimestamp)?);
        while j < b.len() && is_ws(b[j]) {
            j += 1;
        }
        // Anything left must be an OpenMetrics exemplar (`# {...} v`).
        if j < b.len() && b[j] != b'#' {
            return Err(SkipReason::TrailingGarbage);
        }
    }
    Ok(Sample { name, labels, value, timestamp_ms })
}

/// Length of the metric name at the start of `b` (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
fn scan_metric_name(b: &[u8]) -> usize {
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let ok = c.is_ascii_alphabetic() || c == b'_' || c == b':' || (i > 0 && c.is_ascii_digit());
        if !ok {
            break;
        }
        i += 1;
    }
    i
}

/// Parses labels starting just after `{`; returns the index after `}`.
/// Also accepts the OpenMetrics 2 / Prometheus 3 form where the metric name is
/// a quoted string inside the braces: `{"my.metric", a="b"}`.
fn parse_labels<'a>(
    line: &'a str,
    mut i: usize,
    lenient: bool,
    labels: &mut Labels<'a>,
    name: &mut Option<&'a str>,
) -> Result<usize, SkipReason> {
    let b = line.as_bytes();
    loop {
        while i < b.len() && is_ws(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            return Err(SkipReason::UnterminatedLabelSet);
        }
        if b[i] == b'}' {
            return Ok(i + 1);
        }
        // Label name: bare or quoted.
        let label_name: &'a str;
        if b[i] == b'"' {
            let qstart = i + 1;
            let (value, end) = parse_quoted(line, qstart, lenient)?;
            // Names are kept raw (escapes not decoded) so they can borrow.
            let raw = match value {
                Cow::Borrowed(s) => s,
                Cow::Owned(_) => &line[qstart..end - 1],
            };
            i = end;
            let mut k = i;
            while k < b.len() && is_ws(b[k]) {
                k += 1;
            }
            if k < b.len() && b[k] != b'=' && name.is_none() && labels.is_empty() {
                // A quoted metric name: `{"name", ...}` or `{"name"}`.
                *name = Some(raw);
                i = k;
                match b[i] {
                    b',' => i += 1,
                    b'}' => {}
                    _ => return Err(SkipReason::MissingLabelSeparator),
                }
                continue;
            }
            if raw.is_empty() {
                return Err(SkipReason::InvalidLabelName);
            }
            label_name = raw;
        } else {
            let start = i;
            while i < b.len() && !matches!(b[i], b'=' | b',' | b'}' | b'"' | b' ' | b'\t') {
                i += 1;
            }
            if i == start {
                return Err(SkipReason::InvalidLabelName);
            }
            label_name = &line[start..i];
        }
        while i < b.len() && is_ws(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            return Err(SkipReason::UnterminatedLabelSet);
        }
        if b[i] != b'=' {
            return Err(SkipReason::LabelWithoutValue);
        }
        i += 1;
        while i < b.len() && is_ws(b[i]) {
            i += 1;
        }
        if i >= b.len() || b[i] != b'"' {
            return Err(SkipReason::LabelWithoutValue);
        }
        let (value, end) = parse_quoted(line, i + 1, lenient)?;
        labels.push(label_name, value);
        i = end;
        while i < b.len() && is_ws(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            return Err(SkipReason::UnterminatedLabelSet);
        }
        match b[i] {
            b',' => i += 1,
            b'}' => {}
            _ => return Err(SkipReason::MissingLabelSeparator),
        }
    }
}

/// After `\"` at `quote_idx - 1..=quote_idx`, does the text look like the end
/// of a label value (`,` or `}` next)? Used only in the lenient pass.
fn looks_like_value_end(b: &[u8], after_quote: usize) -> bool {
    let mut k = after_quote;
    while k < b.len() && is_ws(b[k]) {
        k += 1;
    }
    k < b.len() && (b[k] == b',' || b[k] == b'}')
}

/// Parses a quoted string whose content starts at `start` (just after the
/// opening quote). Returns the (unescaped) content and the index just after
/// the closing quote. Escapes: `\\`, `\"`, `\n`; any other `\x` is kept as
/// is (Pulsar does not escape backslashes).
fn parse_quoted(line: &str, start: usize, lenient: bool) -> Result<(Cow<'_, str>, usize), SkipReason> {
    let b = line.as_bytes();
    // Fast path: no backslash before the closing quote.
    let mut j = match find_quote_or_backslash(b, start) {
        Some(j) if b[j] == b'"' => return Ok((Cow::Borrowed(&line[start..j]), j + 1)),
        Some(j) => j,
        None => return Err(SkipReason::UnterminatedLabelValue),
    };
    let mut out = String::with_capacity(j - start + 16);
    let mut seg = start;
    while j < b.len() {
        match b[j] {
            b'"' => {
                out.push_str(&line[seg..j]);
                return Ok((Cow::Owned(out), j + 1));
            }
            b'\\' => {
                out.push_str(&line[seg..j]);
                match b.get(j + 1) {
                    None => return Err(SkipReason::UnterminatedLabelValue),
                    Some(b'"') if lenient && looks_like_value_end(b, j + 2) => {
                        out.push('\\');
                        return Ok((Cow::Owned(out), j + 2));
                    }
                    Some(b'"') => {
                        out.push('"');
                        j += 2;
                        seg = j;
                    }
                    Some(b'\\') => {
                        out.push('\\');
                        j += 2;
                        seg = j;
                    }
                    Some(b'n') => {
                        out.push('\n');
                        j += 2;
                        seg = j;
                    }
                    Some(_) => {
                        // Unknown escape: keep the backslash; the next char is
                        // copied with the following segment.
                        out.push('\\');
                        j += 1;
                        seg = j;
                    }
                }
            }
            _ => j += 1,
        }
    }
    Err(SkipReason::UnterminatedLabelValue)
}

/// Index of the first `"` or `\\` at or after `from`, scanning 8 bytes at a
/// time (SWAR); label values are the bulk of a Pulsar scrape.
pub(crate) fn find_quote_or_backslash(b: &[u8], from: usize) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const QUOTE: u64 = LO * b'"' as u64;
    const BSLASH: u64 = LO * b'\\' as u64;
    let mut i = from;
    while i + 8 <= b.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        let x = u64::from_le_bytes(w);
        let q = x ^ QUOTE;
        let s = x ^ BSLASH;
        // Exact zero-byte test: no false positives.
        let zq = !(((q & !HI).wrapping_add(!HI)) | q | !HI);
        let zs = !(((s & !HI).wrapping_add(!HI)) | s | !HI);
        let m = zq | zs;
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?.iter().position(|&c| c == b'"' || c == b'\\').map(|p| i + p)
}

/// Parses a sample value: Go/Java style floats plus `NaN`, `+Inf`, `-Inf`.
fn parse_value(tok: &str) -> Option<f64> {
    match tok {
        "NaN" => return Some(f64::NAN),
        "+Inf" | "Inf" => return Some(f64::INFINITY),
        "-Inf" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    // Reject Rust-only spellings such as "infinity" that no exporter uses,
    // but accept case variants of inf/nan (tolerance).
    tok.parse::<f64>().ok()
}

/// Parses a timestamp: integer epoch ms (text format 0.0.4), or an
/// OpenMetrics float in seconds (contains `.` or an exponent).
fn parse_timestamp(tok: &str) -> Option<i64> {
    if let Ok(ms) = tok.parse::<i64>() {
        return Some(ms);
    }
    let secs = tok.parse::<f64>().ok()?;
    let ms = (secs * 1000.0).round();
    if ms.is_finite() && ms >= i64::MIN as f64 && ms <= i64::MAX as f64 {
        Some(ms as i64)
    } else {
        None
    }
}
