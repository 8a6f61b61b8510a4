//! Totals per status without reading every invoice (issue 16): how many
//! invoices, and how much, per organization, currency, state and due date.
//!
//! The database keeps them, with triggers on `invoices` that run in the
//! transaction of every insert, update and delete, whichever code path
//! (services, demo data, a restore) made it: the summaries cannot drift
//! from the rows. "Overdue" depends on the day it is read, so open invoices
//! are kept per due date and the reader splits them at today
//! (`services::status_totals`).
//!
//! A state is the part of `domain::invoice_status::InvoiceStatus` that does
//! not depend on the day: `draft`, `void`, `paid` (paid and credited cover
//! the total), `part_paid` (open, something net paid) and `unpaid` (open,
//! nothing net paid). Only invoices are counted, never credit notes, as in
//! the list. Amounts are kept in two parts as `ssr::sums` reads them (the
//! whole billions and the rest), so no sum overflows a BIGINT.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// An invoice row's day-independent state, for the row `row` (`NEW` or
/// `OLD` in a trigger, a table alias in the backfill).
fn state_of(row: &str) -> String {
    format!(
        "CASE WHEN {row}.voided_at IS NOT NULL THEN 'void' \
              WHEN {row}.issued_at IS NULL THEN 'draft' \
              WHEN {row}.paid_minor + {row}.credited_minor >= {row}.total_minor THEN 'paid' \
              WHEN {row}.paid_minor > 0 THEN 'part_paid' \
              ELSE 'unpaid' END"
    )
}

/// Adds `sign` (1 or -1) times the invoice `row` to its summary row.
fn apply(row: &str, sign: i8, upsert_target: &str) -> String {
    format!(
        "INSERT INTO invoice_status_summaries \
           (organization_id, currency, state, due_date, invoices, total_billions, total_rest) \
         SELECT {row}.organization_id, {row}.currency, {state}, {row}.due_date, {sign}, \
                {sign} * ({row}.total_minor / 1000000000), {sign} * ({row}.total_minor % 1000000000) \
         WHERE {row}.kind = 'invoice' \
         ON CONFLICT (organization_id, currency, state, due_date) DO UPDATE SET \
           invoices = {upsert_target}.invoices + excluded.invoices, \
           total_billions = {upsert_target}.total_billions + excluded.total_billions, \
           total_rest = {upsert_target}.total_rest + excluded.total_rest; \
         DELETE FROM invoice_status_summaries \
         WHERE {row}.kind = 'invoice' AND organization_id = {row}.organization_id \
           AND currency = {row}.currency AND state = {state} AND due_date = {row}.due_date \
           AND invoices = 0;",
        state = state_of(row),
    )
}

/// The columns a status depends on: other updates (sending, sealing, notes)
/// leave the summaries alone.
const TRACKED: &str = "organization_id, kind, currency, due_date, total_minor, paid_minor, \
                       credited_minor, issued_at, voided_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InvoiceStatusSummaries::Table)
                    .col(uuid(InvoiceStatusSummaries::OrganizationId))
                    .col(char_len(InvoiceStatusSummaries::Currency, 3))
                    .col(string_len(InvoiceStatusSummaries::State, 16))
                    .col(date(InvoiceStatusSummaries::DueDate))
                    .col(big_integer(InvoiceStatusSummaries::Invoices))
                    .col(big_integer(InvoiceStatusSummaries::TotalBillions))
                    .col(big_integer(InvoiceStatusSummaries::TotalRest))
                    .primary_key(
                        Index::create()
                            .col(InvoiceStatusSummaries::OrganizationId)
                            .col(InvoiceStatusSummaries::Currency)
                            .col(InvoiceStatusSummaries::State)
                            .col(InvoiceStatusSummaries::DueDate),
                    )
                    .to_owned(),
            )
            .await?;
        let connection = manager.get_connection();
        connection
            .execute_unprepared(&format!(
                "INSERT INTO invoice_status_summaries \
                   (organization_id, currency, state, due_date, invoices, total_billions, total_rest) \
                 SELECT i.organization_id, i.currency, {state}, i.due_date, COUNT(*), \
                        SUM(i.total_minor / 1000000000), SUM(i.total_minor % 1000000000) \
                 FROM invoices i WHERE i.kind = 'invoice' \
                 GROUP BY i.organization_id, i.currency, {state}, i.due_date",
                state = state_of("i"),
            ))
            .await?;
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                connection
                    .execute_unprepared(&format!(
                        "CREATE FUNCTION invoice_status_summaries_track() RETURNS trigger AS $$ \
                         BEGIN \
                           IF TG_OP IN ('UPDATE', 'DELETE') THEN {remove} END IF; \
                           IF TG_OP IN ('INSERT', 'UPDATE') THEN {add} END IF; \
                           RETURN NULL; \
                         END $$ LANGUAGE plpgsql",
                        remove = apply("OLD", -1, "invoice_status_summaries"),
                        add = apply("NEW", 1, "invoice_status_summaries"),
                    ))
                    .await?;
                connection
                    .execute_unprepared(&format!(
                        "CREATE TRIGGER invoice_status_summaries_track \
                         AFTER INSERT OR DELETE OR UPDATE OF {TRACKED} ON invoices \
                         FOR EACH ROW EXECUTE FUNCTION invoice_status_summaries_track()"
                    ))
                    .await?;
            }
            _ => {
                for (name, event, body) in [
                    (
                        "invoice_status_summaries_insert",
                        "INSERT".to_owned(),
                        apply("NEW", 1, "invoice_status_summaries"),
                    ),
                    (
                        "invoice_status_summaries_delete",
                        "DELETE".to_owned(),
                        apply("OLD", -1, "invoice_status_summaries"),
                    ),
                    (
                        "invoice_status_summaries_update",
                        format!("UPDATE OF {TRACKED}"),
                        format!(
                            "{} {}",
                            apply("OLD", -1, "invoice_status_summaries"),
                            apply("NEW", 1, "invoice_status_summaries")
                        ),
                    ),
                ] {
                    connection
                        .execute_unprepared(&format!(
                            "CREATE TRIGGER {name} AFTER {event} ON invoices \
                             FOR EACH ROW BEGIN {body} END"
                        ))
                        .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let connection = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                connection
                    .execute_unprepared(
                        "DROP TRIGGER invoice_status_summaries_track ON invoices; \
                         DROP FUNCTION invoice_status_summaries_track()",
                    )
                    .await?;
            }
            _ => {
                for name in [
                    "invoice_status_summaries_insert",
                    "invoice_status_summaries_delete",
                    "invoice_status_summaries_update",
                ] {
                    connection
                        .execute_unprepared(&format!("DROP TRIGGER {name}"))
                        .await?;
                }
            }
        }
        manager
            .drop_table(
                Table::drop()
                    .table(InvoiceStatusSummaries::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum InvoiceStatusSummaries {
    Table,
    OrganizationId,
    Currency,
    State,
    DueDate,
    Invoices,
    TotalBillions,
    TotalRest,
}
