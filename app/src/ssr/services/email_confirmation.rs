//! Confirming a new account's email address: a single-use emailed link
//! (256 random bits, only its SHA-256 stored, valid for 7 days, only the
//! newest one works), as for password resets. Until the address is
//! confirmed the account cannot invite anyone or send anything to customers,
//! and every page says so.

use crate::domain::SecurityEventKind;
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::client::ClientInfo;
use crate::ssr::entities::{email_verification, user};
use crate::ssr::errors::internal;
use crate::ssr::mail::Mail;
use crate::ssr::services::accounts::{account_of, log_event};
use crate::ssr::services::mail_budgets::{self, Budget};
use crate::ssr::tokens::{new_token, sha256_hex};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// How long a confirmation link works.
pub const VALIDITY: Duration = Duration::days(7);

/// Emails a fresh confirmation link to `account` (the older ones stop
/// working), within the address's hourly mail budget. Answers whether a
/// mail went out.
pub async fn send(
    state: &AppState,
    account: &user::Model,
    now: OffsetDateTime,
) -> Result<bool, AppError> {
    if account.email_verified_at.is_some() {
        return Ok(false);
    }
    let budget = Budget::ConfirmationMail {
        email_lookup: &account.email_lookup,
    };
    if !mail_budgets::spend(&state.db, &state.settings.mail_budgets, budget, now).await? {
        return Ok(false);
    }
    let token = new_token();
    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    email_verification::Entity::delete_many()
        .filter(email_verification::Column::UserId.eq(account.id))
        .filter(email_verification::Column::UsedAt.is_null())
        .exec(&txn)
        .await
        .map_err(internal)?;
    email_verification::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(account.id),
        token_hash: Set(sha256_hex(&token)),
        created_at: Set(now),
        expires_at: Set(now + VALIDITY),
        used_at: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)?;
    let link = format!("{}/confirm-email?token={token}", state.settings.public_url);
    state.mailer.send_later(Mail {
        to: account.email.clone(),
        subject: "Ledgerlock: confirm your email address".into(),
        body: format!(
            "Hello {name},\n\n\
             Please confirm that this is your email address by opening this link within 7 days:\n\n\
             {link}\n\n\
             Until then you cannot invite anyone or send documents to customers.\n\
             If you did not create a Ledgerlock account, ignore this message.\n",
            name = account.name,
        ),
        kind: "email_confirmation",
    });
    Ok(true)
}

/// Sends the link again for the signed-in user (the budget applies).
pub async fn resend(state: &AppState, user_id: Uuid, now: OffsetDateTime) -> Result<(), AppError> {
    let account = account_of(&state.db, user_id).await?;
    if account.email_verified_at.is_some() {
        return Err(AppError::Conflict(
            "Your email address is already confirmed.".into(),
        ));
    }
    if send(state, &account, now).await? {
        Ok(())
    } else {
        Err(AppError::RateLimited)
    }
}

/// Confirms the address with the token from the link. The token alone is
/// the proof: no session is needed, and none is changed.
pub async fn confirm(
    state: &AppState,
    token: &str,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    let row = email_verification::Entity::find()
        .filter(email_verification::Column::TokenHash.eq(sha256_hex(token)))
        .one(&txn)
        .await
        .map_err(internal)?
        .filter(|row| row.used_at.is_none() && row.expires_at > now)
        .ok_or(AppError::LinkInvalid)?;
    // Single use, decided by one conditional statement.
    let claimed = email_verification::Entity::update_many()
        .col_expr(email_verification::Column::UsedAt, Expr::value(now))
        .filter(email_verification::Column::Id.eq(row.id))
        .filter(email_verification::Column::UsedAt.is_null())
        .exec(&txn)
        .await
        .map_err(internal)?;
    if claimed.rows_affected != 1 {
        return Err(AppError::LinkInvalid);
    }
    let account = account_of(&txn, row.user_id)
        .await
        .map_err(|_| AppError::LinkInvalid)?;
    mark_verified(&txn, account.id, now).await?;
    log_event(
        &txn,
        &account,
        SecurityEventKind::EmailConfirmed,
        true,
        client,
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)
}

/// Records the address as confirmed (the confirmation link, or an emailed
/// invitation accepted by creating the account).
pub async fn mark_verified(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    user::Entity::update_many()
        .col_expr(user::Column::EmailVerifiedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .filter(user::Column::EmailVerifiedAt.is_null())
        .exec(db)
        .await
        .map_err(internal)?;
    Ok(())
}

/// Refuses what an unconfirmed account may not do yet: invite anyone, send
/// anything to customers.
pub async fn require_confirmed(db: &impl ConnectionTrait, user_id: Uuid) -> Result<(), AppError> {
    if account_of(db, user_id).await?.email_verified_at.is_some() {
        Ok(())
    } else {
        Err(AppError::Conflict(
            "Confirm your email address first: open the link we emailed you (you can have it sent \
             again from the notice at the top of the page)."
                .into(),
        ))
    }
}
