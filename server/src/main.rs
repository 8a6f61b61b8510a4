//! `ledgerlock`: serve the application, or run one of its maintenance commands.

mod demo_progress;

use clap::{Parser, Subcommand};
use ledgerlock_server::startup::{Application, StartupError, open_database, shutdown_signal};
use ledgerlock_server::{Config, telemetry};
use std::path::PathBuf;
use std::process::ExitCode;

/// The process's allocator is mimalloc, not glibc's malloc. A page render
/// allocates and frees thousands of small objects across tokio's worker
/// threads; glibc spent about 16 % of the CPU of a signed-in dashboard under
/// load (`perf record -g`, 2026-12-01). With mimalloc the signed-out landing
/// page went from 6,646 to 7,595 req/s in `make bench` (2 cores). It is
/// built without transparent huge pages (the `no_thp` feature, see the
/// workspace's Cargo.toml), which kept an export's peak memory above glibc's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Fill an existing account's organization with generated customers and
    /// issued invoices (for trying Ledgerlock out, and for benchmarks).
    DemoData {
        /// The email address of the account whose organization is filled.
        #[arg(long)]
        owner: String,
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
        customers: u32,
        #[arg(long, default_value_t = 10_000)]
        invoices: u32,
    },
    /// Work with the audit log of billing changes.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Reports of suspicious documents sent by recipients.
    Reports {
        #[command(subcommand)]
        command: ReportsCommand,
    },
    /// The key file that encrypts stored secrets (TOTP seeds, queued mail,
    /// Stripe secrets).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// How many stored ciphertexts each key encrypts.
    Status,
    /// Put a new key first in the key file and re-encrypt every stored
    /// secret under it, 100 at a time. Older keys stay in the file, so
    /// everything decrypts throughout; running servers pick the new key up
    /// by themselves.
    Rotate {
        /// Finish a rotation that stopped half-way: no new key, only the
        /// rows not yet under the current one.
        #[arg(long)]
        resume: bool,
    },
}

#[derive(Subcommand)]
enum ReportsCommand {
    /// The latest reports, newest first: id, time, reason, document, reference.
    List {
        #[arg(long, default_value_t = 100)]
        limit: u64,
    },
    /// Freeze the links of report ID's document: recipients see "under review".
    Freeze { id: sea_orm::prelude::Uuid },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every organization's hash chain; name the first broken link.
    /// Exits with 1 when a chain is broken.
    Verify,
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
    let outcome: Result<ExitCode, StartupError> = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => {
                // Installed first, so that a signal during startup still stops us cleanly.
                let shutdown =
                    shutdown_signal().map_err(|error| StartupError::Serve(error.to_string()))?;
                let app = Application::build(config).await?;
                app.run_until(shutdown)
                    .await
                    .map_err(|error| StartupError::Serve(error.to_string()))?;
                Ok(ExitCode::SUCCESS)
            }
            Command::Migrate => {
                open_database(&config).await?;
                tracing::info!("migrations applied");
                Ok(ExitCode::SUCCESS)
            }
            Command::Audit {
                command: AuditCommand::Verify,
            } => verify_audit(&config).await,
            Command::Reports { command } => reports(&config, command).await,
            Command::Keys { command } => keys(&config, command).await,
            Command::DemoData {
                owner,
                customers,
                invoices,
            } => {
                let db = open_database(&config).await?;
                let size = ledgerlock_app::ssr::demo::DemoSize {
                    customers,
                    invoices,
                };
                let bars = demo_progress::Bars::new(&size);
                ledgerlock_app::ssr::demo::generate(&db, &owner, &size, |step| bars.show(step))
                    .await
                    .map_err(|error| StartupError::Task(format!("demo data: {error}")))?;
                bars.finish();
                tracing::info!(
                    customers = size.customers,
                    invoices = size.invoices,
                    "demo data written"
                );
                Ok(ExitCode::SUCCESS)
            }
        }
    });
    match outcome {
        Ok(code) => code,
        Err(error) => fail(&error),
    }
}

/// `ledgerlock reports list|freeze`.
#[allow(clippy::print_stdout, reason = "the list is the command's output")]
async fn reports(config: &Config, command: ReportsCommand) -> Result<ExitCode, StartupError> {
    use ledgerlock_app::ssr::services::reports;

    let db = open_database(config).await?;
    let failed = |error: &dyn std::fmt::Debug| StartupError::Task(format!("reports: {error:?}"));
    match command {
        ReportsCommand::List { limit } => {
            for report in reports::all(&db, limit).await.map_err(|e| failed(&e))? {
                println!(
                    "{}  {}  {:<14}  document {}  reference {:?}  {:?}",
                    report.id,
                    report.created_at.date(),
                    report.reason,
                    report
                        .invoice_id
                        .map_or_else(|| "unmatched".to_owned(), |id| id.to_string()),
                    report.reference,
                    report.details,
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ReportsCommand::Freeze { id } => {
            match reports::freeze(&db, id, time::OffsetDateTime::now_utc()).await {
                Ok(Some(document)) => {
                    println!("document {document}: links frozen (recipients see \"under review\")");
                    Ok(ExitCode::SUCCESS)
                }
                Ok(None) => {
                    println!("report {id} matched no document: nothing to freeze");
                    Ok(ExitCode::FAILURE)
                }
                Err(ledgerlock_app::error::AppError::NotFound) => {
                    println!("no report {id}");
                    Ok(ExitCode::FAILURE)
                }
                Err(error) => Err(failed(&error)),
            }
        }
    }
}

/// `keys status` and `keys rotate`.
#[allow(clippy::print_stdout, reason = "the report is the command's output")]
async fn keys(config: &Config, command: KeysCommand) -> Result<ExitCode, StartupError> {
    use ledgerlock_app::ssr::crypto::SecretBox;
    use ledgerlock_app::ssr::services::secret_keys;

    let db = open_database(config).await?;
    let failed = |error: &dyn std::fmt::Display| StartupError::Task(format!("keys: {error}"));
    let path = &config.secret_key_file;
    if let KeysCommand::Rotate { resume: false } = command {
        let id = SecretBox::add_key(path).map_err(|error| failed(&error))?;
        println!("added key {id} first in {}", path.display());
    }
    let secrets = SecretBox::load_or_create(path).map_err(|error| failed(&error))?;
    if let KeysCommand::Rotate { .. } = command {
        let current = secrets.current_key_id();
        println!("re-encrypting stored secrets under {current}");
        let rewritten = secret_keys::reencrypt(&db, &secrets, |table, rows| {
            println!("  {table}: {rows} rows");
        })
        .await
        .map_err(|error| failed(&error))?;
        println!("{rewritten} ciphertexts now under {current}");
    }
    let counts = secret_keys::status(&db)
        .await
        .map_err(|error| failed(&error))?;
    println!(
        "key file {} (current key {})",
        path.display(),
        secrets.current_key_id()
    );
    if counts.is_empty() {
        println!("no stored secrets");
    }
    for (key, count) in counts {
        println!("{key:>8}  {count} ciphertexts");
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints one line per organization; exit status 1 if any chain is broken.
#[allow(clippy::print_stdout, reason = "the report is the command's output")]
async fn verify_audit(config: &Config) -> Result<ExitCode, StartupError> {
    use ledgerlock_app::ssr::entities::organization;
    use ledgerlock_app::ssr::services::audit;
    use sea_orm::{EntityTrait, QueryOrder};

    let db = open_database(config).await?;
    let failed = |error: &dyn std::fmt::Display| {
        StartupError::Task(format!("the audit check stopped: {error}"))
    };
    let organizations = organization::Entity::find()
        .order_by_asc(organization::Column::CreatedAt)
        .all(&db)
        .await
        .map_err(|error| failed(&error))?;
    let mut broken = 0;
    for organization in &organizations {
        let check = audit::verify(&db, organization.id)
            .await
            .map_err(|error| failed(&error))?;
        match check.broken {
            None => println!(
                "ok      {} ({}): {} events, chain intact",
                organization.id, organization.name, check.events
            ),
            Some((seq, reason)) => {
                broken += 1;
                println!(
                    "BROKEN  {} ({}): event {seq}: {reason} ({} events verified before it)",
                    organization.id, organization.name, check.events
                );
            }
        }
    }
    println!(
        "{} organizations checked, {broken} broken",
        organizations.len()
    );
    Ok(if broken == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// One line naming the setting at fault; no panic, no backtrace.
fn fail(error: &StartupError) -> ExitCode {
    eprintln!("ledgerlock: {error}");
    ExitCode::from(2)
}
