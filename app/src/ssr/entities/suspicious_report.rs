use sea_orm::entity::prelude::*;

/// A recipient's report that a document looks wrong (issue 14).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "suspicious_reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The organization and document the reference matched, if any.
    pub organization_id: Option<Uuid>,
    pub invoice_id: Option<Uuid>,
    /// A fingerprint or number as typed or followed.
    pub reference: String,
    /// `unknown_sender`, `unexpected`, `bank_details` or `other`.
    pub reason: String,
    #[sea_orm(column_type = "Text")]
    pub details: String,
    /// The recipient, when the report came through their link.
    pub reporter: Option<String>,
    pub client_ip: String,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
