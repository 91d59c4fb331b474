//! The transactions view's requests: the coordinators and their stats, the open
//! transactions, one transaction's metadata, a topic's transaction buffer (what an open
//! transaction holds back from readers) and its subscriptions' pending acks, and the abort.
//! All of it is the admin API's `/admin/v3/transactions` (Pulsar 2.8+; abort 4.0+).
//!
//! The coordinator forgets a transaction once it has ended: committed and aborted
//! transactions show only in the topics' counters (`committedTxnCount`, `abortedTxnCount`).

use std::collections::BTreeMap;

use reqwest::Method;
use serde::Deserialize;

use super::error::{ClientError, Result};
use super::topic::TopicName;
use super::Client;
pub use crate::txn::{HeldBack, Position, Produced, Status, TxnId, TxnInfo};

const BASE: &str = "/admin/v3/transactions";

#[derive(Debug, Clone, PartialEq)]
pub enum TxnRequest {
    /// The coordinators with their stats and the open transactions older than
    /// `older_than_ms` (0: every open one).
    List { older_than_ms: u64 },
    /// One transaction's metadata.
    Show { txn: TxnId },
    /// A topic's transaction buffer (each partition's), what it holds back, its
    /// subscriptions' pending acks and transaction counters.
    Topic { topic: TopicName },
    /// Only what open transactions hold back from readers of a topic (the browser's marker).
    FindHeldBack { topic: TopicName },
    /// Abort an open transaction (super-user only). Refused in read-only mode.
    Abort { txn: TxnId },
}

#[derive(Debug, Clone, PartialEq)]
pub enum TxnResponse {
    Listed { overview: Box<Overview> },
    Shown { txn: Box<TxnInfo> },
    TopicInspected { topic: TopicName, parts: Vec<TopicTxns> },
    HeldBackFound { topic: TopicName, held_back: Option<HeldBack> },
    Aborted { txn: TxnId },
}

impl TxnRequest {
    pub fn describe(&self) -> String {
        match self {
            TxnRequest::List { .. } => "transactions".into(),
            TxnRequest::Show { txn } => format!("transaction {txn}"),
            TxnRequest::Topic { topic } => format!("transaction buffer of {topic}"),
            TxnRequest::FindHeldBack { topic } => format!("open transactions on {topic}"),
            TxnRequest::Abort { txn } => format!("abort of transaction {txn}"),
        }
    }
}

/// A coordinator and its stats (`None` with `error` when it could not answer: a
/// coordinator loads when the first transactional client connects).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Coordinator {
    pub id: u64,
    pub broker: String,
    pub state: Option<String>,
    pub ongoing: Option<u64>,
    pub low_water_mark: Option<i64>,
    /// The sequence of its latest transaction.
    pub least_sig_bits: Option<u64>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Overview {
    pub coordinators: Vec<Coordinator>,
    /// Open transactions (older than the request's threshold), oldest first.
    pub open: Vec<TxnInfo>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BufferStats {
    pub state: String,
    pub max_read_position: String,
    pub ongoing: u64,
    pub aborted_total: u64,
    pub last_snapshot_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PendingAck {
    pub subscription: String,
    pub state: Option<String>,
    pub ongoing: Option<u64>,
    pub error: Option<String>,
}

/// A topic's transaction counters (its stats).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Counters {
    pub ongoing: u64,
    pub committed: u64,
    pub aborted: u64,
}

/// One partition's (or a non-partitioned topic's) transactions.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TopicTxns {
    pub topic: String,
    pub buffer: Option<BufferStats>,
    pub last_entry: Option<String>,
    pub held_back: Option<HeldBack>,
    pub counters: Option<Counters>,
    pub subscriptions: Vec<PendingAck>,
    /// The open transactions that produced or acknowledged here.
    pub open: Vec<TxnInfo>,
    /// What could not be asked (the rest is still shown).
    pub errors: Vec<String>,
}

/// Runs one request of the group (the worker's and the headless commands' entry point).
pub async fn execute(client: &Client, request: &TxnRequest) -> Result<TxnResponse> {
    match request {
        TxnRequest::List { older_than_ms } => {
            Ok(TxnResponse::Listed { overview: Box::new(overview(client, *older_than_ms).await?) })
        }
        TxnRequest::Show { txn } => Ok(TxnResponse::Shown { txn: Box::new(metadata(client, *txn).await?) }),
        TxnRequest::Topic { topic } => {
            let open = all_open(client).await.unwrap_or_default();
            let mut parts = Vec::new();
            for t in partitions_of(client, topic).await? {
                parts.push(topic_txns(client, &t, &open).await?);
            }
            Ok(TxnResponse::TopicInspected { topic: topic.clone(), parts })
        }
        TxnRequest::FindHeldBack { topic } => {
            Ok(TxnResponse::HeldBackFound { topic: topic.clone(), held_back: find_held_back(client, topic).await })
        }
        TxnRequest::Abort { txn } => abort(client, *txn).await.map(|()| TxnResponse::Aborted { txn: *txn }),
    }
}

/// A clearer error for the transactions API: the broker's 503 when the coordinator is off.
fn explain(e: ClientError) -> ClientError {
    match e {
        ClientError::Http { status: 503, ref reason, .. } if reason.contains("transactionCoordinatorEnabled") => {
            ClientError::Invalid(
                "transactions are not enabled on this cluster (the broker runs with transactionCoordinatorEnabled=false)"
                    .into(),
            )
        }
        ClientError::Http { status, what, reason } => {
            // a 500's reason is a whole Java stack trace: its first line says it
            let first = reason.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with("---"));
            let reason = first.unwrap_or(&reason).chars().take(200).collect();
            ClientError::Http { status, what, reason }
        }
        e => e,
    }
}

async fn get<T: serde::de::DeserializeOwned>(client: &Client, path: &str) -> Result<T> {
    client.admin.get_json(&format!("{BASE}{path}")).await.map_err(explain)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CoordinatorJson {
    id: u64,
    #[serde(default)]
    broker_service_url: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct CoordinatorStatsJson {
    state: Option<String>,
    least_sig_bits: Option<u64>,
    low_water_mark: Option<i64>,
    ongoing_txn_size: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct MetadataJson {
    txn_id: String,
    status: String,
    open_timestamp: i64,
    timeout_at: u64,
    produced_partitions: BTreeMap<String, ProducedJson>,
    acked_partitions: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    owner: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ProducedJson {
    start_position: Option<String>,
    aborted: bool,
}

fn info_of(m: MetadataJson) -> Result<TxnInfo> {
    let id = TxnId::parse(&m.txn_id)
        .map_err(|e| ClientError::Protocol { what: "transaction metadata".into(), reason: e })?;
    Ok(TxnInfo {
        id,
        status: Status::parse(&m.status),
        open_ms: m.open_timestamp,
        timeout_ms: m.timeout_at,
        produced: m
            .produced_partitions
            .into_iter()
            .map(|(topic, p)| Produced { topic, start_position: p.start_position, aborted: p.aborted })
            .collect(),
        acked: m
            .acked_partitions
            .into_iter()
            .flat_map(|(topic, subs)| subs.into_keys().map(move |s| (topic.clone(), s)))
            .collect(),
        owner: m.owner.filter(|o| !o.is_empty()),
    })
}

async fn coordinators(client: &Client) -> Result<Vec<CoordinatorJson>> {
    get(client, "/coordinators").await
}

/// The open transactions of one coordinator older than `older_than_ms`.
async fn slow(client: &Client, coordinator: u64, older_than_ms: u64) -> Result<Vec<TxnInfo>> {
    let map: BTreeMap<String, MetadataJson> =
        get(client, &format!("/slowTransactions/{older_than_ms}?coordinatorId={coordinator}")).await?;
    map.into_values().map(info_of).collect()
}

/// Every open transaction of every coordinator, oldest first.
pub async fn all_open(client: &Client) -> Result<Vec<TxnInfo>> {
    let mut open = Vec::new();
    for c in coordinators(client).await? {
        // a coordinator that is not loaded has no transactions to list
        if let Ok(mut txns) = slow(client, c.id, 0).await {
            open.append(&mut txns);
        }
    }
    open.sort_by_key(|t| (t.open_ms, t.id));
    Ok(open)
}

/// The coordinators worth asking for open transactions: loaded (a coordinator answers 404
/// until the first transactional client connects) and with any ongoing. `None` when the
/// cluster runs without transactions (503): then nothing else is asked.
pub(crate) async fn busy_coordinators(client: &Client) -> Result<Option<Vec<u64>>> {
    let list = match coordinators(client).await {
        Err(ClientError::Invalid(_)) => return Ok(None),
        r => r?,
    };
    let mut out = Vec::new();
    for c in list {
        match get::<CoordinatorStatsJson>(client, &format!("/coordinatorStats?coordinatorId={}", c.id)).await {
            Ok(s) if s.ongoing_txn_size == Some(0) => {}
            Ok(_) => out.push(c.id),
            Err(ClientError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Some(out))
}

/// The open transactions of one coordinator older than `older_than_ms`, oldest first.
pub(crate) async fn slow_of(client: &Client, coordinator: u64, older_than_ms: u64) -> Result<Vec<TxnInfo>> {
    let mut v = slow(client, coordinator, older_than_ms).await?;
    v.sort_by_key(|t| (t.open_ms, t.id));
    Ok(v)
}

/// What open transactions hold back on one partition (or non-partitioned topic), the
/// pinning one chosen among `open`.
pub(crate) async fn held_back_on(client: &Client, topic: &TopicName, open: &[TxnInfo]) -> Result<Option<HeldBack>> {
    let b = buffer(client, topic).await?;
    Ok(held_back_of(client, topic, &b, open).await?.1)
}

async fn overview(client: &Client, older_than_ms: u64) -> Result<Overview> {
    let mut out = Overview::default();
    for c in coordinators(client).await? {
        let stats: Result<CoordinatorStatsJson> =
            get(client, &format!("/coordinatorStats?coordinatorId={}", c.id)).await;
        let (stats, error) = match stats {
            Ok(s) => (s, None),
            Err(ClientError::NotFound { .. }) => (
                CoordinatorStatsJson::default(),
                Some("not loaded yet (a coordinator loads when the first transactional client connects)".into()),
            ),
            Err(e) => (CoordinatorStatsJson::default(), Some(e.to_string())),
        };
        if error.is_none() {
            out.open.append(&mut slow(client, c.id, older_than_ms).await?);
        }
        out.coordinators.push(Coordinator {
            id: c.id,
            broker: c.broker_service_url,
            state: stats.state,
            ongoing: stats.ongoing_txn_size,
            low_water_mark: stats.low_water_mark,
            least_sig_bits: stats.least_sig_bits,
            error,
        });
    }
    out.open.sort_by_key(|t| (t.open_ms, t.id));
    Ok(out)
}

async fn metadata(client: &Client, txn: TxnId) -> Result<TxnInfo> {
    let m: MetadataJson = match get(client, &format!("/transactionMetadata/{}/{}", txn.most, txn.least)).await {
        Err(ClientError::NotFound { .. }) => {
            return Err(ClientError::NotFound {
                what: format!(
                    "transaction {txn} (the coordinator forgets a transaction once it is committed or aborted)"
                ),
            })
        }
        r => r?,
    };
    info_of(m)
}

async fn abort(client: &Client, txn: TxnId) -> Result<()> {
    let path = format!("{BASE}/abortTransaction/{}/{}", txn.most, txn.least);
    client.admin.write(Method::POST, &path, None).await.map_err(|e| abort_error(explain(e), txn))
}

/// What a refused abort means: only a super-user may abort (401/403), and a transaction the
/// coordinator does not know has already ended (404).
fn abort_error(e: ClientError, txn: TxnId) -> ClientError {
    match e {
        ClientError::Forbidden { .. } | ClientError::Unauthorized { .. } => ClientError::Forbidden {
            what: format!(
                "abort of transaction {txn}: only a super-user role may abort a transaction (superUserRoles); \
                 this role is not one"
            ),
        },
        ClientError::NotFound { .. } => {
            ClientError::NotFound { what: format!("transaction {txn} (already committed, aborted or timed out?)") }
        }
        e => e,
    }
}

/// The partitions of a partitioned topic, or the topic itself.
async fn partitions_of(client: &Client, topic: &TopicName) -> Result<Vec<TopicName>> {
    if topic.partition_index().is_some() {
        return Ok(vec![topic.clone()]);
    }
    let n = client.admin.partition_count(topic).await.unwrap_or(0);
    Ok(if n == 0 { vec![topic.clone()] } else { (0..n).map(|i| topic.partition(i)).collect() })
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct BufferJson {
    state: String,
    max_read_position: String,
    ongoing_txn_size: u64,
    total_aborted_transactions: u64,
    last_snapshot_timestamps: i64,
}

async fn buffer(client: &Client, topic: &TopicName) -> Result<BufferStats> {
    let b: BufferJson = get(client, &format!("/transactionBufferStats/{}", topic_path(topic))).await?;
    Ok(BufferStats {
        state: b.state,
        max_read_position: b.max_read_position,
        ongoing: b.ongoing_txn_size,
        aborted_total: b.total_aborted_transactions,
        last_snapshot_ms: Some(b.last_snapshot_timestamps).filter(|t| *t > 0),
    })
}

/// `tenant/namespace/local` of a persistent topic (the v3 transactions paths have no domain).
fn topic_path(topic: &TopicName) -> String {
    let rest = topic.rest_path();
    rest.split_once('/').map_or(rest.clone(), |(_, r)| r.to_string())
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct InternalJson {
    last_confirmed_entry: String,
    current_ledger_entries: u64,
    ledgers: Vec<LedgerJson>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct LedgerJson {
    ledger_id: i64,
    entries: u64,
}

/// The topic's last entry and its ledgers' entry counts (the current one's from
/// `currentLedgerEntries`: the list says 0 for a ledger still open).
async fn ledgers(client: &Client, topic: &TopicName) -> Result<(Position, Vec<(i64, u64)>)> {
    let s: InternalJson = client.admin.get_json(&format!("/admin/v2/{}/internalStats", topic.rest_path())).await?;
    let last = Position::parse(&s.last_confirmed_entry).ok_or_else(|| ClientError::Protocol {
        what: format!("internal stats of {topic}"),
        reason: format!("lastConfirmedEntry {:?}", s.last_confirmed_entry),
    })?;
    let mut list: Vec<(i64, u64)> = s.ledgers.iter().map(|l| (l.ledger_id, l.entries)).collect();
    if let Some(cur) = list.iter_mut().find(|(l, _)| *l == last.ledger) {
        cur.1 = cur.1.max(s.current_ledger_entries);
    }
    Ok((last, list))
}

/// What open transactions hold back on one partition (or non-partitioned topic): `None`
/// when nothing is (no open transaction, or the max read position is the last entry).
async fn held_back_of(
    client: &Client,
    topic: &TopicName,
    b: &BufferStats,
    open: &[TxnInfo],
) -> Result<(Option<Position>, Option<HeldBack>)> {
    let (last, ledgers) = ledgers(client, topic).await?;
    let Some(max_read) = Position::parse(&b.max_read_position) else { return Ok((Some(last), None)) };
    let entries = crate::txn::held_back(max_read, last, &ledgers);
    if b.ongoing == 0 || entries == 0 {
        return Ok((Some(last), None));
    }
    let pin = crate::txn::pinning(&topic.to_string(), open);
    Ok((
        Some(last),
        Some(HeldBack {
            entries,
            max_read_position: b.max_read_position.clone(),
            last_entry: last.to_string(),
            txn: pin.map(|t| t.id),
            since_ms: pin.map(|t| t.open_ms),
        }),
    ))
}

/// What open transactions hold back from readers of `topic` (summed over its partitions,
/// their positions listed, the earliest transaction named). `None` when nothing is, and when
/// it cannot be known (transactions off, no permission): a reader's end is then simply the end.
pub async fn find_held_back(client: &Client, topic: &TopicName) -> Option<HeldBack> {
    let parts = partitions_of(client, topic).await.ok()?;
    let mut found: Vec<HeldBack> = Vec::new();
    let mut open: Option<Vec<TxnInfo>> = None;
    for t in parts {
        let b = match buffer(client, &t).await {
            Ok(b) => b,
            // transactions off: the same answer for every partition
            Err(ClientError::Invalid(_)) => return None,
            Err(_) => continue,
        };
        if b.ongoing == 0 {
            continue;
        }
        if open.is_none() {
            open = Some(all_open(client).await.unwrap_or_default());
        }
        if let Ok((_, Some(h))) = held_back_of(client, &t, &b, open.as_deref().unwrap_or_default()).await {
            found.push(h);
        }
    }
    let mut it = found.into_iter();
    let first = it.next()?;
    Some(it.fold(first, |mut acc, h| {
        acc.entries += h.entries;
        // a partitioned topic: each partition's positions, in partition order
        acc.max_read_position = format!("{}, {}", acc.max_read_position, h.max_read_position);
        acc.last_entry = format!("{}, {}", acc.last_entry, h.last_entry);
        if h.since_ms.is_some() && (acc.since_ms.is_none() || h.since_ms < acc.since_ms) {
            acc.txn = h.txn;
            acc.since_ms = h.since_ms;
        }
        acc
    }))
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct CountersJson {
    ongoing_txn_count: u64,
    committed_txn_count: u64,
    aborted_txn_count: u64,
    subscriptions: BTreeMap<String, serde_json::Value>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct PendingAckJson {
    state: Option<String>,
    ongoing_txn_size: Option<u64>,
}

async fn topic_txns(client: &Client, topic: &TopicName, open: &[TxnInfo]) -> Result<TopicTxns> {
    let name = topic.to_string();
    let mut out = TopicTxns {
        topic: name.clone(),
        buffer: None,
        last_entry: None,
        held_back: None,
        counters: None,
        subscriptions: Vec::new(),
        open: open
            .iter()
            .filter(|t| t.produced.iter().any(|p| p.topic == name) || t.acked.iter().any(|(tp, _)| *tp == name))
            .cloned()
            .collect(),
        errors: Vec::new(),
    };
    let stats: CountersJson = client.admin.get_json(&format!("/admin/v2/{}/stats", topic.rest_path())).await?;
    out.counters = Some(Counters {
        ongoing: stats.ongoing_txn_count,
        committed: stats.committed_txn_count,
        aborted: stats.aborted_txn_count,
    });
    match buffer(client, topic).await {
        Ok(b) => {
            match held_back_of(client, topic, &b, open).await {
                Ok((last, h)) => {
                    out.last_entry = last.map(|p| p.to_string());
                    out.held_back = h;
                }
                Err(e) => out.errors.push(format!("internal stats: {e}")),
            }
            out.buffer = Some(b);
        }
        // transactions off is the answer for every call: fail the request with it
        Err(e @ ClientError::Invalid(_)) => return Err(e),
        Err(e) => out.errors.push(format!("transaction buffer: {e}")),
    }
    for sub in stats.subscriptions.keys() {
        let path = format!("/pendingAckStats/{}/{}", topic_path(topic), urlencoding::encode(sub));
        let p = match get::<PendingAckJson>(client, &path).await {
            Ok(p) => PendingAck { subscription: sub.clone(), state: p.state, ongoing: p.ongoing_txn_size, error: None },
            Err(e) => PendingAck { subscription: sub.clone(), state: None, ongoing: None, error: Some(e.to_string()) },
        };
        out.subscriptions.push(p);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_abort_says_only_a_super_user_may_abort() {
        let txn = TxnId { most: 0, least: 7 };
        for refused in [
            ClientError::Forbidden { what: "POST /admin/v3/transactions/abortTransaction/0/7".into() },
            ClientError::Unauthorized { what: "POST".into() },
        ] {
            let e = abort_error(refused, txn).to_string();
            assert!(e.contains("only a super-user role may abort") && e.contains("(0,7)"), "{e}");
        }
        let e = abort_error(ClientError::NotFound { what: "x".into() }, txn).to_string();
        assert!(e.contains("already committed, aborted or timed out"), "{e}");
        let ro = ClientError::ReadOnly { what: "abort".into() };
        assert_eq!(abort_error(ro.clone(), txn), ro);
    }

    #[test]
    fn transactions_off_and_stack_traces_become_one_line() {
        let off = ClientError::Http {
            status: 503,
            what: "GET /admin/v3/transactions/coordinators".into(),
            reason: "This Broker is not configured with transactionCoordinatorEnabled=true.".into(),
        };
        assert!(explain(off).to_string().contains("transactions are not enabled on this cluster"));
        let trace = ClientError::Http {
            status: 500,
            what: "GET x".into(),
            reason: "\n --- An unexpected error occurred in the server ---\n\nMessage: boom\n\nStacktrace:\n\tat a.b"
                .into(),
        };
        assert_eq!(explain(trace).to_string(), "HTTP 500 for GET x: Message: boom");
    }

    #[test]
    fn v3_paths_have_no_domain() {
        let t = TopicName::parse("persistent://public/default/orders-partition-1").unwrap();
        assert_eq!(topic_path(&t), "public/default/orders-partition-1");
    }
}
