//! The explorer: the tree of tenants, namespaces, topics and subscriptions, the details
//! pane of the selected node (stats refreshed every `refresh_interval`), the tree filter
//! and jumps to a topic (loading what is missing on the way), and the answers to all that.
//!
//! [`Explorer`] owns that state; [`App`] hands it the explorer's actions, answers and ticks
//! with a [`Ctx`] (request ids, the status line, the time) and carries out the [`Next`] it
//! returns when an action leaves the explorer.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent};

pub(crate) use super::ctx::Ctx;
use super::input::{Edit, LineInput};
use super::keys::Action;
use super::tree::{self, NodeKey, NodeKind, Tree};
use super::{App, Focus, Level, Mode, Next};
use crate::pulsar::request::{ExplorerRequest, ExplorerResponse, Request, RequestId, RequestKind};
use crate::pulsar::stats::{TenantInfo, TopicStats};
use crate::pulsar::{ClientError, TopicName};

/// What the right-hand pane shows for the selected node.
#[derive(Debug, Clone, Default)]
pub struct Details {
    pub key: Option<NodeKey>,
    pub request: Option<RequestId>,
    pub stats: Option<TopicStats>,
    pub tenant: Option<TenantInfo>,
    pub error: Option<String>,
    pub fetched_at: Option<Instant>,
    pub scroll: u16,
}

/// The explorer's state: the tree, the details pane, a jump on its way.
#[derive(Debug, Default)]
pub struct Explorer {
    pub tree: Tree,
    pub details: Details,
    /// A topic being jumped to (its tenant and namespace load on the way).
    jump: Option<TopicName>,
    /// The subscription to select once the jump reached its topic (`--subscription`).
    jump_subscription: Option<String>,
}

impl Explorer {
    /// The explorer's keys (the tree, or the details pane when `focus` says so).
    pub(super) fn update(&mut self, action: Action, focus: &mut Focus, page: isize, ctx: &mut Ctx) -> Next {
        let mut out = Vec::new();
        match (action, *focus) {
            (Action::FocusNext, _) => {
                *focus = match *focus {
                    Focus::Explorer => Focus::Details,
                    Focus::Details => Focus::Explorer,
                }
            }
            (Action::Down, Focus::Explorer) => self.tree.move_by(1),
            (Action::Up, Focus::Explorer) => self.tree.move_by(-1),
            (Action::Top, Focus::Explorer) => self.tree.select_first(),
            (Action::Bottom, Focus::Explorer) => self.tree.select_last(),
            (Action::PageDown, Focus::Explorer) => self.tree.move_by(page),
            (Action::PageUp, Focus::Explorer) => self.tree.move_by(-page),
            (Action::Down, Focus::Details) => self.details.scroll = self.details.scroll.saturating_add(1),
            (Action::Up, Focus::Details) => self.details.scroll = self.details.scroll.saturating_sub(1),
            (Action::Top, Focus::Details) => self.details.scroll = 0,
            (Action::PageDown, Focus::Details) => self.details.scroll = self.details.scroll.saturating_add(page as u16),
            (Action::PageUp, Focus::Details) => self.details.scroll = self.details.scroll.saturating_sub(page as u16),
            (Action::Bottom, Focus::Details) => {}
            (Action::Actions, _) => return Next::Actions,
            (Action::Expand, _) => {
                if let Some(kind) = self.tree.expand_selected() {
                    out.push(ctx.request(kind));
                }
            }
            (Action::Open, _) => match self.selected_topic() {
                Some(t) => return Next::Browse(t),
                None => {
                    if let Some(kind) = self.tree.expand_selected() {
                        out.push(ctx.request(kind));
                    }
                }
            },
            (Action::Collapse, _) => self.tree.collapse_selected(),
            (Action::StartFilter, _) => {
                return Next::Prompt(Mode::Filter { input: LineInput::new(self.tree.filter.clone()) });
            }
            (Action::ClearFilter, _) => self.tree.set_filter(""),
            (Action::Refresh, _) => {
                let kind = match self.tree.selected() {
                    Some(n) if !n.is_leaf() && n.load != tree::Load::Loading => {
                        let key = n.key.clone();
                        let kind = n.load_request();
                        if kind.is_some() {
                            self.tree.mark_loading(&key);
                        }
                        kind
                    }
                    None => Some(RequestKind::Explorer(ExplorerRequest::ListTenants)),
                    _ => None,
                };
                if let Some(kind) = kind {
                    out.push(ctx.request(kind));
                }
                self.details.key = None; // forces a refetch below
            }
            // the other views' keys and the global ones (App handles those before)
            _ => {}
        }
        out.extend(self.sync_details(ctx));
        Next::Stay(out)
    }

    /// The topic (or partition) selected in the tree; a subscription's topic too.
    pub fn selected_topic(&self) -> Option<TopicName> {
        match self.tree.selected().map(|n| &n.key) {
            Some(NodeKey::Topic(t) | NodeKey::Partition(t)) => Some(t.clone()),
            _ => None,
        }
    }

    /// The topic whose node is selected, a subscription's included.
    pub fn current_topic(&self) -> Option<TopicName> {
        stats_topic(self.tree.selected().map(|n| &n.key)).cloned()
    }

    /// The stats request for the selected node, when it differs from what is shown.
    pub(super) fn sync_details(&mut self, ctx: &mut Ctx) -> Vec<Request> {
        let key = self.tree.selected_key();
        if key == self.details.key {
            return Vec::new();
        }
        // moving between a topic and its subscriptions keeps the stats on screen meanwhile
        let same_topic =
            stats_topic(key.as_ref()).is_some() && stats_topic(key.as_ref()) == stats_topic(self.details.key.as_ref());
        let old = std::mem::take(&mut self.details);
        self.details = Details { key: key.clone(), ..Details::default() };
        if same_topic {
            self.details.stats = old.stats;
            self.details.fetched_at = old.fetched_at;
        }
        self.details_request(ctx).into_iter().collect()
    }

    /// Forgets what the details pane shows, so the next sync fetches it again.
    pub(super) fn forget_details(&mut self) {
        self.details.key = None;
        self.details.fetched_at = None;
    }

    fn details_request(&mut self, ctx: &mut Ctx) -> Option<Request> {
        let key = self.details.key.clone()?;
        let kind = match &key {
            NodeKey::Tenant(t) => RequestKind::Explorer(ExplorerRequest::FetchTenantInfo { tenant: t.clone() }),
            NodeKey::Namespace(_) => return None,
            NodeKey::Topic(t) => RequestKind::Explorer(ExplorerRequest::FetchTopicStats {
                topic: t.clone(),
                partitions: self.partitions_of(t),
            }),
            NodeKey::Partition(p) => {
                RequestKind::Explorer(ExplorerRequest::FetchTopicStats { topic: p.clone(), partitions: 0 })
            }
            NodeKey::Subscription(t, _) => RequestKind::Explorer(ExplorerRequest::FetchTopicStats {
                topic: t.clone(),
                partitions: self.partitions_of(t),
            }),
        };
        let req = ctx.request(kind);
        self.details.request = Some(req.id);
        Some(req)
    }

    pub fn partitions_of(&self, topic: &TopicName) -> u32 {
        let key = NodeKey::Topic(topic.clone());
        match self.tree.find(&key).and_then(|p| self.tree.node(&p)).map(|n| &n.kind) {
            Some(NodeKind::Topic { partitions }) => *partitions,
            _ => 0,
        }
    }

    /// Starts following a topic (and then one of its subscriptions): loads its tenant and
    /// namespace, then selects it.
    pub(super) fn jump_to(&mut self, topic: TopicName, subscription: Option<String>, ctx: &mut Ctx) -> Vec<Request> {
        self.jump = Some(topic);
        self.jump_subscription = subscription;
        self.advance_jump(ctx)
    }

    /// A request failed for another reason than the broker's absence: a jump stops there.
    pub(super) fn cancel_jump(&mut self) {
        self.jump = None;
        self.jump_subscription = None;
    }

    /// One step of a pending jump: load what is missing on the way, select when there.
    fn advance_jump(&mut self, ctx: &mut Ctx) -> Vec<Request> {
        let Some(topic) = self.jump.clone() else {
            return Vec::new();
        };
        let steps = [
            NodeKey::Tenant(topic.tenant.clone()),
            NodeKey::Namespace(topic.namespace_path()),
            NodeKey::Topic(topic.parent()),
        ];
        if self.tree.roots_load != tree::Load::Loaded {
            return Vec::new(); // tenants are on their way
        }
        for (i, key) in steps.iter().enumerate() {
            let Some(path) = self.tree.find(key) else {
                self.jump = None;
                ctx.error(format!("cannot jump: {} not found", describe_key(key)));
                return Vec::new();
            };
            if i == steps.len() - 1 {
                self.tree.set_filter("");
                self.tree.reveal(key);
                self.tree.select_key(key);
                let Some(sub) = self.jump_subscription.clone() else {
                    self.jump = None;
                    return Vec::new();
                };
                // then its subscriptions, to select the one asked for
                match self.tree.node(&path).map(|n| n.load.clone()) {
                    Some(tree::Load::Loading) => return Vec::new(),
                    Some(tree::Load::Loaded) => {
                        self.cancel_jump();
                        let sub_key = NodeKey::Subscription(topic.parent(), sub.clone());
                        if self.tree.find(&sub_key).is_some() {
                            self.tree.reveal(&sub_key);
                            self.tree.select_key(&sub_key);
                        } else {
                            ctx.error(format!("no subscription {sub} on {}", topic.parent()));
                        }
                        return Vec::new();
                    }
                    _ => {
                        return match self.tree.expand_selected() {
                            Some(kind) => vec![ctx.request(kind)],
                            None => Vec::new(),
                        };
                    }
                }
            }
            let Some(node) = self.tree.node(&path) else {
                return Vec::new();
            };
            match node.load {
                tree::Load::Loaded => continue,
                tree::Load::Loading => return Vec::new(),
                _ => {
                    self.tree.reveal(key);
                    self.tree.select_key(key);
                    return match self.tree.expand_selected() {
                        Some(kind) => vec![ctx.request(kind)],
                        None => Vec::new(),
                    };
                }
            }
        }
        Vec::new()
    }

    /// The answers of the tree's lists and of the details pane.
    pub(super) fn on_response(&mut self, id: RequestId, kind: ExplorerResponse, ctx: &mut Ctx) -> Vec<Request> {
        match kind {
            ExplorerResponse::TenantsListed { tenants } => self.tree.set_tenants(&tenants),
            ExplorerResponse::NamespacesListed { tenant, namespaces } => self.tree.set_namespaces(&tenant, &namespaces),
            ExplorerResponse::TopicsListed { namespace, topics } => self.tree.set_topics(&namespace, topics),
            ExplorerResponse::SubscriptionsListed { topic, subscriptions } => {
                self.tree.set_subscriptions(&topic, &subscriptions)
            }
            ExplorerResponse::TopicStatsFetched { stats, .. } if self.details.request == Some(id) => {
                self.details.stats = Some(*stats);
                self.details.error = None;
                self.details.fetched_at = Some(ctx.now);
            }
            ExplorerResponse::TenantInfoFetched { info, .. } if self.details.request == Some(id) => {
                self.details.tenant = Some(info);
                self.details.error = None;
                self.details.fetched_at = Some(ctx.now);
            }
            _ => {}
        }
        self.settle(ctx)
    }

    /// After an answer: a jump goes one step further, the details follow the selection.
    pub(super) fn settle(&mut self, ctx: &mut Ctx) -> Vec<Request> {
        let mut out = self.advance_jump(ctx);
        out.extend(self.sync_details(ctx));
        out
    }

    /// A list of the tree or a fetch of the details pane failed.
    pub(super) fn on_failure(&mut self, id: RequestId, request: ExplorerRequest, error: &ClientError, now: Instant) {
        match request {
            ExplorerRequest::ListTenants => self.tree.set_tenants_failed(error.to_string()),
            ExplorerRequest::ListNamespaces { tenant } => {
                self.tree.set_failed(&NodeKey::Tenant(tenant), error.to_string())
            }
            ExplorerRequest::ListTopics { namespace } => {
                self.tree.set_failed(&NodeKey::Namespace(namespace), error.to_string())
            }
            ExplorerRequest::ListSubscriptions { topic } => {
                self.tree.set_failed(&NodeKey::Topic(topic), error.to_string())
            }
            ExplorerRequest::FetchTopicStats { .. } | ExplorerRequest::FetchTenantInfo { .. }
                if self.details.request == Some(id) =>
            {
                self.details.error = Some(error.to_string());
                self.details.fetched_at = Some(now);
            }
            _ => {}
        }
    }

    /// While connected: the details pane re-reads what it shows once it is stale.
    pub(super) fn tick(&mut self, refresh: Duration, ctx: &mut Ctx) -> Option<Request> {
        let in_flight = self.details.request.is_some_and(|id| ctx.requests.is_pending(id));
        let stale = self.details.fetched_at.map(|t| ctx.now.duration_since(t) >= refresh).unwrap_or(false);
        if stale && !in_flight {
            return self.details_request(ctx);
        }
        None
    }
}

impl App {
    /// The explorer and what it may use of the app for one call.
    pub(super) fn explorer_ctx(&mut self) -> (&mut Explorer, Ctx<'_>) {
        (&mut self.explorer, Ctx { requests: &mut self.requests, status: &mut self.status, now: self.now })
    }

    pub(super) fn explorer_update(&mut self, action: Action) -> Vec<Request> {
        let page = self.page_rows.max(1) as isize;
        let (explorer, mut ctx) =
            (&mut self.explorer, Ctx { requests: &mut self.requests, status: &mut self.status, now: self.now });
        let next = explorer.update(action, &mut self.focus, page, &mut ctx);
        self.carry_out(next, super::View::Explorer)
    }

    /// The details pane follows the tree's selection.
    pub(super) fn sync_details(&mut self) -> Vec<Request> {
        let (e, mut ctx) = self.explorer_ctx();
        e.sync_details(&mut ctx)
    }

    /// Starts following a topic: loads its tenant and namespace, then selects it.
    pub fn jump_to(&mut self, topic: TopicName) -> Vec<Request> {
        let (e, mut ctx) = self.explorer_ctx();
        e.jump_to(topic, None, &mut ctx)
    }

    /// After an answer: a jump goes one step further, the details follow the selection.
    pub(super) fn explorer_settle(&mut self) -> Vec<Request> {
        let (e, mut ctx) = self.explorer_ctx();
        e.settle(&mut ctx)
    }

    /// Keys while the tree filter is typed: the tree follows every keystroke; Enter on a
    /// full topic name jumps to it.
    pub(super) fn explorer_filter_key(&mut self, k: &KeyEvent) -> Vec<Request> {
        let Mode::Filter { input } = &mut self.mode else { return Vec::new() };
        let tree = &mut self.explorer.tree;
        match input.key(k) {
            Edit::Cancel => {
                self.mode = Mode::Normal;
                tree.set_filter("");
            }
            Edit::Submit => {
                let text = input.trimmed();
                self.mode = Mode::Normal;
                if text.contains("://") {
                    tree.set_filter("");
                    return match TopicName::parse(&text) {
                        Ok(t) => {
                            let reqs = self.jump_to(t);
                            reqs.into_iter().chain(self.sync_details()).collect()
                        }
                        Err(e) => {
                            self.set_status(Level::Error, e.to_string());
                            Vec::new()
                        }
                    };
                }
            }
            Edit::Changed => {
                let f = input.to_string();
                tree.set_filter(&f);
            }
            Edit::Interrupt => {} // Ctrl+C: App::on_key
            Edit::Ignored => match k.code {
                KeyCode::Down => tree.move_by(1),
                KeyCode::Up => tree.move_by(-1),
                _ => {}
            },
        }
        self.sync_details()
    }
}

/// The topic whose stats a node shows.
fn stats_topic(key: Option<&NodeKey>) -> Option<&TopicName> {
    match key? {
        NodeKey::Topic(t) | NodeKey::Partition(t) | NodeKey::Subscription(t, _) => Some(t),
        _ => None,
    }
}

fn describe_key(key: &NodeKey) -> String {
    match key {
        NodeKey::Tenant(t) => format!("tenant {t}"),
        NodeKey::Namespace(n) => format!("namespace {n}"),
        NodeKey::Topic(t) | NodeKey::Partition(t) => format!("topic {t}"),
        NodeKey::Subscription(t, s) => format!("subscription {s} of {t}"),
    }
}
