//! Guessing and revocation, kept where concurrent requests cannot undo them:
//! per-account counters of failed second steps and step-up confirmations
//! (beside the password's), the time of the last warning mail of each kind,
//! a session generation that ends every older session of a user at once,
//! budgets for the mail that anyone can make the app send, and confirmed
//! email addresses (with their single-use links).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        let user_columns = [
            big_integer(Users::SessionGeneration).default(0).to_owned(),
            integer(Users::FailedSecondSteps).default(0).to_owned(),
            integer(Users::FailedStepUps).default(0).to_owned(),
            timestamp_with_time_zone_null(Users::LockNoticeAt).to_owned(),
            timestamp_with_time_zone_null(Users::SecondStepNoticeAt).to_owned(),
            timestamp_with_time_zone_null(Users::EmailVerifiedAt).to_owned(),
        ];
        for column in user_columns {
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
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(big_integer_null(Sessions::Generation))
                    .to_owned(),
            )
            .await?;
        // Accounts made before confirmation existed keep working as they did.
        manager
            .exec_stmt(
                Query::update()
                    .table(Users::Table)
                    .value(Users::EmailVerifiedAt, Expr::col(Users::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EmailVerifications::Table)
                    .col(uuid(EmailVerifications::Id).primary_key())
                    .col(uuid(EmailVerifications::UserId))
                    // SHA-256 of the emailed token; the token itself is never stored.
                    .col(string_len(EmailVerifications::TokenHash, 64).unique_key())
                    .col(timestamp_with_time_zone(EmailVerifications::CreatedAt))
                    .col(timestamp_with_time_zone(EmailVerifications::ExpiresAt))
                    .col(timestamp_with_time_zone_null(EmailVerifications::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EmailVerifications::Table, EmailVerifications::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MailBudgets::Table)
                    // What is counted, e.g. `reset:<sha-256 of the address>`.
                    .col(string_len(MailBudgets::Key, 100))
                    // Unix seconds at the start of the counting window.
                    .col(big_integer(MailBudgets::WindowStart))
                    .col(integer(MailBudgets::Spent))
                    .primary_key(
                        Index::create()
                            .col(MailBudgets::Key)
                            .col(MailBudgets::WindowStart),
                    )
                    .to_owned(),
            )
            .await?;
        // A session's handle stays the same when its id changes, so ending
        // it from the sessions page also ends whatever id it rotated into.
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(uuid_null(Sessions::Handle))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EndedSessions::Table)
                    .col(uuid(EndedSessions::UserId))
                    .col(uuid(EndedSessions::Handle))
                    // Unix seconds.
                    .col(big_integer(EndedSessions::EndedAt))
                    .primary_key(
                        Index::create()
                            .col(EndedSessions::UserId)
                            .col(EndedSessions::Handle),
                    )
                    .to_owned(),
            )
            .await?;
        // Sessions signed in before this change carry on under generation 0.
        manager
            .exec_stmt(
                Query::update()
                    .table(Sessions::Table)
                    .value(Sessions::Generation, 0)
                    .and_where(Expr::col(Sessions::UserId).is_not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EndedSessions::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .drop_column(Sessions::Handle)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(MailBudgets::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(EmailVerifications::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .drop_column(Sessions::Generation)
                    .to_owned(),
            )
            .await?;
        for column in [
            Users::EmailVerifiedAt,
            Users::SecondStepNoticeAt,
            Users::LockNoticeAt,
            Users::FailedStepUps,
            Users::FailedSecondSteps,
            Users::SessionGeneration,
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
    CreatedAt,
    EmailVerifiedAt,
    SessionGeneration,
    FailedSecondSteps,
    FailedStepUps,
    LockNoticeAt,
    SecondStepNoticeAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    UserId,
    Generation,
    Handle,
}

#[derive(DeriveIden)]
enum EndedSessions {
    Table,
    UserId,
    Handle,
    EndedAt,
}

#[derive(DeriveIden)]
enum MailBudgets {
    Table,
    Key,
    WindowStart,
    Spent,
}

#[derive(DeriveIden)]
enum EmailVerifications {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}
