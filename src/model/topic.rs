//! Topic names: `persistent://tenant/namespace/local[-partition-N]`.

use std::fmt;

use super::Invalid;

/// A fully qualified topic name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicName {
    pub persistent: bool,
    pub tenant: String,
    pub namespace: String,
    /// The local name, including a `-partition-N` suffix for a partition.
    pub local: String,
}

const PARTITION_SUFFIX: &str = "-partition-";

/// Pulsar's store of a subscription's transactional acknowledgements:
/// `<topic>-<subscription>__transaction_pending_ack` (the broker's `PENDING_ACK_STORE_SUFFIX`).
const PENDING_ACK_SUFFIX: &str = "__transaction_pending_ack";

/// True for the local name of one of Pulsar's own topics: `__change_events`,
/// `__transaction_buffer_snapshot` and the rest of the `__` names, and a subscription's
/// transaction pending-ack store (whose name starts with the user's topic).
pub fn is_system_local_name(local: &str) -> bool {
    let base = match local.rfind(PARTITION_SUFFIX) {
        Some(i) if local[i + PARTITION_SUFFIX.len()..].bytes().all(|b| b.is_ascii_digit()) => &local[..i],
        _ => local,
    };
    local.starts_with("__") || base.ends_with(PENDING_ACK_SUFFIX)
}

impl TopicName {
    /// One of Pulsar's own topics (see [`is_system_local_name`]).
    pub fn is_system(&self) -> bool {
        is_system_local_name(&self.local)
    }

    /// Parses a full name (`persistent://t/ns/x`), a short one (`t/ns/x`) or a bare
    /// local name (`x`, taken as `public/default`), like the Pulsar clients do.
    pub fn parse(s: &str) -> Result<TopicName, Invalid> {
        let s = s.trim();
        let (persistent, rest) = if let Some(r) = s.strip_prefix("persistent://") {
            (true, r)
        } else if let Some(r) = s.strip_prefix("non-persistent://") {
            (false, r)
        } else if s.contains("://") {
            return Err(Invalid(format!("bad topic domain in {s:?}")));
        } else {
            (true, s)
        };
        let parts: Vec<&str> = rest.splitn(3, '/').collect();
        let (tenant, namespace, local) = match parts.as_slice() {
            [local] => ("public", "default", *local),
            [t, ns, local] => (*t, *ns, *local),
            _ => return Err(Invalid(format!("bad topic name {s:?}: expected persistent://tenant/namespace/topic"))),
        };
        if tenant.is_empty() || namespace.is_empty() || local.is_empty() {
            return Err(Invalid(format!("bad topic name {s:?}: empty part")));
        }
        Ok(TopicName {
            persistent,
            tenant: tenant.to_string(),
            namespace: namespace.to_string(),
            local: local.to_string(),
        })
    }

    pub fn domain(&self) -> &'static str {
        if self.persistent {
            "persistent"
        } else {
            "non-persistent"
        }
    }

    /// `tenant/namespace`.
    pub fn namespace_path(&self) -> String {
        format!("{}/{}", self.tenant, self.namespace)
    }

    /// The path segment the admin REST API uses: `persistent/t/ns/local` (local name escaped).
    pub fn rest_path(&self) -> String {
        format!("{}/{}/{}/{}", self.domain(), self.tenant, self.namespace, urlencoding::encode(&self.local))
    }

    /// The index when this is the name of one partition (`x-partition-3` → 3).
    pub fn partition_index(&self) -> Option<u32> {
        let at = self.local.rfind(PARTITION_SUFFIX)?;
        self.local[at + PARTITION_SUFFIX.len()..].parse().ok()
    }

    /// The partitioned parent of a partition, or the name itself.
    pub fn parent(&self) -> TopicName {
        match self.local.rfind(PARTITION_SUFFIX) {
            Some(at) if self.partition_index().is_some() => {
                TopicName { local: self.local[..at].to_string(), ..self.clone() }
            }
            _ => self.clone(),
        }
    }

    /// The name of partition `i` of this (partitioned) topic.
    pub fn partition(&self, i: u32) -> TopicName {
        TopicName { local: format!("{}{PARTITION_SUFFIX}{i}", self.local), ..self.clone() }
    }
}

impl fmt::Display for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}/{}/{}", self.domain(), self.tenant, self.namespace, self.local)
    }
}

/// Serialised as the full name (`persistent://t/ns/x`).
impl serde::Serialize for TopicName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pulsar_s_own_topics_are_system_topics() {
        for local in ["__change_events", "__transaction_buffer_snapshot", "__change_events-partition-0"] {
            assert!(is_system_local_name(local), "{local}");
        }
        // a subscription's pending-ack store, of a topic and of a partition
        assert!(is_system_local_name("orders-audit__transaction_pending_ack"));
        assert!(is_system_local_name("orders-partition-1-audit__transaction_pending_ack"));
        assert!(TopicName::parse("persistent://a/b/orders-audit__transaction_pending_ack").unwrap().is_system());
        for local in
            ["orders", "orders-partition-3", "my__topic", "transaction_pending_ack", "x__transaction_pending_ack_v2"]
        {
            assert!(!is_system_local_name(local), "{local}");
        }
    }

    #[test]
    fn parses_full_short_and_bare_names() {
        let t = TopicName::parse("persistent://acme/shop/orders").unwrap();
        assert_eq!((t.tenant.as_str(), t.namespace.as_str(), t.local.as_str()), ("acme", "shop", "orders"));
        assert!(t.persistent);
        let t = TopicName::parse("non-persistent://a/b/c").unwrap();
        assert!(!t.persistent);
        assert_eq!(t.to_string(), "non-persistent://a/b/c");
        assert_eq!(TopicName::parse("a/b/c").unwrap().to_string(), "persistent://a/b/c");
        assert_eq!(TopicName::parse("x").unwrap().to_string(), "persistent://public/default/x");
    }

    #[test]
    fn rejects_malformed_names() {
        for bad in ["", "a/b", "kafka://a/b/c", "persistent://a//c", "persistent:///b/c"] {
            assert!(TopicName::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn partitions_round_trip_to_parent() {
        let t = TopicName::parse("persistent://acme/shop/orders").unwrap();
        let p = t.partition(3);
        assert_eq!(p.to_string(), "persistent://acme/shop/orders-partition-3");
        assert_eq!(p.partition_index(), Some(3));
        assert_eq!(p.parent(), t);
        assert_eq!(t.partition_index(), None);
        // a name that merely looks partition-like is left alone
        let odd = TopicName::parse("a/b/x-partition-abc").unwrap();
        assert_eq!(odd.partition_index(), None);
        assert_eq!(odd.parent(), odd);
    }

    #[test]
    fn rest_path_escapes_the_local_name() {
        let t = TopicName::parse("persistent://a/b/we ird%").unwrap();
        assert_eq!(t.rest_path(), "persistent/a/b/we%20ird%25");
    }
}
