//! The tree's filter and rows (pure: no app, no requests).

use super::*;

fn topic(name: &str, partitions: u32) -> TopicEntry {
    TopicEntry { name: TopicName::parse(name).expect("a valid topic name"), partitions }
}

/// acme (expanded) → billing (expanded, 3 topics), orders (loaded, collapsed, 2 topics); other.
fn sample() -> Tree {
    let mut t = Tree::default();
    t.set_tenants(&["acme".to_string(), "other".to_string()]);
    assert!(t.expand_selected().is_some(), "acme's namespaces are asked for");
    t.set_namespaces("acme", &["acme/billing".to_string(), "acme/orders".to_string()]);
    t.set_topics(
        "acme/billing",
        vec![
            topic("persistent://acme/billing/Invoices", 0),
            topic("persistent://acme/billing/payments", 4),
            topic("persistent://acme/billing/refunds", 0),
        ],
    );
    t.set_topics(
        "acme/orders",
        vec![topic("persistent://acme/orders/created", 0), topic("persistent://acme/orders/payment-failed", 0)],
    );
    let billing = NodeKey::Namespace("acme/billing".into());
    t.reveal(&billing);
    let path = t.find(&billing).expect("billing is in the tree");
    t.node_mut(&path).expect("billing's node").expanded = true;
    t.rebuild();
    t
}

fn labels(t: &Tree) -> Vec<String> {
    t.rows()
        .iter()
        .map(|r| format!("{}{}", "  ".repeat(r.depth), t.node(&r.path).expect("a row's node").label))
        .collect()
}

fn selected_label(t: &Tree) -> String {
    t.selected().map(|n| n.label.clone()).unwrap_or_default()
}

#[test]
fn names_match_the_filter_ignoring_case() {
    assert!(contains_ignoring_case("Payments-Refund-00042", "refund"));
    assert!(contains_ignoring_case("payments", ""));
    assert!(contains_ignoring_case("PAYMENTS", "payments"));
    assert!(!contains_ignoring_case("pay", "payments"), "a needle longer than the name");
    assert!(!contains_ignoring_case("orders", "refund"));
    // names and filters beyond ASCII are lowercased the Unicode way
    assert!(contains_ignoring_case("Übersicht-Événements", "événements"));
    assert!(contains_ignoring_case("Übersicht", "über"));
    assert!(!contains_ignoring_case("Übersicht", "uber"));
}

#[test]
fn the_filter_shows_matches_with_their_ancestors_collapsed_or_not() {
    let mut t = sample();
    assert_eq!(
        labels(&t),
        ["acme", "  billing", "    Invoices", "    payments", "    refunds", "  orders", "other"],
        "without a filter: the expanded nodes' children"
    );
    t.set_filter("PAY");
    // orders is collapsed: its matching topic shows all the same, under it
    assert_eq!(labels(&t), ["acme", "  billing", "    payments", "  orders", "    payment-failed"]);
    t.set_filter("invoices");
    assert_eq!(labels(&t), ["acme", "  billing", "    Invoices"], "case is ignored");
    t.set_filter("nothing-has-this");
    assert!(t.rows().is_empty());
    assert!(t.selected().is_none());
    t.set_filter("");
    assert_eq!(labels(&t).len(), 7, "clearing the filter brings the expanded tree back");
}

#[test]
fn the_selection_stays_on_its_node_or_moves_to_the_first_match() {
    let mut t = sample();
    t.select_key(&NodeKey::Topic(TopicName::parse("persistent://acme/billing/refunds").expect("a topic")));
    t.set_filter("f");
    // refunds still matches: it stays selected although its row moved
    assert_eq!(labels(&t), ["acme", "  billing", "    refunds", "  orders", "    payment-failed"]);
    assert_eq!(selected_label(&t), "refunds");
    t.set_filter("payment");
    assert_eq!(selected_label(&t), "payments", "filtered out: the first match is selected");
    t.move_by(1);
    t.move_by(1);
    assert_eq!(selected_label(&t), "payment-failed");
    t.set_filter("");
    assert_eq!(selected_label(&t), "orders", "hidden again in its collapsed namespace: the namespace is selected");
    t.select_key(&NodeKey::Namespace("acme/billing".into()));
    t.set_filter("ref");
    assert_eq!(selected_label(&t), "refunds", "an ancestor shown for its match gives way to the match");
}

#[test]
fn rows_are_in_path_order_and_paths_compare_depth_first() {
    let mut t = sample();
    for filter in ["", "pay", "e"] {
        t.set_filter(filter);
        let rows = t.rows();
        assert!(rows.windows(2).all(|w| w[0].path < w[1].path), "filter {filter:?}: {rows:?}");
        assert!(rows.iter().all(|r| r.depth + 1 == r.path.len()));
    }
    let (a, b) = (NodePath::new(&[0, 1]).expect("depth 2"), NodePath::new(&[0, 1, 0]).expect("depth 3"));
    assert!(a < b, "a node comes before its children");
    assert!(NodePath::new(&[0, 2]).expect("depth 2") > b);
    assert!(NodePath::new(&[0, 0, 0, 0, 0]).is_none(), "deeper than the tree's four levels");
}

#[test]
fn a_new_listing_keeps_what_was_open_and_loaded_under_the_topics_still_there() {
    let mut t = sample();
    let refunds = TopicName::parse("persistent://acme/billing/refunds").expect("a topic");
    let payments = TopicName::parse("persistent://acme/billing/payments").expect("a topic");
    for topic in [&refunds, &payments] {
        t.select_key(&NodeKey::Topic(topic.clone()));
        assert!(t.expand_selected().is_some(), "its subscriptions are asked for");
        t.set_subscriptions(topic, &["audit".to_string()]);
    }
    assert!(t.select_key(&NodeKey::Subscription(refunds.clone(), "audit".into())));
    t.set_topics(
        "acme/billing",
        vec![
            topic("persistent://acme/billing/payments", 8),
            topic("persistent://acme/billing/refunds", 0),
            topic("persistent://acme/billing/taxes", 0),
        ],
    );
    assert_eq!(
        labels(&t),
        ["acme", "  billing", "    payments", "    refunds", "      audit", "    taxes", "  orders", "other"],
        "Invoices is gone; payments' partitions changed: its old children are dropped"
    );
    assert_eq!(selected_label(&t), "audit", "the selection follows its node");
    let path = t.find(&NodeKey::Topic(payments)).expect("payments is listed");
    let node = t.node(&path).expect("payments' node");
    assert_eq!((node.expanded, &node.load, &node.kind), (true, &Load::NotLoaded, &NodeKind::Topic { partitions: 8 }));
}
