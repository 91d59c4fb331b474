//! What a controller may use of the app during one call: request ids, the status line and
//! the time of the event. Controllers own their state; [`App`](super::App) lends them this.

use std::time::Instant;

use super::pending::Requests;
use super::{Level, StatusMessage};
use crate::pulsar::request::{Request, RequestId, RequestKind};

pub(crate) struct Ctx<'a> {
    pub requests: &'a mut Requests,
    pub status: &'a mut Option<StatusMessage>,
    pub now: Instant,
}

impl Ctx<'_> {
    /// A new request (its id and tag kept in flight).
    pub fn request(&mut self, kind: RequestKind) -> Request {
        self.requests.request(kind)
    }

    /// Cancels a request in flight (answers to it are dropped from now on).
    pub fn cancel(&mut self, id: RequestId) -> Request {
        self.requests.cancel(id)
    }

    /// An error in the status line.
    pub fn error(&mut self, text: String) {
        *self.status = Some(StatusMessage { text, level: Level::Error, at: self.now });
    }
}
