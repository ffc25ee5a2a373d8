//! Plays Inngest's executor against one server: calls a function until its run ends,
//! feeding back what each answer memoizes, as `runtime/tests/replay.rs` does in process.

use std::collections::VecDeque;

use serde_json::{json, Map, Value};
use switchyard_runtime::signature::SigningKey;

use crate::client::{send, Reply, Request};
use crate::servers::Server;

/// The most calls one run may take before the driver gives up.
const MAX_CALLS: usize = 40;

/// One full run to drive: a function, its event, and how Inngest resolves waits.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Names the scenario in failure messages.
    pub name: &'static str,
    /// The function's own id, without the app id.
    pub function: &'static str,
    /// The name of the triggering event.
    pub event: &'static str,
    /// The triggering event's data.
    pub data: Value,
    /// Retries plus one, as Inngest sends `ctx.max_attempts`.
    pub max_attempts: u32,
    /// What a `WaitForEvent` op resumes with: the matched event, or `null` on timeout.
    pub wait_result: Value,
    /// What an `InvokeFunction` op resumes with: `{"data": ..}` or `{"error": ..}`.
    pub invoke_result: Value,
}

impl Scenario {
    /// A run of `function` on `event` with `data`, resolving waits with `null`.
    pub fn new(
        name: &'static str,
        function: &'static str,
        event: &'static str,
        data: Value,
        max_attempts: u32,
    ) -> Scenario {
        Scenario {
            name,
            function,
            event,
            data,
            max_attempts,
            wait_result: Value::Null,
            invoke_result: Value::Null,
        }
    }

    /// The triggering event as Inngest sends it, with a fixed id and timestamp.
    pub fn event(&self) -> Value {
        json!({
            "name": self.event,
            "data": self.data,
            "id": format!("evt-{}", self.name),
            "ts": 1_773_311_000_000_i64,
            "user": {},
        })
    }
}

/// One call of a run and its answer.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// What was asked, such as `stepId=<hash> attempt=1`.
    pub call: String,
    /// What the server answered.
    pub reply: Reply,
}

/// The executor's view of one run between calls.
struct RunState {
    steps: Map<String, Value>,
    stack: Vec<String>,
    attempt: u32,
    planned: VecDeque<String>,
    disable_immediate_execution: bool,
    version: i64,
}

/// Drives `scenario` on `server` until the run completes or fails for good, signing every
/// request with `key` when given.
///
/// # Panics
///
/// Panics when the run takes more than [`MAX_CALLS`] calls.
pub fn drive(
    server: &Server,
    app_id: &str,
    scenario: &Scenario,
    key: Option<&SigningKey>,
) -> Vec<Exchange> {
    let mut state = RunState {
        steps: Map::new(),
        stack: Vec::new(),
        attempt: 0,
        planned: VecDeque::new(),
        disable_immediate_execution: false,
        version: -1,
    };
    let mut exchanges = Vec::new();

    for _ in 0..MAX_CALLS {
        let target = state.planned.front().cloned();
        let request = call_request(app_id, scenario, &state, target.as_deref());
        let request = match key {
            Some(key) => request.signed(key),
            None => request,
        };
        let reply = send(server, &request);
        exchanges.push(Exchange {
            call: format!(
                "stepId={} attempt={}",
                target.as_deref().unwrap_or("step"),
                state.attempt
            ),
            reply: reply.clone(),
        });

        if let Some(version) = reply.header("x-inngest-req-version") {
            state.version = version.parse().unwrap_or(state.version);
        }
        let done = match reply.status {
            206 => !memoize(&mut state, scenario, &reply.json()),
            500 if reply.header("x-inngest-no-retry") == Some("false") => {
                state.attempt += 1;
                state.attempt >= scenario.max_attempts
            }
            _ => true,
        };
        if done {
            return exchanges;
        }
    }
    panic!(
        "{} on {} did not end within {MAX_CALLS} calls",
        scenario.name,
        server.kind.name()
    )
}

/// The body and query of the next call.
fn call_request(
    app_id: &str,
    scenario: &Scenario,
    state: &RunState,
    target: Option<&str>,
) -> Request {
    let step_id = target.unwrap_or("step");
    let event = scenario.event();
    let body = json!({
        "event": event,
        "events": [event],
        "steps": state.steps,
        "ctx": {
            "fn_id": format!("fn-{}", scenario.function),
            "run_id": format!("01RUN{}", scenario.name.to_ascii_uppercase()),
            "env": "",
            "step_id": step_id,
            "attempt": state.attempt,
            "max_attempts": scenario.max_attempts,
            "stack": { "stack": state.stack, "current": state.stack.len() },
            "disable_immediate_execution": state.disable_immediate_execution,
            "use_api": false,
        },
        "version": state.version,
        "use_api": false,
    });
    let query = format!("fnId={app_id}-{}&stepId={step_id}", scenario.function);
    Request::new("POST", query).json(&body)
}

/// Records what a 206 answer memoizes; returns whether the run goes on.
fn memoize(state: &mut RunState, scenario: &Scenario, ops: &Value) -> bool {
    let Some(ops) = ops.as_array().filter(|ops| !ops.is_empty()) else {
        return false;
    };

    for op in ops {
        let id = op["id"].as_str().unwrap_or_default().to_owned();
        let memo = match op["op"].as_str().unwrap_or_default() {
            "StepRun" => json!({ "data": op["data"] }),
            "StepFailed" => json!({ "error": op["error"] }),
            "Sleep" => Value::Null,
            "WaitForEvent" => scenario.wait_result.clone(),
            "InvokeFunction" => scenario.invoke_result.clone(),
            "StepError" => {
                state.attempt += 1;
                return state.attempt < scenario.max_attempts;
            }
            "StepPlanned" => {
                if !state.planned.contains(&id) {
                    state.planned.push_back(id);
                }
                state.disable_immediate_execution = true;
                continue;
            }
            _ => return false,
        };
        if state.planned.front() == Some(&id) {
            state.planned.pop_front();
        }
        state.steps.insert(id.clone(), memo);
        state.stack.push(id);
        state.attempt = 0;
    }
    true
}
