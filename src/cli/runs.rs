//! `switchyard runs`: the embedded engine's recent runs as a table (or JSON with `--json`),
//! and `switchyard runs <run-id>`: one run's steps and output.
//!
//! It reads the engine's database directly, so it works whether or not a server is running;
//! while one is, SQLite's write-ahead log lets both use the file at once.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::Value;
use switchyard_engine::{Engine, Location, RunFilter, SystemClock};
use switchyard_runtime::Registry;

use super::{aligned, print, CliError, RunsArgs};
use crate::config::{Config, ENGINE_DB_VAR};
use crate::runs::{format_duration, format_time, RunView, DEFAULT_LIMIT};

const HEADERS: [&str; 6] = [
    "RUN ID", "FUNCTION", "STATUS", "ATTEMPTS", "STARTED", "DURATION",
];

/// Why the runs asked for cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum RunsError {
    /// No database exists where the engine keeps it.
    #[error(
        "no engine database at {}; `switchyard serve` creates it when no Inngest server is \
         configured (or set --engine-db or {ENGINE_DB_VAR})",
        path.display()
    )]
    NoDatabase {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The database is configured to live in memory, where no other process can read it.
    #[error(
        "the engine database is in memory (`:memory:`), which only the serving process can \
         read; its runs are at /api/engine/runs"
    )]
    InMemory,
    /// No run has the id asked for.
    #[error("no run with id `{id}` in {}; `switchyard runs` lists the recent ones", path.display())]
    UnknownRun {
        /// The id that was asked for.
        id: String,
        /// The database that was read.
        path: PathBuf,
    },
}

/// Prints the runs `args` asks for.
pub(super) fn run(
    registry: &'static Registry,
    config: &Config,
    args: &RunsArgs,
    engine_db: Option<&Path>,
) -> Result<ExitCode, CliError> {
    let location = config.engine_location(engine_db);
    let Location::Path(path) = &location else {
        return Err(RunsError::InMemory.into());
    };
    if !path.is_file() {
        return Err(RunsError::NoDatabase { path: path.clone() }.into());
    }
    let engine = Engine::open(location.clone(), registry, Arc::new(SystemClock))?;

    let text = match &args.run_id {
        Some(id) => one(&engine, id, path, args.json)?,
        None => listing(&engine, args)?,
    };

    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// One run with its steps, as text or JSON.
fn one(engine: &Engine, id: &str, path: &Path, json: bool) -> Result<String, CliError> {
    let detail = engine.run(id)?.ok_or_else(|| RunsError::UnknownRun {
        id: id.to_owned(),
        path: path.to_owned(),
    })?;

    let view = RunView::detailed(detail);
    if json {
        pretty(&view)
    } else {
        Ok(detail_text(&view))
    }
}

/// The recent runs `args` filter, as a table or JSON.
fn listing(engine: &Engine, args: &RunsArgs) -> Result<String, CliError> {
    let filter = RunFilter {
        status: args.status.clone(),
        function_id: args.function.clone(),
        limit: args.limit.unwrap_or(DEFAULT_LIMIT),
    };
    let runs = engine.runs(&filter)?;

    let views: Vec<RunView> = runs.into_iter().map(RunView::listed).collect();
    if args.json {
        pretty(&views)
    } else {
        Ok(table(&views))
    }
}

fn pretty(value: &impl serde::Serialize) -> Result<String, CliError> {
    let mut json = serde_json::to_string_pretty(value)?;
    json.push('\n');
    Ok(json)
}

/// One row per run, newest first, columns aligned, and a count at the end.
fn table(views: &[RunView]) -> String {
    let rows: Vec<[String; 6]> = views.iter().map(row).collect();
    let mut text = aligned(HEADERS, &rows);

    let noun = if views.len() == 1 { "run" } else { "runs" };
    text.push_str(&format!("\n{} {noun}, newest first\n", views.len()));
    text
}

fn row(view: &RunView) -> [String; 6] {
    let run = &view.run;
    [
        run.id.clone(),
        run.function_id.clone(),
        run.status.clone(),
        (run.attempt + 1).to_string(),
        format_time(run.created_at),
        view.duration_ms
            .map_or_else(|| "-".to_owned(), format_duration),
    ]
}

/// One run, field by field, then its steps in the order they were stored, then its output
/// or error.
fn detail_text(view: &RunView) -> String {
    let run = &view.run;
    let event = run.event["name"].as_str().unwrap_or("(unnamed)");
    let duration = view
        .duration_ms
        .map_or_else(|| "-".to_owned(), format_duration);
    let mut text = format!(
        "run       {}\nfunction  {}\nstatus    {}\nattempts  {}\nevent     {event}\n\
         started   {} UTC\nduration  {duration}\n",
        run.id,
        run.function_id,
        run.status,
        run.attempt + 1,
        format_time(run.created_at),
    );
    if let (Some(parent), Some(step)) = (&run.parent_run, &run.parent_step) {
        text.push_str(&format!("invoked   by run {parent}, step {step}\n"));
    }

    let steps = view.steps.as_deref().unwrap_or_default();
    // TODO: the engine stores steps by hashed id only, so they are listed without the names
    // written in the function; storing the name beside each result would show them.
    text.push_str(&format!("\nsteps ({})\n", steps.len()));
    for (number, step) in (1..).zip(steps) {
        text.push_str(&format!("  {number}. {}  {}\n", step.id, step.result));
    }

    let (label, value) = match (&run.output, &run.error) {
        (_, Some(error)) => ("error", error),
        (Some(output), None) => ("output", output),
        (None, None) => return text,
    };
    text.push_str(&format!("\n{label}\n{}", indented(value)));
    text
}

fn indented(value: &Value) -> String {
    let json = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    json.lines().map(|line| format!("  {line}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use switchyard_engine::RunRow;

    fn view(id: &str, status: &str, attempt: u32) -> RunView {
        RunView::listed(RunRow {
            id: id.to_owned(),
            function_id: "conformance-sequential".to_owned(),
            status: status.to_owned(),
            attempt,
            event: json!({"name": "conformance/sequential", "data": {}}),
            output: Some(json!({"length": 9})),
            error: None,
            parent_run: None,
            parent_step: None,
            parallel: false,
            created_at: 1_773_129_600_000,
            updated_at: 1_773_129_600_250,
        })
    }

    #[test]
    fn lists_runs_in_aligned_columns_with_a_count() {
        let views = [view("01B", "completed", 0), view("01A", "sleeping", 2)];

        let text = table(&views);

        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("RUN ID  FUNCTION "), "{text}");
        assert_eq!(
            lines[1],
            "01B     conformance-sequential  completed  1         2026-03-10 08:00:00  250 ms"
        );
        assert!(lines[2].starts_with("01A "), "{text}");
        assert!(
            lines[2].contains("  3  "),
            "attempts count from one: {text}"
        );
        assert!(
            lines[2].ends_with(" -"),
            "no duration while sleeping: {text}"
        );
        assert_eq!(lines[4], "2 runs, newest first");
    }

    #[test]
    fn shows_one_run_with_its_steps_and_output() {
        let mut shown = view("01A", "completed", 0);
        shown.steps = Some(vec![crate::runs::StepView {
            id: "abc".to_owned(),
            result: json!({"data": "hello"}),
        }]);

        let text = detail_text(&shown);

        assert!(text.starts_with("run       01A\nfunction  conformance-sequential\n"));
        assert!(
            text.contains("event     conformance/sequential\n"),
            "{text}"
        );
        assert!(text.contains("duration  250 ms\n"), "{text}");
        assert!(
            text.contains("\nsteps (1)\n  1. abc  {\"data\":\"hello\"}\n"),
            "{text}"
        );
        assert!(
            text.ends_with("\noutput\n  {\n    \"length\": 9\n  }\n"),
            "{text}"
        );
    }
}
