use sea_orm::entity::prelude::*;

/// An organization's billing identity, number formats and audit-chain head.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "billing_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    pub address: String,
    pub tax_id: String,
    pub invoice_number_format: String,
    pub invoice_number_yearly: bool,
    pub credit_note_number_format: String,
    pub credit_note_number_yearly: bool,
    /// `per_rate` (EN 16931) or `per_line`: see `domain::invoice::TaxRounding`.
    pub tax_rounding: String,
    /// The sending mail's subject and message templates; empty means the
    /// built-in ones (see `domain::delivery`).
    pub mail_subject: String,
    #[sea_orm(column_type = "Text")]
    pub mail_message: String,
    /// A document's links expire this many days after its due date…
    pub link_days_after_due: i32,
    /// …and never later than this many days after sending.
    pub link_max_days: i32,
    /// Whether even a single document's link asks for an emailed code.
    pub portal_require_code: bool,
    /// Payout details (see `domain::payout`): the account holder, IBAN
    /// (electronic format) and BIC, or free text where IBAN is not used.
    pub bank_holder: String,
    pub bank_iban: String,
    pub bank_bic: String,
    #[sea_orm(column_type = "Text")]
    pub bank_text: String,
    /// When they last changed: documents say so for 14 days.
    pub bank_changed_at: Option<TimeDateTimeWithTimeZone>,
    pub audit_seq: i64,
    pub audit_head: String,
    /// The last event the audit page's check found intact, as
    /// `<seq>:<hash>` sealed by `ssr::crypto::SecretBox` (associated data
    /// `audit-checkpoint:<organization id>`); empty before any check.
    #[sea_orm(column_type = "Text")]
    pub audit_checkpoint: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
