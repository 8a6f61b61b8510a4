//! The customer portal's code sign-in and sessions (issue 14; rules in
//! `domain::portal_access`). A live document link lets its recipient ask
//! for a one-time code, mailed only to the address the link was sent to
//! while that address is still on the customer; the right code opens a
//! portal session for that contact: the customer's documents in that
//! organization and nothing else. The session is its own cookie (not the
//! team's), ends after 30 idle minutes or 12 hours, at sign-out, and as
//! soon as the address leaves the customer (checked on every request).

use crate::domain::Email;
use crate::domain::portal_access::{
    CODE_DIGITS, CODE_LIFETIME, PORTAL_IDLE, PORTAL_MAX, TRIES_PER_CODE, masked, parse_code,
};
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::entities::{customer, portal_code, portal_session};
use crate::ssr::errors::internal;
use crate::ssr::services::audit::{self, Change};
use crate::ssr::services::mail_budgets::{self, Budget};
use crate::ssr::services::mail_queue::{self, Queued};
use crate::ssr::services::portal::{self, LiveLink, Visit};
use crate::ssr::tokens::{new_token, sha256_hex};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// A session's last-seen time is written at most once per this long.
const TOUCH_INTERVAL: Duration = Duration::minutes(1);

/// Whether `email` is still one of customer `customer_id`'s addresses.
pub async fn address_on_file(
    db: &impl ConnectionTrait,
    customer_id: Uuid,
    email: &str,
) -> Result<bool, AppError> {
    let Ok(email) = Email::parse(email) else {
        return Ok(false);
    };
    Ok(customer::Entity::find_by_id(customer_id)
        .one(db)
        .await
        .map_err(internal)?
        .is_some_and(|customer| {
            customer
                .emails
                .split([',', ';', '\n'])
                .filter_map(|part| Email::parse(part).ok())
                .any(|known| known.lookup_key() == email.lookup_key())
        }))
}

/// A code on its way: which challenge to answer, and where it went
/// (masked).
#[derive(Debug, Clone)]
pub struct CodeSent {
    pub challenge: Uuid,
    pub masked_email: String,
}

/// A uniformly random code of [`CODE_DIGITS`] digits.
fn new_code() -> String {
    const RANGE: u32 = 100_000_000;
    // Rejection sampling: the largest multiple of RANGE below 2^32.
    const LIMIT: u32 = RANGE * (u32::MAX / RANGE);
    loop {
        let value = OsRng.next_u32();
        if value < LIMIT {
            return format!("{:0width$}", value % RANGE, width = CODE_DIGITS);
        }
    }
}

fn code_hash(challenge: Uuid, code: &str) -> String {
    sha256_hex(&format!("{challenge}:{code}"))
}

/// Mails a code to the recipient of the live link `token`, if that address
/// is still on the customer; a "code requested" audit event.
///
/// # Errors
/// `NotFound`: no live link (unknown, revoked, expired, frozen) or the
/// address is no longer on file; `RateLimited`: the address's hourly mail
/// budget is spent.
pub async fn request_code(
    state: &AppState,
    token: &str,
    visit: &Visit<'_>,
    now: OffsetDateTime,
) -> Result<CodeSent, AppError> {
    let db = &state.db;
    let LiveLink {
        link,
        organization,
        time_zone,
    } = portal::live_link(db, token, now)
        .await?
        .ok_or(AppError::NotFound)?;
    if !address_on_file(db, link.customer_id, &link.email).await? {
        return Err(AppError::NotFound);
    }
    if !mail_budgets::spend(
        db,
        &state.settings.mail_budgets,
        Budget::LinkTo {
            email_lookup: &link.email,
        },
        now,
    )
    .await?
    {
        return Err(AppError::RateLimited);
    }
    let challenge = Uuid::new_v4();
    let code = new_code();
    let body = format!(
        "Hello,\n\nyour code for the documents of {organization}:\n\n    {code}\n\n\
         It works for {minutes} minutes, on the page where you asked for it.\n\n\
         If you did not ask for it, someone holding a link sent to you did: you\n\
         can ignore this message, and nobody can see your documents without\n\
         this code. {organization} will never ask you for a password.\n",
        minutes = CODE_LIFETIME.whole_minutes(),
    );
    let message = state
        .mailer
        .compose(
            &link.email,
            &format!("Your code for {organization}: {code}"),
            body,
            None,
        )
        .map_err(|error| internal(anyhow::anyhow!(error)))?;
    let scope = portal::contact_scope(link.organization_id, link.id, time_zone, visit);
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    audit::lock(&txn, link.organization_id).await?;
    portal_code::ActiveModel {
        id: Set(challenge),
        organization_id: Set(link.organization_id),
        customer_id: Set(link.customer_id),
        email: Set(link.email.clone()),
        code_hash: Set(code_hash(challenge, &code)),
        attempts: Set(0),
        created_at: Set(now),
        expires_at: Set(now + CODE_LIFETIME),
        used_at: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(internal)?;
    mail_queue::enqueue(
        &txn,
        &state.secrets,
        Queued {
            organization_id: Some(link.organization_id),
            invoice_id: None,
            portal_link_id: None,
            recipient: link.email.clone(),
            kind: "portal_code",
            message,
        },
        now,
    )
    .await?;
    audit::record(
        &txn,
        &scope,
        Change {
            action: "portal.code_requested",
            object_type: "customer",
            object_id: link.customer_id,
            summary: format!("portal code requested by customer contact {}", link.email),
            customer_id: Some(link.customer_id),
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)?;
    state.mail_queue.wake();
    Ok(CodeSent {
        challenge,
        masked_email: masked(&link.email),
    })
}

fn code_error(message: impl Into<String>) -> AppError {
    AppError::Invalid {
        field: "code".into(),
        message: message.into(),
    }
}

/// Checks `typed` against challenge `challenge`. Each try is counted
/// before the comparison by a conditional increment, so twenty tries sent
/// at once are twenty tries and at most [`TRIES_PER_CODE`] are ever
/// compared; the right code is used once (a conditional update picks the
/// one request that wins). Answers the new session's cookie token.
///
/// # Errors
/// `Invalid` on `code`: not 8 digits, wrong (with the tries left), used,
/// expired or out of tries (the same words for those three).
pub async fn verify(
    state: &AppState,
    challenge: Uuid,
    typed: &str,
    visit: &Visit<'_>,
    now: OffsetDateTime,
) -> Result<String, AppError> {
    let db = &state.db;
    let Some(code) = parse_code(typed) else {
        return Err(code_error(format!(
            "Enter the {CODE_DIGITS} digits from the message."
        )));
    };
    let spent = || code_error("This code no longer works. Ask for a new one.");
    let counted = portal_code::Entity::update_many()
        .col_expr(
            portal_code::Column::Attempts,
            Expr::col(portal_code::Column::Attempts).add(1),
        )
        .filter(portal_code::Column::Id.eq(challenge))
        .filter(portal_code::Column::Attempts.lt(TRIES_PER_CODE))
        .filter(portal_code::Column::UsedAt.is_null())
        .filter(portal_code::Column::ExpiresAt.gt(now))
        .exec(db)
        .await
        .map_err(internal)?;
    if counted.rows_affected != 1 {
        return Err(spent());
    }
    let row = portal_code::Entity::find_by_id(challenge)
        .one(db)
        .await
        .map_err(internal)?
        .ok_or_else(spent)?;
    // Hashes are compared, so the time taken tells nothing about the code.
    if row.code_hash != code_hash(challenge, &code) {
        let left = TRIES_PER_CODE - row.attempts;
        return Err(if left > 0 {
            code_error(format!(
                "That code is not right. {left} {} left.",
                if left == 1 { "try" } else { "tries" }
            ))
        } else {
            spent()
        });
    }
    let scope_zone = portal::zone_and_name(db, row.organization_id).await?.0;
    let token = new_token();
    let session_id = Uuid::new_v4();
    let scope = portal::contact_scope(row.organization_id, session_id, scope_zone, visit);
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    audit::lock(&txn, row.organization_id).await?;
    let claimed = portal_code::Entity::update_many()
        .col_expr(portal_code::Column::UsedAt, Expr::value(now))
        .filter(portal_code::Column::Id.eq(challenge))
        .filter(portal_code::Column::UsedAt.is_null())
        .exec(&txn)
        .await
        .map_err(internal)?;
    // Under the lock every customer edit takes: an address removed before
    // this commit opens nothing.
    if claimed.rows_affected != 1 || !address_on_file(&txn, row.customer_id, &row.email).await? {
        txn.rollback().await.map_err(internal)?;
        return Err(spent());
    }
    portal_session::ActiveModel {
        id: Set(session_id),
        organization_id: Set(row.organization_id),
        customer_id: Set(row.customer_id),
        email: Set(row.email.clone()),
        token_hash: Set(sha256_hex(&token)),
        created_at: Set(now),
        last_seen_at: Set(now),
        ended_at: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(internal)?;
    audit::record(
        &txn,
        &scope,
        Change {
            action: "portal.signed_in",
            object_type: "customer",
            object_id: row.customer_id,
            summary: format!(
                "portal opened with a code by customer contact {}",
                row.email
            ),
            customer_id: Some(row.customer_id),
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)?;
    Ok(token)
}

/// The live session with cookie `token` at `now`, its last-seen time
/// moved on: `None` when unknown, ended, idle too long, too old, or its
/// address no longer on the customer.
///
/// # Errors
/// Internal only.
pub async fn current(
    db: &impl ConnectionTrait,
    token: &str,
    now: OffsetDateTime,
) -> Result<Option<portal_session::Model>, AppError> {
    if token.len() != 43 {
        return Ok(None);
    }
    let Some(session) = portal_session::Entity::find()
        .filter(portal_session::Column::TokenHash.eq(sha256_hex(token)))
        .one(db)
        .await
        .map_err(internal)?
    else {
        return Ok(None);
    };
    let live = session.ended_at.is_none()
        && now - session.last_seen_at < PORTAL_IDLE
        && now - session.created_at < PORTAL_MAX;
    if !live || !address_on_file(db, session.customer_id, &session.email).await? {
        return Ok(None);
    }
    if now - session.last_seen_at >= TOUCH_INTERVAL {
        portal_session::Entity::update_many()
            .col_expr(portal_session::Column::LastSeenAt, Expr::value(now))
            .filter(portal_session::Column::Id.eq(session.id))
            .exec(db)
            .await
            .map_err(internal)?;
    }
    Ok(Some(session))
}

/// Ends the session with cookie `token` (signing out).
///
/// # Errors
/// Internal only.
pub async fn end(
    db: &impl ConnectionTrait,
    token: &str,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    portal_session::Entity::update_many()
        .col_expr(portal_session::Column::EndedAt, Expr::value(now))
        .filter(portal_session::Column::TokenHash.eq(sha256_hex(token)))
        .filter(portal_session::Column::EndedAt.is_null())
        .exec(db)
        .await
        .map_err(internal)?;
    Ok(())
}

/// Ends the sessions of customer `customer_id` opened by one of `removed`
/// (lower-cased addresses just taken off the customer).
///
/// # Errors
/// Internal only.
pub async fn end_for_addresses(
    txn: &impl ConnectionTrait,
    customer_id: Uuid,
    removed: &[String],
    now: OffsetDateTime,
) -> Result<(), AppError> {
    if removed.is_empty() {
        return Ok(());
    }
    portal_session::Entity::update_many()
        .col_expr(portal_session::Column::EndedAt, Expr::value(now))
        .filter(portal_session::Column::CustomerId.eq(customer_id))
        .filter(portal_session::Column::EndedAt.is_null())
        .filter(portal_session::Column::Email.is_in(removed.iter().cloned()))
        .exec(txn)
        .await
        .map_err(internal)?;
    Ok(())
}

/// Deletes codes and sessions that can no longer be used (a day after
/// they stopped working, so a recent one can still be looked at).
///
/// # Errors
/// Internal only.
pub async fn purge(db: &impl ConnectionTrait, now: OffsetDateTime) -> Result<(), AppError> {
    let day_ago = now - Duration::days(1);
    portal_code::Entity::delete_many()
        .filter(portal_code::Column::ExpiresAt.lt(day_ago))
        .exec(db)
        .await
        .map_err(internal)?;
    portal_session::Entity::delete_many()
        .filter(portal_session::Column::LastSeenAt.lt(day_ago))
        .exec(db)
        .await
        .map_err(internal)?;
    Ok(())
}

/// Whether `session` is the contact `link` was sent to.
pub fn covers(
    session: &portal_session::Model,
    organization_id: Uuid,
    customer_id: Uuid,
    email: &str,
) -> bool {
    session.organization_id == organization_id
        && session.customer_id == customer_id
        && session.email == email
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_eight_digits_and_vary() {
        let codes: Vec<String> = (0..50).map(|_| new_code()).collect();
        assert!(
            codes
                .iter()
                .all(|code| code.len() == 8 && code.bytes().all(|b| b.is_ascii_digit()))
        );
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert!(distinct.len() > 45);
    }

    #[test]
    fn a_code_hash_depends_on_its_challenge() {
        let code = "12345678";
        assert_ne!(
            code_hash(Uuid::new_v4(), code),
            code_hash(Uuid::new_v4(), code)
        );
    }

    #[test]
    fn sessions_cover_one_contact_only() {
        let now = OffsetDateTime::now_utc();
        let session = portal_session::Model {
            id: Uuid::new_v4(),
            organization_id: Uuid::from_u128(1),
            customer_id: Uuid::from_u128(2),
            email: "a@example.com".into(),
            token_hash: String::new(),
            created_at: now,
            last_seen_at: now,
            ended_at: None,
        };
        assert!(covers(
            &session,
            Uuid::from_u128(1),
            Uuid::from_u128(2),
            "a@example.com"
        ));
        assert!(!covers(
            &session,
            Uuid::from_u128(1),
            Uuid::from_u128(2),
            "b@example.com"
        ));
        assert!(!covers(
            &session,
            Uuid::from_u128(1),
            Uuid::from_u128(3),
            "a@example.com"
        ));
        assert!(!covers(
            &session,
            Uuid::from_u128(9),
            Uuid::from_u128(2),
            "a@example.com"
        ));
    }
}
