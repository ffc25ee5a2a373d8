//! What codegen learns about each event file.

use std::fmt;
use std::path::PathBuf;

use crate::diagnostic::Span;

/// The event that failure handlers are triggered by.
pub const FUNCTION_FAILED_EVENT: &str = "inngest/function.failed";

/// What a function's id gets to name its own failure handler, `<id>-failure`.
pub const FAILURE_SUFFIX: &str = "-failure";

/// One function found in an event file, with every `Config` field codegen read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSpec {
    /// Root-relative path of the event file, with `/` separators.
    pub source: String,
    /// Real (canonical) path of the event file, used only for reading and rerun triggers.
    pub path: PathBuf,
    /// Folder path between the pattern's base and its trailing folders, such as `auth`.
    pub feature: String,
    /// Name of the generated module for the file.
    pub module: String,
    /// Name of the unit struct that implements `Function`.
    pub type_name: String,
    /// Function id.
    pub id: String,
    /// Display name, possibly empty.
    pub name: String,
    /// Triggers in source order.
    pub triggers: Vec<Trigger>,
    /// Declared retries; `None` leaves Inngest's default.
    pub retries: Option<u32>,
    /// Declared concurrency limit.
    pub concurrency: Option<Concurrency>,
    /// Events that cancel the function's unfinished runs, in source order.
    pub cancel_on: Vec<Cancel>,
    /// Whether the function declares its own failure handler, `on_failure`.
    pub on_failure: bool,
    /// Where the id is written, for diagnostics.
    pub id_span: Span,
}

impl FunctionSpec {
    /// Whether the function handles `inngest/function.failed`.
    pub fn is_failure_handler(&self) -> bool {
        self.triggers.iter().any(|trigger| {
            matches!(trigger, Trigger::Event { event, .. } if event == FUNCTION_FAILED_EVENT)
        })
    }

    /// The id of the function's own failure handler, `<id>-failure`, when it declares one.
    pub fn failure_id(&self) -> Option<String> {
        self.on_failure
            .then(|| format!("{}{FAILURE_SUFFIX}", self.id))
    }

    /// The key that orders the registry: failure handlers first, then feature, then file.
    pub(crate) fn order_key(&self) -> (bool, &str, &str) {
        (!self.is_failure_handler(), &self.feature, &self.source)
    }
}

/// A trigger as written in an event file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// An event name with an optional CEL expression.
    Event {
        /// The event name.
        event: String,
        /// The `if` expression.
        expression: Option<String>,
    },
    /// A cron schedule.
    Cron {
        /// The schedule as written, with its optional `TZ=` prefix.
        cron: String,
    },
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::Event {
                event,
                expression: None,
            } => write!(f, "event {event}"),
            Trigger::Event {
                event,
                expression: Some(expression),
            } => write!(f, "event {event} if {expression}"),
            Trigger::Cron { cron } => write!(f, "cron {cron}"),
        }
    }
}

/// A concurrency limit as written in an event file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concurrency {
    /// The most runs at once.
    pub limit: u32,
    /// Optional key expression; runs with equal keys share the limit.
    pub key: Option<String>,
}

impl fmt::Display for Concurrency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(key) => write!(f, "{} per {key}", self.limit),
            None => write!(f, "{}", self.limit),
        }
    }
}

/// An event that cancels a function's unfinished runs, as written in an event file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancel {
    /// The exact event name.
    pub event: String,
    /// The `if` expression over `event` and `async`.
    pub expression: Option<String>,
    /// How long after a run starts it may be cancelled, in milliseconds.
    pub timeout_ms: Option<u64>,
}

impl fmt::Display for Cancel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "event {}", self.event)?;
        if let Some(expression) = &self.expression {
            write!(f, " if {expression}")?;
        }
        if let Some(timeout) = self.timeout_ms {
            write!(f, " within {}", time_string(timeout))?;
        }
        Ok(())
    }
}

/// Milliseconds as an Inngest time string, largest units first: `1h30m`, `2w`, `1500ms`
/// as `1s500ms`.
pub(crate) fn time_string(millis: u64) -> String {
    const UNITS: [(&str, u64); 6] = [
        ("w", 604_800_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ];
    if millis == 0 {
        return "0s".to_owned();
    }

    let mut remaining = millis;
    let mut text = String::new();
    for (unit, size) in UNITS {
        if remaining >= size {
            text.push_str(&format!("{}{unit}", remaining / size));
            remaining %= size;
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_time_strings_with_the_largest_units_first() {
        let cases = [
            (0, "0s"),
            (1_500, "1s500ms"),
            (5_400_000, "1h30m"),
            (86_400_000, "1d"),
            (1_209_600_000, "2w"),
        ];

        for (millis, expected) in cases {
            assert_eq!(time_string(millis), expected, "{millis} ms");
        }
    }

    #[test]
    fn describes_a_cancellation_in_one_line() {
        let cancel = Cancel {
            event: "booking/booking.cancelled".to_owned(),
            expression: Some("async.data.id == event.data.id".to_owned()),
            timeout_ms: Some(3_600_000),
        };

        assert_eq!(
            cancel.to_string(),
            "event booking/booking.cancelled if async.data.id == event.data.id within 1h"
        );
    }
}
