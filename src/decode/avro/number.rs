//! Numbers and logical values rendered as JSON: floats, decimals, uuids.

use serde_json::{Number, Value};

use crate::decode::error::DecodeError;

/// Largest `decimal` unscaled value (in bytes) rendered as a decimal string.
const MAX_DECIMAL_BYTES: usize = 512;

/// JSON number for a float; non-finite values become strings.
pub(crate) fn f64_value(f: f64) -> Value {
    match Number::from_f64(f) {
        Some(n) => Value::Number(n),
        None if f.is_nan() => Value::String("NaN".into()),
        None if f > 0.0 => Value::String("Infinity".into()),
        None => Value::String("-Infinity".into()),
    }
}

/// JSON number for an f32, using its shortest decimal representation
/// (`0.1f32` renders as `0.1`, not `0.10000000149011612`).
pub(crate) fn f32_value(f: f32) -> Value {
    if !f.is_finite() {
        return f64_value(f64::from(f));
    }
    let v = f.to_string().parse::<f64>().unwrap_or(f64::from(f));
    f64_value(v)
}

pub(super) fn uuid_value(b: &[u8]) -> Result<Value, DecodeError> {
    if b.len() != 16 {
        return Err(DecodeError::Mismatch(format!("uuid must be 16 bytes, got {}", b.len())));
    }
    let h = crate::decode::hex::to_hex(b);
    let s = format!(
        "{}-{}-{}-{}-{}",
        h.get(0..8).unwrap_or_default(),
        h.get(8..12).unwrap_or_default(),
        h.get(12..16).unwrap_or_default(),
        h.get(16..20).unwrap_or_default(),
        h.get(20..32).unwrap_or_default()
    );
    Ok(Value::String(s))
}

/// Renders a big-endian two's-complement unscaled integer with `scale`
/// fractional digits (negative scale appends zeros), e.g. `([0x04, 0xd2], 2)`
/// → `"12.34"`.
pub(crate) fn decimal_string(twos: &[u8], scale: i64) -> Result<String, DecodeError> {
    if twos.len() > MAX_DECIMAL_BYTES {
        return Err(DecodeError::Unsupported(format!("decimal of {} bytes is too large to render", twos.len())));
    }
    if scale.unsigned_abs() > 10_000 {
        return Err(DecodeError::Malformed(format!("decimal scale {scale} is out of range")));
    }
    let negative = twos.first().is_some_and(|b| b & 0x80 != 0);
    // Magnitude, big-endian.
    let mut mag: Vec<u8> = twos.to_vec();
    if negative {
        for b in mag.iter_mut() {
            *b = !*b;
        }
        // add one
        for b in mag.iter_mut().rev() {
            let (v, carry) = b.overflowing_add(1);
            *b = v;
            if !carry {
                break;
            }
        }
    }
    let digits = magnitude_to_decimal(&mag);
    let mut s = String::new();
    if negative && digits != "0" {
        s.push('-');
    }
    if scale <= 0 {
        s.push_str(&digits);
        if digits != "0" {
            for _ in 0..scale.unsigned_abs() {
                s.push('0');
            }
        }
        return Ok(s);
    }
    let scale = usize::try_from(scale).unwrap_or(0);
    let padded = if digits.len() <= scale {
        let mut p = "0".repeat(scale + 1 - digits.len());
        p.push_str(&digits);
        p
    } else {
        digits
    };
    let split = padded.len() - scale;
    s.push_str(padded.get(..split).unwrap_or("0"));
    s.push('.');
    s.push_str(padded.get(split..).unwrap_or_default());
    Ok(s)
}

/// Base-10 digits of an unsigned big-endian integer (no leading zeros).
fn magnitude_to_decimal(be: &[u8]) -> String {
    // Limbs base 2^32, most significant first.
    let pad = (4 - be.len() % 4) % 4;
    let mut padded = vec![0u8; pad];
    padded.extend_from_slice(be);
    let mut limbs: Vec<u32> =
        padded.chunks(4).map(|c| c.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b))).collect();
    while limbs.first() == Some(&0) {
        limbs.remove(0);
    }
    if limbs.is_empty() {
        return "0".to_string();
    }
    const BASE: u64 = 1_000_000_000;
    let mut chunks: Vec<u32> = Vec::new(); // base 1e9, least significant first
    while !limbs.is_empty() {
        let mut r: u64 = 0;
        for l in limbs.iter_mut() {
            let cur = (r << 32) | u64::from(*l);
            *l = u32::try_from(cur / BASE).unwrap_or(0);
            r = cur % BASE;
        }
        chunks.push(u32::try_from(r).unwrap_or(0));
        while limbs.first() == Some(&0) {
            limbs.remove(0);
        }
    }
    let mut s = String::new();
    for (i, c) in chunks.iter().rev().enumerate() {
        if i == 0 {
            s.push_str(&c.to_string());
        } else {
            s.push_str(&format!("{c:09}"));
        }
    }
    s
}
