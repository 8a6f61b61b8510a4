//! The audit page's chain check starts where the last one ended (issue 16):
//! each organization keeps the sequence number and hash of the last event a
//! check found intact, sealed with the application's key (AES-256-GCM,
//! `ssr::crypto`), so someone who can write to the database but lacks the
//! key file cannot move it past events they changed. `ledgerlock audit
//! verify` still walks every chain from its first event.
//!
//! Empty for existing organizations: their first check is a full one.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(BillingSettings::Table)
                    .add_column(text(BillingSettings::AuditCheckpoint).default(""))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(BillingSettings::Table)
                    .drop_column(BillingSettings::AuditCheckpoint)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum BillingSettings {
    Table,
    AuditCheckpoint,
}
