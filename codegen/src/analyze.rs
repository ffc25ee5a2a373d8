//! Checking one event file: read it, parse it, and apply the rules to what it declares.

use std::path::PathBuf;

use crate::checks::{
    check_cancel_event, check_cron, check_event_name, check_id, is_blank, MAX_CANCELS, MAX_RETRIES,
};
use crate::diagnostic::{Diagnostic, Problem, Span};
use crate::model::{Cancel, Concurrency, FunctionSpec, Trigger};
use crate::parse::{parse, Found, Parsed, ParsedCancel, ParsedTrigger};

/// An event file to check: where it is and what discovery derived from its path.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub(crate) source: String,
    pub(crate) path: PathBuf,
    pub(crate) feature: String,
    pub(crate) module: String,
}

/// What checking one file gave.
#[derive(Debug)]
pub(crate) struct Checked {
    /// The function, when the file has no problem.
    pub(crate) spec: Option<FunctionSpec>,
    /// The declared id and where it is, whenever it could be read.
    pub(crate) id: Option<(String, Span)>,
    /// Where `fn on_failure` is named, when the file declares it.
    pub(crate) on_failure: Option<Span>,
    pub(crate) problems: Vec<Diagnostic>,
    /// The file's text, for snippets; empty when it could not be read.
    pub(crate) text: String,
}

/// Reads, parses and checks one event file.
pub(crate) fn check_file(candidate: &Candidate) -> Checked {
    let text = match std::fs::read_to_string(&candidate.path) {
        Ok(text) => text,
        Err(error) => {
            let problem = Problem::Unreadable {
                reason: error.to_string(),
            };
            return Checked {
                spec: None,
                id: None,
                on_failure: None,
                problems: vec![Diagnostic::file(problem, &candidate.source)],
                text: String::new(),
            };
        }
    };

    let (parsed, mut found) = parse(&text);
    let id = parsed
        .as_ref()
        .and_then(|parsed| parsed.id.as_ref())
        .map(|id| (id.value.clone(), Span::locate(&text, id.range.clone())));
    let on_failure = parsed
        .as_ref()
        .and_then(|parsed| parsed.on_failure.clone())
        .map(|range| Span::locate(&text, range));
    let spec = parsed
        .and_then(|parsed| to_spec(candidate, parsed, &mut found))
        .map(|mut spec| {
            if let Some((_, span)) = &id {
                spec.id_span = span.clone();
            }
            spec
        });
    let problems = found
        .into_iter()
        .map(|found| {
            let span = Span::locate(&text, found.range);
            Diagnostic::at(found.problem, &candidate.source, span)
        })
        .collect::<Vec<_>>();

    Checked {
        spec: spec.filter(|_| problems.is_empty()),
        id,
        on_failure,
        problems,
        text,
    }
}

/// Applies the id, trigger, retry, concurrency, cancellation and failure handler rules,
/// turning `parsed` into a spec.
///
/// Every rule is checked even when an earlier one failed, so that one pass reports every
/// problem of the file; a field that was present but unreadable was reported by the parser
/// and is not reported again as missing.
fn to_spec(candidate: &Candidate, parsed: Parsed, found: &mut Vec<Found>) -> Option<FunctionSpec> {
    let mut problem = |range: std::ops::Range<usize>, problem: Problem| {
        found.push(Found { range, problem });
    };
    let has_field = |name: &str| parsed.fields.iter().any(|field| field == name);

    // Messages name the function by its id, or by its type while the id is unknown.
    let function = parsed
        .id
        .as_ref()
        .map_or(&parsed.type_name, |id| &id.value)
        .clone();
    match &parsed.id {
        Some(id) => {
            if let Err(reason) = check_id(&id.value) {
                let id_value = id.value.clone();
                problem(
                    id.range.clone(),
                    Problem::InvalidId {
                        id: id_value,
                        reason,
                    },
                );
            }
        }
        None if !has_field("id") => problem(parsed.config_range.clone(), Problem::MissingId),
        None => {}
    }

    let mut triggers = Vec::new();
    match parsed.triggers {
        Some(written) if !written.value.is_empty() => {
            for trigger in written.value {
                triggers.push(check_trigger(trigger, &mut problem));
            }
        }
        None if has_field("triggers") => {}
        written => {
            let range = written.map_or(parsed.config_range.clone(), |w| w.range);
            let id = function.clone();
            problem(range, Problem::NoTriggers { id });
        }
    }

    let retries = parsed.retries.map(|retries| {
        if retries.value > MAX_RETRIES {
            let too_many = Problem::TooManyRetries {
                id: function.clone(),
                retries: retries.value,
                max: MAX_RETRIES,
            };
            problem(retries.range, too_many);
        }
        retries.value
    });

    let concurrency = parsed.concurrency.map(|limit| {
        if limit.limit.value == 0 {
            let id = function.clone();
            problem(limit.limit.range, Problem::ZeroConcurrency { id });
        }
        if let Some(key) = limit.key.as_ref().filter(|key| is_blank(&key.value)) {
            let id = function.clone();
            problem(key.range.clone(), Problem::EmptyConcurrencyKey { id });
        }
        Concurrency {
            limit: limit.limit.value,
            key: limit.key.map(|key| key.value),
        }
    });

    let mut cancel_on = Vec::new();
    if let Some(written) = parsed.cancel_on {
        if written.value.len() > MAX_CANCELS {
            let too_many = Problem::TooManyCancels {
                id: function.clone(),
                count: written.value.len(),
                max: MAX_CANCELS,
            };
            problem(written.range.clone(), too_many);
        }
        for cancel in written.value {
            cancel_on.push(check_cancel(cancel, &mut problem));
        }
    }

    let handles_failures = triggers.iter().any(|trigger| {
        matches!(trigger, Trigger::Event { event, .. } if event == crate::FUNCTION_FAILED_EVENT)
    });
    if let Some(range) = parsed.on_failure.clone().filter(|_| handles_failures) {
        let id = function.clone();
        problem(range, Problem::FailureHandlerOfFailureHandler { id });
    }

    let id = parsed.id?;
    Some(FunctionSpec {
        source: candidate.source.clone(),
        path: candidate.path.clone(),
        feature: candidate.feature.clone(),
        module: candidate.module.clone(),
        type_name: parsed.type_name,
        id: id.value,
        name: parsed.name.map(|name| name.value).unwrap_or_default(),
        triggers,
        retries,
        concurrency,
        cancel_on,
        on_failure: parsed.on_failure.is_some(),
        // Replaced by the caller, which has the text to locate it in.
        id_span: Span {
            line: 0,
            column: 0,
            range: id.range,
        },
    })
}

fn check_trigger(
    trigger: ParsedTrigger,
    problem: &mut impl FnMut(std::ops::Range<usize>, Problem),
) -> Trigger {
    match trigger {
        ParsedTrigger::Event { event, expression } => {
            if let Err(reason) = check_event_name(&event.value) {
                let invalid = Problem::InvalidEvent {
                    event: event.value.clone(),
                    reason,
                };
                problem(event.range.clone(), invalid);
            }
            if let Some(expression) = expression.as_ref().filter(|e| is_blank(&e.value)) {
                let empty = Problem::EmptyIf {
                    event: event.value.clone(),
                };
                problem(expression.range.clone(), empty);
            }
            Trigger::Event {
                event: event.value,
                expression: expression.map(|e| e.value),
            }
        }
        ParsedTrigger::Cron { cron } => {
            if let Err(reason) = check_cron(&cron.value) {
                let invalid = Problem::InvalidCron {
                    cron: cron.value.clone(),
                    reason,
                };
                problem(cron.range.clone(), invalid);
            }
            Trigger::Cron { cron: cron.value }
        }
    }
}

fn check_cancel(
    cancel: ParsedCancel,
    problem: &mut impl FnMut(std::ops::Range<usize>, Problem),
) -> Cancel {
    let ParsedCancel {
        event,
        expression,
        timeout,
    } = cancel;
    if let Err(reason) = check_cancel_event(&event.value) {
        let invalid = Problem::InvalidCancelEvent {
            event: event.value.clone(),
            reason,
        };
        problem(event.range.clone(), invalid);
    }
    if let Some(expression) = expression.as_ref().filter(|e| is_blank(&e.value)) {
        let empty = Problem::EmptyCancelIf {
            event: event.value.clone(),
        };
        problem(expression.range.clone(), empty);
    }
    if let Some(timeout) = timeout.as_ref().filter(|timeout| timeout.value == 0) {
        let zero = Problem::ZeroCancelTimeout {
            event: event.value.clone(),
        };
        problem(timeout.range.clone(), zero);
    }

    Cancel {
        event: event.value,
        expression: expression.map(|e| e.value),
        timeout_ms: timeout.map(|t| t.value),
    }
}
