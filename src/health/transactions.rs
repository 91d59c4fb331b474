//! Stuck transactions: open longer than `health.txn_open_warn_secs` (a crashed producer, a
//! long timeout), and worse, holding back a topic's readers at its max read position.

use std::time::Duration;

use super::rules::{finding, secs, With};
use super::{Input, Kind, Place, Severity, Target, Thresholds};
use crate::metrics::model::{namespace_of_topic, parent_topic};
use crate::style::format::{age as age_of, count};

/// One finding per open transaction the facts list (the I/O asked only for those older
/// than the threshold; the age is checked again here against the observation's time).
pub(super) fn stuck(input: &Input<'_>, t: &Thresholds, now_ms: i64, out: &mut super::sink::Sink) {
    if t.txn_open_warn_secs == 0 {
        return;
    }
    let limit_ms = t.txn_open_warn_secs.saturating_mul(1000);
    for x in &input.details.transactions {
        let age_ms = now_ms.saturating_sub(x.open_ms).max(0) as u64;
        if age_ms < limit_ms {
            continue;
        }
        let held: u64 = x.holds_back.iter().map(|h| h.entries).sum();
        // where: the first topic it holds back, else the first it touched (a partition's parent)
        let topic = x
            .holds_back
            .first()
            .map(|h| h.topic.as_str())
            .or(x.produced.first().map(String::as_str))
            .or(x.acked.first().map(|(t, _)| t.as_str()))
            .map(|t| parent_topic(t).to_string());
        let place = Place {
            namespace: topic.as_deref().map(|t| namespace_of_topic(t).to_string()),
            topic: topic.clone(),
            subscription: x.acked.first().filter(|_| x.produced.is_empty()).map(|(_, s)| s.clone()),
            ..Default::default()
        };
        let age = age_of(Duration::from_millis(age_ms));
        let timeout_left = (x.open_ms.saturating_add(x.timeout_ms as i64) - now_ms).max(0) as u64;
        let touches = format!(
            "{} topic(s) produced, {} subscription(s) acked; times out in {}",
            x.produced.len(),
            x.acked.len(),
            age_of(Duration::from_millis(timeout_left))
        );
        let (severity, what, threshold) = if held > 0 {
            let at = x.holds_back.first().map(|h| format!(" (max read position {})", h.max_read_position));
            (
                Severity::Critical,
                format!(
                    "transaction {} open {age}: ≥ {} entries held back from every reader{}; {touches}",
                    x.txn,
                    count(held as i64),
                    at.unwrap_or_default()
                ),
                format!(
                    "open ≥ {} and pins a max read position (health.txn_open_warn_secs)",
                    secs(t.txn_open_warn_secs)
                ),
            )
        } else {
            (
                Severity::Warn,
                format!("transaction {} open {age}; {touches}", x.txn),
                format!("open ≥ {} (health.txn_open_warn_secs)", secs(t.txn_open_warn_secs)),
            )
        };
        let mut f =
            finding(Kind::TxnStuck, severity, place, what, threshold, Target::Transaction { txn: x.txn.clone() })
                .with("age_secs", (age_ms / 1000) as f64)
                .with("timeout_secs", (x.timeout_ms / 1000) as f64)
                .with("held_back", held as f64)
                .with("topics", x.produced.len() as f64)
                .weighted(age_ms as f64);
        // one finding per transaction, wherever it is
        f.key = format!("{:?}|{}", Kind::TxnStuck, x.txn);
        out.push(f);
    }
}
