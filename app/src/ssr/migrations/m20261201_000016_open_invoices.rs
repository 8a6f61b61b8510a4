//! Open invoices (issued, not void, not yet settled) by issue date: the
//! invoice list filtered to overdue, unpaid or partly paid walks the newest
//! documents first, and on the whole-organization index it stepped over
//! every settled one before it found a page of open ones (54 ms on SQLite
//! and 37 ms on PostgreSQL at a million invoices, `make bench` 2026-12-01).
//! A partial index holds only the open ones; the dashboard's outstanding and
//! overdue sums read it too.
//!
//! SQLite never used this index (see migration 17, which replaces it).
//!
//! The predicate is written exactly as `invoice_views::status_condition`
//! and the dashboard write it: SQLite uses a partial index only when each of
//! its terms appears in the query's WHERE clause, PostgreSQL when it can
//! prove the query's condition implies it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The index's condition as this migration wrote it; migration 17 has the
/// current one.
pub(super) const OPEN: &str = "issued_at IS NOT NULL AND voided_at IS NULL \
                    AND paid_minor + credited_minor < total_minor";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX invoices_open_by_date \
                 ON invoices (organization_id, kind, issue_date, id) WHERE {OPEN}"
            ))
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX invoices_open_by_date")
            .await
            .map(|_| ())
    }
}
