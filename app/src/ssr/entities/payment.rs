use sea_orm::entity::prelude::*;

/// A payment, its reversal (negative, naming the payment it reverses), a
/// refund, or a credit moved between two invoices of one customer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub invoice_id: Uuid,
    pub paid_on: TimeDate,
    pub amount_minor: i64,
    pub method: String,
    pub reference: String,
    pub reverses_payment_id: Option<Uuid>,
    /// `payment`, `reversal`, `refund` (money back to the customer from a
    /// credit), `credit_applied` (this invoice's credit moved to another) or
    /// `credit_received` (another invoice's credit settling this one).
    pub kind: String,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
