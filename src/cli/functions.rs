//! `switchyard functions`: the registry as a table, or as JSON with `--json`.

use std::process::ExitCode;

use switchyard_runtime::{Concurrency, FunctionEntry, Registry, Trigger};

use super::{aligned, print, CliError, FunctionsArgs};
use crate::config::Config;
use crate::summary::summaries;

const HEADERS: [&str; 6] = [
    "ID",
    "FEATURE",
    "TRIGGERS",
    "RETRIES",
    "CONCURRENCY",
    "SOURCE",
];

/// Prints the registry as `args` asks.
pub(super) fn run(
    registry: &Registry,
    config: &Config,
    args: &FunctionsArgs,
) -> Result<ExitCode, CliError> {
    let text = if args.json {
        let mut json = serde_json::to_string_pretty(&summaries(registry, &config.app_id))?;
        json.push('\n');
        json
    } else {
        table(registry)
    };

    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// One row per function in registry order, columns aligned, and a count at the end.
fn table(registry: &Registry) -> String {
    let rows: Vec<[String; 6]> = registry.functions().iter().map(row).collect();
    let mut text = aligned(HEADERS, &rows);

    let features = registry.features().len();
    text.push_str(&format!(
        "\n{} {} in {features} {}\n",
        registry.len(),
        plural(registry.len(), "function"),
        plural(features, "feature"),
    ));
    text
}

fn row(entry: &FunctionEntry) -> [String; 6] {
    let config = entry.config;
    let triggers: Vec<_> = config.triggers.iter().map(describe_trigger).collect();
    let retries = match config.retries {
        Some(retries) => retries.to_string(),
        None => format!("{} (default)", config.effective_retries()),
    };

    [
        config.id.to_owned(),
        entry.feature.to_owned(),
        triggers.join(", "),
        retries,
        config
            .concurrency
            .map_or_else(|| "-".to_owned(), describe_concurrency),
        entry.source.to_owned(),
    ]
}

fn describe_trigger(trigger: &Trigger) -> String {
    match trigger {
        Trigger::Event {
            event,
            expression: None,
        } => (*event).to_owned(),
        Trigger::Event {
            event,
            expression: Some(expression),
        } => format!("{event} if {expression}"),
        Trigger::Cron { cron } => format!("cron {cron}"),
    }
}

fn describe_concurrency(concurrency: Concurrency) -> String {
    match concurrency.key {
        Some(key) => format!("{} per {key}", concurrency.limit),
        None => concurrency.limit.to_string(),
    }
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        noun.to_owned()
    } else {
        format!("{noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_registry::TEST_REGISTRY;

    #[test]
    fn aligns_one_row_per_function_and_counts_them() {
        let text = table(&TEST_REGISTRY);

        let expected = "\
ID              FEATURE           TRIGGERS                                                                    RETRIES      CONCURRENCY            SOURCE
prepare-digest  admin             cron TZ=Europe/Paris 0 9 * * *, admin/digest.requested if event.data.force  4 (default)  1 per event.data.team  features/admin/events/event-prepare-digest.rs
invoice-paid    billing/invoices  billing/invoice.paid                                                        4 (default)  -                      features/billing/invoices/events/event-invoice-paid.rs
invoice-sent    billing/invoices  billing/invoice.sent                                                        0            -                      features/billing/invoices/events/event-invoice-sent.rs

3 functions in 2 features
";
        assert_eq!(text, expected);
    }
}
