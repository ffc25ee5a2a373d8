//! End to end: build a small project that uses codegen, change its tree, build it again.
//!
//! Each test copies `tests/fixtures/e2e-app` to a fresh temporary folder, points its path
//! dependencies at this repository's `runtime/` and `codegen/`, and runs Cargo on it the way
//! a user would. The fixture's binary prints every registered function with what it returns
//! when run inline, so a test sees exactly what the app would serve.
//!
//! Every such project builds into one shared target folder, `<target>/e2e-projects`, so the
//! dependencies are compiled once and each later build is incremental. Each project has its
//! own package name, so tests that run at the same time never overwrite each other's binary.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Instant, SystemTime};

use serde_json::Value;

/// The project that every test starts from.
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/e2e-app");

/// An event file with one function whose handler greets from its id, through one step.
const EVENT_TEMPLATE: &str = r#"//! Greets whoever triggered it, through one step.

use switchyard_runtime::prelude::*;

pub struct TYPE_NAME;

impl Function for TYPE_NAME {
    type Event = Value;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "FUNCTION_ID",
        triggers: &[Trigger::event("e2e/run")],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<Value> {
        let greeting = ctx
            .step
            .run("greet", || async { Ok("hello from FUNCTION_ID".to_owned()) })
            .await?;
        Ok(json!({ "greeting": greeting }))
    }
}
"#;

/// The source of an event file defining `type_name` with function id `id`.
fn event_source(type_name: &str, id: &str) -> String {
    EVENT_TEMPLATE
        .replace("TYPE_NAME", type_name)
        .replace("FUNCTION_ID", id)
}

/// One function as the built app reports it.
#[derive(Debug, Clone, PartialEq)]
struct Served {
    id: String,
    source: String,
    output: Value,
}

/// What one `cargo build` did.
struct Build {
    success: bool,
    /// Cargo's human-readable log (`-v`), with rendered compiler diagnostics.
    log: String,
    /// The build script's `OUT_DIR`, when it ran or was fresh.
    out_dir: Option<PathBuf>,
    /// The app's binary, when it was built or was fresh.
    executable: Option<PathBuf>,
}

/// A copy of the fixture in a temporary folder, built into the shared target folder.
struct Project {
    name: String,
    root: PathBuf,
    release: bool,
}

impl Project {
    /// Copies the fixture's manifest, build script, `src/` and the listed event files.
    fn new(name: &str, event_files: &[&str]) -> Project {
        let root = std::env::temp_dir().join(format!("switchyard-{name}-{}", std::process::id()));
        if root.exists() {
            fs::remove_dir_all(&root).expect("a leftover project folder can be removed");
        }
        let project = Project {
            name: name.to_owned(),
            root,
            release: false,
        };

        let fixture = Path::new(FIXTURE);
        let manifest = fs::read_to_string(fixture.join("Cargo.toml.template"))
            .expect("the fixture has a manifest template")
            .replace("@PACKAGE_NAME@", name)
            .replace("@RUNTIME_DIR@", &repo_dir("runtime"))
            .replace("@CODEGEN_DIR@", &repo_dir("codegen"))
            .replace("@INCLUDE_DIR@", &repo_dir("codegen/include"));
        project.write("Cargo.toml", &manifest);
        for file in ["build.rs", "src/main.rs"].iter().chain(event_files) {
            let text = fs::read_to_string(fixture.join(file)).expect("the fixture file exists");
            project.write(file, &text);
        }

        // The repository's lock file pins every crate the project needs, so Cargo resolves
        // nothing anew and the shared target folder keeps one version of each.
        let lock = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock"))
            .expect("the repository has a Cargo.lock");
        project.write("Cargo.lock", &lock);
        project
    }

    /// Builds with the release profile instead of the dev profile.
    fn release(mut self) -> Project {
        self.release = true;
        self
    }

    /// Writes `contents` to the project-relative `path`, creating its folders.
    fn write(&self, path: &str, contents: &str) {
        let path = self.root.join(path);
        fs::create_dir_all(path.parent().expect("a file has a parent folder"))
            .expect("the project folder is writable");
        fs::write(&path, contents).expect("the project folder is writable");
    }

    /// Appends `contents` to the project-relative `path`.
    fn append(&self, path: &str, contents: &str) {
        let text = fs::read_to_string(self.root.join(path)).expect("the file exists");
        self.write(path, &(text + contents));
    }

    /// Deletes the project-relative file `path`.
    fn remove(&self, path: &str) {
        fs::remove_file(self.root.join(path)).expect("the file exists");
    }

    /// Runs `cargo build -v` and collects what it reported.
    fn build(&self) -> Build {
        let mut command = Command::new(cargo());
        command
            .current_dir(&self.root)
            .env("CARGO_TARGET_DIR", shared_target_dir())
            .env("CARGO_TERM_COLOR", "never")
            .args(["build", "-v", "--message-format=json-render-diagnostics"]);
        if self.release {
            command.arg("--release");
        }

        let started = Instant::now();
        let output = command.output().expect("cargo can be started");
        eprintln!("{}: cargo build took {:.1?}", self.name, started.elapsed());

        self.read_build(&output)
    }

    /// Builds and panics with Cargo's log when the build fails.
    fn build_ok(&self) -> Build {
        let build = self.build();
        assert!(
            build.success,
            "building {} failed:\n{}",
            self.name, build.log
        );
        build
    }

    /// Builds, runs the app, and returns the functions it serves.
    fn build_and_serve(&self) -> Vec<Served> {
        serve(&self.build_ok())
    }

    /// Reads the build's JSON messages for the out dir and binary of this project.
    fn read_build(&self, output: &Output) -> Build {
        let mut build = Build {
            success: output.status.success(),
            log: String::from_utf8_lossy(&output.stderr).into_owned(),
            out_dir: None,
            executable: None,
        };
        let package = format!("#{}@", self.name);

        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let Ok(message) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let ours = message["package_id"]
                .as_str()
                .is_some_and(|id| id.contains(&package));
            if !ours {
                continue;
            }
            match message["reason"].as_str() {
                Some("build-script-executed") => {
                    build.out_dir = message["out_dir"].as_str().map(PathBuf::from);
                }
                Some("compiler-artifact") => {
                    if let Some(path) = message["executable"].as_str() {
                        build.executable = Some(PathBuf::from(path));
                    }
                }
                _ => {}
            }
        }
        build
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "{}: kept for inspection at {}",
                self.name,
                self.root.display()
            );
            return;
        }
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// The Cargo that runs these tests, or the one on `PATH`.
fn cargo() -> PathBuf {
    std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from)
}

/// `<target>/e2e-projects`, beside the target folder's `tmp/` that Cargo gives tests.
fn shared_target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the tests' tmp folder lies in the target folder")
        .join("e2e-projects")
}

/// The absolute path of a folder of this repository, as a string for the manifest.
fn repo_dir(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    path.to_str()
        .expect("the repository path is UTF-8")
        .to_owned()
}

/// Runs the app that `build` produced and returns the functions it serves.
fn serve(build: &Build) -> Vec<Served> {
    let executable = build
        .executable
        .as_ref()
        .expect("a successful build names the binary");

    let output = Command::new(executable)
        .output()
        .expect("the built app can be started");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{} failed:\n{stdout}\n{}",
        executable.display(),
        String::from_utf8_lossy(&output.stderr)
    );

    stdout.lines().map(parse_served).collect()
}

/// Parses one `<id>\t<source>\t<output>` line that the app prints.
fn parse_served(line: &str) -> Served {
    let mut fields = line.splitn(3, '\t');
    let mut next = || {
        fields
            .next()
            .expect("a line has three tab-separated fields")
    };
    let (id, source, output) = (next(), next(), next());

    Served {
        id: id.to_owned(),
        source: source.to_owned(),
        output: serde_json::from_str(output).expect("the output is JSON"),
    }
}

/// What the app serves when each `(id, source)` greets through [`EVENT_TEMPLATE`].
fn greeters(functions: &[(&str, &str)]) -> Vec<Served> {
    functions
        .iter()
        .map(|(id, source)| Served {
            id: (*id).to_owned(),
            source: (*source).to_owned(),
            output: serde_json::json!({ "greeting": format!("hello from {id}") }),
        })
        .collect()
}

/// Every file under `features/` that names an event file and is not a test or spec file.
fn event_files_on_disk(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![root.join("features")];

    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).expect("the folder can be read") {
            let path = entry.expect("the entry can be read").path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or("");
            let in_events = dir.file_name().is_some_and(|dir| dir == "events");
            let excluded = name.ends_with(".test.rs") || name.ends_with(".spec.rs");
            if in_events && name.starts_with("event-") && name.ends_with(".rs") && !excluded {
                let relative = path
                    .strip_prefix(root)
                    .expect("the file lies in the project");
                found.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }

    found.sort();
    found
}

fn modified(path: &Path) -> SystemTime {
    fs::metadata(path)
        .and_then(|metadata| metadata.modified())
        .expect("the generated file exists")
}

#[test]
fn registry_follows_every_change_to_the_tree() {
    let project = Project::new("e2e-tree", &["features/a/events/event-one.rs"]);
    let one = ("one", "features/a/events/event-one.rs");
    let two = ("two", "features/a/events/event-two.rs");
    let renamed = ("two-renamed", "features/a/events/event-two.rs");
    let three = ("three", "features/c/deep/events/event-three.rs");

    // One file: one function.
    assert_eq!(project.build_and_serve(), greeters(&[one]));

    // A second file in the same `events/` folder.
    project.write(two.1, &event_source("Two", "two"));
    assert_eq!(project.build_and_serve(), greeters(&[one, two]));

    // A file in folders that did not exist at the last build.
    project.write(three.1, &event_source("Three", "three"));
    assert_eq!(project.build_and_serve(), greeters(&[one, two, three]));

    // A new id inside an existing file.
    project.write(renamed.1, &event_source("Two", "two-renamed"));
    assert_eq!(project.build_and_serve(), greeters(&[one, renamed, three]));

    // A deleted file leaves no module behind.
    project.remove(one.1);
    let build = project.build_ok();
    assert_eq!(serve(&build), greeters(&[renamed, three]));
    let generated = build
        .out_dir
        .expect("the build script ran")
        .join("all_functions.rs");
    let text = fs::read_to_string(&generated).expect("the generated file exists");
    assert!(!text.contains("event-one"), "stale module in:\n{text}");

    // A test file beside the event files is never read, even when it is not Rust, and the
    // generated file keeps its bytes and so its modification time.
    let before = modified(&generated);
    project.write("features/a/events/event-two.test.rs", "not rust at all {");
    assert_eq!(project.build_and_serve(), greeters(&[renamed, three]));
    assert_eq!(modified(&generated), before);

    // A misnamed file is not registered, and the build says what it should be called.
    project.write(
        "features/a/events/booking-created.rs",
        &event_source("Booking", "booking"),
    );
    let build = project.build_ok();
    assert_eq!(serve(&build), greeters(&[renamed, three]));
    let warned = build.log.lines().any(|line| {
        line.starts_with("warning")
            && line.contains("features/a/events/booking-created.rs")
            && line.contains("event-booking-created.rs")
    });
    assert!(
        warned,
        "no warning about the misnamed file in:\n{}",
        build.log
    );

    // An unchanged tree: the build script is fresh.
    let build = project.build_ok();
    assert!(
        build.log.contains("Fresh e2e-tree v0.1.0") && !build.log.contains("build-script-build"),
        "the build script ran again on an unchanged tree:\n{}",
        build.log
    );
    assert_eq!(modified(&generated), before);
}

/// An event file whose `run` takes the wrong event type for its `Function` impl.
const WRONG_SIGNATURE: &str = r#"//! Declares `Value` events but asks for `String` ones.

use switchyard_runtime::prelude::*;

pub struct Mismatch;

impl Function for Mismatch {
    type Event = Value;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "mismatch",
        triggers: &[Trigger::event("e2e/run")],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<String>) -> Result<Value> {
        Ok(json!({ "got": ctx.event.data }))
    }
}
"#;

#[test]
fn handler_signature_mistake_is_reported_at_the_event_file() {
    let project = Project::new("e2e-signature", &["features/a/events/event-one.rs"]);
    project.write("features/c/events/event-mismatch.rs", WRONG_SIGNATURE);

    let build = project.build();

    assert!(!build.success, "a wrong signature built:\n{}", build.log);
    let run_line = WRONG_SIGNATURE
        .lines()
        .position(|line| line.contains("async fn run"))
        .expect("the template has a run method")
        + 1;
    let location = format!("features/c/events/event-mismatch.rs:{run_line}:");
    assert!(
        build.log.contains(&location),
        "the error does not point at {location} in:\n{}",
        build.log
    );
}

#[test]
fn duplicate_id_fails_the_build_naming_both_files() {
    let project = Project::new(
        "e2e-duplicate",
        &[
            "features/a/events/event-one.rs",
            "features/b/events/event-nightly.rs",
        ],
    );
    project.build_ok();

    project.write(
        "features/c/events/event-copy.rs",
        &event_source("Copy", "one"),
    );
    let build = project.build();

    assert!(!build.success, "a duplicate id built:\n{}", build.log);
    assert!(
        build.log.contains("`one`"),
        "the id is not named in:\n{}",
        build.log
    );
    for file in [
        "features/a/events/event-one.rs",
        "features/c/events/event-copy.rs",
    ] {
        assert!(
            build.log.contains(file),
            "{file} not named in:\n{}",
            build.log
        );
    }

    // Removing the copy makes the project build again.
    project.remove("features/c/events/event-copy.rs");
    let ids: Vec<String> = project
        .build_and_serve()
        .into_iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(ids, ["one", "nightly"]);
}

#[test]
fn release_build_with_thin_lto_serves_every_file() {
    let project = Project::new(
        "e2e-lto",
        &[
            "features/a/events/event-one.rs",
            "features/b/events/event-nightly.rs",
        ],
    )
    .release();
    project.append("Cargo.toml", "\n[profile.release]\nlto = \"thin\"\n");
    // Nothing anywhere refers to this file's items: only the registry keeps it alive.
    project.write(
        "features/z/events/event-lonely.rs",
        &event_source("Lonely", "lonely"),
    );

    let build = project.build_ok();
    let served = serve(&build);

    assert!(
        build.log.contains("-C lto=thin"),
        "not built with thin LTO:\n{}",
        build.log
    );
    let mut sources: Vec<String> = served.iter().map(|f| f.source.clone()).collect();
    sources.sort();
    assert_eq!(sources, event_files_on_disk(&project.root));
    let outputs: Vec<(&str, String)> = served
        .iter()
        .map(|f| (f.id.as_str(), f.output.to_string()))
        .collect();
    assert_eq!(
        outputs,
        [
            ("one", r#"{"greeting":"hello from one"}"#.to_owned()),
            ("nightly", r#"{"counted":[1,2,3]}"#.to_owned()),
            ("lonely", r#"{"greeting":"hello from lonely"}"#.to_owned()),
        ]
    );
}
