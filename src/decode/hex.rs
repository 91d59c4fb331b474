//! Lower-case hex of raw bytes. The display dump, [`hex_dump`](crate::decode::hex_dump), is the
//! panes' one (`style::format::hex_dump`), re-exported by `decode`.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_cases() {
        assert_eq!(to_hex(&[]), "");
        assert_eq!(to_hex(&[0, 0x9f, 0xff]), "009fff");
    }
}
