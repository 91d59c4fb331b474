//! The Avro schema compiled into a flat arena of nodes, once per schema.

use std::collections::HashMap;

use apache_avro::schema::{Name, NamespaceRef, Schema};
use serde_json::{Map, Value};

use super::MAX_DEPTH;

/// The schema flattened into an arena of [`Node`]s, built once per schema
/// so that decoding does not walk `apache-avro`'s [`Schema`] (no namespace
/// resolution, no name lookups, no field-name hashing per datum).
///
/// Named-type references are resolved here, each distinct target once; a
/// recursive type becomes a cycle through a [`Node::Ref`]. The decoding
/// semantics (depth, value budget, errors) are those of a direct walk of the
/// schema: every `Ref` and `Union` layer still counts as a value and checks
/// the depth, exactly as before.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    pub(super) nodes: Vec<Node>,
    pub(super) root: usize,
}

#[derive(Debug, Clone)]
pub(super) enum Node {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    /// The nodes of the branches, by branch index.
    Union(Box<[usize]>),
    /// The node of the items.
    Array(usize),
    /// The node of the values.
    Map(usize),
    /// A record: its field names (all mapped to `null`) in schema order,
    /// cloned per datum (a clone copies the hash table instead of hashing
    /// every name again), and the fields' nodes in the same order.
    Record {
        template: Map<String, Value>,
        fields: Box<[usize]>,
    },
    /// A record with repeated field names (rejected by `apache-avro`; kept
    /// for safety): fields are inserted one by one, the last one winning.
    RecordByName(Box<[(String, usize)]>),
    /// A resolved named-type reference: the node of the named type.
    Ref(usize),
    /// A reference that does not resolve (its fully qualified name).
    Unresolved(Name),
    /// Schema nesting beyond anything that decodes within [`MAX_DEPTH`].
    TooDeep,
    /// Any other type (named and logical leaves), decoded by [`Datum::leaf`](super::datum::Datum::leaf).
    Other(Schema),
}

/// Schema nesting (records, arrays, maps, unions) compiled inline. A union
/// cannot directly contain a union, so a node at this nesting is at least
/// `MAX_DEPTH` records/arrays/maps deep and can never be decoded.
const MAX_PLAN_NESTING: usize = 4 * MAX_DEPTH + 16;

impl Plan {
    pub(super) fn compile(schema: &Schema, names: &HashMap<Name, Schema>) -> Plan {
        let mut c = Compiler { names, nodes: Vec::new(), refs: HashMap::new(), pending: Vec::new() };
        let root = c.node(schema, None, 0);
        // Named types are compiled from a work list rather than recursively,
        // so a long chain of references cannot exhaust the stack.
        while let Some((id, key, target)) = c.pending.pop() {
            let t = c.node(target, key.namespace(), 0);
            if let Some(n) = c.nodes.get_mut(id) {
                *n = Node::Ref(t);
            }
        }
        Plan { nodes: c.nodes, root }
    }
}

struct Compiler<'s> {
    names: &'s HashMap<Name, Schema>,
    nodes: Vec<Node>,
    /// The `Ref` node of every named type referenced so far.
    refs: HashMap<&'s Name, usize>,
    /// `Ref` nodes whose target still has to be compiled.
    pending: Vec<(usize, &'s Name, &'s Schema)>,
}

impl<'s> Compiler<'s> {
    fn push(&mut self, n: Node) -> usize {
        self.nodes.push(n);
        self.nodes.len() - 1
    }

    /// Compiles `schema` found in a type position where the enclosing
    /// namespace is `ns` (the same resolution rules as `collect_names`).
    fn node(&mut self, schema: &'s Schema, ns: NamespaceRef, nesting: usize) -> usize {
        if nesting > MAX_PLAN_NESTING {
            return self.push(Node::TooDeep);
        }
        let node = match schema {
            Schema::Null => Node::Null,
            Schema::Boolean => Node::Boolean,
            Schema::Int => Node::Int,
            Schema::Long => Node::Long,
            Schema::Float => Node::Float,
            Schema::Double => Node::Double,
            Schema::Bytes => Node::Bytes,
            Schema::String => Node::String,
            Schema::Union(u) => {
                let branches: Vec<usize> = u.variants().iter().map(|v| self.node(v, ns, nesting + 1)).collect();
                Node::Union(branches.into_boxed_slice())
            }
            Schema::Array(a) => Node::Array(self.node(&a.items, ns, nesting + 1)),
            Schema::Map(m) => Node::Map(self.node(&m.types, ns, nesting + 1)),
            Schema::Record(r) => {
                let fq = r.name.fully_qualified_name(ns);
                let inner_ns = fq.namespace();
                let fields: Vec<(String, usize)> =
                    r.fields.iter().map(|f| (f.name.clone(), self.node(&f.schema, inner_ns, nesting + 1))).collect();
                let mut template = Map::with_capacity(fields.len());
                for (name, _) in &fields {
                    template.insert(name.clone(), Value::Null);
                }
                if template.len() == fields.len() {
                    Node::Record { template, fields: fields.into_iter().map(|(_, id)| id).collect() }
                } else {
                    Node::RecordByName(fields.into_boxed_slice())
                }
            }
            Schema::Ref { name } => {
                let names: &'s HashMap<Name, Schema> = self.names;
                let fq = name.fully_qualified_name(ns);
                match names.get_key_value(fq.as_ref()).or_else(|| names.get_key_value(name)) {
                    None => Node::Unresolved(fq.into_owned()),
                    Some((key, target)) => {
                        if let Some(&id) = self.refs.get(key) {
                            return id;
                        }
                        let id = self.push(Node::TooDeep); // replaced by `Plan::compile`
                        self.refs.insert(key, id);
                        self.pending.push((id, key, target));
                        return id;
                    }
                }
            }
            other => Node::Other(other.clone()),
        };
        self.push(node)
    }
}
