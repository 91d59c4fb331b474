//! What a metrics scrape keeps (the interest set sent with the request), and how often
//! scrapes run: pure functions of the app's state and of the times events carried.

use std::time::Duration;

use crate::app::tree::{NodeKey, Tree};
use crate::metrics::model::{health_candidate_topic, parent_topic};
use crate::metrics::{Interest, MetricsSnapshot};

/// Rows kept per ranking column of the metrics view (backlog, rates, storage, name).
pub const TOP_N: usize = 200;
/// Health candidates kept (the subscriptions and topics with the largest backlogs).
pub const HEALTH_LIMIT: usize = 2_000;
/// Rows of a list, either side of its selection, whose topics are kept.
pub const AROUND_SELECTION: usize = 200;
/// An expanded namespace with at most this many topics is kept whole (scrolling it shows
/// metrics at once); a larger one only around the selection.
pub const WHOLE_NAMESPACE_MAX: usize = 5_000;
/// A scrape may take at most this share of the interval (1/4): a slower one stretches it.
pub const SCRAPE_SHARE: u32 = 4;

/// The interval between scrapes: `base`, stretched when the last scrape took more than a
/// quarter of it (to four times the scrape, in whole seconds), so a big broker is never
/// scraped continuously.
pub fn effective_interval(base: Duration, took: Option<Duration>) -> Duration {
    match took {
        Some(t) if t.saturating_mul(SCRAPE_SHARE) > base => {
            let stretched = t.saturating_mul(SCRAPE_SHARE);
            let secs = stretched.as_secs() + u64::from(stretched.subsec_nanos() > 0);
            Duration::from_secs(secs).max(base)
        }
        _ => base,
    }
}

/// `every 20 s: scrape takes 4.8 s` when the interval is stretched, else `None`.
pub fn stretch_note(base: Duration, took: Option<Duration>) -> Option<String> {
    let every = effective_interval(base, took);
    let t = took?;
    (every > base).then(|| format!("every {} s: scrape takes {:.1} s", every.as_secs(), t.as_secs_f64()))
}

/// The window `selected ± around` of `len` rows.
fn window(len: usize, selected: usize, around: usize) -> std::ops::Range<usize> {
    let start = selected.saturating_sub(around).min(len);
    start..selected.saturating_add(around).saturating_add(1).min(len)
}

/// Adds what the explorer shows: the topics of its rows around the selection, and its
/// expanded namespaces (whole when not too large).
pub fn add_explorer(interest: &mut Interest, tree: &Tree) {
    let rows = tree.rows();
    for r in &rows[window(rows.len(), tree.selected_index(), AROUND_SELECTION)] {
        let Some(node) = tree.node(&r.path) else { continue };
        match &node.key {
            NodeKey::Topic(t) | NodeKey::Subscription(t, _) => interest.topics.push(t.to_string()),
            NodeKey::Partition(t) => interest.topics.push(parent_topic(&t.to_string()).to_string()),
            NodeKey::Namespace(ns) if node.expanded && node.children.len() <= WHOLE_NAMESPACE_MAX => {
                interest.namespaces.push(ns.clone())
            }
            _ => {}
        }
    }
}

/// Adds the metrics view's rows around its selection and its filter.
pub fn add_metrics_rows(interest: &mut Interest, rows: &[String], selected: usize, filter: &str) {
    interest.topics.extend(rows[window(rows.len(), selected, AROUND_SELECTION)].iter().cloned());
    interest.filter = filter.to_string();
}

/// Adds the health candidates of the latest scrape (largest backlog first): a bounded
/// scrape found them from summaries, the next one brings their subscription rows.
pub fn add_candidates(interest: &mut Interest, snapshot: Option<&MetricsSnapshot>) {
    let Some(snap) = snapshot else { return };
    let mut c: Vec<(&str, u64)> = snap
        .topics
        .values()
        .filter(|t| health_candidate_topic(t))
        .map(|t| (t.name.as_str(), t.msg_backlog.max(t.backlog_size)))
        .collect();
    c.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    interest.topics.extend(c.into_iter().take(HEALTH_LIMIT).map(|(t, _)| t.to_string()));
}

/// Sorts and dedups the names (a request compares equal when nothing moved).
pub fn normalise(mut interest: Interest) -> Interest {
    interest.topics.sort_unstable();
    interest.topics.dedup();
    interest.namespaces.sort_unstable();
    interest.namespaces.dedup();
    interest
}
