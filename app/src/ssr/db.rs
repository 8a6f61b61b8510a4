//! Opening the database: SQLite gets WAL, foreign keys and a busy timeout;
//! PostgreSQL is used as it comes.

use super::migrations::Migrator;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use std::time::Duration;

pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // SQLite allows one writer at a time: a small pool avoids lock churn.
        options.max_connections(8).min_connections(1);
    } else {
        options.max_connections(20).min_connections(1);
    }
    let db = Database::connect(options).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL is a property of the database file and persists; foreign keys
        // and the busy timeout are per connection and set by sqlx's defaults
        // (foreign_keys=ON, busy_timeout=5s), which `pragmas_in_force` checks.
        db.execute_unprepared("PRAGMA journal_mode = WAL").await?;
    }
    Ok(db)
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// A trivial round trip, for the readiness probe.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}

/// Begins a transaction that writes. On SQLite it takes the write lock at
/// once (`BEGIN IMMEDIATE`, waiting up to the busy timeout): a deferred
/// transaction that reads and then writes after another connection
/// committed fails at once with `SQLITE_BUSY_SNAPSHOT` (517, "database is
/// locked"), which no busy timeout waits out
/// (<https://www.sqlite.org/rescode.html#busy_snapshot>); helper-14 saw a
/// sign-in answered 500 so beside two other requests. PostgreSQL begins as
/// usual (the mode is SQLite's only).
///
/// # Errors
/// The database's, e.g. a busy timeout that ran out.
pub async fn begin_write(
    db: &impl TransactionTrait<Transaction = DatabaseTransaction>,
) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}
