//! Walking the tree and deciding which files are event files.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use walkdir::WalkDir;

/// The files and folders a walk found.
#[derive(Debug, Default)]
pub(crate) struct Discovery {
    /// Matching files: repository-relative path with `/` separators, and the real path.
    pub(crate) files: Vec<(String, PathBuf)>,
    /// Every folder under the walk's base, for rerun triggers.
    pub(crate) dirs: Vec<PathBuf>,
}

/// Compiles a glob whose `*` never crosses a `/`.
pub(crate) fn compile(pattern: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(pattern).literal_separator(true).build()
}

/// Compiles the ignore patterns into one set.
pub(crate) fn compile_set(patterns: &[String]) -> Result<GlobSet, globset::Error> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        builder.add(compile(pattern)?);
    }
    builder.build()
}

/// The leading components of `pattern` that hold no glob syntax: where the walk starts.
pub(crate) fn literal_base(pattern: &str) -> &str {
    let mut end = 0;
    for (index, component) in pattern.split('/').enumerate() {
        if component.contains(['*', '?', '[', '{']) {
            break;
        }
        end = if index == 0 {
            component.len()
        } else {
            end + 1 + component.len()
        };
    }
    &pattern[..end.min(pattern.len())]
}

/// Walks `root/<base of pattern>` and keeps the files that match `pattern` and no ignore.
pub(crate) fn discover(root: &Path, pattern: &Glob, base: &str, ignores: &GlobSet) -> Discovery {
    let matcher = pattern.compile_matcher();
    let mut discovery = Discovery::default();
    let base_dir = root.join(base);

    for entry in WalkDir::new(&base_dir)
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        if entry.file_type().is_dir() {
            discovery.dirs.push(entry.path().to_path_buf());
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(root) else {
            continue;
        };
        let Some(relative) = relative.to_str().map(|path| path.replace('\\', "/")) else {
            continue;
        };
        if matcher.is_match(&relative) && !ignores.is_match(&relative) {
            discovery.files.push((relative, entry.path().to_path_buf()));
        }
    }

    discovery.files.sort();
    discovery.dirs.sort();
    discovery
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_literal_base() {
        assert_eq!(literal_base("features/**/events/event-*.rs"), "features");
        assert_eq!(literal_base("app/features/**/x.rs"), "app/features");
        assert_eq!(literal_base("**/x.rs"), "");
    }
}
