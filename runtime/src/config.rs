//! Static function configuration: what codegen reads from an event file at build time.

use serde::Serialize;

/// Event name Inngest emits when a run fails for good; functions triggered by it are
/// failure handlers.
pub const FUNCTION_FAILED_EVENT: &str = "inngest/function.failed";

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
