//! Pulsar's compression codecs, for payloads that pulsar-tui decompresses itself: chunked
//! messages (compressed whole, then split: only the reassembled payload decompresses) and
//! entries the `pulsar` crate could not hand over.
//!
//! Snappy is the raw block format here, as the Java (aircompressor), C++ and Python clients
//! write it; the `pulsar` crate reads and writes the framing format instead, which is why
//! its consumer fails on every Snappy message of the other clients (README, "Kinds of
//! messages"). A framed payload (one the `pulsar` crate wrote) is still read.

use std::io::Read;

use pulsar::proto::CompressionType;

/// The stream identifier that starts a Snappy framing-format stream.
const SNAPPY_FRAMED: &[u8] = b"\xff\x06\x00\x00sNaPpY";

/// Compresses `data` with `codec` (`pulsar::proto::CompressionType`) as the Java, C++ and
/// Python clients do, so that every one of them reads it: LZ4 as one raw block (no size
/// prefix: the metadata's `uncompressed_size` says it), ZLIB as a zlib stream, ZSTD as one
/// frame at level 3 (the Java client's), and **Snappy as one raw block** (`snap::raw`), never
/// the framing format the `pulsar` crate writes. Used by our own producer (`wire::batch`).
pub fn compress(codec: CompressionType, data: &[u8]) -> Result<Vec<u8>, String> {
    match codec {
        CompressionType::None => Ok(data.to_vec()),
        CompressionType::Lz4 => lz4::block::compress(data, None, false).map_err(|e| format!("LZ4: {e}")),
        CompressionType::Zlib => {
            let mut z =
                flate2::write::ZlibEncoder::new(Vec::with_capacity(data.len() / 2), flate2::Compression::default());
            std::io::Write::write_all(&mut z, data).map_err(|e| format!("ZLIB: {e}"))?;
            z.finish().map_err(|e| format!("ZLIB: {e}"))
        }
        CompressionType::Zstd => zstd::bulk::compress(data, 3).map_err(|e| format!("ZSTD: {e}")),
        CompressionType::Snappy => snap::raw::Encoder::new().compress_vec(data).map_err(|e| format!("SNAPPY: {e}")),
    }
}

/// Decompresses `data`, compressed with `codec` (`LZ4`, `ZLIB`, `ZSTD`, `SNAPPY`, or `NONE`).
pub fn decompress(codec: &str, data: &[u8], uncompressed_size: Option<u32>) -> Result<Vec<u8>, String> {
    let size = uncompressed_size.map(|s| s as usize);
    match codec {
        "NONE" | "" => Ok(data.to_vec()),
        "LZ4" => {
            let size = size.ok_or("LZ4 needs the uncompressed size, and the metadata has none")?;
            let size = i32::try_from(size).map_err(|_| format!("uncompressed size {size} is too large"))?;
            lz4::block::decompress(data, Some(size)).map_err(|e| format!("LZ4: {e}"))
        }
        "ZLIB" => {
            let mut out = Vec::with_capacity(size.unwrap_or(data.len() * 2));
            flate2::read::ZlibDecoder::new(data).read_to_end(&mut out).map_err(|e| format!("ZLIB: {e}"))?;
            Ok(out)
        }
        "ZSTD" => zstd::decode_all(data).map_err(|e| format!("ZSTD: {e}")),
        "SNAPPY" if data.starts_with(SNAPPY_FRAMED) => {
            let mut out = Vec::with_capacity(size.unwrap_or(data.len() * 2));
            snap::read::FrameDecoder::new(data).read_to_end(&mut out).map_err(|e| format!("SNAPPY (framed): {e}"))?;
            Ok(out)
        }
        "SNAPPY" => snap::raw::Decoder::new().decompress_vec(data).map_err(|e| format!("SNAPPY: {e}")),
        other => Err(format!("unknown compression {other}")),
    }
    .and_then(|out| match size {
        Some(s) if s != out.len() && codec != "NONE" && !codec.is_empty() => {
            Err(format!("{codec}: {} bytes decompressed, the metadata says {s}", out.len()))
        }
        _ => Ok(out),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        (0..5000u32).flat_map(|i| format!("message {} ", i % 97).into_bytes()).collect()
    }

    #[test]
    fn every_codec_round_trips() {
        let plain = sample();
        let size = Some(plain.len() as u32);
        let lz4 = lz4::block::compress(&plain, None, false).unwrap();
        assert_eq!(decompress("LZ4", &lz4, size).unwrap(), plain);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut z, &plain).unwrap();
        assert_eq!(decompress("ZLIB", &z.finish().unwrap(), size).unwrap(), plain);
        assert_eq!(decompress("ZSTD", &zstd::encode_all(&plain[..], 3).unwrap(), size).unwrap(), plain);
        let raw = snap::raw::Encoder::new().compress_vec(&plain).unwrap();
        assert_eq!(decompress("SNAPPY", &raw, size).unwrap(), plain);
        let mut framed = snap::write::FrameEncoder::new(Vec::new());
        std::io::Write::write_all(&mut framed, &plain).unwrap();
        let framed = framed.into_inner().unwrap();
        assert!(framed.starts_with(SNAPPY_FRAMED));
        assert_eq!(decompress("SNAPPY", &framed, size).unwrap(), plain);
        assert_eq!(decompress("NONE", &plain, None).unwrap(), plain);
    }

    /// What we write, our reader (and so the other clients' formats) reads back; Snappy is a
    /// raw block, not the framing format.
    #[test]
    fn what_we_compress_decompresses_with_every_codec() {
        let plain = sample();
        let size = Some(plain.len() as u32);
        for (codec, name) in [
            (CompressionType::None, "NONE"),
            (CompressionType::Lz4, "LZ4"),
            (CompressionType::Zlib, "ZLIB"),
            (CompressionType::Zstd, "ZSTD"),
            (CompressionType::Snappy, "SNAPPY"),
        ] {
            let packed = compress(codec, &plain).unwrap();
            assert_eq!(name, codec.as_str_name());
            if codec != CompressionType::None {
                assert!(packed.len() < plain.len() / 2, "{name} compresses");
            }
            assert_eq!(decompress(name, &packed, size).unwrap(), plain, "{name}");
        }
        let snappy = compress(CompressionType::Snappy, &plain).unwrap();
        assert!(!snappy.starts_with(SNAPPY_FRAMED));
        assert_eq!(snap::raw::Decoder::new().decompress_vec(&snappy).unwrap(), plain);
    }

    #[test]
    fn corrupt_or_truncated_input_is_an_error_not_garbage() {
        let plain = sample();
        let size = Some(plain.len() as u32);
        let raw = snap::raw::Encoder::new().compress_vec(&plain).unwrap();
        assert!(decompress("SNAPPY", &raw[..raw.len() / 2], size).is_err());
        let lz4 = lz4::block::compress(&plain, None, false).unwrap();
        assert!(decompress("LZ4", &lz4[..lz4.len() / 2], size).is_err());
        assert!(decompress("LZ4", &lz4, None).is_err(), "LZ4 without a size");
        let z = zstd::encode_all(&plain[..], 3).unwrap();
        assert!(decompress("ZSTD", &z[..z.len() / 2], size).is_err());
        let mut zl = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut zl, &plain).unwrap();
        let zl = zl.finish().unwrap();
        assert!(decompress("ZLIB", &zl[..zl.len() / 2], size).is_err(), "a truncated zlib stream");
        assert!(decompress("BROTLI", &plain, size).unwrap_err().contains("unknown"));
    }
}
