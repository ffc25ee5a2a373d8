//! What codegen learns about each event file.

use std::path::PathBuf;

/// One function found in an event file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSpec {
    /// Repository-relative path of the event file, with `/` separators.
    pub source: String,
    /// Absolute path of the event file, used only for reading and rerun triggers.
    pub path: PathBuf,
    /// Folder path between `features/` and `events/`.
    pub feature: String,
    /// Name of the generated module for the file.
    pub module: String,
    /// Name of the type that implements `Function`.
    pub type_name: String,
    /// Function id.
    pub id: String,
    /// Display name, possibly empty.
    pub name: String,
    /// Triggers in source order.
    pub triggers: Vec<Trigger>,
    /// Declared retries.
    pub retries: Option<u32>,
    /// Declared concurrency limit.
    pub concurrency: Option<Concurrency>,
    /// 1-based line of the `id` field, for diagnostics.
    pub id_line: usize,
}

impl FunctionSpec {
    /// Whether the function handles `inngest/function.failed`.
    pub fn is_failure_handler(&self) -> bool {
        self.triggers
            .iter()
            .any(|trigger| matches!(trigger, Trigger::Event { event, .. } if event == "inngest/function.failed"))
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
        /// The schedule as written.
        cron: String,
    },
}

/// A concurrency limit as written in an event file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concurrency {
    /// The most runs at once.
    pub limit: u32,
    /// Optional key expression.
    pub key: Option<String>,
}
