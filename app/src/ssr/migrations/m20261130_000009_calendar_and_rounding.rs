//! Each organization's own calendar and tax rounding (issue 13): its IANA
//! time zone, how tax is rounded on its documents (EN 16931 per rate, or per
//! line), the method each document was computed with, and whether a draft's
//! issue and due dates were chosen by a person or are "the day it is issued"
//! and "the customer's payment terms from then".
//!
//! Payments get a kind (payment, reversal, refund, credit applied to another
//! invoice, credit received from one), and a reversal is dated as the
//! payment it reverses, so it counts against that payment's month.
//!
//! Everything that existed before keeps behaving as it did: organizations
//! stay on UTC and per-line rounding, documents are marked per-line, and
//! existing drafts keep the dates they show.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .add_column(string_len(Organizations::TimeZone, 64).default("UTC"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(BillingSettings::Table)
                    .add_column(string_len(BillingSettings::TaxRounding, 16).default("per_line"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Invoices::Table)
                    .add_column(string_len(Invoices::TaxRounding, 16).default("per_line"))
                    .to_owned(),
            )
            .await?;
        for column in [Invoices::IssueDateChosen, Invoices::DueDateChosen] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Invoices::Table)
                        .add_column(boolean(column).default(true))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Payments::Table)
                    .add_column(string_len(Payments::Kind, 20).default("payment"))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(Payments::Table)
                    .value(Payments::Kind, "reversal")
                    .and_where(Expr::col(Payments::ReversesPaymentId).is_not_null())
                    .to_owned(),
            )
            .await?;
        let reversed = Alias::new("reversed");
        manager
            .exec_stmt(
                Query::update()
                    .table(Payments::Table)
                    .value(
                        Payments::PaidOn,
                        Expr::SubQuery(
                            None,
                            Box::new(
                                Query::select()
                                    .column((reversed.clone(), Payments::PaidOn))
                                    .from_as(Payments::Table, reversed.clone())
                                    .and_where(
                                        Expr::col((reversed.clone(), Payments::Id))
                                            .equals((Payments::Table, Payments::ReversesPaymentId)),
                                    )
                                    .to_owned()
                                    .into(),
                            ),
                        ),
                    )
                    .and_where(Expr::col(Payments::ReversesPaymentId).is_not_null())
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Payments::Table)
                    .drop_column(Payments::Kind)
                    .to_owned(),
            )
            .await?;
        for column in [
            Invoices::DueDateChosen,
            Invoices::IssueDateChosen,
            Invoices::TaxRounding,
        ] {
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
            .alter_table(
                Table::alter()
                    .table(BillingSettings::Table)
                    .drop_column(BillingSettings::TaxRounding)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .drop_column(Organizations::TimeZone)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    TimeZone,
}

#[derive(DeriveIden)]
enum BillingSettings {
    Table,
    TaxRounding,
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    TaxRounding,
    IssueDateChosen,
    DueDateChosen,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    PaidOn,
    Kind,
    ReversesPaymentId,
}
