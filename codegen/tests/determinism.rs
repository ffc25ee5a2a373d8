//! The generated file depends only on the tree's contents: not on the order the file system
//! lists entries in, nor on where the project is checked out.

#[path = "support/tree.rs"]
mod tree;

use switchyard_codegen::Builder;
use tree::{event_file, Tree};

/// The files of one project: relative path and contents.
fn project() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for (feature, count) in [
        ("auth", 3),
        ("billing/invoices", 4),
        ("billing", 2),
        ("ops", 3),
    ] {
        for index in 0..count {
            let path = format!("features/{feature}/events/event-step-{index}.rs");
            let id = format!("{}-step-{index}", feature.replace('/', "-"));
            let event = if feature == "ops" && index < 2 {
                "inngest/function.failed".to_owned()
            } else {
                format!("{}/step.{index}", feature.replace('/', "."))
            };
            files.push((path, event_file(&id, &event)));
        }
    }
    files.push((
        "features/auth/events/event-step-0.test.rs".into(),
        String::new(),
    ));
    files.push(("features/auth/events/stray.rs".into(), String::new()));
    files
}

/// A permutation of `0..len` that differs from both the identity and its reverse.
fn shuffled(len: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    let mut state = seed;
    for index in (1..len).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let other = (state >> 33) as usize % (index + 1);
        order.swap(index, other);
    }
    order
}

fn build(tree: &Tree, order: &[usize]) {
    let files = project();
    for &index in order {
        let (path, contents) = &files[index];
        tree.file(path, contents);
    }
}

#[test]
fn same_tree_in_any_order_and_any_folder_gives_identical_bytes() {
    let files = project().len();
    let first = Tree::new();
    let outer = Tree::new();
    let second = Tree::in_folder(&outer.path("some/other/checkout"), "switchyard-copy");
    build(&first, &(0..files).rev().collect::<Vec<_>>());
    build(&second, &shuffled(files, 7));

    let one = Builder::new(first.root()).generate().unwrap();
    let two = Builder::new(second.root()).generate().unwrap();

    assert_eq!(one.source, two.source);
    assert_eq!(one.audit(), two.audit());
    assert_eq!(one.warnings.cargo_lines(), two.warnings.cargo_lines());
    for root in [first.root(), second.root(), outer.root()] {
        let root = root.to_string_lossy();
        assert!(
            !one.source.contains(root.as_ref()),
            "the source names {root}"
        );
        assert!(
            !two.source.contains(root.as_ref()),
            "the source names {root}"
        );
    }
}

#[test]
fn orders_failure_handlers_first_then_feature_then_file() {
    let tree = Tree::new();
    build(&tree, &shuffled(project().len(), 3));

    let output = Builder::new(tree.root()).generate().unwrap();

    let order: Vec<&str> = output.functions.iter().map(|f| f.source.as_str()).collect();
    assert_eq!(
        order,
        [
            "features/ops/events/event-step-0.rs",
            "features/ops/events/event-step-1.rs",
            "features/auth/events/event-step-0.rs",
            "features/auth/events/event-step-1.rs",
            "features/auth/events/event-step-2.rs",
            "features/billing/events/event-step-0.rs",
            "features/billing/events/event-step-1.rs",
            "features/billing/invoices/events/event-step-0.rs",
            "features/billing/invoices/events/event-step-1.rs",
            "features/billing/invoices/events/event-step-2.rs",
            "features/billing/invoices/events/event-step-3.rs",
            "features/ops/events/event-step-2.rs",
        ]
    );
}
