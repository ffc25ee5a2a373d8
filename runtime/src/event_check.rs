//! The check that a call's triggering event is one its function listens to.
//!
//! The official JS SDK refuses to run a function for an event that none of its triggers
//! names, so that a hand-made request cannot start a function with data of the wrong shape;
//! a function served by Switchyard answers the same way (400, not retried). The comparison
//! is the SDK's, simpler than the server's matching: a trigger ending in `*` matches every
//! name that starts with what comes before it.

use crate::{
    Config, Error, Trigger, FUNCTION_FAILED_EVENT, FUNCTION_INVOKED_EVENT, SCHEDULED_TIMER_EVENT,
};

/// The error name callers see for an event that matches no trigger.
const ERROR_NAME: &str = "EventValidationError";

/// An error when no trigger of `config` accepts an event named `name`, `None` otherwise.
///
/// Invocations by other functions are always accepted, and so are failure events, which
/// reach failure handlers whatever the handler's own triggers say.
pub(crate) fn unexpected_event(config: &Config, name: &str) -> Option<Error> {
    if name == FUNCTION_INVOKED_EVENT || name == FUNCTION_FAILED_EVENT {
        return None;
    }
    if config.triggers.iter().any(|trigger| accepts(trigger, name)) {
        return None;
    }
    let message = format!("Event not found in triggers: {name}");
    Some(Error::non_retriable(message).with_name(ERROR_NAME))
}

/// Whether one trigger accepts an event named `name`.
fn accepts(trigger: &Trigger, name: &str) -> bool {
    match trigger {
        Trigger::Cron { .. } => name == SCHEDULED_TIMER_EVENT,
        Trigger::Event { event, .. } => match event.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == *event,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: Config = Config {
        id: "welcome",
        triggers: &[
            Trigger::event("auth/user.signed-up"),
            Trigger::event_if("billing/*", "event.data.paid"),
            Trigger::cron("0 9 * * *"),
        ],
        ..Config::DEFAULT
    };

    #[test]
    fn accepts_events_named_by_a_trigger() {
        let accepted = [
            "auth/user.signed-up",
            "billing/invoice.paid",
            "billing/",
            "inngest/scheduled.timer",
            "inngest/function.invoked",
            "inngest/function.failed",
        ];

        for name in accepted {
            assert!(
                unexpected_event(&CONFIG, name).is_none(),
                "{name} is refused"
            );
        }
    }

    #[test]
    fn refuses_other_events_without_retry() {
        let refused = [
            "auth/user.signed-up.v2",
            "auth/user",
            "billing",
            "",
            "app/other",
        ];

        for name in refused {
            let error = unexpected_event(&CONFIG, name).expect("the event is refused");

            assert_eq!(error.name(), "EventValidationError", "{name}");
            assert_eq!(
                error.message(),
                format!("Event not found in triggers: {name}")
            );
            assert!(!error.is_retriable(), "{name}");
        }
    }

    #[test]
    fn scheduled_timer_needs_a_cron_trigger() {
        const EVENT_ONLY: Config = Config {
            triggers: &[Trigger::event("auth/user.signed-up")],
            ..CONFIG
        };

        assert!(unexpected_event(&EVENT_ONLY, SCHEDULED_TIMER_EVENT).is_some());
    }
}
