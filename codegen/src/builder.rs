//! The entry point build scripts use: configure, discover, check, generate, write.

use std::collections::BTreeMap;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::analyze::{check_file, Candidate, Checked};
use crate::diagnostic::{Diagnostic, Problem, Related, Report, Span};
use crate::generate::{render, Settings};
use crate::matching::{Class, Ignores, Matcher, Pattern};
use crate::model::{FunctionSpec, FAILURE_SUFFIX};
use crate::naming::{is_valid_name, module_name};
use crate::walk::{walk, Walk};

/// The default discovery pattern.
pub const DEFAULT_PATTERN: &str = "features/**/events/event-*.rs";

/// The default ignore patterns.
pub const DEFAULT_IGNORES: [&str; 2] = ["**/*.test.rs", "**/*.spec.rs"];

/// The name of the generated file in the output folder.
pub const GENERATED_FILE: &str = "all_functions.rs";

/// Configures discovery and generation, in the style of `prost-build`.
///
/// ```no_run
/// // In build.rs:
/// switchyard_codegen::Builder::from_env().run_build_script();
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    root: PathBuf,
    out_dir: Option<PathBuf>,
    pattern: String,
    ignores: Vec<String>,
    ignores_configured: bool,
    root_from_includer: String,
    runtime: String,
}

/// The result of a successful generation.
#[derive(Debug, Clone)]
pub struct Output {
    /// The functions, in registry order.
    pub functions: Vec<FunctionSpec>,
    /// The generated source of `all_functions.rs`.
    pub source: String,
    /// Real paths whose change must rerun generation: the features root, every folder
    /// under it and every event file, sorted by their bytes.
    pub rerun_paths: Vec<PathBuf>,
    /// Near misses and unused ignore patterns.
    pub warnings: Report,
    pattern: String,
    ignores: Vec<String>,
}

impl Builder {
    /// A builder for the project at `root` with the default pattern and ignores.
    pub fn new(root: impl Into<PathBuf>) -> Builder {
        Builder {
            root: root.into(),
            out_dir: None,
            pattern: DEFAULT_PATTERN.to_owned(),
            ignores: DEFAULT_IGNORES.iter().map(|s| (*s).to_owned()).collect(),
            ignores_configured: false,
            root_from_includer: "..".to_owned(),
            runtime: "::switchyard_runtime".to_owned(),
        }
    }

    /// A builder for a build script: root from `CARGO_MANIFEST_DIR`, output to `OUT_DIR`.
    ///
    /// # Panics
    ///
    /// Panics when not run by Cargo, since both variables are then missing; call
    /// [`Builder::new`] and [`Builder::out_dir`] instead outside build scripts.
    pub fn from_env() -> Builder {
        let root = std::env::var_os("CARGO_MANIFEST_DIR")
            .expect("CARGO_MANIFEST_DIR is set by Cargo for build scripts");
        let out = std::env::var_os("OUT_DIR").expect("OUT_DIR is set by Cargo for build scripts");
        Builder::new(root).out_dir(out)
    }

    /// Where `all_functions.rs` is written.
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.out_dir = Some(dir.into());
        self
    }

    /// The discovery glob, relative to the root, with `/` separators; its file name must be
    /// a literal prefix, one `*` and a suffix ending in `.rs`.
    pub fn pattern(mut self, pattern: impl Into<String>) -> Builder {
        self.pattern = pattern.into();
        self
    }

    /// Replaces the ignore globs; one that matches no file becomes a warning.
    pub fn ignores<I: IntoIterator<Item = S>, S: Into<String>>(mut self, ignores: I) -> Builder {
        self.ignores = ignores.into_iter().map(Into::into).collect();
        self.ignores_configured = true;
        self
    }

    /// Relative path from the folder of the file that includes the registry to the root
    /// (default `..`, for a file in `src/`).
    pub fn root_from_includer(mut self, path: impl Into<String>) -> Builder {
        self.root_from_includer = path.into();
        self
    }

    /// Path of the runtime crate in generated code (default `::switchyard_runtime`).
    pub fn runtime_path(mut self, path: impl Into<String>) -> Builder {
        self.runtime = path.into();
        self
    }

    /// Discovers, checks and renders, without writing anything.
    ///
    /// # Errors
    ///
    /// Returns every problem found, sorted by file, line and column, together with the
    /// warnings.
    pub fn generate(&self) -> Result<Output, Report> {
        let mut report = Report::default();
        let Some((matcher, runtime)) = self.settings(&mut report) else {
            report.sort();
            return Err(report);
        };

        let walk = walk(&self.root, matcher.pattern.base());
        for problem in &walk.problems {
            report.push(problem.clone());
        }
        let candidates = self.candidates(&matcher, &walk, &mut report);
        let checked = check_all(&candidates);
        let functions = collect(&candidates, checked, &mut report);
        if candidates.is_empty() && !report.has_errors() {
            let pattern = self.pattern.clone();
            report.push(Diagnostic::global(Problem::NoFunctions { pattern }));
        }

        report.sort();
        if report.has_errors() {
            report.prune_sources();
            return Err(report);
        }
        self.output(&runtime, &walk, functions, report)
    }

    /// Generates and writes `all_functions.rs` when its bytes changed, printing Cargo's
    /// directives: the rerun triggers and a warning per near miss.
    ///
    /// On problems it prints one `cargo::error=` line per problem and the rendered
    /// diagnostics on stderr, then ends the build script with exit status 1, so that Cargo
    /// fails the build and shows them.
    pub fn run_build_script(&self) {
        let build_script = self.root.join("build.rs");
        if build_script.is_file() {
            println!("cargo::rerun-if-changed={}", build_script.display());
        }
        let Some(out_dir) = &self.out_dir else {
            let problem = Problem::InvalidSetting {
                setting: "output folder",
                value: String::new(),
                reason: "it is not set; call `Builder::out_dir` or use `Builder::from_env`".into(),
            };
            fail(&single(problem));
        };

        let output = match self.generate() {
            Ok(output) => output,
            Err(report) => {
                println!("cargo::rerun-if-changed={}", self.base_dir().display());
                fail(&report);
            }
        };
        for line in output.warnings.cargo_lines() {
            println!("{line}");
        }
        for path in &output.rerun_paths {
            println!("cargo::rerun-if-changed={}", path.display());
        }

        let target = out_dir.join(GENERATED_FILE);
        if let Err(error) = output.write(&target) {
            let problem = Problem::Unwritable {
                path: target.display().to_string(),
                reason: error.to_string(),
            };
            fail(&single(problem));
        }
    }

    /// The folder discovery starts from, even when the pattern does not compile.
    fn base_dir(&self) -> PathBuf {
        let components: Vec<&str> = self.pattern.split('/').collect();
        let folders = &components[..components.len().saturating_sub(1)];
        folders
            .iter()
            .take_while(|c| !c.contains(['*', '?', '[', '{', '\\']))
            .fold(self.root.clone(), |path, c| path.join(c))
    }

    /// Compiles the pattern and ignores, and parses the generated-code settings.
    fn settings(&self, report: &mut Report) -> Option<(Matcher, syn::Path)> {
        let pattern = Pattern::new(&self.pattern).map_err(|p| report.push(Diagnostic::global(p)));
        let ignores = Ignores::new(&self.ignores).map_err(|p| report.push(Diagnostic::global(p)));

        let runtime = syn::parse_str::<syn::Path>(&self.runtime)
            .map_err(|error| error.to_string())
            .and_then(|path| {
                if path.segments.iter().all(|s| s.arguments.is_none()) {
                    Ok(path)
                } else {
                    Err("it must be a plain path without generic arguments".to_owned())
                }
            })
            .map_err(|reason| {
                report.push(Diagnostic::global(Problem::InvalidSetting {
                    setting: "runtime path",
                    value: self.runtime.clone(),
                    reason,
                }));
            });
        let includer = &self.root_from_includer;
        if includer.starts_with('/') || includer.contains(['\\', ':']) || includer.is_empty() {
            report.push(Diagnostic::global(Problem::InvalidSetting {
                setting: "root path from the includer",
                value: includer.clone(),
                reason: "it must be a relative path with `/` separators, such as `..`".into(),
            }));
        }

        let (Ok(pattern), Ok(ignores), Ok(runtime)) = (pattern, ignores, runtime) else {
            return None;
        };
        if report.has_errors() {
            return None;
        }
        Some((Matcher { pattern, ignores }, runtime))
    }

    /// Turns the walked files into event files to check, reporting near misses, unused
    /// ignores and paths that cannot name a function.
    fn candidates(&self, matcher: &Matcher, walk: &Walk, report: &mut Report) -> Vec<Candidate> {
        let pattern = &matcher.pattern;
        let mut candidates = Vec::new();

        for found in &walk.files {
            let relative = found.relative.as_str();
            let path = match matcher.classify(relative) {
                Class::Event(path) => path,
                Class::NearMiss { suggestion } => {
                    let problem = Problem::NearMiss { suggestion };
                    report.push(Diagnostic::file(problem, relative));
                    continue;
                }
                Class::Ignored | Class::Other => continue,
            };

            if relative.contains(char::is_control) {
                let escaped = relative.escape_debug().to_string();
                report.push(Diagnostic::file(Problem::ControlCharacter, &escaped));
                continue;
            }
            let problem = if path.feature.is_empty() {
                let mut expected = format!("{}/<feature>/", pattern.base());
                let trailing = pattern.trailing_folders();
                if !trailing.is_empty() {
                    expected.push_str(&format!("{trailing}/"));
                }
                Some(Problem::NoFeature {
                    expected: expected.trim_start_matches('/').to_owned(),
                })
            } else if path.name.is_empty() {
                Some(Problem::EmptyName {
                    prefix: pattern.prefix().to_owned(),
                    expected: format!("{}<name>{}", pattern.prefix(), pattern.suffix()),
                })
            } else if !is_valid_name(path.name) {
                Some(Problem::InvalidFileName {
                    name: path.name.to_owned(),
                })
            } else {
                None
            };
            if let Some(problem) = problem {
                report.push(Diagnostic::file(problem, relative));
                continue;
            }

            candidates.push(Candidate {
                source: relative.to_owned(),
                path: found.real.clone(),
                feature: path.feature.to_owned(),
                module: module_name(path.feature, path.stem),
            });
        }

        if self.ignores_configured {
            let paths = walk.files.iter().map(|f| f.relative.as_str());
            for pattern in matcher.ignores.unused(paths) {
                let pattern = pattern.to_owned();
                report.push(Diagnostic::global(Problem::UnusedIgnore { pattern }));
            }
        }
        candidates
    }

    fn output(
        &self,
        runtime: &syn::Path,
        walk: &Walk,
        mut functions: Vec<FunctionSpec>,
        report: Report,
    ) -> Result<Output, Report> {
        functions.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        let settings = Settings {
            pattern: &self.pattern,
            ignores: &self.ignores,
            root_from_includer: &self.root_from_includer,
            runtime,
        };
        let source = render(&functions, &settings).map_err(|reason| {
            single(Problem::InvalidSetting {
                setting: "runtime path",
                value: self.runtime.clone(),
                reason,
            })
        })?;

        let mut rerun_paths = walk.dirs.clone();
        rerun_paths.extend(functions.iter().map(|f| f.path.clone()));
        rerun_paths.sort_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
        rerun_paths.dedup();

        Ok(Output {
            functions,
            source,
            rerun_paths,
            warnings: report,
            pattern: self.pattern.clone(),
            ignores: self.ignores.clone(),
        })
    }
}

impl Output {
    /// The audit copy: every function with its feature, id, name, triggers, retries,
    /// concurrency and source file, as a Markdown table.
    pub fn audit(&self) -> String {
        crate::audit::render(&self.functions, &self.pattern, &self.ignores)
    }

    /// The function ids, sorted.
    pub fn function_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.functions.iter().map(|f| f.id.as_str()).collect();
        ids.sort_unstable();
        ids
    }

    /// Writes the generated source to `path` unless the file already holds the same bytes;
    /// returns whether it wrote.
    ///
    /// # Errors
    ///
    /// Returns the error of creating or writing the file.
    pub fn write(&self, path: &Path) -> io::Result<bool> {
        write_if_changed(path, &self.source)
    }
}

/// Writes `contents` to `path` unless the file already holds exactly these bytes.
///
/// # Errors
///
/// Returns the error of writing the file.
pub fn write_if_changed(path: &Path, contents: &str) -> io::Result<bool> {
    if std::fs::read(path).is_ok_and(|current| current == contents.as_bytes()) {
        return Ok(false);
    }
    std::fs::write(path, contents)?;
    Ok(true)
}

/// Checks every candidate on as many threads as there are cores, each taking the next file
/// when done with one, so that a thread slowed down by other work holds nobody up. (Each
/// parser keeps its own source map, which ends with its thread.)
fn check_all(candidates: &[Candidate]) -> Vec<Checked> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = cores.min(8).min(candidates.len().div_ceil(16)).max(1);
    let next = AtomicUsize::new(0);

    let mut checked: Vec<(usize, Checked)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(candidate) = candidates.get(index) else {
                            return done;
                        };
                        done.push((index, check_file(candidate)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
            })
            .collect()
    });

    checked.sort_unstable_by_key(|(index, _)| *index);
    checked.into_iter().map(|(_, checked)| checked).collect()
}

/// Gathers the checked files: their problems, the checks that span files (duplicate ids
/// and module names), and the functions of the files without problems.
fn collect(
    candidates: &[Candidate],
    checked: Vec<Checked>,
    report: &mut Report,
) -> Vec<FunctionSpec> {
    let mut problems: Vec<Diagnostic> = Vec::new();
    let mut modules: BTreeMap<&str, &str> = BTreeMap::new();
    let mut ids: BTreeMap<&str, (&str, &Span)> = BTreeMap::new();

    for (candidate, checked) in candidates.iter().zip(&checked) {
        let source = candidate.source.as_str();
        problems.extend(checked.problems.iter().cloned());

        let module = candidate.module.as_str();
        match modules.get(module) {
            Some(first) => {
                let problem = Problem::ModuleClash {
                    module: module.to_owned(),
                    first: (*first).to_owned(),
                };
                problems.push(Diagnostic::at(problem, source, Span::file_start()));
            }
            None => {
                modules.insert(module, source);
            }
        }

        let Some((id, span)) = &checked.id else {
            continue;
        };
        match ids.get(id.as_str()) {
            Some((first, first_span)) => {
                problems.push(duplicate(id, source, span, first, first_span))
            }
            None => {
                ids.insert(id, (source, span));
            }
        }
    }

    for (candidate, checked) in candidates.iter().zip(&checked) {
        let (Some((id, _)), Some(at)) = (&checked.id, &checked.on_failure) else {
            continue;
        };
        let failure_id = format!("{id}{FAILURE_SUFFIX}");
        if let Some((other, other_span)) = ids.get(failure_id.as_str()) {
            problems.push(failure_clash(
                id,
                failure_id,
                (&candidate.source, at),
                (other, other_span),
            ));
        }
    }

    if problems.is_empty() {
        return checked
            .into_iter()
            .filter_map(|checked| checked.spec)
            .collect();
    }

    let texts: BTreeMap<&str, &str> = candidates
        .iter()
        .zip(&checked)
        .map(|(candidate, checked)| (candidate.source.as_str(), checked.text.as_str()))
        .collect();
    let mut at_fault = std::collections::BTreeSet::new();
    for problem in &problems {
        let files = problem
            .file
            .iter()
            .chain(problem.related.iter().map(|r| &r.file));
        for file in files {
            if let Some(text) = texts.get(file.as_str()) {
                report.add_source(file, text);
            }
        }
        at_fault.extend(problem.file.clone());
    }
    for problem in problems {
        report.push(problem);
    }

    checked
        .into_iter()
        .filter_map(|checked| checked.spec)
        .filter(|spec| !at_fault.contains(&spec.source))
        .collect()
}

/// The problem of a second file declaring an id, pointing at both declarations.
fn duplicate(id: &str, source: &str, span: &Span, first: &str, first_span: &Span) -> Diagnostic {
    let problem = Problem::DuplicateId {
        id: id.to_owned(),
        first: format!("{first}:{}:{}", first_span.line, first_span.column),
    };
    let related = Related {
        file: first.to_owned(),
        span: first_span.clone(),
        label: "first defined here".into(),
    };
    Diagnostic::at(problem, source, span.clone()).with_related(related)
}

/// The problem of a failure handler whose id, `<id>-failure`, is another function's id,
/// pointing at the handler and at that id.
fn failure_clash(
    function: &str,
    id: String,
    (source, span): (&str, &Span),
    (other, other_span): (&str, &Span),
) -> Diagnostic {
    let problem = Problem::FailureIdClash {
        function: function.to_owned(),
        id,
        other: format!("{other}:{}:{}", other_span.line, other_span.column),
    };
    let related = Related {
        file: other.to_owned(),
        span: other_span.clone(),
        label: "this function has the same id".into(),
    };
    Diagnostic::at(problem, source, span.clone()).with_related(related)
}

/// A report holding one problem.
fn single(problem: Problem) -> Report {
    let mut report = Report::default();
    report.push(Diagnostic::global(problem));
    report
}

/// Prints `report` for Cargo and ends the build script with a failure.
fn fail(report: &Report) -> ! {
    for line in report.cargo_lines() {
        println!("{line}");
    }
    eprint!("{}", report.render());
    let _ = io::stdout().flush();
    let _ = io::stderr().flush();
    std::process::exit(1);
}
