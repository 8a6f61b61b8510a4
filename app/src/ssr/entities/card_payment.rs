use sea_orm::entity::prelude::*;

/// One attempt by a customer contact to pay a document by card (issue 15),
/// from the card form to Stripe's verdict. `status`: `started` (a
/// SetupIntent for the card form exists), `processing` (a PaymentIntent was
/// created and confirmed), `succeeded` (the webhook recorded the payment),
/// `failed` (Stripe declined; `failure` says why), `flagged` (the webhook's
/// amount or currency did not match: not recorded, owners told).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "card_payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub invoice_id: Uuid,
    /// The link or portal session the customer paid through.
    pub payer_id: Uuid,
    /// The contact's address: the receipt goes there.
    pub payer_email: String,
    /// ISO 4217, and the amount in its minor unit, as the server computed it.
    pub currency: String,
    pub amount_minor: i64,
    pub setup_intent_id: String,
    /// Unique once set: a webhook finds its attempt by it.
    pub payment_intent_id: Option<String>,
    pub status: String,
    pub failure: String,
    /// The payment recorded for it, once succeeded.
    pub payment_id: Option<Uuid>,
    /// How much of it Stripe reported refunded, in the minor unit.
    pub refunded_minor: i64,
    /// Confirmations tried (each asks Stripe): at most 10 per attempt.
    pub confirm_tries: i32,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
