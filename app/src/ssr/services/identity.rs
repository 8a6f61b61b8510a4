//! Proving identity again while signed in: step-up confirmations and the
//! current password asked before a change. Every failed proof is a counted
//! guess (`guesses`), refused unheard while the account is locked.

use crate::domain::{SecurityEventKind, normalize_password};
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::auth::Caller;
use crate::ssr::client::ClientInfo;
use crate::ssr::entities::user;
use crate::ssr::errors::internal;
use crate::ssr::services::accounts::{account_of, notify_lock};
use crate::ssr::services::guesses::{self, Guess, Logged};
use crate::ssr::services::second_factor;
use time::OffsetDateTime;

/// Step-up: the signed-in caller proves who they are again, with their
/// password or a second-factor code (see [`prove_identity`]).
pub async fn confirm_identity(
    state: &AppState,
    caller: &Caller,
    password: &str,
    code: &str,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let account = account_of(&state.db, caller.user_id).await?;
    let (proof, field) = if code.trim().is_empty() {
        (Proof::Password(password), "current_password")
    } else {
        (Proof::Code(code), "code")
    };
    prove_identity(state, &account, proof, field, client, now).await
}

/// What a signed-in user offers as proof of identity.
enum Proof<'a> {
    Password(&'a str),
    /// An authenticator-app code or a recovery code.
    Code(&'a str),
}

/// Checks a proof of identity from a signed-in user (step-up, or the current
/// password before a change). Failures are counted per account (five in a row
/// lock the account, see `domain::lockout`) and logged; while the account is
/// locked nothing is checked and the attempt is counted all the same. Errors
/// name `field`.
async fn prove_identity(
    state: &AppState,
    account: &user::Model,
    proof: Proof<'_>,
    field: &str,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let locked = guesses::is_locked(account, now);
    let proved = match (&proof, locked) {
        (_, true) => false,
        (Proof::Code(code), false) => second_factor::verify(state, account.id, code, client, now)
            .await?
            .is_some(),
        (Proof::Password(password), false) => check_current_password(state, account, password)
            .await
            .is_ok(),
    };
    if !proved {
        let (event, reason) = match (&proof, locked) {
            (_, true) => (SecurityEventKind::SignInFailed, "step-up while locked"),
            (Proof::Code(_), false) => {
                (SecurityEventKind::SecondFactorFailed, "step-up: wrong code")
            }
            (Proof::Password(_), false) => {
                (SecurityEventKind::SignInFailed, "step-up: wrong password")
            }
        };
        let logged = Logged {
            event: Some(event),
            reason: Some(reason),
            client,
        };
        let failure =
            guesses::count_failure(&state.db, account.id, Guess::StepUp, logged, now).await?;
        if let Some(until) = failure.lock_started {
            notify_lock(state, account, until, now).await?;
        }
        if locked || failure.lock_started.is_some() {
            return Err(guesses::locked_error(field));
        }
        return Err(AppError::Invalid {
            field: field.into(),
            message: match proof {
                Proof::Code(_) => "That code is not valid.".into(),
                Proof::Password(_) => "This is not your current password.".into(),
            },
        });
    }
    if !guesses::clear_step_ups(&state.db, account.id, now).await? {
        return Err(guesses::locked_error(field));
    }
    Ok(())
}

/// Asks for the password again before a sensitive change.
pub async fn check_current_password(
    state: &AppState,
    account: &user::Model,
    password: &str,
) -> Result<(), AppError> {
    let verified = state
        .passwords
        .verify(&normalize_password(password), Some(&account.password_hash))
        .await
        .map_err(internal)?;
    if verified {
        Ok(())
    } else {
        Err(AppError::Invalid {
            field: "current_password".into(),
            message: "This is not your current password.".into(),
        })
    }
}

/// The current password asked before a change to it (see [`prove_identity`]).
pub(crate) async fn prove_current_password(
    state: &AppState,
    account: &user::Model,
    password: &str,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let proof = Proof::Password(password);
    prove_identity(state, account, proof, "current_password", client, now).await
}
