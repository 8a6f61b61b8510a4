use crate::ssr::passwords::PasswordHash;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// As the user typed it (domain lower-cased), for display and mail.
    pub email: String,
    /// Lower-cased, unique: what sign-in looks up.
    #[sea_orm(unique)]
    pub email_lookup: String,
    pub name: String,
    pub password_hash: PasswordHash,
    pub created_at: TimeDateTimeWithTimeZone,
    /// Consecutive wrong passwords since the last lock or success.
    pub failed_sign_ins: i32,
    /// Locks since the last successful sign-in (each one lasts longer).
    pub lock_count: i32,
    pub locked_until: Option<TimeDateTimeWithTimeZone>,
    pub password_changed_at: Option<TimeDateTimeWithTimeZone>,
    /// Bumped to end every session signed in before (password change or
    /// reset, "sign out all others"): a session row holds the generation it
    /// was signed in under and is dead once the two differ.
    pub session_generation: i64,
    /// Wrong codes or passkeys at the second step since the last complete
    /// sign-in (see `services::guesses`).
    pub failed_second_steps: i32,
    /// Failed step-up confirmations since the last complete sign-in.
    pub failed_step_ups: i32,
    /// When the last "account locked" mail went out (one per window).
    pub lock_notice_at: Option<TimeDateTimeWithTimeZone>,
    /// When the last "second step failed" mail went out (one per window).
    pub second_step_notice_at: Option<TimeDateTimeWithTimeZone>,
    /// When the user opened the emailed confirmation link (or accepted an
    /// emailed invitation); `None` until then.
    pub email_verified_at: Option<TimeDateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::membership::Entity")]
    Membership,
}

impl Related<super::membership::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Membership.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
