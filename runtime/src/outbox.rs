//! What functions would deliver to the outside world, recorded instead of sent.

use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

/// One message a function would send: an email, a chat post, a webhook call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Where it goes: `email`, `chat`, `sms`, ...
    pub channel: String,
    /// The recipient: an address, a webhook name, a phone number.
    pub to: String,
    /// A one-line summary (the email subject, the chat headline).
    pub subject: String,
    /// The rendered message.
    pub body: String,
}

impl Delivery {
    /// An email to `to`.
    pub fn email(
        to: impl Into<String>,
        subject: impl Into<String>,
        body: impl Into<String>,
    ) -> Self {
        Delivery {
            channel: "email".to_owned(),
            to: to.into(),
            subject: subject.into(),
            body: body.into(),
        }
    }

    /// A post to the chat webhook named `webhook`.
    pub fn chat(
        webhook: impl Into<String>,
        subject: impl Into<String>,
        body: impl Into<String>,
    ) -> Self {
        Delivery {
            channel: "chat".to_owned(),
            to: webhook.into(),
            subject: subject.into(),
            body: body.into(),
        }
    }
}

/// A shared, append-only list of deliveries that the dev setup shows instead of sending.
#[derive(Debug, Clone, Default)]
pub struct Outbox {
    entries: Arc<Mutex<Vec<Delivery>>>,
}

impl Outbox {
    /// An empty outbox.
    pub fn new() -> Outbox {
        Outbox::default()
    }

    /// Records a delivery.
    pub fn deliver(&self, delivery: Delivery) {
        self.lock().push(delivery);
    }

    /// Everything recorded so far, oldest first.
    pub fn entries(&self) -> Vec<Delivery> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Delivery>> {
        // A panic while pushing cannot leave the list half-written, so a poisoned lock is
        // still safe to use.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
