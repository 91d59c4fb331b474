//! The views: what fills the screen below the header, which keymap section serves
//! each, and the topic each one is looking at.

use super::keys::KeyContext;
use super::{App, Focus};
use crate::pulsar::TopicName;

/// What fills the screen below the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Explorer,
    Browser,
    Metrics,
    Schema,
    /// The DLQ and RETRY topics of a namespace.
    Dlq,
    /// What is wrong right now, across the cluster.
    Health,
    /// Transactions: coordinators, open and slow transactions, what they hold back.
    Txn,
    /// The policies of a namespace or topic, and capacity.
    Policies,
}

impl App {
    pub fn key_context(&self) -> KeyContext {
        match (self.view, self.focus) {
            (View::Browser, _) => KeyContext::Browser,
            (View::Metrics, _) => KeyContext::Metrics,
            (View::Schema, _) => KeyContext::Schema,
            (View::Dlq, _) => KeyContext::Dlq,
            (View::Health, _) => KeyContext::Health,
            (View::Txn, _) => KeyContext::Txn,
            (View::Policies, _) => KeyContext::Policies,
            (_, Focus::Explorer) => KeyContext::Explorer,
            (_, Focus::Details) => KeyContext::Details,
        }
    }

    /// The topic the user is looking at, in any view (the DLQ view: the selected letter's).
    pub fn current_topic(&self) -> Option<TopicName> {
        match self.view {
            View::Browser => self.browser.as_ref().map(|b| b.topic.clone()),
            View::Metrics => self.metrics.selected_topic().and_then(|t| TopicName::parse(t).ok()),
            View::Schema => self.schema.as_ref().map(|s| s.topic.clone()),
            View::Dlq => self.dlq.as_ref().and_then(|d| d.letters.get(d.selected)).map(|l| l.letter.topic.clone()),
            View::Explorer => self.explorer.current_topic(),
            View::Health => self.health.selected_topic(),
            View::Txn => self.txn.selected_topic(),
            View::Policies => match &self.policies.target {
                Some(crate::policies::Target::Topic(t)) => Some(t.clone()),
                _ => None,
            },
        }
    }
}
