//! Concurrency slots: which queue items are being called right now, and how many calls of
//! each function, and of each concurrency key, are in flight.
//!
//! As in Inngest, a limit counts calls that are executing code, not runs in progress: a run
//! that sleeps, waits for an event or waits for an invoked function holds no slot, and
//! each parallel step call holds one. A slot is taken when a due call is claimed and given
//! back when its [`Lease`] is dropped, after the call's outcome is stored (or when the call
//! is abandoned, so the item can be claimed again).
//!
//! Slots live in memory only: after a crash no call is in flight, and every item still in
//! the queue is claimed again.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

/// A concurrency limit as it applies to one call: at most `limit` calls at once of the
/// function, or of the function's runs that share `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    /// The most calls allowed in flight at once.
    pub limit: u32,
    /// The evaluated key, for keyed limits.
    pub key: Option<String>,
}

/// What is in flight; shared by every driver of one engine.
#[derive(Debug, Default)]
pub struct Slots {
    items: HashSet<i64>,
    functions: HashMap<&'static str, u32>,
    keys: HashMap<(&'static str, String), u32>,
    run_keys: HashMap<String, String>,
}

/// Slots behind a lock, with a signal for drivers waiting for one to free up.
#[derive(Debug, Default)]
pub struct SharedSlots {
    slots: Mutex<Slots>,
    freed: Arc<Notify>,
}

/// One claimed queue item's slot; dropping it gives the slot back.
#[derive(Debug)]
pub struct Lease {
    shared: Arc<SharedSlots>,
    item: i64,
    /// The function (and key) the call counts against, for limited functions.
    counted: Option<(&'static str, Option<String>)>,
}

impl SharedSlots {
    /// Empty slots whose releases notify `freed`.
    pub fn new(freed: Arc<Notify>) -> SharedSlots {
        SharedSlots {
            slots: Mutex::new(Slots::default()),
            freed,
        }
    }

    /// Whether the queue item is being called right now.
    pub fn is_leased(&self, item: i64) -> bool {
        self.lock().items.contains(&item)
    }

    /// Takes a slot for the queue item if its function's limit allows one more call;
    /// `None` leaves the item queued for later. Calls without a limit (or with a limit of
    /// zero, which means none) are only marked as in flight.
    pub fn acquire(
        self: &Arc<Self>,
        item: i64,
        function: &'static str,
        limit: Option<Limit>,
    ) -> Option<Lease> {
        let mut slots = self.lock();
        if slots.items.contains(&item) {
            return None;
        }
        let counted = match limit {
            Some(Limit { limit, key }) if limit > 0 => {
                let busy = match &key {
                    Some(key) => slots.keys.get(&(function, key.clone())),
                    None => slots.functions.get(function),
                };
                if busy.copied().unwrap_or(0) >= limit {
                    return None;
                }
                Some((function, key))
            }
            _ => None,
        };

        slots.items.insert(item);
        match &counted {
            Some((function, Some(key))) => {
                *slots.keys.entry((function, key.clone())).or_default() += 1;
            }
            Some((function, None)) => *slots.functions.entry(function).or_default() += 1,
            None => {}
        }
        Some(Lease {
            shared: Arc::clone(self),
            item,
            counted,
        })
    }

    /// The concurrency key evaluated earlier for a run, if any.
    pub fn run_key(&self, run_id: &str) -> Option<String> {
        self.lock().run_keys.get(run_id).cloned()
    }

    /// Remembers a run's evaluated concurrency key until the run ends.
    pub fn remember_run_key(&self, run_id: &str, key: &str) {
        self.lock()
            .run_keys
            .insert(run_id.to_owned(), key.to_owned());
    }

    /// Forgets what was remembered about a run that ended.
    pub fn forget_run(&self, run_id: &str) {
        self.lock().run_keys.remove(run_id);
    }

    fn release(&self, item: i64, counted: Option<(&'static str, Option<String>)>) {
        let mut slots = self.lock();
        slots.items.remove(&item);
        match counted {
            Some((function, Some(key))) => decrement(&mut slots.keys, (function, key)),
            Some((function, None)) => decrement(&mut slots.functions, function),
            None => {}
        }
        drop(slots);
        self.freed.notify_one();
    }

    fn lock(&self) -> MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.shared.release(self.item, self.counted.take());
    }
}

fn decrement<K: std::hash::Hash + Eq>(counts: &mut HashMap<K, u32>, key: K) {
    if let Some(count) = counts.get_mut(&key) {
        *count -= 1;
        if *count == 0 {
            counts.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> Arc<SharedSlots> {
        Arc::new(SharedSlots::new(Arc::new(Notify::new())))
    }

    fn limit(limit: u32, key: Option<&str>) -> Option<Limit> {
        Some(Limit {
            limit,
            key: key.map(str::to_owned),
        })
    }

    #[test]
    fn holds_a_function_limit_until_a_lease_is_dropped() {
        let slots = shared();

        let first = slots.acquire(1, "f", limit(2, None));
        let second = slots.acquire(2, "f", limit(2, None));
        let third = slots.acquire(3, "f", limit(2, None));
        let other = slots.acquire(4, "g", limit(2, None));
        drop(first);
        let after = slots.acquire(3, "f", limit(2, None));

        assert!(second.is_some() && other.is_some());
        assert!(third.is_none(), "a third call of `f` must wait");
        assert!(after.is_some(), "a dropped lease frees its slot");
        assert!(!slots.is_leased(1) && slots.is_leased(3));
    }

    #[test]
    fn limits_each_key_on_its_own() {
        let slots = shared();

        let acme = slots.acquire(1, "f", limit(1, Some("acme")));
        let acme_again = slots.acquire(2, "f", limit(1, Some("acme")));
        let globex = slots.acquire(3, "f", limit(1, Some("globex")));

        assert!(acme.is_some() && globex.is_some());
        assert!(acme_again.is_none());
    }

    #[test]
    fn leaves_limited_functions_alone_when_counting_unlimited_calls() {
        let slots = shared();

        let handler = slots.acquire(1, "f", None);
        let limited = slots.acquire(2, "f", limit(1, None));

        assert!(handler.is_some());
        assert!(
            limited.is_some(),
            "an unlimited call holds none of the slots"
        );
    }

    #[test]
    fn never_leases_one_item_twice_and_treats_zero_as_no_limit() {
        let slots = shared();

        let first = slots.acquire(7, "f", limit(0, None));
        let twice = slots.acquire(7, "f", limit(0, None));
        let many: Vec<_> = (8..20)
            .filter_map(|item| slots.acquire(item, "f", limit(0, None)))
            .collect();

        assert!(first.is_some());
        assert!(twice.is_none());
        assert_eq!(many.len(), 12);
        assert!(slots.is_leased(7));
    }
}
