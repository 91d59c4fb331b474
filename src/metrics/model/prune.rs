//! Keeps the rows an [`Interest`] asks for, at the end of a scrape (see `interest.rs`).

use super::interest::{health_candidate_sub, health_candidate_topic, mark_top, Interest, Kept};
use super::types::{SubscriptionMetrics, TopicMetrics};
use super::{is_system_topic, split_partition};

type Topics = Vec<(String, TopicMetrics)>;
type Subs = Vec<(usize, SubscriptionMetrics)>;
type Named = Vec<((String, String), SubscriptionMetrics)>;

/// Index of `name` in `topics` (sorted by name).
fn find(topics: &Topics, name: &str) -> Option<usize> {
    topics.binary_search_by(|(n, _)| n.as_str().cmp(name)).ok()
}

/// Which topics to keep: what `interest` names, the top rows of each column, the
/// health candidates, dead-letter topics and their origins.
fn keep_topics(topics: &Topics, subs: &Subs, interest: &Interest) -> (Vec<bool>, Vec<bool>) {
    let mut keep = vec![false; topics.len()];
    let mut keep_sub = vec![false; subs.len()];
    let filter = interest.filter.to_lowercase();
    let mut letters: Vec<usize> = Vec::new();
    for (i, (name, t)) in topics.iter().enumerate() {
        if interest.names(name, &t.namespace, &filter) {
            keep[i] = true;
        }
        if interest.is_letter(name) {
            keep[i] = true;
            letters.push(i);
        }
    }
    let n = interest.top_n;
    let shown = |t: &TopicMetrics| !is_system_topic(&t.name);
    mark_top(topics, n, &mut keep, |(_, t)| shown(t).then_some(t.msg_backlog));
    mark_top(topics, n, &mut keep, |(_, t)| shown(t).then_some(t.rate_in));
    mark_top(topics, n, &mut keep, |(_, t)| shown(t).then_some(t.rate_out));
    mark_top(topics, n, &mut keep, |(_, t)| shown(t).then_some(t.storage_size));
    // by name: the first rows in name order (topics are sorted)
    for (i, _) in topics.iter().enumerate().filter(|(_, (_, t))| shown(t)).take(n) {
        keep[i] = true;
    }
    // health: the subscriptions with the largest backlogs among its candidates
    let h = interest.health_limit;
    let candidate = |t: &TopicMetrics| !is_system_topic(&t.name) && health_candidate_topic(t);
    mark_top(topics, h, &mut keep, |(_, t)| candidate(t).then_some(t.msg_backlog.max(t.backlog_size)));
    mark_top(subs, h, &mut keep_sub, |(ti, s)| {
        let shown = topics.get(*ti).is_some_and(|(n, _)| !is_system_topic(n));
        (shown && health_candidate_sub(s)).then_some(s.backlog)
    });
    for (j, (ti, _)) in subs.iter().enumerate() {
        if keep_sub[j] {
            if let Some(k) = keep.get_mut(*ti) {
                *k = true;
            }
        }
    }
    // a letter `<origin>-<subscription>-DLQ`: its origin is one of the name's prefixes
    for li in letters {
        let name = &topics[li].0;
        for (pos, _) in name.match_indices('-') {
            if let Some(o) = find(topics, &name[..pos]) {
                keep[o] = true;
            }
        }
    }
    (keep, keep_sub)
}

/// Drops the rows `interest` does not ask for. Returns the kept topics, subscriptions
/// (named now) and partitions, and the counts (`None` when everything was kept).
pub(super) fn prune(
    topics: Topics,
    subs: Subs,
    partitions: Topics,
    interest: &Interest,
) -> (Topics, Named, Topics, Option<Kept>) {
    let name_subs = |subs: Subs, topics: &Topics, keep: &dyn Fn(usize, usize) -> bool| -> Named {
        subs.into_iter()
            .enumerate()
            .filter(|(j, (ti, _))| keep(*j, *ti))
            .filter_map(|(_, (ti, mut s))| {
                let (topic, _) = topics.get(ti)?;
                s.topic.clone_from(topic);
                Some(((topic.clone(), s.name.clone()), s))
            })
            .collect()
    };
    if interest.everything {
        let named = name_subs(subs, &topics, &|_, _| true);
        return (topics, named, partitions, None);
    }
    let (keep, keep_sub) = keep_topics(&topics, &subs, interest);
    let subs_total = subs.len() as u64;
    let named = name_subs(subs, &topics, &|j, ti| {
        keep_sub.get(j).copied().unwrap_or(false) || keep.get(ti).copied().unwrap_or(false)
    });
    let partitions: Topics = partitions
        .into_iter()
        .filter(|(p, _)| split_partition(p).and_then(|(parent, _)| find(&topics, parent)).is_some_and(|i| keep[i]))
        .collect();
    let topics_total = topics.len() as u64;
    let topics: Topics = topics.into_iter().zip(keep).filter_map(|(t, k)| k.then_some(t)).collect();
    let kept = Kept {
        topics_total,
        topics_kept: topics.len() as u64,
        subscriptions_total: subs_total,
        subscriptions_kept: named.len() as u64,
    };
    (topics, named, partitions, Some(kept))
}
