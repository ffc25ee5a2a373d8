//! Keeps `FUNCTIONS.md`, the committed audit copy of the registry, equal to what codegen
//! produces from the event files now.
//!
//! When an event file is added, removed or changed, the test rewrites `FUNCTIONS.md` and
//! fails; commit the rewritten file, so that the change to the registry shows in review.

use std::path::Path;

use switchyard_codegen::{write_if_changed, Builder, Output};

fn generate() -> Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Builder::new(root)
        .generate()
        .unwrap_or_else(|report| panic!("codegen found problems:\n{}", report.render()))
}

#[test]
fn functions_md_matches_the_event_files() {
    let output = generate();

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("FUNCTIONS.md");
    let rewritten = write_if_changed(&path, &output.audit()).expect("FUNCTIONS.md is writable");

    assert!(
        !rewritten,
        "FUNCTIONS.md was stale and has been rewritten from the event files; \
         review the diff and commit it"
    );
}

#[test]
fn the_built_registry_holds_every_function_codegen_finds() {
    let output = generate();

    let built = switchyard::registry::FUNCTION_IDS.to_vec();

    assert_eq!(built, output.function_ids());
    assert_eq!(switchyard::registry::FUNCTION_COUNT, output.functions.len());
}
