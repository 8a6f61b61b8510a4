use sea_orm::entity::prelude::*;

/// A message in the delivery queue (see `services::mail_queue`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outgoing_mail")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Option<Uuid>,
    pub invoice_id: Option<Uuid>,
    pub portal_link_id: Option<Uuid>,
    pub recipient: String,
    /// For logs and lists: `document`, `document_link`, `report`…
    pub kind: String,
    /// The RFC 5322 message sealed with the secrets key (it holds a link
    /// token); `None` once sent.
    #[sea_orm(column_type = "Text", nullable)]
    pub message: Option<String>,
    /// `queued`, `sent` or `failed` (gave up).
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: TimeDateTimeWithTimeZone,
    pub locked_until: Option<TimeDateTimeWithTimeZone>,
    pub last_error: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub sent_at: Option<TimeDateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
