//! The customer portal's second half (issue 14): one-time codes emailed to
//! a customer contact (only a hash stored; tries counted per code), the
//! portal sessions they open (only the cookie token's hash stored), the
//! organization's "code even for single links" setting, and its payout
//! details with the time they last changed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PortalCodes::Table)
                    .col(uuid(PortalCodes::Id).primary_key())
                    .col(uuid(PortalCodes::OrganizationId))
                    .col(uuid(PortalCodes::CustomerId))
                    .col(string_len(PortalCodes::Email, 254))
                    // SHA-256 of the row id and the code.
                    .col(string_len(PortalCodes::CodeHash, 64))
                    .col(integer(PortalCodes::Attempts).default(0))
                    .col(timestamp_with_time_zone(PortalCodes::CreatedAt))
                    .col(timestamp_with_time_zone(PortalCodes::ExpiresAt))
                    .col(timestamp_with_time_zone_null(PortalCodes::UsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PortalSessions::Table)
                    .col(uuid(PortalSessions::Id).primary_key())
                    .col(uuid(PortalSessions::OrganizationId))
                    .col(uuid(PortalSessions::CustomerId))
                    .col(string_len(PortalSessions::Email, 254))
                    .col(string_len(PortalSessions::TokenHash, 64).unique_key())
                    .col(timestamp_with_time_zone(PortalSessions::CreatedAt))
                    .col(timestamp_with_time_zone(PortalSessions::LastSeenAt))
                    .col(timestamp_with_time_zone_null(PortalSessions::EndedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_portal_sessions_contact")
                    .table(PortalSessions::Table)
                    .col(PortalSessions::CustomerId)
                    .col(PortalSessions::Email)
                    .to_owned(),
            )
            .await?;
        let billing_columns = [
            boolean(BillingSettings::PortalRequireCode)
                .default(false)
                .to_owned(),
            string_len(BillingSettings::BankHolder, 70)
                .default("")
                .to_owned(),
            string_len(BillingSettings::BankIban, 34)
                .default("")
                .to_owned(),
            string_len(BillingSettings::BankBic, 11)
                .default("")
                .to_owned(),
            text(BillingSettings::BankText).default("").to_owned(),
            timestamp_with_time_zone_null(BillingSettings::BankChangedAt).to_owned(),
        ];
        for column in billing_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(BillingSettings::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            BillingSettings::BankChangedAt,
            BillingSettings::BankText,
            BillingSettings::BankBic,
            BillingSettings::BankIban,
            BillingSettings::BankHolder,
            BillingSettings::PortalRequireCode,
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
        manager
            .drop_table(Table::drop().table(PortalSessions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(PortalCodes::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PortalCodes {
    Table,
    Id,
    OrganizationId,
    CustomerId,
    Email,
    CodeHash,
    Attempts,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum PortalSessions {
    Table,
    Id,
    OrganizationId,
    CustomerId,
    Email,
    TokenHash,
    CreatedAt,
    LastSeenAt,
    EndedAt,
}

#[derive(DeriveIden)]
enum BillingSettings {
    Table,
    PortalRequireCode,
    BankHolder,
    BankIban,
    BankBic,
    BankText,
    BankChangedAt,
}
