//! The `:` command palette and what its commands do, context switching included.
//!
//! A context switch is an effect, because a new [`crate::pulsar::Client`] cannot be built
//! inside [`App::handle`]: `:ctx NAME` only records the wish ([`App::take_context_switch`])
//! and says "switching…"; the runtime builds the client of that context off the event
//! loop (the status is drawn meanwhile), swaps it into the worker (which aborts every task
//! of the old one) and sends [`super::Event::ContextSwitched`] with the context's settings,
//! where [`App::switch_context`] resets every pane. Request ids keep counting across the
//! switch and the old context's ids leave `pending`, so a late answer of the old cluster is
//! an unknown id and dropped.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::input::Edit;
use super::palette::{self, Command, Palette};
use super::{App, Level, Mode, Settings, View};
use crate::pulsar::message::StartFrom;
use crate::pulsar::request::Request;
use crate::pulsar::TopicName;

impl App {
    /// `:` opens the palette with every command listed.
    pub fn open_palette(&mut self) {
        let mut p = Palette::default();
        p.edited(&self.settings.contexts, &[]);
        self.mode = Mode::Palette(p);
    }

    pub(super) fn palette_key(&mut self, k: &KeyEvent) -> Vec<Request> {
        let topics = self.explorer.tree.topics();
        let contexts = self.settings.contexts.clone();
        let Mode::Palette(p) = &mut self.mode else { return Vec::new() };
        match k.code {
            KeyCode::Tab | KeyCode::BackTab => {
                let backwards = k.code == KeyCode::BackTab || k.modifiers.contains(KeyModifiers::SHIFT);
                p.cycle(backwards);
                if p.chosen.is_none() {
                    p.edited(&contexts, &topics);
                }
            }
            KeyCode::Backspace if p.input.is_empty() => self.mode = Mode::Normal,
            _ => match p.input.key(k) {
                Edit::Cancel => self.mode = Mode::Normal,
                Edit::Changed => p.edited(&contexts, &topics),
                Edit::Submit => {
                    let line = p.input.to_string();
                    self.mode = Mode::Normal;
                    return self.run_command(&line);
                }
                Edit::Interrupt | Edit::Ignored => {} // Ctrl+C: App::on_key
            },
        }
        Vec::new()
    }

    /// Runs one palette line; a mistake is an error in the status bar.
    pub fn run_command(&mut self, line: &str) -> Vec<Request> {
        self.dirty = true;
        let command = match palette::parse(line) {
            Ok(c) => c,
            Err(e) => {
                self.set_status(Level::Error, e);
                return Vec::new();
            }
        };
        match command {
            Command::Quit => self.quit = true,
            Command::Metrics => {
                self.show_help = false;
                self.view = View::Metrics;
            }
            Command::Dlq if self.view == View::Dlq => {}
            Command::Dlq => return self.open_dlq(),
            Command::Health => return self.open_health(),
            Command::Txn => return self.open_txn(),
            Command::Policies(None) => return self.open_policies(None),
            Command::Policies(Some(t)) => match crate::policies::Target::parse(&t) {
                Ok(t) => return self.open_policies(Some(t)),
                Err(e) => self.set_status(Level::Error, format!(":policies {e}")),
            },
            Command::Replication(name) => {
                let topic = match name.as_deref().map(TopicName::parse) {
                    Some(Ok(t)) => Some(t),
                    Some(Err(e)) => {
                        self.set_status(Level::Error, format!(":replication {e}"));
                        return Vec::new();
                    }
                    None => self.explorer.current_topic(),
                };
                match topic {
                    Some(t) => return self.check_replication(t),
                    None => self.set_status(Level::Error, ":replication: select a topic or name one".into()),
                }
            }
            Command::Topic(name) => match TopicName::parse(&name) {
                Ok(t) => return self.open_topic(t),
                Err(e) => self.set_status(Level::Error, format!(":topic {name}: {e}")),
            },
            Command::Ctx(name) => self.request_context_switch(&name),
        }
        Vec::new()
    }

    /// Opens a topic in the browser and selects it in the explorer behind it.
    pub fn open_topic(&mut self, topic: TopicName) -> Vec<Request> {
        self.focus = super::Focus::Explorer;
        let mut out = self.jump_to(topic.clone());
        out.extend(self.sync_details());
        out.extend(self.open_browser(topic, StartFrom::Earliest));
        out
    }

    /// Selects a subscription in the explorer (`--subscription`): its topic is loaded on
    /// the way, then its subscriptions.
    pub fn jump_to_subscription(&mut self, topic: TopicName, subscription: String) -> Vec<Request> {
        let (e, mut ctx) = self.explorer_ctx();
        let mut out = e.jump_to(topic, Some(subscription), &mut ctx);
        out.extend(self.sync_details());
        out
    }

    /// True while a requeue is moving messages: it must never be cut short.
    pub fn requeue_running(&self) -> bool {
        self.requests.requeue_running()
    }

    pub(super) fn request_context_switch(&mut self, name: &str) {
        if !self.settings.contexts.iter().any(|c| c == name) {
            let known = if self.settings.contexts.is_empty() {
                "the config defines no [contexts.NAME]".to_string()
            } else {
                format!("known: {}", self.settings.contexts.join(", "))
            };
            self.set_status(Level::Error, format!(":ctx {name}: no such context ({known})"));
            return;
        }
        if self.requeue_running() {
            self.set_status(
                Level::Error,
                format!("a requeue is running: let it finish (or stop it with Esc) before switching to {name}"),
            );
            return;
        }
        self.switch_to = Some(name.to_string());
        self.set_status(Level::Info, format!("switching to context {name}…"));
    }

    /// The context switch asked for, once (the runtime carries it out).
    pub fn take_context_switch(&mut self) -> Option<String> {
        let name = self.switch_to.take();
        if name.is_some() {
            self.switching = name.clone();
        }
        name
    }

    /// The runtime could not switch (bad context, client error): say so, stay where we are.
    pub fn context_switch_failed(&mut self, name: &str, error: &str) {
        self.dirty = true;
        self.switching = None;
        self.set_status(Level::Error, format!("cannot switch to context {name}: {error}"));
    }

    /// The new context is live: every pane starts over on its cluster. Returns the first
    /// requests of the new context.
    pub fn switch_context(&mut self, settings: Settings) -> Vec<Request> {
        let name = settings.context.as_ref().map(|(n, _)| n.clone()).unwrap_or_default();
        let fresh = App::new(settings, self.now);
        let mut old = std::mem::replace(self, fresh);
        // `X`: the topic seen on the other cluster is selected there
        let reopen = old.replication.reopen.take();
        // what belongs to the user or the terminal, not to the cluster, stays
        self.keymap = old.keymap;
        self.page_rows = old.page_rows;
        self.wall_ms = old.wall_ms;
        self.wall_anchor = old.wall_anchor;
        // ids keep counting: an answer to an old id is unknown to `pending`, so dropped
        self.requests = old.requests;
        self.requests.forget_all();
        self.generation = old.generation + 1;
        self.set_status(Level::Info, format!("switched to context {name}"));
        let mut out = self.start();
        if let Some(topic) = reopen {
            out.extend(self.jump_to(topic));
        }
        out
    }
}
