//! `invoices_open`: the open-invoice index again, in a form SQLite can use,
//! with the due date; it replaces `invoices_open_by_date`.
//!
//! Migration 16's predicate ended in `paid_minor + credited_minor <
//! total_minor`. SQLite turns a comparison whose right side is a column and
//! whose left side is not around (`total_minor > …`) while it analyses the
//! query's WHERE clause, and then no longer finds the index's term among the
//! query's: it never used that index (`EXPLAIN QUERY PLAN`, SQLite 3.51), so
//! the overdue list walked the whole organization's invoices (39 ms p99 at a
//! million invoices, `make bench` 2026-12-01). Written column first, the term
//! survives as it is on SQLite and PostgreSQL proves it as before.
//!
//! The due date rides along at the end of the key: the overdue filter steps
//! over the newest open invoices, which are not yet due, and with the date in
//! the index SQLite rejects them there instead of reading each row from the
//! table (1.3 ms instead of 12 ms for the first page of a synthetic million,
//! 300,000 of them open).
//!
//! On SQLite `voided_at`, NULL in every row of the index, is in the key for
//! the planner: without statistics (Ledgerlock does not run `ANALYZE`) it
//! weighed this index and `invoices_organization_date` alike, both giving
//! `organization_id = ? AND kind = ?` in the list's order, and took the
//! larger one. The query's `voided_at IS NULL` is a third equality on this
//! key, which makes it the narrower choice on any data. PostgreSQL gets the
//! key without it: its planner does not count `IS NULL` as an equality when
//! it matches an index's order to `ORDER BY`, so with `voided_at` between
//! `kind` and `issue_date` it would sort instead of reading in order (and it
//! keeps statistics, so it prefers the smaller index by itself).
//!
//! The predicate is written exactly as `invoice_views::open_condition` writes
//! it: SQLite uses a partial index only when each of its terms appears in the
//! query's WHERE clause.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The index's condition; `services::invoice_views::open_condition` is its
/// query-side twin.
const OPEN: &str = "issued_at IS NOT NULL AND voided_at IS NULL \
                    AND total_minor > paid_minor + credited_minor";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    // One call each way, so that both statements run on one connection: on
    // SQLite the migrator's statements go to any connection of the pool, and
    // one still reading an older snapshot saw the old index after another
    // had dropped it.
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let key = match manager.get_database_backend() {
            DbBackend::Sqlite => "organization_id, kind, voided_at, issue_date, id, due_date",
            _ => "organization_id, kind, issue_date, id, due_date",
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX invoices_open ON invoices ({key}) WHERE {OPEN}; \
                 DROP INDEX invoices_open_by_date"
            ))
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX invoices_open_by_date \
                 ON invoices (organization_id, kind, issue_date, id) WHERE {}; \
                 DROP INDEX invoices_open",
                super::m20261201_000016_open_invoices::OPEN
            ))
            .await
            .map(|_| ())
    }
}
