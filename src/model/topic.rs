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

impl TopicName {
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
