//! The connection to the broker: up, down (probed every `reconnect_interval` until it
//! answers again), and what a reconnection reloads; and the ticks that drive it all.

use std::time::{Duration, Instant};

use super::{App, Level};
use crate::pulsar::request::{ExplorerRequest, Request, RequestId, RequestKind};
use crate::pulsar::ClientError;

#[derive(Debug, Clone, PartialEq)]
pub enum Connection {
    Connecting,
    Connected,
    Down { reason: String, since: Instant },
}

impl App {
    pub(super) fn on_tick(&mut self, now: Instant) -> Vec<Request> {
        let mut out = Vec::new();
        let second_changed = now.duration_since(self.last_tick) >= Duration::from_secs(1);
        self.last_tick = now;
        self.now = self.now.max(now);
        self.wall_ms = self.wall_now();
        if second_changed {
            self.dirty = true; // ages in the status bar move
        }
        out.extend(self.metrics_tick(now));
        match &self.connection {
            Connection::Down { .. } => {
                let due = self
                    .probe
                    .map(|(_, at)| now.duration_since(at) >= self.settings.reconnect_interval)
                    .unwrap_or(true);
                if due {
                    let r = self.request(RequestKind::Explorer(ExplorerRequest::FetchClusterInfo));
                    self.probe = Some((r.id, now));
                    out.push(r);
                }
            }
            _ => {
                out.extend(self.browser_tick(now));
                let refresh = self.settings.refresh_interval;
                let (e, mut ctx) = self.explorer_ctx();
                out.extend(e.tick(refresh, &mut ctx));
            }
        }
        out
    }

    /// Any answer: the broker is reachable (again).
    pub(super) fn connected(&mut self) -> Vec<Request> {
        if matches!(self.connection, Connection::Connected) {
            return Vec::new();
        }
        let was_down = matches!(self.connection, Connection::Down { .. });
        self.connection = Connection::Connected;
        if !was_down {
            return Vec::new();
        }
        self.set_status(Level::Info, "reconnected to the broker".into());
        let kinds = self.explorer.tree.reload_requests();
        let mut out: Vec<Request> = kinds.into_iter().map(|k| self.request(k)).collect();
        self.explorer.forget_details();
        out.extend(self.sync_details());
        out.extend(self.resume_follow());
        out
    }

    /// A request failed for want of the broker: down since now, probed from the next tick.
    pub(super) fn connection_lost(&mut self, id: RequestId, error: &ClientError) {
        if !matches!(self.connection, Connection::Down { .. }) {
            self.connection = Connection::Down { reason: error.to_string(), since: self.now };
        } else if let Connection::Down { reason, .. } = &mut self.connection {
            *reason = error.to_string();
        }
        if self.probe.is_none_or(|(pid, _)| pid != id) {
            self.probe = Some((RequestId(0), self.now));
        }
    }
}
