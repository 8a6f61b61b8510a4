//! Card payments through Stripe (issue 15): the organization's Stripe keys
//! (secrets sealed), each customer's payment attempt, and the webhook
//! events already handled (by Stripe's event id, so each is handled once).

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
                    .table(PaymentProviders::Table)
                    .col(uuid(PaymentProviders::OrganizationId).primary_key())
                    .col(string_len(PaymentProviders::StripePublishableKey, 255).default(""))
                    .col(text(PaymentProviders::StripeSecretKey).default(""))
                    .col(string_len(PaymentProviders::StripeSecretKeyShown, 40).default(""))
                    .col(text(PaymentProviders::StripeWebhookSecret).default(""))
                    .col(string_len(PaymentProviders::StripeWebhookSecretShown, 40).default(""))
                    .col(boolean(PaymentProviders::PartialPayments).default(false))
                    .col(string_len(PaymentProviders::PartialMinimum, 40).default("0"))
                    .col(timestamp_with_time_zone(PaymentProviders::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CardPayments::Table)
                    .col(uuid(CardPayments::Id).primary_key())
                    .col(uuid(CardPayments::OrganizationId))
                    .col(uuid(CardPayments::InvoiceId))
                    .col(uuid(CardPayments::PayerId))
                    .col(string_len(CardPayments::PayerEmail, 254))
                    .col(string_len(CardPayments::Currency, 3))
                    .col(big_integer(CardPayments::AmountMinor))
                    .col(string_len(CardPayments::SetupIntentId, 255))
                    .col(string_len_null(CardPayments::PaymentIntentId, 255).unique_key())
                    .col(string_len(CardPayments::Status, 16))
                    .col(text(CardPayments::Failure).default(""))
                    .col(uuid_null(CardPayments::PaymentId))
                    .col(big_integer(CardPayments::RefundedMinor).default(0))
                    .col(integer(CardPayments::ConfirmTries).default(0))
                    .col(timestamp_with_time_zone(CardPayments::CreatedAt))
                    .col(timestamp_with_time_zone(CardPayments::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_card_payments_invoice")
                    .table(CardPayments::Table)
                    .col(CardPayments::InvoiceId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StripeEvents::Table)
                    .col(string_len(StripeEvents::Id, 255).primary_key())
                    .col(uuid(StripeEvents::OrganizationId))
                    .col(string_len(StripeEvents::Kind, 100))
                    .col(string_len(StripeEvents::Outcome, 16))
                    .col(timestamp_with_time_zone(StripeEvents::ReceivedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            StripeEvents::Table.into_iden(),
            CardPayments::Table.into_iden(),
            PaymentProviders::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum PaymentProviders {
    Table,
    OrganizationId,
    StripePublishableKey,
    StripeSecretKey,
    StripeSecretKeyShown,
    StripeWebhookSecret,
    StripeWebhookSecretShown,
    PartialPayments,
    PartialMinimum,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CardPayments {
    Table,
    Id,
    OrganizationId,
    InvoiceId,
    PayerId,
    PayerEmail,
    Currency,
    AmountMinor,
    SetupIntentId,
    PaymentIntentId,
    Status,
    Failure,
    PaymentId,
    RefundedMinor,
    ConfirmTries,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StripeEvents {
    Table,
    Id,
    OrganizationId,
    Kind,
    Outcome,
    ReceivedAt,
}
