//! Parsing the body of Inngest's POST into a [`Call`], with errors that name the field.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use crate::{Call, Event};

/// Why a call request could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallRequestError {
    /// The body was empty.
    #[error("request body is empty; expected Inngest's JSON call request")]
    Empty,
    /// The body is not JSON.
    #[error("request body is not JSON: {message}")]
    NotJson {
        /// What the JSON parser said.
        message: String,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
    },
    /// A field is missing or has the wrong type.
    #[error("invalid field `{field}` in call request: {message}")]
    Field {
        /// Dotted path of the field, such as `ctx.attempt`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

#[derive(Deserialize)]
struct CallRequest {
    event: Event<Value>,
    #[serde(default)]
    events: Vec<Event<Value>>,
    #[serde(default)]
    steps: Option<HashMap<String, Value>>,
    #[serde(default)]
    ctx: Option<CallContext>,
    #[serde(default)]
    #[allow(dead_code)]
    version: Option<i64>,
    #[serde(default)]
    use_api: Option<bool>,
}

#[derive(Deserialize)]
struct CallContext {
    #[serde(default)]
    run_id: Option<String>,
    #[serde(default)]
    attempt: Option<u32>,
    #[serde(default)]
    max_attempts: Option<u32>,
    #[serde(default)]
    disable_immediate_execution: Option<bool>,
    #[serde(default)]
    use_api: Option<bool>,
}

/// A parsed call plus the flags that need work outside the runtime.
#[derive(Debug, Clone)]
pub struct ParsedCall {
    /// The call, ready for [`crate::execute`].
    pub call: Call,
    /// Inngest left the events and steps out because they were too large; they must be
    /// fetched from its API before executing.
    pub use_api: bool,
}

/// Parses a call request body; `step_id` is the `stepId` query parameter.
///
/// # Errors
///
/// Returns an error naming the field at fault, or saying the body is empty or not JSON.
pub fn parse_call(body: &[u8], step_id: Option<&str>) -> Result<ParsedCall, CallRequestError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(CallRequestError::Empty);
    }
    let value: Value = serde_json::from_slice(body).map_err(|error| CallRequestError::NotJson {
        message: error.to_string(),
        line: error.line(),
        column: error.column(),
    })?;
    if !value.is_object() {
        return Err(CallRequestError::Field {
            field: "(top level)".to_owned(),
            message: "the call request must be a JSON object".to_owned(),
        });
    }
    let request: CallRequest = serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        CallRequestError::Field {
            field: if path == "." {
                "(top level)".to_owned()
            } else {
                path
            },
            message: error.inner().to_string(),
        }
    })?;

    let ctx = request.ctx.unwrap_or(CallContext {
        run_id: None,
        attempt: None,
        max_attempts: None,
        disable_immediate_execution: None,
        use_api: None,
    });
    let use_api = ctx.use_api.or(request.use_api).unwrap_or(false);
    let events = if request.events.is_empty() {
        vec![request.event.clone()]
    } else {
        request.events
    };
    let call = Call {
        event: request.event,
        events,
        steps: request.steps.unwrap_or_default(),
        run_id: ctx.run_id.unwrap_or_default(),
        attempt: ctx.attempt.unwrap_or(0),
        max_attempts: ctx.max_attempts,
        disable_immediate_execution: ctx.disable_immediate_execution.unwrap_or(false),
        step_id: step_id
            .filter(|id| *id != "step" && !id.is_empty())
            .map(str::to_owned),
    };
    Ok(ParsedCall { call, use_api })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_request() {
        let body = br#"{"event":{"name":"a/b","data":{"x":1}},"events":[{"name":"a/b","data":{"x":1}}],
            "steps":{"abc":{"data":2}},"ctx":{"run_id":"r1","attempt":2,"max_attempts":5,
            "stack":{"stack":["abc"],"current":1},"disable_immediate_execution":true,"use_api":false},
            "version":2,"use_api":false}"#;

        let parsed = parse_call(body, Some("0123")).unwrap();

        assert_eq!(parsed.call.run_id, "r1");
        assert_eq!(parsed.call.attempt, 2);
        assert_eq!(parsed.call.max_attempts, Some(5));
        assert!(parsed.call.disable_immediate_execution);
        assert_eq!(parsed.call.steps["abc"], serde_json::json!({"data": 2}));
        assert_eq!(parsed.call.step_id.as_deref(), Some("0123"));
        assert!(!parsed.use_api);
    }

    #[test]
    fn treats_step_as_a_discovery_call() {
        let parsed = parse_call(br#"{"event":{"name":"a","data":{}}}"#, Some("step")).unwrap();

        assert_eq!(parsed.call.step_id, None);
        assert_eq!(parsed.call.events.len(), 1);
    }

    #[test]
    fn names_the_field_at_fault() {
        let cases: [(&[u8], CallRequestError); 4] = [
            (b"", CallRequestError::Empty),
            (
                br#"{"event":{"name":"a","data":{}},"ctx":{"attempt":"one"}}"#,
                CallRequestError::Field {
                    field: "ctx.attempt".into(),
                    message: "invalid type: string \"one\", expected u32".into(),
                },
            ),
            (
                br#"{"events":[]}"#,
                CallRequestError::Field {
                    field: "(top level)".into(),
                    message: "missing field `event`".into(),
                },
            ),
            (
                br#"{"event":{"data":{}}}"#,
                CallRequestError::Field {
                    field: "event".into(),
                    message: "missing field `name`".into(),
                },
            ),
        ];

        for (body, expected) in cases {
            assert_eq!(parse_call(body, None).unwrap_err(), expected);
        }
    }

    #[test]
    fn rejects_a_body_that_is_not_an_object() {
        let error = parse_call(b"[]", None).unwrap_err();

        assert_eq!(
            error.to_string(),
            "invalid field `(top level)` in call request: the call request must be a JSON object"
        );
    }

    #[test]
    fn locates_broken_json() {
        let error = parse_call(b"{\"event\":", None).unwrap_err();

        assert!(
            matches!(error, CallRequestError::NotJson { line: 1, .. }),
            "{error}"
        );
    }
}
