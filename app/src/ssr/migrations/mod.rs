//! Schema history: one file per change, never edited once it has landed.

use sea_orm_migration::prelude::*;

mod m20261122_000001_accounts;
mod m20261122_000002_account_security;
mod m20261122_000003_second_factors;
mod m20261122_000004_organization_policy;
mod m20261122_000005_passkeys;
mod m20261122_000006_invoicing;
mod m20261122_000007_team;
mod m20261130_000008_account_guards;
mod m20261130_000009_calendar_and_rounding;
mod m20261130_000010_delivery;
mod m20261130_000011_portal_access;
mod m20261130_000012_card_payments;
mod m20261130_000013_audit_checkpoint;
mod m20261130_000014_invoice_status_summaries;
mod m20261130_000015_credit_note_lookup;
mod m20261201_000016_open_invoices;
mod m20261201_000017_open_invoices_by_due_date;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_accounts::Migration),
            Box::new(m20261122_000002_account_security::Migration),
            Box::new(m20261122_000003_second_factors::Migration),
            Box::new(m20261122_000004_organization_policy::Migration),
            Box::new(m20261122_000005_passkeys::Migration),
            Box::new(m20261122_000006_invoicing::Migration),
            Box::new(m20261122_000007_team::Migration),
            Box::new(m20261130_000008_account_guards::Migration),
            Box::new(m20261130_000009_calendar_and_rounding::Migration),
            Box::new(m20261130_000010_delivery::Migration),
            Box::new(m20261130_000011_portal_access::Migration),
            Box::new(m20261130_000012_card_payments::Migration),
            Box::new(m20261130_000013_audit_checkpoint::Migration),
            Box::new(m20261130_000014_invoice_status_summaries::Migration),
            Box::new(m20261130_000015_credit_note_lookup::Migration),
            Box::new(m20261201_000016_open_invoices::Migration),
            Box::new(m20261201_000017_open_invoices_by_due_date::Migration),
        ]
    }
}
