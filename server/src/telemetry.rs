//! Logging: human-readable or JSON lines, filtered by `LEDGERLOCK_LOG`.

use crate::config::LogFormat;
use tracing_subscriber::EnvFilter;

pub const DEFAULT_FILTER: &str =
    "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,tower_sessions=warn";

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_env("LEDGERLOCK_LOG")
        .unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    // A second initialisation (several apps in one test process) is harmless.
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
