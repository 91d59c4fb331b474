//! The `[health]` section of the config: when a condition becomes a finding.

use serde::{Deserialize, Serialize};

/// Thresholds of the findings. Every key is optional in the config; a missing key keeps
/// its default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// A subscription with at least this many messages of backlog and no consumer is stalled.
    pub stalled_min_backlog: u64,
    /// A backlog that only grew for this many minutes is "growing".
    pub growth_minutes: u64,
    /// ... by at least this many messages.
    pub growth_min_messages: u64,
    /// The oldest unacknowledged message of a subscription: a warning from this age (s).
    pub oldest_unacked_warn_secs: u64,
    /// ... critical from this age (s).
    pub oldest_unacked_critical_secs: u64,
    /// Redeliveries (negative acks, ack timeouts) per second of one subscription.
    pub redelivery_rate_warn: f64,
    /// A DLQ or RETRY topic that received a message this recently (s) is a finding.
    pub dead_letter_window_secs: u64,
    /// Messages expired (TTL) this recently (s) are a finding.
    pub expired_window_secs: u64,
    /// Backlog at this percentage of its quota (size or time) is a warning; 100 % is critical.
    pub quota_warn_percent: f64,
    /// A replicator whose oldest message not yet sent is this old (s) is a finding (0: never).
    pub replication_delay_warn_secs: u64,
    /// A transaction open this long (s) is stuck: a warning, critical when it holds back a
    /// topic's readers (its max read position). 0: transactions are not looked at.
    pub txn_open_warn_secs: u64,
    /// At most this many topics get an admin call per pass for the age of their oldest
    /// message (and as many for quota policies, and dead-letter topics).
    pub detail_limit: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            stalled_min_backlog: 1,
            growth_minutes: 5,
            growth_min_messages: 10,
            oldest_unacked_warn_secs: 30 * 60,
            oldest_unacked_critical_secs: 6 * 3600,
            redelivery_rate_warn: 1.0,
            dead_letter_window_secs: 3600,
            expired_window_secs: 3600,
            quota_warn_percent: 80.0,
            replication_delay_warn_secs: 300,
            txn_open_warn_secs: 300,
            detail_limit: 50,
        }
    }
}

impl Thresholds {
    /// Problems with values that parse but make no sense.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.growth_minutes == 0 {
            out.push("health.growth_minutes must be at least 1".to_string());
        }
        if !(self.quota_warn_percent > 0.0 && self.quota_warn_percent <= 100.0) {
            out.push("health.quota_warn_percent must be in (0, 100]".to_string());
        }
        if self.oldest_unacked_critical_secs < self.oldest_unacked_warn_secs {
            out.push("health.oldest_unacked_critical_secs is below oldest_unacked_warn_secs".to_string());
        }
        if !(self.redelivery_rate_warn.is_finite() && self.redelivery_rate_warn >= 0.0) {
            out.push("health.redelivery_rate_warn must be a non-negative number".to_string());
        }
        out
    }

    /// The thresholds with nonsense values replaced by their defaults.
    pub fn sane(mut self) -> Thresholds {
        let d = Thresholds::default();
        if self.growth_minutes == 0 {
            self.growth_minutes = d.growth_minutes;
        }
        if !(self.quota_warn_percent > 0.0 && self.quota_warn_percent <= 100.0) {
            self.quota_warn_percent = d.quota_warn_percent;
        }
        if self.oldest_unacked_critical_secs < self.oldest_unacked_warn_secs {
            self.oldest_unacked_critical_secs = self.oldest_unacked_warn_secs;
        }
        if !(self.redelivery_rate_warn.is_finite() && self.redelivery_rate_warn >= 0.0) {
            self.redelivery_rate_warn = d.redelivery_rate_warn;
        }
        self
    }
}
