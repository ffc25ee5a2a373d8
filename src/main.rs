//! The `switchyard` binary: serves, lists and runs the functions under `features/`.

use std::process::ExitCode;

use clap::Parser;
use switchyard::cli::{self, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    switchyard::logging::init();
    cli::run(cli)
}
