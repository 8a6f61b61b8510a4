use sea_orm::entity::prelude::*;

/// A payment, or (negative, naming the payment it reverses) its reversal.
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
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
