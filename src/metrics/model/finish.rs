//! The end of a scrape: partitions into parents, namespace totals, and only the rows the
//! [`Interest`] asks for (the others are dropped before anything is built from them).

use std::ops::Range;

use super::super::interest::{Interest, Kept};
use super::super::split_partition;
use super::super::types::{MetricsSnapshot, NamespaceMetrics, SubscriptionMetrics, TopicMetrics};
use super::{FastMap, Rows, SnapshotBuilder, TopicAcc};

/// A raw row in parent order: (row, parent name length, partition index or `u32::MAX`).
type OrderRow = (usize, usize, u32);

/// The rows of `order` (sorted by parent name, then partition index) that share a parent.
fn group_ranges(topics: &Rows, order: &[OrderRow]) -> Vec<Range<usize>> {
    let parent = |&(row, plen, _): &OrderRow| topics.get(row).and_then(|t| t.name.get(..plen));
    let mut groups: Vec<Range<usize>> = Vec::new();
    for (i, o) in order.iter().enumerate() {
        match groups.last_mut() {
            Some(g) if parent(&order[g.start]) == parent(o) => g.end = i + 1,
            _ => groups.push(i..i + 1),
        }
    }
    groups
}

impl SnapshotBuilder {
    /// Builds the snapshot, keeping the per-topic rows `interest` asks for (namespace
    /// totals always count every series).
    pub fn finish_with(self, interest: &Interest) -> MetricsSnapshot {
        let SnapshotBuilder { topics, index, namespaces, namespace_names, brokers, any_namespace_series, .. } = self;
        drop(index);
        drop(namespace_names);
        let mut ns_out: FastMap<String, NamespaceMetrics> = FastMap::default();
        let mut topics_count: FastMap<String, (Option<u64>, u64)> = FastMap::default();
        let mut namespace_level: Vec<String> = Vec::new();
        for (ns, acc) in namespaces {
            topics_count.insert(ns.clone(), (acc.topics_count, 0));
            if acc.namespace_level {
                namespace_level.push(ns.clone());
            }
            ns_out.insert(ns, acc.metrics);
        }
        // Namespace totals and topic counts from the raw rows.
        for acc in topics.iter() {
            let (m, namespace) = (&acc.metrics, &*acc.namespace);
            let ns = match ns_out.get_mut(namespace) {
                Some(n) => n,
                None => ns_out.entry(namespace.to_owned()).or_insert_with(|| NamespaceMetrics::new(namespace)),
            };
            m.add_to_namespace(ns);
            for s in &acc.subs {
                ns.delayed = ns.delayed.saturating_add(s.delayed);
            }
            ns.delayed = ns.delayed.saturating_add(acc.summary.delayed);
            match topics_count.get_mut(namespace) {
                Some(c) => c.1 += 1,
                None => {
                    topics_count.insert(namespace.to_owned(), (None, 1));
                }
            }
        }

        // Group rows by parent topic (partitions of one topic become
        // adjacent, by index), so topics and subscriptions come out sorted
        // without sorting all subscriptions by string.
        let mut order: Vec<OrderRow> = topics
            .iter()
            .enumerate()
            .map(|(i, t)| match split_partition(&t.name) {
                Some((p, idx)) => (i, p.len(), idx),
                None => (i, t.name.len(), u32::MAX),
            })
            .collect();
        let parent_of = |row: usize, len: usize| topics.get(row).and_then(|t| t.name.get(..len)).unwrap_or_default();
        order.sort_unstable_by(|&(a, la, pa), &(b, lb, pb)| parent_of(a, la).cmp(parent_of(b, lb)).then(pa.cmp(&pb)));
        let groups = group_ranges(&topics, &order);
        let keep = (!interest.everything).then(|| super::prune::choose(&topics, &order, &groups, interest));
        let subs_total: u64 = topics.iter().map(|t| t.subs.len() as u64 + u64::from(t.summary.rows)).sum();
        let topics_total = groups.len() as u64;
        // a bounded scrape keeps a few of its rows: they move out and the others are freed
        // at once, before the snapshot is built (the builder's rows and the snapshot never
        // coexist)
        let (mut topics, order, groups) = match &keep {
            Some(k) => kept_rows(topics, &order, &groups, k),
            None => (topics, order, groups),
        };
        let mut topics_out: Vec<(String, TopicMetrics)> = Vec::new();
        // (index of the topic in `topics_out`, the row): names are filled in at the end
        let mut subs_out: Vec<(usize, SubscriptionMetrics)> = Vec::new();
        let mut partitions: Vec<(String, TopicMetrics)> = Vec::new();
        // (subscription, from a partition)
        let mut group_subs: Vec<(SubscriptionMetrics, bool)> = Vec::new();
        for range in &groups {
            let members = order.get(range.clone()).unwrap_or_default();
            let mut group: Vec<(TopicAcc, u32)> = Vec::with_capacity(members.len());
            for &(row, _, pidx) in members {
                if let Some(t) = topics.take(row) {
                    group.push((t, pidx));
                }
            }
            let Some(plen) = members.first().map(|m| m.1) else { continue };
            let Some(parent) = group.first().and_then(|(t, _)| t.name.get(..plen)).map(str::to_owned) else {
                continue;
            };
            let is_plain_single = group.len() == 1 && group[0].1 == u32::MAX;
            let mut topic =
                if is_plain_single { None } else { Some(TopicMetrics::new(&parent, &group[0].0.namespace)) };
            group_subs.clear();
            for (acc, pidx) in group {
                let from_partition = pidx != u32::MAX;
                let (metrics, subs) = acc.into_named();
                for mut s in subs {
                    if from_partition {
                        s.partitions = 1;
                    }
                    group_subs.push((s, from_partition));
                }
                match &mut topic {
                    None => topic = Some(metrics),
                    Some(t) => {
                        t.add(&metrics, from_partition);
                        if from_partition {
                            t.partitions.push(metrics.name.clone());
                            partitions.push((metrics.name.clone(), metrics));
                        }
                    }
                }
            }
            let ti = topics_out.len();
            if let Some(t) = topic {
                topics_out.push((parent, t));
            }
            group_subs.sort_by(|a, b| a.0.name.cmp(&b.0.name));
            let mut last_from_partition = false;
            for (s, from_partition) in group_subs.drain(..) {
                match subs_out.last_mut() {
                    Some(last) if last.0 == ti && last.1.name == s.name => {
                        let both = last_from_partition && from_partition;
                        last.1.add(&s, both);
                        last.1.partitions = last.1.partitions.saturating_add(s.partitions);
                        last_from_partition = both;
                    }
                    _ => {
                        subs_out.push((ti, s));
                        last_from_partition = from_partition;
                    }
                }
            }
        }
        for (ns, (exported, rows)) in topics_count {
            if let Some(m) = ns_out.get_mut(&ns) {
                m.topics = exported.unwrap_or(rows);
            }
        }
        let partitions: Vec<(String, TopicMetrics)> = sorted_by_key(partitions, |a, b| a.0.cmp(&b.0)).collect();
        let kept = keep.map(|_| Kept {
            topics_total,
            topics_kept: topics_out.len() as u64,
            subscriptions_total: subs_total,
            subscriptions_kept: subs_out.len() as u64,
        });
        let subs_out = super::prune::name_subs(subs_out, &topics_out);
        MetricsSnapshot {
            // Sorted and unique: `from_iter` bulk-builds without searching.
            topics: topics_out.into_iter().collect(),
            subscriptions: subs_out.into_iter().collect(),
            partitions: partitions.into_iter().collect(),
            kept,
            namespaces: ns_out.into_iter().collect(),
            brokers,
            topic_level: !any_namespace_series,
            namespace_level: {
                namespace_level.sort_unstable();
                namespace_level
            },
            admin_fallback: None,
        }
    }
}

/// The rows of the groups `keep` marks, moved into rows of their own (the others are freed
/// with `topics`), with their order and groups renumbered.
fn kept_rows(
    mut topics: Rows,
    order: &[OrderRow],
    groups: &[Range<usize>],
    keep: &[bool],
) -> (Rows, Vec<OrderRow>, Vec<Range<usize>>) {
    let mut rows = Rows::default();
    let mut kept_order = Vec::new();
    let mut kept_groups = Vec::new();
    for (g, _) in groups.iter().zip(keep).filter(|(_, k)| **k) {
        let start = kept_order.len();
        for &(row, plen, pidx) in order.get(g.clone()).unwrap_or_default() {
            if let Some(t) = topics.take(row) {
                kept_order.push((rows.len(), plen, pidx));
                rows.push(t);
            }
        }
        kept_groups.push(start..kept_order.len());
    }
    (rows, kept_order, kept_groups)
}

/// Yields `v` sorted by `cmp` (unstable) without moving the (large) elements
/// around during the sort: indices are sorted, then elements taken in order.
/// Feeding sorted, unique keys to `BTreeMap::from_iter` lets it bulk-build.
fn sorted_by_key<T>(v: Vec<T>, mut cmp: impl FnMut(&T, &T) -> std::cmp::Ordering) -> impl Iterator<Item = T> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_unstable_by(|&a, &b| cmp(&v[a], &v[b]));
    let mut slots: Vec<Option<T>> = v.into_iter().map(Some).collect();
    idx.into_iter().filter_map(move |i| slots.get_mut(i).and_then(Option::take))
}
