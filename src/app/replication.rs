//! Geo-replication in the explorer: the replicators of the topic the details pane shows
//! (asked again each time the details' stats arrive with a `replication` map, so they
//! refresh with them), `V`: the replication check of that topic against the other cluster,
//! `X`: the same topic in the other cluster's context.
//!
//! "The other cluster" is a context of the config: the one named like a remote cluster of
//! the topic's replicators, else the only other context.

use super::keys::Action;
use super::{Level, View};
use crate::pulsar::replication::{CheckReport, ReplicationRequest, ReplicationResponse, ReplicationStatus};
use crate::pulsar::request::{ExplorerResponse, Request, RequestId, RequestKind};
use crate::pulsar::{ClientError, ClusterTarget, TopicName};

/// The replication check of a topic, as the details pane shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    Running { topic: TopicName, remote_context: String },
    Done { topic: TopicName, remote_context: String, report: Box<CheckReport> },
    Failed { topic: TopicName, remote_context: String, error: String },
}

impl Check {
    pub fn topic(&self) -> &TopicName {
        match self {
            Check::Running { topic, .. } | Check::Done { topic, .. } | Check::Failed { topic, .. } => topic,
        }
    }
}

#[derive(Debug, Default)]
pub struct ReplicationView {
    /// The replicators of the topic the details pane shows.
    pub status: Option<(TopicName, ReplicationStatus)>,
    /// The last replication check (of any topic: the pane shows it with its topic).
    pub check: Option<Check>,
    fetching: Option<RequestId>,
    checking: Option<RequestId>,
    /// The topic to select once the context switch `X` asked for is done.
    pub(super) reopen: Option<TopicName>,
}

impl ReplicationView {
    /// The status when it is of `topic`.
    pub fn status_of(&self, topic: &TopicName) -> Option<&ReplicationStatus> {
        self.status.as_ref().filter(|(t, _)| t == topic).map(|(_, s)| s)
    }

    /// The remote clusters the replicators of `topic` send to.
    fn remotes(&self, topic: &TopicName) -> Vec<String> {
        self.status_of(topic).map(|s| s.rows.iter().map(|r| r.remote.clone()).collect()).unwrap_or_default()
    }
}

/// The context of the other cluster: named like one of `remotes`, else the only context that
/// is not `current`.
pub fn other_context<'a>(
    peers: &'a [(String, ClusterTarget)],
    current: Option<&str>,
    remotes: &[String],
) -> Option<&'a (String, ClusterTarget)> {
    let others: Vec<_> = peers.iter().filter(|(n, _)| Some(n.as_str()) != current).collect();
    if let Some(p) = others.iter().find(|(n, _)| remotes.contains(n)) {
        return Some(p);
    }
    match others.as_slice() {
        [only] => Some(only),
        _ => None,
    }
}

impl super::App {
    /// The details' stats arrived: their topic's replicators are asked for when it has any.
    pub(super) fn replication_follow(&mut self, kind: &ExplorerResponse) -> Vec<Request> {
        let ExplorerResponse::TopicStatsFetched { topic, stats } = kind else { return Vec::new() };
        if stats.replication.is_empty() {
            if self.replication.status.as_ref().is_some_and(|(t, _)| t == topic) {
                self.replication.status = None;
            }
            return Vec::new();
        }
        if self.replication.fetching.is_some() {
            return Vec::new();
        }
        let partitions = stats.metadata.map_or(0, |m| m.partitions);
        let r = self.request(RequestKind::Replication(ReplicationRequest::Fetch { topic: topic.clone(), partitions }));
        self.replication.fetching = Some(r.id);
        vec![r]
    }

    pub(super) fn replication_response(&mut self, id: RequestId, response: ReplicationResponse) {
        match response {
            ReplicationResponse::Fetched { topic, status } if self.replication.fetching == Some(id) => {
                self.replication.fetching = None;
                self.replication.status = Some((topic, *status));
            }
            ReplicationResponse::Checked { topic, remote_context, report } if self.replication.checking == Some(id) => {
                self.replication.checking = None;
                let text = format!(
                    "replication check of {topic}: {} missing on {} ({})",
                    report.missing, report.remote_cluster, remote_context
                );
                self.replication.check = Some(Check::Done { topic, remote_context, report });
                self.set_status(Level::Info, text);
            }
            _ => {}
        }
    }

    pub(super) fn replication_failed(&mut self, id: RequestId, error: &ClientError) {
        if self.replication.fetching == Some(id) {
            self.replication.fetching = None;
        }
        if self.replication.checking == Some(id) {
            self.replication.checking = None;
            if let Some(Check::Running { topic, remote_context }) = self.replication.check.take() {
                self.replication.check = Some(Check::Failed { topic, remote_context, error: error.to_string() });
            }
        }
    }

    fn replication_peer(&mut self, topic: &TopicName, what: &str) -> Option<(String, ClusterTarget)> {
        let current = self.settings.context.as_ref().map(|(n, _)| n.as_str());
        let remotes = self.replication.remotes(topic);
        match other_context(&self.settings.peers, current, &remotes) {
            Some(p) => Some(p.clone()),
            None => {
                let known = if remotes.is_empty() { "none known yet".to_string() } else { remotes.join(", ") };
                self.set_status(
                    Level::Error,
                    format!(
                        "{what}: no context for the other cluster (remote clusters: {known}); \
                         add [contexts.NAME] named like it to the config"
                    ),
                );
                None
            }
        }
    }

    /// `X` (the same topic in the other cluster's context) and `V` (the replication check).
    pub(super) fn replication_update(&mut self, action: Action) -> Vec<Request> {
        let Some(topic) = self.explorer.current_topic().filter(|_| self.view == View::Explorer) else {
            self.set_status(Level::Error, "select a topic first".into());
            return Vec::new();
        };
        match action {
            Action::OtherCluster => {
                let Some((name, _)) = self.replication_peer(&topic, "open in the other cluster") else {
                    return Vec::new();
                };
                self.request_context_switch(&name);
                if self.switch_to.as_deref() == Some(name.as_str()) {
                    self.replication.reopen = Some(topic);
                }
                Vec::new()
            }
            Action::CheckReplication => self.check_replication(topic),
            _ => Vec::new(),
        }
    }

    /// Starts the replication check of `topic` against the other cluster (one at a time).
    pub(crate) fn check_replication(&mut self, topic: TopicName) -> Vec<Request> {
        let Some((name, target)) = self.replication_peer(&topic, "replication check") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if let Some(id) = self.replication.checking.take() {
            out.push(self.cancel(id));
        }
        let r = self.request(RequestKind::Replication(ReplicationRequest::Check {
            topic: topic.clone(),
            remote: Box::new(target),
            remote_context: name.clone(),
        }));
        self.replication.checking = Some(r.id);
        self.set_status(Level::Info, format!("checking the replication of {topic} against {name}…"));
        self.replication.check = Some(Check::Running { topic, remote_context: name });
        out.push(r);
        out
    }
}
