//! The embedded engine's runs as the dev-mode endpoints (`/api/engine/runs`) and
//! `switchyard runs` show them: which runs to list, and the JSON of one run.
//!
//! A run is its stored row (`id`, `function_id`, `status`, `attempt`, `event`, `output`,
//! `error`, `parent_run`, `parent_step`, `created_at`, `updated_at`, times in milliseconds
//! since the Unix epoch) plus `duration_ms` once it has finished, and, shown alone, its
//! memoized `steps` in the order they were stored.

use chrono::DateTime;
use serde::Serialize;
use serde_json::Value;
use switchyard_engine::{RunDetail, RunFilter, RunRow};

/// Every status a run can have, in the order a run usually goes through them.
pub const STATUSES: [&str; 7] = [
    "queued",
    "running",
    "sleeping",
    "waiting",
    "completed",
    "failed",
    "cancelled",
];

/// The statuses of a run that will not change again.
pub const FINISHED: [&str; 3] = ["completed", "failed", "cancelled"];

/// How many runs a listing shows unless told otherwise.
pub const DEFAULT_LIMIT: u32 = 20;

/// The most runs or events one listing shows.
pub const MAX_LIMIT: u32 = 10_000;

/// A query parameter of a listing that cannot be used; each names the parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// `limit` is not a whole number from 1 to [`MAX_LIMIT`].
    #[error(
        "invalid query parameter `limit` `{value}`: expected a whole number from 1 to {MAX_LIMIT}"
    )]
    Limit {
        /// The value given.
        value: String,
    },
    /// `status` is not one of [`STATUSES`].
    #[error(
        "invalid query parameter `status` `{value}`: expected one of queued, running, \
         sleeping, waiting, completed, failed, cancelled"
    )]
    Status {
        /// The value given.
        value: String,
    },
    /// The query string itself cannot be read, such as a parameter given twice.
    #[error("invalid query string: {reason}")]
    Unreadable {
        /// What is wrong with it, naming the parameter where the parser can.
        reason: String,
    },
}

/// Reads a `limit` parameter; an empty or missing one is `default`.
///
/// # Errors
///
/// Returns [`QueryError::Limit`] when it is not a whole number from 1 to [`MAX_LIMIT`].
pub fn limit(value: Option<&str>, default: u32) -> Result<u32, QueryError> {
    let Some(value) = value.map(str::trim).filter(|value| !value.is_empty()) else {
        return Ok(default);
    };
    match value.parse::<u32>() {
        Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
        _ => Err(QueryError::Limit {
            value: value.to_owned(),
        }),
    }
}

/// The runs to list for `limit`, `status` and `function_id` parameters; empty ones are unset.
///
/// # Errors
///
/// Returns a [`QueryError`] naming the parameter that cannot be used.
pub fn filter(
    limit_value: Option<&str>,
    status: Option<&str>,
    function_id: Option<&str>,
) -> Result<RunFilter, QueryError> {
    let limit = limit(limit_value, DEFAULT_LIMIT)?;
    let status = status.map(str::trim).filter(|value| !value.is_empty());
    if let Some(status) = status {
        if !STATUSES.contains(&status) {
            return Err(QueryError::Status {
                value: status.to_owned(),
            });
        }
    }
    let function_id = function_id.map(str::trim).filter(|value| !value.is_empty());

    Ok(RunFilter {
        status: status.map(str::to_owned),
        function_id: function_id.map(str::to_owned),
        limit,
    })
}

/// One run as JSON shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunView {
    /// The stored run.
    #[serde(flatten)]
    pub run: RunRow,
    /// Milliseconds from queued to finished, once finished.
    pub duration_ms: Option<i64>,
    /// The memoized steps, when one run is shown alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<StepView>>,
}

/// One memoized step of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepView {
    /// The step's hashed id, as Inngest memoizes it.
    pub id: String,
    /// What was memoized: `{"data": ..}` or `{"error": ..}` for a step that ran, the
    /// matching event (or null) for a wait, null for a sleep.
    pub result: Value,
}

impl RunView {
    /// A run as a listing shows it, without its steps.
    pub fn listed(run: RunRow) -> RunView {
        RunView {
            duration_ms: duration_ms(&run),
            run,
            steps: None,
        }
    }

    /// A run shown alone, with its steps.
    pub fn detailed(detail: RunDetail) -> RunView {
        let steps = detail
            .steps
            .into_iter()
            .map(|(id, result)| StepView { id, result })
            .collect();
        RunView {
            steps: Some(steps),
            ..RunView::listed(detail.run)
        }
    }
}

/// Milliseconds from queued to finished, for a finished run.
pub fn duration_ms(run: &RunRow) -> Option<i64> {
    FINISHED
        .contains(&run.status.as_str())
        .then(|| run.updated_at.saturating_sub(run.created_at).max(0))
}

/// A time in milliseconds since the Unix epoch as `2026-03-10 08:00:00` in UTC.
pub fn format_time(millis: i64) -> String {
    match DateTime::from_timestamp_millis(millis) {
        Some(time) => time.format("%Y-%m-%d %H:%M:%S").to_string(),
        None => millis.to_string(),
    }
}

/// A duration in milliseconds as people read it: `850 ms`, `4.2 s`, `3 min 5 s`, `2 h 7 min`.
pub fn format_duration(millis: i64) -> String {
    let seconds = millis / 1000;
    if millis < 1_000 {
        format!("{millis} ms")
    } else if millis < 60_000 {
        format!("{}.{} s", seconds, (millis % 1000) / 100)
    } else if millis < 3_600_000 {
        format!("{} min {} s", seconds / 60, seconds % 60)
    } else {
        format!("{} h {} min", seconds / 3600, (seconds % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(status: &str, created_at: i64, updated_at: i64) -> RunRow {
        RunRow {
            id: "01RUN".to_owned(),
            function_id: "greet".to_owned(),
            status: status.to_owned(),
            attempt: 1,
            event: json!({"name": "app/greet", "data": {}}),
            output: None,
            error: None,
            parent_run: None,
            parent_step: None,
            parallel: false,
            created_at,
            updated_at,
        }
    }

    #[test]
    fn reads_listing_parameters_and_names_the_one_at_fault() {
        let limit_error = |value: &str| {
            Err(QueryError::Limit {
                value: value.to_owned(),
            })
        };
        let cases = [
            ((None, None), Ok((DEFAULT_LIMIT, None))),
            ((Some(""), Some(" ")), Ok((DEFAULT_LIMIT, None))),
            ((Some("5"), Some("failed")), Ok((5, Some("failed")))),
            ((Some("10000"), None), Ok((MAX_LIMIT, None))),
            ((Some("0"), None), limit_error("0")),
            ((Some("10001"), None), limit_error("10001")),
            ((Some("-3"), None), limit_error("-3")),
            ((Some("ten"), None), limit_error("ten")),
            (
                (None, Some("done")),
                Err(QueryError::Status {
                    value: "done".to_owned(),
                }),
            ),
        ];

        for ((limit, status), expected) in cases {
            let read = filter(limit, status, None).map(|filter| (filter.limit, filter.status));
            let expected = expected.map(|(limit, status)| (limit, status.map(str::to_owned)));

            assert_eq!(read, expected, "limit {limit:?}, status {status:?}");
        }
    }

    #[test]
    fn names_the_parameter_in_each_message() {
        let limit = QueryError::Limit {
            value: "x".to_owned(),
        };
        let status = QueryError::Status {
            value: "y".to_owned(),
        };

        assert!(limit
            .to_string()
            .starts_with("invalid query parameter `limit` `x`"));
        assert!(status
            .to_string()
            .starts_with("invalid query parameter `status` `y`"));
        for name in STATUSES {
            assert!(status.to_string().contains(name), "{name}");
        }
    }

    #[test]
    fn shows_a_duration_only_for_finished_runs() {
        let cases = [
            ("completed", Some(1_500)),
            ("failed", Some(1_500)),
            ("cancelled", Some(1_500)),
            ("running", None),
            ("sleeping", None),
            ("queued", None),
        ];

        for (status, expected) in cases {
            assert_eq!(
                duration_ms(&run(status, 1_000, 2_500)),
                expected,
                "{status}"
            );
        }
    }

    #[test]
    fn writes_a_detailed_run_with_its_steps_in_order() {
        let detail = RunDetail {
            run: run("completed", 1_000, 1_200),
            steps: vec![
                ("b1".to_owned(), json!({"data": 1})),
                ("a2".to_owned(), Value::Null),
            ],
        };

        let view = serde_json::to_value(RunView::detailed(detail)).unwrap();
        let listed = serde_json::to_value(RunView::listed(run("queued", 1, 1))).unwrap();

        assert_eq!(view["id"], "01RUN");
        assert_eq!(view["status"], "completed");
        assert_eq!(view["duration_ms"], 200);
        assert_eq!(
            view["steps"],
            json!([{"id": "b1", "result": {"data": 1}}, {"id": "a2", "result": null}])
        );
        assert_eq!(listed["duration_ms"], Value::Null);
        assert!(listed.get("steps").is_none(), "{listed}");
    }

    #[test]
    fn formats_times_in_utc_and_durations_for_people() {
        let durations = [
            (0, "0 ms"),
            (850, "850 ms"),
            (4_250, "4.2 s"),
            (185_000, "3 min 5 s"),
            (7_620_000, "2 h 7 min"),
        ];

        assert_eq!(format_time(1_773_129_600_000), "2026-03-10 08:00:00");
        for (millis, text) in durations {
            assert_eq!(format_duration(millis), text, "{millis}");
        }
    }
}
