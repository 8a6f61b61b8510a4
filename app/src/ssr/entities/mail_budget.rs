use sea_orm::entity::prelude::*;

/// How much of one mail budget was spent in one window (see
/// `services::mail_budgets`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_budgets")]
pub struct Model {
    /// What is counted: a kind and a hash of whose budget it is.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// Unix seconds at the start of the window.
    #[sea_orm(primary_key, auto_increment = false)]
    pub window_start: i64,
    pub spent: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
