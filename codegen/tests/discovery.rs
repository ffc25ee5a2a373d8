//! Discovery over trees built at test time: which files register, which warn, which fail,
//! and which paths rerun the build script.

#[path = "support/tree.rs"]
mod tree;

use std::collections::BTreeSet;
use std::path::PathBuf;

use switchyard_codegen::{Builder, Problem, Severity};
use tree::Tree;

fn registered(tree: &Tree) -> Vec<(String, String)> {
    let output = Builder::new(tree.root())
        .generate()
        .unwrap_or_else(|report| {
            panic!("unexpected problems:\n{}", report.render());
        });
    output
        .functions
        .iter()
        .map(|f| (f.feature.clone(), f.source.clone()))
        .collect()
}

#[test]
fn registers_the_c24_tree_as_documented() {
    let tree = Tree::new();
    let events = "features/orders/events";
    tree.event(
        &format!("{events}/event-order-placed.rs"),
        "order-placed",
        "orders/placed",
    )
    .event(&format!("{events}/event-order-placed.test.rs"), "t1", "a/b")
    .event(&format!("{events}/event-order-placed.spec.rs"), "t2", "a/b")
    .event(&format!("{events}/event-order-placed.TEST.rs"), "t3", "a/b")
    .event(&format!("{events}/event-helpers.test.rs"), "t4", "a/b")
    .event(&format!("{events}/fixtures/event-fixture.rs"), "t5", "a/b")
    .event("features/orders/tests/events/event-fake.rs", "fake", "a/b");

    let functions = registered(&tree);

    assert_eq!(
        functions,
        [
            ("orders".into(), format!("{events}/event-order-placed.rs")),
            (
                "orders/tests".into(),
                "features/orders/tests/events/event-fake.rs".into()
            ),
        ]
    );
}

#[test]
fn never_registers_hidden_files_editor_leftovers_or_other_extensions() {
    let tree = Tree::new();
    let events = "features/a/events";
    tree.event(&format!("{events}/event-real.rs"), "real", "a/b");
    for junk in [
        ".event-x.rs",
        ".event-x.rs.swp",
        ".#event-x.rs",
        "._event-x.rs",
        "#event-x.rs#",
        "event-x.rs~",
        "event-x.rs.bak",
        "event-x.txt",
        "event-x",
    ] {
        tree.event(&format!("{events}/{junk}"), "junk", "a/b");
    }
    tree.event("features/.hidden/events/event-y.rs", "hidden", "a/b")
        .event("features/a/.events/event-z.rs", "hidden-events", "a/b");

    let output = Builder::new(tree.root()).generate().unwrap();

    let sources: Vec<&str> = output.functions.iter().map(|f| f.source.as_str()).collect();
    assert_eq!(sources, [format!("{events}/event-real.rs")]);
    assert!(output.warnings.is_empty(), "{}", output.warnings);
}

#[test]
fn warns_about_near_misses_with_the_name_they_should_have() {
    let tree = Tree::new();
    tree.event("features/a/events/event-real.rs", "real", "a/b")
        .event("features/a/events/booking-created.rs", "x1", "a/b")
        .event("features/b/events/event_booking_created.rs", "x2", "a/b")
        .event("features/c/events/Event-Booking.rs", "x3", "a/b")
        .event("features/d/events/event-booking.RS", "x4", "a/b");

    let output = Builder::new(tree.root()).generate().unwrap();

    assert_eq!(output.functions.len(), 1);
    assert_eq!(
        output.warnings.cargo_lines(),
        [
            "cargo::warning=features/a/events/booking-created.rs: not an event file, so it is \
             not registered; rename it to `event-booking-created.rs`",
            "cargo::warning=features/b/events/event_booking_created.rs: not an event file, so \
             it is not registered; rename it to `event-booking-created.rs`",
            "cargo::warning=features/c/events/Event-Booking.rs: not an event file, so it is not \
             registered; rename it to `event-booking.rs`",
            "cargo::warning=features/d/events/event-booking.RS: not an event file, so it is not \
             registered; rename it to `event-booking.rs`",
        ]
    );
}

#[test]
fn warns_about_configured_ignores_that_match_nothing() {
    let tree = Tree::new();
    tree.event("features/a/events/event-real.rs", "real", "a/b")
        .event("features/a/events/event-real.spec.rs", "spec", "a/b")
        .event("features/a/events/event-real.test.rs", "test", "a/b");

    let output = Builder::new(tree.root())
        .ignores(["**/*.{spec,test}.rs", "**/legacy/**", "*.test.rs"])
        .generate()
        .unwrap();

    assert_eq!(output.functions.len(), 1);
    assert_eq!(
        output.warnings.cargo_lines(),
        [
            "cargo::warning=ignore pattern `**/legacy/**` matches no file",
            "cargo::warning=ignore pattern `*.test.rs` matches no file",
        ]
    );
}

#[test]
fn default_ignores_that_match_nothing_are_not_warnings() {
    let tree = Tree::new();
    tree.event("features/a/events/event-real.rs", "real", "a/b");

    let output = Builder::new(tree.root()).generate().unwrap();

    assert!(output.warnings.is_empty(), "{}", output.warnings);
}

#[test]
fn applies_a_configured_pattern_and_its_feature_folders() {
    let tree = Tree::new();
    tree.event("app/jobs/billing/handlers/job-charge.rs", "charge", "a/b")
        .event("app/jobs/billing/eu/handlers/job-vat.rs", "vat", "a/b")
        .event("app/jobs/billing/handlers/charge.rs", "near", "a/b")
        .event("features/a/events/event-ignored.rs", "default-place", "a/b");

    let output = Builder::new(tree.root())
        .pattern("app/jobs/**/handlers/job-*.rs")
        .generate()
        .unwrap();

    let found: Vec<(&str, &str)> = output
        .functions
        .iter()
        .map(|f| (f.feature.as_str(), f.module.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("billing", "billing_job_charge"),
            ("billing/eu", "billing_eu_job_vat")
        ]
    );
    assert_eq!(
        output.warnings.cargo_lines(),
        [
            "cargo::warning=app/jobs/billing/handlers/charge.rs: not an event file, so it is not \
             registered; rename it to `job-charge.rs`"
        ]
    );
}

#[test]
fn reports_every_problem_of_every_file_in_one_sorted_pass() {
    let tree = Tree::new();
    tree.event("features/b/events/event-bad-id.rs", "Bad", "a/b")
        .event("features/a/events/event-bad-event.rs", "bad-event", "a b")
        .file("features/a/events/event-broken.rs", "pub struct Broken {")
        .file("features/c/events/stray.rs", "")
        .event("features/c/events/event-fine.rs", "fine", "a/b");

    let report = Builder::new(tree.root()).generate().unwrap_err();

    let places: Vec<(Severity, &str)> = report
        .diagnostics()
        .iter()
        .map(|d| (d.severity(), d.file.as_deref().unwrap()))
        .collect();
    assert_eq!(
        places,
        [
            (Severity::Error, "features/a/events/event-bad-event.rs"),
            (Severity::Error, "features/a/events/event-broken.rs"),
            (Severity::Error, "features/b/events/event-bad-id.rs"),
            (Severity::Warning, "features/c/events/stray.rs"),
        ]
    );
}

#[cfg(target_os = "linux")]
#[test]
fn file_names_that_differ_only_in_case_clash() {
    let tree = Tree::new();
    tree.event("features/a/events/event-Sync.rs", "sync-upper", "a/b")
        .event("features/a/events/event-sync.rs", "sync-lower", "a/b");

    let report = Builder::new(tree.root()).generate().unwrap_err();

    let lines = report.cargo_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with(
            "cargo::error=features/a/events/event-sync.rs:1:1: module name `a_event_sync` is \
             also the module of `features/a/events/event-Sync.rs`"
        ),
        "{lines:?}"
    );
}

#[cfg(unix)]
#[test]
fn names_a_file_whose_name_is_not_utf8() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let tree = Tree::new();
    tree.event("features/a/events/event-fine.rs", "fine", "a/b");
    let name = OsStr::from_bytes(b"event-caf\xe9.rs");
    let path = tree.path("features/a/events").join(name);
    if std::fs::write(&path, "").is_err() {
        // Some file systems (such as macOS APFS) refuse names that are not UTF-8 at all.
        return;
    }

    let report = Builder::new(tree.root()).generate().unwrap_err();

    assert_eq!(
        report.cargo_lines(),
        ["cargo::error=features/a/events/event-caf\\xE9.rs: file name is not valid UTF-8"]
    );
}

#[test]
fn reruns_on_the_root_every_folder_and_every_event_file() {
    let tree = Tree::new();
    tree.event("features/a/events/event-one.rs", "one", "a/b")
        .event("features/a/events/event-one.test.rs", "one-test", "a/b")
        .event("features/b/deep/events/event-two.rs", "two", "a/b")
        .folder("features/c/docs");

    let output = Builder::new(tree.root()).generate().unwrap();

    let real = tree.root().canonicalize().unwrap();
    let expected: BTreeSet<PathBuf> = [
        "features",
        "features/a",
        "features/a/events",
        "features/a/events/event-one.rs",
        "features/b",
        "features/b/deep",
        "features/b/deep/events",
        "features/b/deep/events/event-two.rs",
        "features/c",
        "features/c/docs",
    ]
    .iter()
    .map(|path| real.join(path))
    .collect();
    let actual: BTreeSet<PathBuf> = output.rerun_paths.iter().cloned().collect();
    assert_eq!(actual, expected);
}

#[test]
fn writes_the_generated_file_only_when_its_bytes_change() {
    let tree = Tree::new();
    tree.event("features/a/events/event-one.rs", "one", "a/b");
    let output = Builder::new(tree.root()).generate().unwrap();
    let target = tree.path("all_functions.rs");

    let first = output.write(&target).unwrap();
    let modified = std::fs::metadata(&target).unwrap().modified().unwrap();
    let second = output.write(&target).unwrap();

    assert!(first);
    assert!(!second);
    assert_eq!(
        std::fs::metadata(&target).unwrap().modified().unwrap(),
        modified
    );
}

#[test]
fn reports_settings_that_cannot_be_used() {
    let tree = Tree::new();
    tree.event("features/a/events/event-one.rs", "one", "a/b");

    let report = Builder::new(tree.root())
        .pattern("features/**/events/event.rs")
        .ignores(["**/[.rs"])
        .runtime_path("not a path")
        .root_from_includer("/abs")
        .generate()
        .unwrap_err();

    let kinds: Vec<&Problem> = report.diagnostics().iter().map(|d| &d.problem).collect();
    assert!(
        matches!(kinds[0], Problem::InvalidPattern { .. }),
        "{report}"
    );
    assert!(
        matches!(kinds[1], Problem::InvalidIgnore { .. }),
        "{report}"
    );
    assert!(
        matches!(kinds[2], Problem::InvalidSetting { .. }),
        "{report}"
    );
    assert!(
        matches!(kinds[3], Problem::InvalidSetting { .. }),
        "{report}"
    );
    assert_eq!(kinds.len(), 4, "{report}");
}
