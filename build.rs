//! Discovers the event files under `features/` and generates the function registry.

fn main() {
    switchyard_codegen::Builder::from_env().run_build_script();
}
