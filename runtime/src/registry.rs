//! The registry types that the generated `all_functions.rs` fills in.

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
}

impl FunctionEntry {
    /// The function id, unique in the registry.
    pub fn id(&self) -> &'static str {
        self.config.id
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

    /// The discovery pattern the registry was generated from.
    pub fn pattern(&self) -> &'static str {
        self.pattern
    }
}
