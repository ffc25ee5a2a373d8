//! Function ids as Inngest sees them: `<app id>-<function id>`, and finding a function by
//! either form.
//!
//! Inngest registers every function under a composite id made of the app id and the
//! function's own id, and calls it back by that id. Lookups therefore accept both forms, and
//! the app id is added in exactly one place, so an id is never prefixed twice.

use switchyard_runtime::{Callee, FunctionEntry, Registry};

/// The id Inngest knows a function by: `<app id>-<function id>`.
pub fn composite_id(app_id: &str, function_id: &str) -> String {
    format!("{app_id}-{function_id}")
}

/// The function whose id is `id`, or whose composite id under `app_id` is `id`.
///
/// An exact match on the function's own id wins over a composite match.
pub fn resolve(registry: &Registry, app_id: &str, id: &str) -> Option<&'static FunctionEntry> {
    if let Some(entry) = registry.get(id) {
        return Some(entry);
    }

    let bare = id.strip_prefix(app_id)?.strip_prefix('-')?;
    registry.get(bare)
}

/// The function or failure handler whose id is `id`, bare or composite under `app_id`:
/// `<id>`, `<id>-failure`, `<app id>-<id>` or `<app id>-<id>-failure`.
///
/// An exact match on a bare id wins over a composite match.
pub fn resolve_callee(registry: &Registry, app_id: &str, id: &str) -> Option<Callee<'static>> {
    if let Some(callee) = registry.callee(id) {
        return Some(callee);
    }

    let bare = id.strip_prefix(app_id)?.strip_prefix('-')?;
    registry.callee(bare)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_registry::TEST_REGISTRY;

    const KNOWN: &str = "invoice-paid";

    #[test]
    fn joins_app_and_function_ids_with_a_hyphen() {
        assert_eq!(
            composite_id("demo-app", "summarize-pages"),
            "demo-app-summarize-pages"
        );
    }

    #[test]
    fn resolves_bare_and_composite_ids_to_the_same_function() {
        let cases = [
            (KNOWN.to_owned(), Some(KNOWN)),
            (composite_id("demo-app", KNOWN), Some(KNOWN)),
            (
                composite_id("demo-app", &composite_id("demo-app", KNOWN)),
                None,
            ),
            (composite_id("other-app", KNOWN), None),
            (format!("demo-app{KNOWN}"), None),
            ("demo-app-nope".to_owned(), None),
            ("demo-app".to_owned(), None),
        ];

        for (id, expected) in cases {
            let found = resolve(&TEST_REGISTRY, "demo-app", &id).map(FunctionEntry::id);

            assert_eq!(found, expected, "resolving {id:?}");
        }
    }

    #[test]
    fn resolves_failure_handlers_only_for_functions_that_declare_one() {
        let cases = [
            (
                "demo-app-prepare-digest-failure",
                Some(("prepare-digest-failure", true)),
            ),
            (
                "prepare-digest-failure",
                Some(("prepare-digest-failure", true)),
            ),
            ("demo-app-prepare-digest", Some(("prepare-digest", false))),
            ("demo-app-invoice-paid-failure", None),
            ("other-app-prepare-digest-failure", None),
        ];

        for (id, expected) in cases {
            let found = resolve_callee(&TEST_REGISTRY, "demo-app", id);

            let found = found.map(|c| (c.id().into_owned(), c.handles_failures()));
            let expected = expected.map(|(id, handler)| (id.to_owned(), handler));
            assert_eq!(found, expected, "resolving {id:?}");
        }
    }

    #[test]
    fn prefers_an_exact_id_that_starts_with_the_app_id() {
        let exact = resolve(&TEST_REGISTRY, "invoice", "invoice-paid");
        let composite = resolve(&TEST_REGISTRY, "invoice", "invoice-invoice-paid");

        assert_eq!(exact.map(FunctionEntry::id), Some("invoice-paid"));
        assert_eq!(composite.map(FunctionEntry::id), Some("invoice-paid"));
    }
}
