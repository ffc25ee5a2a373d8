//! The JSON description of a registered function, shared by `switchyard functions --json`
//! and the dev-mode endpoint `GET /api/inngest/functions`.

use serde::Serialize;
use switchyard_runtime::{Cancel, Concurrency, FunctionEntry, Registry, Trigger};

use crate::function_id::composite_id;

/// One function as the CLI and the debug endpoint list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunctionSummary {
    /// The function's own id.
    pub id: &'static str,
    /// The id Inngest knows it by: `<app id>-<id>`.
    pub composite_id: String,
    /// The display name, or the id when the function has none.
    pub name: &'static str,
    /// The feature folder, such as `auth` or `billing/invoices`.
    pub feature: &'static str,
    /// The event file, relative to the repository root, with `/` separators.
    pub source: &'static str,
    /// What starts a run: `{"event": .., "if"?: ..}` or `{"cron": ..}` items.
    pub triggers: &'static [Trigger],
    /// The retries the function declares, or `None` when it keeps Inngest's default.
    pub retries: Option<u32>,
    /// The retries that apply, with Inngest's default filled in.
    pub effective_retries: u32,
    /// The concurrency limit, if any.
    pub concurrency: Option<Concurrency>,
    /// Events that cancel unfinished runs: `{"event", "if"?, "timeout"?}` items.
    pub cancel_on: &'static [Cancel],
    /// The composite id of the function's own failure handler, `<app id>-<id>-failure`, when
    /// it declares one.
    pub failure_handler: Option<String>,
}

impl FunctionSummary {
    /// Describes one registry entry of the app `app_id`.
    pub fn new(entry: &FunctionEntry, app_id: &str) -> FunctionSummary {
        let config = entry.config;
        FunctionSummary {
            id: config.id,
            composite_id: composite_id(app_id, config.id),
            name: config.display_name(),
            feature: entry.feature,
            source: entry.source,
            triggers: config.triggers,
            retries: config.retries,
            effective_retries: config.effective_retries(),
            concurrency: config.concurrency,
            cancel_on: config.cancel_on,
            failure_handler: entry
                .failure_id()
                .map(|failure_id| composite_id(app_id, &failure_id)),
        }
    }
}

/// Describes every function of `registry`, in registry order.
pub fn summaries(registry: &Registry, app_id: &str) -> Vec<FunctionSummary> {
    registry
        .functions()
        .iter()
        .map(|entry| FunctionSummary::new(entry, app_id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_registry::TEST_REGISTRY;
    use serde_json::json;

    #[test]
    fn describes_triggers_defaults_and_concurrency_in_the_documented_shape() {
        let entry = TEST_REGISTRY.get("prepare-digest").unwrap();

        let json = serde_json::to_value(FunctionSummary::new(entry, "demo-app")).unwrap();

        assert_eq!(
            json,
            json!({
                "id": "prepare-digest",
                "composite_id": "demo-app-prepare-digest",
                "name": "prepare-digest",
                "feature": "admin",
                "source": "features/admin/events/event-prepare-digest.rs",
                "triggers": [
                    {"cron": "TZ=Europe/Paris 0 9 * * *"},
                    {"event": "admin/digest.requested", "if": "event.data.force"}
                ],
                "retries": null,
                "effective_retries": 4,
                "concurrency": {"limit": 1, "key": "event.data.team"},
                "cancel_on": [{"event": "admin/digest.cancelled"}],
                "failure_handler": "demo-app-prepare-digest-failure"
            })
        );
    }

    #[test]
    fn keeps_a_declared_zero_retries_and_the_display_name() {
        let entry = TEST_REGISTRY.get("invoice-sent").unwrap();

        let summary = FunctionSummary::new(entry, "demo-app");

        assert_eq!(summary.retries, Some(0));
        assert_eq!(summary.effective_retries, 0);
        assert_eq!(summary.name, "Record a sent invoice");
        assert!(summary.cancel_on.is_empty());
        assert_eq!(summary.failure_handler, None);
    }

    #[test]
    fn lists_every_function_in_registry_order() {
        let listed = summaries(&TEST_REGISTRY, "demo-app");

        let ids: Vec<_> = listed.iter().map(|summary| summary.id).collect();
        assert_eq!(ids, ["prepare-digest", "invoice-paid", "invoice-sent"]);
    }
}
