use sea_orm::entity::prelude::*;

/// A Stripe webhook event handled once (issue 15): its id is the key, so a
/// second delivery of the same event finds it and changes nothing.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stripe_events")]
pub struct Model {
    /// Stripe's `evt_…` id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub organization_id: Uuid,
    /// The event's `type`, e.g. `payment_intent.succeeded`.
    pub kind: String,
    /// What it did: `recorded`, `failed`, `refunded`, `flagged`, `ignored`.
    pub outcome: String,
    pub received_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
