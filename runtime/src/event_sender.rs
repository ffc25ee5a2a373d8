//! Where `step.send_event` sends events when a function runs under Inngest.

use futures_util::future::BoxFuture;
use serde_json::Value;

use crate::{Event, Result};

/// Sends events to an Inngest event API and returns their ids.
///
/// The server implements it over HTTP (`POST <event origin>/e/<key>`); an embedded engine
/// can store the events directly.
pub trait EventSender: Send + Sync {
    /// Sends `events` in one request.
    fn send(&self, events: Vec<Event<Value>>) -> BoxFuture<'static, Result<Vec<String>>>;
}
