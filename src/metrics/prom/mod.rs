//! A tolerant, streaming parser for the Prometheus text exposition format
//! (0.0.4), tuned for what Apache Pulsar brokers actually emit.
//!
//! Why hand-written: no crate parses Pulsar's output correctly.
//! `prometheus-parse` splits label sets on `,` and `=` and so mangles
//! subscription names such as `sub,weird=name`; `openmetrics-parser` rejects
//! a family whose series carry different label sets, which Pulsar does all the
//! time (`pulsar_out_bytes_total` per subscription and per consumer, the
//! `pulsar_storage_write_latency_le_*` pseudo-buckets, `# TYPE` lines with no
//! samples, families typed `counter` whose samples are `_total`/`_created`).
//!
//! What Pulsar 4.0.8 really emits (checked on a live standalone broker, see
//! `tests/fixtures/metrics/README.md`):
//! * `# TYPE` lines only (no `# HELP`); Pulsar's own topic families are all
//!   typed `gauge`, even `pulsar_in_bytes_total`.
//! * label values escape `"` as `\"` but do **not** escape `\`: a subscription
//!   named `q"uote\back` comes out as `subscription="q\"uote\back"`. Unknown
//!   escapes (`\b` here) are therefore kept literally, and a value ending in a
//!   backslash (`"a\"}`) is recovered by a lenient second pass.
//! * some label sets have a space after the comma: `{cluster="standalone", broker="127.0.0.1"}`.
//! * integer values without a decimal point, Java doubles (`1.073741824E9`), `NaN`.
//! * older brokers (2.x) append an epoch-millisecond timestamp to every line.
//!
//! The parser never panics and never fails on content: malformed lines are
//! counted and skipped (the first few are recorded with their line numbers).
//! Only I/O errors and the optional size guard end a parse with an error.
//!
//! Streaming: [`parse_chunked`] reads line by line from a [`BufRead`] into one
//! reused buffer; label values borrow from that buffer unless they need
//! unescaping. Nothing holds a second copy of the scrape.

mod line;

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::io::{self, BufRead, Read};

use line::parse_sample;
pub use line::parse_sample_line;

/// Default for [`ParseOptions::max_bytes`]: 1 GiB.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;
/// Default for [`ParseOptions::max_line_bytes`]: 1 MiB.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;
/// Default for [`ParseOptions::max_unterminated_bytes`]: 16 MiB.
pub const DEFAULT_MAX_UNTERMINATED_BYTES: u64 = 16 << 20;
/// Lines read before [`ParseOptions::cut_off_malformed`] judges the share of bad ones.
pub const MALFORMED_CHECK_AFTER_LINES: u64 = 10_000;
/// Default for [`ParseOptions::max_recorded_skips`].
pub const DEFAULT_MAX_RECORDED_SKIPS: usize = 8;
/// Length (in chars) of the excerpt kept for a skipped line.
const EXCERPT_CHARS: usize = 80;
/// Labels kept inline before spilling to the heap (Pulsar uses at most ~7).
const INLINE_LABELS: usize = 8;

type LabelPair<'a> = (&'a str, Cow<'a, str>);

/// The label set of one sample: a small vector of `(name, value)` pairs in
/// the order they appeared. Values are borrowed from the line unless they had
/// to be unescaped.
#[derive(Debug, Clone)]
pub struct Labels<'a> {
    inline: [LabelPair<'a>; INLINE_LABELS],
    len: usize,
    spill: Vec<LabelPair<'a>>,
}

impl Default for Labels<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> Labels<'a> {
    /// An empty label set (no allocation).
    pub fn new() -> Self {
        Labels { inline: Default::default(), len: 0, spill: Vec::new() }
    }

    /// Appends a label.
    pub fn push(&mut self, name: &'a str, value: Cow<'a, str>) {
        if self.len < INLINE_LABELS {
            self.inline[self.len] = (name, value);
        } else {
            self.spill.push((name, value));
        }
        self.len += 1;
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no labels.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value of the first label called `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// True when a label called `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.iter().any(|(n, _)| n == name)
    }

    /// `(name, value)` pairs in order of appearance.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        let inline_len = self.len.min(INLINE_LABELS);
        self.inline[..inline_len].iter().chain(self.spill.iter()).map(|(n, v)| (*n, v.as_ref()))
    }
}

/// One parsed sample line.
#[derive(Debug, Clone)]
pub struct Sample<'a> {
    /// Metric name, e.g. `pulsar_subscription_back_log`.
    pub name: &'a str,
    /// Labels, in order.
    pub labels: Labels<'a>,
    /// The value; `NaN`, `+Inf` and `-Inf` are kept as such.
    pub value: f64,
    /// Optional trailing timestamp in epoch milliseconds (older brokers).
    /// An OpenMetrics float timestamp in seconds is converted to ms.
    pub timestamp_ms: Option<i64>,
}

impl Sample<'_> {
    /// Shorthand for `self.labels.get(name)`.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.get(name)
    }
}

/// Why a line was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SkipReason {
    /// The line does not start with a valid metric name.
    InvalidMetricName,
    /// A label name is empty or malformed.
    InvalidLabelName,
    /// A label has no `="value"` part (e.g. `{a}` or `{a=}`).
    LabelWithoutValue,
    /// A label value's opening quote is never closed.
    UnterminatedLabelValue,
    /// The label set's `}` is missing.
    UnterminatedLabelSet,
    /// Labels are not separated by `,`.
    MissingLabelSeparator,
    /// No value after the name/labels.
    MissingValue,
    /// The value is not a float (`NaN`, `+Inf`, `-Inf` are accepted).
    InvalidValue,
    /// The token after the value is not a timestamp.
    InvalidTimestamp,
    /// Unexpected text after the timestamp.
    TrailingGarbage,
    /// The line is longer than [`ParseOptions::max_line_bytes`].
    LineTooLong,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            SkipReason::InvalidMetricName => "invalid metric name",
            SkipReason::InvalidLabelName => "invalid label name",
            SkipReason::LabelWithoutValue => "label without value",
            SkipReason::UnterminatedLabelValue => "unterminated label value",
            SkipReason::UnterminatedLabelSet => "unterminated label set",
            SkipReason::MissingLabelSeparator => "missing ',' between labels",
            SkipReason::MissingValue => "missing value",
            SkipReason::InvalidValue => "invalid value",
            SkipReason::InvalidTimestamp => "invalid timestamp",
            SkipReason::TrailingGarbage => "trailing garbage",
            SkipReason::LineTooLong => "line too long",
        };
        f.write_str(s)
    }
}

/// A skipped line, as recorded in [`ParseStats::skipped`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedLine {
    /// 1-based line number.
    pub line: u64,
    /// Why it was skipped.
    pub reason: SkipReason,
    /// The start of the line (at most 80 chars).
    pub excerpt: String,
}

/// Counters of one parse.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseStats {
    /// Bytes consumed (including line terminators).
    pub bytes: u64,
    /// Lines seen (including the `# EOF` line, if any).
    pub lines: u64,
    /// Sample lines delivered to the callback.
    pub samples: u64,
    /// `#` lines (`# HELP`, `# TYPE`, other comments, `# EOF`).
    pub comment_lines: u64,
    /// Empty or whitespace-only lines.
    pub blank_lines: u64,
    /// Malformed lines that were skipped.
    pub skipped_lines: u64,
    /// The first few skipped lines (see [`ParseOptions::max_recorded_skips`]).
    pub skipped: Vec<SkippedLine>,
    /// Lines that only parsed by reading `\"` before `,`/`}` as a literal
    /// backslash closing the value (Pulsar does not escape `\`).
    pub lenient_lines: u64,
    /// An OpenMetrics `# EOF` line was seen; parsing stopped there.
    pub saw_eof: bool,
}

impl ParseStats {
    fn skip(&mut self, line_no: u64, reason: SkipReason, line: &str, max_recorded: usize) {
        self.skipped_lines += 1;
        if self.skipped.len() < max_recorded {
            self.skipped.push(SkippedLine {
                line: line_no,
                reason,
                excerpt: line.chars().take(EXCERPT_CHARS).collect(),
            });
        }
    }
}

/// Knobs for [`parse_chunked_with`] / [`parse_str_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptions {
    /// Refuse scrapes larger than this many bytes: the parse stops with an
    /// [`io::ErrorKind::InvalidData`] error wrapping [`ScrapeTooLarge`].
    /// `None` disables the guard. Ignored by `parse_str*` (already in memory).
    pub max_bytes: Option<u64>,
    /// Lines longer than this are skipped ([`SkipReason::LineTooLong`])
    /// without being buffered whole.
    pub max_line_bytes: usize,
    /// How many skipped lines to record in [`ParseStats::skipped`].
    pub max_recorded_skips: usize,
    /// A line still without a newline after this many bytes ends the parse with
    /// [`ScrapeCutOff`] (an endless line is not a scrape).
    pub max_unterminated_bytes: u64,
    /// After [`MALFORMED_CHECK_AFTER_LINES`] lines, more skipped lines than samples end the
    /// parse with [`ScrapeCutOff`] (not a Prometheus text exposition).
    pub cut_off_malformed: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            max_bytes: Some(DEFAULT_MAX_BYTES),
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            max_recorded_skips: DEFAULT_MAX_RECORDED_SKIPS,
            max_unterminated_bytes: DEFAULT_MAX_UNTERMINATED_BYTES,
            cut_off_malformed: true,
        }
    }
}

/// The error (inside an [`io::Error`] of kind `InvalidData`) that ends a parse of
/// something that is not a well-formed scrape: an endless line, or mostly bad lines.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("metrics scrape cut off at byte {at_byte}: {reason}")]
pub struct ScrapeCutOff {
    /// Bytes read when the parse stopped.
    pub at_byte: u64,
    /// Why, in words.
    pub reason: String,
}

impl ScrapeCutOff {
    fn io(at_byte: u64, reason: String) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, ScrapeCutOff { at_byte, reason })
    }

    /// Finds a `ScrapeCutOff` inside an I/O error returned by the parser.
    pub fn from_io(err: &io::Error) -> Option<&ScrapeCutOff> {
        err.get_ref().and_then(|e| e.downcast_ref::<ScrapeCutOff>())
    }
}

/// The error (inside an [`io::Error`] of kind `InvalidData`) returned when a
/// scrape exceeds [`ParseOptions::max_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("metrics scrape exceeds the size limit of {limit_bytes} bytes")]
pub struct ScrapeTooLarge {
    /// The limit that was exceeded.
    pub limit_bytes: u64,
}

impl ScrapeTooLarge {
    /// Finds a `ScrapeTooLarge` inside an I/O error returned by the parser.
    pub fn from_io(err: &io::Error) -> Option<&ScrapeTooLarge> {
        err.get_ref().and_then(|e| e.downcast_ref::<ScrapeTooLarge>())
    }
}

/// Parses a scrape from a reader with [`ParseOptions::default`].
///
/// Samples are handed to `on_sample` as they are parsed; the `Sample` borrows
/// the current line and is only valid during the call.
pub fn parse_chunked<R: BufRead>(reader: R, on_sample: impl FnMut(&Sample<'_>)) -> io::Result<ParseStats> {
    parse_chunked_with(reader, &ParseOptions::default(), on_sample)
}

/// Parses a scrape from a reader, line by line, reusing one line buffer.
///
/// Errors: I/O errors from the reader, and [`ScrapeTooLarge`] (as
/// `InvalidData`) past `opts.max_bytes`. Samples already delivered before an
/// error stay delivered: callers aggregating several brokers should use one
/// builder per broker and drop it on error (see `SnapshotBuilder::merge`).
pub fn parse_chunked_with<R: BufRead>(
    mut reader: R,
    opts: &ParseOptions,
    mut on_sample: impl FnMut(&Sample<'_>),
) -> io::Result<ParseStats> {
    let mut stats = ParseStats::default();
    let max_total = opts.max_bytes.unwrap_or(u64::MAX);
    let max_line = opts.max_line_bytes.max(1) as u64;
    let too_large = |limit| io::Error::new(io::ErrorKind::InvalidData, ScrapeTooLarge { limit_bytes: limit });
    let mut buf: Vec<u8> = Vec::with_capacity(8 * 1024);
    loop {
        buf.clear();
        let remaining = max_total.saturating_sub(stats.bytes);
        let cap = max_line.saturating_add(1).min(remaining.saturating_add(1));
        let n = (&mut reader).take(cap).read_until(b'\n', &mut buf)? as u64;
        if n == 0 {
            break;
        }
        stats.bytes += n;
        if stats.bytes > max_total {
            return Err(too_large(max_total));
        }
        stats.lines += 1;
        let line_no = stats.lines;
        if buf.last() != Some(&b'\n') && n == cap {
            // Over-long line: record it and discard the rest without buffering.
            let excerpt = String::from_utf8_lossy(&buf[..buf.len().min(4 * EXCERPT_CHARS)]);
            let excerpt = excerpt.into_owned();
            let mut line_bytes = n;
            loop {
                if line_bytes > opts.max_unterminated_bytes {
                    let mb = opts.max_unterminated_bytes >> 20;
                    let why = format!("line {line_no} has no newline after {mb} MB (starts {excerpt:.60?})");
                    return Err(ScrapeCutOff::io(stats.bytes, why));
                }
                buf.clear();
                let remaining = max_total.saturating_sub(stats.bytes);
                let cap = (64 * 1024u64).min(remaining.saturating_add(1));
                let m = (&mut reader).take(cap).read_until(b'\n', &mut buf)? as u64;
                stats.bytes += m;
                line_bytes += m;
                if stats.bytes > max_total {
                    return Err(too_large(max_total));
                }
                if m == 0 || buf.last() == Some(&b'\n') {
                    break;
                }
            }
            stats.skip(line_no, SkipReason::LineTooLong, &excerpt, opts.max_recorded_skips);
            continue;
        }
        // Valid UTF-8 is the norm: check it with the fast validator and only
        // fall back to the (slower) lossy conversion when needed.
        let text = match std::str::from_utf8(&buf) {
            Ok(t) => Cow::Borrowed(t),
            Err(_) => String::from_utf8_lossy(&buf),
        };
        if process_line(&text, line_no, &mut stats, opts, &mut on_sample) == Flow::Stop {
            break;
        }
        if opts.cut_off_malformed
            && line_no == MALFORMED_CHECK_AFTER_LINES
            && stats.skipped_lines > stats.samples.max(stats.comment_lines)
        {
            let why = format!(
                "{} of the first {line_no} lines are not Prometheus samples: not a /metrics scrape",
                stats.skipped_lines
            );
            return Err(ScrapeCutOff::io(stats.bytes, why));
        }
    }
    Ok(stats)
}

/// Parses a scrape that is already in memory, with default options.
pub fn parse_str(s: &str, on_sample: impl FnMut(&Sample<'_>)) -> ParseStats {
    parse_str_with(s, &ParseOptions::default(), on_sample)
}

/// Parses a scrape that is already in memory (zero-copy: samples borrow `s`).
/// `opts.max_bytes` is ignored; over-long lines are still skipped.
pub fn parse_str_with(s: &str, opts: &ParseOptions, mut on_sample: impl FnMut(&Sample<'_>)) -> ParseStats {
    let mut stats = ParseStats::default();
    for raw in s.split_inclusive('\n') {
        stats.bytes += raw.len() as u64;
        stats.lines += 1;
        let line_no = stats.lines;
        let content_len = raw.strip_suffix('\n').unwrap_or(raw).len();
        if content_len > opts.max_line_bytes.max(1) {
            stats.skip(line_no, SkipReason::LineTooLong, raw, opts.max_recorded_skips);
            continue;
        }
        if process_line(raw, line_no, &mut stats, opts, &mut on_sample) == Flow::Stop {
            break;
        }
    }
    stats
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

fn process_line(
    raw: &str,
    line_no: u64,
    stats: &mut ParseStats,
    opts: &ParseOptions,
    on_sample: &mut impl FnMut(&Sample<'_>),
) -> Flow {
    let line = raw.strip_suffix('\n').unwrap_or(raw);
    let line = line.strip_suffix('\r').unwrap_or(line);
    let line = line.trim_matches(|c| c == ' ' || c == '\t');
    if line.is_empty() {
        stats.blank_lines += 1;
        return Flow::Continue;
    }
    if line.as_bytes()[0] == b'#' {
        stats.comment_lines += 1;
        let rest = line[1..].trim_start_matches([' ', '\t']);
        if rest == "EOF" {
            stats.saw_eof = true;
            return Flow::Stop;
        }
        return Flow::Continue;
    }
    match parse_sample(line, false) {
        Ok(sample) => {
            stats.samples += 1;
            on_sample(&sample);
        }
        Err(reason) => {
            // Pulsar does not escape `\`: a value ending in a backslash reads
            // as `\"` and swallows the closing quote. Retry leniently.
            let retry = if line.contains("\\\"") { parse_sample(line, true).ok() } else { None };
            match retry {
                Some(sample) => {
                    stats.samples += 1;
                    stats.lenient_lines += 1;
                    on_sample(&sample);
                }
                None => stats.skip(line_no, reason, line, opts.max_recorded_skips),
            }
        }
    }
    Flow::Continue
}

/// For the fuzz-style tests in `metrics::tests`.
#[cfg(test)]
pub(crate) use line::find_quote_or_backslash;
