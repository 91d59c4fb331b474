//! Frames of the Pulsar binary protocol, encoded and decoded with the `pulsar` crate's
//! generated protobuf types (its codec is private).
//!
//! ```text
//! simple:  [total size u32][command size u32][BaseCommand]
//! payload: [total size u32][command size u32][BaseCommand]
//!          ([0x0e02][size u32][BrokerEntryMetadata])      broker → client, when asked for
//!          [0x0e01][CRC32C u32][metadata size u32][MessageMetadata][payload]
//! ```
//!
//! The total size counts everything after itself; the CRC32C (Castagnoli) covers everything
//! after itself (metadata size, metadata, payload). Pure: no I/O.

use prost013::Message as _;
use pulsar::proto::{BaseCommand, BrokerEntryMetadata, MessageMetadata};

/// The magic number before the checksum of a payload frame.
pub const MAGIC_CRC32C: u16 = 0x0e01;
/// The magic number before the broker's entry metadata (protocol v16+).
pub const MAGIC_BROKER_ENTRY_METADATA: u16 = 0x0e02;

/// CRC32C, the checksum of SEND and MESSAGE frames (the `crc` crate's Castagnoli table,
/// sliced by 16: ~8x the byte-at-a-time default, which a consumer checks every entry with).
const CRC32C: crc::Crc<u32, crc::Table<16>> = crc::Crc::<u32, crc::Table<16>>::new(&crc::CRC_32_ISCSI);

/// A frame that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("a frame of {size} bytes is larger than the {max} bytes allowed")]
    TooLarge { size: usize, max: usize },
    #[error("malformed frame: {0}")]
    Malformed(String),
    #[error("checksum mismatch: the frame says {expected:#010x}, its bytes give {actual:#010x}")]
    Checksum { expected: u32, actual: u32 },
}

/// The payload part of a frame: a message's metadata and its bytes as stored (compressed,
/// encrypted, a chunk or a whole batch: never transformed here).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Payload {
    pub broker_entry_metadata: Option<BrokerEntryMetadata>,
    pub metadata: MessageMetadata,
    pub data: Vec<u8>,
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub command: BaseCommand,
    pub payload: Option<Payload>,
}

/// A simple frame: one command.
pub fn encode_command(command: &BaseCommand) -> Vec<u8> {
    let len = command.encoded_len();
    let mut buf = Vec::with_capacity(8 + len);
    buf.extend_from_slice(&((4 + len) as u32).to_be_bytes());
    buf.extend_from_slice(&(len as u32).to_be_bytes());
    command.encode_raw(&mut buf);
    buf
}

/// A payload frame (SEND): the command, then the checksummed metadata and payload.
pub fn encode_payload(command: &BaseCommand, metadata: &MessageMetadata, data: &[u8]) -> Vec<u8> {
    let command_len = command.encoded_len();
    let metadata_len = metadata.encoded_len();
    // command size, command, magic, checksum, metadata size, metadata, payload
    let total = 4 + command_len + 2 + 4 + 4 + metadata_len + data.len();
    let mut buf = Vec::with_capacity(4 + total);
    buf.extend_from_slice(&(total as u32).to_be_bytes());
    buf.extend_from_slice(&(command_len as u32).to_be_bytes());
    command.encode_raw(&mut buf);
    buf.extend_from_slice(&MAGIC_CRC32C.to_be_bytes());
    let crc_at = buf.len();
    buf.extend_from_slice(&[0; 4]);
    let checked_from = buf.len();
    buf.extend_from_slice(&(metadata_len as u32).to_be_bytes());
    metadata.encode_raw(&mut buf);
    buf.extend_from_slice(data);
    let crc = CRC32C.checksum(&buf[checked_from..]);
    buf[crc_at..crc_at + 4].copy_from_slice(&crc.to_be_bytes());
    buf
}

/// The size of the whole frame at the start of `buf` (its 4-byte size field included), once
/// that field is in. Refuses a frame larger than `max` before it is read.
pub fn frame_len(buf: &[u8], max: usize) -> Result<Option<usize>, FrameError> {
    let Some(head) = buf.get(..4) else { return Ok(None) };
    let size = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize + 4;
    if size > max {
        return Err(FrameError::TooLarge { size, max });
    }
    if size < 8 {
        return Err(FrameError::Malformed(format!("a frame of {size} bytes")));
    }
    Ok(Some(size))
}

/// A frame whose payload is a slice of the frame's own buffer (no copy): what a consumer
/// reads ([`decode_shared`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SharedFrame {
    pub command: BaseCommand,
    pub payload: Option<SharedPayload>,
}

/// [`Payload`] without a copy of the bytes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SharedPayload {
    pub broker_entry_metadata: Option<BrokerEntryMetadata>,
    pub metadata: MessageMetadata,
    pub data: bytes::Bytes,
}

/// Decodes one whole frame (`frame` is exactly what [`frame_len`] measured). A payload with
/// a checksum is verified.
pub fn decode(frame: &[u8]) -> Result<Frame, FrameError> {
    let (command, payload) = parse(frame)?;
    let payload = payload.map(|(broker_entry_metadata, metadata, at)| Payload {
        broker_entry_metadata,
        metadata,
        data: frame[at..].to_vec(),
    });
    Ok(Frame { command, payload })
}

/// [`decode`] with the payload left where it is: a slice of `frame`.
pub fn decode_shared(frame: bytes::Bytes) -> Result<SharedFrame, FrameError> {
    let (command, payload) = parse(&frame)?;
    let payload = payload.map(|(broker_entry_metadata, metadata, at)| SharedPayload {
        broker_entry_metadata,
        metadata,
        data: frame.slice(at..),
    });
    Ok(SharedFrame { command, payload })
}

/// A frame's metadata parts, and where its payload's bytes start.
type Parsed = (BaseCommand, Option<(Option<BrokerEntryMetadata>, MessageMetadata, usize)>);

fn parse(frame: &[u8]) -> Result<Parsed, FrameError> {
    let mut r = Reader { buf: frame, at: 4 };
    let command_len = r.u32()? as usize;
    let command = BaseCommand::decode(r.take(command_len)?)
        .map_err(|e| FrameError::Malformed(format!("the command does not decode: {e}")))?;
    if r.at == frame.len() {
        return Ok((command, None));
    }
    let mut broker_entry_metadata = None;
    if r.peek_u16() == Some(MAGIC_BROKER_ENTRY_METADATA) {
        r.u16()?;
        let len = r.u32()? as usize;
        let bem = BrokerEntryMetadata::decode(r.take(len)?)
            .map_err(|e| FrameError::Malformed(format!("the broker entry metadata does not decode: {e}")))?;
        broker_entry_metadata = Some(bem);
    }
    let expected = if r.peek_u16() == Some(MAGIC_CRC32C) {
        r.u16()?;
        Some(r.u32()?)
    } else {
        None
    };
    if let Some(expected) = expected {
        let actual = CRC32C.checksum(&frame[r.at..]);
        if actual != expected {
            return Err(FrameError::Checksum { expected, actual });
        }
    }
    let metadata_len = r.u32()? as usize;
    let metadata = MessageMetadata::decode(r.take(metadata_len)?)
        .map_err(|e| FrameError::Malformed(format!("the message metadata does not decode: {e}")))?;
    Ok((command, Some((broker_entry_metadata, metadata, r.at))))
}

/// A cursor over a frame's bytes that never reads past its end.
struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FrameError> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.buf.len()).ok_or_else(|| {
            FrameError::Malformed(format!("{n} bytes wanted at {} of a {}-byte frame", self.at, self.buf.len()))
        })?;
        let out = &self.buf[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn u32(&mut self) -> Result<u32, FrameError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u16(&mut self) -> Result<u16, FrameError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn peek_u16(&self) -> Option<u16> {
        self.buf.get(self.at..self.at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
}
