//! Which paths are event files: the discovery pattern, the ignores, and the near misses.

use globset::{GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};

use crate::diagnostic::Problem;
use crate::naming::suggest;

/// Characters that make a pattern component a glob rather than a literal folder name.
const GLOB_CHARS: [char; 5] = ['*', '?', '[', '{', '\\'];

/// The compiled discovery pattern, such as `features/**/events/event-*.rs`.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    text: String,
    /// Leading literal folders, where the walk starts (`features`).
    base: String,
    /// The whole pattern.
    full: GlobMatcher,
    /// The pattern without its file-name component (`features/**/events`).
    folder: GlobMatcher,
    /// The file-name component before and after its `*` (`event-` and `.rs`).
    prefix: String,
    suffix: String,
    /// How many literal folders end the folder part (`events`: 1); they are not part of the
    /// feature.
    trailing: usize,
}

impl Pattern {
    /// Compiles `text`, a `/`-separated glob relative to the project root whose last
    /// component is a file name with exactly one `*` that ends in `.rs`.
    pub(crate) fn new(text: &str) -> Result<Pattern, Problem> {
        let invalid = |reason: &str| Problem::InvalidPattern {
            pattern: text.to_owned(),
            reason: reason.to_owned(),
        };
        let components: Vec<&str> = text.split('/').collect();
        if components
            .iter()
            .any(|c| c.is_empty() || *c == "." || *c == "..")
        {
            return Err(invalid(
                "it must be a relative path without empty, `.` or `..` components",
            ));
        }

        let (file, folders) = components.split_last().expect("split yields one component");
        let Some((prefix, suffix)) = file.split_once('*') else {
            return Err(invalid(
                "its file name must contain one `*`, as in `event-*.rs`",
            ));
        };
        if suffix.contains(GLOB_CHARS) || prefix.contains(GLOB_CHARS) || !suffix.ends_with(".rs") {
            return Err(invalid(
                "its file name must be a literal prefix, one `*` and a suffix ending in `.rs`",
            ));
        }

        let literal = folders
            .iter()
            .take_while(|c| !c.contains(GLOB_CHARS))
            .count();
        let trailing = match folders.iter().rposition(|c| c.contains(GLOB_CHARS)) {
            Some(last_glob) => folders.len() - last_glob - 1,
            None => 0,
        };
        let compile = |glob: &str| {
            GlobBuilder::new(glob)
                .literal_separator(true)
                .build()
                .map(|glob| glob.compile_matcher())
                .map_err(|error| invalid(&error.kind().to_string()))
        };

        Ok(Pattern {
            text: text.to_owned(),
            base: folders[..literal].join("/"),
            full: compile(text)?,
            folder: compile(&folders.join("/"))?,
            prefix: (*prefix).to_owned(),
            suffix: suffix.to_owned(),
            trailing,
        })
    }

    /// The leading literal folders, where discovery starts; empty for the project root.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// The file-name prefix, such as `event-`.
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The file-name suffix, such as `.rs`.
    pub(crate) fn suffix(&self) -> &str {
        &self.suffix
    }

    /// The literal folders that end the folder part, such as `events`.
    pub(crate) fn trailing_folders(&self) -> String {
        let folders: Vec<&str> = self.text.split('/').collect();
        let end = folders.len() - 1;
        folders[end - self.trailing..end].join("/")
    }

    /// The folder path between the base and the trailing literal folders of a matched path.
    fn feature_of<'a>(&self, folder: &'a str) -> &'a str {
        let mut feature = if self.base.is_empty() {
            folder
        } else {
            folder
                .strip_prefix(self.base.as_str())
                .map_or("", |rest| rest.trim_start_matches('/'))
        };
        for _ in 0..self.trailing {
            feature = feature.rsplit_once('/').map_or("", |(head, _)| head);
        }
        feature
    }
}

/// The ignore globs, matched case-insensitively against root-relative paths.
#[derive(Debug, Clone)]
pub(crate) struct Ignores {
    patterns: Vec<String>,
    set: GlobSet,
}

impl Ignores {
    /// Compiles every pattern; `*` never crosses a `/`.
    pub(crate) fn new(patterns: &[String]) -> Result<Ignores, Problem> {
        let mut builder = GlobSetBuilder::new();
        for pattern in patterns {
            let glob = GlobBuilder::new(pattern)
                .literal_separator(true)
                .case_insensitive(true)
                .build()
                .map_err(|error| Problem::InvalidIgnore {
                    pattern: pattern.clone(),
                    reason: error.kind().to_string(),
                })?;
            builder.add(glob);
        }
        let set = builder.build().map_err(|error| Problem::InvalidIgnore {
            pattern: patterns.join(", "),
            reason: error.to_string(),
        })?;

        Ok(Ignores {
            patterns: patterns.to_vec(),
            set,
        })
    }

    /// Whether any ignore matches `relative`.
    pub(crate) fn is_match(&self, relative: &str) -> bool {
        self.set.is_match(relative)
    }

    /// The patterns that match none of `paths`.
    pub(crate) fn unused<'a>(&self, paths: impl IntoIterator<Item = &'a str>) -> Vec<&str> {
        let mut used = vec![false; self.patterns.len()];
        let mut hits = Vec::new();
        for path in paths {
            self.set.matches_into(path, &mut hits);
            for &index in &hits {
                used[index] = true;
            }
        }

        self.patterns
            .iter()
            .zip(used)
            .filter(|(_, used)| !used)
            .map(|(pattern, _)| pattern.as_str())
            .collect()
    }
}

/// What a root-relative file path is to discovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Class<'a> {
    /// Matches the pattern and no ignore.
    Event(EventPath<'a>),
    /// Would match or nearly match, but an ignore excludes it.
    Ignored,
    /// A `.rs` file in an events folder that does not match the pattern.
    NearMiss {
        /// The file name it should have.
        suggestion: String,
    },
    /// Anything else: other folders, hidden files, editor leftovers, non-Rust files.
    Other,
}

/// The parts of a matched event file's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EventPath<'a> {
    /// Folder path between the base and the trailing folders (`auth`, `billing/invoices`).
    pub(crate) feature: &'a str,
    /// The file name without `.rs`, such as `event-sign-up`.
    pub(crate) stem: &'a str,
    /// The part the pattern's `*` matched, such as `sign-up`.
    pub(crate) name: &'a str,
}

/// The pattern and the ignores together.
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    pub(crate) pattern: Pattern,
    pub(crate) ignores: Ignores,
}

impl Matcher {
    /// Classifies a root-relative path with `/` separators.
    pub(crate) fn classify<'a>(&self, relative: &'a str) -> Class<'a> {
        let (folder, file_name) = relative.rsplit_once('/').unwrap_or(("", relative));
        if is_junk(file_name) || has_hidden_folder(folder) || !has_rs_extension(file_name) {
            return Class::Other;
        }
        if self.ignores.is_match(relative) {
            return Class::Ignored;
        }

        let pattern = &self.pattern;
        if pattern.full.is_match(relative) {
            let stem = &file_name[..file_name.len() - 3];
            let name = &file_name[pattern.prefix.len()..file_name.len() - pattern.suffix.len()];
            return Class::Event(EventPath {
                feature: pattern.feature_of(folder),
                stem,
                name,
            });
        }
        if pattern.folder.is_match(folder) {
            let suggestion = suggest(file_name, &pattern.prefix, &pattern.suffix);
            return Class::NearMiss { suggestion };
        }
        Class::Other
    }
}

/// Hidden files, editor backups, swap and lock files, and macOS resource forks.
fn is_junk(file_name: &str) -> bool {
    file_name.starts_with('.')
        || file_name.starts_with('#')
        || file_name.ends_with('~')
        || file_name.ends_with('#')
}

fn has_hidden_folder(folder: &str) -> bool {
    folder
        .split('/')
        .any(|component| component.starts_with('.'))
}

/// Whether the name ends in `.rs` in any case (`.RS` is a near miss, not junk).
fn has_rs_extension(file_name: &str) -> bool {
    let bytes = file_name.as_bytes();
    bytes.len() > 3 && bytes[bytes.len() - 3..].eq_ignore_ascii_case(b".rs")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(pattern: &str, ignores: &[&str]) -> Matcher {
        let ignores: Vec<String> = ignores.iter().map(|s| (*s).to_owned()).collect();
        Matcher {
            pattern: Pattern::new(pattern).unwrap(),
            ignores: Ignores::new(&ignores).unwrap(),
        }
    }

    fn default_matcher() -> Matcher {
        matcher(
            "features/**/events/event-*.rs",
            &["**/*.test.rs", "**/*.spec.rs"],
        )
    }

    fn event<'a>(feature: &'a str, stem: &'a str, name: &'a str) -> Class<'a> {
        Class::Event(EventPath {
            feature,
            stem,
            name,
        })
    }

    fn near(suggestion: &str) -> Class<'static> {
        Class::NearMiss {
            suggestion: suggestion.to_owned(),
        }
    }

    #[test]
    fn classifies_event_files_by_the_default_rules() {
        let matcher = default_matcher();
        let cases = [
            (
                "features/orders/events/event-order-placed.rs",
                event("orders", "event-order-placed", "order-placed"),
            ),
            (
                "features/billing/invoices/events/event-paid.rs",
                event("billing/invoices", "event-paid", "paid"),
            ),
            (
                "features/orders/tests/events/event-fake.rs",
                event("orders/tests", "event-fake", "fake"),
            ),
            (
                "features/orders/events/event-.rs",
                event("orders", "event-", ""),
            ),
            ("features/events/event-x.rs", event("", "event-x", "x")),
            (
                "features/a/events/event-Sync.rs",
                event("a", "event-Sync", "Sync"),
            ),
            (
                "features/a/events/event-a.b.rs",
                event("a", "event-a.b", "a.b"),
            ),
            (
                "features/orders/events/event-order-placed.test.rs",
                Class::Ignored,
            ),
            (
                "features/orders/events/event-order-placed.spec.rs",
                Class::Ignored,
            ),
            (
                "features/orders/events/event-order-placed.TEST.rs",
                Class::Ignored,
            ),
            (
                "features/orders/events/event-order-placed.Spec.rs",
                Class::Ignored,
            ),
            (
                "features/orders/events/event-helpers.test.rs",
                Class::Ignored,
            ),
            ("features/orders/events/booking.test.rs", Class::Ignored),
            (
                "features/orders/events/fixtures/event-fixture.rs",
                Class::Other,
            ),
            ("features/orders/event-x.rs", Class::Other),
            ("features/a/Events/event-x.rs", Class::Other),
            ("src/events/event-x.rs", Class::Other),
            ("event-x.rs", Class::Other),
        ];

        for (path, expected) in cases {
            assert_eq!(matcher.classify(path), expected, "class of {path}");
        }
    }

    #[test]
    fn reports_near_misses_with_the_name_they_should_have() {
        let matcher = default_matcher();
        let cases = [
            (
                "features/b/events/booking-created.rs",
                "event-booking-created.rs",
            ),
            (
                "features/b/events/event_booking_created.rs",
                "event-booking-created.rs",
            ),
            ("features/b/events/Event-Booking.rs", "event-booking.rs"),
            ("features/b/events/event-booking.RS", "event-booking.rs"),
            ("features/b/events/event-booking.Rs", "event-booking.rs"),
            ("features/b/events/eventBooking.rs", "event-booking.rs"),
            ("features/b/events/mod.rs", "event-mod.rs"),
            ("features/b/c/events/helpers.rs", "event-helpers.rs"),
        ];

        for (path, suggestion) in cases {
            assert_eq!(matcher.classify(path), near(suggestion), "class of {path}");
        }
    }

    #[test]
    fn never_matches_hidden_files_editor_leftovers_or_other_extensions() {
        let matcher = default_matcher();
        let paths = [
            "features/b/events/.event-x.rs",
            "features/b/events/.event-x.rs.swp",
            "features/b/events/.event-x.rs.swo",
            "features/b/events/.#event-x.rs",
            "features/b/events/._event-x.rs",
            "features/b/events/#event-x.rs#",
            "features/b/events/event-x.rs~",
            "features/b/events/event-x.rs.bak",
            "features/b/events/event-x.rs.orig",
            "features/b/events/event-x.swp",
            "features/b/events/event-x.txt",
            "features/b/events/event-x.json",
            "features/b/events/event-x",
            "features/b/events/.rs",
            "features/.hidden/events/event-x.rs",
            "features/b/.events/event-x.rs",
            "features/b/events/.git/event-x.rs",
        ];

        for path in paths {
            assert_eq!(matcher.classify(path), Class::Other, "class of {path}");
        }
    }

    #[test]
    fn applies_configured_patterns_and_brace_ignores() {
        let matcher = matcher("app/fns/**/fn-*.rs", &["**/*.{spec,test}.rs"]);
        let cases = [
            ("app/fns/a/fn-x.rs", event("a", "fn-x", "x")),
            ("app/fns/a/b/fn-x.rs", event("a/b", "fn-x", "x")),
            ("app/fns/a/fn-x.spec.rs", Class::Ignored),
            ("app/fns/a/fn-x.test.rs", Class::Ignored),
            ("app/fns/a/x.rs", near("fn-x.rs")),
            ("features/a/events/event-x.rs", Class::Other),
        ];

        for (path, expected) in cases {
            assert_eq!(matcher.classify(path), expected, "class of {path}");
        }
    }

    #[test]
    fn splits_the_pattern_into_base_and_trailing_folders() {
        let cases = [
            ("features/**/events/event-*.rs", "features", "events"),
            ("app/features/*/events/event-*.rs", "app/features", "events"),
            ("src/**/*.rs", "src", ""),
            ("**/jobs/job-*.rs", "", "jobs"),
        ];

        for (text, base, trailing) in cases {
            let pattern = Pattern::new(text).unwrap();
            assert_eq!(pattern.base(), base, "base of {text}");
            assert_eq!(
                pattern.trailing_folders(),
                trailing,
                "trailing folders of {text}"
            );
        }
    }

    #[test]
    fn rejects_patterns_it_cannot_take_names_from() {
        let patterns = [
            "",
            "/abs/event-*.rs",
            "features//events/event-*.rs",
            "features/../events/event-*.rs",
            "features/**/events/event.rs",
            "features/**/events/event-*",
            "features/**/events/event-*.txt",
            "features/**/events/event-*-*.rs",
            "features/**/events/event-?.rs",
            "features/[/event-*.rs",
        ];

        for text in patterns {
            assert!(
                matches!(Pattern::new(text), Err(Problem::InvalidPattern { .. })),
                "pattern {text:?} was accepted"
            );
        }
    }

    #[test]
    fn finds_ignores_that_match_nothing() {
        let ignores = Ignores::new(&["**/*.test.rs".to_owned(), "**/legacy/**".to_owned()]);
        let paths = [
            "features/a/events/event-x.test.rs",
            "features/a/events/event-y.rs",
        ];

        let unused = ignores
            .unwrap()
            .unused(paths)
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>();

        assert_eq!(unused, ["**/legacy/**"]);
    }
}
