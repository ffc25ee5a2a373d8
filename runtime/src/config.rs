//! Static function configuration: what codegen reads from an event file at build time.

use std::time::Duration;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::time_string::format_time_string;

/// Event name Inngest emits when a run fails for good; functions triggered by it are
/// failure handlers.
pub const FUNCTION_FAILED_EVENT: &str = "inngest/function.failed";

/// Event name Inngest emits when a run is cancelled, by `cancel_on` or otherwise.
pub const FUNCTION_CANCELLED_EVENT: &str = "inngest/function.cancelled";

/// What a function's id gets to name its own failure handler: `<id>-failure`.
pub const FAILURE_SUFFIX: &str = "-failure";

/// How many times a function's own failure handler is retried, as the JS SDK registers it.
pub const FAILURE_HANDLER_RETRIES: u32 = 1;

/// Event name Inngest uses for runs started by a cron trigger.
pub const SCHEDULED_TIMER_EVENT: &str = "inngest/scheduled.timer";

/// Event name Inngest uses for runs started by `step.invoke` from another function.
pub const FUNCTION_INVOKED_EVENT: &str = "inngest/function.invoked";

/// The configuration of one function, written as a `const` in its event file.
///
/// Every field must be a literal (or `..Config::DEFAULT`), because codegen reads it from the
/// source at build time and copies it into the generated registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Function id, unique in the app: lowercase letters, digits and single hyphens.
    pub id: &'static str,
    /// Display name; the id is shown when it is empty.
    pub name: &'static str,
    /// What starts a run: one or more events or cron schedules.
    pub triggers: &'static [Trigger],
    /// How many times a failed step or run is retried; `None` means Inngest's default.
    pub retries: Option<u32>,
    /// How many runs of this function may execute at once.
    pub concurrency: Option<Concurrency>,
    /// Events that end the function's unfinished runs: Inngest's `cancelOn`.
    pub cancel_on: &'static [Cancel],
}

impl Config {
    /// Inngest's retry count when a function sets none (four retries, five attempts).
    pub const DEFAULT_RETRIES: u32 = 4;

    /// The base for struct update syntax: `Config { id: "x", ..Config::DEFAULT }`.
    pub const DEFAULT: Config = Config {
        id: "",
        name: "",
        triggers: &[],
        retries: None,
        concurrency: None,
        cancel_on: &[],
    };

    /// The name to show for this function: its display name, or its id when that is empty.
    pub fn display_name(&self) -> &'static str {
        if self.name.is_empty() {
            self.id
        } else {
            self.name
        }
    }

    /// The number of retries that applies, with Inngest's default filled in.
    pub fn effective_retries(&self) -> u32 {
        self.retries.unwrap_or(Self::DEFAULT_RETRIES)
    }

    /// Whether this function handles `inngest/function.failed` events.
    pub fn is_failure_handler(&self) -> bool {
        self.triggers
            .iter()
            .any(|trigger| trigger.event_name() == Some(FUNCTION_FAILED_EVENT))
    }
}

/// One thing that starts a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Trigger {
    /// An event by name, optionally filtered by a CEL expression over `event`.
    Event {
        /// Event name, such as `auth/user.signed-up`; may end in a `/*` or `.*` wildcard.
        event: &'static str,
        /// CEL expression that must hold for the event to start a run.
        #[serde(rename = "if", skip_serializing_if = "Option::is_none")]
        expression: Option<&'static str>,
    },
    /// A cron schedule: five fields, optionally prefixed with `TZ=Zone/Name `.
    Cron {
        /// The schedule exactly as written.
        cron: &'static str,
    },
}

impl Trigger {
    /// A trigger on every event with this name.
    pub const fn event(name: &'static str) -> Trigger {
        Trigger::Event {
            event: name,
            expression: None,
        }
    }

    /// A trigger on events with this name for which the CEL expression holds.
    pub const fn event_if(name: &'static str, expression: &'static str) -> Trigger {
        Trigger::Event {
            event: name,
            expression: Some(expression),
        }
    }

    /// A trigger on a cron schedule, such as `0 9 * * *` or `TZ=Europe/Paris 0 9 * * *`.
    pub const fn cron(schedule: &'static str) -> Trigger {
        Trigger::Cron { cron: schedule }
    }

    /// The event name, for event triggers.
    pub fn event_name(&self) -> Option<&'static str> {
        match self {
            Trigger::Event { event, .. } => Some(event),
            Trigger::Cron { .. } => None,
        }
    }
}

/// An event that cancels the unfinished runs of a function: one entry of Inngest's
/// `cancelOn`.
///
/// A later event with this name ends every queued, sleeping or waiting run of the function
/// for which the `if` expression holds, with `event` bound to the run's triggering event and
/// `async` to the cancelling one. With a timeout, only runs started at most that long ago are
/// cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancel {
    /// The exact name of the cancelling event.
    pub event: &'static str,
    /// CEL expression over `event` and `async` that must hold for the run to be cancelled.
    pub expression: Option<&'static str>,
    /// How long after a run starts it may still be cancelled; `None` means for its whole life.
    pub timeout: Option<Duration>,
}

impl Cancel {
    /// Cancels on every event with this name.
    pub const fn event(name: &'static str) -> Cancel {
        Cancel {
            event: name,
            expression: None,
            timeout: None,
        }
    }

    /// Cancels on events with this name for which the CEL expression holds, such as
    /// `async.data.order_id == event.data.order_id`.
    pub const fn event_if(name: &'static str, expression: &'static str) -> Cancel {
        Cancel {
            event: name,
            expression: Some(expression),
            timeout: None,
        }
    }

    /// The same cancellation, for runs started at most `within` ago.
    pub const fn timeout(self, within: Duration) -> Cancel {
        Cancel {
            timeout: Some(within),
            ..self
        }
    }
}

/// Written as Inngest's sync payload has it: `{"event", "if"?, "timeout"?}`, the timeout as
/// a time string.
impl Serialize for Cancel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields =
            1 + usize::from(self.expression.is_some()) + usize::from(self.timeout.is_some());
        let mut map = serializer.serialize_map(Some(fields))?;
        map.serialize_entry("event", self.event)?;
        if let Some(expression) = self.expression {
            map.serialize_entry("if", expression)?;
        }
        if let Some(timeout) = self.timeout {
            map.serialize_entry("timeout", &format_time_string(timeout))?;
        }
        map.end()
    }
}

/// A limit on how many runs execute at once, optionally per value of a key expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Concurrency {
    /// The most runs that may be active at once.
    pub limit: u32,
    /// CEL expression over `event`; runs with equal keys share the limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<&'static str>,
}

impl Concurrency {
    /// At most `limit` runs of the function at once.
    pub const fn limit(limit: u32) -> Concurrency {
        Concurrency { limit, key: None }
    }

    /// At most `limit` runs at once for each value of `key`.
    pub const fn keyed(limit: u32, key: &'static str) -> Concurrency {
        Concurrency {
            limit,
            key: Some(key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serializes_triggers_in_the_documented_shape() {
        let triggers = [
            Trigger::event("a/b"),
            Trigger::event_if("a/c", "event.data.x > 1"),
            Trigger::cron("TZ=Europe/Paris 0 9 * * *"),
        ];

        let json = serde_json::to_value(triggers).unwrap();

        assert_eq!(
            json,
            json!([
                {"event": "a/b"},
                {"event": "a/c", "if": "event.data.x > 1"},
                {"cron": "TZ=Europe/Paris 0 9 * * *"}
            ])
        );
    }

    #[test]
    fn serializes_cancellations_as_the_sync_payload_has_them() {
        let cancels = [
            Cancel::event("a/cancelled"),
            Cancel::event_if("a/cancelled", "async.data.id == event.data.id")
                .timeout(Duration::from_secs(90 * 60)),
        ];

        let json = serde_json::to_value(cancels).unwrap();

        assert_eq!(
            json,
            json!([
                {"event": "a/cancelled"},
                {"event": "a/cancelled", "if": "async.data.id == event.data.id", "timeout": "1h30m"}
            ])
        );
    }

    #[test]
    fn falls_back_to_id_and_default_retries() {
        let config = Config {
            id: "x",
            ..Config::DEFAULT
        };

        assert_eq!(config.display_name(), "x");
        assert_eq!(config.effective_retries(), 4);
        assert!(!config.is_failure_handler());
    }

    #[test]
    fn recognises_failure_handlers() {
        const CONFIG: Config = Config {
            id: "on-failure",
            triggers: &[Trigger::event(FUNCTION_FAILED_EVENT)],
            ..Config::DEFAULT
        };

        assert!(CONFIG.is_failure_handler());
    }
}
