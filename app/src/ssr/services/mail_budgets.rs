//! Budgets for the mail anyone can make Ledgerlock send: without them, a
//! stranger could use the reset form, the sign-up form or an owner's
//! invitation form to flood an address (or the operator's mail reputation).
//!
//! Each budget counts in fixed windows (an hour or a day) in the database,
//! by an atomic insert-or-increment, so parallel requests cannot overspend
//! and several app instances share one count. The limits are settings
//! (`LEDGERLOCK_*`, see the README).

use crate::error::AppError;
use crate::ssr::entities::mail_budget;
use crate::ssr::errors::internal;
use crate::ssr::tokens::sha256_hex;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use time::{Duration, OffsetDateTime};

/// The limits, each a count per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailBudgets {
    /// Password-reset mails to one address per hour (and as many
    /// email-confirmation mails).
    pub reset_mails_per_address_per_hour: u32,
    /// Invitations one organization sends per day.
    pub invitations_per_organization_per_day: u32,
    /// Invitations to one address per day, from all organizations.
    pub invitations_per_address_per_day: u32,
    /// Sign-ups from one client address (an IPv6 /64) per hour.
    pub sign_ups_per_client_per_hour: u32,
    /// Document mails (one per recipient) one organization sends per day.
    pub documents_per_organization_per_day: u32,
}

impl Default for MailBudgets {
    fn default() -> Self {
        Self {
            reset_mails_per_address_per_hour: 3,
            invitations_per_organization_per_day: 100,
            invitations_per_address_per_day: 10,
            sign_ups_per_client_per_hour: 10,
            documents_per_organization_per_day: 1000,
        }
    }
}

/// One budget to spend from.
#[derive(Debug, Clone, Copy)]
pub enum Budget<'a> {
    ResetMail {
        email_lookup: &'a str,
    },
    ConfirmationMail {
        email_lookup: &'a str,
    },
    InvitationFrom {
        organization_id: uuid::Uuid,
    },
    InvitationTo {
        email_lookup: &'a str,
    },
    SignUpFrom {
        client: &'a str,
    },
    /// Documents an organization sends, one per recipient.
    DocumentsFrom {
        organization_id: uuid::Uuid,
    },
    /// Links a recipient asks for again (an expired link's page).
    LinkTo {
        email_lookup: &'a str,
    },
    /// Reports of suspicious documents from one client address (an IPv6
    /// /64): each mails the owners and the security contact. Counted on
    /// its own, with the sign-ups' limit.
    ReportFrom {
        client: &'a str,
    },
}

impl Budget<'_> {
    /// The stored key: the kind, and a hash of whose budget (no addresses
    /// in clear in this table).
    fn key(&self) -> String {
        match self {
            Self::ResetMail { email_lookup } => format!("reset:{}", sha256_hex(email_lookup)),
            Self::ConfirmationMail { email_lookup } => {
                format!("confirm:{}", sha256_hex(email_lookup))
            }
            Self::InvitationFrom { organization_id } => format!("invite-org:{organization_id}"),
            Self::InvitationTo { email_lookup } => {
                format!("invite-to:{}", sha256_hex(email_lookup))
            }
            Self::SignUpFrom { client } => format!("sign-up:{}", sha256_hex(client)),
            Self::LinkTo { email_lookup } => format!("link-to:{}", sha256_hex(email_lookup)),
            Self::DocumentsFrom { organization_id } => format!("documents-org:{organization_id}"),
            Self::ReportFrom { client } => format!("report:{}", sha256_hex(client)),
        }
    }

    fn window(&self) -> Duration {
        match self {
            Self::ResetMail { .. }
            | Self::ConfirmationMail { .. }
            | Self::SignUpFrom { .. }
            | Self::LinkTo { .. }
            | Self::ReportFrom { .. } => Duration::hours(1),
            Self::InvitationFrom { .. }
            | Self::InvitationTo { .. }
            | Self::DocumentsFrom { .. } => Duration::days(1),
        }
    }

    fn limit(&self, budgets: &MailBudgets) -> u32 {
        match self {
            // Account mail to one address shares the reset mails' limit.
            Self::ResetMail { .. } | Self::ConfirmationMail { .. } => {
                budgets.reset_mails_per_address_per_hour
            }
            Self::InvitationFrom { .. } => budgets.invitations_per_organization_per_day,
            Self::InvitationTo { .. } => budgets.invitations_per_address_per_day,
            Self::SignUpFrom { .. } | Self::ReportFrom { .. } => {
                budgets.sign_ups_per_client_per_hour
            }
            Self::DocumentsFrom { .. } => budgets.documents_per_organization_per_day,
            // A recipient's new links share the reset mails' limit.
            Self::LinkTo { .. } => budgets.reset_mails_per_address_per_hour,
        }
    }
}

/// Spends one from `budget` in the window `now` falls in; answers whether
/// it was still within the limit (`false`: send nothing). Spending past
/// the limit is counted too, which does no harm.
pub async fn spend(
    db: &DatabaseConnection,
    budgets: &MailBudgets,
    budget: Budget<'_>,
    now: OffsetDateTime,
) -> Result<bool, AppError> {
    let window = budget.window().whole_seconds();
    let window_start = now.unix_timestamp() - now.unix_timestamp().rem_euclid(window);
    let key = budget.key();
    // One transaction: the row stays locked from the increment to the read,
    // so each request reads its own count.
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    mail_budget::Entity::insert(mail_budget::ActiveModel {
        key: Set(key.clone()),
        window_start: Set(window_start),
        spent: Set(1),
    })
    .on_conflict(
        OnConflict::columns([mail_budget::Column::Key, mail_budget::Column::WindowStart])
            .value(
                mail_budget::Column::Spent,
                Expr::col((mail_budget::Entity, mail_budget::Column::Spent)).add(1),
            )
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await
    .map_err(internal)?;
    let spent = mail_budget::Entity::find()
        .filter(mail_budget::Column::Key.eq(key))
        .filter(mail_budget::Column::WindowStart.eq(window_start))
        .one(&txn)
        .await
        .map_err(internal)?
        .map_or(0, |row| row.spent);
    txn.commit().await.map_err(internal)?;
    Ok(u32::try_from(spent).unwrap_or(u32::MAX) <= budget.limit(budgets))
}

/// Forgets windows that ended more than a day ago (housekeeping).
pub async fn purge(db: &impl ConnectionTrait, now: OffsetDateTime) -> Result<u64, AppError> {
    let before = now.unix_timestamp() - Duration::days(2).whole_seconds();
    Ok(mail_budget::Entity::delete_many()
        .filter(mail_budget::Column::WindowStart.lt(before))
        .exec(db)
        .await
        .map_err(internal)?
        .rows_affected)
}
