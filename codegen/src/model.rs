//! What codegen learns about each event file.

use std::fmt;
use std::path::PathBuf;

use crate::diagnostic::Span;

/// The event that failure handlers are triggered by.
pub const FUNCTION_FAILED_EVENT: &str = "inngest/function.failed";

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
