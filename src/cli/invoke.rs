//! `switchyard invoke <id> --event <file>`: runs one function in-process, every step inline,
//! and reports its output, its steps and its outbox.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;
use serde_json::Value;
use switchyard_runtime::{
    invoke_inline, Delivery, Event, FunctionEntry, InlineError, InlineOutcome, Registry, StepRecord,
};

use super::{print, CliError, InvokeArgs};
use crate::config::Config;
use crate::function_id::resolve;

/// Step outputs longer than this many characters are printed on lines of their own.
const INLINE_OUTPUT_WIDTH: usize = 60;

/// Why a function could not be started.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// No function has this id, bare or prefixed with the app id.
    #[error(
        "no function with id `{id}` in app `{app_id}`; `switchyard functions` lists the \
         registered ids"
    )]
    UnknownFunction {
        /// The id that was asked for.
        id: String,
        /// The app id that a composite id must start with.
        app_id: String,
    },
    /// The event file could not be read.
    #[error("cannot read event file {}: {source}", path.display())]
    ReadEvent {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The event file is not JSON of an event; the message has the line and column.
    #[error("malformed event file {}: {source}", path.display())]
    MalformedEvent {
        /// The file.
        path: PathBuf,
        /// What the JSON parser said, with line and column.
        source: serde_json::Error,
    },
    /// The event in the file has an empty `name`.
    #[error("event file {}: field `name` is empty", path.display())]
    EmptyEventName {
        /// The file.
        path: PathBuf,
    },
    /// The runtime refused to start the function.
    #[error(transparent)]
    Inline(#[from] InlineError),
}

/// Runs the function `args` names and prints the outcome; exit code 1 when it fails.
pub(super) fn run(
    registry: &'static Registry,
    config: &Config,
    args: &InvokeArgs,
) -> Result<ExitCode, CliError> {
    let entry = resolve(registry, &config.app_id, &args.function_id).ok_or_else(|| {
        InvokeError::UnknownFunction {
            id: args.function_id.clone(),
            app_id: config.app_id.clone(),
        }
    })?;
    let event = read_event(&args.event)?;
    let event_name = event.name.clone();

    let run = invoke_inline(registry, entry.id(), event);
    let outcome = actix_web::rt::System::new()
        .block_on(run)
        .map_err(InvokeError::from)?;

    let report = Report::new(entry, &event_name, &outcome);
    let text = if args.json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else {
        report.text()
    };
    print(&text)?;

    match &outcome.output {
        Ok(_) => Ok(ExitCode::SUCCESS),
        Err(error) => {
            eprintln!("error: function `{}` failed: {error}", entry.id());
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Reads and checks one event from a JSON file.
fn read_event(path: &Path) -> Result<Event<Value>, InvokeError> {
    let text = std::fs::read_to_string(path).map_err(|source| InvokeError::ReadEvent {
        path: path.to_owned(),
        source,
    })?;

    let event: Event<Value> =
        serde_json::from_str(&text).map_err(|source| InvokeError::MalformedEvent {
            path: path.to_owned(),
            source,
        })?;

    if event.name.trim().is_empty() {
        return Err(InvokeError::EmptyEventName {
            path: path.to_owned(),
        });
    }
    Ok(event)
}

/// What `invoke` prints: as JSON with `--json`, as text otherwise.
#[derive(Debug, Serialize)]
struct Report<'a> {
    function: &'static str,
    event: &'a str,
    ok: bool,
    output: &'a Value,
    error: Option<ErrorReport<'a>>,
    steps: &'a [StepRecord],
    deliveries: &'a [Delivery],
}

#[derive(Debug, Serialize)]
struct ErrorReport<'a> {
    name: &'a str,
    message: &'a str,
    retriable: bool,
}

impl<'a> Report<'a> {
    fn new(entry: &FunctionEntry, event: &'a str, outcome: &'a InlineOutcome) -> Report<'a> {
        let (output, error) = match &outcome.output {
            Ok(output) => (output, None),
            Err(error) => (
                &Value::Null,
                Some(ErrorReport {
                    name: error.name(),
                    message: error.message(),
                    retriable: error.is_retriable(),
                }),
            ),
        };

        Report {
            function: entry.id(),
            event,
            ok: error.is_none(),
            output,
            error,
            steps: &outcome.steps,
            deliveries: &outcome.deliveries,
        }
    }

    fn text(&self) -> String {
        let mut text = format!("function  {}\nevent     {}\n", self.function, self.event);

        text.push_str("\nsteps\n");
        if self.steps.is_empty() {
            text.push_str("  none\n");
        }
        for (number, step) in (1..).zip(self.steps) {
            let head = format!("  {number}. {} ({:?})", step.id, step.op);
            text.push_str(&with_value(&head, &step.output));
        }

        text.push_str("\ndeliveries\n");
        if self.deliveries.is_empty() {
            text.push_str("  none\n");
        }
        for (number, delivery) in (1..).zip(self.deliveries) {
            text.push_str(&format!(
                "  {number}. {} to {}: {}\n",
                delivery.channel, delivery.to, delivery.subject
            ));
            text.push_str(&indent(&delivery.body, "     "));
        }

        match &self.error {
            None => {
                text.push_str("\noutput\n");
                text.push_str(&indent(&pretty(self.output), "  "));
            }
            Some(error) => {
                let retry = if error.retriable {
                    "retriable"
                } else {
                    "not retriable"
                };
                let line = format!("{}: {} ({retry})", error.name, error.message);
                text.push_str("\nfailed\n");
                text.push_str(&indent(&line, "  "));
            }
        }
        text
    }
}

/// `head: value` on one line when the value is short, else the value indented below.
fn with_value(head: &str, value: &Value) -> String {
    let compact = value.to_string();
    if compact.chars().count() <= INLINE_OUTPUT_WIDTH {
        format!("{head}: {compact}\n")
    } else {
        format!("{head}:\n{}", indent(&pretty(value), "     "))
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// Every line of `text` with `prefix` before it and a newline after it.
fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|line| format!("{prefix}{line}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use switchyard_runtime::{Error, StepOp};

    fn outcome(output: Result<Value, Error>) -> InlineOutcome {
        InlineOutcome {
            output,
            steps: vec![
                StepRecord {
                    id: "render".to_owned(),
                    hashed_id: "x".to_owned(),
                    op: StepOp::StepRun,
                    output: json!("Hi Ada"),
                },
                StepRecord {
                    id: "digest".to_owned(),
                    hashed_id: "y".to_owned(),
                    op: StepOp::StepRun,
                    output: json!({
                        "lines": ["a long line of the weekly digest for admins", "another", "a third"]
                    }),
                },
            ],
            deliveries: vec![Delivery::email(
                "ada@example.test",
                "Welcome!",
                "Hi Ada\nBye",
            )],
        }
    }

    #[test]
    fn prints_steps_deliveries_and_output_readably() {
        let entry = crate::test_registry::TEST_REGISTRY
            .get("invoice-paid")
            .unwrap();
        let outcome = outcome(Ok(json!({ "sent": true })));

        let text = Report::new(entry, "billing/invoice.paid", &outcome).text();

        let expected = r#"function  invoice-paid
event     billing/invoice.paid

steps
  1. render (StepRun): "Hi Ada"
  2. digest (StepRun):
     {
       "lines": [
         "a long line of the weekly digest for admins",
         "another",
         "a third"
       ]
     }

deliveries
  1. email to ada@example.test: Welcome!
     Hi Ada
     Bye

output
  {
    "sent": true
  }
"#;
        assert_eq!(text, expected);
    }

    #[test]
    fn reports_a_failure_with_its_error_class_in_json() {
        let entry = crate::test_registry::TEST_REGISTRY
            .get("invoice-paid")
            .unwrap();
        let outcome = outcome(Err(Error::non_retriable("card declined")));

        let report = Report::new(entry, "billing/invoice.paid", &outcome);
        let json = serde_json::to_value(&report).unwrap();

        assert_eq!(json["ok"], false);
        assert_eq!(json["output"], Value::Null);
        assert_eq!(
            json["error"],
            json!({"name": "NonRetriableError", "message": "card declined", "retriable": false})
        );
        assert!(report
            .text()
            .ends_with("failed\n  NonRetriableError: card declined (not retriable)\n"));
    }

    #[test]
    fn names_the_file_and_position_of_a_malformed_event() {
        let path =
            std::env::temp_dir().join(format!("switchyard-malformed-{}.json", std::process::id()));
        std::fs::write(&path, "{\n  \"name\": \"a/b\",\n  \"data\": {,}\n}\n").unwrap();

        let error = read_event(&path).unwrap_err().to_string();
        std::fs::remove_file(&path).unwrap();

        assert!(
            error.starts_with(&format!("malformed event file {}", path.display())),
            "{error}"
        );
        assert!(error.contains("line 3 column 12"), "{error}");
    }
}
