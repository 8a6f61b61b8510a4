//! "Forgot password": a single-use link by email, valid 30 minutes.
//!
//! The token carries 256 random bits and only its SHA-256 is stored. Asking
//! for a link answers the same, in the same time, whether or not the address
//! has an account: the work happens after the answer.
//! Using the link sets the password and ends every session of the user; it
//! does not sign in, so a second factor can never be skipped this way.

use crate::domain::{Email, SecurityEventKind};
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::client::ClientInfo;
use crate::ssr::entities::{password_reset, user};
use crate::ssr::errors::internal;
use crate::ssr::mail::Mail;
use crate::ssr::services::accounts::{self, NewPasswordEvent, find_by_email, log_event};
use crate::ssr::services::mail_budgets::{self, Budget};
use crate::ssr::services::security_log::{self, SecurityEvent};
use crate::ssr::tokens::{new_token, sha256_hex};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

pub const VALIDITY: Duration = Duration::minutes(30);

/// Starts [`request`] in the background (keeping the request's log span),
/// so the caller can answer at once, whatever the address.
pub fn request_later(state: &AppState, email: Email, client: ClientInfo, now: OffsetDateTime) {
    use tracing::Instrument;
    let state = state.clone();
    tokio::spawn(
        async move {
            if let Err(error) = request(&state, &email, &client, now).await {
                tracing::error!(%error, "password reset request failed");
            }
        }
        .instrument(tracing::Span::current()),
    );
}

/// Sends a reset link if the address has an account.
async fn request(
    state: &AppState,
    email: &Email,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let Some(account) = find_by_email(&state.db, &email.lookup_key()).await? else {
        security_log::record(
            &state.db,
            SecurityEvent {
                kind: SecurityEventKind::PasswordResetRequested,
                succeeded: false,
                user_id: None,
                organization_id: None,
                client,
                detail: Some("unknown email"),
            },
            now,
        )
        .await?;
        return Ok(());
    };
    let budget = Budget::ResetMail {
        email_lookup: &account.email_lookup,
    };
    if !mail_budgets::spend(&state.db, &state.settings.mail_budgets, budget, now).await? {
        // The answer was the same already; the log says why no mail went.
        tracing::info!(user_id = %account.id, "reset mail budget spent: no mail sent");
        return Ok(());
    }
    let token = new_token();
    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    // Only the newest link works.
    password_reset::Entity::delete_many()
        .filter(password_reset::Column::UserId.eq(account.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&txn)
        .await
        .map_err(internal)?;
    password_reset::ActiveModel {
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
    log_event(
        &txn,
        &account,
        SecurityEventKind::PasswordResetRequested,
        true,
        client,
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)?;

    let link = format!("{}/reset-password?token={token}", state.settings.public_url);
    state.mailer.send_later(Mail {
        to: account.email.clone(),
        subject: "Ledgerlock: reset your password".into(),
        body: format!(
            "Hello {name},\n\n\
             Someone asked to reset the password of your Ledgerlock account. To choose a new password, \
             open this link within 30 minutes:\n\n{link}\n\n\
             The link works once. If you did not ask for it, ignore this message: your password stays as it is.\n",
            name = account.name,
        ),
        kind: "password_reset",
    });
    Ok(())
}

/// Sets a new password with a reset token and ends all the user's sessions.
pub async fn complete(
    state: &AppState,
    token: &str,
    new_password: &str,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let reset = password_reset::Entity::find()
        .filter(password_reset::Column::TokenHash.eq(sha256_hex(token)))
        .one(&state.db)
        .await
        .map_err(internal)?
        .filter(|reset| reset.used_at.is_none() && reset.expires_at > now)
        .ok_or(AppError::LinkInvalid)?;
    let account = user::Entity::find_by_id(reset.user_id)
        .one(&state.db)
        .await
        .map_err(internal)?
        .ok_or(AppError::LinkInvalid)?;
    let password =
        accounts::parse_new_password(&state.db, &account, new_password, "password").await?;

    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    // Claiming the token and checking it was still unused is one statement,
    // so two simultaneous uses cannot both succeed.
    let claimed = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::Id.eq(reset.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&txn)
        .await
        .map_err(internal)?;
    if claimed.rows_affected != 1 {
        return Err(AppError::LinkInvalid);
    }
    accounts::store_new_password(
        state,
        txn,
        account,
        &password,
        NewPasswordEvent {
            kind: SecurityEventKind::PasswordResetCompleted,
            keep_session: None,
            client,
        },
        now,
    )
    .await
    .map(|_generation| ())
}
