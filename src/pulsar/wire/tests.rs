use prost013::Message as _;
use pulsar::proto::base_command::Type;
use pulsar::proto::{BaseCommand, BrokerEntryMetadata, CommandMessage, CommandSend, MessageIdData, MessageMetadata};

use super::conn::{command, parse_url, server_error};
use super::frame::{self, FrameError};
use super::producer::{chunk_plan, java_partition, Published};
use crate::pulsar::error::ClientError;
use crate::pulsar::message::MessageId;

fn send() -> BaseCommand {
    let mut c = command(Type::Send);
    c.send = Some(CommandSend { producer_id: 3, sequence_id: 7, num_messages: Some(1), ..Default::default() });
    c
}

fn metadata() -> MessageMetadata {
    MessageMetadata {
        producer_name: "p".into(),
        sequence_id: 7,
        publish_time: 1_700_000_000_000,
        partition_key: Some("k".into()),
        ..Default::default()
    }
}

#[test]
fn a_simple_frame_is_sizes_then_the_command() {
    let ping = command(Type::Ping);
    let bytes = frame::encode_command(&ping);
    let len = ping.encoded_len();
    assert_eq!(&bytes[..4], &((4 + len) as u32).to_be_bytes());
    assert_eq!(&bytes[4..8], &(len as u32).to_be_bytes());
    assert_eq!(frame::frame_len(&bytes, 1 << 20), Ok(Some(bytes.len())));
    let f = frame::decode(&bytes).unwrap();
    assert_eq!(f.command.r#type, Type::Ping as i32);
    assert!(f.payload.is_none());
}

/// The checksum is CRC32C (Castagnoli) over the metadata size, metadata and payload: the
/// check value of "123456789" is 0xE3069283, and a frame's checksum is that of its tail.
#[test]
fn a_payload_frame_carries_the_crc32c_of_its_tail() {
    let c = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI);
    assert_eq!(c.checksum(b"123456789"), 0xE306_9283);
    let bytes = frame::encode_payload(&send(), &metadata(), b"hello");
    let command_len = send().encoded_len();
    let magic_at = 8 + command_len;
    assert_eq!(&bytes[magic_at..magic_at + 2], &[0x0e, 0x01]);
    let crc = u32::from_be_bytes(bytes[magic_at + 2..magic_at + 6].try_into().unwrap());
    assert_eq!(crc, c.checksum(&bytes[magic_at + 6..]));
    assert_eq!(u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize, bytes.len() - 4);
    let f = frame::decode(&bytes).unwrap();
    let p = f.payload.unwrap();
    assert_eq!((p.metadata, p.data.as_slice()), (metadata(), &b"hello"[..]));
    assert_eq!(f.command.send.unwrap().sequence_id, 7);
}

#[test]
fn a_corrupt_payload_is_a_checksum_error_not_data() {
    let mut bytes = frame::encode_payload(&send(), &metadata(), b"hello");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x20;
    assert!(matches!(frame::decode(&bytes), Err(FrameError::Checksum { .. })));
}

#[test]
fn truncated_or_oversized_frames_are_errors() {
    let bytes = frame::encode_payload(&send(), &metadata(), b"hello");
    assert_eq!(frame::frame_len(&bytes[..3], 1 << 20), Ok(None), "the size is not in yet");
    assert!(matches!(frame::frame_len(&bytes, 10), Err(FrameError::TooLarge { .. })));
    assert!(matches!(frame::frame_len(&[0, 0, 0, 1], 100), Err(FrameError::Malformed(_))));
    // a frame whose sizes point past its end
    let mut cut = bytes[..bytes.len() - 3].to_vec();
    let n = (cut.len() - 4) as u32;
    cut[..4].copy_from_slice(&n.to_be_bytes());
    let mut bad = cut.clone();
    bad[4..8].copy_from_slice(&(10_000u32).to_be_bytes());
    assert!(matches!(frame::decode(&bad), Err(FrameError::Malformed(_))));
}

/// A MESSAGE frame as the broker sends it to a client that asked for broker entry metadata:
/// `[0x0e02][size][BrokerEntryMetadata]` before the checksummed part.
#[test]
fn broker_entry_metadata_is_read_before_the_checksum() {
    let mut c = command(Type::Message);
    c.message = Some(CommandMessage {
        consumer_id: 1,
        message_id: MessageIdData { ledger_id: 5, entry_id: 9, ..Default::default() },
        ..Default::default()
    });
    let plain = frame::encode_payload(&c, &metadata(), b"payload");
    let command_len = c.encoded_len();
    let bem = BrokerEntryMetadata { broker_timestamp: Some(1234), index: Some(42) };
    let bem_bytes = bem.encode_to_vec();
    let mut with = plain[..8 + command_len].to_vec();
    with.extend_from_slice(&0x0e02u16.to_be_bytes());
    with.extend_from_slice(&(bem_bytes.len() as u32).to_be_bytes());
    with.extend_from_slice(&bem_bytes);
    with.extend_from_slice(&plain[8 + command_len..]);
    let total = (with.len() - 4) as u32;
    with[..4].copy_from_slice(&total.to_be_bytes());
    let f = frame::decode(&with).unwrap();
    let p = f.payload.unwrap();
    assert_eq!(p.broker_entry_metadata, Some(bem));
    assert_eq!(p.data, b"payload");
    assert_eq!(f.command.message.unwrap().message_id.entry_id, 9);
}

#[test]
fn chunks_cover_the_payload_and_none_is_larger_than_the_room() {
    assert_eq!(chunk_plan(0, 100), (0, 1));
    assert_eq!(chunk_plan(100, 100), (100, 1));
    assert_eq!(chunk_plan(101, 100), (100, 2));
    assert_eq!(chunk_plan(7 << 20, (5 << 20) - 2048), ((5 << 20) - 2048, 2));
    for (len, room) in [(1usize, 1usize), (999, 10), (1000, 10), (1001, 10), (7_340_032, 5_241_856)] {
        let (size, n) = chunk_plan(len, room);
        assert!(size <= room && size * n >= len && size * (n - 1) < len.max(1), "{len} {room}");
    }
}

/// The hash codes are jshell's (`"k-1".hashCode()` is 104271, `"big"` 97536,
/// `"polygenelubricants"` Integer.MIN_VALUE, `"😀x"` 54959989: a surrogate pair is two
/// code units); a negative hash keeps its low 31 bits, as `JavaStringHash` does.
#[test]
fn keys_go_to_the_partition_the_java_client_picks() {
    assert_eq!(java_partition("k-1", 3), 104_271 % 3);
    assert_eq!(java_partition("big", 5), 97_536 % 5);
    assert_eq!(java_partition("😀x", 1_000_000), 54_959_989 % 1_000_000);
    // "polygenelubricants".hashCode() == Integer.MIN_VALUE: & MAX_VALUE gives 0
    assert_eq!(java_partition("polygenelubricants", 7), 0);
    assert_eq!(java_partition("ü", 7), 252 % 7, "UTF-16 code units");
    assert_eq!(java_partition("x", 0), 0, "no division by zero");
}

#[test]
fn service_urls_parse() {
    assert_eq!(parse_url("pulsar://127.0.0.1:6650").unwrap(), (false, vec![("127.0.0.1".into(), 6650)]));
    assert_eq!(parse_url("pulsar+ssl://b1:7000,b2/").unwrap(), (true, vec![("b1".into(), 7000), ("b2".into(), 6651)]));
    assert_eq!(parse_url("pulsar://[::1]:6650").unwrap(), (false, vec![("::1".into(), 6650)]));
    assert!(parse_url("http://b:8080").is_err());
    assert!(parse_url("pulsar://b:port").is_err());
}

#[test]
fn broker_errors_become_our_kinds() {
    use pulsar::proto::ServerError as S;
    let e = |code: S| server_error(code as i32, "why", "producer on t", "pulsar://b:6650");
    assert!(matches!(e(S::AuthenticationError), ClientError::Unauthorized { .. }));
    assert!(matches!(e(S::AuthorizationError), ClientError::Forbidden { .. }));
    assert!(matches!(e(S::TopicNotFound), ClientError::NotFound { .. }));
    assert!(e(S::ServiceNotReady).is_connectivity(), "transient, retried like a refused connection");
    let other = e(S::ProducerBlockedQuotaExceededError);
    assert!(other.to_string().contains("ProducerBlockedQuotaExceededError: why"), "{other}");
}

#[test]
fn a_chunked_publish_is_described_as_first_and_last() {
    let id = |e| MessageId { ledger: 7, entry: e, partition: -1, batch: -1 };
    let p = Published { id: id(4), chunks: vec![id(3), id(4)] };
    assert_eq!(p.describe(), "7:3:-1:-1;7:4:-1:-1");
    assert_eq!(Published { id: id(4), chunks: vec![id(4)] }.describe(), "7:4:-1:-1");
}
