//! The `switchyard` command line.

fn main() {
    let registry = &switchyard::registry::REGISTRY;
    for entry in registry.functions() {
        println!("{:<12} {:<36} {}", entry.feature, entry.id(), entry.source);
    }
}
