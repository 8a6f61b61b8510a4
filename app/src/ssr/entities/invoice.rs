use sea_orm::entity::prelude::*;

/// An invoice or a credit note (`kind`). Amounts are whole minor units.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub kind: String,
    pub customer_id: Uuid,
    pub credited_invoice_id: Option<Uuid>,
    pub number: Option<String>,
    pub currency: String,
    pub price_mode: String,
    /// `per_rate` or `per_line`, fixed at issue and sealed.
    pub tax_rounding: String,
    pub issue_date: TimeDate,
    pub due_date: TimeDate,
    /// False while a draft's issue date means "the day it is issued".
    pub issue_date_chosen: bool,
    /// False while a draft's due date means "the customer's payment terms
    /// from the issue date".
    pub due_date_chosen: bool,
    pub discount_percent: String,
    pub notes: String,
    pub terms: String,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub paid_minor: i64,
    pub credited_minor: i64,
    pub issued_at: Option<TimeDateTimeWithTimeZone>,
    pub voided_at: Option<TimeDateTimeWithTimeZone>,
    pub void_reason: Option<String>,
    pub sealed_content: Option<String>,
    pub seal_hash: Option<String>,
    /// When it was last sent to the customer.
    pub sent_at: Option<TimeDateTimeWithTimeZone>,
    /// Set by the operator while a report is looked into: its links show
    /// "under review".
    pub links_frozen_at: Option<TimeDateTimeWithTimeZone>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
