use sea_orm::entity::prelude::*;

/// An organization's Stripe account (issue 15). The secret key and the
/// webhook signing secret are sealed with the secrets key
/// (`ssr::crypto`, associated data `stripe:<field>:<organization id>`);
/// empty means not set.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_providers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    /// `pk_test_…` or `pk_live_…`: sent to the browser that pays.
    pub stripe_publishable_key: String,
    #[sea_orm(column_type = "Text")]
    pub stripe_secret_key: String,
    /// How the secret key is shown back: `sk_test_…4242`.
    pub stripe_secret_key_shown: String,
    #[sea_orm(column_type = "Text")]
    pub stripe_webhook_secret: String,
    pub stripe_webhook_secret_shown: String,
    /// Whether a customer may pay less than the balance online…
    pub partial_payments: bool,
    /// …but at least this much (a decimal in the invoice's currency).
    pub partial_minimum: String,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
