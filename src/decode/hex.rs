//! Hex renderings of raw bytes.

use std::fmt::Write as _;

/// Lower-case contiguous hex, e.g. `[0x00, 0xff]` → `"00ff"`.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len().saturating_mul(2));
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Classic `hexdump -C` style dump: 16 bytes per line as
/// `OFFSET  8 hex bytes  8 hex bytes  |ascii|`, where non-printable bytes
/// show as `.` in the ASCII column.
///
/// At most `max_bytes` bytes are dumped; if the input is longer a final line
/// `… N more bytes` is appended. Lines are separated by `\n` with no trailing
/// newline; an empty input (or `max_bytes == 0` with empty input) yields an
/// empty string.
pub fn hex_dump(bytes: &[u8], max_bytes: usize) -> String {
    let shown = bytes.get(..max_bytes).unwrap_or(bytes);
    let mut out = String::with_capacity(shown.len() / 16 * 80 + 80);
    for (line_no, chunk) in shown.chunks(16).enumerate() {
        if line_no > 0 {
            out.push('\n');
        }
        let _ = write!(out, "{:08x}  ", line_no.saturating_mul(16));
        for i in 0..16 {
            if i == 8 {
                out.push(' ');
            }
            match chunk.get(i) {
                Some(b) => {
                    let _ = write!(out, "{b:02x} ");
                }
                None => out.push_str("   "),
            }
        }
        out.push_str(" |");
        for &b in chunk {
            out.push(if (0x20..0x7f).contains(&b) { char::from(b) } else { '.' });
        }
        out.push('|');
    }
    let rest = bytes.len() - shown.len();
    if rest > 0 {
        if !out.is_empty() {
            out.push('\n');
        }
        let _ = write!(out, "… {rest} more byte{}", if rest == 1 { "" } else { "s" });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_support::{fixture_bytes, fixture_text};

    #[test]
    fn matches_hexdump_c_fixture() {
        // Expected text produced by the Python generator and cross-checked
        // there against `hexdump -C`.
        let data = fixture_bytes("hexdump_input.bin");
        assert_eq!(hex_dump(&data, 10_000), fixture_text("hexdump_full.txt"));
        assert_eq!(hex_dump(&data, 32), fixture_text("hexdump_32.txt"));
    }

    #[test]
    fn edge_cases() {
        assert_eq!(hex_dump(&[], 16), "");
        assert_eq!(hex_dump(&[1, 2], 0), "… 2 more bytes");
        assert_eq!(hex_dump(&[1], 0), "… 1 more byte");
        assert_eq!(to_hex(&[0, 0x9f, 0xff]), "009fff");
        let one_line = hex_dump(b"A", 16);
        assert!(one_line.starts_with("00000000  41 "));
        assert!(one_line.ends_with(" |A|"));
    }
}
