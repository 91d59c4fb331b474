//! Where a partition's entries are: its ledgers and entry counts, and what each subscription
//! has acknowledged, from the admin API's internal stats. Pure.

use std::collections::BTreeMap;

/// The ledgers of one partition with their entry counts, from its internal stats.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LedgerMap {
    /// `(ledger id, entries)` in order; the open ledger's count comes from the last
    /// confirmed entry (its own count reads 0 while it is open).
    ledgers: Vec<(i64, i64)>,
    /// The subscriptions' mark-delete positions.
    mark_deleted: BTreeMap<String, (i64, i64)>,
    /// The subscriptions' entries acknowledged one by one after it: `(after, up to]` ranges.
    deleted: BTreeMap<String, Vec<DeletedRange>>,
}

/// `(after, up to]`: entries acknowledged one by one, as `(ledger id, entry id)` positions.
type DeletedRange = ((i64, i64), (i64, i64));

/// `[(3:4..3:7], (3:9..3:10]]`: the `individuallyDeletedMessages` of a cursor.
fn deleted_ranges(s: &str) -> Vec<DeletedRange> {
    s.trim_matches(|c| c == '[' || c == ']')
        .split("],")
        .filter_map(|r| {
            let r = r.trim().trim_start_matches('(').trim_end_matches(']');
            let (from, to) = r.split_once("..")?;
            Some((position(from.trim())?, position(to.trim())?))
        })
        .collect()
}

fn position(s: &str) -> Option<(i64, i64)> {
    let (l, e) = s.split_once(':')?;
    Some((l.parse().ok()?, e.parse().ok()?))
}

impl LedgerMap {
    pub fn from_internal_stats(v: &serde_json::Value) -> LedgerMap {
        let last = v["lastConfirmedEntry"].as_str().and_then(position);
        let ledgers = v["ledgers"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|l| {
                        let id = l["ledgerId"].as_i64()?;
                        let mut n = l["entries"].as_i64().unwrap_or(0);
                        if let Some((_, le)) = last.filter(|(ll, _)| *ll == id) {
                            n = n.max(le + 1);
                        }
                        Some((id, n))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let cursors = v["cursors"].as_object();
        let mark_deleted = cursors
            .map(|c| {
                c.iter()
                    .filter_map(|(name, c)| Some((name.clone(), position(c["markDeletePosition"].as_str()?)?)))
                    .collect()
            })
            .unwrap_or_default();
        let deleted = cursors
            .map(|c| {
                c.iter()
                    .map(|(name, c)| (name.clone(), c["individuallyDeletedMessages"].as_str().map(deleted_ranges)))
                    .filter_map(|(name, r)| Some((name, r?)))
                    .collect()
            })
            .unwrap_or_default();
        LedgerMap { ledgers, mark_deleted, deleted }
    }

    /// The first entry stored.
    pub fn first(&self) -> Option<(i64, i64)> {
        self.ledgers.iter().find(|(_, n)| *n > 0).map(|(l, _)| (*l, 0))
    }

    /// The entry after `pos`, or `None` past the last one (as far as this map knows).
    pub fn next_after(&self, pos: (i64, i64)) -> Option<(i64, i64)> {
        let (l, e) = pos;
        if let Some((_, n)) = self.ledgers.iter().find(|(id, _)| *id == l) {
            if e + 1 < *n {
                return Some((l, e + 1));
            }
        }
        self.ledgers.iter().find(|(id, n)| *id > l && *n > 0).map(|(id, _)| (*id, 0))
    }

    /// True when `subscription` has acknowledged the entry at `pos` (the broker does not
    /// deliver it to that subscription again).
    pub fn acknowledged(&self, subscription: &str, pos: (i64, i64)) -> bool {
        self.mark_deleted.get(subscription).is_some_and(|md| pos <= *md)
            || self.deleted.get(subscription).is_some_and(|r| r.iter().any(|(after, to)| pos > *after && pos <= *to))
    }

    /// Where a durable subscription resumes: the entry after its mark-delete position.
    pub fn after_mark_delete(&self, subscription: &str) -> Option<(i64, i64)> {
        let md = *self.mark_deleted.get(subscription)?;
        self.next_after(md).or(Some((md.0, md.1 + 1)))
    }
}
