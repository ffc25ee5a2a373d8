//! End to end through Cargo: a small project whose `build.rs` calls the builder is built
//! again and again while its tree changes (the C26 steps), and must always reflect the tree,
//! rerun its build script only when the tree changed, and fail with readable diagnostics.
//!
//! The project builds offline against the workspace's `Cargo.lock`, in a target folder under
//! Cargo's temporary folder that is kept between runs, so only the first run compiles the
//! dependencies.

#[path = "support/tree.rs"]
mod tree;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tree::{event_file, Tree};

/// The probe project and the Cargo invocations on it.
struct Probe {
    tree: Tree,
    target: PathBuf,
}

impl Probe {
    fn new(name: &str) -> Probe {
        let tree = Tree::new();
        let codegen = Path::new(env!("CARGO_MANIFEST_DIR"));
        let workspace = codegen.parent().expect("codegen sits in the workspace");
        let manifest = format!(
            r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
switchyard-include = {{ path = {include:?} }}
switchyard-runtime = {{ path = {runtime:?} }}

[build-dependencies]
switchyard-codegen = {{ path = {codegen:?} }}

[workspace]
"#,
            runtime = workspace.join("runtime"),
            codegen = codegen,
            include = codegen.join("include"),
        );
        let lock = std::fs::read_to_string(workspace.join("Cargo.lock")).unwrap();

        tree.file("Cargo.toml", &manifest)
            .file("Cargo.lock", &lock)
            .file(
                "build.rs",
                "fn main() {\n    switchyard_codegen::Builder::from_env().run_build_script();\n}\n",
            )
            .file(
                "src/main.rs",
                "mod registry;\n\nfn main() {\n    println!(\"{}\", registry::FUNCTION_IDS.join(\",\"));\n}\n",
            )
            .file(
                "src/registry.rs",
                "#![allow(dead_code)]\n\nswitchyard_include::include_out_dir!(\"all_functions.rs\");\n",
            );
        let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rebuild-probe");
        Probe { tree, target }
    }

    fn cargo(&self, args: &[&str]) -> Output {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        Command::new(cargo)
            .args(args)
            .arg("--offline")
            .current_dir(self.tree.root())
            .env("CARGO_TARGET_DIR", &self.target)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_BUILD_RUSTFLAGS")
            .output()
            .expect("cargo runs")
    }

    /// Builds and runs the project, returning the ids of its registry.
    fn ids(&self) -> Vec<String> {
        let output = self.cargo(&["run", "--quiet"]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        let ids = text(&output.stdout);
        ids.trim().split(',').map(str::to_owned).collect()
    }

    /// Builds verbosely and says whether the build script ran.
    fn build_script_ran(&self) -> bool {
        let output = self.cargo(&["build", "-v"]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stderr)
            .lines()
            .any(|line| line.contains("Running") && line.contains("build-script-build"))
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_registry_follows_every_change_to_the_tree() {
    let probe = Probe::new("rebuild-probe");
    let tree = &probe.tree;
    tree.event("features/a/events/event-one.rs", "one", "a/one");
    assert_eq!(probe.ids(), ["one"]);
    assert!(
        !probe.build_script_ran(),
        "an unchanged tree reran the build script"
    );

    tree.event("features/a/events/event-two.rs", "two", "a/two");
    assert!(
        probe.build_script_ran(),
        "adding a file did not rerun the build script"
    );
    assert_eq!(probe.ids(), ["one", "two"]);

    tree.event("features/c/deep/events/event-three.rs", "three", "c/three");
    assert_eq!(probe.ids(), ["one", "three", "two"]);

    tree.event("features/a/events/event-two.rs", "two-renamed", "a/two");
    assert_eq!(probe.ids(), ["one", "three", "two-renamed"]);

    std::fs::remove_file(tree.path("features/a/events/event-one.rs")).unwrap();
    assert_eq!(probe.ids(), ["three", "two-renamed"]);

    tree.file(
        "features/a/events/event-two.test.rs",
        "#[test]\nfn two() {}\n",
    );
    assert_eq!(probe.ids(), ["three", "two-renamed"]);
    assert!(
        !probe.build_script_ran(),
        "an unchanged tree reran the build script"
    );
}

#[test]
fn a_duplicate_id_fails_the_build_naming_both_files() {
    let probe = Probe::new("duplicate-probe");
    let tree = &probe.tree;
    tree.event("features/a/events/event-one.rs", "same", "a/one")
        .file(
            "features/b/events/event-two.rs",
            &event_file("same", "b/two"),
        )
        .file("features/b/events/booking.rs", "");

    let output = probe.cargo(&["build", "--quiet"]);

    let stderr = text(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains(
            "features/b/events/event-two.rs:12:13: duplicate function id `same`, first defined \
             at features/a/events/event-one.rs:12:13"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("first defined here"), "{stderr}");
    assert!(
        stderr.contains(
            "not an event file, so it is not registered; rename it to `event-booking.rs`"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
