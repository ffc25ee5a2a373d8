//! The `switchyard` command line: `serve` (the default), `functions` and `invoke`.
//!
//! Exit codes: 0 on success, 1 when an invoked function fails or the server cannot run, 2
//! when the input is at fault (arguments, configuration, function id, event file).

mod functions;
mod invoke;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use switchyard_runtime::Registry;

use crate::config::{self, Config, ConfigError};
use crate::registry::REGISTRY;
use crate::server::{self, AppState, ServeError};

pub use invoke::InvokeError;

/// Serve, list and run the Inngest functions found under `features/`.
#[derive(Debug, Parser)]
#[command(
    name = "switchyard",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// The app id; Inngest knows each function as `<app id>-<function id>` [env:
    /// SWITCHYARD_APP_ID] [default: switchyard]
    #[arg(long, global = true)]
    pub app_id: Option<String>,

    /// Options of `serve`, which runs when no command is given.
    #[command(flatten)]
    pub serve: ServeArgs,

    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands of `switchyard`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the functions at /api/inngest (the default command).
    Serve(ServeArgs),
    /// List the registered functions.
    Functions(FunctionsArgs),
    /// Run one function in-process against an event read from a file, every step inline.
    Invoke(InvokeArgs),
}

/// Options of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,

    /// The port to listen on [env: PORT] [default: 3000]
    #[arg(long)]
    pub port: Option<u16>,
}

/// Options of `functions`.
#[derive(Debug, Clone, Args)]
pub struct FunctionsArgs {
    /// Print a JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Options of `invoke`.
#[derive(Debug, Clone, Args)]
pub struct InvokeArgs {
    /// The function's id, bare or prefixed with the app id.
    pub function_id: String,

    /// A JSON file holding one event: `{"name": "...", "data": {...}}`.
    #[arg(long, value_name = "FILE")]
    pub event: PathBuf,

    /// Print the outcome as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Why a command could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The environment or the arguments configure the app wrongly.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The function or its event could not be found or read.
    #[error(transparent)]
    Invoke(#[from] InvokeError),
    /// The server could not run.
    #[error(transparent)]
    Serve(#[from] ServeError),
    /// Output could not be rendered as JSON.
    #[error("cannot render JSON output: {0}")]
    Json(#[from] serde_json::Error),
    /// Standard output is not writable.
    #[error("cannot write to standard output: {0}")]
    Stdout(#[source] io::Error),
}

impl CliError {
    /// 2 when the input is at fault, 1 otherwise.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Config(_) | CliError::Invoke(_) => ExitCode::from(2),
            CliError::Serve(_) | CliError::Json(_) | CliError::Stdout(_) => ExitCode::FAILURE,
        }
    }
}

/// Runs the command `cli` asks for against the generated registry and reports errors on
/// standard error.
pub fn run(cli: Cli) -> ExitCode {
    match execute(cli, &REGISTRY) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            error.exit_code()
        }
    }
}

fn execute(cli: Cli, registry: &'static Registry) -> Result<ExitCode, CliError> {
    let config = Config::from_env(cli.app_id.as_deref())?;

    match cli.command.unwrap_or(Command::Serve(cli.serve)) {
        Command::Serve(args) => serve(config, registry, &args),
        Command::Functions(args) => functions::run(registry, &config, &args),
        Command::Invoke(args) => invoke::run(registry, &config, &args),
    }
}

fn serve(
    config: Config,
    registry: &'static Registry,
    args: &ServeArgs,
) -> Result<ExitCode, CliError> {
    let port = config::serve_port(args.port, config::env_var)?;
    let state = AppState { config, registry };
    actix_web::rt::System::new().block_on(server::run(state, &args.host, port))?;
    Ok(ExitCode::SUCCESS)
}

/// Writes `text` to standard output; a closed pipe (`| head`) is not an error.
fn print(text: &str) -> Result<(), CliError> {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => Err(CliError::Stdout(error)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn has_a_consistent_definition() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serves_when_no_command_is_given() {
        let cli = Cli::try_parse_from(["switchyard", "--port", "4000"]).unwrap();

        assert!(cli.command.is_none());
        assert_eq!(cli.serve.port, Some(4000));
        assert_eq!(cli.serve.host, "127.0.0.1");
    }

    #[test]
    fn accepts_the_app_id_after_a_command() {
        let cli =
            Cli::try_parse_from(["switchyard", "functions", "--json", "--app-id", "demo"]).unwrap();

        assert_eq!(cli.app_id.as_deref(), Some("demo"));
        assert!(matches!(
            cli.command,
            Some(Command::Functions(FunctionsArgs { json: true }))
        ));
    }

    #[test]
    fn requires_an_event_file_for_invoke() {
        let error = Cli::try_parse_from(["switchyard", "invoke", "some-id"]).unwrap_err();

        assert!(error.to_string().contains("--event <FILE>"), "{error}");
    }
}
