//! Transactions as plain values (no I/O): transaction ids, positions, what an open
//! transaction holds back from readers, and ages. The admin calls are `pulsar::txn`.
//!
//! A transaction left open pins its topics' *max read position*: readers and consumers
//! stop there while entries pile up behind it. [`held_back`] counts those entries from
//! the transaction buffer's max read position and the topic's last entry.

use std::fmt;

#[cfg(test)]
mod tests;

/// A transaction id: the coordinator (`mostSigBits`) and the sequence (`leastSigBits`).
/// Printed as the broker prints it, `(0,5)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct TxnId {
    pub most: u64,
    pub least: u64,
}

impl TxnId {
    /// `(0,5)` (the broker's form), `0,5` or `0:5`.
    pub fn parse(text: &str) -> Result<TxnId, String> {
        let t = text.trim();
        let inner = t.strip_prefix('(').and_then(|s| s.strip_suffix(')')).unwrap_or(t);
        let (a, b) = inner
            .split_once(',')
            .or_else(|| inner.split_once(':'))
            .ok_or_else(|| format!("transaction id {text:?}: expected (MOST,LEAST), MOST,LEAST or MOST:LEAST"))?;
        let num =
            |s: &str| s.trim().parse::<u64>().map_err(|_| format!("transaction id {text:?}: {s:?} is not a number"));
        Ok(TxnId { most: num(a)?, least: num(b)? })
    }
}

impl fmt::Display for TxnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({},{})", self.most, self.least)
    }
}

/// A managed-ledger position `ledger:entry` (entry -1: before the ledger's first entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub ledger: i64,
    pub entry: i64,
}

impl Position {
    pub fn parse(text: &str) -> Option<Position> {
        let (l, e) = text.trim().split_once(':')?;
        Some(Position { ledger: l.parse().ok()?, entry: e.parse().ok()? })
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.ledger, self.entry)
    }
}

/// How many entries lie after `max_read` up to and including `last`. `ledgers` are the
/// topic's ledgers with their entry counts (the internal stats; the current ledger's count
/// is its `currentLedgerEntries`). A ledger missing from the list counts as empty, so the
/// result is a lower bound ("≥ N"). Zero when `last` is not after `max_read`.
pub fn held_back(max_read: Position, last: Position, ledgers: &[(i64, u64)]) -> u64 {
    if last <= max_read {
        return 0;
    }
    if last.ledger == max_read.ledger {
        return (last.entry - max_read.entry).max(0) as u64;
    }
    let entries_of = |id: i64| ledgers.iter().find(|(l, _)| *l == id).map_or(0, |(_, n)| *n);
    // the rest of max_read's ledger, the whole ledgers between, the start of last's
    let first = (entries_of(max_read.ledger) as i64 - max_read.entry - 1).max(0) as u64;
    let middle: u64 = ledgers.iter().filter(|(l, _)| *l > max_read.ledger && *l < last.ledger).map(|(_, n)| *n).sum();
    first + middle + (last.entry + 1).max(0) as u64
}

/// A transaction's lifecycle state as the coordinator reports it (`TxnStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Open,
    Committing,
    Committed,
    Aborting,
    Aborted,
    Unknown,
}

impl Status {
    pub fn parse(s: &str) -> Status {
        match s {
            "OPEN" => Status::Open,
            "COMMITTING" => Status::Committing,
            "COMMITTED" => Status::Committed,
            "ABORTING" => Status::Aborting,
            "ABORTED" => Status::Aborted,
            _ => Status::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "OPEN",
            Status::Committing => "COMMITTING",
            Status::Committed => "COMMITTED",
            Status::Aborting => "ABORTING",
            Status::Aborted => "ABORTED",
            Status::Unknown => "UNKNOWN",
        }
    }
}

/// One transaction the coordinator knows (it forgets a transaction once it has ended:
/// committed and aborted ones are visible only in the topics' counters).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TxnInfo {
    pub id: TxnId,
    pub status: Status,
    /// When it was opened (epoch ms).
    pub open_ms: i64,
    /// Its timeout (ms after `open_ms`; the broker's `timeoutAt` is this duration).
    pub timeout_ms: u64,
    /// Topics (partitions) it produced to: (topic, its first position there, aborted).
    pub produced: Vec<Produced>,
    /// Subscriptions it acknowledged on: (topic, subscription).
    pub acked: Vec<(String, String)>,
    /// The role that opened it, when the broker knows it.
    pub owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Produced {
    pub topic: String,
    pub start_position: Option<String>,
    pub aborted: bool,
}

impl TxnInfo {
    /// How long it has been open at `now_ms`.
    pub fn age_ms(&self, now_ms: i64) -> u64 {
        (now_ms - self.open_ms).max(0) as u64
    }

    /// When the coordinator times it out (epoch ms).
    pub fn deadline_ms(&self) -> i64 {
        self.open_ms.saturating_add(self.timeout_ms as i64)
    }

    /// Open longer than `threshold_ms` at `now_ms` (the headless `--slow`, the view's slow mark).
    pub fn is_slow(&self, now_ms: i64, threshold_ms: u64) -> bool {
        self.age_ms(now_ms) > threshold_ms
    }

    /// What aborting it does, in words (the headless preview's and the dialog's).
    pub fn abort_meaning(&self) -> String {
        format!(
            "its messages on {} topic(s) are discarded (no reader or consumer ever sees them), its \
             acknowledgements on {} subscription(s) are undone (those messages are delivered again), and \
             readers held at its max read position move on",
            self.produced.len(),
            self.acked.len()
        )
    }

    /// Its first position on `topic`, when it produced there.
    pub fn start_on(&self, topic: &str) -> Option<Position> {
        self.produced
            .iter()
            .find(|p| p.topic == topic)
            .and_then(|p| p.start_position.as_deref())
            .and_then(Position::parse)
    }
}

/// What a topic's open transactions hold back from its readers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HeldBack {
    /// At least this many entries after the max read position.
    pub entries: u64,
    pub max_read_position: String,
    pub last_entry: String,
    /// The open transaction that pins the max read position (the one whose first entry on
    /// the topic comes first), when the coordinator could say.
    pub txn: Option<TxnId>,
    /// Since when (its open time, epoch ms).
    pub since_ms: Option<i64>,
}

impl HeldBack {
    /// `≥ 5 entries held back by open transaction (0,2) since 2026-12-04T01:03:12.309Z (3m ago)`.
    pub fn describe(&self, now_ms: i64) -> String {
        let noun = if self.entries == 1 { "entry" } else { "entries" };
        let by = match self.txn {
            Some(t) => format!("open transaction {t}"),
            None => "an open transaction".to_string(),
        };
        let since = match self.since_ms {
            Some(s) => format!(
                " since {} ({})",
                crate::model::format_time(s),
                crate::style::format::ago(std::time::Duration::from_millis((now_ms - s).max(0) as u64))
            ),
            None => String::new(),
        };
        format!("≥ {} {noun} held back by {by}{since}", self.entries)
    }
}

/// The open transaction that pins `topic`'s max read position: of those that produced to
/// it, the one whose first entry there is the earliest.
pub fn pinning<'a>(topic: &str, open: &'a [TxnInfo]) -> Option<&'a TxnInfo> {
    open.iter()
        .filter(|t| matches!(t.status, Status::Open | Status::Committing | Status::Aborting))
        .filter_map(|t| t.start_on(topic).map(|p| (p, t)))
        .min_by_key(|(p, _)| *p)
        .map(|(_, t)| t)
}

/// A duration for `--slow`: `30s`, `5m`, `2h`, `1d`, `250ms`, or plain seconds.
pub fn parse_duration_ms(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (num, unit) = t.find(|c: char| !c.is_ascii_digit()).map_or((t, ""), |i| t.split_at(i));
    let n: u64 = num.parse().map_err(|_| format!("{text:?}: expected a duration like 30s, 5m, 2h"))?;
    let factor = match unit {
        "ms" => 1,
        "" | "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("{text:?}: unknown unit {unit:?} (ms, s, m, h, d)")),
    };
    Ok(n.saturating_mul(factor))
}
