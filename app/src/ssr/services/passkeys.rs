//! Passkeys (WebAuthn, through webauthn-rs): registration, and checks for a
//! password-less sign-in, a second step, or a step-up confirmation.
//!
//! Ceremony state is kept in the server-side session between `start` and
//! `finish` and taken out of it on first use (see `api::passkeys`). Every
//! passkey is registered as discoverable and with user verification, so one
//! alone proves two factors (the device, and its PIN or biometric).

use crate::api::passkeys::{PasskeyPurpose, PasskeySummary};
use crate::domain::{PasskeyName, SecurityEventKind};
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::auth::Caller;
use crate::ssr::client::ClientInfo;
use crate::ssr::entities::{passkey, user};
use crate::ssr::errors::internal;
use crate::ssr::services::accounts::{account_of, log_event_about};
use crate::ssr::services::second_factor::{self, notice};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use url::Url;
use uuid::Uuid;
use webauthn_rs::prelude::{
    CreationChallengeResponse, Credential, DiscoverableAuthentication, Passkey,
    PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Webauthn, WebauthnError,
};
use webauthn_rs_proto::ResidentKeyRequirement;

/// Session keys of the ceremonies in progress.
pub const REGISTRATION_KEY: &str = "passkey_registration";
pub const AUTHENTICATION_KEY: &str = "passkey_authentication";
/// How long the user has to answer the browser's passkey prompt.
const CEREMONY_LIFETIME: time::Duration = time::Duration::minutes(5);

/// A registration in progress, for the user who started it.
#[derive(Serialize, Deserialize)]
pub struct Registration {
    user_id: Uuid,
    state: PasskeyRegistration,
    /// Unix seconds.
    started_at: i64,
}

impl Registration {
    /// Who started it: only they may finish it.
    pub fn user_id(&self) -> Uuid {
        self.user_id
    }
}

/// A passkey check in progress.
#[derive(Serialize, Deserialize)]
pub struct Authentication {
    purpose: PasskeyPurpose,
    state: AuthenticationState,
    /// Unix seconds.
    started_at: i64,
}

impl Authentication {
    pub fn purpose(&self) -> PasskeyPurpose {
        self.purpose
    }

    /// Whose passkey this check was started for (`None`: a password-less
    /// sign-in, any account's).
    pub fn expected_user(&self) -> Option<Uuid> {
        match &self.state {
            AuthenticationState::Discoverable(_) => None,
            AuthenticationState::OfUser { user_id, .. } => Some(*user_id),
        }
    }
}

#[derive(Serialize, Deserialize)]
enum AuthenticationState {
    /// Any account's passkey (a password-less sign-in).
    Discoverable(DiscoverableAuthentication),
    /// One of this user's passkeys.
    OfUser {
        user_id: Uuid,
        state: PasskeyAuthentication,
    },
}

/// The answer when no ceremony is waiting: it expired, was already used, or
/// belongs to another session.
pub fn ceremony_expired() -> AppError {
    passkey_error("This passkey request has expired or was already used. Please try again.")
}

/// The answer when a passkey of another account answers a check started for
/// this one (or the check was started for someone else).
pub fn not_this_account() -> AppError {
    passkey_error("This passkey does not belong to the account signing in. Please try again.")
}

fn passkey_error(message: &str) -> AppError {
    AppError::Invalid {
        field: "passkey".into(),
        message: message.into(),
    }
}

fn is_fresh(started_at: i64, now: OffsetDateTime) -> bool {
    now.unix_timestamp() - started_at < CEREMONY_LIFETIME.whole_seconds()
}

/// The relying party for this deployment: the public URL's host is its id
/// and the public URL its only origin. `None` (passkeys off) when the host is
/// an IP address, which browsers refuse for WebAuthn.
pub fn relying_party(public_url: &Url) -> Option<Webauthn> {
    let built = public_url.domain().and_then(|domain| {
        webauthn_rs::WebauthnBuilder::new(domain, public_url)
            .and_then(|builder| builder.rp_name("Ledgerlock").build())
            .ok()
    });
    if built.is_none() {
        tracing::warn!(%public_url, "passkeys are off: the public URL's host is not a domain name");
    }
    built
}

fn webauthn(state: &AppState) -> Result<&Webauthn, AppError> {
    state.webauthn.as_deref().ok_or_else(|| {
        AppError::Conflict(
            "Passkeys are not available at this address. Ask your administrator to set a public URL with a domain name.".into(),
        )
    })
}

fn credential_id(raw: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

fn summary(row: passkey::Model) -> PasskeySummary {
    PasskeySummary {
        id: row.id,
        name: row.name,
        created_at: row.created_at.unix_timestamp(),
        last_used_at: row.last_used_at.map(OffsetDateTime::unix_timestamp),
        backed_up: row.backed_up,
    }
}

async fn rows_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<passkey::Model>, AppError> {
    passkey::Entity::find()
        .filter(passkey::Column::UserId.eq(user_id))
        .order_by_asc(passkey::Column::CreatedAt)
        .order_by_asc(passkey::Column::Id)
        .all(db)
        .await
        .map_err(internal)
}

fn stored(row: &passkey::Model) -> Result<Passkey, AppError> {
    serde_json::from_str(&row.credential).map_err(internal)
}

pub async fn list(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<PasskeySummary>, AppError> {
    Ok(rows_of(db, user_id)
        .await?
        .into_iter()
        .map(summary)
        .collect())
}

/// The options for the browser to create a passkey. The user's existing
/// passkeys are excluded, so one authenticator is not registered twice.
pub async fn start_registration(
    state: &AppState,
    caller: &Caller,
    now: OffsetDateTime,
) -> Result<(CreationChallengeResponse, Registration), AppError> {
    let webauthn = webauthn(state)?;
    let account = account_of(&state.db, caller.user_id).await?;
    let existing = rows_of(&state.db, account.id)
        .await?
        .iter()
        .map(|row| stored(row).map(|passkey| passkey.cred_id().clone()))
        .collect::<Result<Vec<_>, _>>()?;
    // The WebAuthn user handle is the account id: random, and no personal data.
    let (mut options, registration) = webauthn
        .start_passkey_registration(account.id, &account.email, &account.name, Some(existing))
        .map_err(internal)?;
    // Discoverable, so that it can sign in without an email address first.
    if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
        selection.resident_key = Some(ResidentKeyRequirement::Required);
        selection.require_resident_key = true;
    }
    Ok((
        options,
        Registration {
            user_id: account.id,
            state: registration,
            started_at: now.unix_timestamp(),
        },
    ))
}

/// Verifies the browser's new passkey and stores it. Answers a first set of
/// recovery codes if the user had none.
pub async fn finish_registration(
    state: &AppState,
    caller: &Caller,
    name: &PasskeyName,
    credential: &RegisterPublicKeyCredential,
    registration: Registration,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<Vec<String>, AppError> {
    let webauthn = webauthn(state)?;
    if !is_fresh(registration.started_at, now) {
        return Err(ceremony_expired());
    }
    let passkey = webauthn
        .finish_passkey_registration(credential, &registration.state)
        .map_err(|error| {
            tracing::info!(user_id = %caller.user_id, %error, "passkey registration refused");
            passkey_error("Your browser's answer could not be verified. Please try again.")
        })?;
    let account = account_of(&state.db, caller.user_id).await?;
    let id = credential_id(passkey.cred_id());
    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    let taken = passkey::Entity::find()
        .filter(passkey::Column::CredentialId.eq(id.clone()))
        .one(&txn)
        .await
        .map_err(internal)?
        .is_some();
    if taken {
        return Err(AppError::Conflict(
            "This passkey is already registered.".into(),
        ));
    }
    passkey::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(account.id),
        name: Set(name.as_str().to_owned()),
        credential_id: Set(id),
        backed_up: Set(Credential::from(passkey.clone()).backup_state),
        credential: Set(serde_json::to_string(&passkey).map_err(internal)?),
        created_at: Set(now),
        last_used_at: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(internal)?;
    log_event_about(
        &txn,
        &account,
        SecurityEventKind::SecondFactorAdded,
        true,
        Some(&format!("passkey “{}”", name.as_str())),
        client,
        now,
    )
    .await?;
    let codes = second_factor::recovery_codes_if_none(&txn, account.id, now).await?;
    txn.commit().await.map_err(internal)?;
    state.mailer.send_later(notice(
        &account,
        "a passkey was added",
        &format!(
            "The passkey “{}” was added to your account. It can now sign you in without a password.",
            name.as_str()
        ),
    ));
    Ok(codes)
}

pub async fn rename(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: Uuid,
    name: &PasskeyName,
) -> Result<(), AppError> {
    let renamed = passkey::Entity::update_many()
        .col_expr(
            passkey::Column::Name,
            sea_orm::sea_query::Expr::value(name.as_str()),
        )
        .filter(passkey::Column::Id.eq(id))
        .filter(passkey::Column::UserId.eq(caller.user_id))
        .exec(db)
        .await
        .map_err(internal)?;
    if renamed.rows_affected == 1 {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn remove(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let account = account_of(&state.db, caller.user_id).await?;
    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    let row = passkey::Entity::find_by_id(id)
        .filter(passkey::Column::UserId.eq(caller.user_id))
        .one(&txn)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    passkey::Entity::delete_by_id(row.id)
        .exec(&txn)
        .await
        .map_err(internal)?;
    second_factor::after_factor_removed(&txn, caller).await?;
    log_event_about(
        &txn,
        &account,
        SecurityEventKind::SecondFactorRemoved,
        true,
        Some(&format!("passkey “{}”", row.name)),
        client,
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)?;
    state.mailer.send_later(notice(
        &account,
        "a passkey was removed",
        &format!(
            "The passkey “{}” was removed from your account and can no longer sign in.",
            row.name
        ),
    ));
    Ok(())
}

/// The options for the browser to ask for a passkey: any account's for a
/// sign-in (`user_id` is `None`), else one of that user's.
pub async fn start_authentication(
    state: &AppState,
    purpose: PasskeyPurpose,
    user_id: Option<Uuid>,
    now: OffsetDateTime,
) -> Result<(RequestChallengeResponse, Authentication), AppError> {
    let webauthn = webauthn(state)?;
    let (options, state) = match user_id {
        None => {
            let (mut options, state) = webauthn
                .start_discoverable_authentication()
                .map_err(internal)?;
            // webauthn-rs asks for autofill ("conditional") mediation; this
            // check starts from a button, where the browser's own prompt is right.
            options.mediation = None;
            (options, AuthenticationState::Discoverable(state))
        }
        Some(user_id) => {
            let passkeys = rows_of(&state.db, user_id)
                .await?
                .iter()
                .map(stored)
                .collect::<Result<Vec<_>, _>>()?;
            if passkeys.is_empty() {
                return Err(passkey_error("You have no passkey yet."));
            }
            let (options, state) = webauthn
                .start_passkey_authentication(&passkeys)
                .map_err(internal)?;
            (options, AuthenticationState::OfUser { user_id, state })
        }
    };
    Ok((
        options,
        Authentication {
            purpose,
            state,
            started_at: now.unix_timestamp(),
        },
    ))
}

/// Verifies the browser's answer to a passkey check and returns whose
/// passkey it was. Updates the signature counter, backup state and last use;
/// a counter that did not move forward is refused and logged as a possibly
/// copied authenticator.
pub async fn finish_authentication(
    state: &AppState,
    credential: &PublicKeyCredential,
    ceremony: Authentication,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<Uuid, AppError> {
    let webauthn = webauthn(state)?;
    if !is_fresh(ceremony.started_at, now) {
        return Err(ceremony_expired());
    }
    let unknown = || passkey_error("This passkey is not registered with Ledgerlock.");
    let expected_user = match &ceremony.state {
        AuthenticationState::Discoverable(_) => {
            webauthn
                .identify_discoverable_authentication(credential)
                .map_err(|_| unknown())?
                .0
        }
        AuthenticationState::OfUser { user_id, .. } => *user_id,
    };
    let row = passkey::Entity::find()
        .filter(passkey::Column::CredentialId.eq(credential_id(&credential.raw_id)))
        .filter(passkey::Column::UserId.eq(expected_user))
        .one(&state.db)
        .await
        .map_err(internal)?;
    let account = account_of(&state.db, expected_user).await;
    let (Some(row), Ok(account)) = (row, account) else {
        tracing::info!(user_id = %expected_user, "passkey check with an unknown credential");
        return Err(unknown());
    };
    let mut passkey = stored(&row)?;
    let verified = match ceremony.state {
        AuthenticationState::Discoverable(state) => {
            webauthn.finish_discoverable_authentication_v2(credential, state, &passkey)
        }
        AuthenticationState::OfUser { state, .. } => {
            webauthn.finish_passkey_authentication(credential, &state)
        }
    };
    let result = match verified {
        Ok(result) => result,
        Err(error) => return Err(refused(state, &account, &row, &error, client, now).await?),
    };
    passkey.update_credential(&result);
    let mut active: passkey::ActiveModel = row.into();
    active.credential = Set(serde_json::to_string(&passkey).map_err(internal)?);
    active.backed_up = Set(result.backup_state());
    active.last_used_at = Set(Some(now));
    active.update(&state.db).await.map_err(internal)?;
    Ok(account.id)
}

/// Logs a refused passkey answer and chooses what the user is told.
async fn refused(
    state: &AppState,
    account: &user::Model,
    row: &passkey::Model,
    error: &WebauthnError,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<AppError, AppError> {
    let detail = format!("passkey “{}”", row.name);
    if matches!(error, WebauthnError::CredentialPossibleCompromise) {
        tracing::warn!(user_id = %account.id, passkey_id = %row.id, "passkey counter went backwards");
        log_event_about(
            &state.db,
            account,
            SecurityEventKind::PasskeyCloneSuspected,
            false,
            Some(&detail),
            client,
            now,
        )
        .await?;
        state.mailer.send_later(notice(
            account,
            "a passkey was refused",
            &format!(
                "The passkey “{}” answered like a copy of itself, so it was refused. \
                 If you did not copy it, remove it from your account and add a new one.",
                row.name
            ),
        ));
        return Ok(passkey_error(
            "This passkey was refused: it may have been copied. Use another way to sign in.",
        ));
    }
    tracing::info!(user_id = %account.id, %error, "passkey check refused");
    log_event_about(
        &state.db,
        account,
        SecurityEventKind::SecondFactorFailed,
        false,
        Some(&detail),
        client,
        now,
    )
    .await?;
    Ok(passkey_error(
        "The passkey could not be verified. Please try again.",
    ))
}
