//! Which topics a bounded scrape keeps (see `interest.rs`), chosen from the raw rows
//! before the snapshot is built, so what is not kept is never copied.

use std::ops::Range;

use super::super::interest::{health_candidate_sub, mark_top, Interest};
use super::super::is_system_topic;
use super::super::types::SubscriptionMetrics;
use super::Rows;

/// What ranks a topic (a partitioned one summed over its partitions).
#[derive(Default)]
struct Key {
    shown: bool,
    backlog: u64,
    backlog_size: u64,
    rate_in: f64,
    rate_out: f64,
    storage: u64,
    replicates: bool,
}

/// For each group of rows (one topic, its partitions together; groups in name order):
/// kept or not. Kept: what `interest` names, the first `top_n` of each ranking column,
/// the `health_limit` largest health candidates (topics and subscriptions), dead letters
/// and the topics they are named after.
pub(super) fn choose(
    topics: &Rows,
    order: &[(usize, usize, u32)],
    groups: &[Range<usize>],
    interest: &Interest,
) -> Vec<bool> {
    let parent = |g: &Range<usize>| {
        let &(row, plen, _) = order.get(g.start)?;
        topics.get(row)?.name.get(..plen)
    };
    let filter = interest.filter.to_lowercase();
    let mut keep = vec![false; groups.len()];
    let mut keys: Vec<Key> = Vec::with_capacity(groups.len());
    let mut letters: Vec<usize> = Vec::new();
    // (backlog, group) of the health candidates among the subscriptions
    let mut subs: Vec<(u64, usize)> = Vec::new();
    for (gi, g) in groups.iter().enumerate() {
        let name = parent(g).unwrap_or_default();
        let rows = order.get(g.clone()).unwrap_or_default().iter().filter_map(|&(row, _, _)| topics.get(row));
        let mut k = Key { shown: !is_system_topic(name), ..Key::default() };
        let mut namespace = "";
        for acc in rows {
            let m = &acc.metrics;
            namespace = &acc.namespace;
            k.backlog = k.backlog.saturating_add(m.msg_backlog);
            k.backlog_size = k.backlog_size.saturating_add(m.backlog_size);
            k.rate_in += m.rate_in;
            k.rate_out += m.rate_out;
            k.storage = k.storage.saturating_add(m.storage_size);
            k.replicates |= m.replicates();
            if k.shown {
                subs.extend(acc.subs.iter().filter(|s| health_candidate_sub(s)).map(|s| (s.backlog, gi)));
                let sum = &acc.summary;
                if sum.flagged || sum.max_backlog > 0 {
                    subs.push((sum.max_backlog, gi));
                }
            }
        }
        if interest.names(name, namespace, &filter) {
            keep[gi] = true;
        }
        if interest.is_letter(name) {
            keep[gi] = true;
            letters.push(gi);
        }
        keys.push(k);
    }
    let n = interest.top_n;
    mark_top(&keys, n, &mut keep, |k| k.shown.then_some(k.backlog));
    mark_top(&keys, n, &mut keep, |k| k.shown.then_some(k.rate_in));
    mark_top(&keys, n, &mut keep, |k| k.shown.then_some(k.rate_out));
    mark_top(&keys, n, &mut keep, |k| k.shown.then_some(k.storage));
    // by name: the first groups (they are in name order)
    for (gi, _) in keys.iter().enumerate().filter(|(_, k)| k.shown).take(n) {
        keep[gi] = true;
    }
    let h = interest.health_limit;
    mark_top(&keys, h, &mut keep, |k| {
        let candidate = k.shown && (k.backlog > 0 || k.backlog_size > 0 || k.replicates);
        candidate.then_some(k.backlog.max(k.backlog_size))
    });
    let mut keep_sub = vec![false; subs.len()];
    mark_top(&subs, h, &mut keep_sub, |&(backlog, _)| Some(backlog));
    for (&(_, gi), _) in subs.iter().zip(&keep_sub).filter(|(_, k)| **k) {
        keep[gi] = true;
    }
    // a letter `<origin>-<subscription>-DLQ`: its origin is one of the name's prefixes
    for li in letters {
        let name = groups.get(li).and_then(parent).unwrap_or_default();
        for (pos, _) in name.match_indices('-') {
            let prefix = &name[..pos];
            if let Ok(o) = groups.binary_search_by(|g| parent(g).unwrap_or_default().cmp(prefix)) {
                keep[o] = true;
            }
        }
    }
    keep
}

/// The kept subscriptions, keyed and named by their topic (`topics` by index).
pub(super) fn name_subs<T>(
    subs: Vec<(usize, SubscriptionMetrics)>,
    topics: &[(String, T)],
) -> Vec<((String, String), SubscriptionMetrics)> {
    subs.into_iter()
        .filter_map(|(ti, mut s)| {
            let (topic, _) = topics.get(ti)?;
            s.topic.clone_from(topic);
            Some(((topic.clone(), s.name.clone()), s))
        })
        .collect()
}
