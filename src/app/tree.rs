//! The explorer's model: tenants → namespaces → topics → subscriptions / partitions.
//! Pure data, no I/O: loading a node returns the [`RequestKind`] that fetches it.

use crate::pulsar::request::{ExplorerRequest, RequestKind};
use crate::pulsar::{TopicEntry, TopicName};

/// Identity of a node, stable across reloads (used to keep selection and expansion).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NodeKey {
    Tenant(String),
    /// `tenant/namespace`
    Namespace(String),
    Topic(TopicName),
    Partition(TopicName),
    Subscription(TopicName, String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Load {
    NotLoaded,
    Loading,
    Loaded,
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Tenant,
    Namespace,
    Topic { partitions: u32 },
    Partition,
    Subscription,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub key: NodeKey,
    pub kind: NodeKind,
    pub label: String,
    pub expanded: bool,
    pub load: Load,
    pub children: Vec<Node>,
}

impl Node {
    fn new(key: NodeKey) -> Node {
        let (kind, label, load) = match &key {
            NodeKey::Tenant(t) => (NodeKind::Tenant, t.clone(), Load::NotLoaded),
            NodeKey::Namespace(ns) => {
                let label = ns.split_once('/').map(|(_, n)| n).unwrap_or(ns).to_string();
                (NodeKind::Namespace, label, Load::NotLoaded)
            }
            NodeKey::Topic(t) => {
                let label = if t.persistent { t.local.clone() } else { format!("{} (non-persistent)", t.local) };
                (NodeKind::Topic { partitions: 0 }, label, Load::NotLoaded)
            }
            NodeKey::Partition(t) => (NodeKind::Partition, t.local.clone(), Load::Loaded),
            NodeKey::Subscription(_, s) => (NodeKind::Subscription, s.clone(), Load::Loaded),
        };
        Node { key, kind, label, expanded: false, load, children: Vec::new() }
    }

    fn topic(entry: TopicEntry) -> Node {
        let mut n = Node::new(NodeKey::Topic(entry.name));
        n.kind = NodeKind::Topic { partitions: entry.partitions };
        n
    }

    pub fn is_leaf(&self) -> bool {
        matches!(self.kind, NodeKind::Partition | NodeKind::Subscription)
    }

    /// The request that loads this node's children.
    pub fn load_request(&self) -> Option<RequestKind> {
        match &self.key {
            NodeKey::Tenant(t) => Some(RequestKind::Explorer(ExplorerRequest::ListNamespaces { tenant: t.clone() })),
            NodeKey::Namespace(ns) => {
                Some(RequestKind::Explorer(ExplorerRequest::ListTopics { namespace: ns.clone() }))
            }
            NodeKey::Topic(t) => Some(RequestKind::Explorer(ExplorerRequest::ListSubscriptions { topic: t.clone() })),
            NodeKey::Partition(_) | NodeKey::Subscription(..) => None,
        }
    }

    fn matches(&self, filter_lc: &str) -> bool {
        contains_ignoring_case(&self.label, filter_lc)
    }
}

/// Whether `haystack` contains `needle_lc` (lowercase) ignoring case. The filter runs over
/// every loaded name on each keystroke (100,000 topics in a namespace): ASCII names, the
/// usual ones, are compared in place instead of lowercased into a new string each.
pub(crate) fn contains_ignoring_case(haystack: &str, needle_lc: &str) -> bool {
    if needle_lc.is_empty() {
        return true;
    }
    if haystack.is_ascii() && needle_lc.is_ascii() {
        let (h, n) = (haystack.as_bytes(), needle_lc.as_bytes());
        return h.len() >= n.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    haystack.to_lowercase().contains(needle_lc)
}

/// The tree's depth: tenant, namespace, topic, then a subscription or partition.
pub const MAX_DEPTH: usize = 4;

/// Where a node is: its index among its siblings at each level, root first. Kept inline
/// (no allocation per row: a namespace may show 100,000 rows, rebuilt on each filter key).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct NodePath {
    len: usize,
    at: [usize; MAX_DEPTH],
}

impl NodePath {
    /// None when deeper than [`MAX_DEPTH`].
    pub fn new(path: &[usize]) -> Option<NodePath> {
        let mut at = [0; MAX_DEPTH];
        at.get_mut(..path.len())?.copy_from_slice(path);
        Some(NodePath { len: path.len(), at })
    }
}

impl std::ops::Deref for NodePath {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        &self.at[..self.len]
    }
}

/// Depth-first order (a node before its children): the order of the rows.
impl Ord for NodePath {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (**self).cmp(&**other)
    }
}

impl PartialOrd for NodePath {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Debug for NodePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// One visible row of the tree, as the pane draws it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    pub path: NodePath,
    pub depth: usize,
}

#[derive(Debug, Clone)]
pub struct Tree {
    pub roots: Vec<Node>,
    pub roots_load: Load,
    pub filter: String,
    rows: Vec<Row>,
    selected: usize,
}

impl Default for Tree {
    fn default() -> Self {
        Tree { roots: Vec::new(), roots_load: Load::NotLoaded, filter: String::new(), rows: Vec::new(), selected: 0 }
    }
}

/// Merges freshly listed children into the old ones, keeping the expansion state
/// and loaded grandchildren of nodes that are still there.
fn merge(old: &mut Vec<Node>, fresh: Vec<Node>) {
    // an index by key (borrowed: no key is copied): namespaces can hold 100,000 topics
    let positions: std::collections::HashMap<&NodeKey, usize> =
        fresh.iter().enumerate().map(|(i, n)| (&n.key, i)).collect();
    let mut previous: Vec<Option<Node>> = fresh.iter().map(|_| None).collect();
    for p in std::mem::take(old) {
        if let Some(&i) = positions.get(&p.key) {
            previous[i] = Some(p);
        }
    }
    drop(positions);
    old.reserve(fresh.len());
    for (mut n, p) in fresh.into_iter().zip(previous) {
        if let Some(p) = p {
            n.expanded = p.expanded;
            if !matches!(n.kind, NodeKind::Topic { .. }) || n.kind == p.kind {
                n.load = p.load;
                n.children = p.children;
            }
        }
        old.push(n);
    }
}

impl Tree {
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    pub fn selected_index(&self) -> usize {
        self.selected
    }

    pub fn node(&self, path: &[usize]) -> Option<&Node> {
        let (first, rest) = path.split_first()?;
        let mut n = self.roots.get(*first)?;
        for i in rest {
            n = n.children.get(*i)?;
        }
        Some(n)
    }

    fn node_mut(&mut self, path: &[usize]) -> Option<&mut Node> {
        let (first, rest) = path.split_first()?;
        let mut n = self.roots.get_mut(*first)?;
        for i in rest {
            n = n.children.get_mut(*i)?;
        }
        Some(n)
    }

    pub fn selected(&self) -> Option<&Node> {
        self.rows.get(self.selected).and_then(|r| self.node(&r.path))
    }

    pub fn selected_key(&self) -> Option<NodeKey> {
        self.selected().map(|n| n.key.clone())
    }

    /// The path of the node with this key (depth-first search).
    pub fn find(&self, key: &NodeKey) -> Option<Vec<usize>> {
        fn walk(nodes: &[Node], key: &NodeKey, path: &mut Vec<usize>) -> bool {
            for (i, n) in nodes.iter().enumerate() {
                path.push(i);
                if &n.key == key || walk(&n.children, key, path) {
                    return true;
                }
                path.pop();
            }
            false
        }
        let mut path = Vec::new();
        walk(&self.roots, key, &mut path).then_some(path)
    }

    /// Every topic loaded so far (full names, partitioned topics once).
    pub fn topics(&self) -> Vec<String> {
        fn walk(nodes: &[Node], out: &mut Vec<String>) {
            for n in nodes {
                match &n.key {
                    NodeKey::Topic(t) => out.push(t.to_string()),
                    NodeKey::Tenant(_) | NodeKey::Namespace(_) => walk(&n.children, out),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.roots, &mut out);
        out
    }

    /// Ancestors of a node, root first, then the node itself.
    pub fn lineage(&self, key: &NodeKey) -> Vec<&Node> {
        let Some(path) = self.find(key) else {
            return Vec::new();
        };
        (1..=path.len()).filter_map(|l| self.node(&path[..l])).collect()
    }

    // ---- loading ----------------------------------------------------------------

    pub fn set_tenants(&mut self, tenants: &[String]) {
        let fresh = tenants.iter().map(|t| Node::new(NodeKey::Tenant(t.clone()))).collect();
        self.roots_load = Load::Loaded;
        self.with_selection_kept(|t| merge(&mut t.roots, fresh));
    }

    pub fn set_tenants_failed(&mut self, reason: String) {
        self.roots_load = Load::Failed(reason);
    }

    pub fn set_namespaces(&mut self, tenant: &str, namespaces: &[String]) {
        let fresh = namespaces.iter().map(|ns| Node::new(NodeKey::Namespace(ns.clone()))).collect();
        self.set_children(&NodeKey::Tenant(tenant.to_string()), fresh);
    }

    /// The topics of a namespace (taken: a listing may name 100,000, not copied again).
    pub fn set_topics(&mut self, namespace: &str, topics: Vec<TopicEntry>) {
        let fresh = topics.into_iter().map(Node::topic).collect();
        self.set_children(&NodeKey::Namespace(namespace.to_string()), fresh);
    }

    /// Subscriptions of a topic, followed by its partitions when it is partitioned.
    pub fn set_subscriptions(&mut self, topic: &TopicName, subscriptions: &[String]) {
        let key = NodeKey::Topic(topic.clone());
        let partitions = match self.find(&key).and_then(|p| self.node(&p).map(|n| n.kind.clone())) {
            Some(NodeKind::Topic { partitions }) => partitions,
            _ => 0,
        };
        let mut fresh: Vec<Node> =
            subscriptions.iter().map(|s| Node::new(NodeKey::Subscription(topic.clone(), s.clone()))).collect();
        fresh.extend((0..partitions).map(|i| Node::new(NodeKey::Partition(topic.partition(i)))));
        self.set_children(&key, fresh);
    }

    fn set_children(&mut self, key: &NodeKey, fresh: Vec<Node>) {
        let Some(path) = self.find(key) else { return };
        self.with_selection_kept(|t| {
            if let Some(n) = t.node_mut(&path) {
                merge(&mut n.children, fresh);
                n.load = Load::Loaded;
            }
        });
    }

    /// Marks a load as failed; the node stays usable and can be expanded again.
    pub fn set_failed(&mut self, key: &NodeKey, reason: String) {
        if let Some(path) = self.find(key) {
            if let Some(n) = self.node_mut(&path) {
                n.load = Load::Failed(reason);
            }
        }
        self.rebuild();
    }

    pub fn mark_loading(&mut self, key: &NodeKey) {
        if let Some(path) = self.find(key) {
            if let Some(n) = self.node_mut(&path) {
                n.load = Load::Loading;
            }
        }
        self.rebuild();
    }

    /// Requests that reload everything already loaded (after a reconnect, or `r` on the root).
    pub fn reload_requests(&self) -> Vec<RequestKind> {
        fn walk(nodes: &[Node], out: &mut Vec<RequestKind>) {
            for n in nodes {
                if matches!(n.load, Load::Loaded | Load::Failed(_)) && (n.expanded || n.load == Load::Loaded) {
                    if let Some(r) = n.load_request() {
                        if !n.is_leaf() && (n.expanded || !n.children.is_empty()) {
                            out.push(r);
                        }
                    }
                }
                walk(&n.children, out);
            }
        }
        let mut out = vec![RequestKind::Explorer(ExplorerRequest::ListTenants)];
        walk(&self.roots, &mut out);
        out
    }

    // ---- navigation ---------------------------------------------------------------

    /// Expands the selected node. Returns the request to run when its children must be loaded.
    pub fn expand_selected(&mut self) -> Option<RequestKind> {
        let path = self.rows.get(self.selected)?.path;
        let node = self.node_mut(&path)?;
        if node.is_leaf() {
            return None;
        }
        if node.expanded && node.load == Load::Loaded && !node.children.is_empty() {
            // already open: step into the first child
            self.rebuild();
            self.move_by(1);
            return None;
        }
        node.expanded = true;
        let req = match node.load {
            Load::NotLoaded | Load::Failed(_) => {
                node.load = Load::Loading;
                node.load_request()
            }
            _ => None,
        };
        self.rebuild();
        req
    }

    /// Collapses the selected node, or moves to its parent when it is already closed.
    pub fn collapse_selected(&mut self) {
        let Some(path) = self.rows.get(self.selected).map(|r| r.path) else {
            return;
        };
        let open = self.node(&path).map(|n| n.expanded && !n.is_leaf()).unwrap_or(false);
        if open {
            if let Some(n) = self.node_mut(&path) {
                n.expanded = false;
            }
            self.rebuild();
        } else if path.len() > 1 {
            let parent = &path[..path.len() - 1];
            if let Some(i) = self.rows.iter().position(|r| *r.path == *parent) {
                self.selected = i;
            }
        }
    }

    pub fn move_by(&mut self, delta: isize) {
        self.selected = super::list::moved(self.selected, self.rows.len(), delta);
    }

    pub fn select_first(&mut self) {
        self.selected = 0;
    }

    pub fn select_last(&mut self) {
        self.selected = self.rows.len().saturating_sub(1);
    }

    pub fn select_key(&mut self, key: &NodeKey) -> bool {
        match self.rows.iter().position(|r| self.node(&r.path).map(|n| &n.key) == Some(key)) {
            Some(i) => {
                self.selected = i;
                true
            }
            None => false,
        }
    }

    /// Opens every ancestor of `key` so that it becomes visible.
    pub fn reveal(&mut self, key: &NodeKey) {
        if let Some(path) = self.find(key) {
            for l in 1..path.len() {
                if let Some(n) = self.node_mut(&path[..l]) {
                    n.expanded = true;
                }
            }
            self.rebuild();
        }
    }

    // ---- filter -------------------------------------------------------------------

    pub fn set_filter(&mut self, filter: &str) {
        self.filter = filter.to_string();
        // no node moves: the selected one is found again by its path (rows are in path order)
        let old = self.rows.get(self.selected).map(|r| r.path);
        let old_index = self.selected;
        self.rebuild();
        match old.map(|p| self.rows.binary_search_by(|r| r.path.cmp(&p))) {
            Some(Ok(i)) => self.selected = i,
            // hidden now: the row before where it was (its collapsed ancestor, when it has one)
            Some(Err(i)) => self.selected = i.saturating_sub(1).min(self.rows.len().saturating_sub(1)),
            None => self.selected = old_index.min(self.rows.len().saturating_sub(1)),
        }
        // keep the selection on a match when the old one is filtered out
        if !self.filter.is_empty() {
            let f = self.filter.to_lowercase();
            let on_match = self.selected().map(|n| n.matches(&f)).unwrap_or(false);
            if !on_match {
                if let Some(i) = self.rows.iter().position(|r| self.node(&r.path).is_some_and(|n| n.matches(&f))) {
                    self.selected = i;
                }
            }
        }
    }

    fn with_selection_kept(&mut self, f: impl FnOnce(&mut Tree)) {
        let key = self.selected_key();
        let old_index = self.selected;
        f(self);
        self.rebuild();
        if let Some(k) = key {
            if !self.select_key(&k) {
                self.selected = old_index.min(self.rows.len().saturating_sub(1));
            }
        }
    }

    /// Recomputes the visible rows: expanded subtrees, or with a filter, every loaded
    /// node that matches together with its ancestors. One pass, each name compared once;
    /// the rows' memory is reused.
    pub fn rebuild(&mut self) {
        /// Pushes the rows of `nodes`; true when any was pushed.
        fn walk(nodes: &[Node], f: &str, path: &mut Vec<usize>, rows: &mut Vec<Row>) -> bool {
            let mut any = false;
            for (i, n) in nodes.iter().enumerate() {
                path.push(i);
                let Some(at) = NodePath::new(path) else {
                    path.pop();
                    continue;
                };
                let mark = rows.len();
                rows.push(Row { path: at, depth: path.len() - 1 });
                let matched = f.is_empty() || n.matches(f);
                // a node that does not match shows when something below it does
                let below = (n.expanded || !matched) && walk(&n.children, f, path, rows);
                if matched || below {
                    any = true;
                } else {
                    rows.truncate(mark);
                }
                path.pop();
            }
            any
        }
        let f = self.filter.to_lowercase();
        let mut rows = std::mem::take(&mut self.rows);
        rows.clear();
        walk(&self.roots, &f, &mut Vec::with_capacity(MAX_DEPTH), &mut rows);
        self.rows = rows;
        if self.selected >= self.rows.len() {
            self.selected = self.rows.len().saturating_sub(1);
        }
    }
}

#[cfg(test)]
#[path = "tree_tests.rs"]
mod tests;
