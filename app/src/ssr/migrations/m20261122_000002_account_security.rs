//! Account security: lockout counters on users, the security log, and
//! password-reset tokens.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [
            integer(Users::FailedSignIns).default(0).to_owned(),
            integer(Users::LockCount).default(0).to_owned(),
            timestamp_with_time_zone_null(Users::LockedUntil).to_owned(),
            timestamp_with_time_zone_null(Users::PasswordChangedAt).to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(SecurityEvents::Table)
                    .col(uuid(SecurityEvents::Id).primary_key())
                    .col(timestamp_with_time_zone(SecurityEvents::OccurredAt))
                    .col(uuid_null(SecurityEvents::UserId))
                    .col(uuid_null(SecurityEvents::OrganizationId))
                    .col(string_len(SecurityEvents::Kind, 40))
                    .col(boolean(SecurityEvents::Succeeded))
                    .col(string_len_null(SecurityEvents::Ip, 45))
                    .col(string_len_null(SecurityEvents::UserAgent, 255))
                    // Internal reason (e.g. why a sign-in failed); never shown
                    // to the person signing in.
                    .col(string_len_null(SecurityEvents::Detail, 255))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("security_events_user", SecurityEvents::UserId),
            (
                "security_events_organization",
                SecurityEvents::OrganizationId,
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(SecurityEvents::Table)
                        .col(column)
                        .col(SecurityEvents::OccurredAt)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(PasswordResets::Table)
                    .col(uuid(PasswordResets::Id).primary_key())
                    .col(uuid(PasswordResets::UserId))
                    // SHA-256 of the token: the link itself is never stored.
                    .col(string_len_uniq(PasswordResets::TokenHash, 64))
                    .col(timestamp_with_time_zone(PasswordResets::CreatedAt))
                    .col(timestamp_with_time_zone(PasswordResets::ExpiresAt))
                    .col(timestamp_with_time_zone_null(PasswordResets::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PasswordResets::Table, PasswordResets::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PasswordResets::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SecurityEvents::Table).to_owned())
            .await?;
        for column in [
            Users::FailedSignIns,
            Users::LockCount,
            Users::LockedUntil,
            Users::PasswordChangedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    FailedSignIns,
    LockCount,
    LockedUntil,
    PasswordChangedAt,
}

#[derive(DeriveIden)]
enum SecurityEvents {
    Table,
    Id,
    OccurredAt,
    UserId,
    OrganizationId,
    Kind,
    Succeeded,
    Ip,
    UserAgent,
    Detail,
}

#[derive(DeriveIden)]
enum PasswordResets {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}
