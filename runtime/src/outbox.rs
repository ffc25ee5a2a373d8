//! What functions would deliver to the outside world, recorded instead of sent.

use std::collections::VecDeque;
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

/// A shared list of deliveries that the dev setup shows instead of sending.
///
/// An outbox made by [`Outbox::new`] keeps everything, which suits one invocation or a test;
/// one that lives as long as a server is made by [`Outbox::keeping_last`], so that it stays
/// the same size however long the server runs.
#[derive(Debug, Clone)]
pub struct Outbox {
    inner: Arc<Mutex<Entries>>,
}

/// The deliveries and how many of them are kept.
#[derive(Debug)]
struct Entries {
    deliveries: VecDeque<Delivery>,
    limit: usize,
}

impl Default for Outbox {
    fn default() -> Outbox {
        Outbox::keeping_last(usize::MAX)
    }
}

impl Outbox {
    /// An empty outbox that keeps every delivery.
    pub fn new() -> Outbox {
        Outbox::default()
    }

    /// An empty outbox that keeps only the latest `limit` deliveries (at least one).
    pub fn keeping_last(limit: usize) -> Outbox {
        let entries = Entries {
            deliveries: VecDeque::new(),
            limit: limit.max(1),
        };
        Outbox {
            inner: Arc::new(Mutex::new(entries)),
        }
    }

    /// Records a delivery, dropping the oldest one when the outbox is full.
    pub fn deliver(&self, delivery: Delivery) {
        let mut entries = self.lock();
        if entries.deliveries.len() == entries.limit {
            entries.deliveries.pop_front();
        }
        entries.deliveries.push_back(delivery);
    }

    /// Every delivery kept, oldest first.
    pub fn entries(&self) -> Vec<Delivery> {
        self.lock().deliveries.iter().cloned().collect()
    }

    /// The latest `limit` deliveries kept, newest first.
    pub fn latest(&self, limit: usize) -> Vec<Delivery> {
        let entries = self.lock();
        entries
            .deliveries
            .iter()
            .rev()
            .take(limit)
            .cloned()
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while pushing cannot leave the list half-written, so a poisoned lock is
        // still safe to use.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(n: usize) -> Delivery {
        Delivery::email(format!("user{n}@example.com"), "hello", "hi")
    }

    #[test]
    fn keeps_every_delivery_by_default() {
        let outbox = Outbox::new();

        for n in 0..100 {
            outbox.deliver(numbered(n));
        }

        assert_eq!(outbox.entries().len(), 100);
    }

    #[test]
    fn drops_the_oldest_deliveries_past_its_limit() {
        let outbox = Outbox::keeping_last(3);

        for n in 0..5 {
            outbox.deliver(numbered(n));
        }

        let kept: Vec<String> = outbox.entries().into_iter().map(|d| d.to).collect();
        assert_eq!(
            kept,
            [
                "user2@example.com",
                "user3@example.com",
                "user4@example.com"
            ]
        );
        let latest: Vec<String> = outbox.latest(2).into_iter().map(|d| d.to).collect();
        assert_eq!(latest, ["user4@example.com", "user3@example.com"]);
    }

    #[test]
    fn shares_its_deliveries_between_clones() {
        let outbox = Outbox::keeping_last(10);
        let clone = outbox.clone();

        clone.deliver(numbered(1));

        assert_eq!(outbox.entries(), [numbered(1)]);
    }
}
