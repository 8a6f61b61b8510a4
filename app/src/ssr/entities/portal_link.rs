use sea_orm::entity::prelude::*;

/// A link that opens one document for one recipient (issue 14).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "portal_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub invoice_id: Uuid,
    pub customer_id: Uuid,
    /// The recipient, lower-cased (`Email::lookup_key`).
    pub email: String,
    /// SHA-256 (hex) of the token in the link; the token is never stored.
    #[sea_orm(unique)]
    pub token_hash: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub expires_at: TimeDateTimeWithTimeZone,
    pub revoked_at: Option<TimeDateTimeWithTimeZone>,
    /// When the recipient last opened it.
    pub opened_at: Option<TimeDateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
