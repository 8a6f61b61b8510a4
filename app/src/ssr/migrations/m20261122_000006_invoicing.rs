//! Invoicing: customers, products, tax rates, invoices and credit notes with
//! their lines, payments, gapless number series, and the hash-chained audit
//! log.
//!
//! Money amounts are stored as whole minor units (cents, yen, fils) in
//! BIGINT: exact, summable in SQL, the same on SQLite and PostgreSQL.
//! Quantities, unit prices and percentages are typed decimals and are kept
//! as their canonical decimal text.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn cascade_from<T: IntoIden + 'static, C: IntoIden + 'static>(
    table: T,
    column: C,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Organizations::Table, Organizations::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per organization: its billing identity, number formats and
        // the head of its audit chain. Every billing write locks this row
        // first, which serializes an organization's writers on both engines.
        manager
            .create_table(
                Table::create()
                    .table(BillingSettings::Table)
                    .col(uuid(BillingSettings::OrganizationId).primary_key())
                    .col(text(BillingSettings::Address).default(""))
                    .col(string_len(BillingSettings::TaxId, 64).default(""))
                    .col(
                        string_len(BillingSettings::InvoiceNumberFormat, 40)
                            .default("INV-{YYYY}-{0000}"),
                    )
                    .col(boolean(BillingSettings::InvoiceNumberYearly).default(true))
                    .col(
                        string_len(BillingSettings::CreditNoteNumberFormat, 40)
                            .default("CN-{YYYY}-{0000}"),
                    )
                    .col(boolean(BillingSettings::CreditNoteNumberYearly).default(true))
                    .col(big_integer(BillingSettings::AuditSeq).default(0))
                    .col(char_len(BillingSettings::AuditHead, 64).default("0".repeat(64)))
                    .foreign_key(&mut cascade_from(
                        BillingSettings::Table,
                        BillingSettings::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO billing_settings (organization_id) SELECT id FROM organizations",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TaxRates::Table)
                    .col(uuid(TaxRates::Id).primary_key())
                    .col(uuid(TaxRates::OrganizationId))
                    .col(string_len(TaxRates::Name, 60))
                    .col(string_len(TaxRates::Percent, 12))
                    .col(timestamp_with_time_zone_null(TaxRates::ArchivedAt))
                    .col(timestamp_with_time_zone(TaxRates::CreatedAt))
                    .foreign_key(&mut cascade_from(TaxRates::Table, TaxRates::OrganizationId))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Customers::Table)
                    .col(uuid(Customers::Id).primary_key())
                    .col(uuid(Customers::OrganizationId))
                    .col(string_len(Customers::Name, 200))
                    // Lower-cased name, for search and sorting.
                    .col(string_len(Customers::NameLookup, 200))
                    // Comma-separated contact addresses.
                    .col(text(Customers::Emails))
                    .col(text(Customers::Address))
                    .col(string_len(Customers::TaxId, 64))
                    .col(char_len(Customers::Currency, 3))
                    .col(integer(Customers::PaymentTermsDays))
                    .col(text(Customers::Notes))
                    .col(timestamp_with_time_zone_null(Customers::ArchivedAt))
                    .col(timestamp_with_time_zone(Customers::CreatedAt))
                    .col(timestamp_with_time_zone(Customers::UpdatedAt))
                    .foreign_key(&mut cascade_from(
                        Customers::Table,
                        Customers::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("customers_organization_name")
                    .table(Customers::Table)
                    .col(Customers::OrganizationId)
                    .col(Customers::NameLookup)
                    .col(Customers::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .col(uuid(Products::Id).primary_key())
                    .col(uuid(Products::OrganizationId))
                    .col(string_len(Products::Name, 200))
                    .col(string_len(Products::NameLookup, 200))
                    .col(text(Products::Description))
                    .col(string_len(Products::Unit, 30))
                    .col(string_len(Products::UnitPrice, 40))
                    .col(uuid_null(Products::TaxRateId))
                    .col(timestamp_with_time_zone_null(Products::ArchivedAt))
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .foreign_key(&mut cascade_from(Products::Table, Products::OrganizationId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Products::Table, Products::TaxRateId)
                            .to(TaxRates::Table, TaxRates::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("products_organization_name")
                    .table(Products::Table)
                    .col(Products::OrganizationId)
                    .col(Products::NameLookup)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Invoices::Table)
                    .col(uuid(Invoices::Id).primary_key())
                    .col(uuid(Invoices::OrganizationId))
                    // "invoice" or "credit_note".
                    .col(string_len(Invoices::Kind, 16))
                    .col(uuid(Invoices::CustomerId))
                    // The invoice a credit note corrects.
                    .col(uuid_null(Invoices::CreditedInvoiceId))
                    .col(string_len_null(Invoices::Number, 64))
                    .col(char_len(Invoices::Currency, 3))
                    .col(string_len(Invoices::PriceMode, 16))
                    .col(date(Invoices::IssueDate))
                    .col(date(Invoices::DueDate))
                    .col(string_len(Invoices::DiscountPercent, 12))
                    .col(text(Invoices::Notes))
                    .col(text(Invoices::Terms))
                    .col(big_integer(Invoices::NetMinor))
                    .col(big_integer(Invoices::TaxMinor))
                    .col(big_integer(Invoices::TotalMinor))
                    // Kept in the same transaction as the payments and credit
                    // notes they sum, so the derived status never drifts.
                    .col(big_integer(Invoices::PaidMinor).default(0))
                    .col(big_integer(Invoices::CreditedMinor).default(0))
                    .col(timestamp_with_time_zone_null(Invoices::IssuedAt))
                    .col(timestamp_with_time_zone_null(Invoices::VoidedAt))
                    .col(text_null(Invoices::VoidReason))
                    // At issue: the customer and seller as they were, the
                    // canonical content and its SHA-256.
                    .col(text_null(Invoices::SealedContent))
                    .col(char_len_null(Invoices::SealHash, 64))
                    .col(timestamp_with_time_zone(Invoices::CreatedAt))
                    .col(timestamp_with_time_zone(Invoices::UpdatedAt))
                    .foreign_key(&mut cascade_from(Invoices::Table, Invoices::OrganizationId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Invoices::Table, Invoices::CustomerId)
                            .to(Customers::Table, Customers::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("invoices_organization_number")
                    .table(Invoices::Table)
                    .col(Invoices::OrganizationId)
                    .col(Invoices::Kind)
                    .col(Invoices::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("invoices_organization_date")
                    .table(Invoices::Table)
                    .col(Invoices::OrganizationId)
                    .col(Invoices::Kind)
                    .col(Invoices::IssueDate)
                    .col(Invoices::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("invoices_customer")
                    .table(Invoices::Table)
                    .col(Invoices::CustomerId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(InvoiceLines::Table)
                    .col(uuid(InvoiceLines::Id).primary_key())
                    .col(uuid(InvoiceLines::InvoiceId))
                    .col(integer(InvoiceLines::Position))
                    .col(text(InvoiceLines::Description))
                    .col(string_len(InvoiceLines::Quantity, 40))
                    .col(string_len(InvoiceLines::UnitPrice, 40))
                    .col(string_len(InvoiceLines::DiscountPercent, 12))
                    .col(uuid_null(InvoiceLines::TaxRateId))
                    .col(string_len_null(InvoiceLines::TaxName, 60))
                    .col(string_len_null(InvoiceLines::TaxPercent, 12))
                    .col(big_integer(InvoiceLines::NetMinor))
                    .col(big_integer(InvoiceLines::TaxMinor))
                    .col(big_integer(InvoiceLines::GrossMinor))
                    .foreign_key(
                        ForeignKey::create()
                            .from(InvoiceLines::Table, InvoiceLines::InvoiceId)
                            .to(Invoices::Table, Invoices::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("invoice_lines_invoice")
                    .table(InvoiceLines::Table)
                    .col(InvoiceLines::InvoiceId)
                    .col(InvoiceLines::Position)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .col(uuid(Payments::Id).primary_key())
                    .col(uuid(Payments::OrganizationId))
                    .col(uuid(Payments::InvoiceId))
                    .col(date(Payments::PaidOn))
                    // Negative for a reversal.
                    .col(big_integer(Payments::AmountMinor))
                    .col(string_len(Payments::Method, 40))
                    .col(string_len(Payments::Reference, 200))
                    .col(uuid_null(Payments::ReversesPaymentId))
                    .col(timestamp_with_time_zone(Payments::CreatedAt))
                    .foreign_key(&mut cascade_from(Payments::Table, Payments::OrganizationId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Payments::Table, Payments::InvoiceId)
                            .to(Invoices::Table, Invoices::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("payments_invoice")
                    .table(Payments::Table)
                    .col(Payments::InvoiceId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(NumberSeries::Table)
                    .col(uuid(NumberSeries::OrganizationId))
                    .col(string_len(NumberSeries::Kind, 16))
                    // The year for yearly series, 0 otherwise.
                    .col(integer(NumberSeries::Period))
                    .col(big_integer(NumberSeries::LastCounter))
                    .primary_key(
                        Index::create()
                            .col(NumberSeries::OrganizationId)
                            .col(NumberSeries::Kind)
                            .col(NumberSeries::Period),
                    )
                    .foreign_key(&mut cascade_from(
                        NumberSeries::Table,
                        NumberSeries::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(uuid(AuditEvents::Id).primary_key())
                    .col(uuid(AuditEvents::OrganizationId))
                    .col(big_integer(AuditEvents::Seq))
                    .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
                    // "user", "customer" or "system".
                    .col(string_len(AuditEvents::ActorKind, 16))
                    .col(uuid_null(AuditEvents::ActorId))
                    .col(string_len(AuditEvents::Action, 64))
                    .col(string_len(AuditEvents::ObjectType, 32))
                    .col(uuid(AuditEvents::ObjectId))
                    .col(text(AuditEvents::Summary))
                    .col(string_len(AuditEvents::RequestId, 64))
                    .col(string_len(AuditEvents::ClientIp, 64))
                    .col(char_len(AuditEvents::PrevHash, 64))
                    .col(char_len(AuditEvents::Hash, 64))
                    .foreign_key(&mut cascade_from(
                        AuditEvents::Table,
                        AuditEvents::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_events_organization_seq")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::OrganizationId)
                    .col(AuditEvents::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_events_object")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::ObjectId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvents::Table.into_iden(),
            NumberSeries::Table.into_iden(),
            Payments::Table.into_iden(),
            InvoiceLines::Table.into_iden(),
            Invoices::Table.into_iden(),
            Products::Table.into_iden(),
            Customers::Table.into_iden(),
            TaxRates::Table.into_iden(),
            BillingSettings::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum BillingSettings {
    Table,
    OrganizationId,
    Address,
    TaxId,
    InvoiceNumberFormat,
    InvoiceNumberYearly,
    CreditNoteNumberFormat,
    CreditNoteNumberYearly,
    AuditSeq,
    AuditHead,
}

#[derive(DeriveIden)]
enum TaxRates {
    Table,
    Id,
    OrganizationId,
    Name,
    Percent,
    ArchivedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    OrganizationId,
    Name,
    NameLookup,
    Emails,
    Address,
    TaxId,
    Currency,
    PaymentTermsDays,
    Notes,
    ArchivedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    OrganizationId,
    Name,
    NameLookup,
    Description,
    Unit,
    UnitPrice,
    TaxRateId,
    ArchivedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    Id,
    OrganizationId,
    Kind,
    CustomerId,
    CreditedInvoiceId,
    Number,
    Currency,
    PriceMode,
    IssueDate,
    DueDate,
    DiscountPercent,
    Notes,
    Terms,
    NetMinor,
    TaxMinor,
    TotalMinor,
    PaidMinor,
    CreditedMinor,
    IssuedAt,
    VoidedAt,
    VoidReason,
    SealedContent,
    SealHash,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InvoiceLines {
    Table,
    Id,
    InvoiceId,
    Position,
    Description,
    Quantity,
    UnitPrice,
    DiscountPercent,
    TaxRateId,
    TaxName,
    TaxPercent,
    NetMinor,
    TaxMinor,
    GrossMinor,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    OrganizationId,
    InvoiceId,
    PaidOn,
    AmountMinor,
    Method,
    Reference,
    ReversesPaymentId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NumberSeries {
    Table,
    OrganizationId,
    Kind,
    Period,
    LastCounter,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OrganizationId,
    Seq,
    OccurredAt,
    ActorKind,
    ActorId,
    Action,
    ObjectType,
    ObjectId,
    Summary,
    RequestId,
    ClientIp,
    PrevHash,
    Hash,
}
