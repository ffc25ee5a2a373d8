//! The `switchyard` command line: `serve` (the default), `functions`, `invoke`, `send` and
//! `runs`.
//!
//! Exit codes: 0 on success, 1 when an invoked function fails, the server cannot run or the
//! engine's database cannot be read, 2 when the input is at fault (arguments, configuration,
//! function id, event file, run id).

mod functions;
mod invoke;
mod runs;
mod send;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::builder::PossibleValuesParser;
use clap::error::ErrorKind;
use clap::{value_parser, Args, CommandFactory, Parser, Subcommand};
use switchyard_engine::EngineError;
use switchyard_runtime::Registry;
use tracing::info;

use crate::config::{self, Config, ConfigError};
use crate::embedded::Embedded;
use crate::event_api::EventApiError;
use crate::inngest_api::ApiError;
use crate::registry::REGISTRY;
use crate::runs::{MAX_LIMIT, STATUSES};
use crate::server::{self, AppState, ServeError};

pub use invoke::InvokeError;
pub use runs::RunsError;
pub use send::SendError;

/// Serve, list and run the Inngest functions found under `features/`.
#[derive(Debug, Parser)]
#[command(name = "switchyard", version, about)]
pub struct Cli {
    /// The app id; Inngest knows each function as `<app id>-<function id>` [env:
    /// SWITCHYARD_APP_ID] [default: switchyard]
    #[arg(long, global = true)]
    pub app_id: Option<String>,

    /// The embedded engine's database; `:memory:` keeps it in memory [env:
    /// SWITCHYARD_ENGINE_DB] [default: .switchyard/engine.db]
    #[arg(long, global = true, value_name = "PATH")]
    pub engine_db: Option<PathBuf>,

    /// Options of `serve`, which runs when no command is given.
    #[command(flatten)]
    pub serve: ServeArgs,

    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands of `switchyard`.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve the functions at /api/inngest, and run them on the embedded engine when no
    /// Inngest server is configured (the default command).
    Serve(ServeArgs),
    /// List the registered functions.
    Functions(FunctionsArgs),
    /// Run one function in-process against an event read from a file, every step inline.
    Invoke(InvokeArgs),
    /// Send one event: to this app's own server (http://127.0.0.1:$PORT) when the embedded
    /// engine runs, else to Inngest's event API.
    Send(SendArgs),
    /// List the embedded engine's recent runs, or show one run's steps and output.
    Runs(RunsArgs),
}

/// Options of `serve`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct ServeArgs {
    /// The address to listen on [default: 127.0.0.1]
    #[arg(long)]
    pub host: Option<String>,

    /// The port to listen on [env: PORT] [default: 3000]
    #[arg(long)]
    pub port: Option<u16>,
}

impl ServeArgs {
    /// The address `serve` listens on when `--host` is not given.
    pub const DEFAULT_HOST: &'static str = "127.0.0.1";

    /// These options, with the ones not given here taken from `fallback`.
    fn or(self, fallback: ServeArgs) -> ServeArgs {
        ServeArgs {
            host: self.host.or(fallback.host),
            port: self.port.or(fallback.port),
        }
    }
}

impl Cli {
    /// The command to run: `serve` when none is given, with options written before the
    /// command name (`switchyard --port 4000 serve`) folded in.
    ///
    /// # Errors
    ///
    /// Returns a usage error when `--host` or `--port` come with another command.
    pub fn command_to_run(&self) -> Result<Command, clap::Error> {
        let leading = self.serve.clone();
        match self.command.clone() {
            None => Ok(Command::Serve(leading)),
            Some(Command::Serve(args)) => Ok(Command::Serve(args.or(leading))),
            Some(_) if leading != ServeArgs::default() => Err(Cli::command().error(
                ErrorKind::ArgumentConflict,
                "--host and --port belong to `serve`; drop them or the command",
            )),
            Some(command) => Ok(command),
        }
    }
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

/// Options of `send`.
#[derive(Debug, Clone, Args)]
pub struct SendArgs {
    /// The event name, such as `auth/user.signed-up`.
    pub name: String,

    /// The event's `data`, as a JSON object.
    #[arg(long, value_name = "JSON", conflicts_with = "file")]
    pub data: Option<String>,

    /// A JSON file holding the event's `data`.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// Options of `runs`.
#[derive(Debug, Clone, Args)]
pub struct RunsArgs {
    /// Show this run's steps and output instead of listing runs.
    #[arg(value_name = "RUN_ID", conflicts_with_all = ["limit", "status", "function"])]
    pub run_id: Option<String>,

    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,

    /// At most this many runs, newest first [default: 20]
    #[arg(
        long,
        value_name = "N",
        value_parser = value_parser!(u32).range(1..=i64::from(MAX_LIMIT))
    )]
    pub limit: Option<u32>,

    /// Only runs with this status.
    #[arg(long, value_parser = PossibleValuesParser::new(STATUSES))]
    pub status: Option<String>,

    /// Only runs of this function id.
    #[arg(long, value_name = "ID")]
    pub function: Option<String>,
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
    /// The event to send is malformed.
    #[error(transparent)]
    Send(#[from] SendError),
    /// The event API did not take the event.
    #[error(transparent)]
    EventApi(#[from] EventApiError),
    /// The HTTP client could not be set up.
    #[error(transparent)]
    Client(#[from] ApiError),
    /// The event could not reach this app's own server.
    #[error(
        "{0}; start the server first (`switchyard serve`), or set INNGEST_DEV to send to Inngest"
    )]
    NoLocalServer(#[source] EventApiError),
    /// The server could not run.
    #[error(transparent)]
    Serve(#[from] ServeError),
    /// The engine's database could not be opened or read.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The runs asked for cannot be shown.
    #[error(transparent)]
    Runs(#[from] RunsError),
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
            CliError::Config(_) | CliError::Invoke(_) | CliError::Send(_) | CliError::Runs(_) => {
                ExitCode::from(2)
            }
            CliError::EventApi(_)
            | CliError::NoLocalServer(_)
            | CliError::Client(_)
            | CliError::Serve(_)
            | CliError::Engine(_)
            | CliError::Json(_)
            | CliError::Stdout(_) => ExitCode::FAILURE,
        }
    }
}

/// Runs the command `cli` asks for against the generated registry and reports errors on
/// standard error.
pub fn run(cli: Cli) -> ExitCode {
    let command = match cli.command_to_run() {
        Ok(command) => command,
        Err(usage) => {
            // The usage text goes to standard error; failing to print it changes nothing.
            let _ = usage.print();
            return ExitCode::from(2);
        }
    };

    let engine_db = cli.engine_db.as_deref();
    match execute(cli.app_id.as_deref(), engine_db, command, &REGISTRY) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            error.exit_code()
        }
    }
}

fn execute(
    app_id: Option<&str>,
    engine_db: Option<&Path>,
    command: Command,
    registry: &'static Registry,
) -> Result<ExitCode, CliError> {
    let config = Config::from_env(app_id)?;

    match command {
        Command::Serve(args) => serve(config, registry, &args, engine_db),
        Command::Functions(args) => functions::run(registry, &config, &args),
        Command::Invoke(args) => invoke::run(registry, &config, &args),
        Command::Send(args) => send::run(&config, &args),
        Command::Runs(args) => runs::run(registry, &config, &args, engine_db),
    }
}

/// Serves the app; with no Inngest server configured, opens the embedded engine first, so
/// that a database that cannot be used stops the start with an error naming it.
fn serve(
    config: Config,
    registry: &'static Registry,
    args: &ServeArgs,
    engine_db: Option<&Path>,
) -> Result<ExitCode, CliError> {
    config.check_serve()?;
    let host = args.host.as_deref().unwrap_or(ServeArgs::DEFAULT_HOST);
    let port = config::serve_port(args.port, config::env_var)?;

    let engine = if config.engine {
        let location = config.engine_location(engine_db);
        Some(Embedded::open(location, registry, &config.app_id)?)
    } else {
        info!("an Inngest server is configured, so the embedded engine is off");
        None
    };
    let mut state = AppState::new(config, registry)?;
    if let Some(engine) = engine {
        state = state.with_engine(engine);
    }

    actix_web::rt::System::new().block_on(server::run(state, host, port))?;
    Ok(ExitCode::SUCCESS)
}

/// A header line and one line per row, each column as wide as its widest cell and two
/// spaces from the next; the last column is not padded.
fn aligned<const N: usize>(headers: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = headers.map(str::len);
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }

    let mut text = String::new();
    let headers = headers.map(str::to_owned);
    for cells in std::iter::once(&headers).chain(rows) {
        for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
            text.push_str(cell);
            if index + 1 < N {
                let padding = width - cell.chars().count();
                text.push_str(&" ".repeat(padding + 2));
            }
        }
        text.push('\n');
    }
    text
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

    #[test]
    fn has_a_consistent_definition() {
        Cli::command().debug_assert();
    }

    fn command_of(args: &[&str]) -> Result<Command, clap::Error> {
        Cli::try_parse_from(args)?.command_to_run()
    }

    #[test]
    fn serves_when_no_command_is_given() {
        let command = command_of(&["switchyard", "--port", "4000"]).unwrap();

        let Command::Serve(args) = command else {
            panic!("not serve: {command:?}");
        };
        assert_eq!(args.port, Some(4000));
        assert_eq!(args.host, None);
    }

    #[test]
    fn folds_options_before_serve_into_it() {
        let args = [
            "switchyard",
            "--port",
            "4000",
            "--host",
            "::1",
            "serve",
            "--port",
            "5000",
        ];

        let command = command_of(&args).unwrap();

        let Command::Serve(args) = command else {
            panic!("not serve: {command:?}");
        };
        assert_eq!(args.port, Some(5000));
        assert_eq!(args.host.as_deref(), Some("::1"));
    }

    #[test]
    fn refuses_serve_options_with_another_command() {
        let error = command_of(&["switchyard", "--port", "4000", "functions"]).unwrap_err();

        assert_eq!(error.kind(), ErrorKind::ArgumentConflict);
        assert!(error.to_string().contains("belong to `serve`"), "{error}");
    }

    #[test]
    fn accepts_the_app_id_before_or_after_a_command() {
        let before = Cli::try_parse_from(["switchyard", "--app-id", "a", "functions"]).unwrap();
        let after = Cli::try_parse_from(["switchyard", "functions", "--app-id", "b"]).unwrap();

        assert_eq!(before.app_id.as_deref(), Some("a"));
        assert_eq!(after.app_id.as_deref(), Some("b"));
        assert!(matches!(
            before.command_to_run(),
            Ok(Command::Functions(FunctionsArgs { json: false }))
        ));
    }

    #[test]
    fn takes_a_run_id_or_listing_options_for_runs_not_both() {
        let listing = Cli::try_parse_from(["switchyard", "runs", "--status", "failed"]).unwrap();
        let one = Cli::try_parse_from(["switchyard", "runs", "01A", "--json"]).unwrap();
        let both = Cli::try_parse_from(["switchyard", "runs", "01A", "--limit", "5"]);

        let Some(Command::Runs(listing)) = listing.command else {
            panic!("not runs");
        };
        assert_eq!(listing.status.as_deref(), Some("failed"));
        assert_eq!(listing.run_id, None);
        let Some(Command::Runs(one)) = one.command else {
            panic!("not runs");
        };
        assert_eq!(one.run_id.as_deref(), Some("01A"));
        assert!(one.json);
        assert_eq!(both.unwrap_err().kind(), ErrorKind::ArgumentConflict);
    }

    #[test]
    fn requires_an_event_file_for_invoke() {
        let error = Cli::try_parse_from(["switchyard", "invoke", "some-id"]).unwrap_err();

        assert!(error.to_string().contains("--event <FILE>"), "{error}");
    }
}
