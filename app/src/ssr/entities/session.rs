use sea_orm::entity::prelude::*;

/// A server-side session. `id` is the SHA-256 of the cookie value, never the
/// value itself; times are Unix seconds so expiry compares as integers on
/// every database.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: Option<Uuid>,
    /// The organization a signed-in session works in.
    pub organization_id: Option<Uuid>,
    pub data: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    /// The user's `session_generation` when this session signed in; a
    /// session whose generation is not the user's current one is dead.
    pub generation: Option<i64>,
    /// Stays the same across the session's id changes: what the sessions
    /// page names it by and ends it by (see `ended_session`).
    pub handle: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
