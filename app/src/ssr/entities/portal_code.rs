use sea_orm::entity::prelude::*;

/// A one-time code emailed to a customer contact (issue 14): 8 digits, 10
/// minutes, 5 tries (`domain::portal_access`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "portal_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub customer_id: Uuid,
    /// The contact, lower-cased (`Email::lookup_key`).
    pub email: String,
    /// SHA-256 (hex) of `"{id}:{code}"`; the code is never stored.
    pub code_hash: String,
    /// Tries made, the right one included.
    pub attempts: i32,
    pub created_at: TimeDateTimeWithTimeZone,
    pub expires_at: TimeDateTimeWithTimeZone,
    pub used_at: Option<TimeDateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
