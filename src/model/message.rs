//! Messages as the browser and `pulsar-tui read` see them, message ids, and where a read
//! starts (`--from`) and stops (`--until`). Pure values: the conversions from the wire are in
//! the I/O layer's `message` module.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use super::Invalid;

/// `ledger:entry:partition:batch`; partition and batch are -1 when not applicable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId {
    pub ledger: i64,
    pub entry: i64,
    pub partition: i32,
    pub batch: i32,
}

impl MessageId {
    /// Position order within one partition: ledger, entry, then batch index.
    pub fn position(&self) -> (i64, i64, i32) {
        (self.ledger, self.entry, self.batch)
    }

    /// True when this message is at or after the `last` message id of a partition,
    /// i.e. nothing more was there when `last` was taken.
    pub fn reached(&self, last: &MessageId) -> bool {
        (self.ledger, self.entry) > (last.ledger, last.entry)
            || ((self.ledger, self.entry) == (last.ledger, last.entry) && (last.batch < 0 || self.batch >= last.batch))
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}:{}", self.ledger, self.entry, self.partition, self.batch)
    }
}

impl FromStr for MessageId {
    type Err = Invalid;
    /// `ledger:entry[:partition[:batch]]`, as printed by pulsar-tui and most admin tools;
    /// also the C++/Python clients' `(ledger,entry,partition,batch)`.
    fn from_str(s: &str) -> Result<MessageId, Invalid> {
        let t = s.trim();
        let t = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')).unwrap_or(t);
        let parts: Vec<&str> = t.split([':', ',']).map(str::trim).collect();
        let bad = || Invalid(format!("bad message id {s:?}: expected ledger:entry[:partition[:batch]]"));
        if !(2..=4).contains(&parts.len()) {
            return Err(bad());
        }
        let n = |i: usize, default: i64| -> Result<i64, Invalid> {
            match parts.get(i) {
                Some(p) => p.parse::<i64>().map_err(|_| bad()),
                None => Ok(default),
            }
        };
        // partition and batch are i32: a larger number is an error, not wrapped around
        let n32 = |i: usize| -> Result<i32, Invalid> { i32::try_from(n(i, -1)?).map_err(|_| bad()) };
        let id = MessageId { ledger: n(0, 0)?, entry: n(1, 0)?, partition: n32(2)?, batch: n32(3)? };
        if id.ledger < 0 || id.entry < 0 || id.partition < -1 || id.batch < -1 {
            return Err(bad());
        }
        Ok(id)
    }
}

/// Where a read starts.
#[derive(Debug, Clone, PartialEq)]
pub enum StartFrom {
    Earliest,
    /// Only messages published after the read starts.
    Latest,
    /// The last N messages (`-N`).
    BeforeLatest(u64),
    /// Skip the first N messages (`+N`).
    AfterEarliest(u64),
    /// From this message on (inclusive).
    Id(MessageId),
    /// From the first message published at or after this time (ms since the epoch).
    Time(i64),
}

/// Where a read stops (inclusive).
#[derive(Debug, Clone, PartialEq)]
pub enum Until {
    Id(MessageId),
    Time(i64),
}

/// Parses `15m`, `2h`, `1d`, `30s`, `1w` into milliseconds.
fn parse_relative(s: &str) -> Option<i64> {
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = num.parse().ok()?;
    let ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        _ => return None,
    };
    n.checked_mul(ms)
}

/// A point in time: RFC 3339 (`2026-11-27T10:00:00Z`) or relative to `now_ms` (`15m` ago).
fn parse_time(s: &str, now_ms: i64) -> Option<i64> {
    if let Some(ago) = parse_relative(s) {
        return Some(now_ms - ago);
    }
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc).timestamp_millis())
}

impl StartFrom {
    /// `earliest`, `latest`, `-N`, `+N`, a message id, an RFC 3339 time, or `15m`/`2h`/`1d` ago.
    pub fn parse(s: &str, now_ms: i64) -> Result<StartFrom, Invalid> {
        let t = s.trim();
        let bad = || {
            Invalid(format!(
                "bad start {s:?}: use earliest, latest, -N, +N, ledger:entry[:partition[:batch]], an RFC 3339 time or 15m/2h/1d"
            ))
        };
        match t {
            "earliest" => return Ok(StartFrom::Earliest),
            "latest" => return Ok(StartFrom::Latest),
            _ => {}
        }
        if let Some(n) = t.strip_prefix('-') {
            return n.parse().map(StartFrom::BeforeLatest).map_err(|_| bad());
        }
        if let Some(n) = t.strip_prefix('+') {
            return n.parse().map(StartFrom::AfterEarliest).map_err(|_| bad());
        }
        if let Ok(id) = t.parse::<MessageId>() {
            return Ok(StartFrom::Id(id));
        }
        parse_time(t, now_ms).map(StartFrom::Time).ok_or_else(bad)
    }
}

impl Until {
    pub fn parse(s: &str, now_ms: i64) -> Result<Until, Invalid> {
        let t = s.trim();
        if let Ok(id) = t.parse::<MessageId>() {
            return Ok(Until::Id(id));
        }
        parse_time(t, now_ms)
            .map(Until::Time)
            .ok_or_else(|| Invalid(format!("bad end {s:?}: use a message id, an RFC 3339 time or 15m/2h/1d ago")))
    }

    /// True when `m` is past this end (the end itself is included).
    pub fn passed(&self, m: &Message) -> bool {
        match self {
            Until::Time(t) => m.publish_time_ms > *t,
            Until::Id(id) => (id.partition < 0 || id.partition == m.id.partition) && m.id.position() > id.position(),
        }
    }
}

/// One message, with everything the broker told about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The partition's own topic name for a partitioned topic.
    pub topic: String,
    pub id: MessageId,
    pub key: Option<String>,
    /// The key is the base64 of binary bytes.
    pub key_is_base64: bool,
    pub ordering_key: Option<Vec<u8>>,
    pub properties: BTreeMap<String, String>,
    pub publish_time_ms: i64,
    pub event_time_ms: Option<i64>,
    pub producer: String,
    pub sequence_id: i64,
    /// The 8-byte big-endian version the payload was written with.
    pub schema_version: Option<i64>,
    /// The pulsar crate does not expose the broker's redelivery count.
    pub redelivery_count: Option<u32>,
    pub compression: Option<String>,
    pub payload: Vec<u8>,
    /// What else the entry carries: batch, chunks, encryption, delivery time, markers.
    pub meta: MessageMeta,
}

/// The metadata of a message beyond the basics (README, "Kinds of messages").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageMeta {
    /// Messages in the entry (`num_messages_in_batch`) when the entry is a batch. Every
    /// message of a batch shares its entry: acknowledging one acknowledges all of them.
    pub batch_size: Option<u32>,
    /// Set on a message reassembled from chunks (or on a chunk that could not be).
    pub chunk: Option<ChunkInfo>,
    /// Set on an end-to-end encrypted message: its payload is the ciphertext.
    pub encryption: Option<Encryption>,
    /// Delayed delivery: not delivered to subscriptions before this time (ms since the epoch).
    pub deliver_at_ms: Option<i64>,
    /// The cluster a geo-replicated message came from.
    pub replicated_from: Option<String>,
    /// The producer marked the value as null (a compaction tombstone when keyed).
    pub null_value: bool,
    /// The producer marked the key as null.
    pub null_key: bool,
    /// The payload's size before compression, as the producer wrote it.
    pub uncompressed_size: Option<u32>,
    /// Why the payload cannot be decoded (encrypted, chunks missing, an entry the client could
    /// not decompress...). Such a message is never fed to a decoder, and a requeue leaves it.
    pub error: Option<String>,
}

/// How a chunked message was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkInfo {
    /// The producer's id of the whole message (`<producer>-<sequence id>`).
    pub uuid: String,
    /// Chunks the whole message was split into.
    pub chunks: u32,
    /// Size of the whole (compressed) payload.
    pub total_size: u64,
    /// This chunk's index, for a single chunk; the last index, on a reassembled message.
    pub chunk_id: u32,
    /// The entry id of every chunk received, in chunk order (acknowledging the message means
    /// acknowledging all of them).
    pub ids: Vec<MessageId>,
}

/// End-to-end encryption of a message, as its metadata says (pulsar-tui never decrypts).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Encryption {
    /// The names of the keys the data key was encrypted with.
    pub keys: Vec<String>,
    /// `encryption_algo`, usually absent (the Java client never sets it).
    pub algorithm: Option<String>,
    /// `encryption_param`: the initialisation vector.
    pub param: Vec<u8>,
}

impl Encryption {
    /// `encrypted (keys: a, b)`: what the table, the detail and `decode_error` say.
    pub fn describe(&self) -> String {
        if self.keys.is_empty() {
            "encrypted (keys: none named)".to_string()
        } else {
            format!("encrypted (keys: {})", self.keys.join(", "))
        }
    }
}

impl MessageMeta {}

/// Milliseconds since the epoch as RFC 3339 with milliseconds (`2026-11-27T10:00:00.123Z`).
pub fn format_time(ms: i64) -> String {
    // years 0000-9999: chrono's RFC 3339 writer, the same text as the strftime below without
    // parsing a format string per call (it is on the hot path of `pulsar-tui read`)
    const YEAR_0: i64 = -62_167_219_200_000; // 0000-01-01T00:00:00Z
    const YEAR_10000: i64 = 253_402_300_800_000; // 10000-01-01T00:00:00Z
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(t) if (YEAR_0..YEAR_10000).contains(&ms) => t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => ms.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_time_fast_path_matches_strftime() {
        let slow =
            |ms: i64| DateTime::<Utc>::from_timestamp_millis(ms).unwrap().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        for ms in [0, 1, 999, 1_000, 1_795_000_000_123, -1, -62_167_219_200_000, 253_402_300_799_999, 951_782_400_000] {
            assert_eq!(format_time(ms), slow(ms), "{ms}");
        }
        assert_eq!(format_time(1_795_000_000_123), "2026-11-18T11:06:40.123Z");
        assert_eq!(format_time(253_402_300_800_000), slow(253_402_300_800_000));
    }

    #[test]
    fn message_ids_parse_and_print() {
        let id: MessageId = "12:3:1:-1".parse().unwrap();
        assert_eq!(id, MessageId { ledger: 12, entry: 3, partition: 1, batch: -1 });
        assert_eq!(id.to_string(), "12:3:1:-1");
        assert_eq!("12:3".parse::<MessageId>().unwrap().to_string(), "12:3:-1:-1");
        assert_eq!("(92,2,3,-1)".parse::<MessageId>().unwrap().to_string(), "92:2:3:-1");
        for bad in ["", "12", "a:b", "1:2:3:4:5", "-5:1", "1:2:-3", "1:2:x"] {
            assert!(bad.parse::<MessageId>().is_err(), "{bad:?}");
        }
    }

    /// Found while writing the `message_id` fuzz target's property (the fields are the numbers
    /// written): partition and batch were cast from i64 with `as i32`, so `1:2:4294967295` was
    /// accepted as partition -1 and `1:2:4294967296` as partition 0.
    #[test]
    fn message_id_parts_out_of_i32_range_are_errors() {
        for bad in [
            "1:2:4294967295",
            "1:2:4294967296",
            "1:2:3:4294967295",
            "1:2:3:4294967296",
            "1:2:2147483648",
            "1:2:-2147483649",
        ] {
            assert!(bad.parse::<MessageId>().is_err(), "{bad:?}");
        }
        let max: MessageId = "9223372036854775807:9223372036854775807:2147483647:2147483647".parse().unwrap();
        assert_eq!(max, MessageId { ledger: i64::MAX, entry: i64::MAX, partition: i32::MAX, batch: i32::MAX });
        assert_eq!(max.to_string().parse::<MessageId>().unwrap(), max);
    }

    #[test]
    fn reached_compares_positions_and_batches() {
        let last = MessageId { ledger: 5, entry: 9, partition: -1, batch: -1 };
        assert!(!MessageId { ledger: 5, entry: 8, partition: -1, batch: -1 }.reached(&last));
        assert!(MessageId { ledger: 5, entry: 9, partition: -1, batch: -1 }.reached(&last));
        assert!(MessageId { ledger: 6, entry: 0, partition: -1, batch: -1 }.reached(&last));
        let batched = MessageId { ledger: 5, entry: 9, partition: -1, batch: 3 };
        assert!(!MessageId { ledger: 5, entry: 9, partition: -1, batch: 2 }.reached(&batched));
        assert!(MessageId { ledger: 5, entry: 9, partition: -1, batch: 3 }.reached(&batched));
    }

    #[test]
    fn start_positions_parse() {
        let now = 1_800_000_000_000;
        assert_eq!(StartFrom::parse("earliest", now).unwrap(), StartFrom::Earliest);
        assert_eq!(StartFrom::parse("latest", now).unwrap(), StartFrom::Latest);
        assert_eq!(StartFrom::parse("-10", now).unwrap(), StartFrom::BeforeLatest(10));
        assert_eq!(StartFrom::parse("+3", now).unwrap(), StartFrom::AfterEarliest(3));
        assert_eq!(StartFrom::parse("7:8:1", now).unwrap(), StartFrom::Id("7:8:1:-1".parse().unwrap()));
        assert_eq!(StartFrom::parse("15m", now).unwrap(), StartFrom::Time(now - 15 * 60_000));
        assert_eq!(StartFrom::parse("2h", now).unwrap(), StartFrom::Time(now - 2 * 3_600_000));
        assert_eq!(StartFrom::parse("1d", now).unwrap(), StartFrom::Time(now - 86_400_000));
        assert_eq!(
            StartFrom::parse("2026-11-27T10:00:00.123Z", now).unwrap(),
            StartFrom::Time(DateTime::parse_from_rfc3339("2026-11-27T10:00:00.123Z").unwrap().timestamp_millis())
        );
        for bad in ["", "soon", "-x", "+", "15q", "2026-13-01T00:00:00Z", "99999999999999999999d"] {
            assert!(StartFrom::parse(bad, now).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn time_formats_with_millis() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_time(1_764_237_600_123), "2025-11-27T10:00:00.123Z");
    }
}
