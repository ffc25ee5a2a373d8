//! The registry types that the generated `all_functions.rs` fills in.

use std::borrow::Cow;

use crate::config::{FAILURE_HANDLER_RETRIES, FAILURE_SUFFIX};
use crate::{Config, Handler};

/// One discovered function: its configuration, where it came from, and its handler.
#[derive(Debug)]
pub struct FunctionEntry {
    /// The `CONFIG` of the event file.
    pub config: &'static Config,
    /// Folder path between `features/` and `events/`, such as `auth` or `billing/invoices`.
    pub feature: &'static str,
    /// Repository-relative path of the event file, with `/` separators.
    pub source: &'static str,
    /// Name of the generated module that holds the event file.
    pub module: &'static str,
    /// The type-erased function.
    pub handler: Handler,
    /// The function's own failure handler (`on_failure`), when the event file declares one.
    pub on_failure: Option<Handler>,
}

impl FunctionEntry {
    /// The function id, unique in the registry.
    pub fn id(&self) -> &'static str {
        self.config.id
    }

    /// The id of the function's own failure handler, `<id>-failure`, when it declares one.
    pub fn failure_id(&self) -> Option<String> {
        self.on_failure
            .map(|_| format!("{}{FAILURE_SUFFIX}", self.config.id))
    }
}

/// What a call runs: a function, or the failure handler it declares.
///
/// Inngest knows a function's own failure handler as a function of its own, `<id>-failure`,
/// triggered by `inngest/function.failed` for that function.
#[derive(Debug, Clone, Copy)]
pub enum Callee<'a> {
    /// The function's `run`.
    Function(&'a FunctionEntry),
    /// The function's `on_failure`.
    FailureHandler(&'a FunctionEntry),
}

impl<'a> Callee<'a> {
    /// The function this callee belongs to.
    pub fn entry(self) -> &'a FunctionEntry {
        match self {
            Callee::Function(entry) | Callee::FailureHandler(entry) => entry,
        }
    }

    /// The id Inngest knows it by, without the app id: `<id>` or `<id>-failure`.
    pub fn id(self) -> Cow<'static, str> {
        match self {
            Callee::Function(entry) => Cow::Borrowed(entry.config.id),
            Callee::FailureHandler(entry) => {
                Cow::Owned(format!("{}{FAILURE_SUFFIX}", entry.config.id))
            }
        }
    }

    /// The handler to call, or `None` for the failure handler of a function that has none.
    pub fn handler(self) -> Option<Handler> {
        match self {
            Callee::Function(entry) => Some(entry.handler),
            Callee::FailureHandler(entry) => entry.on_failure,
        }
    }

    /// How many times a failed call is retried: the function's retries, or one for a
    /// function's own failure handler.
    pub fn retries(self) -> u32 {
        match self {
            Callee::Function(entry) => entry.config.effective_retries(),
            Callee::FailureHandler(_) => FAILURE_HANDLER_RETRIES,
        }
    }

    /// Whether this callee runs because something failed: a function triggered by
    /// `inngest/function.failed`, or a function's own failure handler. Its own failure must
    /// never be reported as another `function.failed`, or failures would loop.
    pub fn handles_failures(self) -> bool {
        match self {
            Callee::Function(entry) => entry.config.is_failure_handler(),
            Callee::FailureHandler(_) => true,
        }
    }
}

impl<'a> From<&'a FunctionEntry> for Callee<'a> {
    fn from(entry: &'a FunctionEntry) -> Callee<'a> {
        Callee::Function(entry)
    }
}

/// The functions of one feature folder.
#[derive(Debug)]
pub struct Feature {
    /// The feature's folder path.
    pub name: &'static str,
    /// Its functions, in registry order.
    pub functions: &'static [&'static FunctionEntry],
}

/// Every function of the app, as generated at build time.
#[derive(Debug)]
pub struct Registry {
    functions: &'static [FunctionEntry],
    features: &'static [Feature],
    by_id: &'static [(&'static str, usize)],
    pattern: &'static str,
}

impl Registry {
    /// Assembles a registry; only generated code calls this.
    ///
    /// `by_id` pairs each id with its index in `functions` and must be sorted by id.
    #[doc(hidden)]
    pub const fn new(
        functions: &'static [FunctionEntry],
        features: &'static [Feature],
        by_id: &'static [(&'static str, usize)],
        pattern: &'static str,
    ) -> Registry {
        Registry {
            functions,
            features,
            by_id,
            pattern,
        }
    }

    /// Every function: failure handlers first, then by feature, then by file name.
    pub fn functions(&self) -> &'static [FunctionEntry] {
        self.functions
    }

    /// How many functions there are.
    pub fn len(&self) -> usize {
        self.functions.len()
    }

    /// Whether there are no functions at all.
    pub fn is_empty(&self) -> bool {
        self.functions.is_empty()
    }

    /// Every feature with its functions, sorted by feature name.
    pub fn features(&self) -> &'static [Feature] {
        self.features
    }

    /// The functions of one feature, if it exists.
    pub fn feature(&self, name: &str) -> Option<&'static Feature> {
        let index = self
            .features
            .binary_search_by(|feature| feature.name.cmp(name))
            .ok()?;
        Some(&self.features[index])
    }

    /// The function with this id, found by binary search.
    pub fn get(&self, id: &str) -> Option<&'static FunctionEntry> {
        let index = self
            .by_id
            .binary_search_by(|(key, _)| (*key).cmp(id))
            .ok()?;
        Some(&self.functions[self.by_id[index].1])
    }

    /// The function or failure handler with this id: a function's own id, or
    /// `<id>-failure` for the failure handler of a function that declares one. A function
    /// whose id is exactly `id` wins.
    pub fn callee(&self, id: &str) -> Option<Callee<'static>> {
        if let Some(entry) = self.get(id) {
            return Some(Callee::Function(entry));
        }
        let entry = self.get(id.strip_suffix(FAILURE_SUFFIX)?)?;
        entry.on_failure.map(|_| Callee::FailureHandler(entry))
    }

    /// How many functions Inngest sees: every function plus each function's own failure
    /// handler, as the sync payload lists them.
    pub fn inngest_function_count(&self) -> usize {
        let handlers = self.functions.iter().filter(|f| f.on_failure.is_some());
        self.functions.len() + handlers.count()
    }

    /// The discovery pattern the registry was generated from.
    pub fn pattern(&self) -> &'static str {
        self.pattern
    }
}

#[cfg(test)]
mod tests {
    use futures_util::future::BoxFuture;
    use serde_json::Value;

    use super::*;
    use crate::{Invocation, Trigger};

    fn answer(_: Invocation) -> BoxFuture<'static, crate::Result<Value>> {
        Box::pin(async { Ok(Value::Null) })
    }

    const PLAIN: Config = Config {
        id: "plain",
        triggers: &[Trigger::event("a/plain")],
        ..Config::DEFAULT
    };
    const GUARDED: Config = Config {
        id: "guarded",
        retries: Some(7),
        triggers: &[Trigger::event("a/guarded")],
        ..Config::DEFAULT
    };

    static ENTRIES: [FunctionEntry; 2] = [
        FunctionEntry {
            config: &GUARDED,
            feature: "a",
            source: "features/a/events/event-guarded.rs",
            module: "a_event_guarded",
            handler: answer,
            on_failure: Some(answer),
        },
        FunctionEntry {
            config: &PLAIN,
            feature: "a",
            source: "features/a/events/event-plain.rs",
            module: "a_event_plain",
            handler: answer,
            on_failure: None,
        },
    ];
    static FEATURES: [Feature; 1] = [Feature {
        name: "a",
        functions: &[&ENTRIES[0], &ENTRIES[1]],
    }];
    static REGISTRY: Registry = Registry::new(
        &ENTRIES,
        &FEATURES,
        &[("guarded", 0), ("plain", 1)],
        "features/**/events/event-*.rs",
    );

    #[test]
    fn finds_functions_and_the_failure_handlers_they_declare() {
        let cases = [
            ("guarded", Some(("guarded", false))),
            ("guarded-failure", Some(("guarded-failure", true))),
            ("plain", Some(("plain", false))),
            ("plain-failure", None),
            ("guarded-failure-failure", None),
            ("-failure", None),
            ("missing", None),
        ];

        for (id, expected) in cases {
            let found = REGISTRY.callee(id);

            let found = found.map(|callee| (callee.id().into_owned(), callee.handles_failures()));
            let expected = expected.map(|(id, handles)| (id.to_owned(), handles));
            assert_eq!(found, expected, "callee {id:?}");
        }
    }

    #[test]
    fn retries_a_failure_handler_once_whatever_the_function_says() {
        let function = REGISTRY.callee("guarded").unwrap();
        let handler = REGISTRY.callee("guarded-failure").unwrap();

        assert_eq!(function.retries(), 7);
        assert_eq!(handler.retries(), 1);
        assert_eq!(handler.entry().id(), "guarded");
        assert_eq!(ENTRIES[0].failure_id().as_deref(), Some("guarded-failure"));
        assert_eq!(ENTRIES[1].failure_id(), None);
        assert_eq!(REGISTRY.inngest_function_count(), 3);
    }

    #[test]
    fn refuses_to_call_a_failure_handler_that_is_not_declared() {
        let callee = Callee::FailureHandler(&ENTRIES[1]);

        assert!(callee.handler().is_none());
        assert!(Callee::from(&ENTRIES[1]).handler().is_some());
    }
}
