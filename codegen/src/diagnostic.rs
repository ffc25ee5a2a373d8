//! Problems found while generating, located in event files and rendered like rustc does.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as Rendered, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Chars, Config};

/// How bad a problem is: warnings are printed, errors fail the build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Printed as a cargo warning; generation goes on.
    Warning,
    /// Printed as a cargo error; nothing is written and the build fails.
    Error,
}

/// Everything codegen can find wrong with a tree of event files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// The discovery pattern cannot be used.
    #[error("invalid discovery pattern `{pattern}`: {reason}")]
    InvalidPattern {
        /// The pattern as configured.
        pattern: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// An ignore pattern cannot be compiled.
    #[error("invalid ignore pattern `{pattern}`: {reason}")]
    InvalidIgnore {
        /// The pattern as configured.
        pattern: String,
        /// Why it cannot be compiled.
        reason: String,
    },
    /// A path configured for the generated code is not a Rust path.
    #[error("invalid {setting} `{value}`: {reason}")]
    InvalidSetting {
        /// Which builder setting.
        setting: &'static str,
        /// The value as configured.
        value: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// A folder or file could not be read; the diagnostic names it.
    #[error("cannot read it: {reason}")]
    Unreadable {
        /// The operating system's reason.
        reason: String,
    },
    /// The generated file could not be written.
    #[error("cannot write `{path}`: {reason}")]
    Unwritable {
        /// Where the file was to be written.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// No file matches the discovery pattern.
    #[error("no event files match `{pattern}`")]
    NoFunctions {
        /// The discovery pattern.
        pattern: String,
    },
    /// A file or folder name under the features root is not valid UTF-8; the diagnostic
    /// names it with the invalid bytes escaped.
    #[error("file name is not valid UTF-8")]
    NonUtf8Name,
    /// A path holds a control character, which generated code cannot name.
    #[error("path contains a control character")]
    ControlCharacter,
    /// An event file's name has nothing between the prefix and the suffix.
    #[error("event file name is empty after `{prefix}`; name it `{expected}`")]
    EmptyName {
        /// The pattern's file-name prefix, such as `event-`.
        prefix: String,
        /// The expected shape, such as `event-<name>.rs`.
        expected: String,
    },
    /// An event file's name uses characters a module name cannot carry.
    #[error("event file name `{name}` may only use ASCII letters, digits, `-` and `_`")]
    InvalidFileName {
        /// The part of the name the pattern's `*` matched.
        name: String,
    },
    /// An event file sits directly in the events folder of the features root.
    #[error("event file belongs to no feature; move it into `{expected}`")]
    NoFeature {
        /// Where it should go, such as `features/<feature>/events/`.
        expected: String,
    },
    /// The event file is not valid Rust.
    #[error("syntax error: {message}")]
    Syntax {
        /// The parser's message.
        message: String,
    },
    /// The event file has no `impl Function for T`.
    #[error("event file defines no function: expected one `impl Function for T`")]
    NoFunction,
    /// The event file has more than one `impl Function`.
    #[error("event file defines {count} functions; it must define exactly one")]
    TooManyFunctions {
        /// How many it defines.
        count: usize,
    },
    /// An `impl Function` sits inside a nested module.
    #[error("`impl Function` must be at the top level of the event file")]
    NestedFunction,
    /// `Function` is implemented for something other than a plain type name.
    #[error("`Function` must be implemented for a unit struct named by a plain identifier")]
    UnnamedType,
    /// The implementing type is not declared as a public unit struct in the file.
    #[error("`{name}` must be declared in this file as `pub struct {name};`")]
    MissingStruct {
        /// The implementing type.
        name: String,
    },
    /// The impl has no `CONFIG`.
    #[error("`impl Function for {name}` has no `const CONFIG: Config`")]
    MissingConfig {
        /// The implementing type.
        name: String,
    },
    /// `CONFIG` is not a struct literal.
    #[error("`CONFIG` must be a `Config {{ .. }}` literal that codegen can read")]
    ConfigNotLiteral,
    /// The struct update base is not `Config::DEFAULT`.
    #[error("only `..Config::DEFAULT` may fill the remaining `Config` fields")]
    InvalidBase,
    /// A field value is not in the literal form codegen reads.
    #[error("`Config` field `{field}` must be {expected}")]
    NotLiteral {
        /// The field.
        field: String,
        /// What it must look like.
        expected: &'static str,
    },
    /// A field that `Config` does not have, or that codegen does not carry.
    #[error("unknown `Config` field `{field}`")]
    UnknownField {
        /// The field.
        field: String,
    },
    /// A field is set twice.
    #[error("`Config` field `{field}` is set twice")]
    DuplicateField {
        /// The field.
        field: String,
    },
    /// `CONFIG` sets no `id`.
    #[error("`Config` has no `id`")]
    MissingId,
    /// The id breaks the id rules.
    #[error("invalid function id{}: {reason}", shown(.id))]
    InvalidId {
        /// The id.
        id: String,
        /// The rule it breaks.
        reason: String,
    },
    /// An event trigger's name breaks the event name rules.
    #[error("invalid event name{}: {reason}", shown(.event))]
    InvalidEvent {
        /// The event name.
        event: String,
        /// The rule it breaks.
        reason: String,
    },
    /// An `event_if` trigger has a blank expression.
    #[error("empty `if` expression on event `{event}`; use `Trigger::event` to match every event")]
    EmptyIf {
        /// The event name.
        event: String,
    },
    /// A cron trigger does not parse.
    #[error("invalid cron schedule{}: {reason}", shown(.cron))]
    InvalidCron {
        /// The schedule as written.
        cron: String,
        /// Why it does not parse.
        reason: String,
    },
    /// The function has no triggers.
    #[error("function `{id}` has no triggers; add at least one to `triggers`")]
    NoTriggers {
        /// The function id.
        id: String,
    },
    /// More retries than Inngest allows.
    #[error("retries of function `{id}` is {retries}; Inngest allows at most {max}")]
    TooManyRetries {
        /// The function id.
        id: String,
        /// The declared retries.
        retries: u32,
        /// The most Inngest allows.
        max: u32,
    },
    /// A concurrency limit of zero.
    #[error("concurrency limit of function `{id}` is 0; use `None` for no limit")]
    ZeroConcurrency {
        /// The function id.
        id: String,
    },
    /// A keyed concurrency limit with a blank key.
    #[error(
        "empty concurrency key on function `{id}`; use `Concurrency::limit` for one shared limit"
    )]
    EmptyConcurrencyKey {
        /// The function id.
        id: String,
    },
    /// A cancellation event's name breaks the event name rules.
    #[error("invalid cancellation event{}: {reason}", shown(.event))]
    InvalidCancelEvent {
        /// The event name.
        event: String,
        /// The rule it breaks.
        reason: String,
    },
    /// A `Cancel::event_if` has a blank expression.
    #[error(
        "empty `if` expression on cancellation event `{event}`; use `Cancel::event` to cancel on \
         every such event"
    )]
    EmptyCancelIf {
        /// The event name.
        event: String,
    },
    /// A cancellation with a zero timeout, which could never cancel anything.
    #[error(
        "timeout of cancellation event `{event}` is zero, so it would never cancel a run; leave \
         out `.timeout(..)` to cancel at any time"
    )]
    ZeroCancelTimeout {
        /// The event name.
        event: String,
    },
    /// More cancellations than Inngest accepts.
    #[error("function `{id}` has {count} cancellation events; Inngest allows at most {max}")]
    TooManyCancels {
        /// The function id.
        id: String,
        /// How many it declares.
        count: usize,
        /// The most Inngest allows.
        max: usize,
    },
    /// `fn on_failure` does not have the shape of a failure handler.
    #[error("invalid failure handler `on_failure`: {reason}")]
    InvalidFailureHandler {
        /// What is wrong with its signature.
        reason: String,
    },
    /// `fn on_failure` is declared outside `impl Function`, where it is never called.
    #[error(
        "`on_failure` is declared in `impl {name}`, where it never runs; move it into \
         `impl Function for {name}`"
    )]
    MisplacedFailureHandler {
        /// The implementing type.
        name: String,
    },
    /// A failure handler declared by a function that itself handles failures.
    #[error(
        "function `{id}` is triggered by `inngest/function.failed`, so its own `on_failure` \
         would never run; remove it"
    )]
    FailureHandlerOfFailureHandler {
        /// The function id.
        id: String,
    },
    /// A function's failure handler would get the id of another function.
    #[error(
        "the failure handler of function `{function}` is known as `{id}`, the id of the \
         function at {other}; rename one of them"
    )]
    FailureIdClash {
        /// The id of the function that declares the failure handler.
        function: String,
        /// The failure handler's id, `<function>-failure`.
        id: String,
        /// `path:line:column` of the other function's id.
        other: String,
    },
    /// Two event files declare the same id.
    #[error("duplicate function id `{id}`, first defined at {first}")]
    DuplicateId {
        /// The id.
        id: String,
        /// `path:line:column` of the first definition.
        first: String,
    },
    /// Two event files map to the same generated module.
    #[error("module name `{module}` is also the module of `{first}`; rename one of the files")]
    ModuleClash {
        /// The module name.
        module: String,
        /// Root-relative path of the other file.
        first: String,
    },
    /// A `.rs` file in an events folder that does not match the pattern.
    #[error("not an event file, so it is not registered; rename it to `{suggestion}`")]
    NearMiss {
        /// The name it should have.
        suggestion: String,
    },
    /// A configured ignore pattern excludes nothing.
    #[error("ignore pattern `{pattern}` matches no file")]
    UnusedIgnore {
        /// The pattern as configured.
        pattern: String,
    },
}

/// A value for a message: ` `value``, shortened when long, or nothing when empty.
fn shown(value: &str) -> String {
    const LONGEST: usize = 60;
    if value.is_empty() {
        return String::new();
    }
    match value.char_indices().nth(LONGEST) {
        Some((cut, _)) => format!(" `{}…`", &value[..cut]),
        None => format!(" `{value}`"),
    }
}

impl Problem {
    /// Whether this problem fails the build.
    pub fn severity(&self) -> Severity {
        match self {
            Problem::NearMiss { .. } | Problem::UnusedIgnore { .. } => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

/// A place in a file: 1-based line and column (in characters), and the bytes it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// Byte range in the file's text.
    pub range: Range<usize>,
}

impl Span {
    /// Locates `range` in `text`.
    pub(crate) fn locate(text: &str, range: Range<usize>) -> Span {
        let start = floor_char_boundary(text, range.start);
        let end = floor_char_boundary(text, range.end.max(start));
        let before = &text[..start];
        let line_start = before.rfind('\n').map_or(0, |index| index + 1);

        Span {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
            range: start..end,
        }
    }

    /// The very start of a file, for problems that concern the whole file.
    pub(crate) fn file_start() -> Span {
        Span {
            line: 1,
            column: 1,
            range: 0..0,
        }
    }
}

fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// A second place that a diagnostic points at, such as the first of two duplicate ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    /// Root-relative path of the file.
    pub file: String,
    /// Where in it.
    pub span: Span,
    /// What is there.
    pub label: String,
}

/// One problem with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong.
    pub problem: Problem,
    /// Root-relative path of the file at fault, with `/` separators.
    pub file: Option<String>,
    /// Where in the file, when the problem is inside it.
    pub span: Option<Span>,
    /// Another place involved, such as the other file of a duplicate.
    pub related: Option<Related>,
}

impl Diagnostic {
    /// A problem that concerns no file in particular.
    pub(crate) fn global(problem: Problem) -> Diagnostic {
        Diagnostic {
            problem,
            file: None,
            span: None,
            related: None,
        }
    }

    /// A problem with a whole file, located by its path only.
    pub(crate) fn file(problem: Problem, file: &str) -> Diagnostic {
        Diagnostic {
            problem,
            file: Some(file.to_owned()),
            span: None,
            related: None,
        }
    }

    /// A problem at a place in a file.
    pub(crate) fn at(problem: Problem, file: &str, span: Span) -> Diagnostic {
        Diagnostic {
            problem,
            file: Some(file.to_owned()),
            span: Some(span),
            related: None,
        }
    }

    /// Adds a second place to point at.
    pub(crate) fn with_related(mut self, related: Related) -> Diagnostic {
        self.related = Some(related);
        self
    }

    /// Whether this problem fails the build.
    pub fn severity(&self) -> Severity {
        self.problem.severity()
    }

    /// `path:line:column: message` on one line, as Cargo prints build script errors.
    pub fn one_line(&self) -> String {
        let message = self.problem.to_string().replace(['\n', '\r'], " ");
        match (&self.file, &self.span) {
            (Some(file), Some(span)) => format!("{file}:{}:{}: {message}", span.line, span.column),
            (Some(file), None) => format!("{file}: {message}"),
            (None, _) => message,
        }
    }

    /// The Cargo directive that reports this problem.
    pub fn cargo_line(&self) -> String {
        let directive = match self.severity() {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        format!("cargo::{directive}={}", self.one_line())
    }

    fn sort_key(&self) -> (Option<&str>, usize, usize, Severity, String) {
        let (line, column) = self
            .span
            .as_ref()
            .map_or((0, 0), |span| (span.line, span.column));
        let file = self.file.as_deref();
        (
            file,
            line,
            column,
            self.severity(),
            self.problem.to_string(),
        )
    }
}

/// Every problem of one generation, sorted, with the sources needed to show snippets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    diagnostics: Vec<Diagnostic>,
    sources: BTreeMap<String, String>,
}

impl Report {
    /// Adds a problem.
    pub(crate) fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Keeps the text of a file so snippets of it can be shown.
    pub(crate) fn add_source(&mut self, file: &str, text: &str) {
        self.sources.insert(file.to_owned(), text.to_owned());
    }

    /// Sorts problems by file, line and column, and drops exact repeats.
    pub(crate) fn sort(&mut self) {
        self.diagnostics
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.diagnostics.dedup();
    }

    /// Keeps only the sources that some diagnostic points into.
    pub(crate) fn prune_sources(&mut self) {
        let mut used = std::collections::BTreeSet::new();
        for diagnostic in &self.diagnostics {
            if diagnostic.span.is_some() {
                used.extend(diagnostic.file.as_deref());
            }
            used.extend(diagnostic.related.as_ref().map(|r| r.file.as_str()));
        }
        self.sources.retain(|file, _| used.contains(file.as_str()));
    }

    /// Every problem, sorted by file, line and column.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Whether any problem fails the build.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity() == Severity::Error)
    }

    /// Whether there is nothing to report.
    pub fn is_empty(&self) -> bool {
        self.diagnostics.is_empty()
    }

    /// One `cargo::warning=` or `cargo::error=` line per problem.
    pub fn cargo_lines(&self) -> Vec<String> {
        self.diagnostics
            .iter()
            .map(Diagnostic::cargo_line)
            .collect()
    }

    /// Every problem rendered like rustc does: message, location and a source snippet.
    pub fn render(&self) -> String {
        let mut files = SimpleFiles::new();
        let ids: BTreeMap<&str, usize> = self
            .sources
            .iter()
            .map(|(name, text)| (name.as_str(), files.add(name.as_str(), text.as_str())))
            .collect();
        let config = Config {
            chars: Chars::ascii(),
            ..Config::default()
        };

        let mut out = String::new();
        for diagnostic in &self.diagnostics {
            if let (Some(file), None) = (&diagnostic.file, &diagnostic.span) {
                let severity = match diagnostic.severity() {
                    Severity::Warning => "warning",
                    Severity::Error => "error",
                };
                let message = &diagnostic.problem;
                out.push_str(&format!("{severity}: {message}\n  --> {file}\n\n"));
                continue;
            }
            let rendered = to_rendered(diagnostic, &ids);
            match term::emit_into_string(&config, &files, &rendered) {
                Ok(text) => out.push_str(&text),
                Err(_) => {
                    out.push_str(&diagnostic.one_line());
                    out.push_str("\n\n");
                }
            }
        }
        out
    }
}

fn to_rendered(diagnostic: &Diagnostic, ids: &BTreeMap<&str, usize>) -> Rendered<usize> {
    let base = match diagnostic.severity() {
        Severity::Warning => Rendered::warning(),
        Severity::Error => Rendered::error(),
    };
    let mut rendered = base.with_message(diagnostic.problem.to_string());

    let file_id = diagnostic.file.as_deref().and_then(|file| ids.get(file));
    match (file_id, &diagnostic.span) {
        (Some(id), Some(span)) => {
            rendered = rendered.with_label(Label::primary(*id, span.range.clone()));
        }
        _ => {
            if let (Some(file), Some(span)) = (&diagnostic.file, &diagnostic.span) {
                let note = format!("at {file}:{}:{}", span.line, span.column);
                rendered = rendered.with_note(note);
            }
        }
    }

    if let Some(related) = &diagnostic.related {
        match ids.get(related.file.as_str()) {
            Some(id) => {
                let label = Label::secondary(*id, related.span.range.clone());
                rendered = rendered.with_label(label.with_message(related.label.clone()));
            }
            None => {
                let note = format!(
                    "{}: {}:{}:{}",
                    related.label, related.file, related.span.line, related.span.column
                );
                rendered = rendered.with_note(note);
            }
        }
    }
    rendered
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, diagnostic) in self.diagnostics.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", diagnostic.one_line())?;
        }
        Ok(())
    }
}

impl std::error::Error for Report {}

#[cfg(test)]
mod tests {
    use super::*;

    /// One problem of every kind.
    fn every_problem() -> Vec<Problem> {
        let text = || "x".to_owned();
        vec![
            Problem::InvalidPattern {
                pattern: text(),
                reason: text(),
            },
            Problem::InvalidIgnore {
                pattern: text(),
                reason: text(),
            },
            Problem::InvalidSetting {
                setting: "runtime path",
                value: text(),
                reason: text(),
            },
            Problem::Unreadable { reason: text() },
            Problem::Unwritable {
                path: text(),
                reason: text(),
            },
            Problem::NoFunctions { pattern: text() },
            Problem::NonUtf8Name,
            Problem::ControlCharacter,
            Problem::EmptyName {
                prefix: text(),
                expected: text(),
            },
            Problem::InvalidFileName { name: text() },
            Problem::NoFeature { expected: text() },
            Problem::Syntax { message: text() },
            Problem::NoFunction,
            Problem::TooManyFunctions { count: 2 },
            Problem::NestedFunction,
            Problem::UnnamedType,
            Problem::MissingStruct { name: text() },
            Problem::MissingConfig { name: text() },
            Problem::ConfigNotLiteral,
            Problem::InvalidBase,
            Problem::NotLiteral {
                field: text(),
                expected: "a string literal",
            },
            Problem::UnknownField { field: text() },
            Problem::DuplicateField { field: text() },
            Problem::MissingId,
            Problem::InvalidId {
                id: text(),
                reason: text(),
            },
            Problem::InvalidEvent {
                event: text(),
                reason: text(),
            },
            Problem::EmptyIf { event: text() },
            Problem::InvalidCron {
                cron: text(),
                reason: text(),
            },
            Problem::NoTriggers { id: text() },
            Problem::TooManyRetries {
                id: text(),
                retries: 21,
                max: 20,
            },
            Problem::ZeroConcurrency { id: text() },
            Problem::EmptyConcurrencyKey { id: text() },
            Problem::DuplicateId {
                id: text(),
                first: text(),
            },
            Problem::ModuleClash {
                module: text(),
                first: text(),
            },
            Problem::NearMiss { suggestion: text() },
            Problem::UnusedIgnore { pattern: text() },
        ]
    }

    #[test]
    fn messages_are_lowercase_phrases_without_a_trailing_period() {
        for problem in every_problem() {
            let message = problem.to_string();

            let first = message.chars().next().unwrap();
            assert!(!first.is_uppercase(), "{message}");
            assert!(!message.ends_with('.'), "{message}");
            assert!(!message.contains('\n'), "{message}");
        }
    }

    #[test]
    fn only_near_misses_and_unused_ignores_are_warnings() {
        let warnings: Vec<String> = every_problem()
            .into_iter()
            .filter(|problem| problem.severity() == Severity::Warning)
            .map(|problem| problem.to_string())
            .collect();

        assert_eq!(
            warnings,
            [
                "not an event file, so it is not registered; rename it to `x`",
                "ignore pattern `x` matches no file",
            ]
        );
    }

    #[test]
    fn locates_lines_and_character_columns() {
        let text = "ab\ncé: x\n";

        let span = Span::locate(text, 8..9);

        assert_eq!((span.line, span.column), (2, 5));
        assert_eq!(span.range, 8..9);
    }

    #[test]
    fn prints_one_line_per_problem_with_its_place() {
        let problem = Problem::MissingId;
        let span = Span::locate("a\nb", 2..3);

        let diagnostic = Diagnostic::at(problem, "features/a/events/event-x.rs", span);

        assert_eq!(
            diagnostic.cargo_line(),
            "cargo::error=features/a/events/event-x.rs:2:1: `Config` has no `id`"
        );
    }

    #[test]
    fn sorts_by_file_then_place() {
        let mut report = Report::default();
        let late = Span::locate("a\nb", 2..3);
        report.push(Diagnostic::at(
            Problem::MissingId,
            "b.rs",
            Span::file_start(),
        ));
        report.push(Diagnostic::at(Problem::MissingId, "a.rs", late));
        report.push(Diagnostic::at(
            Problem::NoFunction,
            "a.rs",
            Span::file_start(),
        ));
        report.push(Diagnostic::global(Problem::NoFunctions {
            pattern: "x".into(),
        }));

        report.sort();

        let lines: Vec<String> = report.diagnostics().iter().map(|d| d.one_line()).collect();
        assert_eq!(
            lines,
            [
                "no event files match `x`",
                "a.rs:1:1: event file defines no function: expected one `impl Function for T`",
                "a.rs:2:1: `Config` has no `id`",
                "b.rs:1:1: `Config` has no `id`",
            ]
        );
    }

    #[test]
    fn renders_a_snippet_under_the_location() {
        let mut report = Report::default();
        let text = "const A: u8 = 1;\nlet id = \"Bad\";\n";
        report.add_source("f.rs", text);
        let span = Span::locate(text, 26..31);
        let problem = Problem::InvalidId {
            id: "Bad".into(),
            reason: "it must start with a lowercase letter".into(),
        };
        report.push(Diagnostic::at(problem, "f.rs", span));

        let rendered = report.render();

        assert!(
            rendered.starts_with("error: invalid function id `Bad`"),
            "{rendered}"
        );
        assert!(rendered.contains("--> f.rs:2:10"), "{rendered}");
        assert!(rendered.contains("let id = \"Bad\";"), "{rendered}");
        assert!(rendered.contains("^^^^^"), "{rendered}");
    }
}
