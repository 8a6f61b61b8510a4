//! `ledgerlock`: serve the application, or run one of its maintenance commands.

use clap::{Parser, Subcommand};
use ledgerlock_server::startup::{Application, StartupError, open_database, shutdown_signal};
use ledgerlock_server::{Config, telemetry};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "ledgerlock",
    version,
    about = "Self-hosted, security-first invoicing"
)]
struct Cli {
    /// An optional TOML file with the same settings as the LEDGERLOCK_* variables.
    #[arg(long, env = "LEDGERLOCK_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(error) => return fail(&error.into()),
    };
    telemetry::init(config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("ledgerlock: cannot start the async runtime ({error})");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => {
                // Installed first, so that a signal during startup still stops us cleanly.
                let shutdown =
                    shutdown_signal().map_err(|error| StartupError::Serve(error.to_string()))?;
                let app = Application::build(config).await?;
                app.run_until(shutdown)
                    .await
                    .map_err(|error| StartupError::Serve(error.to_string()))
            }
            Command::Migrate => {
                open_database(&config).await?;
                tracing::info!("migrations applied");
                Ok(())
            }
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error),
    }
}

/// One line naming the setting at fault; no panic, no backtrace.
fn fail(error: &StartupError) -> ExitCode {
    eprintln!("ledgerlock: {error}");
    ExitCode::from(2)
}
