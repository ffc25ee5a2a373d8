//! Golden tests: codegen over the fixture trees in `tests/fixtures/`, compared with the
//! expected outputs committed beside each tree.
//!
//! Each fixture is a project root with a `features/` folder. Its `expected/` folder holds
//! what codegen produces: `all_functions.rs` and `FUNCTIONS.md` when generation succeeds,
//! and `diagnostics.txt` (the Cargo lines, then the rendered diagnostics) when there are
//! problems or warnings. A mismatch rewrites the expected file and fails the test, so the
//! change shows in the diff for review; run the tests again to see them pass.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use switchyard_codegen::{Builder, Report};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// What a user sees for `report`: one Cargo line per problem, then the rendered snippets.
fn transcript(report: &Report) -> String {
    let mut out = report.cargo_lines().join("\n");
    out.push_str("\n\n");
    out.push_str(&report.render());
    out
}

/// Generates for the fixture `case` and compares every output with its expected file,
/// rewriting the expected files that differ.
fn golden(case: &str) {
    let root = fixtures().join(case);
    let mut actual = BTreeMap::new();
    match Builder::new(&root).generate() {
        Ok(output) => {
            actual.insert("all_functions.rs", output.source.clone());
            actual.insert("FUNCTIONS.md", output.audit());
            if !output.warnings.is_empty() {
                actual.insert("diagnostics.txt", transcript(&output.warnings));
            }
        }
        Err(report) => {
            actual.insert("diagnostics.txt", transcript(&report));
        }
    }

    let expected_dir = root.join("expected");
    fs::create_dir_all(&expected_dir).unwrap();
    let mut rewritten = Vec::new();
    for name in ["all_functions.rs", "FUNCTIONS.md", "diagnostics.txt"] {
        let path = expected_dir.join(name);
        let expected = fs::read_to_string(&path).ok();
        match actual.get(name) {
            Some(text) if expected.as_deref() != Some(text.as_str()) => {
                fs::write(&path, text).unwrap();
                rewritten.push(name);
            }
            None if expected.is_some() => {
                fs::remove_file(&path).unwrap();
                rewritten.push(name);
            }
            _ => {}
        }
    }

    assert!(
        rewritten.is_empty(),
        "golden files of `{case}` were out of date and have been rewritten: {rewritten:?}; \
         review the diff under tests/fixtures/{case}/expected and commit it"
    );
}

macro_rules! golden_tests {
    ($($name:ident => $case:literal,)*) => {
        $(
            #[test]
            fn $name() {
                golden($case);
            }
        )*

        /// Every fixture folder, so that one without a test is noticed.
        const CASES: &[&str] = &[$($case),*];
    };
}

golden_tests! {
    empty_tree_reports_that_no_event_file_matches => "empty-tree",
    nested_features_are_registered_with_their_folder_path => "nested-feature",
    failure_handlers_come_first => "failure-handler",
    own_failure_handlers_and_cancellations_reach_the_registry => "own-failure-and-cancel",
    cancellations_and_failure_handlers_that_break_the_rules_are_reported =>
        "cancel-and-failure-rules",
    a_bad_file_fails_the_build_next_to_good_ones => "bad-file",
    collisions_name_both_files => "collision",
    syntax_errors_point_at_the_token => "syntax-error",
    a_file_without_a_function_is_an_error => "no-function",
    a_file_with_two_functions_is_an_error => "two-functions",
    a_function_in_a_nested_module_is_an_error => "not-top-level",
    the_struct_must_be_a_public_unit_struct => "missing-struct",
    a_function_without_config_is_an_error => "missing-config",
    a_computed_config_is_an_error => "config-not-literal",
    every_non_literal_field_is_reported => "non-literal-fields",
    unknown_fields_are_rejected_not_ignored => "unknown-field",
    repeated_fields_and_other_bases_are_rejected => "config-shape",
    a_config_without_id_is_an_error => "missing-id",
    duplicate_ids_name_both_files_and_lines => "duplicate-id",
    files_with_the_same_module_name_clash => "module-clash",
    ids_that_break_the_rules_are_reported => "invalid-id",
    malformed_event_names_are_reported => "invalid-event-name",
    blank_if_expressions_are_reported => "empty-if",
    cron_schedules_that_do_not_parse_are_reported => "invalid-cron",
    functions_without_triggers_are_reported => "no-triggers",
    retries_and_concurrency_outside_inngest_limits_are_reported => "retries-and-concurrency",
    a_file_directly_in_the_events_folder_of_the_root_has_no_feature => "no-feature",
    an_empty_file_name_is_an_error => "empty-name",
    a_file_name_that_cannot_name_a_module_is_an_error => "invalid-file-name",
}

#[test]
fn every_fixture_has_a_golden_test() {
    let mut folders: Vec<String> = fs::read_dir(fixtures())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();

    let mut cases: Vec<&str> = CASES.to_vec();
    cases.sort();

    assert_eq!(folders, cases);
}
