//! What a scrape keeps per topic: the interest set, sent as data with the scrape request.
//!
//! Namespace totals are always computed from every series. Per-topic rows (with their
//! partitions and subscriptions) are kept only for the topics something shows or ranks:
//!
//! * the topics and namespaces on screen ([`Interest::topics`], [`Interest::namespaces`]:
//!   the metrics view's visible rows and selection, the explorer's visible rows and its
//!   expanded namespaces), and the topics whose name contains [`Interest::filter`];
//! * the first [`Interest::top_n`] topics of each ranking column (backlog, rate in, rate
//!   out, storage, name), so the metrics view sorted by any column shows its true top rows;
//! * the health engine's candidates (see [`health_candidate_sub`] and
//!   [`health_candidate_topic`]), the [`Interest::health_limit`] largest by backlog;
//! * dead-letter topics (names ending in one of [`Interest::letter_suffixes`]) and the
//!   topics they are named after (the health view finds a letter's origin by name).
//!
//! [`Interest::everything`] keeps every row (one-shot commands that print them all).

use serde::{Deserialize, Serialize};

use super::types::{SubscriptionMetrics, TopicMetrics};

/// Which per-topic rows a scrape keeps (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interest {
    /// Keep every topic: nothing is pruned.
    pub everything: bool,
    /// Every topic of these namespaces (`tenant/namespace`).
    pub namespaces: Vec<String>,
    /// These topics (full names; a partitioned topic by its parent's name).
    pub topics: Vec<String>,
    /// Topics whose name contains this text (case-insensitive); empty: none by filter.
    pub filter: String,
    /// Rows kept per ranking column.
    pub top_n: usize,
    /// Health candidates kept (subscriptions, then topics), largest backlog first.
    pub health_limit: usize,
    /// Local-name suffixes of dead-letter topics (`-DLQ`, `-RETRY`).
    pub letter_suffixes: Vec<String>,
}

impl Default for Interest {
    fn default() -> Self {
        Interest::everything()
    }
}

impl Interest {
    /// Keeps every row.
    pub fn everything() -> Interest {
        Interest {
            everything: true,
            namespaces: Vec::new(),
            topics: Vec::new(),
            filter: String::new(),
            top_n: 0,
            health_limit: 0,
            letter_suffixes: Vec::new(),
        }
    }

    /// Keeps only what is shown or ranked: the top `top_n` of each column, the health
    /// candidates, and whatever is added to the returned value.
    pub fn bounded(top_n: usize, health_limit: usize) -> Interest {
        Interest {
            everything: false,
            top_n,
            health_limit,
            letter_suffixes: vec!["-DLQ".into(), "-RETRY".into()],
            ..Interest::everything()
        }
    }

    /// True when `name` (or its namespace) is asked for by name or filter.
    pub(super) fn names(&self, name: &str, namespace: &str, filter_lower: &str) -> bool {
        self.topics.iter().any(|t| t == name)
            || self.namespaces.iter().any(|n| n == namespace)
            || (!filter_lower.is_empty() && name.to_lowercase().contains(filter_lower))
    }

    /// True for a dead-letter topic's name.
    pub(super) fn is_letter(&self, name: &str) -> bool {
        let local = name.rsplit('/').next().unwrap_or(name);
        self.letter_suffixes.iter().any(|s| local.ends_with(s.as_str()))
    }
}

/// How many topics a bounded scrape kept, of how many it saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    /// Topics (partitioned ones once) in the scrape.
    pub topics_total: u64,
    /// Topic rows kept.
    pub topics_kept: u64,
    /// Subscriptions in the scrape.
    pub subscriptions_total: u64,
    /// Subscription rows kept.
    pub subscriptions_kept: u64,
}

/// A subscription the health engine may report on: it holds messages, is blocked,
/// redelivers or expires messages.
pub fn health_candidate_sub(s: &SubscriptionMetrics) -> bool {
    s.backlog > 0 || s.blocked || s.unacked > 0 || s.rate_redeliver > 0.0 || s.rate_expired > 0.0
}

/// A topic the health engine may report on: it holds a backlog (quotas) or replicates.
pub fn health_candidate_topic(t: &TopicMetrics) -> bool {
    t.msg_backlog > 0 || t.backlog_size > 0 || !t.replication.is_empty()
}

/// Marks in `keep` the first `n` indices of `rows` by `key` (largest first; ties by
/// index), for the rows where `key` is `Some`. O(len) with a selection, not a sort.
pub(super) fn mark_top<T, K: PartialOrd + Copy>(
    rows: &[T],
    n: usize,
    keep: &mut [bool],
    key: impl Fn(&T) -> Option<K>,
) {
    if n == 0 {
        return;
    }
    let mut v: Vec<(K, usize)> = rows.iter().enumerate().filter_map(|(i, r)| key(r).map(|k| (k, i))).collect();
    let cmp =
        |a: &(K, usize), b: &(K, usize)| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal).then(a.1.cmp(&b.1));
    if v.len() > n {
        v.select_nth_unstable_by(n - 1, cmp);
        v.truncate(n);
    }
    for (_, i) in v {
        if let Some(k) = keep.get_mut(i) {
            *k = true;
        }
    }
}
