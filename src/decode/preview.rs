//! One-line previews of decoded values for list views.

use std::io;

use serde_json::Value;

/// A writer that keeps at most `limit` bytes and then refuses more, so that
/// serializing a huge value for a short preview stops early.
struct Limited {
    buf: Vec<u8>,
    limit: usize,
    overflowed: bool,
}

impl io::Write for Limited {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = self.limit.saturating_sub(self.buf.len());
        if room == 0 && !data.is_empty() {
            self.overflowed = true;
            return Err(io::Error::other("preview limit reached"));
        }
        let n = room.min(data.len());
        self.buf.extend_from_slice(data.get(..n).unwrap_or_default());
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A compact one-line preview of `value`, at most `max_chars` characters
/// (Unicode scalar values).
///
/// * A top-level string is shown as its raw text (no quotes), with control
///   characters (newlines, tabs, ...) replaced by spaces.
/// * Anything else is shown as compact JSON (`{"a":1,"b":[true]}`), which is
///   always one line.
/// * If the text is longer than `max_chars`, it is cut on a character
///   boundary to `max_chars - 1` characters followed by `…`.
/// * `max_chars == 0` yields an empty string.
///
/// The cost is bounded by `max_chars`, not by the size of `value`.
pub fn preview(value: &Value, max_chars: usize) -> String {
    if max_chars == 0 {
        return String::new();
    }
    let (text, complete) = match value {
        Value::String(s) => {
            let mut out = String::new();
            let mut complete = true;
            for (i, c) in s.chars().enumerate() {
                if i > max_chars {
                    complete = false;
                    break;
                }
                out.push(if c.is_control() { ' ' } else { c });
            }
            (out, complete)
        }
        other => {
            // Enough bytes for max_chars + 1 characters of up to 4 bytes.
            let limit = max_chars.saturating_add(1).saturating_mul(4);
            let mut w = Limited { buf: Vec::new(), limit, overflowed: false };
            let res = serde_json::to_writer(&mut w, other);
            let complete = res.is_ok() && !w.overflowed;
            let text = match String::from_utf8(w.buf) {
                Ok(s) => s,
                Err(e) => {
                    let valid = e.utf8_error().valid_up_to();
                    let mut bytes = e.into_bytes();
                    bytes.truncate(valid);
                    String::from_utf8(bytes).unwrap_or_default()
                }
            };
            (text, complete)
        }
    };
    let count = text.chars().count();
    if complete && count <= max_chars {
        return text;
    }
    let mut out: String = text.chars().take(max_chars - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_values_unchanged() {
        assert_eq!(preview(&json!({"a": 1, "b": [true, null]}), 100), r#"{"a":1,"b":[true,null]}"#);
        assert_eq!(preview(&json!("line1\nline2\ttab"), 100), "line1 line2 tab");
        assert_eq!(preview(&json!(42), 2), "42");
        assert_eq!(preview(&json!(null), 4), "null");
    }

    #[test]
    fn truncates_on_char_boundary() {
        let v = json!("ééééé");
        assert_eq!(preview(&v, 5), "ééééé");
        assert_eq!(preview(&v, 4), "ééé…");
        assert_eq!(preview(&v, 1), "…");
        assert_eq!(preview(&v, 0), "");
        let v = json!({"k": "日本語テキスト"});
        let p = preview(&v, 8);
        assert_eq!(p.chars().count(), 8);
        assert_eq!(p, "{\"k\":\"日…");
    }

    #[test]
    fn huge_value_is_cheap_and_bounded() {
        let big = Value::Array((0..200_000).map(|i| json!({"i": i})).collect());
        let p = preview(&big, 20);
        assert_eq!(p.chars().count(), 20);
        assert!(p.ends_with('…'));
        assert!(p.starts_with("[{\"i\":0}"));
    }
}
