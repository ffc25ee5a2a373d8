//! Which functions an event starts, following Inngest's trigger rules.
//!
//! A trigger's event name matches when it equals the incoming name or one of its wildcard
//! forms: `<prefix>/*` for every `/`-separated prefix and `<prefix>.*` for every
//! `.`-separated prefix. Wildcards are trailing and whole-segment only, and matching is
//! case-sensitive. An `if` expression is CEL over `event`; an expression that fails to
//! compile or evaluate, or does not yield a boolean, skips the trigger.

use cel::common::ast::{EntryExpr, Expr};
use cel::IdedExpr;
use serde_json::Value;
use switchyard_runtime::{FunctionEntry, Registry, Trigger};

/// Whether the trigger name `pattern` matches the event name `name`.
pub fn name_matches(pattern: &str, name: &str) -> bool {
    if pattern == name {
        return true;
    }
    let Some(prefix) = pattern
        .strip_suffix("/*")
        .or_else(|| pattern.strip_suffix(".*"))
    else {
        return false;
    };
    let separator = pattern.as_bytes()[prefix.len()];
    name.strip_prefix(prefix)
        .is_some_and(|rest| rest.len() > 1 && rest.as_bytes()[0] == separator)
}

/// Evaluates a CEL expression with the given variables and says whether it holds.
///
/// Fields the expression reads but the variables lack are null, as in Inngest. Compile
/// errors, evaluation errors and non-boolean results all count as `false`.
pub fn expression_holds(expression: &str, variables: &[(&str, &Value)]) -> bool {
    matches!(
        evaluate(expression, variables),
        Some(cel::Value::Bool(true))
    )
}

/// Evaluates a concurrency key expression over `event` and returns the key as text.
///
/// As in Inngest, a string is its own key and any other value is written out (`42`,
/// `true`, `null`); an expression that fails to compile or evaluate yields `null`, so every
/// such run shares one key.
pub fn expression_key(expression: &str, event: &Value) -> String {
    match evaluate(expression, &[("event", event)]) {
        Some(cel::Value::String(text)) => text.as_str().to_owned(),
        Some(cel::Value::Int(number)) => number.to_string(),
        Some(cel::Value::UInt(number)) => number.to_string(),
        Some(cel::Value::Float(number)) => number.to_string(),
        Some(cel::Value::Bool(flag)) => flag.to_string(),
        Some(cel::Value::Null) | None => "null".to_owned(),
        Some(other) => format!("{other:?}"),
    }
}

/// How many compiled expressions [`compiled`] keeps; past it the cache starts over, so that
/// `wait_for_event` expressions with values written into them cannot grow it without end.
const COMPILED_LIMIT: usize = 1024;

/// A compiled expression with the variable paths it reads.
type Compiled = (cel::Program, Vec<Vec<String>>);

/// `expression` compiled, from a process-wide cache: the same trigger, key and cancel
/// expressions are evaluated for every event, and compiling is most of their cost. `None`
/// when it does not compile.
fn compiled(expression: &str) -> Option<std::sync::Arc<Compiled>> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock, PoisonError};

    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Compiled>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(found) = cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(expression)
    {
        return Some(Arc::clone(found));
    }

    let program = cel::Program::compile(expression).ok()?;
    let mut paths = Vec::new();
    select_paths(program.expression(), &mut paths);
    let entry = Arc::new((program, paths));
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    if cache.len() >= COMPILED_LIMIT {
        cache.clear();
    }
    cache.insert(expression.to_owned(), Arc::clone(&entry));
    Some(entry)
}

/// Why a CEL expression does not compile, or `None` when it does.
pub fn expression_error(expression: &str) -> Option<String> {
    cel::Program::compile(expression)
        .err()
        .map(|error| error.to_string())
}

/// Runs a CEL expression with missing fields read as null; `None` if it does not compile
/// or fails to evaluate.
fn evaluate(expression: &str, variables: &[(&str, &Value)]) -> Option<cel::Value> {
    let (program, paths) = &*compiled(expression)?;

    let mut context = cel::Context::default();
    for (name, value) in variables {
        let mut value = (*value).clone();
        for path in paths.iter().filter(|path| path[0] == *name) {
            fill_missing(&mut value, &path[1..]);
        }
        let value = cel::to_value(value).ok()?;
        context.add_variable_from_value(*name, value);
    }
    program.execute(&context).ok()
}

/// Collects every field path the expression reads, such as `["event", "data", "plan"]`.
fn select_paths(expr: &IdedExpr, paths: &mut Vec<Vec<String>>) {
    let mut visit = |child: &IdedExpr| select_paths(child, paths);
    match &expr.expr {
        Expr::Select(select) => {
            // `has(...)` tests presence and must still see the field as missing.
            if !select.test {
                if let Some(path) = select_path(expr) {
                    paths.push(path);
                }
            }
            select_paths(&select.operand, paths);
        }
        Expr::Call(call) => {
            call.target.iter().for_each(|target| visit(target));
            call.args.iter().for_each(visit);
        }
        Expr::List(list) => list.elements.iter().for_each(visit),
        Expr::Map(map) => {
            for entry in &map.entries {
                if let EntryExpr::MapEntry(entry) = &entry.expr {
                    visit(&entry.key);
                    visit(&entry.value);
                }
            }
        }
        Expr::Comprehension(loop_expr) => {
            let parts = [
                &loop_expr.iter_range,
                &loop_expr.accu_init,
                &loop_expr.loop_cond,
                &loop_expr.loop_step,
                &loop_expr.result,
            ];
            parts.into_iter().for_each(visit);
        }
        _ => {}
    }
}

/// The path of a chain of field selections that starts at a variable.
fn select_path(expr: &IdedExpr) -> Option<Vec<String>> {
    match &expr.expr {
        Expr::Ident(name) => Some(vec![name.clone()]),
        Expr::Select(select) => {
            let mut path = select_path(&select.operand)?;
            path.push(select.field.clone());
            Some(path)
        }
        _ => None,
    }
}

/// Adds the missing fields of `path` to `value`: null at the end, empty objects between,
/// so that reading the path yields null instead of an error.
fn fill_missing(value: &mut Value, path: &[String]) {
    let Some((field, rest)) = path.split_first() else {
        return;
    };
    let Value::Object(fields) = value else {
        return;
    };
    let slot = fields.entry(field.clone()).or_insert_with(|| {
        if rest.is_empty() {
            Value::Null
        } else {
            Value::Object(serde_json::Map::new())
        }
    });
    fill_missing(slot, rest);
}

/// Whether one trigger of a function fires for the event.
pub fn trigger_fires(trigger: &Trigger, event: &Value) -> bool {
    let Trigger::Event {
        event: pattern,
        expression,
    } = trigger
    else {
        return false;
    };
    let name = event["name"].as_str().unwrap_or_default();
    if !name_matches(pattern, name) {
        return false;
    }
    expression.is_none_or(|expression| expression_holds(expression, &[("event", event)]))
}

/// The functions the event starts, each at most once, in registry order.
pub fn matching_functions(
    registry: &'static Registry,
    event: &Value,
) -> Vec<&'static FunctionEntry> {
    registry
        .functions()
        .iter()
        .filter(|entry| {
            entry
                .config
                .triggers
                .iter()
                .any(|trigger| trigger_fires(trigger, event))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_names_like_inngest() {
        let cases = [
            ("app/user.created", "app/user.created", true),
            ("app/*", "app/user.created", true),
            ("app/user.*", "app/user.created", true),
            ("api/v1/*", "api/v1/users", true),
            ("api/*", "api/v1/users", true),
            ("test/*", "test/x", true),
            ("app/use*", "app/user.created", false),
            ("app/user.created", "App/user.created", false),
            ("app/*", "app", false),
            ("app/*", "app/", false),
            ("app/*", "apps/x", false),
            ("app/user.*", "app/user/x", false),
            ("*", "app/x", false),
            ("app/x", "app/x/y", false),
        ];

        for (pattern, name, expected) in cases {
            assert_eq!(name_matches(pattern, name), expected, "{pattern} vs {name}");
        }
    }

    #[test]
    fn evaluates_if_expressions_and_skips_on_errors() {
        let event = json!({"name": "a/b", "data": {"amount": 5, "plan": "pro"}});
        let cases = [
            ("event.data.amount > 3", true),
            ("event.data.amount > 7", false),
            ("event.data.plan == 'pro'", true),
            ("event.data.amount", false),
            ("event.data.(", false),
            ("event.data.missing.deeper == 1", false),
            ("event.data.missing == null", true),
            ("event.data.missing.deeper == null", true),
            ("event.data.plan.tier == null", false),
            ("has(event.data.missing)", false),
            ("has(event.data.plan)", true),
            ("event.data.amount > 3.5", true),
        ];

        for (expression, expected) in cases {
            let holds = expression_holds(expression, &[("event", &event)]);
            assert_eq!(holds, expected, "{expression}");
        }
    }

    #[test]
    fn turns_key_expressions_into_text_like_inngest() {
        let event = json!({"data": {"customer": "acme", "n": 7, "vip": true}});
        let cases = [
            ("event.data.customer", "acme"),
            ("event.data.n", "7"),
            ("event.data.vip", "true"),
            ("event.data.customer + '-' + string(event.data.n)", "acme-7"),
            ("event.data.missing", "null"),
            ("event.data.(", "null"),
        ];

        for (expression, expected) in cases {
            assert_eq!(expression_key(expression, &event), expected, "{expression}");
        }
    }

    #[test]
    fn waits_see_the_original_event_and_the_new_one() {
        let original = json!({"data": {"id": 7}});
        let arrived = json!({"data": {"id": 7}});
        let other = json!({"data": {"id": 8}});
        let expression = "event.data.id == async.data.id";

        let same = expression_holds(expression, &[("event", &original), ("async", &arrived)]);
        let differ = expression_holds(expression, &[("event", &original), ("async", &other)]);

        assert!(same);
        assert!(!differ);
    }
}
