//! Symlinks are followed with loop detection: a cycle neither hangs nor registers anything
//! twice, a file reached through two paths registers once, and rerun triggers name real
//! paths (the C29 tree).

#![cfg(unix)]

#[path = "support/tree.rs"]
mod tree;

use std::os::unix::fs::symlink;

use switchyard_codegen::Builder;
use tree::Tree;

/// `features -> app-features`, a folder link to a tree outside, a link back to the root
/// (a cycle), a link to the folder above the root, and a file link to another event file.
fn c29_tree() -> Tree {
    let tree = Tree::new();
    tree.event("app-features/a/events/event-one.rs", "one", "a/one")
        .event("app-features/b/events/event-two.rs", "two", "b/two")
        .event(
            "shared-features/events/event-shared.rs",
            "shared",
            "s/shared",
        );
    symlink("app-features", tree.path("features")).unwrap();
    symlink("../shared-features", tree.path("app-features/shared")).unwrap();
    symlink("..", tree.path("app-features/loop")).unwrap();
    symlink("../..", tree.path("app-features/a/up")).unwrap();
    symlink(
        "../../b/events/event-two.rs",
        tree.path("app-features/a/events/event-link.rs"),
    )
    .unwrap();
    tree
}

#[test]
fn follows_links_once_and_registers_every_file_once() {
    let tree = c29_tree();

    let output = Builder::new(tree.root()).generate().unwrap();

    let found: Vec<(&str, &str, &str)> = output
        .functions
        .iter()
        .map(|f| (f.feature.as_str(), f.id.as_str(), f.source.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("a", "one", "features/a/events/event-one.rs"),
            ("b", "two", "features/b/events/event-two.rs"),
            ("shared", "shared", "features/shared/events/event-shared.rs"),
        ]
    );
}

#[test]
fn reruns_on_real_paths() {
    let tree = c29_tree();
    let real = tree.root().canonicalize().unwrap();

    let output = Builder::new(tree.root()).generate().unwrap();

    for expected in [
        "app-features/a/events",
        "app-features/a/events/event-one.rs",
        "app-features/b/events/event-two.rs",
        "shared-features/events",
        "shared-features/events/event-shared.rs",
    ] {
        assert!(
            output.rerun_paths.contains(&real.join(expected)),
            "{expected} missing from {:?}",
            output.rerun_paths
        );
    }
    let through_links = output
        .rerun_paths
        .iter()
        .filter(|path| path.starts_with(real.join("features")))
        .count();
    assert_eq!(through_links, 0, "{:?}", output.rerun_paths);
}

#[test]
fn a_cycle_of_folder_links_ends() {
    let tree = Tree::new();
    tree.event("features/a/events/event-one.rs", "one", "a/one");
    symlink("../b", tree.path("features/a/b")).unwrap();
    tree.folder("features/b");
    symlink("../a", tree.path("features/b/a")).unwrap();
    symlink("b", tree.path("features/self")).unwrap();
    symlink("missing", tree.path("features/a/events/event-dangling.rs")).unwrap();

    let report = Builder::new(tree.root()).generate().unwrap_err();

    let lines = report.cargo_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("cargo::error=features/a/events/event-dangling.rs: cannot read it"),
        "{lines:?}"
    );
}
