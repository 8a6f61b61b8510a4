//! Customers receive their documents (issue 14): a link per recipient per
//! document (only the SHA-256 of its token is stored), a queue of outgoing
//! mail kept in the database so a crash or an SMTP outage loses nothing
//! (the queued message is encrypted at rest and wiped once sent), the
//! organization's mail templates and link lifetimes, when each document was
//! last sent and whether its links are frozen, and reports of suspicious
//! invoices.

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
                    .table(PortalLinks::Table)
                    .col(uuid(PortalLinks::Id).primary_key())
                    .col(uuid(PortalLinks::OrganizationId))
                    .col(uuid(PortalLinks::InvoiceId))
                    .col(uuid(PortalLinks::CustomerId))
                    .col(string_len(PortalLinks::Email, 254))
                    .col(string_len(PortalLinks::TokenHash, 64).unique_key())
                    .col(timestamp_with_time_zone(PortalLinks::CreatedAt))
                    .col(timestamp_with_time_zone(PortalLinks::ExpiresAt))
                    .col(timestamp_with_time_zone_null(PortalLinks::RevokedAt))
                    .col(timestamp_with_time_zone_null(PortalLinks::OpenedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PortalLinks::Table, PortalLinks::InvoiceId)
                            .to(Invoices::Table, Invoices::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_portal_links_invoice")
                    .table(PortalLinks::Table)
                    .col(PortalLinks::InvoiceId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OutgoingMail::Table)
                    .col(uuid(OutgoingMail::Id).primary_key())
                    .col(uuid_null(OutgoingMail::OrganizationId))
                    .col(uuid_null(OutgoingMail::InvoiceId))
                    .col(uuid_null(OutgoingMail::PortalLinkId))
                    .col(string_len(OutgoingMail::Recipient, 254))
                    .col(string_len(OutgoingMail::Kind, 40))
                    // The RFC 5322 message, sealed with the secrets key;
                    // NULL once sent.
                    .col(text_null(OutgoingMail::Message))
                    // queued | sent | failed
                    .col(string_len(OutgoingMail::State, 10))
                    .col(integer(OutgoingMail::Attempts).default(0))
                    .col(timestamp_with_time_zone(OutgoingMail::NextAttemptAt))
                    // A sender holds a message until then (several instances).
                    .col(timestamp_with_time_zone_null(OutgoingMail::LockedUntil))
                    .col(string_len_null(OutgoingMail::LastError, 300))
                    .col(timestamp_with_time_zone(OutgoingMail::CreatedAt))
                    .col(timestamp_with_time_zone_null(OutgoingMail::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outgoing_mail_due")
                    .table(OutgoingMail::Table)
                    .col(OutgoingMail::State)
                    .col(OutgoingMail::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outgoing_mail_invoice")
                    .table(OutgoingMail::Table)
                    .col(OutgoingMail::InvoiceId)
                    .to_owned(),
            )
            .await?;
        for column in [Invoices::SentAt, Invoices::LinksFrozenAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Invoices::Table)
                        .add_column(timestamp_with_time_zone_null(column))
                        .to_owned(),
                )
                .await?;
        }
        let billing_columns = [
            // Empty: the built-in template.
            string_len(BillingSettings::MailSubject, 200)
                .default("")
                .to_owned(),
            text(BillingSettings::MailMessage).default("").to_owned(),
            integer(BillingSettings::LinkDaysAfterDue)
                .default(30)
                .to_owned(),
            integer(BillingSettings::LinkMaxDays)
                .default(120)
                .to_owned(),
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
        manager
            .create_table(
                Table::create()
                    .table(SuspiciousReports::Table)
                    .col(uuid(SuspiciousReports::Id).primary_key())
                    .col(uuid_null(SuspiciousReports::OrganizationId))
                    .col(uuid_null(SuspiciousReports::InvoiceId))
                    // What the reporter typed or followed: a fingerprint or number.
                    .col(string_len(SuspiciousReports::Reference, 100))
                    .col(string_len(SuspiciousReports::Reason, 20))
                    .col(text(SuspiciousReports::Details))
                    // The recipient, when the report came through their link.
                    .col(string_len_null(SuspiciousReports::Reporter, 254))
                    .col(string_len(SuspiciousReports::ClientIp, 64))
                    .col(timestamp_with_time_zone(SuspiciousReports::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SuspiciousReports::Table).to_owned())
            .await?;
        for column in [
            BillingSettings::LinkMaxDays,
            BillingSettings::LinkDaysAfterDue,
            BillingSettings::MailMessage,
            BillingSettings::MailSubject,
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
        for column in [Invoices::LinksFrozenAt, Invoices::SentAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Invoices::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(OutgoingMail::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(PortalLinks::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PortalLinks {
    Table,
    Id,
    OrganizationId,
    InvoiceId,
    CustomerId,
    Email,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    OpenedAt,
}

#[derive(DeriveIden)]
enum OutgoingMail {
    Table,
    Id,
    OrganizationId,
    InvoiceId,
    PortalLinkId,
    Recipient,
    Kind,
    Message,
    State,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    Id,
    SentAt,
    LinksFrozenAt,
}

#[derive(DeriveIden)]
enum BillingSettings {
    Table,
    MailSubject,
    MailMessage,
    LinkDaysAfterDue,
    LinkMaxDays,
}

#[derive(DeriveIden)]
enum SuspiciousReports {
    Table,
    Id,
    OrganizationId,
    InvoiceId,
    Reference,
    Reason,
    Details,
    Reporter,
    ClientIp,
    CreatedAt,
}
