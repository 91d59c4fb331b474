//! What a view's action asks of the app beyond its own state ([`Next`]), and how the
//! app carries it out: switching view, opening a prompt, a dialog or the browser.

use super::{dlq, App, Focus, Level, Mode, View};
use crate::pulsar::request::Request;
use crate::pulsar::TopicName;

/// What an action did to a view that owns its state, for [`App`] to carry out.
pub(crate) enum Next {
    /// The view stays, with these requests.
    Stay(Vec<Request>),
    /// Back to the view it was opened from.
    Leave,
    /// Select a topic in the explorer (loading what is missing on the way).
    Explore(TopicName),
    /// Open a prompt.
    Prompt(Mode),
    /// Browse a topic from its earliest message.
    Browse(TopicName),
    /// The requeue dialog for every message of a DLQ.
    RequeueAll(TopicName),
    /// Select a subscription in the explorer (loading what is missing on the way).
    ExploreSubscription(TopicName, String),
    /// The metrics view, filtered to one topic (or not).
    Metrics(Option<String>),
    /// The write-action dialog of what the explorer has selected.
    Actions,
    /// Browse a topic (again) from `start`; `partitions` is what the browser learnt of
    /// the topic's partition count.
    Reopen { topic: TopicName, start: crate::pulsar::message::StartFrom, partitions: Option<u32> },
    /// Put this text on the clipboard.
    Copy(String),
}

impl App {
    /// Carries out what a view's action asked of the app; `back` is where leaving goes.
    pub(super) fn carry_out(&mut self, next: Next, back: View) -> Vec<Request> {
        match next {
            Next::Stay(out) => out,
            Next::Leave => {
                self.view = back;
                Vec::new()
            }
            Next::Explore(topic) => {
                self.view = View::Explorer;
                self.focus = Focus::Explorer;
                let mut out = self.jump_to(topic);
                out.extend(self.sync_details());
                out
            }
            Next::Prompt(mode) => {
                self.mode = mode;
                Vec::new()
            }
            Next::Browse(topic) => self.open_browser(topic, crate::pulsar::message::StartFrom::Earliest),
            Next::RequeueAll(dlq) => self.open_requeue(dlq, dlq::Scope::All, None, None),
            Next::ExploreSubscription(topic, sub) => {
                self.view = View::Explorer;
                self.focus = Focus::Explorer;
                self.jump_to_subscription(topic, sub)
            }
            Next::Metrics(filter) => {
                self.view = View::Metrics;
                self.metrics.filter = filter.unwrap_or_default();
                self.metrics.rebuild();
                Vec::new()
            }
            Next::Actions => self.open_actions(),
            Next::Reopen { topic, start, partitions } => {
                let out = self.open_browser(topic, start);
                if let (Some(b), Some(n)) = (self.browser.as_mut(), partitions) {
                    b.known_partitions = n;
                }
                out
            }
            Next::Copy(text) => {
                self.clipboard = Some(text);
                self.set_status(Level::Info, "copied the selected message (OSC 52)".into());
                Vec::new()
            }
        }
    }
}
