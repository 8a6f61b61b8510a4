//! A document's credit notes are found by the invoice they credit (every
//! invoice page, PDF, sending and customer link reads them). Without an
//! index that read went through all of the organization's documents: at a
//! million invoices, sending one took about a second and the customer's
//! page timed out under load (`make bench`, 2026-12-01).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("invoices_credited_invoice")
                    .table(Invoices::Table)
                    .col(Invoices::CreditedInvoiceId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("invoices_credited_invoice")
                    .table(Invoices::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    CreditedInvoiceId,
}
