//! Helpers of the state-machine and render tests (app_*.rs, render*.rs, themes.rs): keys,
//! the explorer loaded by answering the app's own requests, and colours on the drawn screen.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pulsar_tui::app::{App, Event};
use pulsar_tui::pulsar::message::StartFrom;
use pulsar_tui::pulsar::reader::{Cursor, PartStart};
use pulsar_tui::pulsar::request::{
    BrowseRequest, BrowseResponse, Browsed, ExplorerRequest, ExplorerResponse, Request, RequestKind, ResponseKind,
};
use pulsar_tui::pulsar::{TopicEntry, TopicName};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::{answer, expand_with, find, screen};

pub fn topic(s: &str) -> TopicName {
    TopicName::parse(s).unwrap()
}

/// A character key without modifiers.
pub fn key(c: char) -> Event {
    code(KeyCode::Char(c))
}

/// Any key without modifiers.
pub fn code(c: KeyCode) -> Event {
    Event::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// Presses a key without modifiers; the requests the app makes.
pub fn press(app: &mut App, c: KeyCode) -> Vec<Request> {
    app.handle(code(c))
}

/// Types `text` key by key.
pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// Answers the cluster-info request among `reqs` (the start's, a probe's): `clusters`, version 4.0.8.
pub fn answer_cluster_info(app: &mut App, reqs: &[Request], clusters: &[&str]) -> Vec<Request> {
    let r = find(reqs, |k| matches!(k, RequestKind::Explorer(ExplorerRequest::FetchClusterInfo)));
    answer(
        app,
        r,
        ResponseKind::Explorer(ExplorerResponse::ClusterInfoFetched {
            clusters: owned(clusters),
            version: "4.0.8".into(),
        }),
    )
}

/// Answers the tenant-list request among `reqs` with `tenants`.
pub fn answer_tenants(app: &mut App, reqs: &[Request], tenants: &[&str]) -> Vec<Request> {
    let r = find(reqs, |k| matches!(k, RequestKind::Explorer(ExplorerRequest::ListTenants)));
    answer(app, r, ResponseKind::Explorer(ExplorerResponse::TenantsListed { tenants: owned(tenants) }))
}

/// The answer to listing the namespaces of `tenant`.
pub fn namespaces_listed(tenant: &str, namespaces: &[&str]) -> ResponseKind {
    ResponseKind::Explorer(ExplorerResponse::NamespacesListed { tenant: tenant.into(), namespaces: owned(namespaces) })
}

/// The answer to listing the topics of `namespace`.
pub fn topics_listed(namespace: &str, topics: Vec<TopicEntry>) -> ResponseKind {
    ResponseKind::Explorer(ExplorerResponse::TopicsListed { namespace: namespace.into(), topics })
}

/// Answers the request among `reqs` that lists the namespaces of `tenant`.
pub fn answer_namespaces(app: &mut App, reqs: &[Request], tenant: &str, namespaces: &[&str]) -> Vec<Request> {
    let r = find(
        reqs,
        |k| matches!(k, RequestKind::Explorer(ExplorerRequest::ListNamespaces { tenant: t }) if t == tenant),
    )
    .clone();
    answer(app, &r, namespaces_listed(tenant, namespaces))
}

/// Answers the request among `reqs` that lists the topics of `namespace`.
pub fn answer_topics(app: &mut App, reqs: &[Request], namespace: &str, topics: Vec<TopicEntry>) -> Vec<Request> {
    let r = find(
        reqs,
        |k| matches!(k, RequestKind::Explorer(ExplorerRequest::ListTopics { namespace: n }) if n == namespace),
    )
    .clone();
    answer(app, &r, topics_listed(namespace, topics))
}

/// Answers the request among `reqs` that lists the subscriptions of `topic`.
pub fn answer_subscriptions(
    app: &mut App,
    reqs: &[Request],
    topic: &TopicName,
    subscriptions: &[&str],
) -> Vec<Request> {
    let r = find(
        reqs,
        |k| matches!(k, RequestKind::Explorer(ExplorerRequest::ListSubscriptions { topic: t }) if t == topic),
    )
    .clone();
    let listed = ExplorerResponse::SubscriptionsListed { topic: topic.clone(), subscriptions: owned(subscriptions) };
    answer(app, &r, ResponseKind::Explorer(listed))
}

/// With a tenant selected: expands it to its one namespace `namespace`, selects that and
/// expands it to `topics`.
pub fn open_only_namespace(app: &mut App, tenant: &str, namespace: &str, topics: Vec<TopicEntry>) {
    expand_with(app, namespaces_listed(tenant, &[namespace]));
    app.update(pulsar_tui::app::keys::Action::Down);
    expand_with(app, topics_listed(namespace, topics));
}

/// Opens the browser on `topic` from the earliest message and answers its first page with
/// `messages`, the end of all `parts` partitions reached; the requests that answer makes.
pub fn browse_one_page(app: &mut App, topic: &TopicName, messages: Vec<Browsed>, parts: usize) -> Vec<Request> {
    let reqs = app.open_browser(topic.clone(), StartFrom::Earliest);
    let r = find(&reqs, |k| matches!(k, RequestKind::Browse(BrowseRequest::ReadPage { .. }))).clone();
    let next = Cursor { parts: vec![PartStart::Earliest; parts] };
    answer(
        app,
        &r,
        ResponseKind::Browse(BrowseResponse::PageRead { topic: topic.clone(), messages, next, at_end: true }),
    )
}

/// The cell where `needle` starts on the screen (the first line that holds it).
pub fn cell_at(term: &Terminal<TestBackend>, needle: &str) -> ratatui::buffer::Cell {
    let text = screen(term);
    let y = text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("no {needle}:\n{text}"));
    let line = text.lines().nth(y).unwrap();
    let x = line[..line.find(needle).unwrap()].chars().count() as u16;
    term.backend().buffer()[(x, y as u16)].clone()
}

/// The foreground colour where `needle` starts on the screen.
pub fn fg_at(term: &Terminal<TestBackend>, needle: &str) -> ratatui::style::Color {
    cell_at(term, needle).fg
}
