//! Number and time formatting shared by the panes.

use std::time::Duration;

/// `1.2 KB`, `3.4 MB`... (powers of 1024).
pub fn bytes(n: f64) -> String {
    const UNITS: [&str; 6] = ["B", "KB", "MB", "GB", "TB", "PB"];
    let mut v = n.max(0.0);
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// A rate with up to one decimal: `0`, `12.5`, `1.2k`.
pub fn rate(r: f64) -> String {
    if r == 0.0 {
        "0".into()
    } else if r.abs() >= 10_000.0 {
        format!("{:.1}k", r / 1000.0)
    } else {
        format!("{r:.1}")
    }
}

/// A count with thousands separators: `1,234,567`.
pub fn count(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// `now`, `12s`, `3m`, `2h`, `4d`.
pub fn age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => "now".into(),
        1..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86399 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

/// A count in at most 7 characters: `999,999`, then `1.2M`, `3.4G`.
pub fn count_short(n: u64) -> String {
    match n {
        0..=999_999 => count(n as i64),
        1_000_000..=999_949_999 => format!("{:.1}M", n as f64 / 1e6),
        _ => format!("{:.1}G", n as f64 / 1e9),
    }
}

/// `just now`, `12s ago`, `3m ago`.
pub fn ago(d: Duration) -> String {
    if d.as_secs() == 0 {
        "just now".into()
    } else {
        format!("{} ago", age(d))
    }
}

/// Cuts a string to at most `max` characters, ending in `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers() {
        assert_eq!(bytes(0.0), "0 B");
        assert_eq!(bytes(1536.0), "1.5 KB");
        assert_eq!(bytes(5.0 * 1024.0 * 1024.0), "5.0 MB");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(-1000), "-1,000");
        assert_eq!(count(12), "12");
        assert_eq!(rate(0.0), "0");
        assert_eq!(rate(12.34), "12.3");
        assert_eq!(rate(25_000.0), "25.0k");
        assert_eq!(age(Duration::from_secs(75)), "1m");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("ab", 4), "ab");
        assert_eq!(count_short(999_999), "999,999");
        assert_eq!(count_short(1_260_000), "1.3M");
        assert_eq!(count_short(999_949_999), "999.9M");
        assert_eq!(count_short(999_950_000), "1.0G");
        assert_eq!(count_short(u64::MAX).len(), "18446744073.7G".len());
    }
}

/// A classic hex dump (offset, 16 bytes in hex, ASCII), at most `max` bytes, then a note.
pub fn hex_dump(bytes: &[u8], max: usize) -> Vec<String> {
    let mut out = Vec::new();
    for (i, chunk) in bytes[..bytes.len().min(max)].chunks(16).enumerate() {
        let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        let ascii: String =
            chunk.iter().map(|b| if b.is_ascii_graphic() || *b == b' ' { *b as char } else { '.' }).collect();
        out.push(format!("{:08x}  {:<47}  {}", i * 16, hex.join(" "), ascii));
    }
    if bytes.len() > max {
        out.push(format!("… {} more bytes", bytes.len() - max));
    }
    out
}

#[cfg(test)]
mod hex_tests {
    use super::hex_dump;

    #[test]
    fn dumps_offsets_hex_and_ascii() {
        let d = hex_dump(b"Hello, Pulsar!\x00\x01\xff tail", 64);
        assert_eq!(d[0], "00000000  48 65 6c 6c 6f 2c 20 50 75 6c 73 61 72 21 00 01  Hello, Pulsar!..");
        assert_eq!(d[1], "00000010  ff 20 74 61 69 6c                                . tail");
        let cut = hex_dump(&[0u8; 40], 16);
        assert_eq!(cut.len(), 2);
        assert_eq!(cut[1], "… 24 more bytes");
    }
}
