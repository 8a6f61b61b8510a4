//! Second factors: an authenticator app (TOTP) and single-use recovery codes.
//! Passkeys (see `passkeys`) count as a second factor too.

use crate::api::second_factor::{TotpEnrolment, TwoStepStatus};
use crate::domain::{SecurityEventKind, recovery_code, totp};
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::auth::Caller;
use crate::ssr::client::ClientInfo;
use crate::ssr::entities::{
    organization, passkey, recovery_code as recovery_entity, totp_factor, user,
};
use crate::ssr::errors::internal;
use crate::ssr::mail::Mail;
use crate::ssr::services::accounts::{account_of, log_event};
use crate::ssr::tokens::sha256_hex;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use time::OffsetDateTime;
use uuid::Uuid;

const ISSUER: &str = "Ledgerlock";
/// 160 bits, as RFC 4226 recommends.
const SECRET_BYTES: usize = 20;

fn associated_data(factor_id: Uuid) -> String {
    format!("totp:{factor_id}")
}

fn authenticator(secret: Vec<u8>, account: &str) -> Result<totp_rs::Totp, AppError> {
    totp_rs::Builder::new()
        .with_secret(secret)
        // The window is ours to decide (see `domain::totp`), step by step.
        .with_skew(0)
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|error| internal(anyhow::anyhow!("TOTP setup: {error:?}")))
}

async fn confirmed_totp(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Option<totp_factor::Model>, AppError> {
    totp_factor::Entity::find()
        .filter(totp_factor::Column::UserId.eq(user_id))
        .filter(totp_factor::Column::ConfirmedAt.is_not_null())
        .one(db)
        .await
        .map_err(internal)
}

async fn has_passkey(db: &impl ConnectionTrait, user_id: Uuid) -> Result<bool, AppError> {
    Ok(passkey::Entity::find()
        .filter(passkey::Column::UserId.eq(user_id))
        .count(db)
        .await
        .map_err(internal)?
        > 0)
}

/// Whether the user has a second factor (an authenticator app or a
/// passkey), so that signing in with a password needs it too.
pub async fn is_required(db: &impl ConnectionTrait, user_id: Uuid) -> Result<bool, AppError> {
    Ok(confirmed_totp(db, user_id).await?.is_some() || has_passkey(db, user_id).await?)
}

/// After a factor was removed: when none is left, the recovery codes go
/// too (they only stand in for a second factor). Refused when the
/// organization requires a second factor, which rolls back the removal.
pub async fn after_factor_removed(
    db: &impl ConnectionTrait,
    caller: &Caller,
) -> Result<(), AppError> {
    if is_required(db, caller.user_id).await? {
        return Ok(());
    }
    if organization_requires(db, caller.organization_id).await? {
        return Err(AppError::Conflict(
            "Your organization requires two-step verification: add another passkey or authenticator app before removing your last one.".into(),
        ));
    }
    recovery_entity::Entity::delete_many()
        .filter(recovery_entity::Column::UserId.eq(caller.user_id))
        .exec(db)
        .await
        .map_err(internal)?;
    Ok(())
}

/// Whether the caller's organization requires a second factor that the
/// caller does not have.
pub async fn missing_but_required(
    db: &impl ConnectionTrait,
    caller: &Caller,
) -> Result<bool, AppError> {
    Ok(organization_requires(db, caller.organization_id).await?
        && !is_required(db, caller.user_id).await?)
}

/// Whether the organization requires every member to use a second factor.
pub async fn organization_requires(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<bool, AppError> {
    Ok(organization::Entity::find_by_id(organization_id)
        .one(db)
        .await
        .map_err(internal)?
        .is_some_and(|organization| organization.require_second_factor))
}

pub async fn status(state: &AppState, caller: &Caller) -> Result<TwoStepStatus, AppError> {
    let totp = confirmed_totp(&state.db, caller.user_id).await?;
    let recovery_codes_left = recovery_entity::Entity::find()
        .filter(recovery_entity::Column::UserId.eq(caller.user_id))
        .filter(recovery_entity::Column::UsedAt.is_null())
        .count(&state.db)
        .await
        .map_err(internal)?;
    let passkeys = passkey::Entity::find()
        .filter(passkey::Column::UserId.eq(caller.user_id))
        .count(&state.db)
        .await
        .map_err(internal)?;
    Ok(TwoStepStatus {
        totp_since: totp
            .and_then(|factor| factor.confirmed_at)
            .map(OffsetDateTime::unix_timestamp),
        recovery_codes_left,
        passkeys,
    })
}

/// The session key of an authenticator-app setup in progress: the
/// [`Enrolment`] started in this session, which only it can confirm.
pub const TOTP_ENROLMENT_KEY: &str = "totp_enrolment";

/// An authenticator-app setup in progress in one session, for one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Enrolment {
    pub user_id: Uuid,
    /// The unconfirmed factor's row.
    pub factor_id: Uuid,
}

/// Creates a new, unconfirmed authenticator secret and shows it, with the
/// [`Enrolment`] the session keeps until the first code confirms it.
pub async fn start_totp(
    state: &AppState,
    caller: &Caller,
    now: OffsetDateTime,
) -> Result<(TotpEnrolment, Enrolment), AppError> {
    if confirmed_totp(&state.db, caller.user_id).await?.is_some() {
        return Err(AppError::Conflict(
            "An authenticator app is already set up. Remove it first to use another one.".into(),
        ));
    }
    let account = account_of(&state.db, caller.user_id).await?;
    let mut secret = vec![0_u8; SECRET_BYTES];
    OsRng.fill_bytes(&mut secret);
    let id = Uuid::new_v4();
    let sealed = state
        .secrets
        .seal(&secret, &associated_data(id))
        .map_err(internal)?;
    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    totp_factor::Entity::delete_many()
        .filter(totp_factor::Column::UserId.eq(caller.user_id))
        .exec(&txn)
        .await
        .map_err(internal)?;
    totp_factor::ActiveModel {
        id: Set(id),
        user_id: Set(caller.user_id),
        secret_sealed: Set(sealed),
        confirmed_at: Set(None),
        last_used_step: Set(None),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)?;

    let base32 = totp_rs::Secret::from(secret.clone()).to_base32();
    let otpauth_url = authenticator(secret, &account.email)?
        .to_url()
        .map_err(|error| internal(anyhow::anyhow!("otpauth URL: {error:?}")))?;
    let qr_svg = qrcode::QrCode::new(otpauth_url.as_bytes())
        .map_err(internal)?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok((
        TotpEnrolment {
            secret: base32,
            otpauth_url,
            qr_svg,
        },
        Enrolment {
            user_id: caller.user_id,
            factor_id: id,
        },
    ))
}

/// The step `code` matches for this factor, if any, among the ones still
/// allowed (see `domain::totp`).
fn matching_step(
    state: &AppState,
    factor: &totp_factor::Model,
    account: &str,
    code: &str,
    now: OffsetDateTime,
) -> Result<Option<u64>, AppError> {
    let secret = state
        .secrets
        .open(&factor.secret_sealed, &associated_data(factor.id))
        .map_err(internal)?;
    let authenticator = authenticator(secret, account)?;
    let now = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    let last = factor
        .last_used_step
        .and_then(|step| u64::try_from(step).ok());
    Ok(totp::candidate_steps(now, last).into_iter().find(|step| {
        authenticator
            .check(code, step * totp::STEP_SECONDS)
            .is_some()
    }))
}

/// Records `step` as used, unless a concurrent request used it (or a later
/// one) first: check and record are one conditional statement.
async fn claim_step(
    db: &impl ConnectionTrait,
    factor_id: Uuid,
    step: u64,
) -> Result<bool, AppError> {
    let step = i64::try_from(step).map_err(internal)?;
    let claimed = totp_factor::Entity::update_many()
        .col_expr(totp_factor::Column::LastUsedStep, Expr::value(step))
        .filter(totp_factor::Column::Id.eq(factor_id))
        .filter(
            Condition::any()
                .add(totp_factor::Column::LastUsedStep.is_null())
                .add(totp_factor::Column::LastUsedStep.lt(step)),
        )
        .exec(db)
        .await
        .map_err(internal)?;
    Ok(claimed.rows_affected == 1)
}

/// Confirms the new authenticator with a code from it: the setup this
/// session started (`enrolment`), for the caller. Returns a fresh set of
/// recovery codes if the user had none left (shown once, never again).
pub async fn confirm_totp(
    state: &AppState,
    caller: &Caller,
    enrolment: Option<Enrolment>,
    code: &str,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<Vec<String>, AppError> {
    let code = totp::parse_code(code)?;
    let account = account_of(&state.db, caller.user_id).await?;
    let restart = || AppError::Conflict("Start setting up the authenticator app again.".into());
    let enrolment = enrolment
        .filter(|enrolment| enrolment.user_id == caller.user_id)
        .ok_or_else(restart)?;
    let factor = totp_factor::Entity::find_by_id(enrolment.factor_id)
        .filter(totp_factor::Column::UserId.eq(caller.user_id))
        .filter(totp_factor::Column::ConfirmedAt.is_null())
        .one(&state.db)
        .await
        .map_err(internal)?
        .ok_or_else(restart)?;
    let wrong = || AppError::Invalid {
        field: "code".into(),
        message: "That code does not match. Check the app and try the newest code.".into(),
    };
    let step = matching_step(state, &factor, &account.email, &code, now)?.ok_or_else(wrong)?;
    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    if !claim_step(&txn, factor.id, step).await? {
        return Err(wrong());
    }
    let mut active: totp_factor::ActiveModel = factor.into();
    active.confirmed_at = Set(Some(now));
    active.update(&txn).await.map_err(internal)?;
    log_event(
        &txn,
        &account,
        SecurityEventKind::SecondFactorAdded,
        true,
        client,
        now,
    )
    .await?;
    let codes = recovery_codes_if_none(&txn, account.id, now).await?;
    txn.commit().await.map_err(internal)?;
    state.mailer.send_later(notice(
        &account,
        "two-step verification was turned on",
        "An authenticator app was added to your account. From now on, signing in asks for a code from it.",
    ));
    Ok(codes)
}

/// Removes the authenticator app (see [`after_factor_removed`]).
pub async fn remove_totp(
    state: &AppState,
    caller: &Caller,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let account = account_of(&state.db, caller.user_id).await?;
    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    let removed = totp_factor::Entity::delete_many()
        .filter(totp_factor::Column::UserId.eq(account.id))
        .exec(&txn)
        .await
        .map_err(internal)?;
    if removed.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    after_factor_removed(&txn, caller).await?;
    log_event(
        &txn,
        &account,
        SecurityEventKind::SecondFactorRemoved,
        true,
        client,
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)?;
    state.mailer.send_later(notice(
        &account,
        "two-step verification was turned off",
        "The authenticator app was removed from your account.",
    ));
    Ok(())
}

/// A new set of recovery codes; the old set stops working.
pub async fn regenerate_recovery_codes(
    state: &AppState,
    caller: &Caller,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<Vec<String>, AppError> {
    let account = account_of(&state.db, caller.user_id).await?;
    if !is_required(&state.db, account.id).await? {
        return Err(AppError::Conflict(
            "Set up a passkey or an authenticator app first.".into(),
        ));
    }
    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    let codes = replace_recovery_codes(&txn, account.id, now).await?;
    log_event(
        &txn,
        &account,
        SecurityEventKind::RecoveryCodesRegenerated,
        true,
        client,
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)?;
    Ok(codes)
}

/// A first set of recovery codes for a user who just added a factor, unless
/// they still have unused ones.
pub async fn recovery_codes_if_none(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<String>, AppError> {
    let unused = recovery_entity::Entity::find()
        .filter(recovery_entity::Column::UserId.eq(user_id))
        .filter(recovery_entity::Column::UsedAt.is_null())
        .count(db)
        .await
        .map_err(internal)?;
    if unused > 0 {
        Ok(Vec::new())
    } else {
        replace_recovery_codes(db, user_id, now).await
    }
}

async fn replace_recovery_codes(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<String>, AppError> {
    recovery_entity::Entity::delete_many()
        .filter(recovery_entity::Column::UserId.eq(user_id))
        .exec(db)
        .await
        .map_err(internal)?;
    let mut codes = Vec::with_capacity(recovery_code::CODES_PER_SET);
    for _ in 0..recovery_code::CODES_PER_SET {
        let mut random = [0_u8; 10];
        OsRng.fill_bytes(&mut random);
        let code = recovery_code::format_code(&random);
        let normalized = recovery_code::normalize(&code)
            .ok_or_else(|| internal(anyhow::anyhow!("bad recovery code")))?;
        recovery_entity::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(user_id),
            code_hash: Set(sha256_hex(&normalized)),
            used_at: Set(None),
            created_at: Set(now),
        }
        .insert(db)
        .await
        .map_err(internal)?;
        codes.push(code);
    }
    Ok(codes)
}

/// How a second factor was proved at sign-in.
pub enum Proof {
    Authenticator,
    RecoveryCode,
}

/// Checks a code typed at sign-in or step-up: a 6-digit authenticator code,
/// or a recovery code (used up by this). The caller counts and logs a wrong
/// one (`guesses::count_failure`).
pub async fn verify(
    state: &AppState,
    user_id: Uuid,
    input: &str,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<Option<Proof>, AppError> {
    let account = account_of(&state.db, user_id).await?;
    let proof = if let Ok(code) = totp::parse_code(input) {
        match confirmed_totp(&state.db, user_id).await? {
            Some(factor) => match matching_step(state, &factor, &account.email, &code, now)? {
                Some(step) if claim_step(&state.db, factor.id, step).await? => {
                    Some(Proof::Authenticator)
                }
                _ => None,
            },
            None => None,
        }
    } else if let Some(code) = recovery_code::normalize(input) {
        let used = recovery_entity::Entity::update_many()
            .col_expr(recovery_entity::Column::UsedAt, Expr::value(now))
            .filter(recovery_entity::Column::UserId.eq(user_id))
            .filter(recovery_entity::Column::CodeHash.eq(sha256_hex(&code)))
            .filter(recovery_entity::Column::UsedAt.is_null())
            .exec(&state.db)
            .await
            .map_err(internal)?;
        (used.rows_affected == 1).then_some(Proof::RecoveryCode)
    } else {
        None
    };
    match proof {
        Some(Proof::RecoveryCode) => {
            log_event(
                &state.db,
                &account,
                SecurityEventKind::RecoveryCodeUsed,
                true,
                client,
                now,
            )
            .await?;
            state.mailer.send_later(notice(
                &account,
                "a recovery code was used",
                "Someone signed in to your account with one of your recovery codes. \
                 If it was not you, change your password and generate new recovery codes now.",
            ));
        }
        Some(Proof::Authenticator) | None => {}
    }
    Ok(proof)
}

/// A message telling the user about a change to their second factors.
pub fn notice(account: &user::Model, what: &str, body: &str) -> Mail {
    Mail {
        to: account.email.clone(),
        subject: format!("Ledgerlock: {what}"),
        body: format!(
            "Hello {name},\n\n{body}\n\nIf this was not you, reset your password and review your security activity.\n",
            name = account.name
        ),
        kind: "second_factor",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B (SHA-1 seed "12345678901234567890"): our six
    /// digits are the last six of the RFC's eight.
    #[test]
    fn rfc_6238_test_vectors() {
        let authenticator =
            authenticator(b"12345678901234567890".to_vec(), "rfc@example.com").unwrap();
        for (time, expected) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(
                authenticator.generate(time).to_string(),
                expected,
                "at {time}"
            );
            assert!(authenticator.check(expected, time).is_some());
            assert!(
                authenticator.check(expected, time + 30).is_none(),
                "no skew of our own"
            );
        }
    }
}
