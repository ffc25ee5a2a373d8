//! The entry point build scripts use.

use std::path::{Path, PathBuf};

use crate::discover::{compile, compile_set, discover, literal_base};
use crate::generate::{render, Settings};
use crate::model::FunctionSpec;
use crate::parse::parse;

/// Configures discovery and generation, in the style of `prost-build`.
#[derive(Debug, Clone)]
pub struct Builder {
    root: PathBuf,
    out_dir: Option<PathBuf>,
    pattern: String,
    ignores: Vec<String>,
    root_from_includer: String,
    runtime: String,
    file_name: String,
}

/// The result of a successful generation.
#[derive(Debug)]
pub struct Output {
    /// The functions, in registry order.
    pub functions: Vec<FunctionSpec>,
    /// The generated source.
    pub source: String,
    /// Paths whose change must rerun generation.
    pub rerun_paths: Vec<PathBuf>,
}

impl Builder {
    /// A builder for the project at `root` with the default pattern and ignores.
    pub fn new(root: impl Into<PathBuf>) -> Builder {
        Builder {
            root: root.into(),
            out_dir: None,
            pattern: "features/**/events/event-*.rs".to_owned(),
            ignores: vec!["**/*.test.rs".to_owned(), "**/*.spec.rs".to_owned()],
            root_from_includer: "..".to_owned(),
            runtime: "::switchyard_runtime".to_owned(),
            file_name: "all_functions.rs".to_owned(),
        }
    }

    /// A builder for a build script: root from `CARGO_MANIFEST_DIR`, output to `OUT_DIR`.
    ///
    /// # Panics
    ///
    /// Panics when not run by Cargo, since both variables are then missing.
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

    /// The discovery glob, relative to the root.
    pub fn pattern(mut self, pattern: impl Into<String>) -> Builder {
        self.pattern = pattern.into();
        self
    }

    /// Replaces the ignore globs.
    pub fn ignores<I: IntoIterator<Item = S>, S: Into<String>>(mut self, ignores: I) -> Builder {
        self.ignores = ignores.into_iter().map(Into::into).collect();
        self
    }

    /// Path from the folder of the file that includes the registry to the root (default `..`,
    /// for a file in `src/`).
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
    /// Returns every problem found, sorted.
    pub fn generate(&self) -> Result<Output, Vec<String>> {
        let glob =
            compile(&self.pattern).map_err(|error| vec![format!("invalid pattern: {error}")])?;
        let ignores =
            compile_set(&self.ignores).map_err(|error| vec![format!("invalid ignore: {error}")])?;
        let base = literal_base(&self.pattern);
        let discovery = discover(&self.root, &glob, base, &ignores);

        let mut problems = Vec::new();
        let mut functions = Vec::new();
        for (source, path) in &discovery.files {
            let text = match std::fs::read_to_string(path) {
                Ok(text) => text,
                Err(error) => {
                    problems.push(format!("{source}: cannot read: {error}"));
                    continue;
                }
            };
            match parse(&text) {
                Ok(parsed) => functions.push(FunctionSpec {
                    feature: feature_of(source, base),
                    module: module_name(source, base),
                    source: source.clone(),
                    path: path.clone(),
                    type_name: parsed.type_name,
                    id: parsed.id,
                    name: parsed.name,
                    triggers: parsed.triggers,
                    retries: parsed.retries,
                    concurrency: parsed.concurrency,
                    id_line: parsed.id_line,
                }),
                Err(found) => problems.extend(
                    found
                        .into_iter()
                        .map(|p| format!("{source}:{}:{}: {}", p.line, p.column, p.message)),
                ),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }

        functions.sort_by(|a, b| {
            (!a.is_failure_handler(), &a.feature, &a.source).cmp(&(
                !b.is_failure_handler(),
                &b.feature,
                &b.source,
            ))
        });
        let settings = Settings {
            pattern: &self.pattern,
            ignores: &self.ignores,
            root_from_includer: &self.root_from_includer,
            runtime: &self.runtime,
        };
        let source = render(&functions, &settings);
        let mut rerun_paths = discovery.dirs;
        rerun_paths.extend(discovery.files.into_iter().map(|(_, path)| path));
        Ok(Output {
            functions,
            source,
            rerun_paths,
        })
    }

    /// Generates and writes `all_functions.rs` when its bytes changed, printing Cargo's
    /// directives; on problems prints them as errors and exits the build script.
    pub fn run_build_script(&self) {
        println!("cargo::rerun-if-changed=build.rs");
        match self.generate() {
            Ok(output) => {
                for path in &output.rerun_paths {
                    println!("cargo::rerun-if-changed={}", path.display());
                }
                let out_dir = self
                    .out_dir
                    .clone()
                    .expect("out_dir is set for build scripts");
                write_if_changed(&out_dir.join(&self.file_name), &output.source);
            }
            Err(problems) => {
                let base = self.root.join(literal_base(&self.pattern));
                println!("cargo::rerun-if-changed={}", base.display());
                for problem in problems {
                    println!("cargo::error={problem}");
                }
            }
        }
    }
}

fn write_if_changed(path: &Path, contents: &str) {
    if std::fs::read(path).ok().as_deref() == Some(contents.as_bytes()) {
        return;
    }
    if let Err(error) = std::fs::write(path, contents) {
        println!("cargo::error=cannot write {}: {error}", path.display());
    }
}

/// Folder path between the pattern's base and the `events` folder.
fn feature_of(source: &str, base: &str) -> String {
    let inner = source
        .strip_prefix(base)
        .unwrap_or(source)
        .trim_start_matches('/');
    let mut parts: Vec<&str> = inner.split('/').collect();
    parts.pop();
    parts.pop();
    parts.join("/")
}

/// Module name: the feature path and file stem, lowercased, non-identifier characters as `_`.
fn module_name(source: &str, base: &str) -> String {
    let feature = feature_of(source, base);
    let stem = source
        .rsplit('/')
        .next()
        .unwrap_or(source)
        .trim_end_matches(".rs");
    let raw = format!("{feature}_{stem}");
    let mut name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}
