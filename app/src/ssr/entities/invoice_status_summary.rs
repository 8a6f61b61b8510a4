use sea_orm::entity::prelude::*;

/// How many invoices, and how much, per organization, currency,
/// day-independent state and due date (issue 16). Written only by the
/// database's triggers on `invoices` (migration
/// `m20261130_000014_invoice_status_summaries`), read by the list's totals.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_status_summaries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    /// ISO 4217 code.
    #[sea_orm(primary_key, auto_increment = false)]
    pub currency: String,
    /// `draft`, `void`, `paid`, `part_paid` or `unpaid`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub state: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub due_date: TimeDate,
    pub invoices: i64,
    /// The total in minor units is `total_billions * 10^9 + total_rest`
    /// (`ssr::sums::joined`).
    pub total_billions: i64,
    pub total_rest: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
