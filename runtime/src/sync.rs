//! The function configurations an app announces to Inngest when it syncs.

use serde_json::{json, Map, Value};

use crate::step::composite_id;
use crate::{Concurrency, Config, Registry, Trigger};

/// Every function of `registry` as Inngest's sync payload describes it, in registry order.
///
/// `app_url` is the absolute URL Inngest calls, such as `https://app.example.test/api/inngest`;
/// each function's step URL adds `fnId` and `stepId` to it.
pub fn function_configs(registry: &Registry, app_id: &str, app_url: &str) -> Vec<Value> {
    registry
        .functions()
        .iter()
        .map(|entry| function_config(entry.config, app_id, app_url))
        .collect()
}

/// One function's configuration for the sync payload.
pub fn function_config(config: &Config, app_id: &str, app_url: &str) -> Value {
    let id = composite_id(app_id, config.id);
    let separator = if app_url.contains('?') { '&' } else { '?' };
    let url = format!("{app_url}{separator}fnId={}&stepId=step", encode(&id));

    let mut step = json!({
        "id": "step",
        "name": "step",
        "runtime": { "type": "http", "url": url },
    });
    if let Some(retries) = config.retries {
        step["retries"] = json!({ "attempts": retries });
    }

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
    Value::Object(function)
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
    use super::*;

    const FLAKY: Config = Config {
        id: "flaky",
        name: "Flaky",
        triggers: &[
            Trigger::event_if("app/order.placed", "event.data.total > 10"),
            Trigger::cron("TZ=Europe/Paris 0 9 * * *"),
        ],
        retries: Some(3),
        concurrency: Some(Concurrency::keyed(2, "event.data.user_id")),
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
                "concurrency": [{ "limit": 2, "key": "event.data.user_id" }]
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
    }
}
