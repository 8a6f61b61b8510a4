//! The audit page's chain check starts where the last one ended (issue 16):
//! each organization keeps the sequence number and hash of the last event a
//! check found intact. `ledgerlock audit verify` still walks every chain
//! from its first event.
//!
//! Existing organizations start from the beginning (sequence 0, the empty
//! chain's head), so their first check after this change is a full one.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The head of an empty chain, as `services::audit::GENESIS`.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(BillingSettings::Table)
                    .add_column(big_integer(BillingSettings::AuditVerifiedSeq).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(BillingSettings::Table)
                    .add_column(char_len(BillingSettings::AuditVerifiedHash, 64).default(GENESIS))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            BillingSettings::AuditVerifiedHash,
            BillingSettings::AuditVerifiedSeq,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(BillingSettings::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum BillingSettings {
    Table,
    AuditVerifiedSeq,
    AuditVerifiedHash,
}
