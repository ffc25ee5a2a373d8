//! The function configurations an app announces to Inngest when it syncs.
//!
//! A function that declares its own failure handler is followed by a companion function, as
//! the JS SDK registers `onFailure`: id `<app>-<fn>-failure`, name `<name> (failure)`,
//! triggered by `inngest/function.failed` for that function only, with one retry and no
//! other configuration.

use serde_json::{json, Map, Value};

use crate::step::composite_id;
use crate::{
    Concurrency, Config, FunctionEntry, Registry, Trigger, FAILURE_HANDLER_RETRIES, FAILURE_SUFFIX,
    FUNCTION_FAILED_EVENT,
};

/// Every function of `registry` as Inngest's sync payload describes it, in registry order,
/// each function's own failure handler right after it.
///
/// `app_url` is the absolute URL Inngest calls, such as `https://app.example.test/api/inngest`;
/// each function's step URL adds `fnId` and `stepId` to it.
pub fn function_configs(registry: &Registry, app_id: &str, app_url: &str) -> Vec<Value> {
    let mut configs = Vec::with_capacity(registry.inngest_function_count());
    for entry in registry.functions() {
        configs.push(function_config(entry.config, app_id, app_url));
        configs.extend(failure_config(entry, app_id, app_url));
    }
    configs
}

/// One function's configuration for the sync payload.
pub fn function_config(config: &Config, app_id: &str, app_url: &str) -> Value {
    let id = composite_id(app_id, config.id);
    let step = step(&id, app_url, config.retries);

    let mut function = Map::new();
    function.insert("id".into(), json!(id));
    function.insert("name".into(), json!(config.display_name()));
    function.insert(
        "triggers".into(),
        config.triggers.iter().map(trigger).collect(),
    );
    function.insert("steps".into(), json!({ "step": step }));
    if let Some(concurrency) = &config.concurrency {
        function.insert("concurrency".into(), concurrency_json(concurrency));
    }
    if !config.cancel_on.is_empty() {
        function.insert("cancel".into(), json!(config.cancel_on));
    }
    Value::Object(function)
}

/// The configuration of the companion function that runs `entry`'s own failure handler, or
/// `None` when it declares none.
pub fn failure_config(entry: &FunctionEntry, app_id: &str, app_url: &str) -> Option<Value> {
    entry.on_failure?;
    let function_id = composite_id(app_id, entry.config.id);
    let id = format!("{function_id}{FAILURE_SUFFIX}");

    Some(json!({
        "id": id,
        "name": format!("{} (failure)", entry.config.display_name()),
        "triggers": [{
            "event": FUNCTION_FAILED_EVENT,
            "expression": format!("event.data.function_id == '{function_id}'"),
        }],
        "steps": { "step": step(&id, app_url, Some(FAILURE_HANDLER_RETRIES)) },
    }))
}

/// The one step Inngest calls a function through, at `app_url` with `fnId` and `stepId`.
fn step(id: &str, app_url: &str, retries: Option<u32>) -> Value {
    let separator = if app_url.contains('?') { '&' } else { '?' };
    let url = format!("{app_url}{separator}fnId={}&stepId=step", encode(id));

    let mut step = json!({
        "id": "step",
        "name": "step",
        "runtime": { "type": "http", "url": url },
    });
    if let Some(retries) = retries {
        step["retries"] = json!({ "attempts": retries });
    }
    step
}

fn trigger(trigger: &Trigger) -> Value {
    match trigger {
        Trigger::Event {
            event,
            expression: None,
        } => json!({ "event": event }),
        Trigger::Event {
            event,
            expression: Some(expression),
        } => json!({ "event": event, "expression": expression }),
        Trigger::Cron { cron } => json!({ "cron": cron }),
    }
}

/// A bare limit is sent as a number, a keyed one as a list of limits, both of which Inngest
/// accepts.
fn concurrency_json(concurrency: &Concurrency) -> Value {
    match concurrency.key {
        None => json!(concurrency.limit),
        Some(key) => json!([{ "limit": concurrency.limit, "key": key }]),
    }
}

/// Percent-encodes the characters that cannot stand in a query value.
fn encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::future::BoxFuture;

    use super::*;
    use crate::{Cancel, Feature, Invocation};

    const FLAKY: Config = Config {
        id: "flaky",
        name: "Flaky",
        triggers: &[
            Trigger::event_if("app/order.placed", "event.data.total > 10"),
            Trigger::cron("TZ=Europe/Paris 0 9 * * *"),
        ],
        retries: Some(3),
        concurrency: Some(Concurrency::keyed(2, "event.data.user_id")),
        cancel_on: &[
            Cancel::event_if("app/order.cancelled", "async.data.id == event.data.id")
                .timeout(Duration::from_secs(86_400)),
        ],
    };

    const STRICT: Config = Config {
        id: "strict",
        triggers: &[Trigger::event("app/x")],
        retries: Some(0),
        concurrency: Some(Concurrency::limit(5)),
        ..Config::DEFAULT
    };

    #[test]
    fn describes_a_function_for_sync() {
        let config = function_config(&FLAKY, "demo-app", "https://app.example.test/api/inngest");

        assert_eq!(
            config,
            json!({
                "id": "demo-app-flaky",
                "name": "Flaky",
                "triggers": [
                    { "event": "app/order.placed", "expression": "event.data.total > 10" },
                    { "cron": "TZ=Europe/Paris 0 9 * * *" }
                ],
                "steps": { "step": {
                    "id": "step",
                    "name": "step",
                    "runtime": {
                        "type": "http",
                        "url": "https://app.example.test/api/inngest?fnId=demo-app-flaky&stepId=step"
                    },
                    "retries": { "attempts": 3 }
                } },
                "concurrency": [{ "limit": 2, "key": "event.data.user_id" }],
                "cancel": [{
                    "event": "app/order.cancelled",
                    "if": "async.data.id == event.data.id",
                    "timeout": "1d"
                }]
            })
        );
    }

    #[test]
    fn keeps_zero_retries_and_an_existing_query() {
        let config = function_config(&STRICT, "demo-app", "http://h/api/inngest?x=1");

        assert_eq!(config["name"], "strict");
        assert_eq!(config["steps"]["step"]["retries"], json!({ "attempts": 0 }));
        assert_eq!(config["concurrency"], json!(5));
        assert_eq!(
            config["steps"]["step"]["runtime"]["url"],
            "http://h/api/inngest?x=1&fnId=demo-app-strict&stepId=step"
        );
    }

    #[test]
    fn leaves_out_undeclared_retries() {
        const PLAIN: Config = Config {
            id: "plain",
            triggers: &[Trigger::event("a/b")],
            ..Config::DEFAULT
        };

        let config = function_config(&PLAIN, "demo-app", "http://h/api/inngest");

        assert!(config["steps"]["step"].get("retries").is_none());
        assert!(config.get("concurrency").is_none());
        assert!(config.get("cancel").is_none());
    }

    fn answer(_: Invocation) -> BoxFuture<'static, crate::Result<Value>> {
        Box::pin(async { Ok(Value::Null) })
    }

    static ENTRIES: [FunctionEntry; 2] = [
        FunctionEntry {
            config: &FLAKY,
            feature: "shop",
            source: "features/shop/events/event-flaky.rs",
            module: "shop_event_flaky",
            handler: answer,
            on_failure: Some(answer),
        },
        FunctionEntry {
            config: &STRICT,
            feature: "shop",
            source: "features/shop/events/event-strict.rs",
            module: "shop_event_strict",
            handler: answer,
            on_failure: None,
        },
    ];
    static FEATURES: [Feature; 1] = [Feature {
        name: "shop",
        functions: &[&ENTRIES[0], &ENTRIES[1]],
    }];
    static REGISTRY: Registry = Registry::new(
        &ENTRIES,
        &FEATURES,
        &[("flaky", 0), ("strict", 1)],
        "features/**/events/event-*.rs",
    );

    #[test]
    fn follows_a_function_with_its_own_failure_handler_as_the_js_sdk_does() {
        let configs = function_configs(&REGISTRY, "demo-app", "http://h/api/inngest");

        let ids: Vec<&str> = configs.iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert_eq!(
            ids,
            [
                "demo-app-flaky",
                "demo-app-flaky-failure",
                "demo-app-strict"
            ]
        );
        assert_eq!(
            configs[1],
            json!({
                "id": "demo-app-flaky-failure",
                "name": "Flaky (failure)",
                "triggers": [{
                    "event": "inngest/function.failed",
                    "expression": "event.data.function_id == 'demo-app-flaky'"
                }],
                "steps": { "step": {
                    "id": "step",
                    "name": "step",
                    "runtime": {
                        "type": "http",
                        "url": "http://h/api/inngest?fnId=demo-app-flaky-failure&stepId=step"
                    },
                    "retries": { "attempts": 1 }
                } }
            })
        );
        assert_eq!(REGISTRY.inngest_function_count(), configs.len());
    }

    #[test]
    fn names_a_failure_handler_after_the_id_when_the_function_has_no_name() {
        let strict_with_handler = FunctionEntry {
            on_failure: Some(answer),
            ..ENTRIES[1]
        };

        let config = failure_config(&strict_with_handler, "demo-app", "http://h/api/inngest");

        assert_eq!(config.unwrap()["name"], "strict (failure)");
        assert!(failure_config(&ENTRIES[1], "demo-app", "http://h/").is_none());
    }
}
