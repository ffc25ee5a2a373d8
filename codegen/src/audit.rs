//! The audit copy: the registry as a Markdown table that a repository commits and reviews.

use std::fmt::Write as _;

use crate::generate::{feature_groups, header};
use crate::model::{time_string, FunctionSpec, Trigger};

/// Renders the audit copy of `functions`, which must already be in registry order.
pub(crate) fn render(functions: &[FunctionSpec], pattern: &str, ignores: &[String]) -> String {
    let groups = feature_groups(functions);
    let mut out = format!(
        "<!-- {} -->\n\n",
        header(pattern, ignores, "run `cargo test --test audit`")
    );

    let _ = write!(
        out,
        "# Functions\n\n\
         Every function the build registers: {} in {}, failure handlers first,\n\
         then by feature, then by file name. A function's own failure handler (`on failure`)\n\
         is synced to Inngest as a function of its own. A test compares this file with the\n\
         event files and rewrites it when they differ.\n\n",
        plural(functions.len(), "function"),
        plural(groups.len(), "feature"),
    );

    out.push_str("| feature | functions |\n|---|---:|\n");
    for (feature, indices) in &groups {
        let _ = writeln!(out, "| {} | {} |", code(feature), indices.len());
    }

    out.push_str(
        "\n| feature | id | name | triggers | retries | concurrency | cancel on | on failure \
         | source |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for function in functions {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            code(&function.feature),
            code(&function.id),
            text(&function.name),
            triggers(&function.triggers),
            function
                .retries
                .map_or("default".to_owned(), |r| r.to_string()),
            concurrency(function),
            cancels(function),
            function
                .failure_id()
                .map_or("none".to_owned(), |id| code(&id)),
            code(&function.source),
        );
    }
    out
}

/// Each cancellation as `event `a/b` if `..` within 1h`, or `none`.
fn cancels(function: &FunctionSpec) -> String {
    if function.cancel_on.is_empty() {
        return "none".to_owned();
    }
    let rendered: Vec<String> = function
        .cancel_on
        .iter()
        .map(|cancel| {
            let mut text = format!("event {}", code(&cancel.event));
            if let Some(expression) = &cancel.expression {
                text.push_str(&format!(" if {}", code(expression)));
            }
            if let Some(timeout) = cancel.timeout_ms {
                text.push_str(&format!(" within {}", time_string(timeout)));
            }
            text
        })
        .collect();
    rendered.join("<br>")
}

fn triggers(triggers: &[Trigger]) -> String {
    let rendered: Vec<String> = triggers
        .iter()
        .map(|trigger| match trigger {
            Trigger::Event {
                event,
                expression: None,
            } => format!("event {}", code(event)),
            Trigger::Event {
                event,
                expression: Some(expression),
            } => format!("event {} if {}", code(event), code(expression)),
            Trigger::Cron { cron } => format!("cron {}", code(cron)),
        })
        .collect();
    rendered.join("<br>")
}

fn concurrency(function: &FunctionSpec) -> String {
    match &function.concurrency {
        None => "none".to_owned(),
        Some(limit) => match &limit.key {
            None => limit.limit.to_string(),
            Some(key) => format!("{} per {}", limit.limit, code(key)),
        },
    }
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Free text for a table cell: one line, pipes and angle brackets escaped.
fn text(value: &str) -> String {
    if value.is_empty() {
        return String::new();
    }
    one_line(value)
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('*', "\\*")
        .replace('_', "\\_")
        .replace('`', "\\`")
}

/// A code span for a table cell, fenced with more backticks than the value holds.
fn code(value: &str) -> String {
    let value = one_line(value).replace('|', "\\|");
    let longest_run = value.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    if longest_run > 0 {
        format!("{fence} {value} {fence}")
    } else {
        format!("{fence}{value}{fence}")
    }
}

fn one_line(value: &str) -> String {
    value.replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_table_cells() {
        let cases = [
            (code("a/b"), "`a/b`"),
            (code("x || y"), "`x \\|\\| y`"),
            (code("a `b` c"), "`` a `b` c ``"),
            (text("Pay <now> | later"), "Pay &lt;now&gt; \\| later"),
            (text("two\nlines"), "two lines"),
            (text("snake_case *bold*"), "snake\\_case \\*bold\\*"),
        ];

        for (actual, expected) in cases {
            assert_eq!(actual, expected);
        }
    }
}
